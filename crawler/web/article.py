"""One article as its page shows it, read back from the archive by byte range.

The catalog row says where the article's response (or revisit) record lies;
:func:`load_article` fetches that record and the article's ``metadata`` record
(the clean article: body, authors, captions, discovery path) with
:meth:`archive.download.Archive.record`, which reads a local WARC or S3 alike.
An unchanged page archived again is a revisit whose article record lies with the
first capture: the record index (pywb's CDX server, :meth:`Replay.records`) finds it.

:class:`Citation` is what a researcher cites: WARC file, offset, length, record
id, record type and date, the SHA-256 of the record's bytes exactly as stored
(one gzip member: ``tail -c +OFFSET+1 FILE | head -c LENGTH | sha256sum``) and
the payload digest.  :func:`wacz_records` gathers the records that make a page
replayable on its own (for a revisit, the capture it refers to as well).
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from io import BytesIO
from typing import Any

from warcio.archiveiterator import ArchiveIterator
from warcio.timeutils import iso_date_to_timestamp

from archive.catalog import Hit
from archive.download import Archive

logger = logging.getLogger(__name__)

#: url -> index entries of every record of that URL (pywb's CDX JSON lines).
Lookup = Callable[[str], list[dict[str, Any]]]


@dataclass(frozen=True)
class Citation:
    warc_file: str
    offset: int
    length: int
    record_id: str
    record_type: str
    warc_date: str
    timestamp: str
    sha256: str
    payload_digest: str | None
    refers_to_url: str | None
    refers_to_date: str | None


def hit_of(row: Mapping[str, Any]) -> Hit:
    return Hit(**{k: row[k] for k in Hit.__dataclass_fields__})


def _first_record(data: bytes) -> Any:
    return next(iter(ArchiveIterator(BytesIO(data))))


def citation_of(data: bytes, warc_file: str, offset: int) -> Citation:
    record = _first_record(data)
    headers = record.rec_headers
    date = headers.get_header("WARC-Date") or ""
    return Citation(
        warc_file=warc_file, offset=offset, length=len(data),
        record_id=headers.get_header("WARC-Record-ID") or "", record_type=record.rec_type,
        warc_date=date, timestamp=iso_date_to_timestamp(date) if date else "",
        sha256=hashlib.sha256(data).hexdigest(),
        payload_digest=headers.get_header("WARC-Payload-Digest"),
        refers_to_url=headers.get_header("WARC-Refers-To-Target-URI"),
        refers_to_date=headers.get_header("WARC-Refers-To-Date"))


def _metadata_entry(entries: list[dict[str, Any]]) -> dict[str, Any] | None:
    """The latest article record among a URL's index entries (a metadata record has
    no HTTP status)."""
    found = [e for e in entries if e.get("mime") == "application/json" and "status" not in e]
    return max(found, key=lambda e: e["timestamp"]) if found else None


def _read_entry(archive: Archive, entry: Mapping[str, Any]) -> bytes:
    return archive.read_range(entry["filename"], int(entry["offset"]), int(entry["length"]))


def load_article(archive: Archive, row: Mapping[str, Any],
                 lookup: Lookup | None = None) -> tuple[dict[str, Any] | None, Citation]:
    """The clean article (None when no article record is found) and the citation of
    its capture; raises LookupError or FileNotFoundError when the capture is gone."""
    hit = hit_of(row)
    records = archive.record(hit)
    citation = citation_of(records["response"], hit.warc_file or "", hit.warc_offset or 0)
    data = records.get("metadata")
    if data is None and lookup is not None:
        try:
            entry = _metadata_entry(lookup(hit.url))
            data = _read_entry(archive, entry) if entry else None
        except (OSError, LookupError, ValueError) as exc:
            logger.warning("No article record for %s: %s", hit.url, exc)
    article = None
    if data is not None:
        article = json.loads(_first_record(data).content_stream().read())
    return article, citation


def wacz_records(archive: Archive, row: Mapping[str, Any],
                 lookup: Lookup | None = None) -> list[bytes]:
    """The records that replay the article on their own: its response (for a revisit,
    the response it refers to as well) and its article record."""
    hit = hit_of(row)
    records = archive.record(hit)
    out = [records["response"]]
    citation = citation_of(records["response"], hit.warc_file or "", hit.warc_offset or 0)
    entries = lookup(hit.url) if lookup is not None else []
    if citation.record_type == "revisit" and citation.refers_to_url and lookup is not None:
        wanted = iso_date_to_timestamp(citation.refers_to_date) if citation.refers_to_date \
            else ""
        originals = [e for e in (entries if citation.refers_to_url == hit.url
                                 else lookup(citation.refers_to_url))
                     if "status" in e and e.get("mime") != "warc/revisit"]
        if originals:
            best = min(originals, key=lambda e: abs(int(e["timestamp"]) - int(wanted or 0)))
            out.insert(0, _read_entry(archive, best))
    if "metadata" in records:
        out.append(records["metadata"])
    else:
        entry = _metadata_entry(entries)
        if entry is not None:
            out.append(_read_entry(archive, entry))
    return out
