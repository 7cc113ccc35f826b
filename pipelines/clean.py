"""In-page cleaning: the article the way a careful editor would copy it out.

* Every text in its stored form (:func:`archive.text.tidy`: NFC, single
  spaces, no invisible formatting characters); Arabic letters, diacritics,
  tatweel and joiners stay as the outlet printed them.
* Repeated blocks removed from the body, compared on their matching key
  (:func:`archive.text.match_key`: words only, case, diacritics and letter
  forms folded): the title repeated as a paragraph or leading the first
  paragraph, a caption (or a run of it printed two or four times), the same
  paragraph twice, and outlet markers such as the font-size toggle ``TT``.
* Captions printed repeatedly at the top of the body, before the article
  starts, are moved to ``captions``; trailing photo credits (``(AFP)``,
  ``[NAME/AFP via Getty]``, ``REUTERS/Name``) are split off into ``credits``.

Settings read: ``CLEAN_ENABLED`` (default on).  Stats: ``clean/removed/<what>``;
an article left with no body is dropped as ``item_dropped/no_body``.
"""

from __future__ import annotations

import logging
import re
from collections import Counter
from collections.abc import Iterable
from typing import Any

from itemadapter import ItemAdapter
from scrapy.crawler import Crawler
from scrapy.exceptions import DropItem, NotConfigured
from scrapy.statscollectors import StatsCollector

from archive.text import match_key, tidy

logger = logging.getLogger(__name__)

GENERIC_MARKERS = re.compile(r"^(?:[A-Z]{1,2}[+\-]?|A\s?A|A\s?[+\-]\s?A\s?[+\-]?)$")
_CREDIT_TAIL = re.compile(
    r"(?:\s*[\(\[]\s*(?P<bracket>[^()\[\]]{2,80}?)\s*[\)\]]"
    r"|[.\s]\s*(?P<agency>(?:REUTERS|AFP|AP|EPA|ANADOLU|SANA|Getty Images|Photo(?: by)?:?"
    r"|تصوير:?)[^.()\[\]]{0,60}))\s*$")
_STRING_FIELDS = ("title", "subtitle", "section")
_LIST_FIELDS = ("authors", "tags")


def split_credit(caption: str) -> tuple[str, str | None]:
    """A caption and its trailing photo credit, when it has one."""
    m = _CREDIT_TAIL.search(caption)
    if not m:
        return caption, None
    credit = (m.group("bracket") or m.group("agency") or "").strip()
    rest = caption[:m.start()].rstrip()
    if not credit or not rest or len(credit.split()) > 8:
        return caption, None
    if rest.endswith((",", ";", ":", "-")):
        return caption, None
    return rest, credit


def _unique(values: Iterable[str]) -> list[str]:
    seen: set[str] = set()
    out = []
    for v in values:
        k = match_key(v) or v
        if v and k not in seen:
            seen.add(k)
            out.append(v)
    return out


def _is_run_of(key: str, parts: set[str]) -> bool:
    """The key is one of ``parts`` printed two or more times in a row."""
    for part in parts:
        if part and len(key) > len(part) and key.count(part) >= 2:
            if not key.replace(part, " ").strip():
                return True
    return False


def _strip_leading(paragraph: str, key: str) -> str | None:
    """The paragraph without a leading block whose key is ``key`` (or None)."""
    if not key or not match_key(paragraph).startswith(key + " "):
        return None
    for m in re.finditer(r"\s", paragraph):
        if match_key(paragraph[:m.start()]) == key:
            rest = paragraph[m.start():].lstrip(" .:-–—|")
            return rest or None
    return None


def clean_article(item: dict[str, Any],
                  counts: Counter[str] | None = None) -> dict[str, Any]:
    """A cleaned copy of an article's fields; ``counts`` gets what was removed."""
    counts = counts if counts is not None else Counter()
    out = dict(item)
    for name in _STRING_FIELDS:
        if out.get(name) is not None:
            out[name] = tidy(out[name]) or None
    for name in _LIST_FIELDS:
        if out.get(name) is not None:
            out[name] = _unique(tidy(v) for v in out[name])

    def is_marker(p: str) -> bool:
        return bool(GENERIC_MARKERS.match(p))

    title_key = match_key(out.get("title"))
    body = [p for p in (tidy(x) for x in out.get("body") or []) if p]
    captions = [tidy(c) for c in out.get("captions") or [] if tidy(c)]
    credits = [tidy(c).strip("()[] ") for c in out.get("credits") or [] if tidy(c)]

    # Before the first paragraph printed once, repeated blocks other than the
    # title are captions (the seed page: caption, caption, TT, title, caption...).
    seen_count = Counter(match_key(p) for p in body)
    article_start = len(body)
    for i, p in enumerate(body):
        k = match_key(p)
        if is_marker(p) or k == title_key:
            continue
        title_follows = any(match_key(q) == title_key for q in body[i + 1:])
        if (seen_count[k] < 2 or len(k.split()) < 4
                or not (title_follows or split_credit(p)[1])):
            article_start = i
            break
        captions.append(p)

    caption_keys = set()
    for c in captions:
        caption_keys.add(match_key(c))
        caption_keys.add(match_key(split_credit(c)[0]))
    caption_keys.discard("")

    kept: list[str] = []
    seen: set[str] = set()
    previous = ""
    for i, p in enumerate(body):
        k = match_key(p)
        if not k or is_marker(p):
            counts["marker" if k else "empty"] += 1
            continue
        if k == title_key or _is_run_of(k, {title_key}):
            counts["title"] += 1
            continue
        if k in caption_keys or _is_run_of(k, caption_keys):
            counts["caption"] += 1
            continue
        # A repeat right after itself or before the article starts is a template
        # fault; the same line further down (a recipe, a table row) is content.
        if k in seen and (i < article_start or k == previous):
            counts["duplicate"] += 1
            continue
        if not kept:
            rest = _strip_leading(p, title_key)
            if rest is not None:
                counts["title"] += 1
                p, k = rest, match_key(rest)
        seen.add(k)
        previous = k
        kept.append(p)

    clean_captions = []
    for c in captions:
        text, credit = split_credit(c)
        clean_captions.append(text)
        if credit:
            credits.append(credit)
    out["captions"] = _unique(clean_captions)
    out["credits"] = _unique(credits)
    if "body" in item or body:
        out["body"] = kept
        text = "\n\n".join(kept)
        out["text"] = text
        out["word_count"] = len(text.split())
    return out


class CleanPipeline:
    """Cleans each article in place (see the module docstring)."""

    def __init__(self, stats: StatsCollector) -> None:
        self.stats = stats

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> CleanPipeline:
        if not crawler.settings.getbool("CLEAN_ENABLED", True):
            raise NotConfigured("CLEAN_ENABLED is off")
        assert crawler.stats is not None
        return cls(crawler.stats)

    def process_item(self, item: Any) -> Any:
        adapter = ItemAdapter(item)
        counts: Counter[str] = Counter()
        cleaned = clean_article(dict(adapter.items()), counts)  # it copies what it changes
        for name, value in cleaned.items():
            if name in adapter.field_names() or name in adapter:
                adapter[name] = value
        for what, n in counts.items():
            self.stats.inc_value(f"clean/removed/{what}", n)
        if not adapter.get("body"):
            self.stats.inc_value("item_dropped/no_body")
            raise DropItem(f"no article text: {adapter.get('url')}")
        return item
