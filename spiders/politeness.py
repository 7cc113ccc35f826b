"""Politeness across workers: one outlet is not hit N times as often by N workers.

Scrapy's ``DOWNLOAD_DELAY`` (and AutoThrottle) pace one process.  In a
distributed crawl every request to a host first takes that host's token in
Redis (``SET PREFIX:polite:HOST TOKEN NX PX HOLD``) and keeps it until its
response (or error) is in; then the token is left to expire ``DOWNLOAD_DELAY``
later.  So across all workers one request to a host is under way at a time,
and the next one starts at least ``DOWNLOAD_DELAY`` after the last one ended.
A worker killed while holding a token blocks nobody for long: the token
expires by itself after ``DOWNLOAD_TIMEOUT`` plus the delay.

A downloader middleware, next to the downloader.
Settings read: ``REDIS_URL``, ``REDIS_PREFIX``, ``REDIS_WORKER_ID``,
``REDIS_POLITENESS`` (on), ``DOWNLOAD_DELAY`` (the outlet's, from the registry),
``DOWNLOAD_TIMEOUT``.
Stats: ``politeness/waited``, ``politeness/wait_ms``.
"""

from __future__ import annotations

import logging
from typing import Any

from scrapy import Request
from scrapy.crawler import Crawler
from scrapy.exceptions import NotConfigured
from scrapy.http import Response
from scrapy.statscollectors import StatsCollector
from scrapy.utils.defer import maybe_deferred_to_future
from scrapy.utils.httpobj import urlparse_cached
from twisted.internet.task import deferLater

logger = logging.getLogger(__name__)


#: Let the token expire DELAY from now, if it is still ours.
RELEASE = """
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('PEXPIRE', KEYS[1], ARGV[2])
end
return 0
"""


class SharedPolitenessMiddleware:
    def __init__(self, server: Any, keys: Any, worker: str, delay: float, timeout: float,
                 stats: StatsCollector) -> None:
        self.server = server
        self.keys = keys
        self.worker = worker
        self.delay_ms = max(1, int(delay * 1000))
        self.hold_ms = int((timeout + delay) * 1000)
        self.poll = max(0.05, delay / 4)
        self.stats = stats
        self.release = server.register_script(RELEASE)

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
                   s.getfloat("DOWNLOAD_DELAY"), s.getfloat("DOWNLOAD_TIMEOUT", 60),
                   crawler.stats)

    async def process_request(self, request: Request) -> None:
        from twisted.internet import reactor  # the one Scrapy installed

        key = self.keys("polite", urlparse_cached(request).hostname or "")
        token = f"{self.worker}:{id(request)}"
        waited = 0.0
        while not self.server.set(key, token, nx=True, px=self.hold_ms):
            if self.server.get(key) == token.encode():
                break  # ours: a SET that Redis ran but whose reply a restart lost
            # Another request to this host is under way, or ended less than the delay ago.
            pause = min(max(int(self.server.pttl(key)), 1) / 1000, self.poll)
            waited += pause
            await maybe_deferred_to_future(deferLater(reactor, pause, lambda: None))
        request.meta["polite_token"] = (key, token)
        if waited:
            self.stats.inc_value("politeness/waited")
            self.stats.inc_value("politeness/wait_ms", int(waited * 1000))

    def _release(self, request: Request) -> None:
        held = request.meta.pop("polite_token", None)
        if held:
            self.release(keys=[held[0]], args=[held[1], self.delay_ms])

    def process_response(self, request: Request, response: Response) -> Response:
        self._release(request)
        return response

    def process_exception(self, request: Request, exception: Exception) -> None:
        self._release(request)
