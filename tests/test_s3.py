"""The S3 archive against moto's S3 server over real HTTP on 127.0.0.1: upload and
layout, manifest checksums, verified and resumed downloads, range retrieval of one
record, keys that try to escape, an outage in the middle of a crawl, a corrupted
upload."""

from __future__ import annotations

import hashlib
import json
import shutil
import sqlite3
import threading
import time
import urllib.parse
import urllib.request
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
from conftest import FAST, CrawlResult, Mirror, run_cli
from moto.moto_server.werkzeug_app import (
    DomainDispatcherApplication,
    MotoRequestHandler,
    create_backend_app,
)
from moto.server import ThreadedMotoServer
from werkzeug.serving import make_server

ACCESS_KEY = "AKIASYRIAARCHIVETEST"
SECRET_KEY = "s3cr3t-that-must-never-be-written-anywhere"


class FaultyS3(ThreadedMotoServer):
    """moto's S3 server with a request log and two faults on demand: stop serving
    after N uploads of matching keys, and corrupt the body of one upload."""

    def __init__(self, port: int = 0) -> None:
        super().__init__(ip_address="127.0.0.1", port=port, verbose=False)
        self.requests: list[tuple[str, str, str | None, int]] = []
        self.stop_after: tuple[str, int] | None = None
        self.corrupt: set[str] = set()

    def _server_entry(self) -> None:
        app = DomainDispatcherApplication(create_backend_app)
        self._server = make_server(self._ip_address, self._port, self._middleware(app), True,
                                   request_handler=MotoRequestHandler)
        self._server_ready_event.set()
        self._server.serve_forever()

    def _middleware(self, app: Any) -> Any:
        def wrapped(environ: dict[str, Any], start_response: Any) -> Any:
            method, path = environ["REQUEST_METHOD"], environ.get("PATH_INFO", "")
            if method == "PUT" and any(path.endswith(k) for k in self.corrupt):
                self.corrupt = {k for k in self.corrupt if not path.endswith(k)}
                import io
                body = environ["wsgi.input"].read(int(environ.get("CONTENT_LENGTH") or 0))
                body = bytes([body[0] ^ 0xFF]) + body[1:]
                environ["wsgi.input"] = io.BytesIO(body)
                for name in [k for k in environ if "CHECKSUM" in k or k == "HTTP_CONTENT_MD5"]:
                    del environ[name]
            status: list[int] = []

            def recording_start(code: str, headers: Any, *exc: Any) -> Any:
                status.append(int(code.split()[0]))
                return start_response(code, headers, *exc)

            result = app(environ, recording_start)
            self.requests.append((method, path, environ.get("HTTP_RANGE"),
                                  status[0] if status else 0))
            if self.stop_after and method == "PUT" and self.stop_after[0] in path \
                    and status and status[0] == 200:
                needle, left = self.stop_after
                self.stop_after = (needle, left - 1) if left > 1 else None
                if left <= 1:
                    threading.Thread(target=self.stop).start()
            return result
        return wrapped

    def stop(self) -> None:
        super().stop()
        assert self._server is not None
        self._server.server_close()  # refuse connections from now on

    @property
    def endpoint(self) -> str:
        host, port = self.get_host_and_port()
        return f"http://{host}:{port}"

    def puts(self, needle: str = "") -> Counter[str]:
        return Counter(p for m, p, _r, s in self.requests if m == "PUT" and s == 200
                       and needle in p and "partNumber" not in p)


def aws_env(endpoint: str, uri: str, base: dict[str, str] | None = None) -> dict[str, str]:
    import os

    env = dict(base if base is not None else os.environ)
    env.update(AWS_ACCESS_KEY_ID=ACCESS_KEY, AWS_SECRET_ACCESS_KEY=SECRET_KEY,
               AWS_DEFAULT_REGION="us-east-1", AWS_ENDPOINT_URL=endpoint,
               SYRIA_ARCHIVE_S3=uri, no_proxy="127.0.0.1,localhost",
               NO_PROXY="127.0.0.1,localhost")
    env.pop("AWS_PROFILE", None)
    return env


