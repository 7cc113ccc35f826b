"""`syria-archive check`: on the mirror every outlet is healthy; an outlet whose feed is
malformed, whose section page lists nothing or whose robots.txt forbids a source is
reported broken (exit code 3) with what broke.  Through the proxy, as a crawl goes."""

from __future__ import annotations

import json
import shutil
import tomllib
from pathlib import Path
from urllib.parse import urljoin

import pytest
from conftest import FAST, MIRROR_PAGES, Mirror, run_cli, start_mirror

from crawler.mirror.server import url_key
from crawler.registry import Registry

REGISTRY = Registry.load()


def route_file(pages: Path, outlet_id: str, url: str) -> Path:
    """The saved file the mirror serves for ``url`` (found through routes.toml)."""
    routes = tomllib.loads((pages / outlet_id / "routes.toml").read_text(encoding="utf-8"))
    for route in routes["route"]:
        if url_key(route["url"]) == url_key(url) and "file" in route:
            return pages / outlet_id / route["file"]
    raise AssertionError(f"{outlet_id}: no saved file for {url}")


def test_every_outlet_is_healthy_on_the_mirror(mirror: Mirror, tmp_path: Path) -> None:
    data = tmp_path / "data"
    before = len(mirror.requested())
    proc = run_cli("check", *FAST, env=mirror.env(SYRIA_ARCHIVE_DATA=str(data)))
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    out = proc.stdout
    for outlet in REGISTRY:
        assert f"{outlet.id}  {outlet.name}  healthy" in out
        for kind, sources in (("feed", outlet.feeds), ("sitemap", outlet.sitemaps),
                              ("section", outlet.sections)):
            for source in sources:
                assert f"  ok    {kind:<10}  {source.url}: " in out, source.url
    assert "FAIL" not in out and f"{len(REGISTRY)} healthy" in out.splitlines()[-1]
    assert out.count("  ok    article  ") == len(REGISTRY)
    assert out.count("  ok    robots.txt  ") == len(REGISTRY)
    # Through the proxy, robots.txt first, and nothing archived.
    requested = [r["url"] for r in mirror.requested()[before:]]
    hosts = {url_key(urljoin(o.base_url, "/robots.txt")) for o in REGISTRY}
    assert hosts <= {url_key(u) for u in requested}
    assert not data.exists()


def test_json_report_names_each_finding(mirror: Mirror) -> None:
    proc = run_cli("check", "aawsat-en", "thenational", "--json", *FAST, env=mirror.env())
    assert proc.returncode == 0, proc.stderr
    reports = {r["outlet"]: r for r in map(json.loads, proc.stdout.splitlines())}
    assert set(reports) == {"aawsat-en", "thenational"}
    for outlet_id, report in reports.items():
        assert report["healthy"] is True
        kinds = [f["kind"] for f in report["findings"]]
        assert kinds[0] == "robots.txt" and kinds.count("article") == 1
        article = next(f for f in report["findings"] if f["kind"] == "article")
        assert article["status"] == "ok" and article["counts"]["words"] >= 50
        assert REGISTRY[outlet_id].is_article(article["url"])
        listed = [f for f in report["findings"] if f["kind"] in ("feed", "section")]
        assert all(f["counts"]["articles"] > 0 for f in listed)


