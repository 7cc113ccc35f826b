"""After a crash: what a killed run exported is made known to the crawl state.

A run's articles are exported line by line as they are scraped, and only then
recorded as fetched and in the dedup state (``item_scraped``).  A run killed in
between leaves articles in its export that the state does not know: the next
run would fetch and export them a second time.  So before a run starts, the
exports of every earlier run that left no report (it was killed) are read: a
torn last line is cut off (:func:`crawler.feeds.repair_export`), and each
article is recorded as fetched, in the dedup index and in the catalog where
missing; the killed run's files are queued for upload.  A marker
(``state/runs/RUN/recovered.json``) keeps this from being done twice.

Settings read: ``INCREMENTAL_STATE``, ``DEDUP_STATE``, ``DEDUP_THRESHOLD``,
``DEDUP_CONTAINMENT``, ``DEDUP_MIN_WORDS``, ``CATALOG_PATH``, ``WARC_PREFIX``,
``S3_DELETE_UPLOADED``.
"""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from scrapy import Request
from scrapy.utils.request import RequestFingerprinter

from archive.catalog import Catalog
from archive.outbox import Outbox
from archive.upload import queue_run
from crawler.feeds import repair_export
from pipelines.dedup import Deduplicator
from pipelines.dedupstore import SqliteDedupStore
from pipelines.urls import canonical_url
from spiders.incremental import FetchedStore

logger = logging.getLogger(__name__)


def interrupted_runs(data_dir: Path, current: str) -> dict[str, list[Path]]:
    """Run id -> export files, for earlier runs that wrote no report and were not
    recovered yet."""
    runs: dict[str, list[Path]] = {}
    for export in sorted((data_dir / "items").glob("*.jsonl")):
        name, _, run_id = export.stem.rpartition("-")
        if not name or name.endswith("-reextract") or run_id == current:
            continue
        # any kind of run's report (crawl-RUN.json, nightly-RUN.json) says it finished
        if any((data_dir / "reports").glob(f"*-{run_id}.json")) \
                or (data_dir / "state" / "runs" / run_id / "recovered.json").exists():
            continue
        runs.setdefault(run_id, []).append(export)
    return runs


def recover_interrupted_runs(data_dir: Path, current: str, settings: Any) -> list[dict[str, Any]]:
    runs = interrupted_runs(data_dir, current)
    if not runs:
        return []
    state = data_dir / "state"
    fetched = FetchedStore(Path(settings.get("INCREMENTAL_STATE") or state / "fetched.sqlite3"))
    store = SqliteDedupStore(Path(settings.get("DEDUP_STATE") or state / "dedup.sqlite3"))
    dedup = Deduplicator(store, settings.getfloat("DEDUP_THRESHOLD", 0.8),
                         settings.getfloat("DEDUP_CONTAINMENT", 0.85),
                         settings.getint("DEDUP_MIN_WORDS", 50))
    catalog = Catalog(Path(settings.get("CATALOG_PATH") or state / "catalog.sqlite3"))
    fingerprinter = RequestFingerprinter()
    out = []
    try:
        for run_id, exports in sorted(runs.items()):
            articles, cut = 0, 0
            for export in exports:
                cut += repair_export(export)
                for line in export.read_text(encoding="utf-8").splitlines():
                    try:
                        article = json.loads(line)
                    except ValueError:
                        logger.warning("%s: an unreadable line left as it is", export)
                        continue
                    articles += 1
                    _remember(article, fetched, dedup, catalog, fingerprinter, run_id)
            with Outbox.for_data(data_dir) as outbox:
                queue_run(outbox, data_dir, run_id, settings.get("WARC_PREFIX") or
                          "syria-archive", settings.getbool("S3_DELETE_UPLOADED", False),
                          snapshots=False)
            marker = state / "runs" / run_id / "recovered.json"
            marker.parent.mkdir(parents=True, exist_ok=True)
            marker.write_text(json.dumps({
                "run_id": run_id, "articles": articles, "torn_bytes_cut": cut,
                "recovered": datetime.now(UTC).isoformat(timespec="seconds")}) + "\n")
            logger.warning("Run %s was interrupted: its %d exported article(s) are now known "
                           "to the crawl state", run_id, articles)
            out.append({"run_id": run_id, "articles": articles, "torn_bytes_cut": cut})
    finally:
        fetched.close()
        store.close()
        catalog.close()
    return out


def _remember(article: dict[str, Any], fetched: FetchedStore, dedup: Deduplicator,
              catalog: Catalog, fingerprinter: RequestFingerprinter, run_id: str) -> None:
    url = article.get("url")
    if not url:
        return
    discovery = article.get("discovery") or {}
    record_id = (article.get("warc") or {}).get("record_id")
    for u in dict.fromkeys(filter(None, [discovery.get("url"), url])):
        fetched.put(fingerprinter.fingerprint(Request(u)).hex(), u, discovery.get("date"),
                    article.get("fetched_at") or "", record_id, replace=False)
    canonical = canonical_url(url, article.get("canonical_url"))
    _verdict, record = dedup.judge(canonical, article.get("text") or "",
                                   article.get("outlet") or "",
                                   new_version=bool(article.get("previous_version")))
    record()
    hit = catalog.find(url)
    if hit is None or hit.url != url:
        catalog.add(article, run_id)
