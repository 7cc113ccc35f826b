"""`syria-archive nightly` on the mirror: two runs, the second incremental from each
outlet's last good run; the lock (a second run exits 75 naming the holder; a lock left by
a killed run is taken over); a run killed half-way and started again finishes the work
without fetching again what it archived and without duplicates; cadences, --since,
--lookback, --quiet; the webhook; the since-state coming back from S3 on a new machine."""

from __future__ import annotations

import http.server
import json
import signal
import subprocess
import sys
import threading
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from conftest import FAST, ROOT, Mirror, read_items, run_cli
from faults import check_archive, complete_records
from test_warc_runs import wait_for

from crawler.mirror.server import url_key

# The mirror's articles are of October and November 2026: a first run looks back to them.
LOOKBACK = str((date.today() - date(2026, 10, 1)).days + 1)
OUTLETS = ["sana-en", "mee"]


def nightly(mirror: Mirror, data: Path, *args: str, env: dict[str, str] | None = None,
            timeout: float = 600) -> subprocess.CompletedProcess[str]:
    return run_cli("nightly", "--data", str(data), *FAST, *args,
                   env=env if env is not None else mirror.env(), timeout=timeout)


def nightly_cmd(data: Path, *args: str) -> list[str]:
    return [sys.executable, "-m", "crawler.cli", "nightly", "--data", str(data), *FAST, *args]


def reports(data: Path) -> list[dict[str, Any]]:
    return [json.loads(p.read_text()) for p in sorted((data / "reports").glob("nightly-*.json"))]


def article_urls(requested: list[dict[str, Any]], outlets: list[str]) -> set[str]:
    from conftest import load_routes

    articles = {url_key(r["url"]) for o in outlets for r in load_routes(o) if r.get("article")}
    return {url_key(r["url"]) for r in requested} & articles


