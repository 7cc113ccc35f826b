"""Every outlet of the registry, crawled from its saved pages through the mirror.

One parametrized test per outlet: it fails when an outlet has no saved pages,
when a Syria article is missing from the export, when an unrelated article or a
robots.txt-disallowed URL got through, and when an archived URL is not the
outlet's own."""

from __future__ import annotations

import re
from datetime import date, datetime
from urllib.parse import urlsplit

import pytest
from conftest import MIRROR_PAGES, CrawlResult, crawl, load_routes
from mirror_labels import label_date, same_date

from crawler.mirror.server import url_key
from crawler.registry import Registry
from pipelines.window import before as window_before

REGISTRY = Registry.load()
OUTLET_IDS = REGISTRY.ids()
ARABIC = re.compile("[\u0600-\u06ff]")
MOJIBAKE = re.compile("[ÃØÙ]\\S")


def article_routes(outlet_id: str) -> list[dict]:
    return [r for r in load_routes(outlet_id) if r.get("article")]


def test_registry_has_the_outlets_the_project_promises() -> None:
    assert len(OUTLET_IDS) >= 16
    assert {"en", "ar"} <= {o.language for o in REGISTRY}


@pytest.mark.parametrize("outlet_id", OUTLET_IDS)
def test_outlet_has_saved_pages(outlet_id: str) -> None:
    routes_file = MIRROR_PAGES / outlet_id / "routes.toml"
    assert routes_file.is_file(), f"outlet {outlet_id} has no saved pages ({routes_file})"
    outlet = REGISTRY[outlet_id]
    routes = load_routes(outlet_id)
    urls = {url_key(r["url"]) for r in routes}
    for source in (*outlet.feeds, *outlet.sitemaps, *outlet.sections):
        assert url_key(source.url) in urls, f"{source.url} has no saved page"
    articles = article_routes(outlet_id)
    assert len(articles) >= 3
    assert any(r["about_syria"] for r in articles)
    assert any(not r["about_syria"] for r in articles), "no article unrelated to Syria"
    assert any(r.get("same_as") for r in articles), "no article reachable under two URLs"
    for r in articles:
        assert outlet.is_article(url_key(r["url"])), f"{r['url']} does not match article_pattern"
        datetime.fromisoformat(r["published"])
    if outlet.language == "ar":
        assert any(r.get("charset") == "windows-1256" for r in routes), "no windows-1256 page"
        html = (MIRROR_PAGES / outlet_id / articles[0]["file"]).read_text(encoding="utf-8")
        assert 'dir="rtl"' in html and ARABIC.search(html)


@pytest.mark.parametrize("outlet_id", OUTLET_IDS)
def test_outlet_crawled_from_mirror(outlet_id: str, full_crawl: CrawlResult) -> None:
    outlet = REGISTRY[outlet_id]
    items = [i for i in full_crawl.items if i["outlet"] == outlet_id]
    by_url = {url_key(i["url"]): i for i in items}
    requested = {url_key(r["url"]) for r in full_crawl.requested}
    row = full_crawl.report["outlets"][outlet_id]
    assert row["pages_fetched"] > 0
    assert not [a for a in full_crawl.report["alerts"] if a.startswith(f"{outlet_id}:")]
    for route in article_routes(outlet_id):
        key = url_key(route["url"])
        if route.get("robots_blocked"):
            assert key not in requested, f"robots.txt disallows {route['url']}, yet it was fetched"
            continue
        if route["about_syria"] or outlet.all_syria:
            assert key in by_url, f"Syria article {route['url']} missing from the export"
            item = by_url[key]
            assert item["title"] == route["title"]
            assert item["published"], route["url"]
            assert same_date(item["published"], route["published"],
                             route.get("date_precision", "minute")), route["url"]
            assert item["language"] == outlet.language
            assert item["body"] and item["word_count"] > 50
        else:
            assert key not in by_url, f"unrelated article {route['url']} was kept"
    for item in items:
        parts = urlsplit(item["url"])
        assert parts.scheme == "https" and parts.hostname in outlet.allowed_domains
        assert "127.0.0.1" not in item["url"]
        if outlet.language == "ar":
            assert ARABIC.search(item["text"]) and not MOJIBAKE.search(item["text"])


def test_crawler_names_itself_and_obeys_robots(full_crawl: CrawlResult) -> None:
    agents = {r["user_agent"] for r in full_crawl.requested}
    assert agents and all(a.startswith("syria-archive/") and "+http" in a for a in agents)
    robots = [r for r in full_crawl.requested if r["url"].endswith("/robots.txt")]
    assert len({urlsplit(r["url"]).hostname for r in robots}) >= len(OUTLET_IDS) - 2
    forbidden = sum(row["robots_forbidden"] for row in full_crawl.report["outlets"].values())
    assert forbidden >= 1


def test_unrelated_articles_are_counted_by_reason(full_crawl: CrawlResult) -> None:
    rows = full_crawl.report["outlets"].values()
    skipped = sum(r["discovery"].get("skipped/not_about_syria", 0) for r in rows)
    dropped = sum(r["dropped"].get("not_about_syria", 0) for r in rows)
    assert skipped + dropped >= sum(
        1 for o in REGISTRY if not o.all_syria
        for r in article_routes(o.id) if not r["about_syria"])


def before(when: datetime | date, cutoff: datetime) -> bool:
    """A label's moment, or its day when it gives only the day, lies before the cutoff."""
    return when < cutoff if isinstance(when, datetime) else when < cutoff.date()


def test_since_date_filters_older_articles(mirror, tmp_path) -> None:
    since = "2026-11-01"
    result = crawl(mirror, tmp_path / "data", "--since", since)
    assert result.proc.returncode in (0, 3), result.proc.stderr[-2000:]
    cutoff = datetime.fromisoformat(since + "T00:00:00+00:00")
    old = {url_key(r["url"]) for o in OUTLET_IDS for r in article_routes(o)
           if before(label_date(r["published"]), cutoff)}
    assert old, "the mirror has no article older than the since-date"
    kept = {url_key(i["url"]) for i in result.items}
    assert not old & kept
    # published carries its own precision (a day, a moment): judged as the pipeline does
    assert not [i["url"] for i in result.items
                if i.get("published") and window_before(i["published"], cutoff)]
    skipped = sum(r["discovery"].get("skipped/before_since", 0)
                  for r in result.report["outlets"].values())
    assert skipped >= 1
    assert result.report["since"].startswith(since)
