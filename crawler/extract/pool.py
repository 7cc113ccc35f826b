"""Extraction off the reactor: a process pool sized to the spare cores.

Extraction is the CPU cost of the whole system, while Scrapy's reactor keeps
one core busy; so articles are extracted in worker processes and fetching goes
on meanwhile.  One pool serves every spider of the process; it is started on
first use (``spawn``: no forked reactor state) and stopped at exit.

When a worker dies (killed, out of memory, a segfault in a parser) the
standard library marks the whole pool broken and fails every page in flight:
the pool is then replaced by a new one and each of those pages is tried again
(``EXTRACT_RETRIES`` times).  A page has ``EXTRACT_TIMEOUT`` seconds: the
worker stops it itself (an interval timer), and should a worker not answer at
all, its pool is killed and replaced; no wait on a worker is without an end.
A page that still cannot be extracted raises :class:`ExtractionFailed`: not a
verdict on the page (that is :class:`~crawler.extract.page.ExtractionError`),
so the crawl records it as failed and the next run fetches it again.

Settings read: ``EXTRACT_WORKERS`` (-1, the default: one worker per core
beyond the first, none on a single core; 0: extract in the crawling process;
N: N workers), ``EXTRACT_TIMEOUT`` (seconds one page may take in a worker),
``EXTRACT_RETRIES`` (attempts after a worker died).
"""

from __future__ import annotations

import atexit
import logging
import multiprocessing
import os
import signal
import threading
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from concurrent.futures.process import BrokenProcessPool
from typing import Any

from scrapy.utils.defer import maybe_deferred_to_future
from twisted.internet.threads import deferToThread

from crawler.extract.article import extract_page
from crawler.extract.page import ExtractionError

logger = logging.getLogger(__name__)

_pool: ProcessPoolExecutor | None = None
_pool_size = 0
_pool_lock = threading.Lock()
# Beyond the page's own time limit, how long a wait may last before the pool is
# taken for stuck and replaced.
STUCK_AFTER = 30.0


class ExtractionFailed(RuntimeError):
    """Extraction did not finish (worker died, time limit): the page is to be retried."""

    def __init__(self, reason: str, message: str) -> None:
        super().__init__(message)
        self.reason = reason


def worker_count(setting: int) -> int:
    if setting >= 0:
        return setting
    return max(0, (os.cpu_count() or 1) - 1)


def _warm_up(parent: int | None = None) -> None:
    """Tie the worker's life to the crawl's, then import the extractor's libraries once,
    before the first page."""
    if parent is not None:
        _die_with(parent)
    import trafilatura  # noqa: F401


def _die_with(parent: int) -> None:
    """A worker must not outlive a crawl that was killed (SIGKILL leaves no time to stop
    the pool): on Linux the kernel sends it SIGKILL when its parent dies."""
    try:
        import ctypes

        ctypes.CDLL(None).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    except (AttributeError, OSError):  # not Linux: the pool's own pipes end it
        return
    if os.getppid() != parent:  # the parent died before prctl took effect
        os._exit(0)


def _pool_for(workers: int) -> ProcessPoolExecutor:
    global _pool, _pool_size
    with _pool_lock:
        if _pool is None or _pool_size != workers:
            if _pool is not None:
                _pool.shutdown(wait=False, cancel_futures=True)
            _pool = ProcessPoolExecutor(max_workers=workers,
                                        mp_context=multiprocessing.get_context("spawn"),
                                        initializer=_warm_up, initargs=(os.getpid(),))
            _pool_size = workers
            logger.info("Extracting articles in %d worker process(es)", workers)
        return _pool


def _replace(broken: ProcessPoolExecutor, kill: bool = False) -> None:
    """Drop a broken (or stuck) pool; the next page starts a new one."""
    global _pool
    with _pool_lock:
        if _pool is broken:
            _pool = None
    if kill:
        # A stuck worker is not stopped by shutdown(): the executor keeps no public
        # handle on its processes, so they are killed through its own table.
        for process in list(getattr(broken, "_processes", {}).values()):
            process.kill()
    broken.shutdown(wait=False, cancel_futures=True)


@atexit.register
def _shutdown() -> None:
    if _pool is not None:
        _pool.shutdown(wait=False, cancel_futures=True)


class _TooLong(Exception):
    pass


def _alarm(signum: int, frame: Any) -> None:
    raise _TooLong


def extract_in_worker(body: bytes, url: str, content_type: str | None,
                      timeout: float | None = None) -> tuple[str, Any]:
    """Runs in a worker: ("ok", fields), ("error", (reason, message)) for a page with
    no article, or ("timeout", seconds) when the page took longer than ``timeout``.

    The failure travels as plain values: an exception with extra constructor
    arguments does not survive pickling intact.
    """
    if timeout:
        signal.signal(signal.SIGALRM, _alarm)
        signal.setitimer(signal.ITIMER_REAL, timeout)
    try:
        fields = extract_page(body, url, content_type=content_type)
    except ExtractionError as exc:
        return "error", (exc.reason, str(exc))
    except _TooLong:
        return "timeout", timeout
    finally:
        if timeout:
            signal.setitimer(signal.ITIMER_REAL, 0)
    return "ok", fields


def _unwrap(result: tuple[str, Any]) -> dict[str, Any]:
    kind, value = result
    if kind == "error":
        raise ExtractionError(*value)
    return value


def _extract_waiting(body: bytes, url: str, content_type: str | None, workers: int,
                     timeout: float | None, retries: int, stats: Any) -> tuple[str, Any]:
    """Runs in a reactor thread: submit the page, wait for it, deal with dead workers."""
    failure = ExtractionFailed("worker_died", f"{url}: extraction did not finish")
    for attempt in range(1 + max(0, retries)):
        pool = _pool_for(workers)
        try:
            future = pool.submit(extract_in_worker, body, url, content_type, timeout)
            result = future.result(timeout=(timeout or 600) + STUCK_AFTER)
        except BrokenProcessPool:
            failure = ExtractionFailed("worker_died", f"an extraction worker died while "
                                                      f"{url} was being extracted")
            _count(stats, "extract/pool_restarts")
            _replace(pool)
        except FutureTimeout:
            failure = ExtractionFailed("stuck", f"no extraction worker answered for {url}")
            _count(stats, "extract/pool_restarts")
            _replace(pool, kill=True)
        else:
            if result[0] == "timeout":
                # A page that took the whole time limit would take it again: no retry.
                raise ExtractionFailed("timeout", f"extracting {url} took longer than "
                                                  f"EXTRACT_TIMEOUT={timeout:g} s")
            return result
        if attempt < retries:
            logger.warning("%s; trying the page again", failure)
            _count(stats, "extract/retried")
    raise failure


def _count(stats: Any, key: str) -> None:
    if stats is not None:
        stats.inc_value(key)


async def extract(body: bytes, url: str, *, content_type: str | None = None,
                  workers: int = 0, timeout: float | None = None,
                  retries: int = 2, stats: Any = None) -> dict[str, Any]:
    """The page's article fields, extracted in the pool (or here when ``workers`` is 0,
    without a time limit).  Raises ExtractionError (no article in the page) or
    ExtractionFailed (extraction did not finish)."""
    if workers <= 0:
        return _unwrap(extract_in_worker(body, url, content_type))
    # A reactor thread waits on the worker, so this works under any Twisted reactor.
    return _unwrap(await maybe_deferred_to_future(deferToThread(
        _extract_waiting, body, url, content_type, workers, timeout, retries, stats)))
