"""Article metadata from structured data and the page's own markup.

JSON-LD ``NewsArticle`` and kin (``@graph`` and ``mainEntity`` forms, broken
blocks skipped); the title chosen among the headline fields and checked against the
visible headline, without the site's name; author names cleaned to person names only,
from structured data or else the byline markup (``itemprop=author``, ``rel=author``,
byline classes, "Author:"/"Auteur :"/"بقلم" labels); the visible date lines of the
article's header.  Reads no settings.
"""

from __future__ import annotations

import html
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
    r"^\s*(?:(?:written|reported|posted|compiled)\s+by|by|from|par|von|por|"
    r"author|autor|autorin/autor|auteur|yazar|بقلم|كتب|كتبت|إعداد|اعداد|تقرير|الكاتب)"
    r"\s*[:\-–]?\s+", re.I)
_AUTHOR_SPLIT = re.compile(r"\s*(?:,|،|;|&|\band\b|\|)\s*", re.I)
# A desk, team or bureau signs for the outlet, not a person ("TOI staff", "Economy Desk").
_DESK = re.compile(r"\b(?:staff|desk|team|bureau|editorial|redaktion|newsroom|correspondents?)\b",
                   re.I)
_NOT_A_NAME = re.compile(
    r"^(?:by|from|written by|staff|staff writer|agencies|agency|editor|editors|admin|news desk|"
    r"newsroom|بقلم|كتب|كتبت|إعداد|اعداد|تقرير|"
    r"reuters|afp|ap|associated press|the associated press|anadolu|unknown|"
    r"وكالات|المحرر|محرر|فريق التحرير)$", re.I)
_EMAIL = re.compile(r"\S+@\S+\.\S+")
# "(www.dw.com)", "- example.com": a web address is not part of a name
_WEB_ADDRESS = re.compile(r"\(?\b(?:https?://|www\.)\S+\)?|\(\S+\.(?:com|net|org|co\.\w\w)\)", re.I)
_DOMAIN = re.compile(r"^\S+\.(?:com|net|org|info|news|tv|co\.\w\w|\w\w)$", re.I)
_TITLE_SUFFIX = re.compile(r"\s+(?:[|\-–—:»·/\\]|--|::)\s+([^|\-–—:»·]{2,60})$")
_DATE_LIKE = re.compile(r"^[\d\s./\-:]+$")
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
        sites |= _acronyms(s)
        if _DOMAIN.match(s):  # "DW.COM" is the site "DW"
            sites.add(s.split(".")[0].casefold())
    sites.discard("")
    out: list[str] = []
    for raw in names:
        if _WEB_ADDRESS.search(raw):  # "Deutsche Welle (www.dw.com)" signs as an organisation
            continue
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
                    or _DOMAIN.match(name) or _DESK.search(name) or re.search(r"\d", name)
                    or any(f"{t} " in f"{name.casefold()} " for t in sites if len(t) > 5)
                    or len(name) > 60 or len(name.split()) > 6 or not re.search(r"\w", name)):
                continue
            if name.casefold() not in {n.casefold() for n in out}:
                out.append(name)
    return out



def _acronyms(name: str) -> set[str]:
    words = [w for w in re.findall(r"\w+", name) if w[:1].isupper()]
    if len(words) < 2:
        return set()
    return {"".join(w[0] for w in words if w.casefold() != "the").casefold(),
            "".join(w[0] for w in words
                    if w.casefold() not in {"the", "for", "of", "and"}).casefold()}


def strip_site_suffix(title: str, site_names: set[str]) -> str:
    """The title without trailing segments that name the site or give a date
    ("Headline | Section | DW | 28.04.2023" keeps "Headline | Section")."""
    sites = {s.casefold() for s in site_names if s}
    sites |= {s.split(".")[0] for s in sites if _DOMAIN.match(s)}
    while True:
        m = _TITLE_SUFFIX.search(title)
        if not m:
            return title
        tail = m.group(1).strip().casefold()
        if not (_DATE_LIKE.match(tail)
                or any(s and (s in tail or tail in s) for s in sites)):
            return title
        title = title[:m.start()].strip()


def texts(sel: Selector, css: str) -> list[str]:
    out = []
    for node in sel.css(css):
        text = tidy(" ".join(node.css("::text").getall()))
        if text:
            out.append(text)
    return out



# -- title -------------------------------------------------------------------------------

_WORD = re.compile(r"\w+")


def _words(text: str) -> set[str]:
    return set(_WORD.findall(text.casefold()))


def same_words(a: str, b: str) -> bool:
    return bool(a) and _words(a) == _words(b)


def choose_title(headlines: list[str], h1s: list[str], page_title: str | None,
                 site_names: set[str]) -> str | None:
    """The article's title.

    ``headlines`` are the metadata's headline fields in order of trust (JSON-LD
    ``headline``, ``og:title``, ``twitter:title``); ``h1s`` the visible headings.  The
    first headline field wins, unless another headline field is the visible headline
    (the page shows that one; the first may be a search-engine variant).  Without
    metadata, the visible heading that shares the ``<title>``'s words wins, else the
    ``<title>`` without the site's name, else the first heading.
    """
    fields = [strip_site_suffix(tidy(html.unescape(h)), site_names) for h in headlines if h]
    fields = [f for f in fields if f]
    headings = [tidy(h) for h in h1s if tidy(h)]
    if fields:
        shown = next((f for f in fields if any(same_words(f, h) for h in headings)), None)
        return shown or fields[0]
    title = strip_site_suffix(tidy(html.unescape(page_title or "")), site_names)
    if title:
        words = _words(title)
        for h in headings:
            hw = _words(h)
            if len(hw) >= 2 and len(hw & words) >= 0.6 * min(len(hw), len(words)):
                return h
        return title
    return headings[0] if headings else None


