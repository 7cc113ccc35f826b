"""Faults of the machine and its services: a full disk while writing a WARC, S3 that is
down, slow, failing or cutting uploads (a fault proxy in front of moto's server), and
secrets planted in every place a crawl reads them from."""

from __future__ import annotations

import base64
import gzip
import json
import shutil
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from conftest import FAST, ROOT, CrawlResult, Mirror, read_items, run_cli
from faults import S3FaultProxy, check_archive, complete_records
from test_defects import assert_quiet_log
from test_s3 import FaultyS3, aws_env, client

from crawler.mirror.server import url_key


def report_of(data: Path) -> dict[str, Any]:
    return json.loads(sorted((data / "reports").glob("crawl-*.json"))[-1].read_text())


# -- a full disk ----------------------------------------------------------------------

@contextmanager
def full_disk(folder: Path, size: str = "32k") -> Iterator[None]:
    """A tiny filesystem (tmpfs) at ``folder``: the WARC folder fills up while the state,
    logs and reports elsewhere still have room.  Needs root, as CI and this workplace's
    machines have (a per-process file size limit would hit SQLite's journals first)."""
    folder.mkdir(parents=True, exist_ok=True)
    mount = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs",
                            str(folder)], capture_output=True, text=True)
    if mount.returncode != 0:
        pytest.fail(f"cannot make a small filesystem (tmpfs mount, needs root): "
                    f"{mount.stderr.strip()}")
    try:
        yield
    finally:
        # "Free space": the files move to the real disk, the tiny one goes away.
        keep = folder.with_name(folder.name + ".kept")
        shutil.copytree(folder, keep)
        subprocess.run(["umount", str(folder)], check=True)
        shutil.rmtree(folder)
        keep.rename(folder)


def test_disk_full_while_writing_a_warc(mirror: Mirror, full_crawl: CrawlResult,
                                        tmp_path: Path) -> None:
    data = tmp_path / "data"
    cmd = [sys.executable, "-m", "crawler.cli", "crawl", "mee", "--data", str(data), *FAST]
    with full_disk(data / "warc"):
        full = subprocess.run(cmd, cwd=ROOT, env=mirror.env(), capture_output=True,
                              text=True, timeout=300)
        assert full.returncode == 1, full.stderr[-3000:]
        report = report_of(data)
        alert = next(a for a in report["alerts"] if "WARC writing failed" in a)
        warc = next((data / "warc").glob("*.warc.gz"))
        assert warc.name in alert, alert
        assert "no space left" in alert.lower(), alert
        assert "Traceback" not in full.stderr
        # The partial file was cut back to its last complete record and closed.
        assert not list((data / "warc").glob("*.open"))
    check = subprocess.run([Path(sys.executable).parent / "warcio", "check", str(warc)],
                           capture_output=True, text=True)
    assert check.returncode == 0, check.stdout
    before = complete_records(data / "warc")
    assert before
    # With room again, the next run finishes the work and loses nothing written before.
    again = subprocess.run(cmd, cwd=ROOT, env=mirror.env(), capture_output=True, text=True,
                           timeout=300)
    assert again.returncode == 0, again.stderr[-3000:]
    reference = {url_key(i["url"]) for i in full_crawl.items if i["outlet"] == "mee"}
    result = check_archive(data, reference, before)
    assert not result.lost and not result.problems, result


# -- S3 faults through a proxy ----------------------------------------------------------

@pytest.fixture()
def moto() -> Any:
    server = FaultyS3()
    server.start()
    client(server.endpoint).create_bucket(Bucket="faults")
    yield server
    server.stop()


def s3_objects(endpoint: str, prefix: str) -> dict[str, bytes]:
    c = client(endpoint)
    return {o["Key"].removeprefix(prefix): c.get_object(Bucket="faults", Key=o["Key"])[
        "Body"].read() for page in c.get_paginator("list_objects_v2").paginate(
        Bucket="faults", Prefix=prefix) for o in page.get("Contents", [])}


def test_s3_errors_slow_answers_and_a_cut_upload_lose_nothing(
        moto: FaultyS3, mirror: Mirror, tmp_path: Path) -> None:
    proxy = S3FaultProxy(moto.endpoint)
    proxy.errors, proxy.truncate, proxy.delay = 3, 1, 0.05
    env = aws_env(proxy.endpoint, "s3://faults/a", mirror.env())
    data = tmp_path / "data"
    proc = run_cli("crawl", "sana-en", "--data", str(data), *FAST, "-s",
                   "S3_MAX_ATTEMPTS=6", env=env)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert proxy.served["500"] == 3 and proxy.served["truncated"] == 1
    stored = s3_objects(moto.endpoint, "a/")
    for warc in (data / "warc").glob("*"):
        key = next(k for k in stored if k.endswith("/" + warc.name))
        assert stored[key] == warc.read_bytes(), warc.name  # intact despite the faults
    assert "state/HEAD.json" in stored and report_of(data)["upload"]["pending"] == 0


