"""Article extraction: HTML in, article fields out.

Generic first: JSON-LD (``NewsArticle`` and kin, ``@graph`` forms), OpenGraph,
Twitter and ``meta`` tags, ``<html lang>`` and ``rel=canonical`` for the
metadata; trafilatura, a boilerplate-removing extractor, for the body, kept as
a list of paragraphs in reading order (headings are paragraphs too); dates
from structured data, then htmldate (through trafilatura), then the URL.
Per-outlet selectors (:mod:`crawler.parsers`) override a field only where the
generic result is wrong for that outlet.

The page is parsed once; the spider, the ``extract`` and ``reextract``
commands, the tests and the benchmark all call :func:`extract_article` (or
:func:`extract_page` for raw bytes).  Bad input raises :class:`ExtractionError`
with a short ``reason`` that callers count (``item_dropped/<reason>``).
"""

from __future__ import annotations

import gzip
import json
import logging
import re
import warnings
import zlib
from collections.abc import Iterable, Iterator
from datetime import datetime
from typing import Any
from urllib.parse import urljoin

import lxml.html
import trafilatura
from dateutil import parser as dateparser
from lxml import etree
from parsel import Selector
from w3lib.encoding import html_to_unicode, read_bom

from crawler.parsers import ArticleParser

logger = logging.getLogger(__name__)

#: pages larger than this (decoded characters) are refused: ``item_dropped/too_large``
MAX_HTML_CHARS = 8 * 1024 * 1024

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
_EMAIL = re.compile(r"\S+@\S+\.\S+")
_TITLE_SUFFIX = re.compile(r"\s+[|\-–—:]\s+[^|\-–—:]{2,60}$")
_URL_DATE = re.compile(
    r"/(?P<y>(?:19|20)\d{2})[/-](?P<m>0?[1-9]|1[0-2])[/-](?P<d>0?[1-9]|[12]\d|3[01])(?:/|\b)")
_URL_DATE_COMPACT = re.compile(r"[/_-](?P<y>20\d{2})(?P<m>0[1-9]|1[0-2])(?P<d>0[1-9]|[12]\d|3[01])"
                               r"(?=[/_.-]|$)")
_ARABIC = re.compile("[\u0600-\u06ff]")
_LATIN1_LETTERS = re.compile("[\u00c0-\u00ff]")
_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f]")

# Arabic-Indic (U+0660..) and Eastern Arabic-Indic (U+06F0..) digits, and the
# Arabic decimal and thousands separators.
_DIGITS = str.maketrans({**{chr(0x660 + i): str(i) for i in range(10)},
                         **{chr(0x6F0 + i): str(i) for i in range(10)},
                         "\u066b": ".", "\u066c": ",", "\u060c": ","})
# Egyptian/Gulf month names and the Levantine (Syriac) ones used in Syria,
# Lebanon, Jordan and Iraq; two-word names first so that they win.
ARABIC_MONTHS = {
    "كانون الثاني": "January", "كانون الأول": "December", "كانون الاول": "December",
    "تشرين الأول": "October", "تشرين الاول": "October", "تشرين الثاني": "November",
    "يناير": "January", "فبراير": "February", "شباط": "February", "مارس": "March",
    "آذار": "March", "اذار": "March", "أبريل": "April", "إبريل": "April", "ابريل": "April",
    "نيسان": "April", "مايو": "May", "أيار": "May", "ايار": "May", "يونيو": "June",
    "يونيه": "June", "حزيران": "June", "يوليو": "July", "يوليه": "July", "تموز": "July",
    "أغسطس": "August", "اغسطس": "August", "آب": "August", "اب": "August",
    "سبتمبر": "September", "أيلول": "September", "ايلول": "September",
    "أكتوبر": "October", "اكتوبر": "October", "نوفمبر": "November", "ديسمبر": "December",
}
_ARABIC_MONTH_RE = re.compile(
    r"(?<![\u0600-\u06ff])(" + "|".join(sorted(map(re.escape, ARABIC_MONTHS), key=len,
                                                reverse=True)) + r")(?![\u0600-\u06ff])")
