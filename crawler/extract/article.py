"""Article extraction: HTML in, article fields out.

Generic first: JSON-LD (``NewsArticle`` and kin), OpenGraph, Twitter and
``meta`` tags, ``<html lang>`` and ``rel=canonical`` for the metadata
(:mod:`.metadata`); trafilatura, a boilerplate-removing extractor, for the body
(:mod:`.body`); dates from structured data, then htmldate (through
trafilatura), then the URL (:mod:`.dates`).  The page is parsed once
(:mod:`.page`) and every reader shares the tree.

The spider (through the worker pool, :mod:`.pool`), the ``extract`` and
``reextract`` commands, the tests and the benchmark all call
:func:`extract_article` (or :func:`extract_page` for raw bytes).  Bad input
raises :class:`~crawler.extract.page.ExtractionError`.
"""

from __future__ import annotations

from collections import Counter
from typing import Any
from urllib.parse import urljoin

from parsel import Selector

from archive.text import tidy
from crawler.extract.body import body_and_metadata
from crawler.extract.dates import date_from_url, parse_date
from crawler.extract.metadata import (
    clean_authors,
    jsonld_article,
    keywords,
    names,
    strings,
    strip_site_suffix,
    texts,
    url_of,
)
from crawler.extract.page import ARABIC, MAX_HTML_CHARS, ExtractionError, decode_html, parse_html
from crawler.items import ArticleLoader
from crawler.registry import Outlet, Registry
from pipelines.clean import clean_article

# Hidden copies of text (lightbox captions, screen-reader duplicates) are not the article.
_HIDDEN = ('[aria-hidden="true"], [hidden], .visually-hidden, .sr-only, '
           'template, noscript, [style*="display:none"], [style*="display: none"]')


def extract_page(body: bytes, url: str, *, content_type: str | None = None) -> dict[str, Any]:
    """:func:`extract_article` for the raw bytes of a page (charset handled)."""
    return extract_article(decode_html(body, content_type), url)


def extract_article(html: str, url: str) -> dict[str, Any]:
    """Extract an article's fields from its HTML.

    Returns plain values (lists for multi-valued fields); the caller feeds them
    to the ItemLoader, whose processors normalise them.  Raises
    :class:`ExtractionError` when the page cannot give an article.
    """
    if not html or not html.strip():
        raise ExtractionError("empty", "empty page")
    if len(html) > MAX_HTML_CHARS:
        raise ExtractionError("too_large", f"page of {len(html)} characters, over {MAX_HTML_CHARS}")
    if "\x00" in html[:4096]:
        raise ExtractionError("binary", "not HTML: NUL characters")
    root = parse_html(html)
    sel = Selector(root=root, type="html")
    ld = jsonld_article(sel)

    def meta(*names: str) -> list[str]:
        out: list[str] = []
        for n in names:
            out += sel.xpath(f'//meta[@property="{n}" or @name="{n}" or @itemprop="{n}"]'
                             '/@content').getall()
        return [v.strip() for v in out if v.strip()]

    def first(*values: Any) -> Any:
        for v in values:
            if isinstance(v, list):
                v = next((x for x in v if x), None)
            if isinstance(v, str):
                v = tidy(v)
            if v:
                return v
        return None

    publisher = ld.get("publisher")
    site_names = {n for n in [*meta("og:site_name", "application-name", "twitter:site"),
                              *(names(publisher) if not isinstance(publisher, dict)
                                else strings(publisher.get("name")))] if n}
    site_names |= {n.lstrip("@") for n in site_names}

    # Captions and credits are read before the body extractor prunes the figures.
    captions = texts(sel, "figure figcaption")
    credits = texts(sel, 'figure [class*="credit"], figure [class*="copyright"]')
    for node in root.cssselect(_HIDDEN):
        if node.getparent() is not None and node.tag not in ("html", "body"):
            node.drop_tree()

    title = first(strings(ld.get("headline")), meta("og:title", "twitter:title"),
                  texts(sel, "h1"), texts(sel, "title"))
    if title:
        title = strip_site_suffix(title, site_names)
    authors = clean_authors(
        names(ld.get("author"))
        or [a for a in meta("author", "article:author", "dc.creator", "byl", "sailthru.author")
            if not a.startswith("http")], site_names)
    canonical = first(sel.css('link[rel="canonical"]::attr(href)').get(), meta("og:url"),
                      url_of(ld.get("mainEntityOfPage")), ld.get("url"))
    lang = first(sel.xpath("/html/@lang").get(), meta("og:locale"),
                 strings(ld.get("inLanguage")), meta("language", "content-language"))
    published = first(
        [parse_date(x) for x in strings(ld.get("datePublished"))],
        [parse_date(x) for x in meta(
            "article:published_time", "og:article:published_time", "datePublished",
            "pubdate", "publishdate", "publish-date", "publish_date", "article.published",
            "parsely-pub-date", "sailthru.date", "dc.date.issued", "DC.date.issued", "dc.date",
            "date")],
        [parse_date(x) for x in sel.css('[itemprop="datePublished"]::attr(datetime), '
                                        'time[pubdate]::attr(datetime)').getall()],
    )
    modified = first(
        [parse_date(x) for x in strings(ld.get("dateModified"))],
        [parse_date(x) for x in meta("article:modified_time", "dateModified",
                                     "og:updated_time", "last-modified")],
    )
    body, doc = body_and_metadata(root, url)
    if doc is not None:
        if not published:
            published = parse_date(doc.date) or sel.css("time::attr(datetime)").get()
            published = parse_date(published) if published else None
        if not authors and doc.author:
            authors = clean_authors(doc.author.split(";"), site_names)
        title = title or (doc.title and tidy(doc.title))
    published = published or date_from_url(url)
    language = lang.replace("_", "-").split("-")[0].lower() if isinstance(lang, str) else None
    if not language and body:
        sample = " ".join(body)[:2000]
        language = "ar" if len(ARABIC.findall(sample)) > len(sample) / 4 else None
    return {
        "title": title,
        "subtitle": first(strings(ld.get("alternativeHeadline")), strings(ld.get("description")),
                          meta("og:description", "description", "twitter:description")),
        "authors": authors,
        "published": published,
        "modified": modified,
        "section": first(strings(ld.get("articleSection")), meta("article:section")),
        "tags": meta("article:tag") + keywords(ld.get("keywords"))
        + keywords(meta("news_keywords", "keywords")),
        "canonical_url": urljoin(url, canonical) if canonical else None,
        "language": language,
        "lead_image": urljoin(url, li) if (li := first(
            meta("og:image", "twitter:image", "twitter:image:src"), url_of(ld.get("image")),
            sel.css("article img::attr(src), figure img::attr(src)").get())) else None,
        "captions": captions,
        "credits": credits,
        "body": body,
    }


