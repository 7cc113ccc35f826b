"""The nightly health report's alerts, each provoked on the mirror, and the report read
by people: the text summary, `syria-archive report`, and the HTML page in Chromium.

Two nights over seven outlets.  The first through the mirror as it is (S3 up, the
webhook answering); the second through a copy of the mirror where things went wrong
the way they do on the web: one outlet's feed and section page list nothing, one
answers 403 to everything, one serves a bot-challenge page for its articles, one's
sitemap is malformed XML, one's pages lost their dates in a redesign, one answers
500 for its articles; S3 is down and the webhook refuses.  The seventh outlet is left
alone and must raise no alert."""

from __future__ import annotations

import json
import re
import shutil
import socket
import subprocess
import sys
import tomllib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from conftest import FAST, MIRROR_PAGES, Mirror, run_cli, start_mirror
from faults import S3FaultProxy
from test_nightly import LOOKBACK, Webhook, reports, written_text
from test_s3 import FaultyS3, aws_env, client

from crawler.alerts import Thresholds, outlet_alerts
from crawler.registry import Registry
from spiders.walls import find_wall

EMPTY, BLOCKED, WALL, BAD_SITEMAP, NO_DATES, ERRORS, FINE = (
    "npa-en", "alaraby", "sana-en", "aawsat-en", "mee", "enabbaladi-en", "thenational")
OUTLETS = [EMPTY, BLOCKED, WALL, BAD_SITEMAP, NO_DATES, ERRORS, FINE]
TOKEN = "hook-secret-51c9e2"
CHROMIUM = Path("/usr/bin/chromium")
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
         "--disable-component-update", "--disable-sync", "--no-first-run"]

# What an anti-bot service answers instead of the article (this project's own words).
CHALLENGE = """<!DOCTYPE html>
<html lang="en-US"><head><meta charset="UTF-8"><title>Just a moment...</title>
<meta name="robots" content="noindex,nofollow"></head>
<body><div class="main-wrapper" role="main"><div class="main-content">
<h1 class="zone-name-title">sana.sy</h1>
<h2 class="h2">Checking your browser before accessing sana.sy.</h2>
<p>This process is automatic. Your browser will redirect to your requested content
shortly.</p></div></div>
<script>window._cf_chl_opt={cvId: '3', cZone: 'sana.sy', cType: 'managed'};</script>
</body></html>
"""


def _value(v: Any) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, int | float):
        return str(v)
    if isinstance(v, list):
        return "[" + ", ".join(_value(x) for x in v) + "]"
    return json.dumps(v, ensure_ascii=False)


def write_routes(folder: Path, routes: list[dict[str, Any]]) -> None:
    (folder / "routes.toml").write_text("".join(
        "[[route]]\n" + "".join(f"{k} = {_value(v)}\n" for k, v in r.items()) + "\n"
        for r in routes), encoding="utf-8")


def strip_dates(html: str) -> str:
    """A redesign that dropped every date from the page: markup, page state, date line."""
    html = re.sub(r'"[A-Za-z_]*(?:date|Date|time|Time)[A-Za-z_]*"\s*:\s*"[^"]*"\s*,?', "", html)
    html = re.sub(r"<meta[^>]*(?:date|time)[^>]*>", "", html, flags=re.I)
    html = re.sub(r"<time\b[^>]*>.*?</time>", "", html, flags=re.S | re.I)
    return re.sub(r"<(div|span|p)\b[^>]*class=\"[^\"]*date[^\"]*\"[^>]*>.*?</\1>", "", html,
                  flags=re.S)


