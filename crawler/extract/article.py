"""Article extraction: HTML in, article fields out.

Generic first: JSON-LD (``NewsArticle`` and kin), OpenGraph, Twitter and
``meta`` tags, ``<html lang>`` and ``rel=canonical`` for the metadata, the visible
headline, byline and date line where structured data is silent (:mod:`.metadata`);
trafilatura, a boilerplate-removing extractor, for the body (:mod:`.body`).  The page is
parsed once (:mod:`.page`) and every reader shares the tree; trafilatura's own
metadata reader (htmldate for dates, which copies the tree) runs only for a field
still open.

The publication date keeps its precision and its source (:mod:`.dates`): the first
source that gives at least a day wins, in the order ``jsonld``, ``meta`` (meta tags,
``<time datetime>``, microdata), ``text`` (the article's date line, then htmldate),
``url``; the feed's or sitemap's date (``feed``) only fills what the page does not
give.  A year or a month alone is kept as such when no source gives the day.

The spider (through the worker pool, :mod:`.pool`), the ``extract`` and
``reextract`` commands, the tests and the benchmark all call
:func:`extract_article` (or :func:`extract_page` for raw bytes).  Bad input
raises :class:`~crawler.extract.page.ExtractionError`.
"""

from __future__ import annotations

import re
from collections import Counter
from typing import Any
from urllib.parse import urljoin

from lxml.cssselect import CSSSelector
from parsel import Selector

from archive.text import tidy
from crawler import settings
from crawler.extract.body import body_of, page_metadata, strip_inert
from crawler.extract.dates import (
    PRECISIONS,
    DateValue,
    parse_date,
    precision_of,
    read_date,
    url_date,
)
from crawler.extract.metadata import (
    MEDIA_TYPES,
    byline_authors,
    choose_title,
    clean_authors,
    date_lines,
    jsonld_article,
    jsonld_types,
    keywords,
    meta_index,
    names,
    strings,
    texts,
    url_of,
)
from crawler.extract.page import ARABIC, MAX_HTML_CHARS, ExtractionError, parse_html, read_html
from crawler.items import ArticleLoader
from crawler.registry import Outlet, Registry
from pipelines.clean import clean_article
from pipelines.relevance import judge_article

# A page that says it is a video or a photo gallery (structured data that declares only a
# video or gallery, an OpenGraph video type, a WordPress post format) and carries little
# text of its own is not an article; CNN's articles declare only their lead video.
MEDIA_PAGE_MAX_WORDS = 150
#: the key of :func:`extract_page`'s note on a charset label that lied
CHARSET_NOTE = "_charset_note"
_POST_FORMAT = re.compile(r"(?:^|\s)(?:single-)?format-(?:video|gallery|audio|image)(?:\s|$)")

# Hidden copies of text (lightbox captions, screen-reader duplicates) are not the article.
_HIDDEN = ('[aria-hidden="true"], [hidden], .visually-hidden, .sr-only, '
           'template, noscript, [style*="display:none"], [style*="display: none"]')
# Consent banners and other dialogs (OneTrust, Didomi, Quantcast, Complianz mark theirs so),
# and blocks the site itself keeps out of search snippets, are not the article.
_DIALOGS = '[role="dialog"], [role="alertdialog"], [aria-modal="true"], [data-nosnippet]'
# The place a byline starts with, where the page marks it as such.
# Compiled once: lxml's ``cssselect`` method translates the selector on every call.
_HIDDEN_NODES = CSSSelector(_HIDDEN, translator="html")
_DIALOG_NODES = CSSSelector(_DIALOGS, translator="html")
_DATELINE = ('[class*="dateline"], [class*="byline"] [class*="place"], '
             '[class*="byline"] [class*="location"], [class*="author"] [class*="place"]')


def _drop_hidden(root: Any) -> None:
    """Remove hidden copies of text, but not hidden article text: a framework that
    streams the page (React's ``<div hidden id="S:1">``) or folds the rest of the
    story under "read more" hides whole paragraphs that scripts show later."""
    for node in _HIDDEN_NODES(root):
        if node.getparent() is None or node.tag in ("html", "body"):
            continue
        paragraphs = sum(1 for p in node.iter("p") if (p.text_content() or "").strip())
        if paragraphs >= 2:
            continue
        node.drop_tree()


