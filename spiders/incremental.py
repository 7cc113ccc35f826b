"""Incremental crawls: an article page fetched in an earlier run is not fetched again.

A spider middleware in the manner of scrapy-deltafetch.  Article requests
(``meta["article"]``) whose fingerprint (Scrapy's own request fingerprinter)
is in the store are dropped, unless the feed or sitemap that listed them now
gives a later date than the one recorded: such an article is fetched again as
a new version, and the request carries ``meta["previous_version"]`` (when and
where the old one was archived).  Feeds, sitemaps, section pages and robots.txt
are not article requests and are always fetched, except that a section's next
page (``meta["next_page"]``) is not followed when the page before it lists no
link it did not list at the last run: listings run newest first, so nothing new
lies further back.  A request can opt out with ``meta["incremental"] = False``.

A page counts as fetched only once its article was exported (``item_scraped``)
or deliberately dropped (a pipeline's ``item_dropped``, or the spider's verdict
``meta["article_outcome"] = "dropped"``: not HTML, no article in the page).  A
page whose extraction failed (``"failed"``: worker died, time limit, body cut
short) is not recorded, so the next run fetches it again.  It is recorded under
the URL it was listed with and, after a redirect, under the final URL too.

Settings read: ``INCREMENTAL_ENABLED``, ``INCREMENTAL_STATE`` (default
``DATA_DIR/state/fetched.sqlite3``; in Redis under ``REDIS_PREFIX`` when ``REDIS_URL``
is set, :mod:`spiders.fetchedredis`).  Stats: ``incremental/skipped``,
``incremental/updated``, ``incremental/recorded``, ``incremental/pagination_stopped``,
``incremental/not_recorded`` (failed pages, fetched again next run).
"""

from __future__ import annotations

import json
import logging
from collections.abc import AsyncIterator, Iterable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from scrapy import Request, signals
from scrapy.crawler import Crawler
from scrapy.exceptions import NotConfigured
from scrapy.http import Response
from scrapy.statscollectors import StatsCollector

from archive.statedb import close_off_reactor, open_state_db

logger = logging.getLogger(__name__)


class FetchedStore:
    """Article pages fetched before: fingerprint -> URL, listed date, fetch time, record."""

    def __init__(self, path: Path) -> None:
        # Recovery rebuilds it from a killed run's exports: commits wait for no fsync.
        self.db = open_state_db(path, synchronous_normal=True, schema="""
            CREATE TABLE IF NOT EXISTS fetched (fp TEXT PRIMARY KEY, url TEXT, listed TEXT,
                                                fetched_at TEXT, record_id TEXT);
            CREATE TABLE IF NOT EXISTS listings (page TEXT PRIMARY KEY, links TEXT NOT NULL);
        """)

    def get(self, fp: str) -> dict[str, Any] | None:
        row = self.db.execute("SELECT url, listed, fetched_at, record_id FROM fetched "
                              "WHERE fp = ?", (fp,)).fetchone()
        if row is None:
            return None
        return {"url": row[0], "listed": row[1], "fetched_at": row[2], "record_id": row[3]}

    def put(self, fp: str, url: str, listed: str | None, fetched_at: str,
            record_id: str | None, replace: bool = True) -> None:
        self.db.execute(f"INSERT OR {'REPLACE' if replace else 'IGNORE'} INTO fetched "
                        "VALUES (?, ?, ?, ?, ?)", (fp, url, listed, fetched_at, record_id))

    def listing(self, page: str) -> set[str] | None:
        """The article links a listing page gave at its last fetch."""
        row = self.db.execute("SELECT links FROM listings WHERE page = ?", (page,)).fetchone()
        return set(json.loads(row[0])) if row else None

    def put_listing(self, page: str, links: set[str]) -> None:
        self.db.execute("INSERT OR REPLACE INTO listings VALUES (?, ?)",
                        (page, json.dumps(sorted(links))))

    def close(self) -> None:
        self.db.close()


def _later(new: str | None, old: str | None) -> bool:
    if not new:
        return False
    if not old:
        return True
    try:
        return datetime.fromisoformat(new) > datetime.fromisoformat(old)
    except ValueError:
        return False


class _Listing:
    """The article links one response lists, against those it listed last time."""

    def __init__(self, store: FetchedStore, url: str) -> None:
        self.store, self.url = store, url
        self.links: set[str] = set()
        self.paginated = False

    def has_news(self) -> bool:
        """Asked when the page links to its next page (only such pages are remembered)."""
        self.paginated = True
        previous = self.store.listing(self.url)
        return previous is None or not self.links <= previous

    def save(self) -> None:
        if self.paginated and self.links:
            self.store.put_listing(self.url, self.links)


