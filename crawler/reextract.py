"""Re-extraction: archived article responses through extraction and the pipelines again.

Reads ``DATA/warc/*.warc.gz`` (warcio; bodies as received, content-encoding
undone by warcio), picks the ``response`` records of article URLs of the
registry's outlets, and runs one Scrapy crawler per outlet whose spider yields
the re-extracted items from ``start()``: no request is made, so nothing
touches the network, while the configured item pipelines and the feed export
run exactly as in a crawl.  A ``revisit`` record of the same URL is skipped
(its original is in the archive); a revisit under another URL is extracted
from the payload it refers to.  Dedup judges the archive afresh (a state of
its own for the run), WARC capture and incremental skipping are off.
"""

from __future__ import annotations

import logging
import tempfile
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, ClassVar

import scrapy
from warcio.archiveiterator import ArchiveIterator

from crawler.extract.article import ExtractionError, extract_page, load_article
from crawler.registry import Outlet, Registry

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
            original = next(iter(ArchiveIterator(f)))
            yield Capture(
                url=url, date=headers.get_header("WARC-Date") or "",
                status=_http_status(original),
                content_type=original.http_headers.get_header("Content-Type") or "",
                file=path.name, offset=offset, length=0,
                record_id=headers.get_header("WARC-Record-ID") or "",
                body=original.content_stream().read())


class ReextractSpider(scrapy.Spider):
    """Yields the articles of one outlet's archived captures; fetches nothing."""

    outlet: ClassVar[Outlet]
    captures: ClassVar[list[Capture]]

    @classmethod
    def for_outlet(cls, outlet: Outlet, captures: list[Capture]) -> type[ReextractSpider]:
        return type(f"Reextract{outlet.id.replace('-', '_')}", (cls,), {
            "name": outlet.id, "outlet": outlet, "captures": captures,
            "allowed_domains": list(outlet.allowed_domains), "__module__": cls.__module__})

    async def start(self) -> AsyncIterator[Any]:
        for item in self.items():
            yield item

    def items(self) -> Iterator[Any]:
        assert self.crawler.stats is not None
        stats = self.crawler.stats
        parser = self.outlet.article_parser()
        for cap in self.captures:
            stats.inc_value("reextract/captures")
            try:
                fields = extract_page(cap.body, cap.url, content_type=cap.content_type,
                                      parser=parser)
            except ExtractionError as exc:
                stats.inc_value(f"item_dropped/{exc.reason}")
                continue
            except Exception:
                stats.inc_value("item_dropped/extraction_error")
                logger.exception("Extraction failed for %s", cap.url)
                continue
            yield load_article(
                fields, url=cap.url, outlet=self.outlet.id, language=self.outlet.language,
                timezone=self.outlet.timezone, status=cap.status, fetched_at=cap.date,
                warc={"file": cap.file, "offset": cap.offset, "length": cap.length,
                      "record_id": cap.record_id, "revisit_of": None})


def reextract(data: Path, warcs: list[Path] | None = None,
              outlets: list[str] | None = None) -> dict[str, Any]:
    """Re-extract every archived article page; returns per-outlet counts and the exports."""
    from scrapy.crawler import CrawlerProcess
    from scrapy.utils.project import get_project_settings

    registry = Registry.load()
    chosen = [registry[o] for o in outlets] if outlets else list(registry)
    warcs = warcs if warcs is not None else sorted((data / "warc").glob("*.warc.gz"))
    by_outlet: dict[str, list[Capture]] = {o.id: [] for o in chosen}
    for cap in read_captures(warcs):
        if cap.status != 200 or "html" not in cap.content_type.lower():
            continue
        for o in chosen:
            if o.is_article(cap.url):
                by_outlet[o.id].append(cap)
                break
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    (data / "state").mkdir(parents=True, exist_ok=True)
    settings = get_project_settings()
    exports = {o: data / "items" / f"{o}-reextract-{stamp}.jsonl" for o in by_outlet}
    result: dict[str, Any] = {"warcs": [str(w) for w in warcs], "outlets": {}}
    with tempfile.TemporaryDirectory(dir=data / "state", prefix="reextract-") as state:
        settings.setdict({
            "DATA_DIR": str(data), "WARC_ENABLED": False, "INCREMENTAL_ENABLED": False,
            "DEDUP_STATE": str(Path(state) / "dedup.sqlite3"), "LOG_LEVEL": "WARNING",
            "TELNETCONSOLE_ENABLED": False, "ROBOTSTXT_OBEY": False,
            "FEEDS": {str(data / "items" / f"%(name)s-reextract-{stamp}.jsonl"): {
                "format": "jsonlines", "encoding": "utf8", "store_empty": False}},
        }, priority="cmdline")
        process = CrawlerProcess(settings, install_root_handler=False)
        crawlers = {}
        for outlet_id, caps in by_outlet.items():
            if not caps:
                continue
            crawler = process.create_crawler(
                ReextractSpider.for_outlet(registry[outlet_id], caps))
            crawlers[outlet_id] = crawler
            process.crawl(crawler)
        if crawlers:
            process.start()
    for outlet_id, crawler in crawlers.items():
        stats = crawler.stats.get_stats() if crawler.stats else {}
        result["outlets"][outlet_id] = {
            "captures": len(by_outlet[outlet_id]),
            "articles": stats.get("item_scraped_count", 0),
            "dropped": {k.split("/", 1)[1]: v for k, v in stats.items()
                        if k.startswith("item_dropped/")},
            "export": str(exports[outlet_id]) if exports[outlet_id].exists() else None,
        }
    return result