def _best_date(
        candidates: list[tuple[str, DateValue | None]]) -> tuple[DateValue | None, str | None]:
    """The first candidate that gives at least the day; else the most precise one."""
    found = [(v, src) for src, v in candidates if v is not None]
    for v, src in found:
        if v.precision in ("day", "time"):
            return v, src
    if not found:
        return None, None
    v, src = max(found, key=lambda c: PRECISIONS.index(c[0].precision))
    return v, src


def extract_page(body: bytes, url: str, *, content_type: str | None = None) -> dict[str, Any]:
    """:func:`extract_article` for the raw bytes of a page (charset handled).

    When the page's charset label lied, ``CHARSET_NOTE`` says how it was read
    (a note about the page, not an article field: :func:`load_article` skips it).
    """
    html, note = read_html(body, content_type)
    fields = extract_article(html, url)
    if note:
        fields[CHARSET_NOTE] = note
    return fields


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

    tags = meta_index(root)

    def meta(*names: str) -> list[str]:
        return [v.strip() for n in names for v in tags.get(n, ()) if v.strip()]

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
    _drop_hidden(root)
    for node in _DIALOG_NODES(root):
        if node.getparent() is not None and node.tag not in ("html", "body"):
            node.drop_tree()

    title = choose_title(strings(ld.get("headline")) + meta("og:title", "twitter:title"),
                         texts(sel, "h1")[:3], next(iter(texts(sel, "title")), None),
                         site_names)
    # Labels just before the headline ("Opinion", "Analysis", a topic) are not body text.
    headline = next((h for h in root.iter("h1") if title and tidy(h.text_content()) == title),
                    None)
    labels = {tidy(n.text_content()) for n in (
        headline.itersiblings(preceding=True) if headline is not None else [])
        if len(n.text_content().split()) <= 3}
    datelines = texts(sel, _DATELINE)
    authors = clean_authors(
        names(ld.get("author"))
        or [a for a in meta("author", "article:author", "dc.creator", "byl", "sailthru.author")
            if not a.startswith("http")], site_names, datelines) \
        or byline_authors(sel, site_names, datelines)
    canonical = first(sel.css('link[rel="canonical"]::attr(href)').get(), meta("og:url"),
                      url_of(ld.get("mainEntityOfPage")), ld.get("url"))
    lang = first(sel.xpath("/html/@lang").get(), meta("og:locale"),
                 strings(ld.get("inLanguage")), meta("language", "content-language"))
    ld_date = next(filter(None, map(read_date, strings(ld.get("datePublished")))), None)
    meta_date = next(filter(None, map(read_date, meta(
        "article:published_time", "og:article:published_time", "datePublished",
        "pubdate", "publishdate", "publish-date", "publish_date", "article.published",
        "parsely-pub-date", "sailthru.date", "dc.date.issued", "DC.date.issued", "dc.date",
        "date") + sel.css('[itemprop="datePublished"]::attr(datetime), '
                          'time[pubdate]::attr(datetime)').getall())), None)
    candidates: list[tuple[str, DateValue | None]] = [("jsonld", ld_date), ("meta", meta_date)]
    # A JSON-LD date that the meta tags and the page's own <time> both contradict is the
    # CMS's error (a local time marked as UTC, a stale copy): take the two that agree.
    if ld_date and meta_date and not _same_moment(ld_date, meta_date) and any(
            _same_moment(meta_date, read_date(t))
            for t in sel.css("time::attr(datetime)").getall()):
        candidates = [("meta", meta_date), ("jsonld", ld_date)]
    modified = first(
        [parse_date(x) for x in strings(ld.get("dateModified"))],
        [parse_date(x) for x in meta("article:modified_time", "dateModified",
                                     "og:updated_time", "last-modified")],
    )
    published, source = _best_date(candidates)
    if published is None or published.precision not in ("day", "time"):
        text_date = next(filter(None, map(read_date, date_lines(sel, headline=headline))), None)
        if text_date is None or text_date.precision not in ("day", "time"):
            text_date = read_date(sel.css("time::attr(datetime)").get()) or text_date
        candidates.append(("text", text_date))
    in_url = url_date(url)
    published, source = _best_date(candidates)
    need_date = published is None or published.precision not in ("day", "time")
    if not title or not authors or need_date:
        doc_title, doc_author, doc_date = page_metadata(
            root, url, title=not title, author=not authors, date=need_date)
        title = title or (doc_title and tidy(doc_title))
        if not authors and doc_author:
            authors = clean_authors(doc_author.split(";"), site_names, datelines)
        found = read_date(doc_date)
        if found is not None and (in_url is None or found.isoformat() != in_url.isoformat()):
            candidates.append(("text", found))
    # Scripts, styles and drawings are dropped once here, not in each of trafilatura's
    # copies of the tree (JSON-LD stays: its fallback reads articleBody there).
    strip_inert(root)
    body = body_of(root, url)
    while body and body[0] in labels:
        body.pop(0)
    media = _media_page(sel, ld)
    if media and _own_words(sel, body) < MEDIA_PAGE_MAX_WORDS:
        raise ExtractionError("not_article", "a video or photo gallery page, not an article")
    candidates.append(("url", in_url))
    published, source = _best_date(candidates)
    language = lang.replace("_", "-").split("-")[0].lower() if isinstance(lang, str) else None
    if not language and body:
        sample = " ".join(body)[:2000]
        language = "ar" if len(ARABIC.findall(sample)) > len(sample) / 4 else None
    return {
        "title": title,
        "subtitle": first(strings(ld.get("alternativeHeadline")), strings(ld.get("description")),
                          meta("og:description", "description", "twitter:description")),
        "authors": authors,
        "published": published.isoformat() if published else None,
        "published_source": source,
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


def _media_page(sel: Selector, ld: dict[str, Any]) -> str | None:
    """"declared" when structured data describes only a video or gallery, "hinted" when
    the OpenGraph type or a WordPress post format says video or gallery, else None."""
    if not ld and jsonld_types(sel) & MEDIA_TYPES:
        return "declared"
    og_type = sel.xpath('//meta[@property="og:type"]/@content').get("")
    classes = " ".join(sel.xpath("//body/@class | //article/@class").getall())
    if og_type.strip().startswith("video") or _POST_FORMAT.search(classes):
        return "hinted"
    return None


def _own_words(sel: Selector, body: list[str]) -> int:
    """Words of the page's own paragraphs: those of the <article> around its headline (the
    body extractor, given a near-empty page, fills it with the site's lists)."""
    around = sel.xpath("(//h1)[1]/ancestor::article[1]")
    if around:
        return sum(len(t.split()) for t in around.xpath(
            ".//text()[not(ancestor::figure or ancestor::script or ancestor::style or "
            "ancestor::nav or ancestor::aside or ancestor::ul or ancestor::ol or "
            "ancestor::form or ancestor::h1)]").getall())
    return sum(len(p.split()) for p in body)


def _same_moment(a: DateValue | None, b: DateValue | None) -> bool:
    """Two dates name the same moment (naive ones compare by wall clock)."""
    x, y = (a.moment() if a else None), (b.moment() if b else None)
    if x is None or y is None:
        return False
    if (x.tzinfo is None) != (y.tzinfo is None):
        x, y = x.replace(tzinfo=None), y.replace(tzinfo=None)
    return bool(x == y)


def load_article(fields: dict[str, Any], *, url: str, outlet: str | None = None,
                 language: str | None = None, timezone: str = "UTC",
                 status: int | None = None, discovery: dict[str, Any] | None = None,
                 fetched_at: str | None = None, **extra: Any) -> Any:
    """The Article item from extracted fields, as the spider stores it (before pipelines).

    ``language`` (the outlet's) and the discovery date only fill what the page
    did not say.  ``extra`` sets further item fields (``warc``, ``previous_version``).
    """
    listed = (discovery or {}).get("date")
    if listed and precision_of(fields.get("published")) not in ("day", "time"):
        # the feed's day is better than a page that gives none, or only a month or year
        fields = {**fields, "published": listed, "published_source": "feed"}
    loader = ArticleLoader(timezone=timezone)
    loader.add_value("url", url)
    loader.add_value("outlet", outlet)
    for name, value in fields.items():
        if name != CHARSET_NOTE:
            loader.add_value(name, value)
    loader.add_value("language", language)
    published = loader.get_output_value("published")
    loader.add_value("published_precision", precision_of(published))
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
    registry's outlet whose ``article_pattern`` matches ``url``, else none.  The
    article carries the relevance pipeline's verdict as ``relevance``.
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
    # the verdict the relevance pipeline would give, so that archivists see why
    cleaned["relevance"] = judge_article(
        cleaned, settings.RELEVANCE_MIN_BODY_MENTIONS,
        all_syria=bool(entry and entry.all_syria)).as_dict()
    return cleaned
