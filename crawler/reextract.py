"""Re-extraction: archived article responses through extraction and the pipelines again.

Reads the captures in ``DATA/warc/*.warc.gz`` (:mod:`archive.captures`), picks
the HTML responses of article URLs of the registry's outlets, and runs one
Scrapy crawler per outlet with :class:`spiders.reextract.ReextractSpider`,
which yields the re-extracted items without making a request: nothing touches
the network, while the configured item pipelines and the feed export run
exactly as in a crawl.  Dedup judges the archive afresh (a state of its own for
the run), WARC capture and incremental skipping are off.

What it writes: its own export (``items/OUTLET-reextract-STAMP.jsonl``) and
nothing else of the archive.  With ``update_catalog`` it also refreshes the
live catalog's extracted fields (title, date, text index; each article keeps
the capture and the dedup verdict its crawl gave it), holding the crawl lock
meanwhile so that no crawl writes the catalog at the same time.

Settings read: ``OUTLETS_PATHS`` (outlets added by the user), and those of the
pipelines and the feed export.
"""

from __future__ import annotations

import logging
import tempfile
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from archive.captures import Capture, read_captures
from crawler.registry import Registry
from crawler.run import hold_lock
from spiders.reextract import ReextractSpider

logger = logging.getLogger(__name__)


def reextract(data: Path, warcs: list[Path] | None = None,
              outlets: list[str] | None = None,
              update_catalog: bool = False) -> dict[str, Any]:
    """Re-extract every archived article page; returns per-outlet counts and the exports.

    Raises :class:`crawler.run.RunLocked` when ``update_catalog`` is asked while a crawl
    holds the data directory."""
    from scrapy.crawler import CrawlerProcess
    from scrapy.utils.project import get_project_settings

    settings = get_project_settings()
    registry = Registry.load(settings.getlist("OUTLETS_PATHS"))
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
    lock = hold_lock(data, stamp, "reextract") if update_catalog else None
    exports = {o: data / "items" / f"{o}-reextract-{stamp}.jsonl" for o in by_outlet}
    result: dict[str, Any] = {"warcs": [str(w) for w in warcs], "outlets": {}}
    with tempfile.TemporaryDirectory(dir=data / "state", prefix="reextract-") as state:
        settings.setdict({
            "DATA_DIR": str(data), "WARC_ENABLED": False, "INCREMENTAL_ENABLED": False,
            "DEDUP_STATE": str(Path(state) / "dedup.sqlite3"), "LOG_LEVEL": "WARNING",
            "TELNETCONSOLE_ENABLED": False, "ROBOTSTXT_OBEY": False,
            # The live catalog is the crawls' record: changed only when asked.
            "CATALOG_ENABLED": update_catalog, "CATALOG_REFRESH": True,
            "CRAWL_ID": f"syria-archive-reextract-{stamp}",
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
        try:
            if crawlers:
                process.start()
        finally:
            if lock is not None:
                lock.close()
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
