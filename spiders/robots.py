"""robots.txt, obeyed by every request that waited for it.

Scrapy's ``RobotsTxtMiddleware`` (2.13 and later) lets the requests that arrive
while a host's robots.txt is still downloading await one shared Deferred through
``maybe_deferred_to_future``; the first awaiting callback returns None, so every
later one gets None, which the middleware reads as "no robots.txt": those
requests are fetched whatever robots.txt says.  A worker joining a distributed
crawl meets exactly this (it takes several article requests of a host it has not
seen yet at once), and so can any crawl.  Once the wait is over the parser is
already stored, so it is read from there.

Replaces Scrapy's middleware at the same place (``DOWNLOADER_MIDDLEWARES``).
Settings read: those of Scrapy's ``RobotsTxtMiddleware`` (``ROBOTSTXT_OBEY``, ...).
"""

from __future__ import annotations

from typing import Any

from scrapy import Request
from scrapy.downloadermiddlewares.robotstxt import RobotsTxtMiddleware
from scrapy.utils.httpobj import urlparse_cached
from twisted.internet.defer import Deferred


class SharedRobotsTxtMiddleware(RobotsTxtMiddleware):
    async def robot_parser(self, request: Request) -> Any:
        parser = await super().robot_parser(request)
        settled = self._parsers.get(urlparse_cached(request).netloc)
        return parser if isinstance(settled, Deferred) else settled