def load_article(fields: dict[str, Any], *, url: str, outlet: str | None = None,
                 language: str | None = None, timezone: str = "UTC",
                 status: int | None = None, discovery: dict[str, Any] | None = None,
                 fetched_at: str | None = None, **extra: Any) -> Any:
    """The Article item from extracted fields, as the spider stores it (before pipelines).

    ``language`` (the outlet's) and the discovery date only fill what the page
    did not say.  ``extra`` sets further item fields (``warc``, ``previous_version``).
    """
    loader = ArticleLoader(timezone=timezone)
    loader.add_value("url", url)
    loader.add_value("outlet", outlet)
    for name, value in fields.items():
        loader.add_value(name, value)
    loader.add_value("language", language)
    if discovery:
        loader.add_value("published", discovery.get("date"))
    body = loader.get_output_value("body") or []
    text = "\n\n".join(body)
    loader.add_value("text", text)
    loader.add_value("word_count", len(text.split()))
    loader.add_value("fetched_at", fetched_at)
    loader.add_value("status", status)
    loader.add_value("discovery", discovery)
    for name, value in extra.items():
        loader.add_value(name, value)
    return loader.load_item()


def article_from_page(body: bytes, url: str, *, outlet: str | None = None,
                      content_type: str | None = None,
                      registry: Registry | None = None) -> dict[str, Any]:
    """The article of one saved page, extracted and cleaned as a crawl stores it.

    The outlet (its language and time zone) is the one named, else the
    registry's outlet whose ``article_pattern`` matches ``url``, else none.
    Used by ``syria-archive extract``, the golden-file tests and the benchmark.
    ``registry`` defaults to the bundled outlets.
    """
    registry = registry or Registry.load()
    entry: Outlet | None = registry[outlet] if outlet else next(
        (o for o in registry if o.is_article(url)), None)
    fields = extract_page(body, url, content_type=content_type)
    item = load_article(fields, url=url, outlet=entry.id if entry else None,
                        language=entry.language if entry else None,
                        timezone=entry.timezone if entry else "UTC")
    cleaned = clean_article(dict(item), Counter())
    if not cleaned.get("body"):
        raise ExtractionError("no_body", "no article text in the page")
    return cleaned
