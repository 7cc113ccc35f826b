"""Deduplication of articles across URLs, outlets and nights, and translation links.

For each article, in this order: its canonical URL (``pipelines.urls``) seen
before -> ``url`` duplicate; the same normalised text seen under another URL
-> ``exact``; a MinHash LSH candidate that contains the shorter of the two texts
to ``DEDUP_CONTAINMENT`` (a wire copy with a rewritten lede, a cut ending and the
outlet's own boilerplate), or whose estimated Jaccard similarity reaches
``DEDUP_THRESHOLD``, and whose facts agree (:mod:`pipelines.facts`: no more than
``DEDUP_FACTS_CONFLICT`` of the weighted figures and places of either text missing
from the other, so that daily reports cut from one template stay apart) -> ``near``;
otherwise ``new``.  A re-fetched update of an archived article is ``new_version``.
Duplicates are recorded, never dropped: the item keeps ``duplicate_of`` (the
canonical URL of the first-seen original), ``similarity`` and ``cluster_id``, and
goes on to the export, the catalog and the WARC metadata record.

A new article is also compared with the originals of its outlet group (the
registry's ``group``: an outlet's editions in other languages) in the other
language, published within ``DEDUP_TRANSLATION_DAYS``: when their facts overlap to
``DEDUP_TRANSLATION_OVERLAP`` with at least ``DEDUP_TRANSLATION_MIN_FACTS`` of
weight in common, the item gets ``translation_of`` (the canonical URL of the
first-seen article in the other language).  A translation is not a duplicate: it
stays ``new``, in a cluster of its own.

Settings read: ``DEDUP_ENABLED``, ``DEDUP_THRESHOLD`` (0.8), ``DEDUP_CONTAINMENT``
(0.65), ``DEDUP_FACTS_CONFLICT`` (0.25), ``DEDUP_FACTS_MIN`` (2.0: fewer facts than
this weight are no evidence), ``DEDUP_MIN_WORDS`` (texts shorter than this are only
matched exactly), ``DEDUP_TRANSLATIONS`` (True), ``DEDUP_TRANSLATION_DAYS`` (2),
``DEDUP_TRANSLATION_OVERLAP`` (0.75), ``DEDUP_TRANSLATION_MIN_FACTS`` (3.0),
``DEDUP_STATE`` (default ``DATA_DIR/state/dedup.sqlite3``; with ``REDIS_URL`` set, the
index lives in that Redis under ``REDIS_PREFIX``, :mod:`pipelines.dedupredis`, and the
turn between verdict and record is taken across all workers).  The outlet and its
group come from the spider's registry entry.  Thresholds were chosen on the
labelled set ``tests/data/syndication.toml`` (``make bench-dedup`` prints them).
A verdict is recorded in the dedup state once its article is exported
(``item_scraped``), not before: a crawl killed in between judges the article
the same way when it fetches it again.
Stats: ``dedup/new``, ``dedup/url``, ``dedup/exact``, ``dedup/near``,
``dedup/new_version``, ``dedup/translation``, ``dedup/facts_veto``.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from functools import partial
from pathlib import Path
from typing import Any

from itemadapter import ItemAdapter
from scrapy import signals
from scrapy.crawler import Crawler
from scrapy.exceptions import NotConfigured
from scrapy.settings import BaseSettings
from scrapy.statscollectors import StatsCollector
from scrapy.utils.defer import maybe_deferred_to_future
from twisted.internet.defer import DeferredLock

from archive.statedb import close_off_reactor
from archive.text import folded_words
from pipelines.dedupredis import RedisDedupStore, RedisTurn
from pipelines.dedupstore import DedupStore, Original, SqliteDedupStore
from pipelines.facts import facts, missing, overlap, total
from pipelines.similarity import Signature, exact_fingerprint, signature
from pipelines.urls import canonical_url, url_key

logger = logging.getLogger(__name__)

#: The verdict's fields, as the item and the export carry them.
VERDICT_FIELDS = ("dedup", "duplicate_of", "similarity", "cluster_id", "translation_of")


def cluster_id(canonical: str) -> str:
    return hashlib.sha1(canonical.encode("utf-8")).hexdigest()[:16]


def day_number(published: str | None) -> int | None:
    """The UTC day of an ISO 8601 date, as a day count (None when there is no date)."""
    if not published:
        return None
    try:
        moment = datetime.fromisoformat(published)
    except ValueError:
        return None
    if moment.tzinfo is not None:
        moment = moment.astimezone(UTC)
    return moment.toordinal()


@dataclass(frozen=True)
class DedupRules:
    """The thresholds of the rules (see the module docstring)."""

    threshold: float = 0.8
    containment: float = 0.65
    facts_conflict: float = 0.25
    facts_min: float = 2.0
    min_words: int = 50
    translations: bool = True
    translation_days: int = 2
    translation_overlap: float = 0.75
    translation_min_facts: float = 3.0

    @classmethod
    def from_settings(cls, s: BaseSettings) -> DedupRules:
        return cls(
            threshold=s.getfloat("DEDUP_THRESHOLD", cls.threshold),
            containment=s.getfloat("DEDUP_CONTAINMENT", cls.containment),
            facts_conflict=s.getfloat("DEDUP_FACTS_CONFLICT", cls.facts_conflict),
            facts_min=s.getfloat("DEDUP_FACTS_MIN", cls.facts_min),
            min_words=s.getint("DEDUP_MIN_WORDS", cls.min_words),
            translations=s.getbool("DEDUP_TRANSLATIONS", cls.translations),
            translation_days=s.getint("DEDUP_TRANSLATION_DAYS", cls.translation_days),
            translation_overlap=s.getfloat("DEDUP_TRANSLATION_OVERLAP",
                                           cls.translation_overlap),
            translation_min_facts=s.getfloat("DEDUP_TRANSLATION_MIN_FACTS",
                                             cls.translation_min_facts),
        )

    def conflict(self, mine: frozenset[str], theirs: frozenset[str] | None) -> float:
        """How far two texts' facts disagree: the smaller of the two shares missing from
        the other (a cut copy lacks facts of the original, not the other way round);
        0 when either side has too few facts to say."""
        if theirs is None or min(total(mine), total(theirs)) < self.facts_min:
            return 0.0
        return min(missing(mine, theirs), missing(theirs, mine))


class Deduplicator:
    """The decision, apart from Scrapy: text and URL in, verdict out."""

    def __init__(self, store: DedupStore, threshold: float | None = None,
                 containment: float | None = None, min_words: int | None = None,
                 rules: DedupRules | None = None) -> None:
        rules = rules or DedupRules()
        if threshold is not None:
            rules = replace(rules, threshold=threshold)
        if containment is not None:
            rules = replace(rules, containment=containment)
        if min_words is not None:
            rules = replace(rules, min_words=min_words)
        self.store = store
        self.rules = rules
        self.threshold = rules.threshold
        self.containment = rules.containment
        self.min_words = rules.min_words
        self.vetoed = 0  # candidates refused because their facts disagree, in all

    def _verdict(self, kind: str, original: Original, similarity: float) -> dict[str, Any]:
        return {"dedup": kind, "duplicate_of": original.canonical,
                "similarity": round(similarity, 3), "cluster_id": original.cluster,
                "translation_of": None}

    def _near(self, sig: Signature, mine: frozenset[str]) -> tuple[Original, float] | None:
        """The most similar candidate that passes the thresholds and whose facts agree."""
        passing = []
        for cand in self.store.candidates(sig.band_keys):
            assert cand.signature is not None
            j = sig.jaccard(cand.signature)
            c = sig.containment(cand.signature, j)
            if j >= self.threshold or c >= self.containment:
                passing.append((c, j, cand.id, cand))
        for c, j, _, cand in sorted(passing, key=lambda p: p[:3], reverse=True):
            if self.rules.conflict(mine, cand.facts) > self.rules.facts_conflict:
                self.vetoed += 1
                continue
            return cand, max(j, c)
        return None

    def _translation(self, mine: frozenset[str], language: str | None, group: str | None,
                     day: int | None) -> Original | None:
        rules = self.rules
        if not (rules.translations and language and group and day is not None):
            return None
        best, best_score = None, (0.0, 0.0)
        for cand in self.store.translation_candidates(group, language,
                                                      day - rules.translation_days,
                                                      day + rules.translation_days):
            assert cand.facts is not None
            shared, share = overlap(mine, cand.facts)
            if (shared >= rules.translation_min_facts and share >= rules.translation_overlap
                    and (share, shared) > best_score):
                best, best_score = cand, (share, shared)
        return best

    def check(self, canonical: str, text: str, outlet: str,
              new_version: bool = False, *, language: str | None = None,
              published: str | None = None, group: str | None = None,
              names: Iterable[str] | None = None) -> dict[str, Any]:
        """The verdict, recorded in the store at once (see :meth:`judge`)."""
        verdict, record = self.judge(canonical, text, outlet, new_version,
                                     language=language, published=published, group=group,
                                     names=names)
        record()
        return verdict

    def judge(self, canonical: str, text: str, outlet: str,
              new_version: bool = False, *, language: str | None = None,
              published: str | None = None, group: str | None = None,
              names: Iterable[str] | None = None
              ) -> tuple[dict[str, Any], Callable[[], None]]:
        """The verdict on one article (``dedup``, ``duplicate_of``, ``similarity``,
        ``cluster_id``, ``translation_of``) and what records it in the store: the crawl
        records it only once the article is exported, so that an article whose run was
        killed before its export is judged again the same way when it is fetched again.
        ``group`` is the outlet's group (the outlet itself when it has none);
        ``language`` and ``published`` (ISO 8601) are needed for translation links;
        ``names`` are the gazetteer names the article mentions (the relevance verdict's
        ``terms``), found in ``text`` when not given."""
        key = url_key(canonical)
        known = self.store.by_url(key)
        if known is not None:
            if new_version:
                return {"dedup": "new_version", "duplicate_of": None, "similarity": None,
                        "cluster_id": known.cluster, "translation_of": None}, _nothing
            return self._verdict("url", known, 1.0), _nothing
        folded, tokens = folded_words(text)
        fingerprint = exact_fingerprint(tokens)
        same = self.store.by_fingerprint(fingerprint)
        if same is not None:
            return self._verdict("exact", same, 1.0), partial(self._alias, key, same)
        sig = signature(tokens)
        mine = facts(text, names, folded=folded)
        if len(tokens) >= self.min_words:
            found = self._near(sig, mine)
            if found is not None:
                return (self._verdict("near", found[0], found[1]),
                        partial(self._alias, key, found[0]))
        day = day_number(published)
        group = group or outlet
        translated = self._translation(mine, language, group, day)
        cluster = cluster_id(key)

        def record() -> None:
            if self.store.by_url(key) is None:
                self.store.add_original(key, canonical, outlet, cluster, fingerprint, sig,
                                        facts=mine, language=language, group=group, day=day)

        return {"dedup": "new", "duplicate_of": None, "similarity": None,
                "cluster_id": cluster,
                "translation_of": translated.canonical if translated else None}, record

    def _alias(self, key: str, original: Original) -> None:
        if self.store.by_url(key) is None:
            self.store.add_alias(key, original)


def _nothing() -> None:
    return None


_TURNS: dict[str, DeferredLock] = {}


class DedupPipeline:
    def __init__(self, dedup: Deduplicator, stats: StatsCollector,
                 group: str | None = None, turn: Any = None) -> None:
        self.dedup = dedup
        self.stats = stats
        self.group = group
        # Verdicts waiting for their article to be exported (item_scraped).  One article
        # at a time between verdict and export, across every spider of the process that
        # shares the store, so each verdict sees the ones before it.
        self._pending: dict[int, Callable[[], None]] = {}
        local = _TURNS.setdefault(str(getattr(dedup.store, "path", id(dedup.store))),
                                  DeferredLock())
        # A distributed crawl: the turn is taken across all workers (pipelines.dedupredis).
        self._turn = turn(local) if turn is not None else local

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> DedupPipeline:
        s = crawler.settings
        if not s.getbool("DEDUP_ENABLED", True):
            raise NotConfigured("DEDUP_ENABLED is off")
        assert crawler.stats is not None
        store: SqliteDedupStore | RedisDedupStore
        turn = None
        if s.get("REDIS_URL"):
            # A distributed crawl: one index for all workers (redis imported only then).
            from archive.redisdb import from_settings

            server, keys = from_settings(s)
            store = RedisDedupStore(server, keys.prefix)
            turn = partial(RedisTurn, server, keys("dedup", "turn"))
        else:
            store = SqliteDedupStore(Path(s.get("DEDUP_STATE") or Path(s.get("DATA_DIR", "data"))
                                          / "state" / "dedup.sqlite3"))
        # The outlet's registry entry names its group (its editions in other languages).
        outlet = getattr(crawler.spidercls, "outlet", None)
        group = (getattr(outlet, "group", None) or getattr(outlet, "id", None)) if outlet else None
        pipeline = cls(Deduplicator(store, rules=DedupRules.from_settings(s)), crawler.stats,
                       group, turn)
        crawler.signals.connect(pipeline.item_scraped, signal=signals.item_scraped)
        crawler.signals.connect(pipeline.item_lost, signal=signals.item_dropped)
        crawler.signals.connect(pipeline.item_lost, signal=signals.item_error)
        crawler.signals.connect(pipeline.spider_closed, signal=signals.spider_closed)
        return pipeline

    async def spider_closed(self) -> None:
        store = self.dedup.store
        if isinstance(store, SqliteDedupStore):
            await close_off_reactor(store.close)
        elif isinstance(store, RedisDedupStore):
            store.close()

    def item_scraped(self, item: Any) -> None:
        record = self._pending.pop(id(item), None)
        if record is not None:
            try:
                record()
            finally:
                self._turn.release()

    def item_lost(self, item: Any) -> None:
        if self._pending.pop(id(item), None) is not None:
            self._turn.release()

    async def process_item(self, item: Any) -> Any:
        await maybe_deferred_to_future(self._turn.acquire())
        try:
            return self._judge(item)
        except BaseException:
            self._turn.release()
            raise

    def _judge(self, item: Any) -> Any:
        a = ItemAdapter(item)
        canonical = canonical_url(a["url"], a.get("canonical_url"))
        a["canonical_url"] = canonical
        vetoed = self.dedup.vetoed
        # The relevance pipeline has found Syria's names already: not searched twice.
        relevance = a.get("relevance") if "relevance" in a.field_names() else None
        verdict, record = self.dedup.judge(
            canonical, a.get("text") or "", a.get("outlet") or "",
            new_version=bool(a.get("previous_version")), language=a.get("language"),
            published=a.get("published"), group=self.group,
            names=relevance.get("terms") if relevance else None)
        self._pending[id(item)] = record
        for key, value in verdict.items():
            a[key] = value
        self.stats.inc_value(f"dedup/{verdict['dedup']}")
        if self.dedup.vetoed > vetoed:
            self.stats.inc_value("dedup/facts_veto", self.dedup.vetoed - vetoed)
        if verdict["translation_of"]:
            self.stats.inc_value("dedup/translation")
            logger.debug("%s is a translation of %s", a["url"], verdict["translation_of"])
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
