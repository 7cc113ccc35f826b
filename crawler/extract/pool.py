"""Extraction off the reactor: a process pool sized to the spare cores.

Extraction is the CPU cost of the whole system, while Scrapy's reactor keeps
one core busy; so articles are extracted in worker processes and fetching goes
on meanwhile.  One pool serves every spider of the process; it is started on
first use (``spawn``: no forked reactor state) and stopped at exit.

Settings read: ``EXTRACT_WORKERS`` (-1, the default: one worker per core
beyond the first, none on a single core; 0: extract in the crawling process;
N: N workers).
"""

from __future__ import annotations

import atexit
import logging
import multiprocessing
import os
from concurrent.futures import Future, ProcessPoolExecutor
from typing import Any

from scrapy.utils.defer import maybe_deferred_to_future
from twisted.internet.threads import deferToThread

from crawler.extract.article import extract_page
from crawler.extract.page import ExtractionError

logger = logging.getLogger(__name__)

_pool: ProcessPoolExecutor | None = None
_pool_size = 0


def worker_count(setting: int) -> int:
    if setting >= 0:
        return setting
    return max(0, (os.cpu_count() or 1) - 1)


def _warm_up() -> None:
    """Import the extractor's libraries once per worker, before the first page."""
    import trafilatura  # noqa: F401


def _pool_for(workers: int) -> ProcessPoolExecutor:
    global _pool, _pool_size
    if _pool is None or _pool_size != workers:
        if _pool is not None:
            _pool.shutdown(wait=False, cancel_futures=True)
        _pool = ProcessPoolExecutor(max_workers=workers,
                                    mp_context=multiprocessing.get_context("spawn"),
                                    initializer=_warm_up)
        _pool_size = workers
        logger.info("Extracting articles in %d worker process(es)", workers)
    return _pool


@atexit.register
def _shutdown() -> None:
    if _pool is not None:
        _pool.shutdown(wait=False, cancel_futures=True)


def extract_in_worker(body: bytes, url: str, content_type: str | None) -> tuple[str, Any]:
    """Runs in a worker: ("ok", fields) or ("error", (reason, message)).

    The failure travels as plain values: an exception with extra constructor
    arguments does not survive pickling intact.
    """
    try:
        fields = extract_page(body, url, content_type=content_type)
    except ExtractionError as exc:
        return "error", (exc.reason, str(exc))
    return "ok", fields


def _unwrap(result: tuple[str, Any]) -> dict[str, Any]:
    kind, value = result
    if kind == "error":
        raise ExtractionError(*value)
    return value


async def extract(body: bytes, url: str, *, content_type: str | None = None,
                  workers: int = 0) -> dict[str, Any]:
    """The page's article fields, extracted in the pool (or here when ``workers`` is 0)."""
    if workers <= 0:
        return _unwrap(extract_in_worker(body, url, content_type))
    future: Future[tuple[str, Any]] = _pool_for(workers).submit(
        extract_in_worker, body, url, content_type)
    # A reactor thread waits on the worker, so this works under any Twisted reactor.
    return _unwrap(await maybe_deferred_to_future(deferToThread(future.result)))
