"""The Redis stores of distributed crawls, against a real redis-server: the same answers
as the SQLite stores, and no two originals when two workers meet two copies at once."""

from __future__ import annotations

import random
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from redisserver import RedisServer, start_redis

from archive.digests import RedisDigestStore, SqliteDigestStore
from archive.redisdb import Keys, connect, redact
from pipelines.dedup import Deduplicator
from pipelines.dedupredis import RedisDedupStore, RedisTurn
from pipelines.dedupstore import SqliteDedupStore
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


def test_a_worker_judges_only_in_its_turn_and_then_sees_the_other_s_original(server) -> None:
    """Worker A holds the turn from verdict to record: B cannot judge meanwhile, and once
    A's original is recorded B finds its copy a near duplicate."""
    text = story(random.Random(3))
    turn_a = RedisTurn(server, "t:dedup:turn", local=None)
    turn_b = RedisTurn(server, "t:dedup:turn", local=None)
    a, b = Deduplicator(RedisDedupStore(server, "t")), Deduplicator(RedisDedupStore(server, "t"))
    assert turn_a.try_acquire()
    verdict, record = a.judge("https://a.example/1", text, "a")
    assert verdict["dedup"] == "new"
    assert not turn_b.try_acquire()  # not B's turn while A's verdict is unrecorded
    record()
    turn_a.release_token()
    assert turn_b.try_acquire()
    copy = b.check("https://b.example/1", copy_of(text), "b")
    assert copy["dedup"] == "near" and copy["duplicate_of"] == "https://a.example/1"
    turn_b.release_token()
    # Filing is safe to send twice (a reply lost in a restart): the same id comes back.
    store = RedisDedupStore(server, "t")
    first = store.by_url(url_key("https://a.example/1"))
    assert first is not None and first.signature is not None
    again = store.add_original(url_key("https://a.example/1"), first.canonical, "a",
                               first.cluster, exact_fingerprint(text), first.signature)
    assert again.id == first.id and store.count() == 1


def test_two_workers_meeting_copies_at_once_file_one_original_each_time(
        redis_server: RedisServer, server) -> None:
    rng = random.Random(11)
    texts = [story(rng) for _ in range(60)]
    results: dict[str, list[dict]] = {"a": [], "b": []}
    barrier = threading.Barrier(2)

    def work(name: str) -> None:
        client = connect(redis_server.url)
        dedup = Deduplicator(RedisDedupStore(client, "race"))
        turn = RedisTurn(client, "race:dedup:turn", local=None, poll=0.001)
        for n, text in enumerate(texts):
            barrier.wait()  # both start on story n together
            while not turn.try_acquire():
                time.sleep(turn.poll)
            try:
                if name == "a":
                    results[name].append(dedup.check(f"https://a.example/{n}", text, "a"))
                else:
                    results[name].append(dedup.check(f"https://b.example/{n}",
                                                     copy_of(text), "b"))
            finally:
                turn.release_token()

    threads = [threading.Thread(target=work, args=(n,)) for n in "ab"]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert len(results["a"]) == len(results["b"]) == len(texts)
    for va, vb in zip(results["a"], results["b"], strict=True):
        assert sorted([va["dedup"], vb["dedup"]]) == ["near", "new"], (va, vb)
        assert va["cluster_id"] == vb["cluster_id"]
    assert RedisDedupStore(server, "race").count() == len(texts)


def test_translation_candidates_as_sqlite(server, tmp_path: Path) -> None:
    sig = signature(story(random.Random(5)))
    stores = [RedisDedupStore(server, "t"), SqliteDedupStore(tmp_path / "d.sqlite3")]
    for store in stores:
        store.add_original("a.example/ar", "https://a.example/ar", "aawsat-ar", "c1", "fp1",
                           sig, facts=frozenset({"aleppo", "12"}), language="ar",
                           group="aawsat", day=740000)
        store.add_original("a.example/old", "https://a.example/old", "aawsat-ar", "c2", "fp2",
                           sig, facts=frozenset({"homs"}), language="ar", group="aawsat",
                           day=739000)
        store.add_original("a.example/nofacts", "https://a.example/nofacts", "aawsat-ar",
                           "c3", "fp3", sig, language="ar", group="aawsat", day=740000)
    found = [[(o.canonical, o.facts, o.language)
              for o in s.translation_candidates("aawsat", "en", 739999, 740001)]
             for s in stores]
    assert found[0] == found[1] == [("https://a.example/ar", frozenset({"aleppo", "12"}), "ar")]
    assert not stores[0].translation_candidates("aawsat", "ar", 739999, 740001)


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