_ARABIC_NOISE = re.compile(
    r"(?:الأحد|الاثنين|الإثنين|الثلاثاء|الأربعاء|الاربعاء|الخميس|الجمعة|السبت|"
    r"نشر في|تاريخ النشر|آخر تحديث|اخر تحديث|بتوقيت|غرينتش|مكة المكرمة|دمشق)")
_AMPM = {"ص": "AM", "م": "PM", "صباحاً": "AM", "صباحا": "AM", "مساءً": "PM", "مساء": "PM"}
_AMPM_RE = re.compile(r"(?<=\d)\s*(صباحاً|صباحا|مساءً|مساء|ص|م)(?![\u0600-\u06ff])")

_HTML_PARSER = lxml.html.HTMLParser(remove_comments=True, remove_pis=True, collect_ids=False)
_BLOCK_TAGS = ("p", "head", "quote", "item", "cell")
_PARSER_BLOCKS = "p, h2, h3, h4, h5, li, blockquote"
# Hidden copies of text (lightbox captions, screen-reader duplicates) are not the article.
_HIDDEN = ('[aria-hidden="true"], [hidden], .visually-hidden, .sr-only, '
           'template, noscript, [style*="display:none"], [style*="display: none"]')


class ExtractionError(ValueError):
    """The page cannot give an article; ``reason`` is counted as ``item_dropped/<reason>``."""

    def __init__(self, reason: str, message: str) -> None:
        super().__init__(message)
        self.reason = reason


# -- bytes to text ----------------------------------------------------------

def _looks_binary(body: bytes) -> bool:
    head = body[:4096]
    if not head:
        return False
    if head.startswith((b"%PDF", b"\x89PNG", b"GIF8", b"\xff\xd8\xff", b"PK\x03\x04",
                        b"\x00\x00\x01\x00", b"RIFF", b"\x1f\x8b")):
        return True
    controls = sum(1 for b in head if b < 9 or 13 < b < 32)
    return controls / len(head) > 0.05


def decompress(body: bytes, encoding: str | None = None, limit: int = 64 * 1024 * 1024) -> bytes:
    """A body as sent on the wire (``gzip``, ``deflate`` or ``br`` Content-Encoding) as bytes."""
    enc = (encoding or "").strip().lower()
    if enc in ("gzip", "x-gzip") or (not enc and body[:2] == b"\x1f\x8b"):
        d = zlib.decompressobj(zlib.MAX_WBITS | 16)
        out = d.decompress(body, limit)
        if d.unconsumed_tail:
            raise ExtractionError("too_large", f"decompressed body exceeds {limit} bytes")
        return out
    if enc == "deflate":
        try:
            return zlib.decompressobj().decompress(body, limit)
        except zlib.error:
            return zlib.decompressobj(-zlib.MAX_WBITS).decompress(body, limit)
    if enc == "br":
        try:
            import brotli  # type: ignore[import-not-found]
        except ImportError:
            raise ExtractionError("undecodable", "brotli body and no brotli module") from None
        return bytes(brotli.decompress(body))
    return body


def decode_html(body: bytes, content_type: str | None = None) -> str:
    """HTML bytes to text: BOM, then HTTP header, then ``<meta charset>``, checked.

    A label is not trusted blindly: bytes that are valid UTF-8 are UTF-8 whatever
    the label says (the commonest mislabelling), and an Arabic page (``lang="ar"``
    or ``dir="rtl"``) that decodes to Latin-1 letters and no Arabic is read as
    windows-1256.
    """
    if not body.strip():
        raise ExtractionError("empty", "empty page")
    if body[:2] == b"\x1f\x8b":
        try:
            body = gzip.decompress(body)
        except (OSError, EOFError, zlib.error):
            raise ExtractionError("truncated", "truncated gzip body") from None
    if _looks_binary(body):
        raise ExtractionError("binary", "not HTML: binary content")
    bom_encoding, _ = read_bom(body)
    if bom_encoding is None and not body.isascii():
        try:
            return body.decode("utf-8")
        except UnicodeDecodeError:
            pass
    encoding, text = html_to_unicode(content_type, body)
    if not _ARABIC.search(text) and len(_LATIN1_LETTERS.findall(text)) > 20:
        head = body[:4096].lower()
        if re.search(rb'<html[^>]*(?:lang=["\']?ar|dir=["\']?rtl)', head):
            logger.debug("Arabic page labelled %s, read as windows-1256", encoding)
            return body.decode("cp1256", errors="replace")
    return text


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


