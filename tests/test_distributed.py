"""Distributed crawls: workers sharing one frontier and one dedup index in a real Redis.

Debian's redis-server is started by the tests on a free port of 127.0.0.1 (append-only
file on, as the README asks); the workers are real ``syria-archive worker`` processes
crawling the mirror.
"""

from __future__ import annotations

import json
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from conftest import FAST, ROOT, CrawlResult, Mirror, read_items, run_cli
from redisserver import RedisServer, start_redis
from warcio.archiveiterator import ArchiveIterator

BIN = Path(sys.executable).parent
# Quick heartbeats so that a dead worker is noticed within seconds.
QUICK = ["-s", "REDIS_HEARTBEAT_INTERVAL=1", "-s", "REDIS_HEARTBEAT_TTL=3"]


@pytest.fixture
def redis_server(tmp_path: Path) -> Iterator[RedisServer]:
    server = start_redis(tmp_path / "redis")
    yield server
    server.stop()


class Worker:
    """A ``syria-archive worker`` process; its log read as it comes (no pipe fills up)."""

    def __init__(self, mirror: Mirror, redis: RedisServer, data: Path, *args: str,
                 idle: float = 2, env: dict[str, str] | None = None) -> None:
        self.data = data
        self.lines: list[str] = []
        self.seen = threading.Condition()
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "crawler.cli", "worker", "--redis", redis.url,
             "--data", str(data), "--until-empty", "--idle-timeout", str(idle), *FAST, *QUICK,
             *args], cwd=ROOT, env=env or mirror.env(), stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT, text=True)
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()

    def _read(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            with self.seen:
                self.lines.append(line)
                self.seen.notify_all()

    def wait_for(self, needle: str, timeout: float = 120) -> str:
        """The first log line containing ``needle``, waited for as it is written."""
        deadline = time.monotonic() + timeout
        with self.seen:
            while True:
                hit = next((line for line in self.lines if needle in line), None)
                if hit is not None:
                    return hit
                left = deadline - time.monotonic()
                if left <= 0 or (self.proc.poll() is not None and not self.reader.is_alive()):
                    raise AssertionError(f"no {needle!r} in the worker's log:\n"
                                         + "".join(self.lines[-30:]))
                self.seen.wait(min(left, 1.0))

    def finish(self, timeout: float = 300) -> int:
        code = self.proc.wait(timeout=timeout)
        self.reader.join(timeout=30)
        return code

    @property
    def log(self) -> str:
        return "".join(self.lines)


def enqueue(mirror: Mirror, redis: RedisServer, *args: str) -> None:
    proc = run_cli("enqueue", "--redis", redis.url, *args, env=mirror.env())
    assert proc.returncode == 0, proc.stderr[-3000:]


def warc_uris(data: Path) -> Counter[str]:
    """Target URIs of the response and revisit records a worker wrote (robots.txt aside)."""
    uris: Counter[str] = Counter()
    for warc in sorted((data / "warc").glob("*.warc.gz")):
        with warc.open("rb") as fh:
            for record in ArchiveIterator(fh):
                uri = record.rec_headers.get_header("WARC-Target-URI")
                if record.rec_type in ("response", "revisit") \
                        and not uri.endswith("/robots.txt"):
                    uris[uri] += 1
    return uris


def catalog_urls(data: Path) -> set[str]:
    path = data / "state" / "catalog.sqlite3"
    if not path.exists():
        return set()
    with sqlite3.connect(path) as db:
        return {r[0] for r in db.execute("SELECT url FROM articles")}


def clusters(items: list[dict[str, Any]]) -> dict[frozenset[str], list[str]]:
    """The articles grouped by dedup cluster, with the verdicts in each: the same
    grouping whichever copy a crawl happened to meet first."""
    groups: dict[str, list[dict[str, Any]]] = {}
    for item in items:
        groups.setdefault(item["cluster_id"], []).append(item)
    return {frozenset(i["url"] for i in g): sorted(i["dedup"] for i in g)
            for g in groups.values()}


def wait_for_requests(mirror: Mirror, before: int, count: int, timeout: float = 120) -> None:
    """Until the mirror has served ``count`` more requests (the crawl is under way)."""
    deadline = time.monotonic() + timeout
    while len(mirror.requested()) - before < count:
        assert time.monotonic() < deadline, "the workers fetched nothing"
        time.sleep(0.05)  # polling the mirror's log for progress, not waiting a fixed time


def wait_for_in_flight(redis: RedisServer, pid: int, count: int, timeout: float = 120) -> None:
    """Until the worker of this pid holds ``count`` requests taken from the queue."""
    from archive.redisdb import connect

    server = connect(redis.url)
    deadline = time.monotonic() + timeout
    try:
        while True:
            held = sum(int(server.hlen(k)) for k in server.smembers("syria-archive:inflight")
                       if k.decode().endswith(f"-{pid}"))
            if held >= count:
                return
            assert time.monotonic() < deadline, "the worker never held requests"
            time.sleep(0.01)  # polling Redis for the moment to strike
    finally:
        server.close()


# -- two workers, one crawl -----------------------------------------------------------

def test_two_workers_fetch_every_page_once_and_agree_with_one_process(
        mirror: Mirror, full_crawl: CrawlResult, redis_server: RedisServer,
        tmp_path: Path) -> None:
    # Both workers up and waiting before there is work, so that both take part (the
    # delay, shared by both, keeps each outlet's pages coming for a few seconds).
    workers = [Worker(mirror, redis_server, tmp_path / f"w{n}", "-s", "DOWNLOAD_DELAY=0.8",
                      idle=8) for n in (1, 2)]
    for w in workers:
        w.wait_for("Spider opened")
    before = len(mirror.requested())
    enqueue(mirror, redis_server)
    codes = [w.finish() for w in workers]
    assert codes == [0, 0], [w.log[-3000:] for w in workers]
    requested = Counter(r["url"] for r in mirror.requested()[before:]
                        if not r["url"].endswith("/robots.txt"))
    single = Counter(r["url"] for r in full_crawl.requested
                     if not r["url"].endswith("/robots.txt"))
    # Every page once, and the same pages as the single-process crawl.
    assert requested == single
    assert max(requested.values()) == 1
    # No URL fetched by both; each worker did part of the work.
    first, second = warc_uris(workers[0].data), warc_uris(workers[1].data)
    assert first and second
    assert not set(first) & set(second)
    assert max((first + second).values()) == 1
    # The same articles and the same dedup verdicts as one process.
    items = read_items(workers[0].data) + read_items(workers[1].data)
    assert sorted(i["url"] for i in items) == sorted(i["url"] for i in full_crawl.items)
    assert clusters(items) == clusters(full_crawl.items)
    # Both WARC sets valid for an independent reader.
    for w in workers:
        files = [str(p) for p in sorted((w.data / "warc").glob("*.warc.gz"))]
        check = subprocess.run([BIN / "warcio", "check", *files], capture_output=True,
                               text=True)
        assert check.returncode == 0, check.stdout[-2000:] + check.stderr[-2000:]
        assert not list((w.data / "warc").glob("*.open"))
    # status: an empty frontier, both workers seen with their counts.
    proc = run_cli("status", "--redis", redis_server.url, "--json")
    assert proc.returncode == 0, proc.stderr
    state = json.loads(proc.stdout)
    assert all(o["queued"] == 0 and o["in_flight"] == 0 for o in state["outlets"].values())
    assert len(state["outlets"]) == len(full_crawl.report["outlets"])
    assert len(state["workers"]) == 2
    assert sum(w["items"] for w in state["workers"].values()) == len(items)
    assert not any(w["alive"] for w in state["workers"].values())
    originals = sum(1 for i in items if i["dedup"] == "new")
    assert state["dedup_originals"] == originals
    # One searchable archive from both.
    merged = tmp_path / "merged"
    proc = run_cli("merge", "--data", str(merged), str(workers[0].data), str(workers[1].data))
    assert proc.returncode == 0, proc.stderr
    assert catalog_urls(merged) == {i["url"] for i in full_crawl.items}
    again = run_cli("merge", "--data", str(merged), str(workers[0].data))
    assert "0 article(s) added" in again.stdout and "no file copied" in again.stdout


def test_shared_politeness_spaces_requests_to_one_outlet_across_workers(
        mirror: Mirror, redis_server: RedisServer, tmp_path: Path) -> None:
    enqueue(mirror, redis_server, "sohr-en")
    delay = 0.4
    workers = [Worker(mirror, redis_server, tmp_path / f"w{n}", "sohr-en",
                      "-s", f"DOWNLOAD_DELAY={delay}") for n in (1, 2)]
    assert [w.finish() for w in workers] == [0, 0], [w.log[-3000:] for w in workers]
    stamps = []
    for w in workers:
        for warc in (w.data / "warc").glob("*.warc.gz"):
            with warc.open("rb") as fh:
                for record in ArchiveIterator(fh):
                    if record.rec_type == "request":
                        stamps.append(record.rec_headers.get_header("WARC-Date"))
    from datetime import datetime
    times = sorted(datetime.fromisoformat(s.replace("Z", "+00:00")) for s in stamps)
    assert len(times) >= 10
    gaps = [(b - a).total_seconds() for a, b in zip(times, times[1:], strict=False)]
    # Two workers, each pacing itself alone, would often fetch at the same moment.
    assert min(gaps) >= delay * 0.75, sorted(gaps)[:5]
    assert all(w.data.joinpath("warc").is_dir() for w in workers)
    waited = [json.loads(p.read_text())["outlets"]["sohr-en"]
              for w in workers for p in (w.data / "reports").glob("*.json")]
    assert sum(r["pages_fetched"] for r in waited) >= 10


def test_workers_fold_their_catalogs_into_the_one_on_s3(
        mirror: Mirror, redis_server: RedisServer, tmp_path: Path) -> None:
    import boto3

    from crawler.demo import start_local_s3

    s3, s3_env = start_local_s3()
    try:
        env = {**mirror.env(), **s3_env, "no_proxy": "127.0.0.1,localhost",
               "NO_PROXY": "127.0.0.1,localhost"}
        uri = env.pop("SYRIA_ARCHIVE_S3")  # given as --s3 to the second worker
        enqueue(mirror, redis_server, "aawsat-en", "alaraby")
        first = Worker(mirror, redis_server, tmp_path / "a", "aawsat-en",
                       env={**env, "SYRIA_ARCHIVE_S3": uri})
        assert first.finish() == 0, first.log[-3000:]
        # The second starts without the catalog on S3 (no restore): only the fold brings
        # the first one's articles into the catalog it uploads.
        second = Worker(mirror, redis_server, tmp_path / "b", "alaraby", "--s3", uri,
                        "-s", "S3_RESTORE_STATE=False", env=env)
        assert second.finish() == 0, second.log[-3000:]
        client = boto3.session.Session(
            aws_access_key_id="demo", aws_secret_access_key="demo",
            region_name="us-east-1").client("s3", endpoint_url=s3_env["AWS_ENDPOINT_URL"])
        catalog = tmp_path / "catalog.sqlite3"
        client.download_file("syria-archive-demo", "archive/catalog/catalog.sqlite3",
                             str(catalog))
        with sqlite3.connect(catalog) as db:
            on_s3 = {r[0]: r[1] for r in db.execute("SELECT url, outlet FROM articles")}
        expected = catalog_urls(tmp_path / "a") | (catalog_urls(tmp_path / "b"))
        assert set(on_s3) == expected
        assert set(on_s3.values()) == {"aawsat-en", "alaraby"}
        manifests = client.list_objects_v2(Bucket="syria-archive-demo",
                                           Prefix="archive/manifests/")["Contents"]
        assert len(manifests) == 2  # one run per worker, named apart
    finally:
        s3.stop()  # type: ignore[attr-defined]


# -- faults ---------------------------------------------------------------------------

def test_a_worker_killed_mid_crawl_loses_nothing(
        mirror: Mirror, full_crawl: CrawlResult, redis_server: RedisServer,
        tmp_path: Path) -> None:
    from archive.writer import repair_orphans

    before = len(mirror.requested())
    enqueue(mirror, redis_server)
    slow = ("-s", "DOWNLOAD_DELAY=0.15")
    # Killed while it holds requests taken from the queue, before they are done.
    doomed = Worker(mirror, redis_server, tmp_path / "doomed", *slow)
    wait_for_requests(mirror, before, 15)
    wait_for_in_flight(redis_server, doomed.proc.pid, 2)
    doomed.proc.send_signal(signal.SIGKILL)
    assert doomed.finish() == -signal.SIGKILL
    survivor = Worker(mirror, redis_server, tmp_path / "survivor", *slow)
    assert survivor.finish() == 0, survivor.log[-3000:]
    # What the dead worker held went back into the queue when its heartbeat stopped.
    assert "stopped beating" in survivor.log, survivor.log[-3000:]
    # Every article of the single-process crawl is in one of the two catalogs.
    expected = {i["url"] for i in full_crawl.items}
    got = catalog_urls(doomed.data) | catalog_urls(survivor.data)
    assert expected - got == set()
    # The dead worker's unfinished WARC is repaired into a valid file.
    for final in repair_orphans(doomed.data / "warc"):
        check = subprocess.run([BIN / "warcio", "check", str(final)], capture_output=True)
        assert check.returncode == 0
    proc = run_cli("status", "--redis", redis_server.url, "--json")
    state = json.loads(proc.stdout)
    assert all(o["queued"] == 0 and o["in_flight"] == 0 for o in state["outlets"].values())


def test_redis_restarted_mid_crawl_workers_pause_and_lose_nothing(
        mirror: Mirror, full_crawl: CrawlResult, redis_server: RedisServer,
        tmp_path: Path) -> None:
    before = len(mirror.requested())
    enqueue(mirror, redis_server)
    slow = ("-s", "DOWNLOAD_DELAY=0.15")
    workers = [Worker(mirror, redis_server, tmp_path / f"w{n}", *slow) for n in (1, 2)]
    wait_for_requests(mirror, before, 30)
    redis_server.stop()
    # The workers notice, say so, and wait; nothing crashes meanwhile.
    line = workers[0].wait_for("unreachable")
    assert "paused, retrying" in line and workers[0].proc.poll() is None
    redis_server.start()
    codes = [w.finish() for w in workers]
    assert codes == [0, 0], [w.log[-3000:] for w in workers]
    assert not any("Traceback" in w.log for w in workers)
    expected = {i["url"] for i in full_crawl.items}
    got = catalog_urls(workers[0].data) | catalog_urls(workers[1].data)
    assert expected - got == set()
    proc = run_cli("status", "--redis", redis_server.url, "--json")
    state = json.loads(proc.stdout)
    assert all(o["queued"] == 0 and o["in_flight"] == 0 for o in state["outlets"].values())


# -- the command line -----------------------------------------------------------------

@pytest.mark.parametrize("command", ["enqueue", "worker", "status", "merge"])
def test_help_names_every_option(command: str) -> None:
    proc = run_cli(command, "--help")
    assert proc.returncode == 0
    for option in {"enqueue": ["--redis", "--since", "--max-pages", "--json"],
                   "worker": ["--redis", "--until-empty", "--idle-timeout", "--set", "--data",
                              "--s3"],
                   "status": ["--redis", "--json"], "merge": ["SOURCE", "--data"]}[command]:
        assert option in proc.stdout, option
    assert "--redis" in run_cli("crawl", "--help").stdout


def test_bad_usage_is_a_clear_error(tmp_path: Path) -> None:
    proc = run_cli("status", env={**_env_without_redis()})
    assert proc.returncode == 2 and "--redis" in proc.stderr
    proc = run_cli("enqueue", "--redis", "http://127.0.0.1:1/")
    assert proc.returncode == 2 and "not a Redis URL" in proc.stderr
    proc = run_cli("merge", "--data", str(tmp_path / "m"), str(tmp_path / "nowhere"))
    assert proc.returncode == 1 and "nowhere" in proc.stderr


def _env_without_redis() -> dict[str, str]:
    import os

    return {k: v for k, v in os.environ.items() if k != "SYRIA_ARCHIVE_REDIS"}


def test_an_unreachable_redis_is_named_without_its_password() -> None:
    # Nothing listens on port 1: enqueue and status give up after a few attempts.
    env = {**_env_without_redis(), "SYRIA_ARCHIVE_REDIS": "redis://u:s3cret@127.0.0.1:1/0"}
    proc = run_cli("status", env=env, timeout=120)
    assert proc.returncode == 1
    assert "127.0.0.1:1" in proc.stderr and "cannot be reached" in proc.stderr
    assert "s3cret" not in proc.stderr + proc.stdout


def test_enqueue_since_and_max_pages_reach_the_workers(
        mirror: Mirror, redis_server: RedisServer, tmp_path: Path) -> None:
    proc = run_cli("enqueue", "--redis", redis_server.url, "sohr-en", "--since", "2026-11-20",
                   "--max-pages", "1", "--json", env=mirror.env())
    assert proc.returncode == 0, proc.stderr
    row = json.loads(proc.stdout)
    assert row["outlet"] == "sohr-en" and row["seeds"] >= 2 and row["new_round"]
    proc = run_cli("enqueue", "--redis", redis_server.url, "nosuch-outlet", env=mirror.env())
    assert proc.returncode == 2 and "nosuch-outlet" in proc.stderr
    worker = Worker(mirror, redis_server, tmp_path / "w", "sohr-en")
    assert worker.finish() == 0, worker.log[-3000:]
    report = json.loads(next((tmp_path / "w" / "reports").glob("*.json")).read_text())
    row = report["outlets"]["sohr-en"]
    assert report["command"] == "worker"
    assert row["discovery"].get("skipped/before_since", 0) > 0
    assert row["discovery"].get("section/pages", 0) == 1
    state = json.loads(run_cli("status", "--redis", redis_server.url, "--json").stdout)
    assert state["outlets"]["sohr-en"]["since"].startswith("2026-11-20")
    table = run_cli("status", "--redis", redis_server.url)
    assert table.returncode == 0 and "sohr-en" in table.stdout and "last heartbeat" in table.stdout
    # A second worker in a data directory that a worker holds is refused.
    import fcntl
    with (tmp_path / "w" / "state" / "crawl.lock").open("a") as held:
        fcntl.flock(held, fcntl.LOCK_EX)
        proc = run_cli("worker", "--redis", redis_server.url, "--data", str(tmp_path / "w"),
                       "--until-empty", env=mirror.env())
    assert proc.returncode == 75 and "its own --data" in proc.stderr


def test_crawl_with_redis_seeds_and_finishes_by_itself(
        mirror: Mirror, redis_server: RedisServer, tmp_path: Path) -> None:
    data = tmp_path / "data"
    proc = run_cli("crawl", "--data", str(data), "--redis", redis_server.url, *FAST,
                   "-s", "REDIS_IDLE_TIMEOUT=1", "aawsat-en", "alaraby", env=mirror.env())
    assert proc.returncode == 0, proc.stderr[-3000:]
    items = read_items(data)
    assert items and {i["outlet"] for i in items} == {"aawsat-en", "alaraby"}
    state = json.loads(run_cli("status", "--redis", redis_server.url, "--json").stdout)
    assert state["dedup_originals"] == sum(1 for i in items if i["dedup"] == "new")
    assert state["fetched_pages"] >= len(items)
    # A second crawl finds everything archived: the shared incremental store says so.
    again = run_cli("crawl", "--data", str(data), "--redis", redis_server.url, *FAST,
                    "-s", "REDIS_IDLE_TIMEOUT=1", "aawsat-en", "alaraby", env=mirror.env())
    assert again.returncode == 0, again.stderr[-3000:]
    assert len(read_items(data)) == len(items)
