"""Extraction in the worker pool gives what extraction in the crawling process gives."""

from __future__ import annotations

import pytest
from conftest import MIRROR_PAGES
from twisted.internet import defer

from crawler.extract.page import ExtractionError
from crawler.extract.pool import extract, worker_count


def run(coro):
    """Drive one coroutine to the end without a running reactor (the pool's wait is
    fired by the reactor, so only the inline path runs here)."""
    d = defer.ensureDeferred(coro)
    results: list = []
    d.addBoth(results.append)
    return results


def test_worker_count(monkeypatch: pytest.MonkeyPatch) -> None:
    assert worker_count(0) == 0 and worker_count(3) == 3
    monkeypatch.setattr("os.cpu_count", lambda: 4)
    assert worker_count(-1) == 3  # one per core beyond the first
    monkeypatch.setattr("os.cpu_count", lambda: 1)
    assert worker_count(-1) == 0  # a single core: extract in the crawling process


def test_inline_extraction_and_errors() -> None:
    page = next((MIRROR_PAGES / "mee").rglob("*.html")).read_bytes()
    fields = run(extract(page, "https://www.middleeasteye.net/news/x", workers=0))[0]
    assert fields["title"] and fields["body"]
    failure = run(extract(b"", "https://www.middleeasteye.net/news/empty", workers=0))[0]
    assert isinstance(failure.value, ExtractionError) and failure.value.reason


def test_pool_matches_inline() -> None:
    from crawler.extract.pool import _pool_for, _unwrap, extract_in_worker

    page = next((MIRROR_PAGES / "aawsat-ar").rglob("*.html")).read_bytes()
    url = "https://aawsat.com/x/1"
    pool = _pool_for(1)
    in_pool = _unwrap(pool.submit(extract_in_worker, page, url, None).result(timeout=120))
    inline = _unwrap(extract_in_worker(page, url, None))
    assert in_pool == inline
    status, (reason, message) = pool.submit(extract_in_worker, b"\x00\x01" * 100, url,
                                            None).result(timeout=120)
    assert status == "error" and reason
    with pytest.raises(ExtractionError):
        _unwrap((status, (reason, message)))


# A reactor runs once per process: each scenario is a process of its own.
REACTOR_SCRIPT = r"""
import json, os, signal, sys, time
from twisted.internet import asyncioreactor
asyncioreactor.install()
from twisted.internet import reactor, defer, threads
from scrapy.statscollectors import MemoryStatsCollector
from scrapy.utils.defer import deferred_from_coro, maybe_deferred_to_future
from scrapy.utils.test import get_crawler
from crawler.extract import pool

page = open(sys.argv[2], "rb").read()
scenario = sys.argv[1]
reactor.suggestThreadPoolSize(1)  # one thread: a page waiting in it would block the rest
stats = MemoryStatsCollector(get_crawler())
out = {"submitted_at_once": 0, "thread_done": None, "pages": []}
submit = pool.ProcessPoolExecutor.submit

def counting_submit(self, *args, **kwargs):
    future = submit(self, *args, **kwargs)
    pending = sum(1 for f in live if not f.done()) + 1
    out["submitted_at_once"] = max(out["submitted_at_once"], pending)
    live.append(future)
    return future

live = []
pool.ProcessPoolExecutor.submit = counting_submit

async def one(n, timeout):
    fields = await pool.extract(page, f"https://www.middleeasteye.net/news/p{n}", workers=1,
                                timeout=timeout, retries=2, stats=stats)
    out["pages"].append(bool(fields["body"]))

async def main():
    if scenario == "stuck":
        pool.STUCK_AFTER = 1.0
        pool._pool_for(1).submit(int).result()  # the worker is up
        for p in list(pool._pool._processes.values()):
            os.kill(p.pid, signal.SIGSTOP)  # alive, but never answers
        await one(0, 5.0)
    else:
        started = time.monotonic()
        pages = [deferred_from_coro(one(n, 60.0)) for n in range(8)]
        # asked while all eight pages are with the pool or waiting for it
        await maybe_deferred_to_future(threads.deferToThread(time.monotonic))
        out["thread_done"] = time.monotonic() - started
        await maybe_deferred_to_future(defer.gatherResults(pages))
        out["all_done"] = time.monotonic() - started
    out["stats"] = stats.get_stats()

d = deferred_from_coro(main())
d.addErrback(lambda f: out.update(error=repr(f.value)))
d.addBoth(lambda _: reactor.stop())
reactor.run()
print(json.dumps(out, default=str))
"""


def _reactor_run(scenario: str) -> dict:
    import json
    import subprocess
    import sys

    from conftest import ROOT

    page = next((MIRROR_PAGES / "mee").rglob("*.html"))
    proc = subprocess.run([sys.executable, "-c", REACTOR_SCRIPT, scenario, str(page)],
                          cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-3000:]
    return json.loads(proc.stdout.strip().splitlines()[-1])


def test_pool_holds_no_thread_and_bounds_pages_in_flight() -> None:
    out = _reactor_run("busy")
    assert "error" not in out, out
    assert out["pages"] == [True] * 8
    # Two pages per worker at most are with the pool; the others wait in the reactor.
    assert out["submitted_at_once"] == 2, out
    # The one reactor thread was free while the pool worked through eight pages.
    assert out["thread_done"] < out["all_done"] / 2, out


def test_a_worker_that_never_answers_is_replaced_and_the_page_retried() -> None:
    out = _reactor_run("stuck")
    assert "error" not in out, out
    assert out["pages"] == [True]
    assert out["stats"].get("extract/pool_restarts") == 1, out
    assert out["stats"].get("extract/retried") == 1, out
