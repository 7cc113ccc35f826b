"""Connecting to the Redis that distributed crawls share.

Every component that keeps state in Redis (the frontier of scrapy-redis, the
dedup index, the fetched-page store, the payload digests, heartbeats and the
per-outlet politeness token) connects through :func:`connect`, or through
:class:`ResilientRedis` when scrapy-redis makes the client.  Both retry with
redis-py's own :class:`~redis.retry.Retry` and a capped exponential backoff:
when Redis restarts or cannot be reached, the worker waits (and logs each wait)
instead of failing, and goes on where it was once Redis answers again.  Nothing
is lost meanwhile because nothing is held only in the worker's memory.

Keys all start with a prefix (``REDIS_PREFIX``, default ``syria-archive``) so
that one Redis can serve other things too.  This module is imported only when
a Redis URL is configured: without ``--redis`` nothing needs the client.
"""

from __future__ import annotations

import logging
import os
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import redis
from redis.backoff import ExponentialWithJitterBackoff
from redis.exceptions import BusyLoadingError, ConnectionError, TimeoutError
from redis.retry import Retry

logger = logging.getLogger(__name__)

DEFAULT_PREFIX = "syria-archive"
BACKOFF_BASE = 0.2  # seconds; doubled at each failed attempt ...
BACKOFF_CAP = 10.0  # ... up to this
RETRY_ERRORS = [ConnectionError, TimeoutError, BusyLoadingError]


def redact(url: str) -> str:
    """The URL without its password, for logs and reports."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    netloc = f"{parts.username or ''}:***@{parts.hostname or ''}"
    if parts.port:
        netloc += f":{parts.port}"
    return urlunsplit((parts.scheme, netloc, parts.path, parts.query, parts.fragment))


class LoggingBackoff(ExponentialWithJitterBackoff):
    """redis-py's exponential backoff, saying in the log that the worker waits."""

    def __init__(self, where: str, cap: float = BACKOFF_CAP, base: float = BACKOFF_BASE) -> None:
        super().__init__(cap=cap, base=base)
        self.where = where

    def compute(self, failures: int) -> float:
        delay = float(super().compute(failures))
        logger.warning("Redis at %s unreachable (attempt %d): paused, retrying in %.1f s",
                       self.where, failures, delay)
        return delay


def retry_for(url: str, retries: int = -1) -> Retry:
    """Retry forever (``retries=-1``) by default: a worker pauses while Redis is away."""
    return Retry(LoggingBackoff(redact(url)), retries, supported_errors=tuple(RETRY_ERRORS))


class ResilientRedis(redis.Redis):
    """The client scrapy-redis makes (``REDIS_PARAMS["redis_cls"]``), retrying as above."""

    @classmethod
    def from_url(cls, url: str, **kwargs: Any) -> Any:
        kwargs.pop("retry_on_timeout", None)  # superseded by retry_on_error
        kwargs.setdefault("retry", retry_for(url))
        kwargs.setdefault("retry_on_error", list(RETRY_ERRORS))
        kwargs.setdefault("health_check_interval", 30)
        return super().from_url(url, **kwargs)


def connect(url: str, retries: int = -1, **kwargs: Any) -> redis.Redis:
    """A binary-safe client (bytes in, bytes out) that waits out Redis outages."""
    if not url.startswith(("redis://", "rediss://", "unix://")):
        raise ValueError(f"not a Redis URL (redis://host:port/db): {redact(url)!r}")
    kwargs.setdefault("socket_connect_timeout", 5)
    kwargs.setdefault("socket_timeout", 30)
    return redis.Redis.from_url(url, retry=retry_for(url, retries),
                                retry_on_error=list(RETRY_ERRORS), **kwargs)


def worker_id() -> str:
    """This process as a worker: host and pid (the names its WARC files carry too)."""
    from archive.writer import warc_host

    return f"{warc_host()}-{os.getpid()}"


class Keys:
    """The names of the keys distributed crawls share, under one prefix."""

    def __init__(self, prefix: str = DEFAULT_PREFIX) -> None:
        self.prefix = prefix.rstrip(":")

    def __call__(self, *parts: str) -> str:
        return ":".join((self.prefix, *parts))

    # scrapy-redis: the frontier of one outlet and its request dupefilter (a set)
    @property
    def queue_pattern(self) -> str:
        return self("%(spider)s", "requests")

    @property
    def dupefilter_pattern(self) -> str:
        return self("%(spider)s", "dupefilter")

    def queue(self, outlet: str) -> str:
        return self.queue_pattern % {"spider": outlet}

    def dupefilter(self, outlet: str) -> str:
        return self.dupefilter_pattern % {"spider": outlet}

    def inflight(self, outlet: str, worker: str) -> str:
        """The requests one worker took from one outlet's queue and has not finished."""
        return f"{self.queue(outlet)}:inflight:{worker}"

    @staticmethod
    def split_inflight(key: str) -> tuple[str, str]:
        """(queue key, worker) of an in-flight key."""
        queue, _, worker = key.rpartition(":inflight:")
        return queue, worker


def from_settings(settings: Any) -> tuple[redis.Redis, Keys]:
    """The client and key names a Scrapy component uses (``REDIS_URL``, ``REDIS_PREFIX``)."""
    return connect(settings.get("REDIS_URL")), Keys(settings.get("REDIS_PREFIX")
                                                    or DEFAULT_PREFIX)
