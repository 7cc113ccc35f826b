"""The outlet check: does an outlet's registry entry still work against its site?

One spider per outlet (:meth:`CheckSpider.for_outlet`), built on the outlet spider
(its User-Agent, download delay, sitemap decompression and section links).  It
fetches every feed and sitemap and the first page of every section through
Scrapy's own machinery (robots.txt, retries, redirects, the ``http_proxy`` and
``https_proxy`` variables), records what each gave as a :class:`Finding`, then
fetches one listed article (one whose listed title names Syria when there is one)
and extracts it as a crawl would: title, date, body.  A listed article that fails
is a warning and the next is tried; the check fails when none works.  It yields
no items and, with the settings ``crawler.check`` gives it, archives nothing.

Settings read: ``CHECK_SITEMAP_CHILDREN`` (2: the newest sitemaps of an index that
are followed), ``CHECK_ARTICLE_TRIES`` (3), ``CHECK_MIN_WORDS`` (50: a shorter body
fails), and those of :class:`spiders.outlet.OutletSpider`.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from typing import Any

import scrapy
from scrapy import signals
from scrapy.crawler import Crawler
from scrapy.exceptions import DontCloseSpider, IgnoreRequest
from scrapy.http import Response, TextResponse
from scrapy.spidermiddlewares.httperror import HttpError
from twisted.python.failure import Failure

from crawler.extract.article import extract_page, load_article
from crawler.extract.page import ExtractionError
from crawler.registry import Outlet, Section, Source
from pipelines.relevance import mentions
from spiders.discovery import DiscoveryError, Listing, read_feed, read_sitemap
from spiders.outlet import OutletSpider

logger = logging.getLogger(__name__)

OK, WARN, FAIL = "ok", "warn", "FAIL"


@dataclass
class Finding:
    """What one discovery source, robots.txt or the article gave."""

    kind: str  # "robots.txt", "feed", "sitemap", "section" or "article"
    url: str
    status: str  # OK, WARN or FAIL
    detail: str
    counts: dict[str, int] = field(default_factory=dict)
    parent: str | None = None  # the sitemap index a sitemap was listed in

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def failure_reason(failure: Failure) -> str:
    """Why a request gave no response, in a user's words."""
    if failure.check(HttpError):
        response = failure.value.response
        return f"HTTP {response.status}"
    if failure.check(IgnoreRequest) and "robots.txt" in str(failure.value):
        return "forbidden by robots.txt"
    return f"{failure.type.__name__ if failure.type else 'error'}: {failure.value}"


