"""The data-safety defects of issue 10, one test each; every one failed before its fix.

Real servers on 127.0.0.1 only: the mirror, moto's S3 server."""

from __future__ import annotations

import fcntl
import gzip
import hashlib
import json
import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
from io import BytesIO
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from conftest import (
    FAST,
    MIRROR_PAGES,
    ROOT,
    CrawlResult,
    Mirror,
    crawl,
    load_routes,
    read_items,
    run_cli,
    start_mirror,
)
from test_s3 import FaultyS3, aws_env, client
from warcio.archiveiterator import ArchiveIterator

from crawler.mirror.server import url_key


@pytest.fixture(scope="module")
def s3() -> Any:
    server = FaultyS3()
    server.start()
    client(server.endpoint).create_bucket(Bucket="defects")
    yield server
    server.stop()


def s3_keys(server: FaultyS3, prefix: str) -> dict[str, int]:
    return {o["Key"].removeprefix(prefix): o["Size"]
            for page in client(server.endpoint).get_paginator("list_objects_v2").paginate(
                Bucket="defects", Prefix=prefix) for o in page.get("Contents", [])}


def report_of(data: Path) -> dict[str, Any]:
    return json.loads(sorted((data / "reports").glob("crawl-*.json"))[-1].read_text())


# -- 1: every option that --help shows works -----------------------------------------

def test_1_crawl_s3_option_uploads_without_the_environment_variable(
        s3: FaultyS3, mirror: Mirror, tmp_path: Path) -> None:
    env = aws_env(s3.endpoint, "", mirror.env())
    env.pop("SYRIA_ARCHIVE_S3")
    data = tmp_path / "data"
    proc = run_cli("crawl", "mee", "--data", str(data), "--s3", "s3://defects/opt", *FAST,
                   env=env)
    assert proc.returncode == 0, proc.stderr[-2000:]
    keys = s3_keys(s3, "opt/")
    assert [k for k in keys if k.startswith("warc/mee/")], keys
    assert report_of(data)["upload"]["s3"] == "s3://defects/opt/"


def test_1_bad_s3_option_is_bad_usage(tmp_path: Path) -> None:
    proc = run_cli("crawl", "mee", "--data", str(tmp_path), "--s3", "http://bucket/x")
    assert proc.returncode == 2 and proc.stderr.count("\n") == 1, proc.stderr
    assert "--s3" in proc.stderr and "Traceback" not in proc.stderr


# -- 2: a failed restore stops the run; snapshots never replace newer ones ----------------

def test_2_failed_restore_stops_the_run_unless_fresh_state_is_asked(
        mirror: Mirror, tmp_path: Path) -> None:
    from test_warc_runs import free_port

    # An S3 endpoint where nothing listens: the state cannot be read.
    env = aws_env(f"http://127.0.0.1:{free_port()}", "s3://defects/down", mirror.env())
    data = tmp_path / "data"
    slow = ["-s", "S3_MAX_ATTEMPTS=1", "-s", "S3_CONNECT_TIMEOUT=1"]
    proc = run_cli("crawl", "mee", "--data", str(data), *FAST, *slow, env=env)
    assert proc.returncode == 1, proc.stderr[-2000:]
    assert "could not restore the crawl state from s3://defects/down/" in proc.stderr
    assert "--fresh-state" in proc.stderr and "Traceback" not in proc.stderr
    assert not read_items(data) and not list((data / "warc").glob("*.warc.gz"))
    fresh = run_cli("crawl", "mee", "--data", str(data), "--fresh-state", *FAST, *slow, env=env)
    assert fresh.returncode == 3, fresh.stderr[-2000:]
    assert read_items(data)
    assert "still in the outbox" in " ".join(report_of(data)["alerts"])


def _state_dir(root: Path, marker: str) -> Path:
    """A data directory with small crawl-state databases holding ``marker``."""
    state = root / "state"
    state.mkdir(parents=True)
    for name in ("digests.sqlite3", "fetched.sqlite3", "dedup.sqlite3", "catalog.sqlite3"):
        db = sqlite3.connect(state / name)
        db.execute("CREATE TABLE t (v TEXT)")
        db.execute("INSERT INTO t VALUES (?)", (marker,))
        db.commit()
        db.close()
    return root


def _mark(data: Path, marker: str) -> None:
    for name in ("digests.sqlite3", "fetched.sqlite3", "dedup.sqlite3", "catalog.sqlite3"):
        db = sqlite3.connect(data / "state" / name)
        db.execute("INSERT INTO t VALUES (?)", (marker,))
        db.commit()
        db.close()


