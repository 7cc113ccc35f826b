"""The generic outlet spider: one class, one subclass per registry entry.

Discovery runs from the outlet's feeds, sitemaps and Syria section pages.
Feed and sitemap entries older than ``since`` are skipped, and so are entries
whose title, summary and keywords show no Syria term (unless the source or the
outlet is all about Syria, or ``DISCOVERY_SKIP_UNRELATED`` is off); section
pages are taken whole, followed through their pagination up to ``max_pages``.

Spider arguments: ``since`` (a date, ISO 8601), ``max_pages`` (section depth),
``urls`` (article URLs to archive now, space- or comma-separated; discovery is
then skipped), ``seeds`` (false: start from nothing but the shared queue of a
distributed crawl, ``syria-archive worker``).
Settings read: ``SECTION_MAX_PAGES``, ``DISCOVERY_SKIP_UNRELATED``, ``EXTRACT_WORKERS``,
``SITEMAP_MAX_SIZE``, ``CONTACT_URL``, ``USER_AGENT_TEMPLATE``.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime
from typing import Any, ClassVar

import scrapy
from scrapy.http import Response, TextResponse
from scrapy.linkextractors import LinkExtractor
from scrapy.settings import BaseSettings
from scrapy.utils.gz import gunzip, gzip_magic_number
from scrapy.utils.url import url_is_from_any_domain

from crawler import __version__
from crawler.extract.article import load_article
from crawler.extract.dates import parse_since
from crawler.extract.page import ExtractionError
from crawler.extract.pool import extract, worker_count
from crawler.registry import DEFAULT_MAX_PAGES, Outlet, Section, Source
from pipelines.relevance import mentions
from spiders.discovery import DiscoveryError, Listing, read_feed, read_sitemap

logger = logging.getLogger(__name__)


class OutletSpider(scrapy.Spider):
    """Crawls one outlet of the registry; see :meth:`for_outlet`."""

    outlet: ClassVar[Outlet]

    @classmethod
    def for_outlet(cls, outlet: Outlet) -> type[OutletSpider]:
        """The spider class of one outlet, named after its id."""
        clsname = "".join(p.capitalize() for p in outlet.id.split("-")) + "Spider"
        return type(clsname, (cls,), {
            "name": outlet.id, "outlet": outlet,
            "allowed_domains": list(outlet.allowed_domains),
            "__module__": cls.__module__,
            "__doc__": f"{outlet.name} ({outlet.language}), {outlet.base_url}",
        })

    @classmethod
    def update_settings(cls, settings: BaseSettings) -> None:
        super().update_settings(settings)
        if getattr(cls, "outlet", None) is not None and cls.outlet.download_delay is not None:
            settings.set("DOWNLOAD_DELAY", cls.outlet.download_delay, priority="spider")
        if settings.getpriority("USER_AGENT") in (None, 0, 10, 20):
            # Named after the project with a contact URL, as crawler etiquette asks.
            settings.set("USER_AGENT", settings.get("USER_AGENT_TEMPLATE").format(
                version=__version__, contact=settings.get("CONTACT_URL")), priority="project")

    def __init__(self, since: str | None = None, max_pages: str | int | None = None,
                 urls: str | list[str] | None = None, seeds: bool | str = True,
                 **kwargs: Any) -> None:
        super().__init__(**kwargs)
        # A worker of a distributed crawl takes its work from the shared queue only.
        self.seeds = seeds not in (False, "false", "False", "0", "no")
        self.since = parse_since(since)
        self.max_pages = int(max_pages) if max_pages not in (None, "") else None
        if isinstance(urls, str):
            urls = [u for u in urls.replace(",", " ").split() if u]
        self.urls = list(urls or [])
        for url in self.urls:
            if not url_is_from_any_domain(url, self.outlet.allowed_domains):
                raise ValueError(f"urls: {url} is not on {self.outlet.id}'s allowed domains "
                                 f"({', '.join(self.outlet.allowed_domains)})")

    # -- discovery -------------------------------------------------------

    async def start(self) -> AsyncIterator[Any]:
        if not self.seeds:
            return
        for req in self.start_requests():
            yield req

    def start_requests(self) -> Iterator[scrapy.Request]:
        if self.urls:
            for url in self.urls:
                yield self._article_request(url, {"kind": "manual", "source": None,
                                                  "title": None, "date": None})
            return
        for feed in self.outlet.feeds:
            yield scrapy.Request(feed.url, self.parse_feed, cb_kwargs={"source": feed},
                                 priority=10, dont_filter=True)
        for sm in self.outlet.sitemaps:
            yield scrapy.Request(sm.url, self.parse_sitemap, cb_kwargs={"source": sm},
                                 priority=10, dont_filter=True)
        for section in self.outlet.sections:
            yield scrapy.Request(section.url, self.parse_section,
                                 cb_kwargs={"section": section, "page": 1},
                                 priority=10, dont_filter=True)

    def _stat(self, key: str) -> None:
        assert self.crawler.stats is not None
        self.crawler.stats.inc_value(key)

    def _before_since(self, listing: Listing) -> bool:
        """A listing dated before the since-date is not followed (counted)."""
        if self.since and listing.date and listing.date < self.since:
            self._stat("discovery/skipped/before_since")
            return True
        return False

    def _take(self, listing: Listing, source: Source, kind: str,
              via: str) -> scrapy.Request | None:
        """A request for a listed article, or None when the listing says skip it."""
        url = listing.url
        if not self.outlet.is_article(url):
            self._stat(f"discovery/{kind}/not_article")
            return None
        if self._before_since(listing):
            return None
        if (listing.title and not (source.syria or self.outlet.all_syria)
                and self.settings.getbool("DISCOVERY_SKIP_UNRELATED")
                and not mentions(listing.headline_text())):
            self._stat("discovery/skipped/not_about_syria")
            logger.debug("Skipped before fetching, not about Syria: %s (%r)", url, listing.title)
            return None
        self._stat(f"discovery/{kind}/listed")
        return self._article_request(url, {
            "kind": kind, "source": via, "title": listing.title,
            "date": listing.date.isoformat() if listing.date else None,
        })

    def _article_request(self, url: str, discovery: dict[str, Any]) -> scrapy.Request:
        return scrapy.Request(url, self.parse_article, cb_kwargs={"discovery": discovery},
                              meta={"article": True, "discovery": discovery})

    def parse_feed(self, response: Response, source: Source) -> Iterator[scrapy.Request]:
        try:
            listings = read_feed(response.body, response.url,
                                 (response.headers.get("Content-Type") or b"").decode("latin-1"))
        except DiscoveryError as exc:
            self._stat("discovery/feed/malformed")
            logger.error("%s", exc)
            return
        self._stat("discovery/feed/read")
        for listing in listings:
            req = self._take(listing, source, "feed", response.url)
            if req is not None:
                yield req

    def _sitemap_body(self, response: Response) -> bytes | None:
        if gzip_magic_number(response):
            max_size = self.settings.getint("SITEMAP_MAX_SIZE")
            try:
                return gunzip(response.body, max_size=max_size)
            except ValueError:
                logger.error("Sitemap %s is larger than SITEMAP_MAX_SIZE=%d once decompressed",
                             response.url, max_size)
            except OSError as exc:
                logger.error("Sitemap %s is not valid gzip: %s", response.url, exc)
            return None
        return response.body

    def parse_sitemap(self, response: Response, source: Source) -> Iterator[scrapy.Request]:
        body = self._sitemap_body(response)
        if body is None:
            self._stat("discovery/sitemap/malformed")
            return
        try:
            sitemap = read_sitemap(body, response.url)
        except DiscoveryError as exc:
            self._stat("discovery/sitemap/malformed")
            logger.error("%s", exc)
            return
        self._stat("discovery/sitemap/read")
        for listing in sitemap.entries:
            if sitemap.kind == "sitemapindex":
                if self._before_since(listing):
                    continue
                yield response.follow(listing.url, self.parse_sitemap,
                                      cb_kwargs={"source": source}, priority=10)
                continue
            req = self._take(listing, source, "sitemap", response.url)
            if req is not None:
                yield req

    def parse_section(self, response: Response, section: Section,
                      page: int) -> Iterator[scrapy.Request]:
        if not isinstance(response, TextResponse):
            logger.error("Section page %s is not HTML (%s)", response.url,
                         response.headers.get("Content-Type"))
            return
        self._stat("discovery/section/pages")
        extractor = LinkExtractor(
            allow=self.outlet.article_pattern.pattern,
            deny=self.outlet.exclude_pattern.pattern if self.outlet.exclude_pattern else (),
            allow_domains=self.outlet.allowed_domains,
            restrict_css=section.links or (),
            unique=True,
        )
        for link in extractor.extract_links(response):
            self._stat("discovery/section/listed")
            yield self._article_request(link.url, {
                "kind": "section", "source": response.url, "title": link.text.strip() or None,
                "date": None,
            })
        max_pages = self.max_pages or section.max_pages or self.settings.getint(
            "SECTION_MAX_PAGES", DEFAULT_MAX_PAGES)
        nxt = response.css(section.next).get()
        if nxt and page < max_pages:
            yield response.follow(nxt.strip(), self.parse_section,
                                  cb_kwargs={"section": section, "page": page + 1}, priority=10,
                                  meta={"next_page": True})

    # -- articles --------------------------------------------------------

    async def parse_article(self, response: Response,
                            discovery: dict[str, Any]) -> AsyncIterator[Any]:
        if not isinstance(response, TextResponse):
            self._stat("item_dropped/not_html")
            logger.warning("Article %s is not HTML (%s); archived, not extracted", response.url,
                           response.headers.get("Content-Type"))
            return
        try:
            # In the worker pool (EXTRACT_WORKERS), so fetching goes on meanwhile.
            fields = await extract(
                response.body, response.url,
                content_type=(response.headers.get("Content-Type") or b"").decode("latin-1"),
                workers=worker_count(self.settings.getint("EXTRACT_WORKERS", -1)))
        except ExtractionError as exc:
            self._stat(f"item_dropped/{exc.reason}")
            logger.warning("No article in %s: %s", response.url, exc)
            return
        except Exception:
            # A page that breaks the extractor must not stop the crawl; it is counted.
            self._stat("item_dropped/extraction_error")
            logger.exception("Extraction failed for %s", response.url)
            return
        yield load_article(
            fields, url=response.url, outlet=self.outlet.id, language=self.outlet.language,
            timezone=self.outlet.timezone, status=response.status, discovery=discovery,
            fetched_at=datetime.now(UTC).isoformat(timespec="seconds"),
            warc=response.meta.get("warc"),
            previous_version=response.meta.get("previous_version"))
