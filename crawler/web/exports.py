"""WACZ packages of chosen articles, for ReplayWeb.page or any WACZ reader.

The records of each article (:func:`crawler.web.article.wacz_records`, read by
byte range from local WARCs or S3) are written one after another into a small
WARC (each record is a whole gzip member, so the concatenation is a valid WARC)
and packaged by :func:`archive.wacz.create_wacz`, whose ``pages.jsonl`` holds
each article's title and text.  A package is kept in the cache under the digest
of its records: asking again for the same articles costs nothing.
"""

from __future__ import annotations

import hashlib
import logging
import tempfile
import threading
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from archive.download import Archive
from archive.wacz import create_wacz, validate_wacz
from crawler.web.article import Lookup, wacz_records

logger = logging.getLogger(__name__)

# py-wacz reports on stdout, which archive.wacz redirects: one package at a time.
_LOCK = threading.Lock()


def build_wacz(archive: Archive, rows: Iterable[Mapping[str, Any]], lookup: Lookup | None,
               cache: Path, title: str) -> tuple[Path, int]:
    """A validated WACZ of the articles in ``rows``; returns it and how many articles
    it holds (an article whose capture cannot be read is left out and logged)."""
    parts: list[bytes] = []
    seen: set[str] = set()
    articles = 0
    for row in rows:
        try:
            records = wacz_records(archive, row, lookup)
        except (LookupError, FileNotFoundError, OSError) as exc:
            logger.warning("WACZ: %s left out: %s", row["url"], exc)
            continue
        articles += 1
        for data in records:
            digest = hashlib.sha256(data).hexdigest()
            if digest not in seen:
                seen.add(digest)
                parts.append(data)
    if not parts:
        raise LookupError("none of these articles has a readable capture")
    key = hashlib.sha256("\n".join(sorted(seen)).encode()).hexdigest()[:20]
    cache.mkdir(parents=True, exist_ok=True)
    output = cache / f"syria-archive-{key}.wacz"
    with _LOCK:
        if not output.is_file():
            with tempfile.TemporaryDirectory(dir=cache) as tmp:
                warc = Path(tmp) / f"syria-archive-{key}.warc.gz"
                warc.write_bytes(b"".join(parts))
                partial = Path(tmp) / output.name
                create_wacz([warc], partial, title=title)
                validate_wacz(partial)
                partial.replace(output)
    return output, articles