def _names(value: Any) -> list[str]:
    """Author names from a JSON-LD author value (string, Person, list of either)."""
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        if _types(value) & {"Organization", "NewsMediaOrganization"}:
            return []
        name = value.get("name")
        return _names(name) if name else []
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
    if isinstance(value, dict) and isinstance(value.get("name"), str):
        return [value["name"]]
    return []


def _keywords(value: Any) -> list[str]:
    out: list[str] = []
    for s in _strings(value):
        out.extend(k.strip() for k in re.split(r"[,،]", s) if k.strip())
    return out


# -- fields -----------------------------------------------------------------

def _squash(text: str | None) -> str:
    return " ".join((text or "").split())


def clean_authors(names: list[str], site_names: Iterable[str] = ()) -> list[str]:
    """Person names only: no "By", no outlet name, no e-mail or URL, one name each."""
    sites = {s.casefold() for s in site_names if s}
    for s in site_names:  # "The Syrian Observatory For Human Rights" signs as "SOHR"
        words = [w for w in re.findall(r"\w+", s) if w[:1].isupper()]
        sites.add("".join(w[0] for w in words if w.casefold() != "the").casefold())
        sites.add("".join(w[0] for w in words if w.casefold() not in {"the", "for", "of", "and"})
                  .casefold())
    sites.discard("")
    out: list[str] = []
    for raw in names:
        raw = _squash(_EMAIL.sub("", raw))
        raw = _BYLINE_PREFIX.sub("", raw)
        for name in _AUTHOR_SPLIT.split(raw):
            name = _BYLINE_PREFIX.sub("", name).strip(" .-–—:|/")
            if (not name or name.startswith(("http", "www.")) or "/" in name
                    or _NOT_A_NAME.match(name) or name.casefold() in sites
                    or len(name) > 60 or len(name.split()) > 6 or not re.search(r"\w", name)):
                continue
            if name.casefold() not in {n.casefold() for n in out}:
                out.append(name)
    return out


def clean_author(name: str) -> str | None:
    """One author name, cleaned (kept for callers of the first version)."""
    names = clean_authors([name])
    return names[0] if names else None


def normalize_date_text(text: str) -> str:
    """Arabic digits, month names and AM/PM marks to forms dateutil reads."""
    text = text.translate(_DIGITS)
    text = _ARABIC_MONTH_RE.sub(lambda m: f" {ARABIC_MONTHS[m.group(1)]} ", text)
    text = _AMPM_RE.sub(lambda m: " " + _AMPM[m.group(1)], text)
    text = _ARABIC_NOISE.sub(" ", text)
    text = re.sub(r"[\u0600-\u06ff]+", " ", text)
    return _squash(text.replace("،", ",").replace("|", " "))


_DEFAULT_DAY = datetime(1900, 1, 1)


def parse_date(value: Any) -> str | None:
    """A date in any common form to ISO 8601; naive when the page gives no offset."""
    if value is None:
        return None
    if isinstance(value, datetime):
        return value.isoformat()
    text = normalize_date_text(str(value)).strip()
    if not text or not re.search(r"\d{4}", text):
        return None
    try:
        moment = dateparser.isoparse(text)
    except (ValueError, OverflowError):
        try:
            with warnings.catch_warnings():
                # an unknown zone name ("IST") leaves the date naive: the outlet's zone applies
                warnings.simplefilter("ignore", dateparser.UnknownTimezoneWarning)
                moment = dateparser.parse(text, default=_DEFAULT_DAY, fuzzy=True)
        except (ValueError, OverflowError, TypeError):
            return None
    if not 1990 <= moment.year <= 2100:
        return None
    return moment.isoformat()


def date_from_url(url: str) -> str | None:
    for pattern in (_URL_DATE, _URL_DATE_COMPACT):
        m = pattern.search(url)
        if m:
            try:
                return datetime(int(m["y"]), int(m["m"]), int(m["d"])).date().isoformat()
            except ValueError:
                continue
    return None


