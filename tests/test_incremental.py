"""Incremental crawls: the second night fetches no article again, and an article
whose feed says it was updated is fetched again as a new version."""

from __future__ import annotations

import re
import shutil
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from pathlib import Path

from conftest import MIRROR_PAGES, Mirror, crawl, load_routes, start_mirror

from crawler.mirror.server import url_key
from crawler.registry import Registry


def test_second_run_fetches_no_article_and_finds_nothing_new(mirror: Mirror, tmp_path) -> None:
    data = tmp_path / "data"
    first = crawl(mirror, data)
    assert first.items
    second = crawl(mirror, data)
    assert second.proc.returncode in (0, 3), second.proc.stderr[-2000:]
    articles = {url_key(r["url"]) for o in Registry.load().ids() for r in load_routes(o)
                if r.get("article")}
    refetched = [r["url"] for r in second.requested if url_key(r["url"]) in articles]
    assert refetched == []
    rows = second.report["outlets"].values()
    assert sum(r["articles_kept"] for r in rows) == 0
    assert sum(r["incremental"].get("skipped", 0) for r in rows) >= len(first.items)
    first_bytes = sum(r["warc"]["bytes"] for r in first.report["outlets"].values())
    second_bytes = sum(r["warc"]["bytes"] for r in rows)
    print(f"WARC bytes: first run {first_bytes}, second run {second_bytes} "
          f"({second_bytes / first_bytes:.1%})")
    assert second_bytes < 0.10 * first_bytes
    # Section pages that list nothing new are not paged through (where the first run paged).
    paged = sum(1 for r in first.report["outlets"].values()
                if r["discovery"].get("section/pages", 0) > 1)
    assert paged >= 10
    assert sum(r["incremental"].get("pagination_stopped", 0) for r in rows) >= paged


def test_updated_article_is_fetched_again_as_a_new_version(tmp_path: Path) -> None:
    pages = tmp_path / "pages"
    shutil.copytree(MIRROR_PAGES / "aawsat-en", pages / "aawsat-en")
    m = start_mirror(pages, tmp_path / "requests.jsonl")
    try:
        data = tmp_path / "data"
        first = crawl(m, data, "aawsat-en")
        feed = pages / "aawsat-en" / "feed.xml"
        text = feed.read_text(encoding="utf-8")
        kept = {url_key(i["url"]) for i in first.items}
        url, old_date = next(
            (link, date) for link, date in re.findall(
                r"<item>.*?<link>(.*?)</link>.*?<pubDate>(.*?)</pubDate>", text, re.S)
            if url_key(link) in kept)
        later = format_datetime(datetime.now(UTC) + timedelta(hours=1))
        feed.write_text(text.replace(old_date, later, 1), encoding="utf-8")
        second = crawl(m, data, "aawsat-en")
    finally:
        m.process.terminate()
        m.process.wait(timeout=30)
    assert [url_key(r["url"]) for r in second.requested].count(url_key(url)) == 1
    this_run = second.items[len(first.items):]  # files sort by run within the outlet
    updated = [i for i in this_run if url_key(i["url"]) == url_key(url)]
    assert len(updated) == 1 and updated[0]["dedup"] == "new_version"
    previous = updated[0]["previous_version"]
    assert previous["record_id"] == next(
        i for i in first.items if url_key(i["url"]) == url_key(url))["warc"]["record_id"]
    assert second.report["outlets"]["aawsat-en"]["incremental"]["updated"] == 1