def broken_mirror(pages: Path) -> None:
    """A copy of the mirror's pages of OUTLETS, each broken its own way."""
    registry = Registry.load()
    for outlet in OUTLETS:
        shutil.copytree(MIRROR_PAGES / outlet, pages / outlet)
    routes = {o: tomllib.loads((pages / o / "routes.toml").read_text())["route"]
              for o in OUTLETS}

    def file_of(outlet: str, url: str) -> Path:
        return pages / outlet / next(r["file"] for r in routes[outlet] if r["url"] == url)

    empty = registry[EMPTY]
    for feed in empty.feeds:
        file_of(EMPTY, feed.url).write_text(
            '<?xml version="1.0" encoding="UTF-8"?>\n<rss version="2.0"><channel><title>North '
            'Press Agency</title><link>https://npasyria.com/en/</link><description>News'
            '</description></channel></rss>\n')
    for section in empty.sections:
        file_of(EMPTY, section.url).write_text(
            "<!DOCTYPE html><html><head><title>News</title></head><body><main></main>"
            "</body></html>\n")
    for route in routes[BLOCKED]:
        route["status"] = 403
    write_routes(pages / BLOCKED, routes[BLOCKED])
    (pages / WALL / "challenge.html").write_text(CHALLENGE)
    for route in routes[WALL]:
        if route.get("article"):
            route["file"] = "challenge.html"
    write_routes(pages / WALL, routes[WALL])
    sitemap = file_of(BAD_SITEMAP, registry[BAD_SITEMAP].sitemaps[0].url)
    sitemap.write_text(sitemap.read_text()[:150])  # cut off mid-element
    for route in routes[NO_DATES]:  # a new publishing system: no dates in pages or feed
        if route.get("article") and "file" in route:
            page = pages / NO_DATES / route["file"]
            page.write_text(strip_dates(page.read_text(encoding="utf-8")), encoding="utf-8")
    for feed in registry[NO_DATES].feeds:
        path = file_of(NO_DATES, feed.url)
        path.write_text(re.sub(r"<(pubDate|dc:date|updated|published)>.*?</\1>", "",
                               path.read_text(encoding="utf-8")), encoding="utf-8")
    for route in routes[ERRORS]:
        if route.get("article"):
            route["status"] = 500
    write_routes(pages / ERRORS, routes[ERRORS])


def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]  # nothing listens once it is closed


@dataclass
class Nights:
    data: Path
    first: subprocess.CompletedProcess[str]
    second: subprocess.CompletedProcess[str]
    reports: list[dict[str, Any]]
    posted: list[tuple[str, dict[str, Any]]]


@pytest.fixture(scope="module")
def nights(mirror: Mirror, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Nights]:
    tmp = tmp_path_factory.mktemp("nights")
    data = tmp / "data"
    moto = FaultyS3()
    moto.start()
    client(moto.endpoint).create_bucket(Bucket="health")
    proxy = S3FaultProxy(moto.endpoint)
    hook = Webhook()
    try:
        env = aws_env(proxy.endpoint, "s3://health/archive", mirror.env())
        first = run_cli("nightly", *OUTLETS, "--data", str(data), "--lookback", LOOKBACK,
                        *FAST, env={**env, "SYRIA_ARCHIVE_WEBHOOK": f"{hook.url}/{TOKEN}"})
        assert first.returncode == 0, first.stdout + first.stderr[-3000:]
        broken_mirror(tmp / "pages")
        bad = start_mirror(tmp / "pages", tmp / "requests.jsonl")
        proxy.down()
        try:
            env = aws_env(proxy.endpoint, "s3://health/archive", bad.env())
            env["SYRIA_ARCHIVE_WEBHOOK"] = f"http://127.0.0.1:{closed_port()}/{TOKEN}"
            second = run_cli("nightly", *OUTLETS, "--data", str(data), "--since", "2026-10-01",
                             *FAST, "-s", "INCREMENTAL_ENABLED=False", "-s",
                             "S3_MAX_ATTEMPTS=1", "-s", "S3_CONNECT_TIMEOUT=1", env=env)
        finally:
            bad.process.terminate()
            bad.process.wait(timeout=30)
        yield Nights(data, first, second, reports(data), hook.received)
    finally:
        hook.stop()
        proxy.down()
        moto.stop()


def by_outlet(report: dict[str, Any]) -> dict[str | None, set[str]]:
    kinds: dict[str | None, set[str]] = {}
    for a in report["health"]["alerts"]:
        kinds.setdefault(a["outlet"], set()).add(a["kind"])
    return kinds


