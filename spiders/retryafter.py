"""429 and 503 answers with ``Retry-After``: wait as the server asks, within a cap.

A downloader middleware placed just before Scrapy's RetryMiddleware (which
retries 429 and 503 at once): when the response names a wait (seconds or an
HTTP date) of at most ``RETRY_AFTER_MAX`` seconds, the response is held that
long, off the reactor's back (a timer, not a sleep), and RetryMiddleware then
retries as usual.  A longer wait is not honoured by waiting: the request is not
retried in this run, it is counted and logged once.

Settings read: ``RETRY_AFTER_ENABLED``, ``RETRY_AFTER_MAX`` (seconds).
Stats: ``fetch/retry_after/waits``, ``fetch/retry_after/seconds``,
``fetch/failed/retry_after_too_long``.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any

from scrapy.crawler import Crawler
from scrapy.exceptions import NotConfigured
from scrapy.http import Request, Response
from scrapy.utils.defer import maybe_deferred_to_future
from twisted.internet.task import deferLater

logger = logging.getLogger(__name__)


def retry_after(value: bytes | None, now: datetime | None = None) -> float | None:
    """Seconds to wait from a ``Retry-After`` header value, or None."""
    if not value:
        return None
    text = value.decode("latin-1").strip()
    if text.isdigit():
        return float(text)
    try:
        when = parsedate_to_datetime(text)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - (now or datetime.now(UTC))).total_seconds())


class RetryAfterMiddleware:
    def __init__(self, max_wait: float, stats: Any) -> None:
        self.max_wait = max_wait
        self.stats = stats

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> RetryAfterMiddleware:
        if not crawler.settings.getbool("RETRY_AFTER_ENABLED", True):
            raise NotConfigured("RETRY_AFTER_ENABLED is off")
        return cls(crawler.settings.getfloat("RETRY_AFTER_MAX", 60.0), crawler.stats)

    async def process_response(self, request: Request, response: Response) -> Response:
        if response.status not in (429, 503) or request.meta.get("dont_retry"):
            return response
        wait = retry_after(response.headers.get("Retry-After"))
        if wait is None:
            return response
        if wait > self.max_wait:
            request.meta["dont_retry"] = True
            self.stats.inc_value("fetch/failed/retry_after_too_long")
            logger.warning("%s answered %d asking to retry after %.0f s (over RETRY_AFTER_MAX="
                           "%.0f s): not retried in this run", request.url, response.status,
                           wait, self.max_wait)
            return response
        self.stats.inc_value("fetch/retry_after/waits")
        self.stats.inc_value("fetch/retry_after/seconds", wait)
        # Imported here: importing the reactor at module level would install the default
        # one before Scrapy installs the configured one (the spider loader imports us).
        from twisted.internet import reactor

        await maybe_deferred_to_future(deferLater(reactor, wait, lambda: None))
        return response