class CheckSpider(OutletSpider):
    """Checks one outlet of the registry; see the module docstring."""

    @classmethod
    def for_outlet(cls, outlet: Outlet) -> type[CheckSpider]:
        clsname = "Check" + "".join(p.capitalize() for p in outlet.id.split("-")) + "Spider"
        return type(clsname, (cls,), {
            "name": outlet.id, "outlet": outlet,
            "allowed_domains": list(outlet.allowed_domains), "__module__": cls.__module__,
        })

    @classmethod
    def from_crawler(cls, crawler: Crawler, *args: Any, **kwargs: Any) -> CheckSpider:
        spider = super().from_crawler(crawler, *args, **kwargs)
        assert isinstance(spider, CheckSpider)
        crawler.signals.connect(spider.idle, signal=signals.spider_idle)
        return spider

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.findings: list[Finding] = []
        self.listed: list[Listing] = []
        self.tried: set[str] = set()
        self.article_found = False

    # -- discovery sources ----------------------------------------------------

    def _request(self, url: str, kind: str, callback: Any, **cb_kwargs: Any) -> scrapy.Request:
        return scrapy.Request(url, callback, errback=self.failed, dont_filter=True,
                              cb_kwargs=cb_kwargs,
                              meta={"check": kind, "check_url": url,
                                    "parent": cb_kwargs.get("parent")})

    def start_requests(self) -> Iterator[scrapy.Request]:
        for feed in self.outlet.feeds:
            yield self._request(feed.url, "feed", self.check_feed, source=feed)
        for sm in self.outlet.sitemaps:
            yield self._request(sm.url, "sitemap", self.check_sitemap, source=sm)
        for section in self.outlet.sections:
            yield self._request(section.url, "section", self.check_section, section=section)

    def failed(self, failure: Failure) -> None:
        request = failure.request  # type: ignore[attr-defined]
        kind = request.meta.get("check", "request")
        url = request.meta.get("check_url", request.url)
        reason = failure_reason(failure)
        if kind == "article":
            self.findings.append(Finding("article", url, WARN,
                                         f"listed article not fetched: {reason}"))
            return
        self.findings.append(Finding(kind, url, FAIL, reason,
                                     parent=request.meta.get("parent")))

    @staticmethod
    def _url(response: Response) -> str:
        """The URL as the registry or the listing gave it (the report names that one),
        with where a redirect led."""
        url = response.meta.get("check_url", response.url)
        if response.meta.get("redirect_urls"):
            return f"{url} (redirected to {response.url})"
        return str(url)

    def _listings(self, kind: str, url: str, listings: list[Listing], what: str,
                  parent: str | None = None) -> None:
        articles = [x for x in listings if self.outlet.is_article(x.url)]
        self.listed += articles
        detail = f"{what}, {len(listings)} entries, {len(articles)} article link(s)"
        if parent is not None and not articles:
            # An index also lists sitemaps of pages, tags or authors: not a fault.
            detail += " (not an article sitemap)"
        elif listings and not articles:
            detail += ": no entry matches the outlet's article_pattern"
        elif not listings:
            detail += ": lists nothing"
        status = OK if articles or parent is not None else FAIL
        self.findings.append(Finding(kind, url, status, detail,
                                     {"entries": len(listings), "articles": len(articles)},
                                     parent))

    def check_feed(self, response: Response, source: Source) -> None:
        try:
            listings = read_feed(response.body, response.url,
                                 (response.headers.get("Content-Type") or b"").decode("latin-1"))
        except DiscoveryError as exc:
            self.findings.append(Finding("feed", self._url(response), FAIL, f"malformed: {exc}"))
            return
        self._listings("feed", self._url(response), listings, "parsed")

    def check_sitemap(self, response: Response, source: Source,
                      parent: str | None = None) -> Iterator[scrapy.Request]:
        body = self._sitemap_body(response)
        if body is None:
            self.findings.append(Finding("sitemap", self._url(response), FAIL,
                                         "malformed: not valid gzip, or too large",
                                         parent=parent))
            return
        try:
            sitemap = read_sitemap(body, response.url)
        except DiscoveryError as exc:
            self.findings.append(Finding("sitemap", self._url(response), FAIL, f"malformed: {exc}",
                                         parent=parent))
            return
        via = f" (in {parent})" if parent else ""
        if sitemap.kind == "urlset":
            self._listings("sitemap", self._url(response), sitemap.entries, "parsed" + via,
                           parent)
            return
        children = sorted(sitemap.entries, reverse=True,
                          key=lambda x: x.date or datetime.min.replace(tzinfo=UTC))
        follow = children[:self.settings.getint("CHECK_SITEMAP_CHILDREN", 2)]
        self.findings.append(Finding(
            "sitemap", self._url(response), OK if follow else FAIL,
            f"sitemap index of {len(children)}" + (
                f", following the newest {len(follow)}" if follow else ": lists nothing"),
            {"sitemaps": len(children)}))
        for child in follow:
            yield self._request(response.urljoin(child.url), "sitemap", self.check_sitemap,
                                source=source, parent=self._url(response))

    def check_section(self, response: Response, section: Section) -> None:
        if not isinstance(response, TextResponse):
            kind = (response.headers.get("Content-Type") or b"no type").decode("latin-1")
            self.findings.append(Finding("section", self._url(response), FAIL,
                                         f"not HTML ({kind})"))
            return
        links = self.section_links(response, section)
        self.listed += [Listing(url=link.url, title=link.text.strip() or None) for link in links]
        nxt = response.css(section.next).get()
        detail = (f"listed {len(links)} article link(s)"
                  + (", next page found" if nxt else ", no next page")
                  + ("" if links else ": no link matches the outlet's article_pattern"
                     + (f" inside {section.links!r}" if section.links else "")))
        self.findings.append(Finding("section", self._url(response), OK if links else FAIL, detail,
                                     {"articles": len(links), "next_page": int(bool(nxt))}))

    def closed(self, reason: str) -> None:
        """A sitemap index fails when none of the sitemaps followed lists an article."""
        for index in [f for f in self.findings if "sitemaps" in f.counts and f.status == OK]:
            children = [f for f in self.findings if f.parent == index.url]
            if not any(f.counts.get("articles") for f in children):
                index.status = FAIL
                index.detail += ": none of them lists an article"

    # -- one listed article ---------------------------------------------------

    def _next_article(self) -> Listing | None:
        fresh = [x for x in self.listed if x.url not in self.tried]
        # Prefer what the crawl would keep: a listed title that names Syria.
        about = [x for x in fresh if mentions(x.headline_text())]
        return (about or fresh)[0] if fresh else None

    def idle(self) -> None:
        tries = self.settings.getint("CHECK_ARTICLE_TRIES", 3)
        if self.article_found or len(self.tried) >= tries:
            self._give_up()
            return
        listing = self._next_article()
        if listing is None:
            self._give_up()
            return
        self.tried.add(listing.url)
        request = self._request(listing.url, "article", self.check_article,
                                listed_date=listing.date)
        assert self.crawler.engine is not None
        self.crawler.engine.crawl(request)
        raise DontCloseSpider

    def _give_up(self) -> None:
        if self.article_found or any(f.kind == "article" and f.status == FAIL
                                     for f in self.findings):
            return
        detail = (f"none of {len(self.tried)} listed article(s) could be extracted"
                  if self.tried else "no source listed an article to try")
        self.findings.append(Finding("article", "", FAIL, detail))

    def check_article(self, response: Response, listed_date: datetime | None) -> None:
        try:
            fields = extract_page(response.body, response.url, content_type=(
                response.headers.get("Content-Type") or b"").decode("latin-1"))
        except ExtractionError as exc:
            self.findings.append(Finding("article", self._url(response), WARN,
                                         f"no article extracted ({exc.reason}): {exc}"))
            return
        article = load_article(fields, url=response.url, outlet=self.outlet.id,
                               language=self.outlet.language, timezone=self.outlet.timezone,
                               status=response.status)
        words = int(article.get("word_count") or 0)
        lacking = [name for name, present in (
            ("title", article.get("title")), ("date", article.get("published")),
            (f"a body of {self.settings.getint('CHECK_MIN_WORDS', 50)} words",
             words >= self.settings.getint("CHECK_MIN_WORDS", 50))) if not present]
        syria = "about Syria" if mentions(article.get("text")) else "does not name Syria"
        title = article.get("title") or ""
        detail = (f"title {title[:60]!r}, published {article.get('published')}, "
                  f"body {words} words, {syria}")
        if lacking == ["date"] and listed_date is not None:
            self.findings.append(Finding("article", self._url(response), WARN,
                                         detail + "; the page gives no date, only its listing"))
            self.article_found = True
        elif lacking:
            self.findings.append(Finding("article", self._url(response), WARN,
                                         detail + "; lacks " + ", ".join(lacking)))
        else:
            self.findings.append(Finding("article", self._url(response), OK, detail,
                                         {"words": words}))
            self.article_found = True
