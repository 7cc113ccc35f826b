"""Extraction in the worker pool gives what extraction in the crawling process gives."""

from __future__ import annotations

import pytest
from conftest import MIRROR_PAGES
from twisted.internet import defer

from crawler.extract.page import ExtractionError
from crawler.extract.pool import extract, worker_count


def run(coro):
    """Drive one coroutine to the end without a running reactor (the pool's wait
    goes through a reactor thread, so use the inline path's plain await here)."""
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