def test_every_alert_is_provoked_on_the_mirror_and_the_run_exits_3(nights: Nights) -> None:
    first, second = nights.reports
    assert first["alerts"] == [] and first["exit_code"] == 0
    assert nights.second.returncode == 3, nights.second.stderr[-3000:]
    assert second["exit_code"] == 3
    kinds = by_outlet(second)
    assert "empty" in kinds[EMPTY] and "discovery" in kinds[EMPTY]
    assert "blocked" in kinds[BLOCKED]
    assert {"wall", "empty"} <= kinds[WALL]
    assert "discovery" in kinds[BAD_SITEMAP]
    assert "quality" in kinds[NO_DATES]
    assert "errors" in kinds[ERRORS]
    assert FINE not in kinds  # an outlet that is well raises nothing
    assert {"upload", "webhook", "state"} <= kinds[None]
    messages = "\n".join(second["alerts"])
    sitemap = Registry.load()[BAD_SITEMAP].sitemaps[0].url
    assert f"{BAD_SITEMAP}: sitemap malformed: {sitemap}" in messages
    assert re.search(rf"{NO_DATES}: only \d+% of tonight's \d+ articles have a date "
                     r"\(usually 100%\)", messages), messages
    assert re.search(rf"{BLOCKED}: \d+ of \d+ answers were 403/429/503 \(100%; usually 0%\)",
                     messages), messages
    assert "challenge" in next(a["message"] for a in second["health"]["alerts"]
                               if a["outlet"] == WALL and a["kind"] == "wall")
    assert re.search(rf"{WALL}: fetched \d+ listed article pages and kept no article",
                     messages), messages
    assert "the outbox grows" in messages
    # the wall pages are not done with: the next run asks for the articles again
    assert second["outlets"][WALL]["walls"]["challenge"] > 0
    assert second["outlets"][WALL]["incremental"].get("recorded", 0) == 0
    # the outlets that may have missed articles keep their since-date; the one that was
    # well moves on, and so does the one whose extraction got worse (it missed nothing)
    state = json.loads((nights.data / "state" / "nightly.json").read_text())
    for outlet in (FINE, NO_DATES):
        assert state["outlets"][outlet]["last_success_run"] == second["run_id"]
    for outlet in (EMPTY, BLOCKED, WALL, BAD_SITEMAP, ERRORS):
        assert state["outlets"][outlet]["last_success_run"] == first["run_id"]
        assert state["outlets"][outlet]["failing_since"] == second["run_id"]
    # the summary says it too, and the last line
    out = nights.second.stdout.splitlines()
    assert sum(line.startswith("ALERT [") for line in out) == len(second["alerts"])
    assert out[-1] == (f"syria-archive nightly: exit 3, {len(second['alerts'])} alert(s), "
                       f"report {nights.data / 'reports' / ('nightly-' + second['run_id'])}"
                       ".html")


def test_a_failing_webhook_is_an_alert_and_its_url_is_written_nowhere(nights: Nights) -> None:
    first, second = nights.reports
    assert [p for p, _ in nights.posted] == [f"/{TOKEN}"]
    assert nights.posted[0][1]["run_id"] == first["run_id"]
    webhook = [a for a in second["health"]["alerts"] if a["kind"] == "webhook"]
    assert len(webhook) == 1 and "Connection refused" in webhook[0]["message"]
    assert second["webhook"] == {"sent": False, "env": "SYRIA_ARCHIVE_WEBHOOK"}
    for text in (written_text(nights.data), nights.first.stdout, nights.first.stderr,
                 nights.second.stdout, nights.second.stderr):
        assert TOKEN not in text


def test_report_prints_a_past_run_and_opens_its_page(nights: Nights, tmp_path: Path) -> None:
    first, second = nights.reports
    latest = run_cli("report", "--data", str(nights.data))
    assert latest.returncode == 0, latest.stderr
    page = nights.data / "reports" / f"nightly-{second['run_id']}.html"
    assert latest.stdout.splitlines()[0].startswith(f"nightly run {second['run_id']}: 7 outlet")
    assert latest.stdout.splitlines()[-1] == f"exit code 3; page: {page}"
    assert sum(line.startswith("ALERT [") for line in latest.stdout.splitlines()) == \
        len(second["alerts"])
    past = run_cli("report", first["run_id"], "--data", str(nights.data))
    assert past.returncode == 0 and "ALERT" not in past.stdout
    # --open hands the page to the browser named by $BROWSER (here: a script that notes it)
    opened = tmp_path / "opened.txt"
    browser = tmp_path / "browser.sh"
    browser.write_text(f'#!/bin/sh\necho "$1" > {opened}\n')
    browser.chmod(0o755)
    run = run_cli("report", second["run_id"], "--open", "--data", str(nights.data),
                  env={"BROWSER": str(browser), "PATH": "/usr/bin:/bin"})
    assert run.returncode == 0, run.stderr
    assert opened.read_text().strip() == page.resolve().as_uri()
    missing = run_cli("report", "20000101T000000Z", "--data", str(nights.data))
    assert missing.returncode == 2 and "no report of run '20000101T000000Z'" in missing.stderr


