"""Deduplication of articles across URLs, outlets and nights.

For each article, in this order: its canonical URL (``pipelines.urls``) seen
before -> ``url`` duplicate; the same normalised text seen under another URL
-> ``exact``; a MinHash LSH candidate whose estimated Jaccard similarity
reaches ``DEDUP_THRESHOLD``, or which contains it (a trimmed or re-topped wire
copy) to ``DEDUP_CONTAINMENT`` -> ``near``; otherwise ``new``.  A re-fetched
update of an archived article is ``new_version``.  Duplicates are recorded,
never dropped: the item keeps ``duplicate_of`` (the canonical URL of the
first-seen original), ``similarity`` and ``cluster_id``, and goes on to the
export, the catalog and the WARC metadata record.

Settings read: ``DEDUP_ENABLED``, ``DEDUP_THRESHOLD`` (0.8), ``DEDUP_CONTAINMENT``
(0.85), ``DEDUP_MIN_WORDS`` (texts shorter than this are only matched exactly),
``DEDUP_STATE`` (default ``DATA_DIR/state/dedup.sqlite3``); with ``REDIS_URL`` set, the
index lives in that Redis under ``REDIS_PREFIX`` (:mod:`pipelines.dedupredis`).
Stats: ``dedup/new``, ``dedup/url``, ``dedup/exact``, ``dedup/near``,
``dedup/new_version``.
"""

from __future__ import annotations

import hashlib
import logging
from pathlib import Path
from typing import Any

from itemadapter import ItemAdapter
from scrapy import signals
from scrapy.crawler import Crawler
from scrapy.exceptions import NotConfigured
from scrapy.statscollectors import StatsCollector

from archive.text import words
from pipelines.dedupredis import RedisDedupStore
from pipelines.dedupstore import DedupStore, Original, SqliteDedupStore, StoreConflict
from pipelines.similarity import exact_fingerprint, signature
from pipelines.urls import canonical_url, url_key

logger = logging.getLogger(__name__)


def cluster_id(canonical: str) -> str:
    return hashlib.sha1(canonical.encode("utf-8")).hexdigest()[:16]


class Deduplicator:
    """The decision, apart from Scrapy: text and URL in, verdict out."""

    def __init__(self, store: DedupStore, threshold: float = 0.8, containment: float = 0.85,
                 min_words: int = 50) -> None:
        self.store = store
        self.threshold = threshold
        self.containment = containment
        self.min_words = min_words

    def _verdict(self, kind: str, original: Original, similarity: float) -> dict[str, Any]:
        return {"dedup": kind, "duplicate_of": original.canonical,
                "similarity": round(similarity, 3), "cluster_id": original.cluster}

    def check(self, canonical: str, text: str, outlet: str,
              new_version: bool = False) -> dict[str, Any]:
        while True:
            try:
                return self._check(canonical, text, outlet, new_version)
            except StoreConflict:
                # Another worker filed a matching article meanwhile (shared stores only).
                continue

    def _check(self, canonical: str, text: str, outlet: str,
               new_version: bool) -> dict[str, Any]:
        key = url_key(canonical)
        known = self.store.by_url(key)
        if known is not None:
            if new_version:
                return {"dedup": "new_version", "duplicate_of": None, "similarity": None,
                        "cluster_id": known.cluster}
            return self._verdict("url", known, 1.0)
        tokens = words(text)
        fingerprint = exact_fingerprint(tokens)
        same = self.store.by_fingerprint(fingerprint)
        if same is not None:
            self.store.add_alias(key, same)
            return self._verdict("exact", same, 1.0)
        sig = signature(tokens)
        if len(tokens) >= self.min_words:
            best, best_j, best_c = None, 0.0, 0.0
            for cand in self.store.candidates(sig.bands()):
                assert cand.signature is not None
                j = sig.jaccard(cand.signature)
                c = sig.containment(cand.signature, j)
                if (j, c) > (best_j, best_c):
                    best, best_j, best_c = cand, j, c
            if best is not None and (best_j >= self.threshold or best_c >= self.containment):
                self.store.add_alias(key, best)
                return self._verdict("near", best, max(best_j, best_c))
        original = self.store.add_original(key, canonical, outlet, cluster_id(key),
                                           fingerprint, sig)
        return {"dedup": "new", "duplicate_of": None, "similarity": None,
                "cluster_id": original.cluster}


class DedupPipeline:
    def __init__(self, dedup: Deduplicator, stats: StatsCollector) -> None:
        self.dedup = dedup
        self.stats = stats

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> DedupPipeline:
        s = crawler.settings
        if not s.getbool("DEDUP_ENABLED", True):
            raise NotConfigured("DEDUP_ENABLED is off")
        assert crawler.stats is not None
        store: SqliteDedupStore | RedisDedupStore
        if s.get("REDIS_URL"):
            # A distributed crawl: one index for all workers (redis imported only then).
            from archive.redisdb import from_settings

            server, keys = from_settings(s)
            store = RedisDedupStore(server, keys.prefix)
        else:
            store = SqliteDedupStore(Path(s.get("DEDUP_STATE") or Path(s.get("DATA_DIR", "data"))
                                          / "state" / "dedup.sqlite3"))
        pipeline = cls(Deduplicator(store, s.getfloat("DEDUP_THRESHOLD", 0.8),
                                    s.getfloat("DEDUP_CONTAINMENT", 0.85),
                                    s.getint("DEDUP_MIN_WORDS", 50)), crawler.stats)
        crawler.signals.connect(store.close, signal=signals.spider_closed)
        return pipeline

    def process_item(self, item: Any) -> Any:
        a = ItemAdapter(item)
        canonical = canonical_url(a["url"], a.get("canonical_url"))
        a["canonical_url"] = canonical
        verdict = self.dedup.check(canonical, a.get("text") or "", a.get("outlet") or "",
                                   new_version=bool(a.get("previous_version")))
        for key, value in verdict.items():
            a[key] = value
        self.stats.inc_value(f"dedup/{verdict['dedup']}")
        if verdict["duplicate_of"]:
            logger.debug("%s is a %s duplicate of %s (%.3f)", a["url"], verdict["dedup"],
                         verdict["duplicate_of"], verdict["similarity"])
        return item


class OriginalsOnly:
    """A feed-export item filter keeping originals only (``DEDUP_EXPORT = "originals"``):
    duplicates are still deduplicated, catalogued and archived, just not exported."""

    def __init__(self, feed_options: dict[str, Any] | None = None) -> None:
        self.feed_options = feed_options

    def accepts(self, item: Any) -> bool:
        return not ItemAdapter(item).get("duplicate_of")
