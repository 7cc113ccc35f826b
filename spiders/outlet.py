"""The generic outlet spider: one class, one subclass per registry entry.

Discovery runs from the outlet's feeds, sitemaps and Syria section pages.
Feed and sitemap entries older than ``since`` are skipped, and so are entries
whose title, summary and keywords show no Syria term (unless the source or the
outlet is all about Syria, or ``DISCOVERY_SKIP_UNRELATED`` is off); section
pages are taken whole, followed through their pagination up to ``max_pages``:
next-page links, or the JSON endpoint the page's "show more" button calls (the
registry's ``[sections.more]``: stories, links, titles and dates at dotted paths).

Spider arguments: ``since`` (a date, ISO 8601), ``max_pages`` (section depth),
``urls`` (article URLs to archive now, space- or comma-separated; discovery is
then skipped), ``seeds`` (false: start from nothing but the shared queue of a
distributed crawl, ``syria-archive worker``).
Settings read: ``SECTION_MAX_PAGES``, ``DISCOVERY_SKIP_UNRELATED``, ``EXTRACT_WORKERS``,
``EXTRACT_TIMEOUT``, ``EXTRACT_RETRIES``,
``SITEMAP_MAX_SIZE``, ``CONTACT_URL``, ``USER_AGENT_TEMPLATE``.
"""

from __future__ import annotations

import json
import logging
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime
from typing import Any, ClassVar
from urllib.parse import urljoin

import scrapy
from scrapy import signals
from scrapy.http import Response, TextResponse
from scrapy.link import Link
from scrapy.linkextractors import LinkExtractor
from scrapy.settings import BaseSettings
from scrapy.utils.gz import gunzip, gzip_magic_number
from scrapy.utils.url import url_is_from_any_domain
from twisted.python.failure import Failure

from crawler import __version__
from crawler.extract.article import CHARSET_NOTE, load_article
from crawler.extract.dates import parse_listing_date, parse_since
from crawler.extract.page import ExtractionError
from crawler.extract.pool import ExtractionFailed, extract, worker_count
from crawler.registry import DEFAULT_MAX_PAGES, Outlet, Section, Source
from pipelines.relevance import mentions
from spiders.discovery import DiscoveryError, Listing, Sitemap, off_reactor, read_feed, read_sitemap
from spiders.failures import failure_reason
from spiders.walls import WALL_MAX_WORDS, find_wall

logger = logging.getLogger(__name__)

_MISSING = object()