def client(endpoint: str) -> Any:
    return boto3.session.Session(
        aws_access_key_id=ACCESS_KEY, aws_secret_access_key=SECRET_KEY,
        region_name="us-east-1").client("s3", endpoint_url=endpoint)


@pytest.fixture(scope="module")
def s3() -> Iterator[FaultyS3]:
    server = FaultyS3()
    server.start()  # returns once the socket is bound: no waiting, no sleeping
    client(server.endpoint).create_bucket(Bucket="syria-test")
    yield server
    server.stop()



def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


@pytest.fixture(scope="module")
def uploaded(s3: FaultyS3, full_crawl: CrawlResult,
             tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """A copy of the full crawl's data directory, uploaded with `syria-archive upload`."""
    data = tmp_path_factory.mktemp("uploaded") / "data"
    shutil.copytree(full_crawl.data, data)
    uri = "s3://syria-test/archive"
    env = aws_env(s3.endpoint, uri)
    proc = run_cli("upload", "--data", str(data), env=env)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    objects = {o["Key"].removeprefix("archive/"): o["Size"]
               for page in client(s3.endpoint).get_paginator("list_objects_v2").paginate(
                   Bucket="syria-test", Prefix="archive/") for o in page.get("Contents", [])}
    return {"data": data, "env": env, "uri": uri, "proc": proc, "objects": objects}


def test_upload_files_every_file_under_the_layout(uploaded: dict[str, Any]) -> None:
    data, objects = uploaded["data"], uploaded["objects"]
    warcs = sorted((data / "warc").glob("*.warc.gz"))
    assert warcs
    for warc in warcs:
        outlet = warc.name.removeprefix("syria-archive-").split("-20", 1)[0]
        stamp = warc.name.split(f"{outlet}-", 1)[1][:8]
        day = f"{stamp[:4]}/{stamp[4:6]}/{stamp[6:8]}"
        assert objects[f"warc/{outlet}/{day}/{warc.name}"] == warc.stat().st_size
        cdxj = warc.name.replace(".warc.gz", ".cdxj")
        assert objects[f"cdxj/{outlet}/{day}/{cdxj}"] == (data / "warc" / cdxj).stat().st_size
    run_id = json.loads(next((data / "reports").glob("crawl-*.json")).read_text())["run_id"]
    day = f"{run_id[:4]}/{run_id[4:6]}/{run_id[6:8]}"
    assert f"articles/{day}/{run_id}.jsonl.gz" in objects
    assert f"manifests/{run_id}.json" in objects
    assert "catalog/catalog.sqlite3" in objects
    # Each run's state snapshot under keys of its own, and the pointer naming it.
    assert {f"state/runs/{run_id}/{name}" for name in (
        "digests.sqlite3", "fetched.sqlite3", "dedup.sqlite3", "catalog.sqlite3")} <= set(objects)
    assert "state/HEAD.json" in objects
    assert not [k for k in objects if k.startswith("state/") and "outbox" in k]


def test_manifest_sha256_matches_every_object(s3: FaultyS3, uploaded: dict[str, Any]) -> None:
    c = client(s3.endpoint)
    manifests = [k for k in uploaded["objects"] if k.startswith("manifests/")]
    manifest = json.loads(c.get_object(Bucket="syria-test",
                                       Key=f"archive/{manifests[0]}")["Body"].read())
    keys = {f["key"] for f in manifest["files"]}
    # The state pointer and researchers' catalog are published after the run's files.
    published = {"state/HEAD.json", "catalog/catalog.sqlite3"}
    assert {k for k in uploaded["objects"] if not k.startswith("manifests/")} - published == keys
    for f in manifest["files"]:
        body = c.get_object(Bucket="syria-test", Key=f"archive/{f['key']}")["Body"].read()
        assert len(body) == f["size"] and sha256(body) == f["sha256"], f["key"]
        head = c.head_object(Bucket="syria-test", Key=f"archive/{f['key']}",
                             ChecksumMode="ENABLED")
        assert head["Metadata"]["sha256"] == f["sha256"] and head["ChecksumSHA256"]


def test_a_second_upload_sends_nothing(s3: FaultyS3, uploaded: dict[str, Any]) -> None:
    before = sum(s3.puts("/syria-test/archive/").values())
    proc = run_cli("upload", "--data", str(uploaded["data"]), env=uploaded["env"])
    assert proc.returncode == 0 and "0 file(s) uploaded" in proc.stdout, proc.stdout
    assert sum(s3.puts("/syria-test/archive/").values()) == before


def first_warc(uploaded: dict[str, Any]) -> tuple[str, Path]:
    key = sorted(k for k in uploaded["objects"] if k.startswith("warc/"))[0]
    return key, uploaded["data"] / "warc" / key.rsplit("/", 1)[1]


def test_get_resumes_an_interrupted_download_and_verifies_it(
        s3: FaultyS3, uploaded: dict[str, Any], tmp_path: Path) -> None:
    key, local = first_warc(uploaded)
    whole = local.read_bytes()
    etag = client(s3.endpoint).head_object(Bucket="syria-test", Key=f"archive/{key}")["ETag"]
    # What an interrupted download leaves behind: part of the file and its ETag.
    partial = tmp_path / "dl" / (key + ".part")
    partial.parent.mkdir(parents=True)
    partial.write_bytes(whole[:1000])
    partial.with_name(partial.name + ".etag").write_text(etag)
    ranges_before = len([r for r in s3.requests if r[2]])
    proc = run_cli("get", key, "-o", str(tmp_path / "dl"), "--no-progress",
                   env=uploaded["env"])
    assert proc.returncode == 0, proc.stderr
    assert f"({len(whole) - 1000} bytes fetched, SHA-256 verified against the manifest)" \
        in proc.stdout
    assert (tmp_path / "dl" / key).read_bytes() == whole
    assert ("GET", f"/syria-test/archive/{key}", "bytes=1000-", 206) in s3.requests[ranges_before:]
    assert not partial.exists()


def test_get_starts_over_when_the_partial_file_is_wrong(
        s3: FaultyS3, uploaded: dict[str, Any], tmp_path: Path) -> None:
    key, local = first_warc(uploaded)
    etag = client(s3.endpoint).head_object(Bucket="syria-test", Key=f"archive/{key}")["ETag"]
    partial = tmp_path / (key + ".part")
    partial.parent.mkdir(parents=True)
    partial.write_bytes(b"x" * 500)
    partial.with_name(partial.name + ".etag").write_text(etag)
    proc = run_cli("get", key, "-o", str(tmp_path), "--no-progress", env=uploaded["env"])
    assert proc.returncode == 0, proc.stderr
    assert (tmp_path / key).read_bytes() == local.read_bytes()


def test_get_never_writes_outside_its_target(s3: FaultyS3, uploaded: dict[str, Any],
                                             tmp_path: Path) -> None:
    c = client(s3.endpoint)
    target = tmp_path / "a" / "b" / "target"
    target.mkdir(parents=True)
    evil = ["../../etc/x", "/etc/x", "warc/../../../escaped.warc.gz", "warc/x/../../../../y"]
    for key in evil:
        c.put_object(Bucket="syria-test", Key=f"archive/{key}", Body=b"evil")
    try:
        for args in (evil, ["--kind", "warc"]):
            proc = run_cli("get", *args, "-o", str(target), "--no-progress",
                           env=uploaded["env"])
            assert proc.returncode == 1
            assert "refusing key" in proc.stderr
        written = {p for p in tmp_path.rglob("*") if p.is_file()}
        assert all(p.is_relative_to(target) for p in written)
        assert not any(b"evil" == p.read_bytes() for p in written)
        assert not Path("/etc/x").exists()
    finally:
        for key in evil:
            c.delete_object(Bucket="syria-test", Key=f"archive/{key}")


def test_record_fetches_one_article_by_range_equal_to_the_local_record(
        s3: FaultyS3, uploaded: dict[str, Any], full_crawl: CrawlResult, tmp_path: Path) -> None:
    item = next(i for i in full_crawl.items if i.get("warc") and not i.get("duplicate_of"))
    warc = item["warc"]
    researcher = tmp_path / "researcher"  # no local archive: everything comes from S3
    seen = len(s3.requests)
    proc = run_cli("record", item["url"], "--data", str(researcher), "-o",
                   str(tmp_path / "one.warc.gz"), env=uploaded["env"])
    assert proc.returncode == 0, proc.stderr
    local = (full_crawl.data / "warc" / warc["file"]).read_bytes()
    got = (tmp_path / "one.warc.gz").read_bytes()
    assert got.startswith(local[warc["offset"]:warc["offset"] + warc["length"]])
    ranged = [r for r in s3.requests[seen:] if r[0] == "GET" and r[1].endswith(warc["file"])]
    assert ranged and all(r[2] and r[3] == 206 for r in ranged)
    from warcio.archiveiterator import ArchiveIterator
    with (tmp_path / "one.warc.gz").open("rb") as fh:
        kinds = [(r.rec_type, r.rec_headers.get_header("WARC-Record-ID")) for r in
                 ArchiveIterator(fh)]
    assert kinds[0] == ("response", warc["record_id"]) or kinds[0][0] == "revisit"
    assert [k for k, _ in kinds][1:] == ["metadata"]
    proc = run_cli("record", item["url"], "--data", str(researcher), env=uploaded["env"])
    assert proc.returncode == 0 and item["title"] in proc.stdout


def test_ls_search_and_presign_against_s3(uploaded: dict[str, Any], tmp_path: Path) -> None:
    env, researcher = uploaded["env"], str(tmp_path / "r")
    proc = run_cli("ls", "--data", researcher, "--json", env=env)
    listed = [json.loads(line) for line in proc.stdout.splitlines()]
    assert {f["key"] for f in listed if f["kind"] == "warc"} == {
        k for k in uploaded["objects"] if k.startswith("warc/")}
    assert all(f["size"] == uploaded["objects"][f["key"]] for f in listed)
    proc = run_cli("search", "Syria", "--data", researcher, "--lang", "en", "--json", env=env)
    hits = [json.loads(line) for line in proc.stdout.splitlines()]
    assert proc.returncode == 0 and hits and all(h["language"] == "en" for h in hits)
    key = next(f["key"] for f in listed if f["kind"] == "warc")
    proc = run_cli("presign", key, "--expires", "600", "--data", researcher, env=env)
    assert proc.returncode == 0, proc.stderr
    url = proc.stdout.split("\t")[0]
    assert SECRET_KEY not in url
    query = dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(url).query))
    # Signature version 4 names the validity; version 2 its end as a Unix time.
    if "X-Amz-Expires" in query:
        assert query["X-Amz-Expires"] == "600"
    else:
        assert 540 <= int(query["Expires"]) - time.time() <= 600
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    with opener.open(url) as response:
        assert sha256(response.read()) == sha256(
            (uploaded["data"] / "warc" / key.rsplit("/", 1)[1]).read_bytes())