def _strip_site_suffix(title: str, site_names: set[str]) -> str:
    m = _TITLE_SUFFIX.search(title)
    if m:
        tail = m.group(0).strip(" |-–—:").casefold()
        if any(s and (s.casefold() in tail or tail in s.casefold()) for s in site_names):
            return title[:m.start()].strip()
    return title


def _texts(sel: Selector, css: str) -> list[str]:
    out = []
    for node in sel.css(css):
        text = _squash(" ".join(node.css("::text").getall()))
        if text:
            out.append(text)
    return out


def _lines(el: Any) -> list[str]:
    """An element's text, split where it has line breaks (``<lb/>``)."""
    parts = [el.text or ""]
    for child in el:
        if child.tag == "lb":
            parts.append("\n")
        parts.append("".join(child.itertext()) if child.tag != "lb" else "")
        parts.append(child.tail or "")
    return [t for t in (_squash(x) for x in "".join(parts).split("\n")) if t]


def _body_from_tree(body: Any) -> list[str]:
    """Paragraphs of trafilatura's XML body, in reading order, headings included."""
    out: list[str] = []

    def walk(el: Any) -> None:
        for child in el:
            if child.tag in ("list", "table", "div", "quote") and len(child):
                has_blocks = any(c.tag in _BLOCK_TAGS + ("list", "row") for c in child.iter())
                if child.tag == "quote" and not has_blocks:
                    out.extend(_lines(child))
                elif has_blocks:
                    if child.text and child.text.strip():
                        out.append(_squash(child.text))
                    walk(child)
                else:
                    out.extend(_lines(child))
            elif child.tag == "row":
                walk(child)
            elif child.tag in ("graphic", "lb", "ref") and not (child.text or "").strip():
                continue
            else:
                out.extend(_lines(child))
            if child.tail and child.tail.strip() and el is not body:
                out.append(_squash(child.tail))

    walk(body)
    return out


def parse_html(html: str) -> Any:
    """One lxml tree for every reader of the page."""
    try:
        root = lxml.html.document_fromstring(html, parser=_HTML_PARSER)
    except ValueError:  # an XML declaration in a str
        root = lxml.html.document_fromstring(html.encode("utf-8"), parser=lxml.html.HTMLParser(
            remove_comments=True, remove_pis=True, collect_ids=False, encoding="utf-8"))
    except etree.ParserError:
        raise ExtractionError("not_html", "no HTML document in the page") from None
    return root


def _body_and_metadata(root: Any, url: str | None) -> tuple[list[str], Any]:
    doc = trafilatura.bare_extraction(
        root, url=url, with_metadata=True, include_comments=False, include_tables=True,
        include_images=False, deduplicate=False, favor_precision=False,
    )
    body = getattr(doc, "body", None)
    if doc is None or body is None:
        return [], doc
    return _body_from_tree(body), doc


def extract_page(body: bytes, url: str, *, content_type: str | None = None,
                 parser: type[ArticleParser] | ArticleParser | None = None) -> dict[str, Any]:
    """:func:`extract_article` for the raw bytes of a page (charset handled)."""
    return extract_article(decode_html(body, content_type), url, parser=parser)


