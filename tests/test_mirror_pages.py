"""The mirror's saved pages: what the build tool writes, and what extraction makes of the
pages that are not articles.

The pages under ``crawler/mirror/pages`` are written by ``tools/mirror/build.py`` (new pages
in the outlets' markup, and every article page's site furniture); a saved page that differs
from what the tool writes fails here, so nobody edits a generated page by hand and loses it
at the next build."""

from __future__ import annotations

import pytest
from conftest import MIRROR_PAGES, load_routes

from crawler.extract.article import article_from_page, extract_article
from crawler.extract.page import ExtractionError
from crawler.registry import Registry

NON_ARTICLES = [(o, r) for o in Registry.load().ids() for r in load_routes(o)
                if r.get("article") is False]


def test_every_outlet_has_pages_of_several_layouts() -> None:
    kinds = {}
    for outlet in Registry.load().ids():
        kinds[outlet] = {r.get("page", "news") for r in load_routes(outlet)
                         if "page" in r or r.get("article")}
    every = set.union(*kinds.values())
    assert {"news", "opinion", "analysis", "live", "gallery", "video", "amp", "print"} <= every
    assert all(len(k) >= 2 and len(k - {'gallery', 'video'}) >= 1 for k in kinds.values())


def test_article_pages_have_the_size_of_real_ones() -> None:
    sizes = []
    for outlet in Registry.load().ids():
        for r in load_routes(outlet):
            if r.get("article") and r.get("page") not in ("amp", "print"):
                sizes.append((MIRROR_PAGES / outlet / r["file"]).stat().st_size)
    assert min(sizes) > 55_000 and max(sizes) < 130_000


def test_saved_pages_are_what_the_build_tool_writes() -> None:
    import sys

    sys.path.insert(0, str(MIRROR_PAGES.parents[2] / "tools" / "mirror"))
    import build

    sites = build.load_sites()
    stale = [str(path.relative_to(MIRROR_PAGES)) for outlet in sorted(sites)
             for path, text in build.build_outlet(outlet, sites[outlet]).items()
             if not path.is_file() or path.read_text(encoding="utf-8") != text]
    assert not stale, f"run tools/mirror/build.py: {stale}"


@pytest.mark.parametrize("outlet, route", NON_ARTICLES,
                         ids=[f"{o}/{r['file']}" for o, r in NON_ARTICLES])
def test_galleries_and_videos_are_not_articles(outlet: str, route: dict) -> None:
    body = (MIRROR_PAGES / outlet / route["file"]).read_bytes()
    with pytest.raises(ExtractionError) as exc:
        article_from_page(body, route["url"], outlet=outlet)
    assert exc.value.reason == "not_article"


def _page(head: str, body: str, cls: str = "") -> str:
    return (f"<html><head>{head}</head><body class='{cls}'><article><h1>Title</h1>"
            f"{body}</article></body></html>")


PARA = "".join(f"<p>Residents of Aleppo queued for bread before dawn on day {i}, and the "
               f"bakery in district {i} ran out of flour by noon, they said.</p>"
               for i in range(40))


def test_an_article_with_a_video_is_still_an_article() -> None:
    # og:type video and a video post format, but a full article's text: kept
    html = _page('<meta property="og:type" content="video.other">', PARA,
                 "single single-format-video")
    assert extract_article(html, "https://example.com/a")["body"]
    # the same hints on a page with two lines of text: a video page
    with pytest.raises(ExtractionError, match="not an article"):
        extract_article(_page('<meta property="og:type" content="video.other">', PARA[:300]),
                        "https://example.com/v")


def test_structured_data_that_declares_only_a_gallery_or_a_video() -> None:
    ld = ('<script type="application/ld+json">{"@context": "https://schema.org", '
          '"@type": "ImageGallery", "name": "In pictures"}</script>')
    with pytest.raises(ExtractionError) as exc:
        extract_article(_page(ld, PARA[:300]), "https://example.com/g")
    assert exc.value.reason == "not_article"
    # an article whose structured data names only its lead video (as CNN's do) stays one
    video = ld.replace('"ImageGallery"', '"VideoObject"')
    assert extract_article(_page(video, PARA), "https://example.com/v")["body"]


# -- structured data that disagrees with the page ------------------------------------------

STALE = """<html><head><meta property="og:title" content="{shown} | Example News">
<meta property="og:site_name" content="Example News">
<meta property="article:published_time" content="{meta_date}">
<script type="application/ld+json">{{"@context": "https://schema.org", "@type": "NewsArticle",
 "headline": "{ld_title}", "datePublished": "{ld_date}"}}</script></head>
<body><article><h1>{h1}</h1><time datetime="{time}">24 November 2026</time>{para}</article>
</body></html>"""


def _stale(**kw: str) -> dict:
    values = {"shown": "New headline", "h1": "New headline", "ld_title": "Old headline",
              "meta_date": "2026-11-24T10:30:00+04:00", "ld_date": "2026-11-24T10:30:00Z",
              "time": "2026-11-24T10:30:00+04:00", "para": PARA} | kw
    return extract_article(STALE.format(**values), "https://example.com/n")


def test_headline_and_date_that_two_other_sources_contradict() -> None:
    fields = _stale()
    assert fields["title"] == "New headline"
    assert fields["published"] == "2026-11-24T10:30:00+04:00"


