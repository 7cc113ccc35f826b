"""Article metadata from structured data: JSON-LD, OpenGraph, meta tags, bylines.

JSON-LD ``NewsArticle`` and kin (``@graph`` and ``mainEntity`` forms, broken
blocks skipped), author names cleaned to person names only, titles without the
site's name.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Iterable, Iterator
from typing import Any

from parsel import Selector

from archive.text import tidy

logger = logging.getLogger(__name__)

ARTICLE_TYPES = frozenset({
    "NewsArticle", "ReportageNewsArticle", "AnalysisNewsArticle", "OpinionNewsArticle",
    "BackgroundNewsArticle", "ReviewNewsArticle", "Article", "BlogPosting", "Report",
    "LiveBlogPosting", "ScholarlyArticle", "SatiricalArticle", "TechArticle",
})
_BYLINE_PREFIX = re.compile(
    r"^\s*(?:(?:written|reported|posted|compiled)\s+by|by|from|بقلم|كتب|كتبت|إعداد|اعداد|تقرير)"
    r"\s*[:\-–]?\s+", re.I)
_AUTHOR_SPLIT = re.compile(r"\s*(?:,|،|;|&|\band\b|\|)\s*", re.I)
_NOT_A_NAME = re.compile(
    r"^(?:staff|staff writer|agencies|agency|editor|editors|admin|news desk|newsroom|"
    r"reuters|afp|ap|associated press|the associated press|anadolu|unknown|"
    r"وكالات|المحرر|محرر|فريق التحرير)$", re.I)
# A desk, team or bureau signs for the outlet, not a person ("Enab Baladi Economy Desk").
_A_DESK = re.compile(r"\b(?:desk|team|staff|bureau|newsroom|editorial board)$", re.I)
_EMAIL = re.compile(r"\S+@\S+\.\S+")
_TITLE_SUFFIX = re.compile(r"\s+[|\-–—:]\s+[^|\-–—:]{2,60}$")
_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f]")


# -- JSON-LD ----------------------------------------------------------------

def _flatten(data: Any) -> Iterator[dict[str, Any]]:
    if isinstance(data, list):
        for item in data:
            yield from _flatten(item)
    elif isinstance(data, dict):
        yield data
        if "@graph" in data:
            yield from _flatten(data["@graph"])
        main = data.get("mainEntity")
        if isinstance(main, dict | list):
            yield from _flatten(main)


def _types(obj: dict[str, Any]) -> set[str]:
    t = obj.get("@type", [])
    if isinstance(t, str):
        t = [t]
    return {x.rsplit("/", 1)[-1] for x in t if isinstance(x, str)} if isinstance(t, list) else set()


def _jsonld_blocks(sel: Selector) -> Iterator[Any]:
    for raw in sel.xpath('//script[@type="application/ld+json"]/text()').getall():
        raw = raw.strip().removeprefix("<![CDATA[").removesuffix("]]>").strip()
        try:
            yield json.loads(raw)
        except ValueError:
            try:  # control characters inside strings are the commonest breakage
                yield json.loads(_CONTROL.sub(" ", raw.replace("\n", " ")), strict=False)
            except ValueError:
                logger.debug("unparsable JSON-LD block skipped")


def jsonld_article(sel: Selector) -> dict[str, Any]:
    """The first JSON-LD object of an article type, or {}. Broken JSON-LD is skipped."""
    for data in _jsonld_blocks(sel):
        for obj in _flatten(data):
            if _types(obj) & ARTICLE_TYPES:
                return obj
    return {}


MEDIA_TYPES = frozenset({"VideoObject", "ImageGallery", "MediaGallery", "AudioObject"})


def jsonld_types(sel: Selector) -> set[str]:
    """Every ``@type`` the page's JSON-LD declares."""
    return {t for data in _jsonld_blocks(sel) for obj in _flatten(data) for t in _types(obj)}


def names(value: Any) -> list[str]:
    """Author names from a JSON-LD author value (string, Person, list of either)."""
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        if _types(value) & {"Organization", "NewsMediaOrganization"}:
            return []
        name = value.get("name")
        return names(name) if name else []
    if isinstance(value, list):
        return [n for v in value for n in names(v)]
    return []


def url_of(value: Any) -> str | None:
    if isinstance(value, str):
        return value
    if isinstance(value, dict):
        return url_of(value.get("url") or value.get("contentUrl") or value.get("@id"))
    if isinstance(value, list) and value:
        return url_of(value[0])
    return None


def strings(value: Any) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, list):
        return [v for v in value if isinstance(v, str)]
    if isinstance(value, dict) and isinstance(value.get("name"), str):
        return [value["name"]]
    return []


def keywords(value: Any) -> list[str]:
    out: list[str] = []
    for s in strings(value):
        out.extend(k.strip() for k in re.split(r"[,،]", s) if k.strip())
    return out


def clean_authors(names: list[str], site_names: Iterable[str] = (),
                  datelines: Iterable[str] = ()) -> list[str]:
    """Person names only: no "By", no outlet name or desk, no e-mail or URL, no dateline
    ("Damascus:" as the byline's place element gives it), one name each."""
    places = sorted({p.strip(" .-–—:،,") for p in datelines} - {""}, key=len, reverse=True)
    sites = {s.casefold() for s in site_names if s}
    for s in site_names:  # "The Syrian Observatory For Human Rights" signs as "SOHR"
        words = [w for w in re.findall(r"\w+", s) if w[:1].isupper()]
        sites.add("".join(w[0] for w in words if w.casefold() != "the").casefold())
        sites.add("".join(w[0] for w in words if w.casefold() not in {"the", "for", "of", "and"})
                  .casefold())
    sites.discard("")
    out: list[str] = []
    for raw in names:
        raw = tidy(_EMAIL.sub("", raw))
        raw = _BYLINE_PREFIX.sub("", raw)
        for place in places:
            if raw.startswith(place + " ") or raw.startswith(place + ":"):
                raw = raw[len(place):].lstrip(" .-–—:،,")
                break
        for name in _AUTHOR_SPLIT.split(raw):
            name = _BYLINE_PREFIX.sub("", name).strip(" .-–—:|/")
            if (not name or name.startswith(("http", "www.")) or "/" in name
                    or _NOT_A_NAME.match(name) or name.casefold() in sites
                    or _A_DESK.search(name) or re.search(r"\d", name)
                    or any(f"{t} " in f"{name.casefold()} " for t in sites if len(t) > 5)
                    or len(name) > 60 or len(name.split()) > 6 or not re.search(r"\w", name)):
                continue
            if name.casefold() not in {n.casefold() for n in out}:
                out.append(name)
    return out



def strip_site_suffix(title: str, site_names: set[str]) -> str:
    m = _TITLE_SUFFIX.search(title)
    if m:
        tail = m.group(0).strip(" |-–—:").casefold()
        if any(s and (s.casefold() in tail or tail in s.casefold()) for s in site_names):
            return title[:m.start()].strip()
    return title


def texts(sel: Selector, css: str) -> list[str]:
    out = []
    for node in sel.css(css):
        text = tidy(" ".join(node.css("::text").getall()))
        if text:
            out.append(text)
    return out

