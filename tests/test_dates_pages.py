"""Dates on whole pages: which source wins, and that a date the page does not give is
never invented (no year-only date becomes January 1st).  The pages are written here."""

from __future__ import annotations

from typing import Any

import pytest

from crawler.extract.article import extract_article, load_article
from pipelines.window import before

BODY = ("<p>Residents of the eastern districts queued for bread on Wednesday as bakeries "
        "reopened after three days without flour deliveries, officials said.</p>"
        "<p>The municipality said it expected two more convoys before the end of the week, "
        "and that prices would be fixed at the level announced last month.</p>")


def page(head: str = "", header: str = "", footer: str = "") -> str:
    return (f"<html><head><title>Bread queues</title>{head}</head><body><article>"
            f"<h1>Bread queues return</h1>{header}{BODY}</article>"
            f"<footer>{footer}</footer></body></html>")


CASES: list[tuple[str, str, str, str | None, str | None]] = [
    # (what, html, url, expected published, expected source)
    ("json-ld", page('<script type="application/ld+json">{"@type": "NewsArticle", '
                     '"headline": "Bread queues return", '
                     '"datePublished": "2013-08-28T10:00:00+03:00"}</script>'),
     "https://example.com/a", "2013-08-28T10:00:00+03:00", "jsonld"),
    ("meta tag", page('<meta property="article:published_time" content="2024-05-05">'),
     "https://example.com/a", "2024-05-05", "meta"),
    ("Arabic date line beats a URL and a copyright year",
     page(header='<div class="date">الأربعاء، 28 آب/اغسطس 2013</div>',
          footer="© 2013 CNN"),
     "https://arabic.cnn.com/2013/middle_east/8/3/syria.chemical/index.html",
     "2013-08-28", "text"),
    ("date line after the headline, with a Damascus time",
     page(header="<p>نشر في: 3 آذار 2025 - 14:05 بتوقيت دمشق</p>"),
     "https://example.com/a", "2025-03-03T14:05:00+03:00", "text"),
    ("a Hijri date line is not a Gregorian date: the URL's day",
     page(header='<span class="date">15 رمضان 1446 هـ</span>'),
     "https://example.com/news/2025/03/15/bread", "2025-03-15", "url"),
    ("only a copyright year: no date, not January 1st",
     page(footer="<p>© 2013 Example News. All rights reserved.</p>"),
     "https://example.com/story/4421", None, None),
    ("only a month in the URL: the month, not its 1st",
     page(), "https://example.com/2013/08/bread-queues-return", "2013-08", "url"),
]


@pytest.mark.parametrize("what, html, url, published, source", CASES,
                         ids=[c[0] for c in CASES])
def test_date_source_and_precision(what: str, html: str, url: str, published: str | None,
                                   source: str | None) -> None:
    fields = extract_article(html, url)
    assert (fields["published"], fields["published_source"]) == (published, source)


def _item(fields: dict[str, Any], discovery: dict[str, Any] | None) -> Any:
    return load_article(fields, url="https://example.com/a", timezone="Asia/Damascus",
                        discovery=discovery)


def test_feed_date_fills_what_the_page_does_not_give() -> None:
    fields = extract_article(page(), "https://example.com/story/4421")
    listed = {"kind": "feed", "date": "2026-11-21T08:00:00+00:00"}
    item = _item(fields, listed)
    assert (item["published"], item["published_source"], item["published_precision"]) == (
        "2026-11-21T08:00:00+00:00", "feed", "time")
    # a page's month loses to the feed's day; a page's day wins over the feed
    month = extract_article(page(), "https://example.com/2026/11/bread")
    assert _item(month, listed)["published_source"] == "feed"
    day = extract_article(page(header="<p>21 تشرين الثاني 2026</p>"), "https://example.com/a")
    item = _item(day, listed)
    assert (item["published"], item["published_source"], item["published_precision"]) == (
        "2026-11-21", "text", "day")


def test_a_time_without_offset_takes_the_outlets_zone() -> None:
    fields = extract_article(page(header="<p>Updated: 28 Aug 2013, 09:40 AM</p>"),
                             "https://example.com/a")
    item = _item(fields, None)
    assert item["published"] == "2013-08-28T09:40:00+03:00"
    assert item["published_precision"] == "time"


@pytest.mark.parametrize("published, since, dropped", [
    ("2013", "2013-06-01T00:00:00+00:00", False),          # the year reaches past since
    ("2012", "2013-06-01T00:00:00+00:00", True),
    ("2013-05", "2013-06-01T00:00:00+00:00", True),
    ("2013-06", "2013-06-15T00:00:00+00:00", False),
    ("2013-06-14", "2013-06-15T00:00:00+00:00", True),
    ("2013-06-15", "2013-06-15T00:00:00+00:00", False),
    ("2013-06-15T01:00:00+03:00", "2013-06-15T00:00:00+00:00", True),
])
def test_window_compares_at_the_dates_own_precision(published: str, since: str,
                                                    dropped: bool) -> None:
    from datetime import datetime
    assert before(published, datetime.fromisoformat(since)) is dropped
