"""The project deploys to scrapyd as an egg and runs an outlet there."""

from __future__ import annotations

import json
import subprocess
import sys
import urllib.parse
import urllib.request
from pathlib import Path

import pytest
from conftest import ROOT, Mirror, read_items
from test_warc_runs import free_port, wait_for, wait_for_port

from crawler.registry import Registry

BIN = Path(sys.executable).parent


def call(base: str, path: str, data: dict | None = None, files: dict | None = None) -> dict:
    if files:
        import requests
        resp = requests.post(base + path, data=data, files=files, timeout=60)
        return resp.json()
    if data is not None:
        body = urllib.parse.urlencode(data, doseq=True).encode()
        with urllib.request.urlopen(base + path, body, timeout=60) as resp:
            return json.load(resp)
    with urllib.request.urlopen(base + path, timeout=60) as resp:
        return json.load(resp)


@pytest.mark.timeout(300)
def test_deploy_to_scrapyd_and_schedule_an_outlet(mirror: Mirror, tmp_path: Path) -> None:
    egg = tmp_path / "syria-archive.egg"
    build = subprocess.run([BIN / "scrapyd-deploy", "--build-egg", str(egg)], cwd=ROOT,
                           capture_output=True, text=True, timeout=240)
    assert build.returncode == 0 and egg.is_file(), build.stderr[-2000:]
    port = free_port()
    (tmp_path / "scrapyd.conf").write_text(
        f"[scrapyd]\nbind_address = 127.0.0.1\nhttp_port = {port}\n"
        f"eggs_dir = {tmp_path / 'eggs'}\nlogs_dir = {tmp_path / 'logs'}\n"
        f"dbs_dir = {tmp_path / 'dbs'}\nitems_dir =\nmax_proc = 1\npoll_interval = 0.2\n")
    data = tmp_path / "data"
    server = subprocess.Popen([BIN / "scrapyd"], cwd=tmp_path,
                              env=mirror.env(SYRIA_ARCHIVE_DATA=str(data)),
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}/"
    try:
        wait_for_port(port, server)
        with egg.open("rb") as fh:
            added = call(base, "addversion.json", {"project": "syria-archive", "version": "1"},
                         {"egg": fh})
        assert added["status"] == "ok", added
        spiders = call(base, "listspiders.json?project=syria-archive")
        assert spiders["spiders"] == Registry.load().ids()
        job = call(base, "schedule.json", {
            "project": "syria-archive", "spider": "aawsat-en",
            "setting": ["DOWNLOAD_DELAY=0", "AUTOTHROTTLE_ENABLED=False"]})
        assert job["status"] == "ok", job

        def finished() -> bool:
            jobs = call(base, "listjobs.json?project=syria-archive")
            return any(j["id"] == job["jobid"] for j in jobs["finished"])

        wait_for(finished, deadline=180)
    finally:
        server.terminate()
        server.wait(timeout=30)
    items = read_items(data)
    assert items and {i["outlet"] for i in items} == {"aawsat-en"}
    assert list((data / "warc").glob("*.warc.gz"))