def test_s3_down_at_start_and_too_slow_then_back(moto: FaultyS3, mirror: Mirror,
                                                 tmp_path: Path) -> None:
    proxy = S3FaultProxy(moto.endpoint)
    env = aws_env(proxy.endpoint, "s3://faults/b", mirror.env())
    data = tmp_path / "data"
    first = run_cli("crawl", "sana-en", "--data", str(data), *FAST, env=env)
    assert first.returncode == 0, first.stderr[-3000:]
    # Down at the start of the next run: this machine has its own state, so it crawls
    # on with it, keeps every file in the outbox, and says so (exit 3).
    proxy.down()
    quick = ["-s", "S3_MAX_ATTEMPTS=1", "-s", "S3_CONNECT_TIMEOUT=1"]
    down = run_cli("crawl", "mee", "--data", str(data), *FAST, *quick, env=env)
    assert down.returncode == 3, down.stderr[-3000:]
    report = report_of(data)
    assert report["upload"]["pending"] > 0
    assert any("could not restore the crawl state" in a for a in report["alerts"])
    # Back, but answering slower than S3_READ_TIMEOUT: the run goes on, nothing is lost,
    # everything stays in the outbox.
    proxy.up()
    proxy.delay = 2.5
    slow = run_cli("crawl", "mee", "--data", str(data), *FAST, "-s", "S3_READ_TIMEOUT=1",
                   "-s", "S3_MAX_ATTEMPTS=1", env=env)
    assert slow.returncode == 3, slow.stderr[-3000:]
    assert report_of(data)["upload"]["pending"] > 0
    report = report_of(data)
    proxy.delay = 0
    back = run_cli("upload", "--data", str(data), env=env)
    assert back.returncode == 0, back.stdout + back.stderr
    stored = s3_objects(moto.endpoint, "b/")
    for warc in (data / "warc").glob("*"):
        assert any(k.endswith("/" + warc.name) for k in stored), (warc.name, back.stdout)
    pointer = json.loads(stored["state/HEAD.json"])
    assert pointer["run_id"] == report["run_id"]  # the later run's state is published
    # A corrupted object on S3 is found by `upload --verify` and sent again.
    key = next(k for k in stored if k.startswith("warc/"))
    client(moto.endpoint).put_object(Bucket="faults", Key=f"b/{key}", Body=b"damaged")
    verify = run_cli("upload", "--verify", "--data", str(data), env=env)
    assert verify.returncode == 0 and "1 found wrong by --verify" in verify.stdout
    assert s3_objects(moto.endpoint, "b/")[key] == (data / "warc" / key.rsplit("/", 1)[1]
                                                    ).read_bytes()


# -- secrets ------------------------------------------------------------------------------

PLANTED = {
    "AWS_SECRET_ACCESS_KEY": "planted-secret-key-0a1b2c3d",
    "AWS_SESSION_TOKEN": "planted-session-token-4e5f6a7b",
    "proxy": "planted-proxy-password-8c9d",
    "webhook": "planted-webhook-token-0e1f",
}


def _texts(path: Path, data: bytes) -> bytes:
    if data[:2] == b"\x1f\x8b":
        try:
            return gzip.decompress(data)
        except (OSError, EOFError):
            return data
    return data


def test_planted_secrets_reach_no_file_the_run_writes(moto: FaultyS3, mirror: Mirror,
                                                      tmp_path: Path) -> None:
    proxy = mirror.proxy.replace("http://", f"http://reader:{PLANTED['proxy']}@")
    env = aws_env(moto.endpoint, "s3://faults/secrets", mirror.env())
    env.update(AWS_SECRET_ACCESS_KEY=PLANTED["AWS_SECRET_ACCESS_KEY"],
               AWS_SESSION_TOKEN=PLANTED["AWS_SESSION_TOKEN"], http_proxy=proxy,
               https_proxy=proxy)
    data = tmp_path / "data"
    proc = run_cli("crawl", "mee", "--data", str(data), *FAST, "-s", "LOG_LEVEL=DEBUG",
                   "-s", f"ALERT_WEBHOOK_TOKEN={PLANTED['webhook']}", env=env)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert read_items(data), "the crawl went through the proxy that needs a password"
    # The proxy's credentials travel base64-encoded in Proxy-Authorization: look for
    # that form too.
    planted = {**PLANTED, "proxy header": base64.b64encode(
        f"reader:{PLANTED['proxy']}".encode()).decode()}
    written = {str(p): _texts(p, p.read_bytes()) for p in data.rglob("*") if p.is_file()}
    written.update({f"s3:{k}": _texts(Path(k), v)
                    for k, v in s3_objects(moto.endpoint, "secrets/").items()})
    written["stdout+stderr"] = (proc.stdout + proc.stderr).encode()
    assert len([k for k in written if k.startswith("s3:")]) > 5
    for name, secret in planted.items():
        hits = [where for where, body in written.items() if secret.encode() in body]
        assert not hits, (name, hits)
    assert_quiet_log(data, proc.stderr)
