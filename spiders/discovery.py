"""Reading discovery sources: RSS/Atom feeds (feedparser) and sitemaps.

Each reader turns a response body into :class:`Listing` entries (URL, title,
date, keywords) so the spider can filter by since-date and skip articles that
are clearly not about Syria before fetching them.  Malformed input raises
:class:`DiscoveryError` naming the URL; a feed that parses with recoverable
errors still yields its entries.  Large ones are read in a thread
(:func:`off_reactor`).  Reads no settings.
"""

from __future__ import annotations

import calendar
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, TypeVar
from urllib.parse import urljoin

import feedparser
from lxml import etree
from scrapy.utils.defer import maybe_deferred_to_future
from twisted.internet.threads import deferToThread

from crawler.extract.dates import parse_listing_date

logger = logging.getLogger(__name__)

class DiscoveryError(ValueError):
    """A feed or sitemap could not be read at all."""


@dataclass
class Listing:
    """One URL as a feed or sitemap lists it."""

    url: str
    title: str | None = None
    date: datetime | None = None
    keywords: list[str] = field(default_factory=list)
    summary: str | None = None

    def headline_text(self) -> str:
        return " ".join(filter(None, [self.title, self.summary, *self.keywords]))


def _refuse_entities(body: bytes, url: str, kind: str) -> None:
    """Feeds and sitemaps never need XML entity declarations; a document that makes
    them (external entities, "billion laughs") is refused unread."""
    if b"<!ENTITY" in body[:65536].upper():
        raise DiscoveryError(f"{url}: {kind} declares XML entities (refused, not expanded)")


def read_feed(body: bytes, url: str, content_type: str | None = None) -> list[Listing]:
    """Entries of an RSS or Atom feed."""
    _refuse_entities(body, url, "feed")
    headers = {"content-type": content_type} if content_type else None
    parsed = feedparser.parse(body, response_headers=headers)
    if not parsed.entries and (parsed.bozo or not parsed.version):
        reason = parsed.get("bozo_exception") or "no RSS or Atom document found"
        raise DiscoveryError(f"{url}: not a readable feed: {reason}")
    if parsed.bozo:
        logger.warning("Feed %s parsed with errors: %s", url, parsed.get("bozo_exception"))
    out = []
    for entry in parsed.entries:
        link = urljoin(url, entry.get("link") or "")
        if not link.startswith(("http://", "https://")):
            continue
        # dict.get: FeedParserDict maps a missing published date to the updated one
        # with a deprecation warning; both are read explicitly here.
        dates = [datetime.fromtimestamp(calendar.timegm(stamp), UTC)
                 for stamp in (dict.get(entry, "published_parsed"),
                               dict.get(entry, "updated_parsed")) if stamp]
        out.append(Listing(
            url=link, title=entry.get("title"), date=max(dates) if dates else None,
            keywords=[t.get("term") for t in entry.get("tags", []) if t.get("term")],
            summary=entry.get("summary"),
        ))
    return out


@dataclass
class Sitemap:
    kind: str  # "sitemapindex" or "urlset"
    entries: list[Listing]
    # the first XML error, when the file was malformed and read as far as it could be
    damaged: str | None = None


#: Feeds and sitemaps larger than this are read in a thread: a 50 MB news sitemap takes
#: seconds to parse, and the reactor must go on fetching meanwhile.  Smaller ones are
#: read in place (the thread's hand-over costs more than they do).
OFF_REACTOR_BYTES = 256 * 1024

_T = TypeVar("_T")


async def off_reactor(body: bytes, read: Callable[..., _T], *args: Any) -> _T:
    """``read(*args)``, in a reactor thread when ``body`` is large, else here."""
    if len(body) < OFF_REACTOR_BYTES:
        return read(*args)
    return await maybe_deferred_to_future(deferToThread(read, *args))


def _local(tag: object) -> str:
    return tag.split("}", 1)[1] if isinstance(tag, str) and "}" in tag else str(tag)


def read_sitemap(body: bytes, url: str) -> Sitemap:
    """A sitemap index, sitemap or Google News sitemap.

    Parsed with entities and network access off (like Scrapy's own sitemap
    reader); for news sitemaps the ``news:title``, ``news:keywords`` and
    ``news:publication_date`` of each URL are kept.
    """
    _refuse_entities(body, url, "sitemap")
    parser = etree.XMLParser(recover=True, remove_comments=True, resolve_entities=False,
                             no_network=True, huge_tree=True)
    try:
        root = etree.fromstring(body, parser=parser)
    except etree.XMLSyntaxError as exc:
        raise DiscoveryError(f"{url}: not a readable sitemap: {exc}") from None
    if root is None or _local(root.tag) not in ("sitemapindex", "urlset"):
        raise DiscoveryError(f"{url}: not a sitemap (root element "
                             f"{_local(root.tag) if root is not None else 'missing'})")
    entries = []
    for elem in root:
        fields: dict[str, str] = {}
        news: dict[str, str] = {}
        for child in elem:
            name = _local(child.tag)
            if name == "news":
                for n in child.iter():
                    if n is not child and n.text and n.text.strip():
                        news[_local(n.tag)] = n.text.strip()
            elif child.text and child.text.strip():
                fields[name] = child.text.strip()
        if "loc" not in fields:
            continue
        lastmod = parse_listing_date(fields.get("lastmod"))
        date = parse_listing_date(news.get("publication_date")) or lastmod
        if date and lastmod:
            date = max(date, lastmod)
        keywords = [k.strip() for k in news.get("keywords", "").split(",") if k.strip()]
        entries.append(Listing(url=fields["loc"], title=news.get("title"), date=date,
                               keywords=keywords))
    errors = [e for e in parser.error_log if e.level >= etree.ErrorLevels.ERROR]
    damaged = f"line {errors[0].line}: {errors[0].message}" if errors else None
    return Sitemap(kind=_local(root.tag), entries=entries, damaged=damaged)