def _markers(path: Path) -> list[str]:
    db = sqlite3.connect(path)
    try:
        return [r[0] for r in db.execute("SELECT v FROM t")]
    finally:
        db.close()


def _start(store: Any, data: Path, run_id: str) -> Any:
    """What a crawl does with its state before crawling: restore, then change it."""
    from archive.snapshots import begin_run, restore_state

    restored = restore_state(store, data)
    begin_run(data)
    _mark(data, run_id)
    return restored


def _finish(store: Any, data: Path, run_id: str) -> dict[str, Any]:
    """And after: snapshot, upload, publish."""
    from archive.outbox import Outbox
    from archive.snapshots import publish_state
    from archive.upload import Uploader, queue_run

    with Outbox.for_data(data) as outbox:
        queue_run(outbox, data, run_id)
        assert not Uploader(store, outbox).flush().failed
        return publish_state(store, outbox, data)


def _run(store: Any, data: Path, run_id: str) -> dict[str, Any]:
    restored = _start(store, data, run_id)
    return {"restored": restored, **_finish(store, data, run_id)}


def test_2_two_machines_never_overwrite_each_others_state(
        s3: FaultyS3, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from archive.s3 import S3Config, S3Store
    from archive.snapshots import restore_state

    for name, value in aws_env(s3.endpoint, "s3://defects/two", {}).items():
        monkeypatch.setenv(name, value)
    store = S3Store(S3Config.from_uri("s3://defects/two"))
    a = _state_dir(tmp_path / "a", "a0")
    assert _run(store, a, "20261101T000000Z")["published"] == "20261101T000000Z"
    b = tmp_path / "b"  # a fresh machine: takes A's state
    first_b = _run(store, b, "20261102T000000Z")
    assert first_b["restored"].restored and first_b["published"] == "20261102T000000Z"
    assert _markers(b / "state" / "dedup.sqlite3") == ["a0", "20261101T000000Z",
                                                       "20261102T000000Z"]
    # A runs again: B's published state is newer than A's and A holds nothing
    # unpublished, so A takes B's state first, then publishes after it.
    third = _run(store, a, "20261103T000000Z")
    assert third["restored"].restored and third["published"] == "20261103T000000Z"
    assert _markers(a / "state" / "dedup.sqlite3")[-2:] == ["20261102T000000Z",
                                                          "20261103T000000Z"]
    # Both start from the same pointer; B finishes first; A's publish must not replace it.
    assert not _start(store, a, "20261105T000000Z").restored
    fourth_b = _run(store, b, "20261104T000000Z")
    assert fourth_b["restored"].restored and fourth_b["published"] == "20261104T000000Z"
    fifth_a = _finish(store, a, "20261105T000000Z")
    assert fifth_a["published"] is None and "another machine" in fifth_a["diverged"]
    pointer = json.loads(client(s3.endpoint).get_object(
        Bucket="defects", Key="two/state/HEAD.json")["Body"].read())
    assert pointer["run_id"] == "20261104T000000Z"
    # Every snapshot is still there, as its run wrote it.
    keys = s3_keys(s3, "two/")
    for run in ("20261101T000000Z", "20261102T000000Z", "20261103T000000Z",
                "20261104T000000Z", "20261105T000000Z"):
        assert f"state/runs/{run}/dedup.sqlite3" in keys, run
    # A, diverged, keeps its own state; a new machine gets B's.
    assert restore_state(store, a).diverged
    c = tmp_path / "c"
    restore_state(store, c)
    assert _markers(c / "state" / "dedup.sqlite3")[-1] == "20261104T000000Z"
    catalog = client(s3.endpoint).get_object(Bucket="defects",
                                             Key="two/catalog/catalog.sqlite3")["Body"].read()
    assert hashlib.sha256(catalog).hexdigest() == hashlib.sha256(
        (c / "state" / "catalog.sqlite3").read_bytes()).hexdigest()


def test_2_state_published_to_a_new_empty_archive(
        s3: FaultyS3, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A data directory whose state came from one archive, pointed at a new, empty one
    (another bucket or prefix, or the demo's fresh S3): the pointer there is created."""
    from archive.s3 import S3Config, S3Store

    for name, value in aws_env(s3.endpoint, "s3://defects/first", {}).items():
        monkeypatch.setenv(name, value)
    data = _state_dir(tmp_path / "a", "a0")
    first = S3Store(S3Config.from_uri("s3://defects/first"))
    assert _run(first, data, "20261101T000000Z")["published"] == "20261101T000000Z"
    empty = S3Store(S3Config.from_uri("s3://defects/empty"))
    second = _run(empty, data, "20261102T000000Z")
    assert second["published"] == "20261102T000000Z" and not second.get("diverged")
    pointer = json.loads(client(s3.endpoint).get_object(
        Bucket="defects", Key="empty/state/HEAD.json")["Body"].read())
    assert pointer["run_id"] == "20261102T000000Z"
    # and the first archive's pointer is where the first run left it
    first_pointer = json.loads(client(s3.endpoint).get_object(
        Bucket="defects", Key="first/state/HEAD.json")["Body"].read())
    assert first_pointer["run_id"] == "20261101T000000Z"


# -- 3: a killed extraction worker loses no article; failures are retried ----------------

def _workers(pid: int) -> list[int]:
    """The extraction workers (multiprocessing spawn children) of process ``pid``."""
    found = []
    for task in Path(f"/proc/{pid}/task").glob("*"):
        try:
            children = (task / "children").read_text().split()
        except OSError:
            continue
        for child in children:
            try:
                cmdline = Path(f"/proc/{child}/cmdline").read_bytes()
            except OSError:
                continue
            if b"spawn_main" in cmdline:
                found.append(int(child))
    return found


def test_3_a_killed_extraction_worker_loses_no_article(mirror: Mirror, full_crawl: CrawlResult,
                                                        tmp_path: Path) -> None:
    data = tmp_path / "data"
    proc = subprocess.Popen(
        [sys.executable, "-m", "crawler.cli", "crawl", "mee", "aljazeera-en", "--data",
         str(data), *FAST, "-s", "EXTRACT_WORKERS=1"], cwd=ROOT, env=mirror.env(),
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    killed: set[int] = set()
    deadline = time.monotonic() + 240
    while proc.poll() is None and time.monotonic() < deadline and not killed:
        for pid in _workers(proc.pid):
            if pid not in killed:
                os.kill(pid, signal.SIGKILL)
                killed.add(pid)
        time.sleep(0.02)
    _out, err = proc.communicate(timeout=300)
    assert killed, "no extraction worker was seen"
    assert proc.returncode in (0, 3), err[-3000:]
    expected = {url_key(i["url"]) for i in full_crawl.items if i["outlet"] in ("mee",
                                                                            "aljazeera-en")}
    assert {url_key(i["url"]) for i in read_items(data)} == expected
    assert "BrokenProcessPool" not in err


def test_3_extraction_failures_are_reported_and_fetched_again(mirror: Mirror,
                                                               tmp_path: Path) -> None:
    data = tmp_path / "data"
    # A time limit no page can meet: every extraction fails.
    first = crawl(mirror, data, "mee", "-s", "EXTRACT_TIMEOUT=0.001", "-s", "EXTRACT_WORKERS=1")
    assert first.proc.returncode == 3, first.proc.stderr[-2000:]
    row = first.report["outlets"]["mee"]
    failed = row["extract"]["failed/timeout"]
    assert failed > 0 and not first.items
    assert any("could not be extracted" in a for a in first.report["alerts"])
    second = crawl(mirror, data, "mee")
    assert second.proc.returncode == 0, second.proc.stderr[-2000:]
    assert len(second.items) == failed  # each failed page fetched and extracted again


# -- 4: an article reached through a redirect is not fetched again -------------------------

def test_4_redirected_article_is_not_fetched_again(tmp_path: Path) -> None:
    pages = tmp_path / "pages"
    shutil.copytree(MIRROR_PAGES / "mee", pages / "mee")
    article = next(r for r in load_routes("mee") if r.get("article") and r["about_syria"]
                   and not r.get("robots_blocked"))
    moved = article["url"].rstrip("/") + "-old-address"
    listed_in = 0  # every feed, sitemap and section page now lists the old address only
    path, old_path = urlsplit(article["url"]).path, urlsplit(moved).path
    for page in (pages / "mee").rglob("*"):
        if page.is_file() and page.suffix in (".xml", ".html", ".rss"):
            text = page.read_text(encoding="utf-8")
            listed_in += path in text
            page.write_text(text.replace(path, old_path), encoding="utf-8")
    assert listed_in
    with (pages / "mee" / "routes.toml").open("a", encoding="utf-8") as routes:
        routes.write(f'\n[[route]]\nurl = "{moved}"\nredirect = "{article["url"]}"\n')
    m = start_mirror(pages, tmp_path / "requests.jsonl")
    try:
        data = tmp_path / "data"
        first = crawl(m, data, "mee")
        assert url_key(moved) in {url_key(r["url"]) for r in first.requested}
        assert url_key(article["url"]) in {url_key(i["url"]) for i in first.items}
        second = crawl(m, data, "mee")
    finally:
        m.process.terminate()
        m.process.wait(timeout=30)
    again = {url_key(r["url"]) for r in second.requested}
    assert url_key(moved) not in again and url_key(article["url"]) not in again


# -- 5: reextract leaves the crawl's catalog alone unless asked, under the lock -----------

def _catalog_rows(data: Path) -> dict[str, tuple]:
    db = sqlite3.connect(data / "state" / "catalog.sqlite3")
    try:
        return {r[0]: r[1:] for r in db.execute(
            "SELECT url, warc_file, warc_offset, warc_length, record_id, dedup, duplicate_of, "
            "run_id FROM articles WHERE outlet = 'mee'")}
    finally:
        db.close()


def test_5_reextract_changes_the_catalog_only_when_asked_and_locked(
        full_crawl: CrawlResult, tmp_path: Path) -> None:
    data = tmp_path / "data"
    shutil.copytree(full_crawl.data, data)
    catalog = data / "state" / "catalog.sqlite3"
    before = hashlib.sha256(catalog.read_bytes()).hexdigest()
    rows = _catalog_rows(data)
    proc = run_cli("reextract", "mee", "--data", str(data), timeout=300)
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert hashlib.sha256(catalog.read_bytes()).hexdigest() == before
    with (data / "state" / "crawl.lock").open("a") as held:
        fcntl.flock(held, fcntl.LOCK_EX | fcntl.LOCK_NB)
        locked = run_cli("reextract", "mee", "--catalog", "--data", str(data), timeout=300)
    assert locked.returncode == 75 and "crawl.lock" in locked.stderr
    assert hashlib.sha256(catalog.read_bytes()).hexdigest() == before
    asked = run_cli("reextract", "mee", "--catalog", "--data", str(data), timeout=300)
    assert asked.returncode == 0, asked.stderr[-2000:]
    assert _catalog_rows(data) == rows  # captures, verdicts and run ids as the crawl left them


def test_5_revisit_captures_point_at_a_readable_record(tmp_path: Path) -> None:
    from test_extract_reextract import write_warc

    from archive.captures import read_captures

    body = b"<html><body><p>Aleppo</p></body></html>"
    warc = tmp_path / "x.warc.gz"
    write_warc(warc, [("https://www.middleeasteye.net/news/a", body),
                      ("https://www.middleeasteye.net/news/b", body)])
    caps = {c.url: c for c in read_captures([warc])}
    revisit = caps["https://www.middleeasteye.net/news/b"]
    assert revisit.length > 0
    raw = warc.read_bytes()[revisit.offset:revisit.offset + revisit.length]
    record = next(iter(ArchiveIterator(BytesIO(raw))))
    assert record.rec_type == "response" and record.content_stream().read() == body


# -- 6: a WARC whose indexing failed goes to S3 with its index -------------------------------

def test_6_warc_without_cdxj_is_indexed_again_before_upload(
        s3: FaultyS3, full_crawl: CrawlResult, tmp_path: Path) -> None:
    data = tmp_path / "data"
    (data / "warc").mkdir(parents=True)
    warc = sorted((full_crawl.data / "warc").glob("*-mee-*.warc.gz"))[0]
    shutil.copy2(warc, data / "warc" / warc.name)  # its CDXJ left behind
    env = aws_env(s3.endpoint, "s3://defects/index")
    proc = run_cli("upload", "--data", str(data), env=env)
    assert proc.returncode == 0, proc.stderr[-2000:]
    cdxj = warc.name.replace(".warc.gz", ".cdxj")
    key = next(k for k in s3_keys(s3, "index/") if k.endswith(cdxj))
    body = client(s3.endpoint).get_object(Bucket="defects", Key=f"index/{key}")["Body"].read()
    assert body == (warc.with_name(cdxj)).read_bytes()


# -- 7: scrapy crawl writes items where DATA_DIR says ------------------------------------

def test_7_scrapy_crawl_writes_items_into_the_data_dir_setting(mirror: Mirror,
                                                               tmp_path: Path) -> None:
    given, environment = tmp_path / "given", tmp_path / "environment"
    env = mirror.env(SYRIA_ARCHIVE_DATA=str(environment))
    proc = subprocess.run([sys.executable, "-m", "scrapy", "crawl", "mee", "-s",
                           f"DATA_DIR={given}", *FAST], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert read_items(given) and not (environment / "items").exists()


# -- 8: user outlets reach extract and reextract --------------------------------------

def test_8_extract_and_reextract_know_the_users_outlets(tmp_path: Path) -> None:
    from test_extract_reextract import write_warc

    extra = tmp_path / "outlets"
    extra.mkdir()
    toml = (ROOT / "crawler" / "outlets" / "mee.toml").read_text(encoding="utf-8")
    (extra / "mee-mirror.toml").write_text(
        toml.replace('name = "Middle East Eye"', 'name = "Middle East Eye (mirror)"'),
        encoding="utf-8")
    env = {**os.environ, "SYRIA_ARCHIVE_OUTLETS": str(extra)}
    route = next(r for r in load_routes("mee") if r.get("article") and r["about_syria"])
    page = MIRROR_PAGES / "mee" / route["file"]
    proc = run_cli("extract", str(page), "--url", route["url"], "--outlet", "mee-mirror",
                   env=env)
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)["outlet"] == "mee-mirror"
    data = tmp_path / "data"
    (data / "warc").mkdir(parents=True)
    write_warc(data / "warc" / "x-00000.warc.gz", [(route["url"], page.read_bytes())])
    proc = run_cli("reextract", "mee-mirror", "--data", str(data), env=env, timeout=300)
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert list((data / "items").glob("mee-mirror-reextract-*.jsonl"))


# -- 9: a hostile catalog cannot choose which local file is read -----------------------

def test_9_a_catalog_naming_a_file_outside_the_archive_is_refused(tmp_path: Path) -> None:
    from archive.catalog import Catalog

    data = tmp_path / "a" / "data"
    (data / "warc").mkdir(parents=True)
    outside = tmp_path / "a" / "private.warc.gz"
    outside.write_bytes(gzip.compress(b"WARC/1.1\r\nWARC-Type: resource\r\n\r\nprivate"))
    catalog = Catalog.for_data(data)
    catalog.add({"url": "https://www.middleeasteye.net/news/x", "outlet": "mee",
                 "title": "x", "warc": {"file": "../../private.warc.gz", "offset": 0,
                                        "length": outside.stat().st_size,
                                        "record_id": "<urn:uuid:x>"}})
    catalog.close()
    out = tmp_path / "out.warc.gz"
    proc = run_cli("record", "https://www.middleeasteye.net/news/x", "--local", "--data",
                   str(data), "-o", str(out))
    assert proc.returncode == 1 and "refusing WARC file name" in proc.stderr, proc.stderr
    assert not out.exists()


# -- 10: credentials in a URL never reach a WARC ----------------------------------------------

def test_10_url_credentials_and_secret_headers_stay_out_of_the_warc(tmp_path: Path) -> None:
    from scrapy.http import HtmlResponse, Request
    from scrapy.utils.test import get_crawler

    from archive.recorder import WarcRecorder

    crawler = get_crawler(settings_dict={"DATA_DIR": str(tmp_path), "WARC_REVISITS": False})
    recorder = WarcRecorder.from_crawler(crawler)
    request = Request("https://reader:hunter2-pass@www.middleeasteye.net/news/x",
                      headers={"Authorization": "Basic aHVudGVyMi1hdXRo",
                               "Cookie": "session=hunter2-cookie",
                               "Proxy-Authorization": "Basic hunter2-proxy"})
    response = HtmlResponse(request.url, body=b"<html>x</html>", request=request)
    recorder.process_response(request, response)
    recorder.writer.close()
    raw = b"".join(gzip.decompress(p.read_bytes()) for p in (tmp_path / "warc").glob("*.gz"))
    assert b"Host: www.middleeasteye.net" in raw
    assert b"hunter2" not in raw and b"aHVudGVyMi1hdXRo" not in raw


# -- 11: a run where nothing went wrong logs no CRITICAL line ---------------------------------

def assert_quiet_log(data: Path, stderr: str) -> None:
    """No CRITICAL line (a Deferred fired twice, an unhandled error) in a run's log."""
    logs = "".join(p.read_text(encoding="utf-8") for p in (data / "logs").glob("*.log"))
    for text in (logs, stderr):
        assert " CRITICAL: " not in text and "Unhandled error in Deferred" not in text, \
            text[text.find("CRITICAL") - 200:text.find("CRITICAL") + 2000]


def test_11_a_full_crawl_logs_no_critical_line(full_crawl: CrawlResult) -> None:
    # Sixteen spiders closing at once in one process used to stall the reactor for over
    # a second (fsyncs on close), so Scrapy's connection-close timer fired a Deferred
    # that had just fired: AlreadyCalledError. Closing now happens in threads.
    assert full_crawl.proc.returncode in (0, 3)
    assert_quiet_log(full_crawl.data, full_crawl.proc.stderr)
