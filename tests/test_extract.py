"""Extraction: regression golden files for every saved article page, dates, charsets,
bad input.

Regression golden files: ``tests/expected/<outlet>/<page>.json``, written by our
extractor (``tests/regen_expected.py``) and reviewed by hand, so they catch changes, not
errors (accuracy is ``test_extract_bench.py`` on pages labelled by others); the test
fails when a saved article page has none."""

from __future__ import annotations

import gzip
import json

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from mirror_labels import same_date
from regen_expected import MIRROR, article_pages, expected_article, expected_path

from crawler.extract.article import (
    CHARSET_NOTE,
    article_from_page,
    extract_article,
    extract_page,
    load_article,
)
from crawler.extract.dates import date_from_url, parse_date
from crawler.extract.page import ExtractionError, read_html

PAGES = article_pages()


def test_every_outlet_with_saved_pages_has_article_pages() -> None:
    outlets = {p.parent.name for p in MIRROR.glob("*/routes.toml")}
    assert outlets and outlets == {o for o, _, _ in PAGES}


@pytest.mark.parametrize("outlet, file, route", PAGES, ids=[f"{o}/{f}" for o, f, _ in PAGES])
def test_golden(outlet: str, file: str, route: dict) -> None:
    path = expected_path(outlet, file)
    assert path.is_file(), f"no expected JSON for {outlet}/{file}: run tests/regen_expected.py"
    expected = json.loads(path.read_text(encoding="utf-8"))
    assert expected_article(outlet, file, route) == expected
    assert expected["title"] == route["title"]
    assert same_date(expected["published"], route["published"],
                     route.get("date_precision", "minute"))
    if route.get("repeated_blocks"):
        keys = [p.casefold() for p in expected["body"]]
        assert len(keys) == len(set(keys))
        assert route["title"].casefold() not in keys
        assert not set(c.casefold() for c in expected["captions"]) & set(keys)


def _page(route_file: str = "") -> tuple[bytes, str]:
    outlet, file, route = next(p for p in PAGES if p[0] == "aawsat-ar")
    return (MIRROR / outlet / file).read_bytes(), route["url"]


def test_windows_1256_and_mislabelled_pages() -> None:
    body, url = _page()
    right = article_from_page(body, url)
    cp1256 = body.decode("utf-8").replace('charset="utf-8"', 'charset="windows-1256"')
    cp1256_bytes = cp1256.encode("cp1256", errors="xmlcharrefreplace")
    assert article_from_page(cp1256_bytes, url, content_type="text/html; charset=windows-1256")[
        "body"] == right["body"]
    # labelled windows-1256 but sent as UTF-8, and the reverse
    assert article_from_page(body, url, content_type="text/html; charset=windows-1256")[
        "body"] == right["body"]
    assert article_from_page(cp1256_bytes, url, content_type="text/html; charset=iso-8859-1")[
        "body"] == right["body"]
    assert article_from_page(gzip.compress(body), url)["body"] == right["body"]


def test_a_lying_charset_label_is_noted() -> None:
    body, url = _page()
    cp1256_bytes = body.decode("utf-8").replace('charset="utf-8"', 'charset="windows-1256"'
                                                ).encode("cp1256", errors="xmlcharrefreplace")
    utf8_labelled_1256 = body.replace(b'charset="utf-8"', b'charset="windows-1256"')
    # the label right, or none: no note
    assert read_html(body, "text/html; charset=utf-8")[1] is None
    assert read_html(cp1256_bytes, "text/html; charset=windows-1256")[1] is None
    assert read_html(body.replace(b'charset="utf-8"', b""), "text/html")[1] is None
    # a lie in the header, in <meta> only, and the reverse
    assert read_html(body, "text/html; charset=windows-1256")[1] == (
        "labelled cp1256, read as utf-8")
    assert read_html(utf8_labelled_1256, "text/html")[1] == "labelled cp1256, read as utf-8"
    assert read_html(cp1256_bytes, "text/html; charset=utf-8")[1] == (
        "labelled utf-8, read as cp1256")
    # no label anywhere: read as windows-1256, and no lie to report
    unlabelled = cp1256_bytes.replace(b'charset="windows-1256"', b"")
    assert b"charset" not in unlabelled[:4096].lower()
    text, note = read_html(unlabelled, "text/html")
    assert note is None and text == unlabelled.decode("cp1256")
    # the note travels with the fields and stays out of the item
    fields = extract_page(cp1256_bytes, url, content_type="text/html; charset=utf-8")
    assert fields[CHARSET_NOTE] == "labelled utf-8, read as cp1256"
    assert CHARSET_NOTE not in load_article(fields, url=url)
    assert CHARSET_NOTE not in extract_page(body, url, content_type="text/html; charset=utf-8")


