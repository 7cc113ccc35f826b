"""The project deploys to scrapyd as an egg and runs an outlet there."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import urllib.parse
import urllib.request
from pathlib import Path

import pytest
from conftest import ROOT, Mirror, read_items
from test_warc_runs import free_port, wait_for, wait_for_port
from warcio.archiveiterator import ArchiveIterator

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
    """`scrapyd-deploy TARGET` through scrapy.cfg's [deploy] section (the project name),
    with the target's URL where a user puts their servers (~/.scrapy.cfg, here
    $XDG_CONFIG_HOME/scrapy.cfg); then schedule.json, listjobs.json, and that job's
    WARC and articles found by the job id it was given as CRAWL_ID."""
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
    config = tmp_path / "config"
    config.mkdir()
    (config / "scrapy.cfg").write_text(f"[deploy:test]\nurl = {base}\n")
    try:
        wait_for_port(port, server)
        deploy = subprocess.run([BIN / "scrapyd-deploy", "test", "-v", "1"], cwd=ROOT,
                                env={**os.environ, "XDG_CONFIG_HOME": str(config)},
                                capture_output=True, text=True, timeout=240)
        assert deploy.returncode == 0, deploy.stderr[-2000:]
        assert '"status": "ok"' in deploy.stdout and "syria-archive" in deploy.stderr
        assert call(base, "listprojects.json")["projects"] == ["syria-archive"]
        spiders = call(base, "listspiders.json?project=syria-archive")
        assert spiders["spiders"] == Registry.load().ids()
        jobid = "aawsat-en-test-1"
        job = call(base, "schedule.json", {
            "project": "syria-archive", "spider": "aawsat-en", "jobid": jobid,
            "setting": ["DOWNLOAD_DELAY=0", "AUTOTHROTTLE_ENABLED=False",
                        f"CRAWL_ID=syria-archive-{jobid}"]})
        assert job == {"node_name": job["node_name"], "status": "ok", "jobid": jobid}

        def finished() -> dict | None:
            jobs = call(base, "listjobs.json?project=syria-archive")
            return next((j for j in jobs["finished"] if j["id"] == jobid), None)

        done = wait_for(finished, deadline=180)
    finally:
        server.terminate()
        server.wait(timeout=30)
    assert done["spider"] == "aawsat-en" and done["start_time"] and done["end_time"]
    log = (tmp_path / "logs" / "syria-archive" / "aawsat-en" / f"{jobid}.log").read_text()
    assert "Spider closed (finished)" in log
    items = read_items(data)
    assert items and {i["outlet"] for i in items} == {"aawsat-en"}
    # the job's WARC: its warcinfo names the job; the articles point into it
    warcs = {}
    for path in sorted((data / "warc").glob("*.warc.gz")):
        with path.open("rb") as fh:
            info = next(iter(ArchiveIterator(fh)))
            warcs[path.name] = info.content_stream().read().decode()
    ours = {name for name, info in warcs.items() if f"isPartOf: syria-archive-{jobid}" in info}
    assert ours and {i["warc"]["file"] for i in items} <= ours
