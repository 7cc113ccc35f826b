"""The web page in a real browser: Debian's headless Chromium driven by Playwright (the
system browser; nothing downloaded) against ``syria-archive serve`` over the demo's
archive.  Searches an Arabic and an English word, narrows with a facet, reads an
article and its citation, follows the replay link, downloads the CSV export.
Screenshots go to the test's output folder (``screenshots/``)."""

from __future__ import annotations

import csv
import shutil
import urllib.parse
from collections.abc import Iterator
from pathlib import Path

import pytest
from conftest import CrawlResult
from webserve import Served, start_serve

from archive.text import fold

CHROMIUM = Path("/usr/bin/chromium")
# Headless, offline, and nothing of the machine's own profile.
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
         "--disable-component-update", "--disable-sync", "--no-first-run"]


@pytest.fixture(scope="module")
def served(full_crawl: CrawlResult, tmp_path_factory: pytest.TempPathFactory
           ) -> Iterator[Served]:
    s = start_serve("--data", str(full_crawl.data),
                    stderr=tmp_path_factory.mktemp("serve") / "stderr.txt")
    yield s
    s.stop()


def titles_with(full_crawl: CrawlResult, word: str) -> set[str]:
    return {i["title"] for i in full_crawl.items
            if fold(word) in fold(f"{i['title']} {i['text']}")}


@pytest.mark.timeout(300)
def test_search_read_replay_and_export_in_chromium(served: Served, full_crawl: CrawlResult,
                                                   tmp_path: Path) -> None:
    from playwright.sync_api import sync_playwright

    assert CHROMIUM.is_file() and shutil.which("chromium"), \
        "Debian's chromium is missing: `make system-deps` installs it"
    shots = tmp_path / "screenshots"
    shots.mkdir()
    requested: list[str] = []
    with sync_playwright() as pw:
        context = pw.chromium.launch_persistent_context(
            str(tmp_path / "profile"), executable_path=str(CHROMIUM), headless=True,
            args=FLAGS, accept_downloads=True, viewport={"width": 1280, "height": 900})
        context.on("request", lambda r: requested.append(r.url))
        page = context.new_page()
        page.goto(served.url)
        page.screenshot(path=shots / "home.png", full_page=True)
        assert page.locator("figure svg").count() == 3  # the charts

        def search(word: str) -> list[str]:
            page.fill("input[name=q]", word)
            page.press("input[name=q]", "Enter")
            page.wait_for_url("**/search?*")
            return [t.strip() for t in page.locator(".syria-title").all_inner_texts()]

        arabic = search("دمشق")
        page.screenshot(path=shots / "search-arabic.png", full_page=True)
        assert titles_with(full_crawl, "دمشق") <= set(arabic) and arabic
        direction = page.locator(".syria-title").first.evaluate(
            "e => getComputedStyle(e).direction")
        assert direction == "rtl"  # dir=auto on an Arabic title

        english = search("wheat")
        assert titles_with(full_crawl, "wheat") <= set(english) and english
        total = int(page.inner_text("#total").replace(",", ""))
        facet = page.locator("[data-facet=outlet] a").first
        outlet = facet.get_attribute("data-value")
        facet.click()
        page.wait_for_url(f"**outlet={outlet}*")
        narrowed = int(page.inner_text("#total").replace(",", ""))
        page.screenshot(path=shots / "search-facet.png", full_page=True)
        assert 0 < narrowed < total
        assert {i["title"] for i in full_crawl.items if i["outlet"] == outlet
                and fold("wheat") in fold(i["title"] + " " + i["text"])} == set(
            t.strip() for t in page.locator(".syria-title").all_inner_texts())

        # CSV export of this result, downloaded and parsed
        with page.expect_download() as download_info:
            page.click("#export-csv")
        target = tmp_path / "export.csv"
        download_info.value.save_as(target)
        with target.open(encoding="utf-8", newline="") as fh:
            rows = list(csv.DictReader(fh))
        assert len(rows) == narrowed and {r["outlet"] for r in rows} == {outlet}
        assert all(r["warc_file"] and r["record_id"] for r in rows)

        # an Arabic article: clean text, right to left, citation block
        item = next(i for i in full_crawl.items if i["language"] == "ar"
                    and fold("دمشق") in fold(i["title"] + " " + i["text"])
                    and not i.get("duplicate_of"))
        page.goto(served.url)  # a new search from the home page: no facet kept
        search("دمشق")
        page.get_by_text(item["title"], exact=True).first.click()
        page.wait_for_url("**/article/*")
        page.screenshot(path=shots / "article.png", full_page=True)
        assert page.inner_text("#title").strip() == item["title"]
        body = page.inner_text("#body")
        assert all(p in body for p in item["body"])
        assert page.locator("article").evaluate("e => getComputedStyle(e).direction") == "rtl"
        warc = item["warc"]
        assert page.inner_text("#cite-file") == warc["file"]
        assert page.inner_text("#cite-offset") == str(warc["offset"])
        assert page.inner_text("#cite-length") == str(warc["length"])
        assert page.inner_text("#cite-record") == warc["record_id"]
        assert len(page.inner_text("#cite-sha256")) == 64

        # the replay link: the archived page, served by pywb
        page.click("#replay-link")
        page.wait_for_url(f"{served.replay}**")
        page.wait_for_load_state()
        page.screenshot(path=shots / "replay.png")
        assert item["title"] in page.title() or item["title"] in page.content()
        context.close()
    outside = [u for u in requested
               if urllib.parse.urlsplit(u).hostname not in ("127.0.0.1", None)
               and not u.startswith(("data:", "blob:", "about:"))]
    assert not outside, outside[:5]  # nothing but loopback: the page works offline
    print(f"screenshots in {shots}")