class IncrementalFetchMiddleware:
    def __init__(self, store: FetchedStore, stats: StatsCollector, fingerprinter: Any) -> None:
        self.store = store
        self.stats = stats
        self.fingerprinter = fingerprinter

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> IncrementalFetchMiddleware:
        settings = crawler.settings
        if not settings.getbool("INCREMENTAL_ENABLED", True):
            raise NotConfigured("INCREMENTAL_ENABLED is off")
        assert crawler.stats is not None
        store: Any
        if settings.get("REDIS_URL"):
            # A distributed crawl: what any worker fetched (redis imported only then).
            from archive.redisdb import from_settings
            from spiders.fetchedredis import RedisFetchedStore

            server, keys = from_settings(settings)
            store = RedisFetchedStore(server, keys.prefix)
        else:
            store = FetchedStore(Path(settings.get("INCREMENTAL_STATE") or Path(
                settings.get("DATA_DIR", "data")) / "state" / "fetched.sqlite3"))
        mw = cls(store, crawler.stats, crawler.request_fingerprinter)
        crawler.signals.connect(mw.item_scraped, signal=signals.item_scraped)
        crawler.signals.connect(mw.item_dropped, signal=signals.item_dropped)
        crawler.signals.connect(mw.spider_closed, signal=signals.spider_closed)
        return mw

    def _fp(self, request: Request) -> str:
        return self.fingerprinter.fingerprint(request).hex()

    def listed_urls(self, response: Response) -> list[str]:
        """The URL the page was listed with, then the one it ended at (after redirects)."""
        first = (response.meta.get("redirect_urls") or [response.url])[0]
        return list(dict.fromkeys([first, response.url]))

    def record(self, response: Response | None) -> None:
        """The page behind ``response`` is done with: not to be fetched again."""
        request = response.request if response is not None else None
        if (response is None or request is None or not request.meta.get("article")
                or request.meta.get("incremental") is False or response.status != 200
                or request.meta.get("incremental_recorded")):
            return
        request.meta["incremental_recorded"] = True
        discovery = request.meta.get("discovery") or {}
        now = datetime.now(UTC).isoformat(timespec="seconds")
        record_id = (request.meta.get("warc") or {}).get("record_id")
        for url in self.listed_urls(response):
            self.store.put(self._fp(Request(url)), url, discovery.get("date"), now, record_id)
        self.stats.inc_value("incremental/recorded")

    def item_scraped(self, item: Any, response: Response | None) -> None:
        self.record(response)

    def item_dropped(self, item: Any, response: Response | None) -> None:
        self.record(response)

    def _outcome(self, response: Response) -> None:
        """After the callback: a page the spider judged (no article in it) is done; a page
        whose extraction failed is left for the next run."""
        outcome = response.meta.get("article_outcome")
        if outcome == "dropped":
            self.record(response)
        elif outcome == "failed" and response.meta.get("article"):
            self.stats.inc_value("incremental/not_recorded")

    def _filter(self, request: Any) -> Any:
        if (not isinstance(request, Request) or not request.meta.get("article")
                or request.meta.get("incremental") is False):
            return request
        old = self.store.get(self._fp(request))
        if old is None:
            return request
        listed = (request.meta.get("discovery") or {}).get("date")
        # Updated since we last fetched it (a listing date before our fetch is old news).
        if _later(listed, old["listed"]) and _later(listed, old["fetched_at"]):
            self.stats.inc_value("incremental/updated")
            request.meta["previous_version"] = {
                "fetched_at": old["fetched_at"], "record_id": old["record_id"],
                "listed": old["listed"]}
            return request
        self.stats.inc_value("incremental/skipped")
        logger.debug("Already archived, not fetched again: %s", request.url)
        return None

    def _page(self, r: Any, page: _Listing) -> Any:
        """Filter one output of a callback, noting the article links it lists."""
        if isinstance(r, Request) and r.meta.get("next_page") and not page.has_news():
            self.stats.inc_value("incremental/pagination_stopped")
            logger.debug("Nothing new listed on %s: next page not followed", page.url)
            return None
        if isinstance(r, Request) and r.meta.get("article"):
            page.links.add(r.url)
        return self._filter(r)

    def process_spider_output(self, response: Response, result: Iterable[Any]) -> Iterable[Any]:
        page = _Listing(self.store, response.url)
        for r in result:
            r = self._page(r, page)
            if r is not None:
                yield r
        page.save()
        self._outcome(response)

    async def process_spider_output_async(self, response: Response,
                                          result: AsyncIterator[Any]) -> AsyncIterator[Any]:
        page = _Listing(self.store, response.url)
        async for r in result:
            r = self._page(r, page)
            if r is not None:
                yield r
        page.save()
        self._outcome(response)

    async def spider_closed(self) -> None:
        await close_off_reactor(self.store.close)
