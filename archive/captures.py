"""Reading captures back from WARC files: the archived responses, with their place.

:func:`read_captures` walks WARC files (warcio; content-encoding undone) and
yields each ``response`` record with its URL, date, status, content type, body
and place in the file (offset, length, record id).  A ``revisit`` record of the
same URL is skipped (its original is in the archive); a revisit under another
URL is resolved to the payload it refers to.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from warcio.archiveiterator import ArchiveIterator

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Capture:
    url: str
    date: str
    status: int
    content_type: str
    file: str
    offset: int
    length: int
    record_id: str
    body: bytes


def _http_status(record: Any) -> int:
    try:
        return int(record.http_headers.get_statuscode())
    except (TypeError, ValueError, AttributeError):
        return 0


def read_captures(warcs: list[Path]) -> Iterator[Capture]:
    """HTML responses in the WARCs, revisits of another URL resolved to their payload."""
    payloads: dict[str, tuple[Path, int]] = {}
    pending = []
    for path in warcs:
        with path.open("rb") as f:
            records = ArchiveIterator(f)
            for record in records:
                if record.rec_type not in ("response", "revisit"):
                    continue
                url = record.rec_headers.get_header("WARC-Target-URI")
                digest = record.rec_headers.get_header("WARC-Payload-Digest")
                if record.rec_type == "revisit":
                    if record.rec_headers.get_header("WARC-Refers-To-Target-URI") != url:
                        pending.append((url, digest, record.rec_headers))
                    continue
                # the body first: asking for the offset reads the record to its end
                body = record.content_stream().read()
                offset = records.get_record_offset()
                if digest:
                    payloads.setdefault(digest, (path, offset))
                yield Capture(
                    url=url, date=record.rec_headers.get_header("WARC-Date") or "",
                    status=_http_status(record),
                    content_type=(record.http_headers.get_header("Content-Type") or "")
                    if record.http_headers else "",
                    file=path.name, offset=offset, length=records.get_record_length(),
                    record_id=record.rec_headers.get_header("WARC-Record-ID") or "", body=body)
    for url, digest, headers in pending:
        if digest not in payloads:
            logger.warning("revisit of %s refers to a payload not in these WARCs", url)
            continue
        path, offset = payloads[digest]
        with path.open("rb") as f:
            f.seek(offset)
            records = ArchiveIterator(f)
            original = next(iter(records))
            body = original.content_stream().read()
            # The place of the record that holds the payload: readable by range, whole.
            yield Capture(
                url=url, date=headers.get_header("WARC-Date") or "",
                status=_http_status(original),
                content_type=original.http_headers.get_header("Content-Type") or "",
                file=path.name, offset=offset, length=records.get_record_length(),
                record_id=original.rec_headers.get_header("WARC-Record-ID") or "",
                body=body)
