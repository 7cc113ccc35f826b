"""Section pages that load more stories through a JSON endpoint (registry ``[sections.more]``).

A small site of its own (registry entry and pages in ``tmp_path``, served by a mirror of its
own): a section page shows two stories and a "Show more" button; the endpoint gives two
more, then one, then the crawl stops since the batch was short.  A malformed answer is an
alert naming the endpoint."""

from __future__ import annotations

import json
import re
from pathlib import Path
from urllib.parse import quote

import pytest
from conftest import FAST, CrawlResult, read_items, run_cli, start_mirror

from crawler.registry import RegistryError, load_text

HOST = "https://www.example-news.com"
API = HOST + "/api/feed?query=" + quote('{"tag":"syria","size":2,"from":OFFSET}', safe="")
ENTRY = f"""
name = "Example News"
language = "en"
base_url = "{HOST}/"
allowed_domains = ["www.example-news.com"]
article_pattern = '^{HOST.replace(".", "[.]")}/news/[a-z0-9-]+$'
exclude_pattern = '/video/'

[[sections]]
url = "{HOST}/tags/syria"
max_pages = 4

[sections.more]
url = "{API.replace("OFFSET", "{offset}")}"
headers = {{ "x-site" = "example" }}
items = "result.stories"
link = "path"
title = "headline.text"
date = "published"
offset = 2
step = 3
"""
STORIES = ["aid-convoy-reaches-aleppo", "idlib-schools-reopen", "homs-bakeries-extend-hours",
            "deir-ez-zor-bridge-repairs", "hama-farmers-sow-wheat"]


def page(slug: str) -> str:
    words = " ".join(f"Residents of Aleppo and Homs described day {i} of the repairs." for i in
                     range(30))
    return (f"<html lang='en'><head><title>{slug}</title><meta property='article:published_time'"
            f" content='2026-11-2{len(slug) % 8}T10:00:00+00:00'></head><body><article>"
            f"<h1>Syria: {slug.replace('-', ' ')}</h1><p>{words}</p></article></body></html>")


def site(tmp_path: Path, batches: list[str]) -> tuple[Path, Path]:
    pages = tmp_path / "pages"
    folder = pages / "example-news"
    folder.mkdir(parents=True)
    routes = [f'[[route]]\nurl = "{HOST}/robots.txt"\nfile = "robots.txt"\n',
              f'[[route]]\nurl = "{HOST}/tags/syria"\nfile = "section.html"\n']
    (folder / "robots.txt").write_text("User-agent: *\nDisallow: /search/\n")
    (folder / "section.html").write_text(
        "<html><body><main>" + "".join(f'<a href="/news/{s}">{s}</a>' for s in STORIES[:2])
        + '<button class="show-more" type="button">Show more</button></main></body></html>')
    for i, body in enumerate(batches):
        name = f"batch-{i}.json"
        (folder / name).write_text(body)
        routes.append(f'[[route]]\nurl = "{API.replace("OFFSET", str(2 + 3 * i))}"\n'
                      f'file = "{name}"\ncontent_type = "application/json"\n')
    for s in STORIES:
        (folder / f"{s}.html").write_text(page(s))
        routes.append(f'[[route]]\nurl = "{HOST}/news/{s}"\nfile = "{s}.html"\n')
    (folder / "routes.toml").write_text("\n".join(routes))
    registry = tmp_path / "outlets"
    registry.mkdir()
    (registry / "example-news.toml").write_text(ENTRY)
    return pages, registry


def batch(*slugs: str) -> str:
    return json.dumps({"result": {"stories": [
        {"path": f"/news/{s}" if s != "video" else "/video/aleppo-market",
         "headline": {"text": s.replace("-", " ")}, "published": "2026-11-24T08:00:00Z"}
        for s in slugs]}})


def run(tmp_path: Path, batches: list[str]) -> CrawlResult:
    pages, registry = site(tmp_path, batches)
    mirror = start_mirror(pages, tmp_path / "requests.jsonl")
    data = tmp_path / "data"
    try:
        proc = run_cli("crawl", "example-news", "--data", str(data), *FAST,
                       env=mirror.env(SYRIA_ARCHIVE_OUTLETS=str(registry)))
    finally:
        mirror.process.terminate()
        mirror.process.wait(timeout=30)
    reports = sorted((data / "reports").glob("crawl-*.json"))
    assert reports, proc.stderr[-3000:]
    return CrawlResult(data=data, proc=proc, items=read_items(data),
                       report=json.loads(reports[-1].read_text()), requested=mirror.requested())


def test_stories_beyond_the_first_page_come_from_the_json_endpoint(tmp_path: Path) -> None:
    result = run(tmp_path, [batch(STORIES[2], STORIES[3], "video"), batch(STORIES[4])])
    assert result.proc.returncode == 0, result.proc.stderr[-2000:]
    assert sorted(i["url"].rsplit("/", 1)[1] for i in result.items) == sorted(STORIES)
    via = {i["url"].rsplit("/", 1)[1]: i["discovery"] for i in result.items}
    assert via[STORIES[4]]["source"].startswith(HOST + "/api/feed")
    assert via[STORIES[4]]["title"] == "hama farmers sow wheat"
    asked = [r["url"] for r in result.requested if "/api/feed" in r["url"]]
    assert len(asked) == 2  # the second batch was short: no third request
    assert not any("/video/" in r["url"] for r in result.requested)


def test_a_malformed_answer_is_an_alert(tmp_path: Path) -> None:
    result = run(tmp_path, ['{"result": {"error": "rate limited"}}'])
    assert result.proc.returncode == 3
    assert any("example-news: 1 malformed section(s)" in a for a in result.report["alerts"])
    assert "result.stories" in (tmp_path / "data" / "logs").joinpath(
        next(p.name for p in (tmp_path / "data" / "logs").iterdir())).read_text()


MORE_URL = ENTRY.split("[sections.more]\n")[1].split("\n")[0]


@pytest.mark.parametrize("old, new, message", [
    (MORE_URL, f'url = "{HOST}/api/feed?from=2"', "must hold {offset} or {page}"),
    ("step = 3", "step = 0", "'sections[0].more.step': must be a whole number >= 1"),
    ("step = 3", 'step = 3\ncolour = "red"', "'sections[0].more.colour': unknown field"),
    ('headers = { "x-site" = "example" }', 'headers = { "x-site" = 1 }',
     "must be a table of header names to strings"),
])
def test_registry_checks_the_more_table(old: str, new: str, message: str) -> None:
    assert old in ENTRY
    with pytest.raises(RegistryError, match=re.escape(message)):
        load_text("example-news", ENTRY.replace(old, new), "outlets/example-news.toml")
    assert load_text("example-news", ENTRY, "x").sections[0].more is not None
