"""`make demo` as a new user runs it: twice, into the same archive, offline.

The first run crawls every outlet of the shipped mirror, uploads to moto's S3 server and
searches it; the second fetches no article again, keeps nothing new, and still exits 0
(its S3 is a fresh in-memory one: the demo sends it what earlier runs uploaded).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import ROOT


def demo(data: Path) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("SYRIA_ARCHIVE_", "AWS_")) and k.lower() not in (
               "http_proxy", "https_proxy")}
    return subprocess.run([sys.executable, "-m", "crawler.demo", "--data", str(data)],
                          cwd=ROOT, env=env, capture_output=True, text=True, timeout=900)


@pytest.mark.timeout(1200)
def test_demo_twice_into_one_archive(tmp_path: Path) -> None:
    data = tmp_path / "data"
    first = demo(data)
    out = first.stdout + first.stderr
    assert first.returncode == 0, out[-3000:]
    assert "CRITICAL" not in out and "Traceback" not in out, out[-3000:]
    reports = sorted((data / "reports").glob("crawl-*.json"))
    report = json.loads(reports[-1].read_text())
    kept = {o: r["articles_kept"] for o, r in report["outlets"].items()}
    assert all(kept.values()), kept  # every outlet keeps articles
    assert report["alerts"] == [] and report["exit_code"] == 0, report["alerts"]
    # the researcher commands found articles on S3 (search --json prints them)
    assert '"url": "https://' in out and "search: no catalog" not in out

    second = demo(data)
    out = second.stdout + second.stderr
    assert second.returncode == 0, out[-3000:]
    assert "CRITICAL" not in out and "Traceback" not in out, out[-3000:]
    report = json.loads(sorted((data / "reports").glob("crawl-*.json"))[-1].read_text())
    assert sum(r["articles_kept"] for r in report["outlets"].values()) == 0
    assert report["alerts"] == [], report["alerts"]
    assert '"url": "https://' in out and "search: no catalog" not in out
