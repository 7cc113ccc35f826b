"""WARC behaviour across runs: revisits for unchanged payloads, repair after a
crash, and replay of the archive in pywb on 127.0.0.1."""

from __future__ import annotations

import gzip
import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
from conftest import ROOT, CrawlResult, Mirror, crawl
from warcio.archiveiterator import ArchiveIterator

from crawler.web.replay import pywb_python

BIN = Path(sys.executable).parent


def records(path: Path) -> list:
    out = []
    with path.open("rb") as fh:
        for record in ArchiveIterator(fh):
            out.append((record.rec_type, record.rec_headers.get_header("WARC-Target-URI"),
                        record.rec_headers.get_header("WARC-Refers-To-Target-URI")))
    return out


def run_warcs(data: Path, run_id: str) -> list[Path]:
    report = json.loads((data / "reports" / f"crawl-{run_id}.json").read_text())
    outlets = set(report["outlets"])
    stamp = run_id.replace("T", "").rstrip("Z")
    return [w for w in sorted((data / "warc").glob("*.warc.gz"))
            if w.name.split("-2026")[0].removeprefix("syria-archive-") in outlets
            and ("2026" + w.name.split("-2026", 1)[1])[:14] >= stamp]


def test_second_crawl_of_unchanged_mirror_writes_revisits(mirror: Mirror, tmp_path) -> None:
    data = tmp_path / "data"
    first = crawl(mirror, data, "aawsat-en", "aljazeera-en")
    first_files = set((data / "warc").glob("*.warc.gz"))
    second = crawl(mirror, data, "aawsat-en", "aljazeera-en")
    second_files = set((data / "warc").glob("*.warc.gz")) - first_files
    assert first.proc.returncode in (0, 3) and second.proc.returncode in (0, 3)
    assert second_files
    kinds = [r for f in sorted(second_files) for r in records(f)]
    responses = [r for r in kinds if r[0] == "response"]
    revisits = [r for r in kinds if r[0] == "revisit"]
    assert revisits, "no revisit record in the second run"
    # Every payload was archived before: only empty bodies (redirects) stay responses.
    assert all(r[1] for r in revisits) and len(responses) <= len(kinds) // 10
    first_bytes = sum(f.stat().st_size for f in first_files)
    second_bytes = sum(f.stat().st_size for f in second_files)
    print(f"first run {first_bytes} bytes, second run {second_bytes} bytes "
          f"({second_bytes / first_bytes:.1%})")
    assert second_bytes < first_bytes


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for_port(port: int, proc: subprocess.Popen, deadline: float = 60) -> None:
    end = time.monotonic() + deadline
    while time.monotonic() < end:
        if proc.poll() is not None:
            raise RuntimeError(f"process exited with {proc.returncode} before listening")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return
        except OSError:
            time.sleep(0.05)
    raise TimeoutError(f"nothing listens on 127.0.0.1:{port}")


def wait_for(condition, deadline: float = 120):
    end = time.monotonic() + deadline
    while time.monotonic() < end:
        value = condition()
        if value:
            return value
        time.sleep(0.05)
    raise TimeoutError("condition not met")