class Webhook:
    """An HTTP server on 127.0.0.1 that keeps what is posted to it."""

    def __init__(self, status: int = 200) -> None:
        received: list[tuple[str, dict[str, Any]]] = []

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 (the stdlib's name)
                body = self.rfile.read(int(self.headers["Content-Length"]))
                received.append((self.path, json.loads(body)))
                self.send_response(status)
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                pass

        self.received = received
        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def webhook() -> Iterator[Webhook]:
    hook = Webhook()
    yield hook
    hook.stop()


def written_text(data: Path) -> str:
    return "\n".join(p.read_bytes().decode("utf-8", "replace") for p in data.rglob("*")
                     if p.is_file() and not p.name.endswith(".sqlite3"))


@pytest.mark.timeout(300)
def test_two_nightly_runs_the_second_incremental_since_the_last(
        mirror: Mirror, tmp_path: Path, webhook: Webhook) -> None:
    data = tmp_path / "data"
    token = "hook-token-6d1f0a"
    env = mirror.env(SYRIA_ARCHIVE_WEBHOOK=f"{webhook.url}/notify/{token}",
                     no_proxy="127.0.0.1")  # the webhook is not behind the mirror's proxy
    before = len(mirror.requested())
    first = nightly(mirror, data, *OUTLETS, "--lookback", LOOKBACK, "-s",
                    "LOGSTATS_INTERVAL=0.2", env=env)
    assert first.returncode == 0, first.stderr[-3000:]
    run1 = reports(data)[-1]
    fetched1 = article_urls(mirror.requested()[before:], OUTLETS)
    items1 = read_items(data)
    assert fetched1 and items1 and {i["outlet"] for i in items1} == set(OUTLETS)
    started = datetime.fromisoformat(run1["started"])
    for outlet in OUTLETS:  # the first run looked back --lookback days
        since = datetime.fromisoformat(run1["outlets"][outlet]["since"])
        assert abs(since - (started - timedelta(days=int(LOOKBACK)))) < timedelta(seconds=5)
    # what a person reads: the summary, then a last line with exit code, alerts and page
    last = first.stdout.strip().splitlines()[-1]
    html = data / "reports" / f"nightly-{run1['run_id']}.html"
    assert last == f"syria-archive nightly: exit 0, 0 alert(s), report {html}"
    assert html.is_file() and "<svg" in html.read_text()
    assert any(line.startswith("sana-en ") for line in first.stdout.splitlines())
    # progress: a periodic line per outlet, on the console and in the rotating log
    log = (data / "logs" / "nightly.log").read_text()
    for outlet in OUTLETS:
        assert f"[{outlet}] " in first.stderr and f"[{outlet}] " in log
    assert "articles kept" in log and "Spider opened" in log  # the whole log is in the file
    # the webhook got the JSON report; its URL (and token) is written nowhere
    assert [p for p, _ in webhook.received] == [f"/notify/{token}"]
    assert webhook.received[0][1]["run_id"] == run1["run_id"]
    assert run1["webhook"] == {"sent": True, "env": "SYRIA_ARCHIVE_WEBHOOK"}

    state = json.loads((data / "state" / "nightly.json").read_text())
    assert {o: state["outlets"][o]["last_success_run"] for o in OUTLETS} == \
        {o: run1["run_id"] for o in OUTLETS}

    before = len(mirror.requested())
    second = nightly(mirror, data, *OUTLETS, "--quiet", env=env)
    assert second.returncode == 0, second.stderr[-3000:]
    assert second.stdout == "" and second.stderr == ""  # --quiet: nothing when all is well
    run2 = reports(data)[-1]
    assert run2["run_id"] > run1["run_id"]
    for outlet in OUTLETS:  # since the first run's start, less NIGHTLY_OVERLAP_HOURS
        assert run2["outlets"][outlet]["since"] == \
            (started - timedelta(hours=24)).isoformat(timespec="seconds")
        assert run2["outlets"][outlet]["articles_kept"] == 0
    # incremental: no article page of the first run is fetched again, nothing exported twice
    assert not article_urls(mirror.requested()[before:], OUTLETS) & fetched1
    assert len(read_items(data)) == len(items1)
    assert token not in written_text(data) + first.stdout + first.stderr
    assert len(webhook.received) == 2


@pytest.mark.timeout(300)
def test_a_second_run_exits_75_naming_the_holder(mirror: Mirror, tmp_path: Path) -> None:
    data = tmp_path / "data"
    holder = subprocess.Popen(nightly_cmd(data, "sana-en", "--lookback", LOOKBACK), cwd=ROOT,
                              env=mirror.env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                              text=True)
    lock = data / "state" / "crawl.lock"

    def holding() -> bool:
        return lock.is_file() and f'"pid": {holder.pid}' in lock.read_text()

    try:
        wait_for(holding, deadline=120)
        holder.send_signal(signal.SIGSTOP)  # a run that hangs, holding the lock
        second = nightly(mirror, data, "sana-en")
        started = json.loads(lock.read_text())["started"]
    finally:
        holder.send_signal(signal.SIGCONT)
    out, err = holder.communicate(timeout=300)
    assert second.returncode == 75, second.stderr
    assert f"pid {holder.pid}" in second.stderr and started in second.stderr
    assert "nightly" in second.stderr and str(lock) in second.stderr
    assert holder.returncode == 0, err[-3000:]
    assert lock.read_text() == ""  # let go cleanly: the next run takes over nothing


@pytest.mark.timeout(600)
def test_a_killed_run_resumes_without_refetching_or_duplicates(mirror: Mirror,
                                                               tmp_path: Path) -> None:
    reference = nightly(mirror, tmp_path / "reference", *OUTLETS, "--lookback", LOOKBACK)
    assert reference.returncode == 0, reference.stderr[-3000:]
    expected = {url_key(i["url"]) for i in read_items(tmp_path / "reference")}

    data = tmp_path / "data"
    before = len(mirror.requested())
    # slow enough to be killed with articles exported and others still to fetch
    killed = subprocess.Popen(nightly_cmd(data, *OUTLETS, "--lookback", LOOKBACK, "-s",
                                          "DOWNLOAD_DELAY=0.4"), cwd=ROOT, env=mirror.env(),
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        wait_for(lambda: len(read_items(data)) >= 3, deadline=240)
    finally:
        killed.send_signal(signal.SIGKILL)
        killed.wait()
    exported = {url_key(i["url"]) for i in read_items(data)}
    assert 3 <= len(exported) < len(expected), "not killed half-way"
    records = complete_records(data / "warc")
    lock = json.loads((data / "state" / "crawl.lock").read_text())
    assert lock["pid"] == killed.pid and lock["command"] == "nightly"

    between = len(mirror.requested())
    resumed = nightly(mirror, data, *OUTLETS, "--lookback", LOOKBACK)
    assert resumed.returncode in (0, 3), resumed.stderr[-3000:]
    assert f"Took over the run lock {data / 'state' / 'crawl.lock'} left by pid " \
           f"{killed.pid}" in resumed.stderr
    report = reports(data)[-1]
    assert report["lock_taken_over"]["pid"] == killed.pid
    assert report["recovered"][0]["articles"] == len(read_items(data)) - sum(
        r["articles_kept"] for r in report["outlets"].values())
    # what the killed run archived and exported is not fetched again
    refetched = article_urls(mirror.requested()[between:], OUTLETS) & exported
    assert not refetched, refetched
    assert article_urls(mirror.requested()[before:between], OUTLETS) >= exported
    # no record lost, no article twice, the same articles as an uninterrupted run
    check = check_archive(data, expected, records)
    assert not check.lost and not check.problems, (check.lost, check.problems)
    state = json.loads((data / "state" / "nightly.json").read_text())
    assert set(state["outlets"]) == set(OUTLETS)


@pytest.mark.timeout(300)
def test_cadence_since_and_max_pages_choose_what_a_run_crawls(mirror: Mirror,
                                                              tmp_path: Path) -> None:
    data = tmp_path / "data"
    run = nightly(mirror, data, "--cadence", "hourly", "--since", "2026-11-20",
                  "--max-pages", "1")
    assert run.returncode == 0, run.stderr[-3000:]
    report = reports(data)[-1]
    assert list(report["outlets"]) == ["sana-en"] and report["cadence"] == "hourly"
    row = report["outlets"]["sana-en"]
    assert row["since"].startswith("2026-11-20T00:00:00")
    assert row["discovery"]["section/pages"] == 1  # --max-pages 1: no second section page
    assert row["discovery"].get("skipped/before_since", 0) > 0
    assert all(i["published"] >= "2026-11-20" for i in read_items(data))
    none = run_cli("nightly", "--data", str(data), "--cadence", "weekly")
    assert none.returncode == 2 and "no enabled outlet has the cadence 'weekly'" in none.stderr
    bad = run_cli("nightly", "--data", str(data), "--lookback", "0")
    assert bad.returncode == 2 and "--lookback" in bad.stderr
    both = run_cli("nightly", "mee", "--cadence", "nightly", "--data", str(data))
    assert both.returncode == 2 and "not both" in both.stderr


@pytest.mark.timeout(300)
def test_s3_unreadable_on_a_new_machine_stops_unless_fresh_state(mirror: Mirror,
                                                                 tmp_path: Path) -> None:
    from test_s3 import aws_env
    from test_warc_runs import free_port

    env = aws_env(f"http://127.0.0.1:{free_port()}", "s3://nowhere/x", mirror.env())
    quick = ["-s", "S3_MAX_ATTEMPTS=1", "-s", "S3_CONNECT_TIMEOUT=1"]
    data = tmp_path / "data"
    stopped = nightly(mirror, data, "sana-en", "--lookback", LOOKBACK, "--s3",
                      "s3://nowhere/x", *quick, env=env)
    assert stopped.returncode == 1 and "nothing was crawled" in stopped.stderr
    assert not read_items(data)
    fresh = nightly(mirror, data, "sana-en", "--lookback", LOOKBACK, "--s3", "s3://nowhere/x",
                    "--fresh-state", *quick, env=env)
    assert fresh.returncode == 3, fresh.stderr[-2000:]
    report = reports(data)[-1]
    assert read_items(data) and report["upload"]["pending"] > 0
    assert any(a["kind"] == "upload" for a in report["health"]["alerts"])


@pytest.mark.timeout(400)
def test_the_since_state_and_the_reports_come_back_from_s3(mirror: Mirror,
                                                           tmp_path: Path) -> None:
    from test_s3 import FaultyS3, aws_env, client

    s3 = FaultyS3()
    s3.start()
    try:
        client(s3.endpoint).create_bucket(Bucket="nightly")
        env = aws_env(s3.endpoint, "s3://nightly/archive", mirror.env())
        first = nightly(mirror, tmp_path / "one", "mee", "--lookback", LOOKBACK, env=env)
        assert first.returncode == 0, first.stderr[-3000:]
        run1 = reports(tmp_path / "one")[-1]
        keys = {o["Key"] for o in client(s3.endpoint).list_objects_v2(
            Bucket="nightly", Prefix="archive/")["Contents"]}
        day = f"{run1['run_id'][:4]}/{run1['run_id'][4:6]}/{run1['run_id'][6:8]}"
        for ext in ("json", "html"):
            assert f"archive/reports/{day}/nightly-{run1['run_id']}.{ext}" in keys
        assert f"archive/state/runs/{run1['run_id']}/nightly.json" in keys
        # a new machine: no local state; the nightly state comes back with the rest
        second = nightly(mirror, tmp_path / "two", "mee", env=env)
        assert second.returncode == 0, second.stderr[-3000:]
        run2 = reports(tmp_path / "two")[-1]
        started = datetime.fromisoformat(run1["started"]).astimezone(UTC)
        assert run2["outlets"]["mee"]["since"] == \
            (started - timedelta(hours=24)).isoformat(timespec="seconds")
        assert (tmp_path / "two" / "cache" / "reports" / f"nightly-{run1['run_id']}.json"
                ).is_file()
        page = (tmp_path / "two" / "reports" / f"nightly-{run2['run_id']}.html").read_text()
        assert run1["run_id"] in page  # the charts and the runs table hold the first run
        # `report --s3` on a third machine reads the runs from S3
        shown = run_cli("report", run1["run_id"], "--s3", "s3://nightly/archive", "--data",
                        str(tmp_path / "three"), env=env)
        assert shown.returncode == 0, shown.stderr
        assert shown.stdout.startswith(f"nightly run {run1['run_id']}: 1 outlet(s)")
    finally:
        s3.stop()
