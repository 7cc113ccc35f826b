"""The article body: trafilatura's boilerplate removal, as paragraphs in reading order.

trafilatura works on the page's one lxml tree; its XML body is walked into a
list of paragraphs (headings, list items, quotes and table cells included).  Its
recall mode is trimmed to the paragraphs its precision mode confirms, which drops
comment threads, link lists and site chrome around the article.
trafilatura's own metadata reader (:func:`page_metadata`) is a fallback, asked only
when structured data and markup leave a field open.
"""

from __future__ import annotations

import logging
from typing import Any

import trafilatura
from htmldate import find_date
from trafilatura.metadata import (
    examine_meta,
    extract_author,
    extract_meta_json,
    extract_title,
    extract_url,
)

from archive.text import match_key, tidy

logger = logging.getLogger(__name__)

# A fast precision pass that finds less than this share of the recall pass's text is done
# again in full.
CONFIRM_SHARE = 0.5
_BLOCK_TAGS = ("p", "head", "quote", "item", "cell")


def _lines(el: Any) -> list[str]:
    """An element's text, split where it has line breaks (``<lb/>``)."""
    parts = [el.text or ""]
    for child in el:
        if child.tag == "lb":
            parts.append("\n")
        parts.append("".join(child.itertext()) if child.tag != "lb" else "")
        parts.append(child.tail or "")
    return [t for t in (tidy(x) for x in "".join(parts).split("\n")) if t]


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
                        out.append(tidy(child.text))
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
                out.append(tidy(child.tail))

    walk(body)
    return out



# Dropped with their content by trafilatura's own cleaning and by readability's.
_INERT = ("script", "style", "svg")


def strip_inert(root: Any) -> None:
    """Remove scripts (but JSON-LD), styles and inline drawings, keeping the text after
    them: every copy trafilatura makes of the tree, and every query it runs, is then
    smaller (the outlets' page-state scripts and icon sprites are a third of a page)."""
    for node in list(root.iter(*_INERT)):
        parent = node.getparent()
        if parent is None or (node.tag == "script" and (node.get("type") or "").strip().lower()
                              == "application/ld+json"):
            continue
        if node.tail:
            before = node.getprevious()
            if before is not None:
                before.tail = (before.tail or "") + node.tail
            else:
                parent.text = (parent.text or "") + node.tail
        parent.remove(node)


def _extract(root: Any, url: str | None, precision: bool, fast: bool = False) -> list[str]:
    doc = trafilatura.bare_extraction(
        root, url=url, with_metadata=False, include_comments=False, include_tables=True,
        include_images=False, deduplicate=False, favor_precision=precision, fast=fast,
    )
    body = getattr(doc, "body", None)
    return [] if doc is None or body is None else _body_from_tree(body)


def confirmed_span(recall: list[str], precise: list[str], keep: float = 0.3,
                   short: int = 12) -> list[str]:
    """The paragraphs of ``recall`` up to the last one that ``precise`` also has, and from
    the first one it has, less only the short lines before it.

    Recall mode finds the whole article but may run on into comments, link lists and
    site chrome after it, or start with labels and UI lines; precision mode stops short
    of those but sometimes drops the article's lead or end.  So the tail after the last
    confirmed paragraph goes, while unconfirmed lines before the first one go only while
    they are short (at most ``short`` words: datelines, labels, buttons), never a lead
    paragraph.  Paragraphs between two confirmed ones stay (a table or list precision
    mode skipped).  When this would keep less than ``keep`` of the text, precision mode
    missed the article: recall stands.
    """
    if not recall or not precise:
        return recall
    text = " ".join(match_key(p) for p in precise)
    inside = [i for i, p in enumerate(recall) if (key := match_key(p)) and key in text]
    if not inside:
        return recall
    start = 0
    while start < inside[0] and len(recall[start].split()) <= short:
        start += 1
    span = recall[start:inside[-1] + 1]
    if sum(map(len, span)) < keep * sum(map(len, recall)):
        return recall
    return span


def body_of(root: Any, url: str | None) -> list[str]:
    """The article's paragraphs: trafilatura's recall mode, trimmed to what its precision
    mode confirms (:func:`confirmed_span`).  Both read the page's one tree
    (trafilatura copies it)."""
    recall = _extract(root, url, precision=False)
    if len(recall) < 2:
        return recall
    # Precision mode only confirms paragraphs here: its fast form (no readability and
    # jusText comparison) does, unless it found little of the article, when the
    # comparison is what finds the rest.
    precise = _extract(root, url, precision=True, fast=True)
    if sum(map(len, precise)) < CONFIRM_SHARE * sum(map(len, recall)):
        precise = _extract(root, url, precision=True)
    return confirmed_span(recall, precise)


def page_metadata(root: Any, url: str | None, *, title: bool = True, author: bool = True,
                  date: bool = True) -> tuple[str | None, str | None, str | None]:
    """(title, author, date) from trafilatura's metadata reader, asked only for the fields
    structured data and the page's own markup did not answer.

    The steps of :func:`trafilatura.metadata.extract_metadata`, in its order, less those
    whose answer is not used: the site name, categories, tags and licence, and htmldate
    (which copies the whole tree) when the date is known.  htmldate's extensive search is
    off, since that is where a copyright year becomes the 1st of January."""
    found = examine_meta(root)
    if found.author and " " not in found.author:
        found.author = None
    try:
        found = extract_meta_json(root, found)
    except Exception as exc:  # noqa: BLE001 - as extract_metadata does: its JSON reader's bugs
        logger.debug("trafilatura's JSON-LD reader failed on %s: %s", url, exc)
    if title and not found.title:
        found.title = extract_title(root)
    if author and not found.author:
        found.author = extract_author(root)
    when = None
    if date:
        when = find_date(root, original_date=True, extensive_search=False,
                         url=found.url or extract_url(root, url))
    return found.title, found.author, when