def test_crash_mid_write_is_repaired_on_restart(mirror: Mirror, tmp_path) -> None:
    data = tmp_path / "data"
    slow = ["-s", "DOWNLOAD_DELAY=0.3", "-s", "AUTOTHROTTLE_ENABLED=False",
            "-s", "CONCURRENT_REQUESTS_PER_DOMAIN=1"]
    proc = subprocess.Popen([sys.executable, "-m", "crawler.cli", "crawl", "aljazeera-en",
                             "--data", str(data), *slow], cwd=ROOT, env=mirror.env(),
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

    def open_file_with_records() -> Path | None:
        for f in (data / "warc").glob("*.open") if (data / "warc").is_dir() else []:
            if f.stat().st_size > 4000:
                return f
        return None

    try:
        open_file = wait_for(open_file_with_records)
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait()
    complete = []
    with open_file.open("rb") as fh:
        try:
            for record in ArchiveIterator(fh):
                record.content_stream().read()
                complete.append(record.rec_headers.get_header("WARC-Record-ID"))
        except Exception:  # the kill may have cut the last record
            pass
    assert complete
    # A torn write on top: half of a gzip member, as a kill in mid-write leaves it.
    torn = gzip.compress(b"WARC/1.1\r\nWARC-Type: response\r\n" + os.urandom(5000))
    with open_file.open("ab") as fh:
        fh.write(torn[: len(torn) // 2])

    restart = crawl(mirror, data, "aawsat-en")
    assert restart.proc.returncode in (0, 3), restart.proc.stderr[-2000:]
    assert not list((data / "warc").glob("*.open"))
    repaired = open_file.with_name(open_file.name.removesuffix(".open"))
    assert repaired.is_file() and repaired.with_name(
        repaired.name.replace(".warc.gz", ".cdxj")).is_file()
    ids = []
    with repaired.open("rb") as fh:
        for record in ArchiveIterator(fh):
            ids.append(record.rec_headers.get_header("WARC-Record-ID"))
    assert ids[: len(complete)] == complete and len(ids) >= len(complete)
    check = subprocess.run([BIN / "warcio", "check", *map(str, (data / "warc").glob("*.warc.gz"))],
                           capture_output=True, text=True)
    assert check.returncode == 0, check.stdout[-2000:]


@pytest.mark.timeout(300)
def test_pywb_replays_an_archived_syria_article(full_crawl: CrawlResult, tmp_path) -> None:
    python = pywb_python()  # pywb lives in an environment of its own (.venv/pywb)
    wb_manager = [python, "-m", "pywb.manager.manager"]
    subprocess.run([*wb_manager, "init", "syria"], cwd=tmp_path, check=True,
                   capture_output=True)
    subprocess.run([*wb_manager, "add", "syria", *map(str, (full_crawl.data / "warc").glob(
        "*.warc.gz"))], cwd=tmp_path, check=True, capture_output=True)
    port = free_port()
    proc = subprocess.Popen([python, "-m", "pywb.apps.cli", "-b", "127.0.0.1", "-p", str(port)],
                            cwd=tmp_path,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        wait_for_port(port, proc)
        item = next(i for i in full_crawl.items
                    if i["outlet"] == "aawsat-en" and "Syria" in i["text"])
        url = f"http://127.0.0.1:{port}/syria/2026mp_/{item['url']}"
        with urllib.request.urlopen(url, timeout=60) as resp:
            assert resp.status == 200
            html = resp.read().decode("utf-8", errors="replace")
        assert item["body"][len(item["body"]) // 2][:60] in html
    finally:
        proc.terminate()
        proc.wait(timeout=30)


def test_files_rotate_by_size_and_each_stands_alone(mirror: Mirror, tmp_path) -> None:
    data = tmp_path / "data"
    result = crawl(mirror, data, "aawsat-en", "-s", "WARC_MAX_SIZE=15000")
    assert result.proc.returncode in (0, 3), result.proc.stderr[-2000:]
    files = sorted((data / "warc").glob("*.warc.gz"))
    assert len(files) >= 3
    serials = sorted(int(f.name.split("-")[-3]) for f in files)
    assert serials == list(range(len(files)))
    for f in files:
        kinds = [k for k, _, _ in records(f)]
        assert kinds[0] == "warcinfo" and kinds.count("warcinfo") == 1
        assert f.with_name(f.name.replace(".warc.gz", ".cdxj")).is_file()
        # a request stays in the file of its response
        assert kinds.count("request") == kinds.count("response") + kinds.count("revisit")
    check = subprocess.run([BIN / "warcio", "check", *map(str, files)], capture_output=True,
                           text=True)
    assert check.returncode == 0, check.stdout[-2000:]
    assert result.report["outlets"]["aawsat-en"]["warc"]["files"] == len(files)
