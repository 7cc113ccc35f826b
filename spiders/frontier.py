"""Workers of a distributed crawl: requests finished, heartbeats, the dead's work, idling.

With ``REDIS_URL`` set, the scheduler is scrapy-redis' and the queue is
:class:`spiders.frontierqueue.FrontierQueue`, which keeps each popped request in
the worker's in-flight hash.  The components here take it out again:

- :class:`FrontierSpiderMiddleware`: once the request's callback has given all
  its output and its items have left the pipelines (scraped, dropped or failed),
  or the callback failed;
- :class:`FrontierDownloaderMiddleware`: once the download failed for good (after
  the retries, or refused by robots.txt or the offsite filter); also when the
  scheduler drops a successor request (a redirect to a URL already queued).

:class:`WorkerExtension` beats a heartbeat (``PREFIX:alive:WORKER`` with a TTL,
and the worker's counts in ``PREFIX:workers``), puts back into the queue the
in-flight requests of workers whose heartbeat expired, and keeps the spider
open while the shared queue may still get work; with ``REDIS_UNTIL_EMPTY`` it
lets it close once the outlet's queue, and every other worker's in-flight
requests of that outlet, stayed empty for ``REDIS_IDLE_TIMEOUT`` seconds.

Settings read: ``REDIS_URL``, ``REDIS_PREFIX``, ``REDIS_WORKER_ID``,
``REDIS_HEARTBEAT_INTERVAL`` (5 s), ``REDIS_HEARTBEAT_TTL`` (30 s),
``REDIS_UNTIL_EMPTY``, ``REDIS_IDLE_TIMEOUT`` (30 s).
Stats: ``frontier/finished``, ``frontier/requeued``, ``frontier/orphans``,
``frontier/left_over``.
"""

from __future__ import annotations

import json
import logging
import os
import time
from collections.abc import AsyncIterator, Iterable
from datetime import UTC, datetime
from typing import Any

from scrapy import Request, signals
from scrapy.crawler import Crawler
from scrapy.exceptions import DontCloseSpider, NotConfigured
from scrapy.http import Response
from scrapy.statscollectors import StatsCollector
from twisted.internet import task

logger = logging.getLogger(__name__)

Tag = tuple[str, str]


def _tag(request: Request | None) -> Tag | None:
    tag = request.meta.get("frontier") if request is not None else None
    return (tag[0], tag[1]) if tag else None


class _Finisher:
    """Takes finished requests out of the worker's in-flight hash."""

    def __init__(self, server: Any, stats: StatsCollector) -> None:
        self.server = server
        self.stats = stats

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Any:
        if not crawler.settings.get("REDIS_URL"):
            raise NotConfigured  # not a distributed crawl: silently off
        from archive.redisdb import from_settings

        assert crawler.stats is not None
        server, _ = from_settings(crawler.settings)
        return cls(server, crawler.stats)

    def finish(self, tag: Tag | None) -> None:
        if tag is not None and self.server.hdel(tag[0], tag[1]):
            self.stats.inc_value("frontier/finished")