def json_path(data: Any, path: str, default: Any = _MISSING) -> Any:
    """The value at a dotted path (``data.articles``, ``headlines.basic``) of parsed JSON."""
    for part in path.split("."):
        if isinstance(data, dict) and part in data:
            data = data[part]
        elif isinstance(data, list) and part.isdigit() and int(part) < len(data):
            data = data[int(part)]
        elif default is _MISSING:
            raise KeyError(f"no {part!r} in {path!r}")
        else:
            return default
    return data


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

    @classmethod
    def from_crawler(cls, crawler: Any, *args: Any, **kwargs: Any) -> OutletSpider:
        spider = super().from_crawler(crawler, *args, **kwargs)
        crawler.signals.connect(spider.request_scheduled, signal=signals.request_scheduled)
        return spider

    def request_scheduled(self, request: scrapy.Request) -> None:
        """A redirect that leads off the outlet's domains is not followed (Scrapy's offsite
        filter drops it without a word): counted and said once here."""
        redirects = request.meta.get("redirect_urls")
        if redirects and not url_is_from_any_domain(request.url, self.outlet.allowed_domains):
            self._stat("fetch/failed/redirect_offsite")
            logger.warning("Not followed: %s redirects off %s, to %s", redirects[0],
                           self.outlet.id, request.url)

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
                                 priority=10, dont_filter=True, errback=self.fetch_failed)
        for sm in self.outlet.sitemaps:
            yield scrapy.Request(sm.url, self.parse_sitemap, cb_kwargs={"source": sm},
                                 priority=10, dont_filter=True, errback=self.fetch_failed)
        for section in self.outlet.sections:
            yield scrapy.Request(section.url, self.parse_section,
                                 cb_kwargs={"section": section, "page": 1},
                                 priority=10, dont_filter=True, errback=self.fetch_failed)

    def _stat(self, key: str) -> None:
        assert self.crawler.stats is not None
        self.crawler.stats.inc_value(key)

    def _wall(self, response: TextResponse,
              kinds: tuple[str, ...] = ("challenge", "paywall", "consent")) -> bool:
        """A challenge, consent or paywall page instead of the article: counted, and not
        done with (the outcome stays "failed"), so the next run asks for it again."""
        wall = find_wall(response.text, kinds)
        if wall is None:
            return False
        self._stat(f"wall/{wall[0]}")
        logger.warning("Article %s answered with a %s page (%s), not the article; archived "
                       "as it came, fetched again next run", response.url, wall[0], wall[1])
        return True

    def _source_problem(self, kind: str, problem: str, url: str) -> None:
        """A feed, sitemap or section page that listed nothing or could not be read:
        counted (``discovery/<kind>/<problem>``) and named in ``discovery/problems``
        (URL -> what), so that the run's report can say which source it was."""
        assert self.crawler.stats is not None
        self._stat(f"discovery/{kind}/{problem}")
        problems = dict(self.crawler.stats.get_value("discovery/problems", {}))
        problems[url] = f"{kind} {problem}"
        self.crawler.stats.set_value("discovery/problems", problems)
        if problem == "empty":
            logger.warning("The %s %s lists no article", kind, url)

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
                              meta={"article": True, "discovery": discovery},
                              errback=self.fetch_failed)

    def fetch_failed(self, failure: Failure) -> None:
        """A request that got no usable response: counted by reason, one log line."""
        reason = failure_reason(failure)
        if reason is None:
            return
        request = getattr(failure, "request", None)
        self._stat(f"fetch/failed/{reason}")
        url = "?" if request is None else (request.meta.get("redirect_urls") or [request.url])[0]
        via = f" (redirected to {request.url})" if request is not None and url != request.url \
            else ""
        logger.error("Fetch failed (%s): %s%s: %s", reason, url, via, failure.value)

    def _cut_short(self, response: Response, then: str = "read as far as it goes") -> bool:
        if "dataloss" not in response.flags:
            return False
        self._stat("fetch/failed/body_cut_short")
        logger.warning("%s: the body was cut short (%d bytes received); archived as "
                       "received, %s", response.url, len(response.body), then)
        return True

    async def parse_feed(self, response: Response,
                         source: Source) -> AsyncIterator[scrapy.Request]:
        self._cut_short(response)
        try:
            listings = await off_reactor(
                response.body, read_feed, response.body, response.url,
                (response.headers.get("Content-Type") or b"").decode("latin-1"))
        except DiscoveryError as exc:
            self._source_problem("feed", "malformed", response.url)
            logger.error("%s", exc)
            return
        self._stat("discovery/feed/read")
        if not listings:
            self._source_problem("feed", "empty", response.url)
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

    def _read_sitemap(self, response: Response) -> Sitemap | None:
        body = self._sitemap_body(response)
        return None if body is None else read_sitemap(body, response.url)

    async def parse_sitemap(self, response: Response,
                            source: Source) -> AsyncIterator[scrapy.Request]:
        self._cut_short(response)
        try:
            # A news sitemap can be tens of megabytes: read in a thread, off the reactor.
            sitemap = await off_reactor(response.body, self._read_sitemap, response)
        except DiscoveryError as exc:
            self._source_problem("sitemap", "malformed", response.url)
            logger.error("%s", exc)
            return
        if sitemap is None:
            self._source_problem("sitemap", "malformed", response.url)
            return
        self._stat("discovery/sitemap/read")
        if sitemap.damaged:  # read as far as it goes, and said
            self._source_problem("sitemap", "malformed", response.url)
            logger.error("Sitemap %s is malformed XML (%s); its readable entries are used",
                         response.url, sitemap.damaged)
        if not sitemap.entries:
            self._source_problem("sitemap", "empty", response.url)
        for listing in sitemap.entries:
            if sitemap.kind == "sitemapindex":
                if self._before_since(listing):
                    continue
                yield response.follow(listing.url, self.parse_sitemap,
                                      cb_kwargs={"source": source}, priority=10,
                                      errback=self.fetch_failed)
                continue
            req = self._take(listing, source, "sitemap", response.url)
            if req is not None:
                yield req

    def section_links(self, response: TextResponse, section: Section) -> list[Link]:
        """The article links of a section page (in its ``links`` region, when given)."""
        return LinkExtractor(
            allow=self.outlet.article_pattern.pattern,
            deny=self.outlet.exclude_pattern.pattern if self.outlet.exclude_pattern else (),
            allow_domains=self.outlet.allowed_domains,
            restrict_css=section.links or (),
            unique=True,
        ).extract_links(response)

    def parse_section(self, response: Response, section: Section,
                      page: int) -> Iterator[scrapy.Request]:
        if not isinstance(response, TextResponse):
            logger.error("Section page %s is not HTML (%s)", response.url,
                         response.headers.get("Content-Type"))
            return
        self._cut_short(response)
        self._stat("discovery/section/pages")
        links = self.section_links(response, section)
        if not links and page == 1:
            self._source_problem("section", "empty", response.url)
        for link in links:
            self._stat("discovery/section/listed")
            yield self._article_request(link.url, {
                "kind": "section", "source": response.url, "title": link.text.strip() or None,
                "date": None,
            })
        max_pages = self.max_pages or section.max_pages or self.settings.getint(
            "SECTION_MAX_PAGES", DEFAULT_MAX_PAGES)
        if section.more is not None:
            # the page's "show more" button asks a JSON endpoint for the next stories
            if page < max_pages:
                yield self._more_request(section, page + 1, section.more.offset)
            return
        nxt = response.css(section.next).get()
        if nxt and page < max_pages:
            yield response.follow(nxt.strip(), self.parse_section,
                                  cb_kwargs={"section": section, "page": page + 1}, priority=10,
                                  meta={"next_page": True}, errback=self.fetch_failed)

    def _more_request(self, section: Section, page: int, offset: int) -> scrapy.Request:
        assert section.more is not None
        url = section.more.url.replace("{offset}", str(offset)).replace("{page}", str(page))
        return scrapy.Request(url, self.parse_more, headers=dict(section.more.headers),
                              cb_kwargs={"section": section, "page": page, "offset": offset},
                              priority=10, meta={"next_page": True})

    def parse_more(self, response: Response, section: Section, page: int,
                   offset: int) -> Iterator[scrapy.Request]:
        """One batch of a section's stories from its JSON endpoint (registry ``more``)."""
        more = section.more
        assert more is not None
        try:
            items = json_path(json.loads(response.body), more.items)
            if not isinstance(items, list):
                raise TypeError(f"{more.items!r} is not a list")
        except (ValueError, TypeError, KeyError) as exc:
            self._source_problem("section", "malformed", response.url)
            logger.error("Section endpoint %s: not the JSON the registry describes "
                         "(stories at %r): %s", response.url, more.items, exc)
            return
        self._stat("discovery/section/pages")
        for item in items:
            link = json_path(item, more.link, None)
            if not isinstance(link, str) or not link.strip():
                continue
            title = json_path(item, more.title, None) if more.title else None
            listing = Listing(url=urljoin(section.url, link.strip()),
                              title=title if isinstance(title, str) else None,
                              date=parse_listing_date(json_path(item, more.date, None))
                              if more.date else None)
            if not self.outlet.is_article(listing.url):
                self._stat("discovery/section/not_article")
                continue
            if self._before_since(listing):
                continue
            self._stat("discovery/section/listed")
            yield self._article_request(listing.url, {
                "kind": "section", "source": response.url, "title": listing.title,
                "date": listing.date.isoformat() if listing.date else None})
        max_pages = self.max_pages or section.max_pages or self.settings.getint(
            "SECTION_MAX_PAGES", DEFAULT_MAX_PAGES)
        if len(items) >= more.step and page < max_pages:
            yield self._more_request(section, page + 1, offset + more.step)

    # -- articles --------------------------------------------------------

    async def parse_article(self, response: Response,
                            discovery: dict[str, Any]) -> AsyncIterator[Any]:
        # The verdict on the page, for incremental crawls (spiders.incremental): "dropped"
        # pages are done with, "failed" ones are fetched again by the next run.
        response.meta["article_outcome"] = "failed"
        if self._cut_short(response, "not extracted; fetched again next run"):
            return
        if not isinstance(response, TextResponse):
            response.meta["article_outcome"] = "dropped"
            self._stat("item_dropped/not_html")
            logger.warning("Article %s is not HTML (%s); archived, not extracted", response.url,
                           response.headers.get("Content-Type"))
            return
        try:
            # In the worker pool (EXTRACT_WORKERS), so fetching goes on meanwhile.
            fields = await extract(
                response.body, response.url,
                content_type=(response.headers.get("Content-Type") or b"").decode("latin-1"),
                workers=worker_count(self.settings.getint("EXTRACT_WORKERS", -1)),
                timeout=self.settings.getfloat("EXTRACT_TIMEOUT", 60) or None,
                retries=self.settings.getint("EXTRACT_RETRIES", 2), stats=self.crawler.stats)
        except ExtractionError as exc:
            if exc.reason != "not_article" and self._wall(response):
                return
            response.meta["article_outcome"] = "dropped"
            self._stat(f"item_dropped/{exc.reason}")
            # a gallery or video page is expected on any site; other reasons are worth a look
            logger.log(logging.INFO if exc.reason == "not_article" else logging.WARNING,
                       "No article in %s: %s", response.url, exc)
            return
        except ExtractionFailed as exc:
            self._stat(f"extract/failed/{exc.reason}")
            logger.error("Extraction failed: %s; the page is fetched again next run", exc)
            return
        except Exception:
            # A page that breaks the extractor must not stop the crawl; it is counted
            # and tried again next run.
            self._stat("extract/failed/error")
            logger.exception("Extraction failed for %s", response.url)
            return
        charset = fields.get(CHARSET_NOTE)
        if charset:  # read right, but the outlet's label is wrong: worth knowing
            self._stat("extract/charset_mislabelled")
            logger.warning("Charset label of %s is wrong: %s", response.url, charset)
        words = sum(len(p.split()) for p in fields.get("body") or [])
        if words < WALL_MAX_WORDS and self._wall(response, ("challenge", "paywall")):
            return
        response.meta["article_outcome"] = "extracted"
        yield load_article(
            fields, url=response.url, outlet=self.outlet.id, language=self.outlet.language,
            timezone=self.outlet.timezone, status=response.status,
            # The URL as listed, before redirects: what the incremental state knows it by.
            discovery={**discovery, "url": (response.meta.get("redirect_urls")
                                            or [response.url])[0]},
            fetched_at=datetime.now(UTC).isoformat(timespec="seconds"),
            warc=response.meta.get("warc"),
            previous_version=response.meta.get("previous_version"))
