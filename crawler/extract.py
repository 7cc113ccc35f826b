"""Article extraction: HTML in, article fields out.

Generic first: JSON-LD (``NewsArticle`` and kin, ``@graph`` forms), OpenGraph,
Twitter and ``meta`` tags, ``<html lang>`` and ``rel=canonical`` for the
metadata; trafilatura, a boilerplate-removing extractor, for the body, kept
as a list of paragraphs in reading order.  The spider, the tests and the
command line all call :func:`extract_article`.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Iterator
from typing import Any
from urllib.parse import urljoin

import trafilatura
from parsel import Selector

logger = logging.getLogger(__name__)

ARTICLE_TYPES = frozenset({
    "NewsArticle", "ReportageNewsArticle", "AnalysisNewsArticle", "OpinionNewsArticle",
    "BackgroundNewsArticle", "ReviewNewsArticle", "Article", "BlogPosting", "Report",
    "LiveBlogPosting", "WebPageElement",
})
_BYLINE_PREFIX = re.compile(r"^\s*(?:by|written by|بقلم|كتب|كتبت)\s*[:\-]?\s+", re.I)


def _flatten(data: Any) -> Iterator[dict[str, Any]]:
    if isinstance(data, list):
        for item in data:
            yield from _flatten(item)
    elif isinstance(data, dict):
        yield data
        if "@graph" in data:
            yield from _flatten(data["@graph"])


def _types(obj: dict[str, Any]) -> set[str]:
    t = obj.get("@type", [])
    return {t} if isinstance(t, str) else {x for x in t if isinstance(x, str)}


def jsonld_article(sel: Selector) -> dict[str, Any]:
    """The first JSON-LD object of an article type, or {}. Broken JSON-LD is skipped."""
    for raw in sel.xpath('//script[@type="application/ld+json"]/text()').getall():
        raw = raw.strip().removeprefix("<![CDATA[").removesuffix("]]>").strip()
        try:
            data = json.loads(raw)
        except ValueError:
            logger.debug("unparsable JSON-LD block skipped")
            continue
        for obj in _flatten(data):
            if _types(obj) & ARTICLE_TYPES:
                return obj
    return {}


def _names(value: Any) -> list[str]:
    """Author names from a JSON-LD author value (string, Person, list of either)."""
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        name = value.get("name")
        return [name] if isinstance(name, str) else []
    if isinstance(value, list):
        return [n for v in value for n in _names(v)]
    return []


def _url(value: Any) -> str | None:
    if isinstance(value, str):
        return value
    if isinstance(value, dict):
        return _url(value.get("url") or value.get("contentUrl") or value.get("@id"))
    if isinstance(value, list) and value:
        return _url(value[0])
    return None


def _strings(value: Any) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, list):
        return [v for v in value if isinstance(v, str)]
    return []


def _keywords(value: Any) -> list[str]:
    out = []
    for s in _strings(value):
        out.extend(k.strip() for k in re.split(r"[,،]", s) if k.strip())
    return out


def clean_author(name: str) -> str | None:
    name = _BYLINE_PREFIX.sub("", name).strip()
    if not name or "@" in name or name.startswith("http"):
        return None
    return name


def body_paragraphs(html: str, url: str | None) -> list[str]:
    """The article body as paragraphs, boilerplate removed (trafilatura)."""
    text = trafilatura.extract(
        html, url=url, output_format="txt", include_comments=False, include_tables=False,
        include_images=False, deduplicate=False, with_metadata=False,
    )
    if not text:
        return []
    return [p.strip() for p in text.split("\n") if p.strip()]


def extract_article(html: str, url: str) -> dict[str, Any]:
    """Extract an article's fields from its HTML.

    Returns plain values (lists for multi-valued fields); the caller feeds them
    to the ItemLoader, whose processors clean and normalise them.
    """
    sel = Selector(text=html)
    ld = jsonld_article(sel)

    def meta(*names: str) -> list[str]:
        out: list[str] = []
        for n in names:
            out += sel.xpath(
                f'//meta[@property="{n}" or @name="{n}" or @itemprop="{n}"]/@content').getall()
        return [v for v in out if v.strip()]

    def first(*values: Any) -> Any:
        for v in values:
            if isinstance(v, list):
                v = v[0] if v else None
            if v:
                return v
        return None

    title = first(_strings(ld.get("headline")), meta("og:title", "twitter:title"),
                  sel.css("h1 ::text").get(), sel.css("title::text").get())
    authors = [a for a in map(clean_author, _names(ld.get("author"))
                              or meta("author", "article:author", "dc.creator")) if a]
    canonical = first(sel.css('link[rel="canonical"]::attr(href)').get(), meta("og:url"),
                      _url(ld.get("mainEntityOfPage")), ld.get("url"))
    lang = first(sel.xpath("/html/@lang").get(), meta("og:locale"), ld.get("inLanguage"))
    captions = [
        " ".join(t.strip() for t in fig.css("::text").getall() if t.strip())
        for fig in sel.css("figure figcaption")
    ]
    return {
        "title": title,
        "subtitle": first(_strings(ld.get("alternativeHeadline")), _strings(ld.get("description")),
                          meta("og:description", "description", "twitter:description")),
        "authors": authors,
        "published": first(_strings(ld.get("datePublished")),
                           meta("article:published_time", "datePublished", "pubdate",
                                "publish-date", "date"),
                           sel.css("time::attr(datetime)").get()),
        "modified": first(_strings(ld.get("dateModified")),
                          meta("article:modified_time", "dateModified", "og:updated_time")),
        "section": first(_strings(ld.get("articleSection")), meta("article:section")),
        "tags": meta("article:tag") + _keywords(ld.get("keywords"))
        + _keywords(meta("news_keywords", "keywords")),
        "canonical_url": urljoin(url, canonical) if canonical else None,
        "language": lang.split("-")[0].split("_")[0].lower() if isinstance(lang, str) else None,
        "lead_image": first(meta("og:image", "twitter:image"), _url(ld.get("image"))),
        "captions": [c for c in captions if c],
        "body": body_paragraphs(html, url),
    }
