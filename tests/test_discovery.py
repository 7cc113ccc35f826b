"""Feeds and sitemaps: real third-party files from ../shared, and malformed input."""

from __future__ import annotations

import gzip
import json
from datetime import UTC, datetime
from pathlib import Path

import pytest
from conftest import SHARED, need_shared

from spiders.discovery import DiscoveryError, read_feed, read_sitemap

FEEDS = SHARED / "data" / "feeds" / "rss-parser" / "test"
TRAF = SHARED / "data" / "feeds" / "trafilatura" / "tests" / "resources"


def feed_cases() -> list[Path]:
    # without ../shared one case stands for all, and needs_shared skips it (fails in CI)
    return sorted(FEEDS.glob("input/*")) if FEEDS.is_dir() else [FEEDS / "input"]


@pytest.mark.parametrize("path", feed_cases(), ids=lambda p: p.name)
def test_real_feeds_give_the_expected_links_and_titles(path: Path) -> None:
    need_shared(path)
    expected_file = FEEDS / "output" / (path.stem + ".json")
    expected = json.loads(expected_file.read_bytes().decode("utf-8", errors="replace"))
    want = [(i.get("link"), (i.get("title") or "").strip()) for i in expected["feed"]["items"]
            if i.get("link")]
    got = [(entry.url, (entry.title or "").strip()) for entry in read_feed(path.read_bytes(),
                                                                           str(path))]
    assert [u for u, _ in got] == [u for u, _ in want]
    for (_, t_got), (_, t_want) in zip(got, want, strict=True):
        if "\ufffd" not in t_want:  # the expected file itself lost those characters
            assert " ".join(t_got.split()) == " ".join(t_want.split())


def test_real_sitemaps_plain_and_gzipped() -> None:
    need_shared(TRAF)
    plain = read_sitemap((TRAF / "sitemap.xml").read_bytes(), "sitemap.xml")
    assert plain.kind == "urlset" and plain.entries
    assert plain.entries[0].url == "https://www.sitemaps.org/"
    assert plain.entries[0].date == datetime(2016, 11, 21, tzinfo=UTC)
    unzipped = gzip.decompress((TRAF / "sitemap.xml.gz").read_bytes())
    assert read_sitemap(unzipped, "sitemap.xml.gz").entries


def test_news_sitemap_titles_keywords_and_dates() -> None:
    body = b"""<?xml version="1.0" encoding="UTF-8"?>
<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9"
        xmlns:news="http://www.google.com/schemas/sitemap-news/0.9">
 <url><loc>https://www.example.com/news/1</loc>
  <news:news><news:publication><news:name>Ex</news:name><news:language>ar</news:language>
   </news:publication><news:publication_date>2026-11-21T08:00:00+03:00</news:publication_date>
   <news:title>\xd8\xad\xd9\x84\xd8\xa8</news:title><news:keywords>Syria, Aleppo</news:keywords>
  </news:news></url>
 <url><loc>https://www.example.com/news/2</loc><lastmod>2026-10-02</lastmod></url>
</urlset>"""
    sitemap = read_sitemap(body, "news.xml")
    first, second = sitemap.entries
    assert first.title == "حلب" and first.keywords == ["Syria", "Aleppo"]
    assert first.date == datetime(2026, 11, 21, 5, 0, tzinfo=UTC)
    assert second.title is None and second.date == datetime(2026, 10, 2, tzinfo=UTC)


def test_sitemap_index() -> None:
    body = b"""<sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">
<sitemap><loc>https://www.example.com/s-2026-11.xml</loc><lastmod>2026-11-20</lastmod></sitemap>
</sitemapindex>"""
    sitemap = read_sitemap(body, "index.xml")
    assert sitemap.kind == "sitemapindex"
    assert sitemap.entries[0].url.endswith("s-2026-11.xml")


@pytest.mark.parametrize("body", [b"", b"<html><body>not a sitemap</body></html>", b"\x00\x01\x02"])
def test_malformed_sitemaps_raise_a_clear_error(body: bytes) -> None:
    with pytest.raises(DiscoveryError, match="bad.xml"):
        read_sitemap(body, "https://www.example.com/bad.xml")


def test_malformed_feed_raises_a_clear_error() -> None:
    with pytest.raises(DiscoveryError, match="https://www.example.com/rss"):
        read_feed(b"<html><body>Service unavailable</body></html>", "https://www.example.com/rss")


def test_truncated_feed_keeps_what_it_could_read() -> None:
    body = b"""<?xml version="1.0"?><rss version="2.0"><channel><title>t</title>
<item><title>Aleppo</title><link>https://www.example.com/news/1</link></item>
<item><title>Idlib</title><link>https://www.example.com/news/2</link></item>
<item><title>Hom"""
    entries = read_feed(body, "https://www.example.com/rss")
    assert [e.url for e in entries][:2] == ["https://www.example.com/news/1",
                                           "https://www.example.com/news/2"]
