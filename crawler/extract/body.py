"""The article body: trafilatura's boilerplate removal, as paragraphs in reading order.

trafilatura works on the page's one lxml tree; its XML body is walked into a
list of paragraphs (headings, list items, quotes and table cells included).  Its
recall mode is trimmed to the paragraphs its precision mode confirms, which drops
comment threads, link lists and site chrome around the article.
trafilatura's own metadata reader (:func:`page_metadata`) is a fallback, asked only
when structured data and markup leave a field open.
"""

from __future__ import annotations

from typing import Any

import trafilatura
from trafilatura.metadata import extract_metadata

from archive.text import match_key, tidy

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



def _extract(root: Any, url: str | None, precision: bool) -> list[str]:
    doc = trafilatura.bare_extraction(
        root, url=url, with_metadata=False, include_comments=False, include_tables=True,
        include_images=False, deduplicate=False, favor_precision=precision,
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
    return confirmed_span(recall, _extract(root, url, precision=True))


def page_metadata(root: Any, url: str | None) -> Any:
    """trafilatura's metadata (title, author, and htmldate's date), asked only for what
    structured data and the page's own markup did not answer: htmldate copies the whole
    tree.  Its extensive search is off, since that is where a copyright year becomes the
    1st of January."""
    return extract_metadata(root, url, {"original_date": True, "extensive_search": False},
                            extensive=False)