# -- bylines -----------------------------------------------------------------------------

# The site's header, menus, footer and side lists: furniture, not the article's.
_FURNITURE = ("ancestor::header[not(ancestor::article)] | ancestor::*[@role='banner'] | "
              "ancestor::nav | ancestor::footer | ancestor::aside")

# In order of trust; the first that gives a name wins.
_BYLINE_SELECTORS = (
    '[itemprop="author"] [itemprop="name"]', '[itemprop="author"]', '[rel="author"]',
    '.byline, .by-line, [class*="byline"], [class*="Byline"]',
    '[class*="author-name"], [class*="authorName"], [class*="author_name"], .authorname',
    '.author, [class*="article-author"], [class*="author"]',
)
# A label alone in its element ("<strong>Autorin/Autor</strong> Roman Goncharenko"), or
# with the name after a colon in the same text ("Auteur : Kossivi Tiassou").
_LABEL_ALONE = re.compile(
    r"^\s*(?:author|autor|autorin/autor|auteur|autore|yazar|written by|بقلم|الكاتب|كتب)\s*:?\s*$",
    re.I)
_LABEL_WITH_NAME = re.compile(r"^\s*(?:author|autor|auteur|autore|yazar|بقلم|الكاتب)\s*:\s*\S",
                              re.I)


def byline_authors(sel: Selector, site_names: Iterable[str] = (),
                   datelines: Iterable[str] = ()) -> list[str]:
    """Person names from the page's byline markup, when structured data gives none
    (``datelines``: the places the page marks as a byline's first element)."""
    datelines = list(datelines)
    for n, css in enumerate(_BYLINE_SELECTORS):
        nodes = [node for node in sel.css(css)[:8] if not node.xpath(_FURNITURE)][:4]
        lines = [tidy(" ".join(node.css("::text").getall())) for node in nodes]
        lines = [t for t in lines if t and len(t) <= 120]
        if n < 3:  # author markup names each author
            found = clean_authors(lines, site_names, datelines)
            if found:
                return found
            continue
        # a byline class: the first one that names someone (later ones on the page
        # belong to other stories)
        for line in lines:
            found = clean_authors([line], site_names, datelines)
            if found:
                return found
    # "Autorin/Autor Roman Goncharenko", "Auteur : Kossivi Tiassou", "بقلم: ..."
    for text in sel.root.xpath("//body//text()[string-length(normalize-space()) < 40]")[:20000]:
        if _LABEL_WITH_NAME.match(text):
            return clean_authors([text], site_names, datelines)
        if not _LABEL_ALONE.match(text):
            continue
        block = text.getparent()
        for _ in range(2):
            if block is None:
                break
            line = tidy(block.text_content())
            if len(line) > len(text.strip()) + 2:
                if len(line) <= 100:
                    return clean_authors([line], site_names, datelines)
                break
            block = block.getparent()
    return []


# -- visible date lines ------------------------------------------------------------------

_DATE_SELECTORS = (
    'time, [itemprop="datePublished"], [class*="date"], [class*="Date"], [class*="time"], '
    '[class*="publish"], [class*="posted"], [id*="date"], [class*="dateline"], '
    '[class*="tarih"], [class*="meta"]'
)


# The date an article was updated is not the date it was published.
_UPDATED = re.compile(r"^\s*(?:updated|last updated|modified|آخر تحديث|اخر تحديث|تحديث|تم التحديث)",
                      re.I)
_UPDATED_CLASS = ("self::*[contains(@class, 'update') or contains(@class, 'modif') or "
                  "contains(@class, 'changed')]")


def date_lines(sel: Selector, limit: int = 12, headline: Any = None) -> list[str]:
    """Short texts that may carry the article's date, the article's header first: the
    date-like elements after its headline (``headline``, an lxml element; else the first
    ``<h1>``, which on some sites is the logo), then the text right after it, then the
    date-like elements anywhere, and last those in the site's header, menus and footer."""
    h1: Any = Selector(root=headline) if headline is not None else sel.xpath("(//h1)[1]")
    h1_node = headline if headline is not None else (h1[0].root if h1 else None)
    after: list[str] = []
    anywhere: list[str] = []
    # the site's header, menus and footer ("today"), and an "updated" date: last
    furniture: list[str] = []
    for node in sel.css(_DATE_SELECTORS)[:60]:
        text = tidy(" ".join(node.css("::text").getall()))
        if 6 <= len(text) <= 120:
            if node.xpath(_FURNITURE) or _UPDATED.search(text) or node.xpath(_UPDATED_CLASS):
                furniture.append(text)
                continue
            is_after = h1_node is not None and h1_node in node.root.xpath("preceding::h1")
            (after if is_after else anywhere).append(text)
    following = []
    if h1_node is not None:
        for t in h1.xpath("following::text()[normalize-space()][position() <= 30]").getall():
            t = tidy(t)
            if 6 <= len(t) <= 120:
                following.append(t)
    return after[:limit] + following + anywhere[:limit] + furniture[:limit]