@pytest.mark.parametrize("body, reason", [
    (b"", "empty"), (b"   \n", "empty"), (b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 20, "binary"),
    (bytes(range(256)) * 40, "binary"),
    (gzip.compress(b"".join(b"<p>%d</p>" % i for i in range(5000)))[:300], "truncated"),
])
def test_bad_input_gives_a_reason(body: bytes, reason: str) -> None:
    with pytest.raises(ExtractionError) as exc:
        extract_page(body, "https://example.com/a")
    assert exc.value.reason == reason


def test_truncated_and_tiny_pages() -> None:
    body, url = _page()
    half = extract_page(body[: len(body) // 2], url)
    assert half["title"]
    with pytest.raises(ExtractionError) as exc:
        article_from_page(b"<html><body><div>TT</div></body></html>",
                          "https://example.com/a")
    assert exc.value.reason == "no_body"


def test_five_megabyte_page() -> None:
    para = "<p>" + "Aleppo residents waited for water deliveries in the cold. " * 8 + "</p>"
    html = "<html><head><title>Big</title></head><body><article>" + para * 9000
    assert 4_000_000 < len(html) < 6_000_000
    fields = extract_article(html + "</article></body></html>", "https://example.com/big")
    assert fields["title"] == "Big" and fields["body"]


def test_dates_in_arabic_and_from_urls() -> None:
    assert parse_date("٢٢ نوفمبر ٢٠٢٦") == "2026-11-22"  # a day, no invented midnight
    assert parse_date("الأحد 3 كانون الثاني 2027 - 10:15 ص") == "2027-01-03T10:15:00"
    assert parse_date("1 تشرين الأول 2026") == "2026-10-01"
    assert parse_date("2026-11-22T09:40:00+03:00") == "2026-11-22T09:40:00+03:00"
    assert parse_date("no date here") is None
    assert date_from_url("https://x.com/news/2026/11/21/aid-reaches-aleppo") == "2026-11-21"
    assert date_from_url("https://x.com/a/olives-20261030") == "2026-10-30"


def test_jsonld_graph_authors_and_meta_fallbacks() -> None:
    html = """<html lang="en"><head>
    <meta property="og:site_name" content="Example News">
    <script type="application/ld+json">{"@context": "https://schema.org", "@graph": [
      {"@type": "WebPage"}, {"@type": "ReportageNewsArticle", "headline": "Aid reaches Aleppo",
       "datePublished": "2026-11-21T10:30:00+03:00",
       "author": [{"@type": "Person", "name": "By Jane Roe and John Doe"},
                  {"@type": "Organization", "name": "Example News"}]}]}</script>
    </head><body><article><h1>Aid reaches Aleppo | Example News</h1>
    <p>Trucks carrying flour and medicine reached the city on Saturday, officials said.</p>
    <p>Residents queued at distribution points in the eastern districts of the city.</p>
    </article></body></html>"""
    f = extract_article(html, "https://example.com/news/aid")
    assert f["title"] == "Aid reaches Aleppo"
    assert f["authors"] == ["Jane Roe", "John Doe"]
    assert f["published"] == "2026-11-21T10:30:00+03:00"
    assert f["language"] == "en"


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.one_of(
    st.text(max_size=2000),
    st.lists(st.sampled_from([
        "<html>", "<head>", "<title>", "</title>", "<body>", "<p>", "</p>", "<article>",
        "<figure><figcaption>", "</figcaption></figure>", "<script type='application/ld+json'>",
        "{\"@type\": \"NewsArticle\", \"author\": [null, {}]}", "</script>", "<meta ",
        "property='og:title' content='", "'>", "TT", "سوريا ", "Syria ", "\x00", "<!--",
        "<time datetime='٢٠٢٦'>", "&#0;", "<br>", "<table><tr><td>", "]]>",
    ]), max_size=80).map("".join),
))
def test_random_html_never_crashes(html: str) -> None:
    try:
        fields = extract_article(html, "https://example.com/news/1")
    except ExtractionError as exc:
        assert exc.reason
        return
    assert isinstance(fields["body"], list)
    assert all(isinstance(p, str) and p for p in fields["body"])
