"""Packaging WARCs as a WACZ (py-wacz) with one page per article.

``pages/pages.jsonl`` is written from the WARCs' own ``metadata`` records
(the cleaned articles): one line per article with its URL, capture time,
title and text, which is the WACZ full-text index.  The pages file is
streamed to disk and copied into the package, and py-wacz streams the WARCs
into the zip: nothing is built in memory.
"""

from __future__ import annotations

import contextlib
import io
import json
import logging
import tempfile
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

from warcio.archiveiterator import ArchiveIterator

logger = logging.getLogger(__name__)

PAGES_HEADER = {"format": "json-pages-1.0", "id": "pages", "title": "Articles", "hasText": True}


class WaczError(RuntimeError):
    """py-wacz refused to build or validate a package."""


def article_pages(warcs: Iterable[Path]) -> Iterator[dict[str, Any]]:
    """One page per article metadata record in the WARCs (first of each URL)."""
    seen: set[str] = set()
    for warc in warcs:
        with warc.open("rb") as fh:
            for record in ArchiveIterator(fh):
                if (record.rec_type != "metadata"
                        or record.rec_headers.get_header("Content-Type") != "application/json"):
                    continue
                try:
                    article = json.loads(record.content_stream().read())
                except ValueError:
                    logger.warning("%s: metadata record %s is not JSON; skipped", warc,
                                   record.rec_headers.get_header("WARC-Record-ID"))
                    continue
                url = article.get("url")
                if not url or url in seen:
                    continue
                seen.add(url)
                yield {
                    "id": record.rec_headers.get_header("WARC-Record-ID").strip("<>")
                    .removeprefix("urn:uuid:"),
                    "url": url,
                    "ts": article.get("fetched_at")
                    or record.rec_headers.get_header("WARC-Date"),
                    "title": article.get("title") or url,
                    "text": article.get("text") or "",
                }


def write_pages(warcs: Iterable[Path], target: Path) -> int:
    count = 0
    with target.open("w", encoding="utf-8") as out:
        out.write(json.dumps(PAGES_HEADER) + "\n")
        for page in article_pages(warcs):
            out.write(json.dumps(page, ensure_ascii=False) + "\n")
            count += 1
    return count


def _run_wacz(args: list[str]) -> tuple[int, str]:
    from wacz.main import main as wacz_main

    chatter = io.StringIO()
    with contextlib.redirect_stdout(chatter):
        code = wacz_main(args)
    return int(code or 0), chatter.getvalue()


def create_wacz(warcs: list[Path], output: Path, title: str | None = None) -> int:
    """Package ``warcs`` into ``output``; returns the number of article pages."""
    output.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=output.parent) as tmp:
        pages = Path(tmp) / "pages.jsonl"
        count = write_pages(warcs, pages)
        partial = output.with_name(output.name + ".open")
        args = ["create", "-o", str(partial), "-p", str(pages), "-c"]
        if title:
            args += ["--title", title]
        code, chatter = _run_wacz(args + [str(w) for w in warcs])
        if code != 0:
            partial.unlink(missing_ok=True)
            raise WaczError(f"py-wacz could not create {output}: {chatter.strip()[-500:]}")
        partial.replace(output)
    return count


def validate_wacz(path: Path) -> None:
    code, chatter = _run_wacz(["validate", "-f", str(path)])
    if code != 0:
        raise WaczError(f"{path} is not a valid WACZ: {chatter.strip()[-500:]}")