@pytest.fixture(scope="module")
def broken_mirror(tmp_path_factory: pytest.TempPathFactory):
    """A copy of the saved pages with three outlets broken, served like the real one."""
    root = tmp_path_factory.mktemp("broken")
    pages = root / "pages"
    shutil.copytree(MIRROR_PAGES, pages)
    # aawsat-en: its feed answers with a maintenance page instead of RSS.
    feed = REGISTRY["aawsat-en"].feeds[0].url
    route_file(pages, "aawsat-en", feed).write_text(
        "<!DOCTYPE html><html><body><h1>Down for maintenance</h1></body></html>\n")
    # alaraby: its Syria tag page lists no article any more (a redesign moved them).
    section = REGISTRY["alaraby"].sections[0].url
    route_file(pages, "alaraby", section).write_text(
        "<!DOCTYPE html><html lang=\"ar\"><body><main><p>لا توجد نتائج</p></main></body>"
        "</html>\n", encoding="utf-8")
    # mee: robots.txt now forbids its section pages.
    mee = REGISTRY["mee"]
    route_file(pages, "mee", urljoin(mee.base_url, "/robots.txt")).write_text(
        "User-agent: *\nDisallow: /countries/\n")
    # npa-en: its article pages lost their text (a template change left only the shell).
    routes = tomllib.loads((pages / "npa-en" / "routes.toml").read_text(encoding="utf-8"))
    for route in routes["route"]:
        if route.get("article") and "file" in route:
            (pages / "npa-en" / route["file"]).write_text(
                "<!DOCTYPE html><html><head><title>North Press</title></head><body>"
                "<div id=\"app\"></div></body></html>\n")
    mirror = start_mirror(pages, root / "requests.jsonl")
    yield mirror
    mirror.process.terminate()
    mirror.process.wait(timeout=30)


def test_broken_outlets_exit_3_and_say_what_broke(broken_mirror: Mirror) -> None:
    proc = run_cli("check", "aawsat-en", "alaraby", "mee", "newarab", "npa-en", *FAST,
                   env=broken_mirror.env())
    assert proc.returncode == 3, proc.stdout + proc.stderr
    out = proc.stdout
    assert "aawsat-en  Asharq Al-Awsat (English)  BROKEN" in out
    assert f"FAIL  feed        {REGISTRY['aawsat-en'].feeds[0].url}: malformed" in out
    assert "alaraby  Al-Araby Al-Jadeed  BROKEN" in out
    assert f"FAIL  section     {REGISTRY['alaraby'].sections[0].url}: listed 0 article" in out
    assert "mee  Middle East Eye  BROKEN" in out
    section = REGISTRY["mee"].sections[0].url
    assert f"FAIL  section     {section}: forbidden by robots.txt" in out
    assert "FAIL  robots.txt  https://www.middleeasteye.net/robots.txt: forbids 1" in out
    assert "newarab  The New Arab  healthy" in out
    assert "npa-en  North Press Agency (English)  BROKEN" in out
    assert "FAIL  article     none of 3 listed article(s) could be extracted" in out
    assert out.count("  warn  article     https://npasyria.com/en/") == 3
    assert out.splitlines()[-1] == ("5 outlet(s) checked: 1 healthy, 4 broken: aawsat-en, "
                                    "alaraby, mee, npa-en")
    # The rest of a broken outlet still works, and says so.
    assert "ok    sitemap     https://english.aawsat.com/" in out
    assert out.count("  ok    article  ") == 4


def test_unknown_outlet_and_bad_setting_are_usage_errors(mirror: Mirror) -> None:
    proc = run_cli("check", "no-such-outlet", env=mirror.env())
    assert proc.returncode == 2 and "no-such-outlet" in proc.stderr
    proc = run_cli("check", "mee", "-s", "DOWNLOAD_DELAY", env=mirror.env())
    assert proc.returncode == 2 and "NAME=VALUE" in proc.stderr


def test_help_names_every_option() -> None:
    proc = run_cli("check", "--help")
    assert proc.returncode == 0 and "usage: syria-archive check" in proc.stdout
    for option in ("OUTLET", "--json", "--set", "exit", "http_proxy"):
        assert option in proc.stdout


def test_robots_finding_fails_for_a_source_and_warns_for_an_article() -> None:
    from crawler.check import robots_finding
    from spiders.check import FAIL, WARN, Finding

    stats = {"robotstxt/response_status_count/200": 1}
    article = Finding("article", "https://x.example/news/1", WARN,
                      "listed article not fetched: forbidden by robots.txt")
    feed = Finding("feed", "https://x.example/rss", FAIL, "forbidden by robots.txt")
    assert robots_finding("https://x.example/", stats, [article]).status == WARN
    found = robots_finding("https://x.example/", stats, [article, feed])
    assert found.status == FAIL and found.url == "https://x.example/robots.txt"
    assert "https://x.example/rss" in found.detail
    assert robots_finding("https://x.example/", {"robotstxt/response_status_count/404": 1},
                          []).detail == "HTTP 404, no robots.txt: everything allowed"