def test_a_corrupted_upload_is_detected_and_redone(s3: FaultyS3, tmp_path: Path,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    from archive.outbox import Outbox
    from archive.s3 import S3Config, S3Store
    from archive.upload import Uploader

    for name, value in aws_env(s3.endpoint, "s3://syria-test/corrupt", {}).items():
        monkeypatch.setenv(name, value)
    store = S3Store(S3Config.from_uri("s3://syria-test/corrupt"))
    path = tmp_path / "file.cdxj"
    path.write_bytes(b"org,example)/ 20261125 {}\n" * 2000)
    s3.corrupt = {"/corrupt/cdxj/file.cdxj"}
    with Outbox(tmp_path / "outbox.sqlite3") as outbox:
        outbox.put(path, "cdxj/file.cdxj", "cdxj")
        result = Uploader(store, outbox).flush()
        assert result.redone == 1 and result.uploaded == 1 and not result.failed
        assert not outbox.pending()
        body = client(s3.endpoint).get_object(Bucket="syria-test",
                                               Key="corrupt/cdxj/file.cdxj")["Body"].read()
        assert body == path.read_bytes()
        assert s3.puts("/corrupt/cdxj/file.cdxj")["/syria-test/corrupt/cdxj/file.cdxj"] == 2
        # Damaged later on S3: `upload --verify` finds it and sends it again.
        client(s3.endpoint).put_object(Bucket="syria-test", Key="corrupt/cdxj/file.cdxj",
                                       Body=b"truncated")
        uploader = Uploader(store, outbox)
        assert uploader.verify() == ["cdxj/file.cdxj"]
        assert uploader.flush().uploaded == 1
    assert client(s3.endpoint).get_object(
        Bucket="syria-test", Key="corrupt/cdxj/file.cdxj")["Body"].read() == path.read_bytes()


def test_multipart_upload_is_verified_by_its_composite_checksum(
        s3: FaultyS3, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import os

    from archive.outbox import Outbox
    from archive.s3 import MiB, S3Config, S3Store
    from archive.upload import Uploader

    for name, value in aws_env(s3.endpoint, "s3://syria-test/mp", {}).items():
        monkeypatch.setenv(name, value)
    store = S3Store(S3Config.from_uri("s3://syria-test/mp", multipart_threshold=5 * MiB,
                                      multipart_chunksize=5 * MiB))
    path = tmp_path / "big.warc.gz"
    path.write_bytes(os.urandom(11 * MiB))
    with Outbox(tmp_path / "outbox.sqlite3") as outbox:
        outbox.put(path, "warc/big.warc.gz", "warc")
        result = Uploader(store, outbox).flush()
    assert result.uploaded == 1 and not result.failed and not result.redone
    assert any("partNumber=3" in r[1] or r[0] == "PUT" for r in s3.requests)


def outbox_rows(data: Path) -> list[sqlite3.Row]:
    db = sqlite3.connect(data / "state" / "outbox.sqlite3")
    db.row_factory = sqlite3.Row
    rows = db.execute("SELECT * FROM outbox").fetchall()
    db.close()
    return rows


def test_an_outage_mid_crawl_loses_and_duplicates_nothing(mirror: Mirror,
                                                          tmp_path: Path) -> None:
    server = FaultyS3()
    server.start()
    client(server.endpoint).create_bucket(Bucket="outage")
    port = server.get_host_and_port()[1]
    # S3 goes away after the second WARC file of the crawl reached it.
    server.stop_after = ("/outage/a/warc/", 2)
    data = tmp_path / "data"
    env = aws_env(server.endpoint, "s3://outage/a", mirror.env())
    small = ["-s", "WARC_MAX_SIZE=6000", "-s", "S3_MAX_ATTEMPTS=2"]
    first = run_cli("crawl", "--data", str(data), *FAST, *small, "aawsat-en", "alaraby", env=env)
    report = json.loads(sorted((data / "reports").glob("crawl-*.json"))[-1].read_text())
    assert first.returncode == 3, first.stderr[-3000:]
    assert report["upload"]["pending"] > 0 and report["upload"]["unreachable"]
    assert any("still in the outbox" in a for a in report["alerts"])
    pending = [r for r in outbox_rows(data) if r["status"] == "pending"]
    assert any(r["kind"] == "warc" for r in pending) and any(r["kind"] == "manifest"
                                                              for r in pending)
    server2 = FaultyS3(port=port)  # back, on the same address; moto keeps its objects
    server2.start()
    server2.requests = []
    try:
        second = run_cli("crawl", "--data", str(data), *FAST, *small, "aawsat-ar", env=env)
        assert second.returncode in (0, 3), second.stderr[-3000:]
        report2 = json.loads(sorted((data / "reports").glob("crawl-*.json"))[-1].read_text())
        assert report2["upload"]["pending"] == 0 and not report2["upload"]["failed"]
        assert all(r["status"] == "uploaded" for r in outbox_rows(data))
        c = client(server2.endpoint)
        stored = {o["Key"].removeprefix("a/"): o["Size"] for page in
                  c.get_paginator("list_objects_v2").paginate(Bucket="outage", Prefix="a/")
                  for o in page.get("Contents", [])}
        local = sorted((data / "warc").glob("*"))
        names = {k.rsplit("/", 1)[1] for k in stored if k.startswith(("warc/", "cdxj/"))}
        assert names == {p.name for p in local}  # every file, no other
        for p in local:
            key = next(k for k in stored if k.endswith("/" + p.name))
            body = c.get_object(Bucket="outage", Key=f"a/{key}")["Body"].read()
            assert body == p.read_bytes(), p.name
        runs = sorted(r.name.removeprefix("crawl-").removesuffix(".json")
                      for r in (data / "reports").glob("crawl-*.json"))
        assert {k for k in stored if k.startswith("manifests/")} == {
            f"manifests/{r}.json" for r in runs}
        # Files that reached S3 before the outage were not sent again.
        assert all(n == 1 for n in (server.puts("/outage/a/warc/")
                                    + server2.puts("/outage/a/warc/")).values())
    finally:
        server2.stop()


def test_a_fresh_machine_resumes_from_s3(mirror: Mirror, uploaded: dict[str, Any],
                                         tmp_path: Path) -> None:
    """Nightly on a new machine: the state comes back from S3, so nothing archived
    before is fetched again and nothing is reported new."""
    from conftest import load_routes, read_items

    from crawler.mirror.server import url_key
    from crawler.registry import Registry

    fresh = tmp_path / "fresh"
    env = {**uploaded["env"], "http_proxy": mirror.proxy, "https_proxy": mirror.proxy}
    before = len(mirror.requested())
    proc = run_cli("crawl", "--data", str(fresh), *FAST, env=env)
    assert proc.returncode in (0, 3), proc.stdout[-2000:] + proc.stderr[-2000:]
    for name in ("digests.sqlite3", "fetched.sqlite3", "dedup.sqlite3", "catalog.sqlite3"):
        assert (fresh / "state" / name).is_file(), name
    articles = {url_key(r["url"]) for o in Registry.load().ids() for r in load_routes(o)
                if r.get("article")}
    fetched = [r["url"] for r in mirror.requested()[before:] if url_key(r["url"]) in articles]
    assert fetched == []
    assert read_items(fresh) == []


def test_local_warcs_are_deleted_only_once_s3_holds_them(s3: FaultyS3, mirror: Mirror,
                                                         tmp_path: Path) -> None:
    from conftest import read_items

    data = tmp_path / "data"
    env = {**aws_env(s3.endpoint, "s3://syria-test/retention"), "http_proxy": mirror.proxy,
           "https_proxy": mirror.proxy}
    proc = run_cli("crawl", "mee", "--data", str(data), *FAST,
                   "-s", "S3_DELETE_UPLOADED=True", env=env)
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-2000:]
    assert not list((data / "warc").glob("*.warc.gz"))  # all on S3, intact
    keys = [o["Key"] for o in client(s3.endpoint).list_objects_v2(
        Bucket="syria-test", Prefix="retention/warc/")["Contents"]]
    assert keys and all(k.endswith(".warc.gz") for k in keys)
    item = next(i for i in read_items(data) if not i.get("duplicate_of"))
    record = run_cli("record", item["url"], "--data", str(data), env=env)
    assert record.returncode == 0, record.stderr
    assert item["title"] in record.stdout and item["body"][-1][:50] in record.stdout
