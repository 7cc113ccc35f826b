"""Politeness across workers: one outlet is not hit N times as often by N workers.

Scrapy's ``DOWNLOAD_DELAY`` (and AutoThrottle) pace one process.  In a
distributed crawl every request to a host first takes that host's token in
Redis: ``SET PREFIX:polite:HOST WORKER NX PX DELAY``.  Whoever holds it may
fetch; the others wait until it expires (its PTTL), so requests to one host
from all workers together are at least ``DOWNLOAD_DELAY`` apart.  The token
expires by itself: a worker killed while holding it blocks nobody.

A downloader middleware, before the downloader's own per-slot delay.
Settings read: ``REDIS_URL``, ``REDIS_PREFIX``, ``REDIS_WORKER_ID``,
``REDIS_POLITENESS`` (on), ``DOWNLOAD_DELAY`` (the outlet's, from the registry).
Stats: ``politeness/waited``, ``politeness/wait_ms``.
"""

from __future__ import annotations

import logging
from typing import Any

from scrapy import Request
from scrapy.crawler import Crawler
from scrapy.exceptions import NotConfigured
from scrapy.statscollectors import StatsCollector
from scrapy.utils.defer import maybe_deferred_to_future
from scrapy.utils.httpobj import urlparse_cached
from twisted.internet.task import deferLater

logger = logging.getLogger(__name__)


class SharedPolitenessMiddleware:
    def __init__(self, server: Any, keys: Any, worker: str, delay: float,
                 stats: StatsCollector) -> None:
        self.server = server
        self.keys = keys
        self.worker = worker
        self.delay_ms = int(delay * 1000)
        self.stats = stats

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> SharedPolitenessMiddleware:
        s = crawler.settings
        if not s.get("REDIS_URL"):
            raise NotConfigured  # not a distributed crawl: silently off
        if not s.getbool("REDIS_POLITENESS", True):
            raise NotConfigured("REDIS_POLITENESS is off")
        if s.getfloat("DOWNLOAD_DELAY") <= 0:
            raise NotConfigured  # no delay to share
        from archive.redisdb import from_settings, worker_id

        assert crawler.stats is not None
        server, keys = from_settings(s)
        return cls(server, keys, s.get("REDIS_WORKER_ID") or worker_id(),
                   s.getfloat("DOWNLOAD_DELAY"), crawler.stats)

    async def process_request(self, request: Request) -> None:
        from twisted.internet import reactor  # the one Scrapy installed

        host = urlparse_cached(request).hostname or ""
        key = self.keys("polite", host)
        waited = 0.0
        while not self.server.set(key, self.worker, nx=True, px=self.delay_ms):
            # Another worker fetched from this host less than DOWNLOAD_DELAY ago.
            pause = max(int(self.server.pttl(key)), 1) / 1000
            waited += pause
            await maybe_deferred_to_future(deferLater(reactor, pause, lambda: None))
        if waited:
            self.stats.inc_value("politeness/waited")
            self.stats.inc_value("politeness/wait_ms", int(waited * 1000))