def extract_article(html: str, url: str, *,
                    parser: type[ArticleParser] | ArticleParser | None = None) -> dict[str, Any]:
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
    p = parser or ArticleParser
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
                v = _squash(v)
            if v:
                return v
        return None

    publisher = ld.get("publisher")
    site_names = {n for n in [*meta("og:site_name", "application-name", "twitter:site"),
                              *(_names(publisher) if not isinstance(publisher, dict)
                                else _strings(publisher.get("name")))] if n}
    site_names |= {n.lstrip("@") for n in site_names}

    for css in p.remove:
        for node in root.cssselect(css):
            node.drop_tree()

    # Captions and credits are read before the body extractor prunes the figures.
    captions = _texts(sel, p.captions) if p.captions else _texts(sel, "figure figcaption")
    credits = (_texts(sel, p.credits) if p.credits else
               _texts(sel, 'figure [class*="credit"], figure [class*="copyright"]'))
    for node in root.cssselect(_HIDDEN):
        if node.getparent() is not None and node.tag not in ("html", "body"):
            node.drop_tree()

    title = first(_texts(sel, p.title) if p.title else [], _strings(ld.get("headline")),
                  meta("og:title", "twitter:title"), _texts(sel, "h1"),
                  _texts(sel, "title"))
    if title:
        title = _strip_site_suffix(title, site_names)
    authors = clean_authors(
        (_texts(sel, p.authors) if p.authors else [])
        or _names(ld.get("author"))
        or [a for a in meta("author", "article:author", "dc.creator", "byl", "sailthru.author")
            if not a.startswith("http")], site_names)
    canonical = first(sel.css('link[rel="canonical"]::attr(href)').get(), meta("og:url"),
                      _url(ld.get("mainEntityOfPage")), ld.get("url"))
    lang = first(sel.xpath("/html/@lang").get(), meta("og:locale"),
                 _strings(ld.get("inLanguage")), meta("language", "content-language"))
    published = first(
        [parse_date(x) for x in (_texts(sel, p.published) if p.published else [])],
        [parse_date(x) for x in _strings(ld.get("datePublished"))],
        [parse_date(x) for x in meta(
            "article:published_time", "og:article:published_time", "datePublished",
            "pubdate", "publishdate", "publish-date", "publish_date", "article.published",
            "parsely-pub-date", "sailthru.date", "dc.date.issued", "DC.date.issued", "dc.date",
            "date")],
        [parse_date(x) for x in sel.css('[itemprop="datePublished"]::attr(datetime), '
                                        'time[pubdate]::attr(datetime)').getall()],
    )
    modified = first(
        [parse_date(x) for x in _strings(ld.get("dateModified"))],
        [parse_date(x) for x in meta("article:modified_time", "dateModified",
                                     "og:updated_time", "last-modified")],
    )
    if p.body:
        body = [t for node in sel.css(p.body) for t in _texts(node, _PARSER_BLOCKS)]
        doc = None
        if not published or not authors:
            _, doc = _body_and_metadata(root, url)
    else:
        body, doc = _body_and_metadata(root, url)
    if doc is not None:
        if not published:
            published = parse_date(doc.date) or sel.css("time::attr(datetime)").get()
            published = parse_date(published) if published else None
        if not authors and doc.author:
            authors = clean_authors(doc.author.split(";"), site_names)
        title = title or (doc.title and _squash(doc.title))
    published = published or date_from_url(url)
    language = lang.replace("_", "-").split("-")[0].lower() if isinstance(lang, str) else None
    if not language and body:
        sample = " ".join(body)[:2000]
        language = "ar" if len(_ARABIC.findall(sample)) > len(sample) / 4 else None
    return {
        "title": title,
        "subtitle": first(_strings(ld.get("alternativeHeadline")), _strings(ld.get("description")),
                          meta("og:description", "description", "twitter:description")),
        "authors": authors,
        "published": published,
        "modified": modified,
        "section": first(_strings(ld.get("articleSection")), meta("article:section")),
        "tags": meta("article:tag") + _keywords(ld.get("keywords"))
        + _keywords(meta("news_keywords", "keywords")),
        "canonical_url": urljoin(url, canonical) if canonical else None,
        "language": language,
        "lead_image": urljoin(url, li) if (li := first(
            meta("og:image", "twitter:image", "twitter:image:src"), _url(ld.get("image")),
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
    from crawler.items import ArticleLoader

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
                      content_type: str | None = None) -> dict[str, Any]:
    """The article of one saved page, extracted and cleaned as a crawl stores it.

    The outlet (its selectors, language and time zone) is the one named, else
    the registry's outlet whose ``article_pattern`` matches ``url``, else none.
    Used by ``syria-archive extract``, the golden-file tests and the benchmark.
    """
    from collections import Counter

    from crawler.registry import Registry
    from pipelines.clean import clean_article

    registry = Registry.load()
    entry = registry[outlet] if outlet else next(
        (o for o in registry if o.is_article(url)), None)
    fields = extract_page(body, url, content_type=content_type,
                          parser=entry.article_parser() if entry else None)
    item = load_article(fields, url=url, outlet=entry.id if entry else None,
                        language=entry.language if entry else None,
                        timezone=entry.timezone if entry else "UTC")
    cleaned = clean_article(dict(item), entry.article_parser().markers if entry else (),
                            Counter())
    if not cleaned.get("body"):
        raise ExtractionError("no_body", "no article text in the page")
    return cleaned