class FrontierSpiderMiddleware(_Finisher):
    def __init__(self, server: Any, stats: StatsCollector) -> None:
        super().__init__(server, stats)
        self.items: dict[Tag, int] = {}  # items of a request still in the pipelines
        self.ended: set[Tag] = set()  # requests whose callback gave all its output

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Any:
        mw = super().from_crawler(crawler)
        for signal in (signals.item_scraped, signals.item_dropped, signals.item_error):
            crawler.signals.connect(mw.item_done, signal=signal)
        return mw

    def _settle(self, tag: Tag) -> None:
        if tag in self.ended and not self.items.get(tag):
            self.ended.discard(tag)
            self.items.pop(tag, None)
            self.finish(tag)

    def item_done(self, item: Any, response: Response | None = None, **_: Any) -> None:
        tag = _tag(response.request) if isinstance(response, Response) else None
        if tag is not None and tag in self.items:
            self.items[tag] -= 1
            self._settle(tag)

    def _output(self, r: Any, tag: Tag | None) -> Any:
        if tag is not None and not isinstance(r, Request):
            self.items[tag] = self.items.get(tag, 0) + 1
        return r

    def _end(self, tag: Tag | None) -> None:
        if tag is not None:
            self.ended.add(tag)
            self._settle(tag)

    def process_spider_output(self, response: Response, result: Iterable[Any]) -> Iterable[Any]:
        tag = _tag(response.request)
        for r in result:
            yield self._output(r, tag)
        self._end(tag)

    async def process_spider_output_async(self, response: Response,
                                          result: AsyncIterator[Any]) -> AsyncIterator[Any]:
        tag = _tag(response.request)
        async for r in result:
            yield self._output(r, tag)
        self._end(tag)

    def process_spider_exception(self, response: Response, exception: Exception) -> None:
        self._end(_tag(response.request))


class FrontierDownloaderMiddleware(_Finisher):
    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Any:
        mw = super().from_crawler(crawler)
        crawler.signals.connect(mw.request_dropped, signal=signals.request_dropped)
        return mw

    def process_exception(self, request: Request, exception: Exception) -> None:
        # Placed after RetryMiddleware: reached only when no retry is coming.
        self.finish(_tag(request))

    def request_dropped(self, request: Request) -> None:
        self.finish(_tag(request))


