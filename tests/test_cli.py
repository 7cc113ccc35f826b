"""The command line: listings, usage errors, the lock, and Scrapy's own commands."""

from __future__ import annotations

import fcntl
import json
import subprocess
import sys

from conftest import FAST, ROOT, read_items, run_cli

from crawler.registry import Registry


def test_outlets_lists_the_registry() -> None:
    proc = run_cli("outlets")
    assert proc.returncode == 0, proc.stderr
    lines = proc.stdout.splitlines()
    assert lines[0].split()[:3] == ["id", "name", "lang"]
    for outlet in Registry.load():
        row = next(line for line in lines if line.startswith(outlet.id + " "))
        assert outlet.name in row and f" {outlet.language} " in row


def test_outlets_json() -> None:
    proc = run_cli("outlets", "--json")
    rows = [json.loads(line) for line in proc.stdout.splitlines()]
    assert {r["id"] for r in rows} == set(Registry.load().ids())
    assert all(r["feeds"] or r["sitemaps"] or r["sections"] for r in rows)


def test_crawl_unknown_outlet_is_bad_usage(tmp_path) -> None:
    proc = run_cli("crawl", "no-such-outlet", "--data", str(tmp_path))
    assert proc.returncode == 2
    assert "unknown outlet(s): no-such-outlet" in proc.stderr


def test_crawl_bad_since_is_bad_usage(tmp_path) -> None:
    proc = run_cli("crawl", "aawsat-en", "--since", "last tuesday", "--data", str(tmp_path))
    assert proc.returncode == 2
    assert "since" in proc.stderr


def test_crawl_refuses_while_another_run_holds_the_lock(tmp_path) -> None:
    (tmp_path / "state").mkdir()
    with (tmp_path / "state" / "crawl.lock").open("a") as held:
        fcntl.flock(held, fcntl.LOCK_EX | fcntl.LOCK_NB)
        proc = run_cli("crawl", "aawsat-en", "--data", str(tmp_path))
    assert proc.returncode == 75
    assert "crawl.lock" in proc.stderr


def test_help_of_each_command() -> None:
    for command in ("outlets", "crawl", "mirror"):
        proc = run_cli(command, "--help")
        assert proc.returncode == 0 and "usage: syria-archive " + command in proc.stdout


def test_scrapy_list_shows_one_spider_per_outlet() -> None:
    proc = subprocess.run([sys.executable, "-m", "scrapy", "list"], cwd=ROOT,
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.split() == Registry.load().ids()


def test_scrapy_crawl_with_since_argument(mirror, tmp_path) -> None:
    """`scrapy crawl <outlet> -a since=...` works as any Scrapy user expects."""
    env = mirror.env(SYRIA_ARCHIVE_DATA=str(tmp_path))
    proc = subprocess.run([sys.executable, "-m", "scrapy", "crawl", "aawsat-en",
                           "-a", "since=2026-11-01", *FAST], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-3000:]
    items = read_items(tmp_path)
    assert items and all(i["outlet"] == "aawsat-en" for i in items)
    assert all(i["published"] >= "2026-11-01" for i in items)


def test_crawl_given_urls_archives_them_without_discovery(mirror, tmp_path) -> None:
    from conftest import crawl, has_shared, load_routes

    syria = next(r for r in load_routes("aljazeera-en")
                 if r.get("article") and r["about_syria"] and not r.get("robots_blocked"))
    urls = [syria["url"]]
    real = next(r for r in load_routes("aljazeera-en") if r.get("real_page"))
    shared = has_shared()
    if shared:
        urls.append(real["url"])  # the real Al Jazeera page of the shared test data
    args = [a for u in urls for a in ("--url", u)]
    result = crawl(mirror, tmp_path / "data", "aljazeera-en", *args)
    assert result.proc.returncode in (0, 3), result.proc.stderr[-2000:]
    fetched = [r["url"] for r in result.requested if not r["url"].endswith("/robots.txt")]
    assert sorted(fetched) == sorted(urls)
    assert [i["url"] for i in result.items] == [syria["url"]]
    assert result.items[0]["discovery"]["kind"] == "manual"
    if shared:
        row = result.report["outlets"]["aljazeera-en"]
        assert row["dropped"].get("not_about_syria") == 1  # Afghanistan, 2019: archived only
        assert row["warc"]["records"]["response"] >= 3


def test_crawl_url_needs_one_outlet_on_its_domains(tmp_path) -> None:
    proc = run_cli("crawl", "--url", "https://www.aljazeera.com/news/x", "--data", str(tmp_path))
    assert proc.returncode == 2 and "exactly one OUTLET" in proc.stderr
