"""The Redis stores of distributed crawls, against a real redis-server: the same answers
as the SQLite stores, and no two originals when two workers meet two copies at once."""

from __future__ import annotations

import random
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from redisserver import RedisServer, start_redis

from archive.digests import RedisDigestStore, SqliteDigestStore
from archive.redisdb import Keys, connect, redact
from pipelines.dedup import Deduplicator, cluster_id
from pipelines.dedupredis import RedisDedupStore
from pipelines.dedupstore import SqliteDedupStore, StoreConflict
from pipelines.similarity import exact_fingerprint, signature
from pipelines.urls import url_key
from spiders.fetchedredis import RedisFetchedStore
from spiders.incremental import FetchedStore


@pytest.fixture(scope="module")
def redis_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RedisServer]:
    server = start_redis(tmp_path_factory.mktemp("redis"))
    yield server
    server.stop()


@pytest.fixture
def server(redis_server: RedisServer) -> Iterator[object]:
    client = connect(redis_server.url)
    client.flushdb()
    yield client
    client.close()


def story(rng: random.Random, words: int = 220) -> str:
    vocab = [f"w{i}" for i in range(3000)]
    return " ".join(rng.choice(vocab) for _ in range(words))


def copy_of(text: str) -> str:
    """A wire copy with a desk-written first sentence: a near duplicate."""
    return "Reporting from the wire desk this morning, editors added a line. " + text


def test_dedup_verdicts_are_those_of_sqlite(server, tmp_path: Path) -> None:
    rng = random.Random(7)
    texts = [story(rng) for _ in range(20)]
    cases = []
    for n, text in enumerate(texts):
        cases.append((f"https://a.example/{n}", text))
        if n % 3 == 0:
            cases.append((f"https://b.example/{n}", copy_of(text)))  # near
        if n % 4 == 0:
            cases.append((f"https://c.example/{n}", text + " "))  # exact
        if n % 5 == 0:
            cases.append((f"https://a.example/{n}?utm_source=x", text))  # url
    redis_dedup = Deduplicator(RedisDedupStore(server, "t"))
    sqlite_dedup = Deduplicator(SqliteDedupStore(tmp_path / "d.sqlite3"))
    for url, text in cases:
        assert redis_dedup.check(url, text, "o") == sqlite_dedup.check(url, text, "o"), url
    kinds = {redis_dedup.check(u, t, "o")["dedup"] for u, t in cases}
    assert kinds == {"url"}  # all known now
    assert redis_dedup.check(cases[0][0], cases[0][1], "o", new_version=True)["dedup"] == \
        "new_version"


def test_a_near_duplicate_filed_meanwhile_by_another_worker_is_a_conflict(server) -> None:
    """Worker A and worker B each look at one of two copies, find nothing, and both try
    to file an original: the second is refused, and looking again finds the first."""
    text = story(random.Random(3))
    a, b = RedisDedupStore(server, "t"), RedisDedupStore(server, "t")
    ka, kb = url_key("https://a.example/1"), url_key("https://b.example/1")
    sa, sb = signature(text), signature(copy_of(text))
    assert a.by_url(ka) is None and b.by_url(kb) is None
    assert a.by_fingerprint(exact_fingerprint(text)) is None
    assert not a.candidates(sa.bands()) and not b.candidates(sb.bands())
    a.add_original(ka, "https://a.example/1", "a", cluster_id(ka), exact_fingerprint(text), sa)
    with pytest.raises(StoreConflict):
        b.add_original(kb, "https://b.example/1", "b", cluster_id(kb),
                       exact_fingerprint(copy_of(text)), sb)
    verdict = Deduplicator(b).check("https://b.example/1", copy_of(text), "b")
    assert verdict["dedup"] == "near" and verdict["duplicate_of"] == "https://a.example/1"
    # The same for an exact copy: the fingerprint is taken.
    with pytest.raises(StoreConflict):
        b.by_url(url_key("https://c.example/1"))
        b.add_original(url_key("https://c.example/1"), "https://c.example/1", "c", "x",
                       exact_fingerprint(text), sa)


def test_two_workers_meeting_copies_at_once_file_one_original_each_time(
        redis_server: RedisServer, server) -> None:
    rng = random.Random(11)
    texts = [story(rng) for _ in range(60)]
    results: dict[str, list[dict]] = {"a": [], "b": []}
    barrier = threading.Barrier(2)

    def work(name: str) -> None:
        dedup = Deduplicator(RedisDedupStore(connect(redis_server.url), "race"))
        for n, text in enumerate(texts):
            barrier.wait()  # both start on story n together
            if name == "a":
                results[name].append(dedup.check(f"https://a.example/{n}", text, "a"))
            else:
                results[name].append(dedup.check(f"https://b.example/{n}", copy_of(text), "b"))

    threads = [threading.Thread(target=work, args=(n,)) for n in "ab"]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    for va, vb in zip(results["a"], results["b"], strict=True):
        assert sorted([va["dedup"], vb["dedup"]]) == ["near", "new"], (va, vb)
        assert va["cluster_id"] == vb["cluster_id"]
    assert RedisDedupStore(server, "race").count() == len(texts)


def test_digests_and_fetched_pages_answer_as_sqlite(server, tmp_path: Path) -> None:
    keys = Keys("t")
    digests = [RedisDigestStore(server, keys("digests")),
               SqliteDigestStore(tmp_path / "digests.sqlite3")]
    fetched = [RedisFetchedStore(server, "t"), FetchedStore(tmp_path / "fetched.sqlite3")]
    for d in digests:
        assert d.get("sha1:X") is None
        d.add("sha1:X", "https://a.example/p?q=1", "2026-11-20T10:00:00.123456Z")
        d.add("sha1:X", "https://b.example/later", "2026-11-21T10:00:00Z")  # first one kept
    assert digests[0].get("sha1:X") == digests[1].get("sha1:X") == (
        "https://a.example/p?q=1", "2026-11-20T10:00:00.123456Z")
    for f in fetched:
        assert f.get("fp") is None and f.listing("https://a.example/s") is None
        f.put("fp", "https://a.example/1", None, "2026-11-20T10:00:00+00:00", "<urn:uuid:1>")
        f.put_listing("https://a.example/s", {"https://a.example/2", "https://a.example/1"})
    assert fetched[0].get("fp") == fetched[1].get("fp")
    assert fetched[0].listing("https://a.example/s") == fetched[1].listing(
        "https://a.example/s") == {"https://a.example/1", "https://a.example/2"}


def test_a_password_never_reaches_a_log_line(caplog: pytest.LogCaptureFixture) -> None:
    url = "redis://archivist:hunter2-secret@127.0.0.1:1/0"
    assert "hunter2" not in redact(url) and "127.0.0.1:1" in redact(url)
    client = connect(url, retries=1, socket_connect_timeout=0.5)
    with caplog.at_level("WARNING"), pytest.raises(Exception) as exc:
        client.ping()
    assert "Connection" in type(exc.value).__name__
    assert "unreachable" in caplog.text and "hunter2" not in caplog.text
    with pytest.raises(ValueError, match="not a Redis URL"):
        connect("http://127.0.0.1:6379")