class WorkerExtension:
    def __init__(self, server: Any, keys: Any, worker: str, stats: StatsCollector,
                 interval: float = 5.0, ttl: float = 30.0, until_empty: bool = False,
                 idle_timeout: float = 30.0) -> None:
        self.server = server
        self.keys = keys
        self.worker = worker
        self.stats = stats
        self.interval = interval
        self.ttl = ttl
        self.until_empty = until_empty
        self.idle_timeout = idle_timeout
        self.started = datetime.now(UTC).isoformat(timespec="seconds")
        self.outlet = ""
        self.empty_since: float | None = None
        self.requeued: set[bytes] = set()
        self.loop: task.LoopingCall | None = None

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> WorkerExtension:
        s = crawler.settings
        if not s.get("REDIS_URL"):
            raise NotConfigured  # not a distributed crawl: silently off
        from archive.redisdb import from_settings, worker_id

        assert crawler.stats is not None
        server, keys = from_settings(s)
        ext = cls(server, keys, s.get("REDIS_WORKER_ID") or worker_id(), crawler.stats,
                  s.getfloat("REDIS_HEARTBEAT_INTERVAL", 5.0), s.getfloat("REDIS_HEARTBEAT_TTL",
                                                                          30.0),
                  s.getbool("REDIS_UNTIL_EMPTY"), s.getfloat("REDIS_IDLE_TIMEOUT", 30.0))
        crawler.signals.connect(ext.spider_opened, signal=signals.spider_opened)
        crawler.signals.connect(ext.spider_idle, signal=signals.spider_idle)
        crawler.signals.connect(ext.spider_closed, signal=signals.spider_closed)
        return ext

    @property
    def inflight(self) -> str:
        return self.keys.inflight(self.outlet, self.worker)

    def spider_opened(self, spider: Any) -> None:
        self.outlet = spider.name
        self.heartbeat()
        self.loop = task.LoopingCall(self.heartbeat)
        self.loop.start(self.interval, now=False)

    def _state(self, state: str) -> str:
        s = self.stats.get_stats()
        errors = sum(v for k, v in s.items() if k == "log_count/ERROR"
                     or k.startswith("spider_exceptions/") and k != "spider_exceptions/count")
        return json.dumps({
            "worker": self.worker, "outlet": self.outlet, "host": os.uname().nodename,
            "pid": os.getpid(), "state": state, "started": self.started,
            "last_seen": datetime.now(UTC).isoformat(timespec="seconds"),
            "pages": s.get("response_received_count", 0),
            "items": s.get("item_scraped_count", 0),
            "dropped": s.get("item_dropped_count", 0), "errors": errors,
            "requeued": s.get("frontier/requeued", 0),
        })

    def heartbeat(self, state: str = "crawling") -> None:
        pipe = self.server.pipeline(transaction=False)
        pipe.set(self.keys("alive", self.worker), self.started, ex=max(1, int(self.ttl)))
        pipe.hset(self.keys("workers"), f"{self.worker}/{self.outlet}", self._state(state))
        pipe.execute()
        self.reap()

    def reap(self) -> None:
        """Put back the in-flight requests of every worker whose heartbeat expired."""
        from spiders.frontierqueue import requeue

        for raw in self.server.smembers(self.keys("inflight")):
            key = raw.decode("utf-8")
            _, worker = self.keys.split_inflight(key)
            if worker == self.worker or self.server.exists(self.keys("alive", worker)):
                continue
            n = requeue(self.server, self.keys, key)
            if n:
                self.stats.inc_value("frontier/requeued", n)
                logger.warning("Worker %s stopped beating: %d request(s) it held put back "
                               "into the queue (%s)", worker, n, key)

    def pending(self) -> int:
        """Work left for this outlet: its queue, and other workers' requests in flight
        (their callbacks may still queue more)."""
        own = self.inflight
        total = int(self.server.zcard(self.keys.queue(self.outlet)))
        for raw in self.server.smembers(self.keys("inflight")):
            key = raw.decode("utf-8")
            queue, _ = self.keys.split_inflight(key)
            if key != own and queue == self.keys.queue(self.outlet):
                total += int(self.server.hlen(key))
        return total

    def orphans(self) -> int:
        """Requests left in this worker's in-flight hash while it is idle (so none is in
        progress): a pop whose reply Redis lost in a restart, or a request whose end went
        unnoticed.  They go back into the queue, each once; a second time it is dropped."""
        left = self.server.hgetall(self.inflight)
        if not left:
            return 0
        pipe = self.server.pipeline(transaction=True)
        for tag, value in left.items():
            if tag not in self.requeued:
                score, _, data = value.partition(b"|")
                pipe.zadd(self.keys.queue(self.outlet), {data: float(score)})
                self.requeued.add(tag)
            else:
                logger.warning("A request of %s came back to this idle worker twice; dropped "
                               "from the frontier", self.outlet)
            pipe.hdel(self.inflight, tag)
        pipe.execute()
        self.stats.inc_value("frontier/orphans", len(left))
        return len(left)

    def spider_idle(self) -> None:
        if self.orphans():
            raise DontCloseSpider
        if not self.until_empty:
            raise DontCloseSpider
        if self.pending():
            self.empty_since = None
            raise DontCloseSpider
        now = time.monotonic()
        if self.empty_since is None:
            self.empty_since = now
        if now - self.empty_since < self.idle_timeout:
            raise DontCloseSpider
        logger.info("The shared queue of %s stayed empty for %.0f s: this worker is done",
                    self.outlet, now - self.empty_since)

    def spider_closed(self, reason: str) -> None:
        from spiders.frontierqueue import requeue

        if self.loop is not None and self.loop.running:
            self.loop.stop()
        if not self.outlet:
            return
        # Normally empty: whatever is left (a shutdown cut short) goes back to the queue.
        left = requeue(self.server, self.keys, self.inflight)
        if left:
            self.stats.inc_value("frontier/left_over", left)
            logger.warning("%d request(s) of %s not finished by this worker went back into "
                           "the shared queue", left, self.outlet)
        pipe = self.server.pipeline(transaction=False)
        pipe.hset(self.keys("workers"), f"{self.worker}/{self.outlet}",
                  self._state(f"stopped ({reason})"))
        pipe.execute()
        self.server.close()