def test_structured_data_wins_when_the_others_do_not_agree() -> None:
    # the page's headline differs from its OpenGraph title: no majority, JSON-LD stands
    assert _stale(h1="A third headline")["title"] == "Old headline"
    # the page shows no time that backs the meta tag: JSON-LD stands
    assert _stale(time="2026-11-23T08:00:00+04:00")["published"] == "2026-11-24T10:30:00+00:00"
    # JSON-LD without an offset is the same moment as the meta tag: nothing to correct
    assert _stale(ld_date="2026-11-24T10:30:00")["published"] == "2026-11-24T10:30:00"


# -- a date printed only in the page's text -----------------------------------------------

def _shown(header: str, meta_line: str) -> dict:
    html = (f"<html><body><div class='top-bar'><span class='today-date'>{header}</span></div>"
            f"<article><h1>Solar panels reach Tartous</h1><p class='post-meta'>{meta_line}</p>"
            f"{PARA}</article></body></html>")
    return extract_article(html, "https://example.com/?p=1")


def test_the_date_printed_after_the_headline_not_the_sites_today() -> None:
    fields = _shown("Wednesday, 25 November 2026",
                    "<span class='tie-date'>November 24, 2026</span>")
    assert fields["published"].startswith("2026-11-24")
    arabic = _shown("الأربعاء 25 نوفمبر 2026",
                    "<span class='post-date'>الثلاثاء ٢٤ تشرين الثاني ٢٠٢٦</span>")
    assert arabic["published"].startswith("2026-11-24")
    updated = _shown("", "<span class='updated-date'>Updated November 25, 2026</span> "
                         "<span class='date'>November 24, 2026</span>")
    assert updated["published"].startswith("2026-11-24")


def test_a_month_or_a_year_alone_is_not_a_date() -> None:
    from crawler.extract.dates import names_a_day
    assert not names_a_day("November 2026") and not names_a_day("© 2026")
    assert names_a_day("24/11/2026") and names_a_day("٢٤ نوفمبر ٢٠٢٦")
    fields = _shown("", "<span class='archive-date'>November 2026</span>")
    assert not (fields["published"] or "").startswith("2026-11-01")


# -- bylines ---------------------------------------------------------------------------------

def test_desks_and_datelines_are_not_authors() -> None:
    from crawler.extract.metadata import clean_authors
    assert clean_authors(["Enab Baladi Economy Desk"], {"Enab Baladi"}) == []
    assert clean_authors(["Middle East Desk", "Nour Haddad"]) == ["Nour Haddad"]
    assert clean_authors(["دمشق سامر الحلبي"], (), ["دمشق:"]) == ["سامر الحلبي"]
    assert clean_authors(["Homs - Rasha Haddad"], (), ["Homs -"]) == ["Rasha Haddad"]
    # a dateline the page does not mark stays: it may be part of a name
    assert clean_authors(["Rasha Haddad"], (), ["Homs"]) == ["Rasha Haddad"]


def test_byline_with_a_marked_dateline_on_a_page_without_structured_data() -> None:
    html = ("<html><body><div class='article-info'><div class='field--name-field-author'>"
            "<span class='dateline'>دمشق:</span> سامر الحلبي</div></div><article>"
            f"<h1>أسواق دمشق</h1>{PARA}</article></body></html>")
    assert extract_article(html, "https://example.com/a")["authors"] == ["سامر الحلبي"]


def test_a_byline_the_other_readers_miss() -> None:
    html = ("<html><body><div class='print-meta'><span class='print-author'>Ghada Saleh</span> | "
            f"<span class='print-date'>20 November 2026 21:05</span></div>{PARA}</body></html>")
    assert extract_article(html, "https://example.com/print/1")["authors"] == ["Ghada Saleh"]
    dated = html.replace("<span class='print-author'>Ghada Saleh</span>",
                         "<div class='byline'>AFP <time>23 November 2026</time></div>")
    assert not extract_article(dated, "https://example.com/print/1")["authors"]
    from parsel import Selector

    from crawler.extract.metadata import byline_authors
    menu = ("<nav><a rel='author' href='/writers'>Our writers</a></nav>"
            "<div class='byline'>Ali Omar</div>")
    assert byline_authors(Selector(text=f"<html><body>{menu}</body></html>")) == ["Ali Omar"]


def test_the_json_endpoints_the_sites_scripts_call_are_served() -> None:
    """Al Jazeera's GraphQL and Arc's content API answer in the mirror as on the sites
    (robots.txt keeps the crawler away from both: their sitemaps list the same stories)."""
    import json
    from urllib.parse import urljoin

    from crawler.mirror.server import load_routes as served

    registry = Registry.load()
    endpoints = [(o, r) for o in ("aljazeera-en", "aljazeera-ar", "thenational")
                 for r in served(MIRROR_PAGES).values()
                 if r.file and r.file.suffix == ".json" and r.file.parent.name == o]
    assert len(endpoints) == 6
    known = {r for r in served(MIRROR_PAGES)}
    for outlet, route in endpoints:
        data = json.loads(route.body())
        stories = data["data"]["articles"] if "data" in data else data["content_elements"]
        for story in stories:
            url = urljoin(route.url, story.get("link") or story["canonical_url"])
            from crawler.mirror.server import url_key
            assert (url_key(url) in known or not registry[outlet].is_article(
                url_key(url))), url
