"""The article body: trafilatura's boilerplate removal, as paragraphs in reading order.

trafilatura works on the page's one lxml tree; its XML body is walked into a
list of paragraphs (headings, list items, quotes and table cells included).
"""

from __future__ import annotations

from typing import Any

import trafilatura

from archive.text import tidy

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



def body_and_metadata(root: Any, url: str | None) -> tuple[list[str], Any]:
    doc = trafilatura.bare_extraction(
        root, url=url, with_metadata=True, include_comments=False, include_tables=True,
        include_images=False, deduplicate=False, favor_precision=False,
    )
    body = getattr(doc, "body", None)
    if doc is None or body is None:
        return [], doc
    return _body_from_tree(body), doc