@pytest.mark.timeout(300)
def test_the_report_page_in_chromium_shows_charts_and_alerts(nights: Nights,
                                                             tmp_path: Path) -> None:
    from playwright.sync_api import sync_playwright

    assert CHROMIUM.is_file() and shutil.which("chromium"), \
        "Debian's chromium is missing: `make system-deps` installs it"
    second = nights.reports[-1]
    page_path = nights.data / "reports" / f"nightly-{second['run_id']}.html"
    shots = tmp_path / "screenshots"
    requested: list[str] = []
    with sync_playwright() as pw:
        context = pw.chromium.launch_persistent_context(
            str(tmp_path / "profile"), executable_path=str(CHROMIUM), headless=True,
            args=FLAGS, viewport={"width": 1280, "height": 900})
        context.on("request", lambda r: requested.append(r.url))
        page = context.new_page()
        page.goto(page_path.resolve().as_uri())
        page.screenshot(path=shots / "report.png", full_page=True)
        charts = page.locator("#charts svg")
        assert charts.count() == 4
        for i in range(4):
            box = charts.nth(i).bounding_box()
            assert box and box["width"] > 200 and box["height"] > 100, box
        assert page.locator("#charts svg path, #charts svg rect").count() > 20  # drawn
        alerts = page.locator("#alerts li.alert")
        assert alerts.count() == len(second["alerts"])
        first = alerts.first
        assert first.is_visible() and first.bounding_box()["height"] > 10  # type: ignore
        assert page.locator(f"#alerts li[data-outlet={WALL}][data-kind=wall]").is_visible()
        assert page.inner_text("#exit-code").startswith("exit 3")
        assert page.locator("#runs tbody tr").count() == 2  # this run and the one before
        context.close()
    outside = [u for u in requested if not u.startswith(("file:", "data:", "about:"))]
    assert not outside, outside[:5]  # nothing loaded: the page works offline
    print(f"screenshot: {shots / 'report.png'}")


@pytest.mark.timeout(300)
def test_a_disk_running_out_of_room_is_an_alert(mirror: Mirror, tmp_path: Path) -> None:
    from test_faults_env import full_disk

    data = tmp_path / "data"
    limit = ["-s", "HEALTH_DISK_MIN_FREE_MB=40"]
    with full_disk(data, "64m"):
        roomy = run_cli("nightly", "mee", "--data", str(data), "--lookback", LOOKBACK, *FAST,
                        *limit, env=mirror.env())
        assert roomy.returncode == 0, roomy.stdout + roomy.stderr[-2000:]
        with (data / "ballast").open("wb") as fh:  # the disk fills up with something else
            fh.write(b"\0" * 30 * 1024 * 1024)
        tight = run_cli("nightly", "mee", "--data", str(data), *FAST, *limit, env=mirror.env())
    assert tight.returncode == 3, tight.stdout + tight.stderr[-2000:]
    disk = [a for a in reports(data)[-1]["health"]["alerts"] if a["kind"] == "disk"]
    assert len(disk) == 1 and "HEALTH_DISK_MIN_FREE_MB=40" in disk[0]["message"]


def test_wall_markers_and_history_rules() -> None:
    assert find_wall(CHALLENGE) == ("challenge", "Cloudflare challenge")
    assert find_wall('<script type="application/ld+json">{"isAccessibleForFree": false}'
                     "</script>") == ("paywall", "isAccessibleForFree false")
    assert find_wall("<p>هذا المحتوى للمشتركين فقط</p>") == ("paywall", "subscriber wall")
    assert find_wall("<article><p>Aid reached Aleppo on Tuesday.</p></article>") is None
    # an outlet that never names authors does not alert for it; one that always did does
    row = {"pages_fetched": 10, "requests": 10, "articles_kept": 6,
           "status_counts": {"200": 10}, "discovery": {"feed/listed": 6},
           "quality": {"articles": 6, "titled": 6, "dated": 6, "body_normal": 6}}
    from crawler.alerts import outlet_metrics

    never = outlet_metrics(row)
    always = outlet_metrics({**row, "quality": {**row["quality"], "authored": 6}})
    limits = Thresholds()
    assert outlet_alerts("sohr-en", never, [never, never], limits) == []
    [dropped] = outlet_alerts("mee", never, [always, always], limits)
    assert dropped["kind"] == "quality" and "an author (usually 100%)" in dropped["message"]


def test_nightly_help_shows_the_exit_codes() -> None:
    proc = subprocess.run([sys.executable, "-m", "crawler.cli", "nightly", "--help"],
                          capture_output=True, text=True)
    assert proc.returncode == 0 and "75 another run holds the lock" in " ".join(
        proc.stdout.split())
