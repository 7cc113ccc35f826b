"""``syria-archive dedup``: the dedup rules over a file of articles, apart from the archive.

Every article of a dataset (:mod:`archive.datasets`: what ``export`` writes, or any
file with ``url``, ``outlet``, ``language``, ``title``, ``text`` or ``body`` and
``published``) goes through the same :class:`pipelines.dedup.Deduplicator` a crawl
uses, over a fresh index in a temporary folder: the archive's state is never opened.
Articles are taken in the file's order, so the first of a story in the file is its
original (``export`` writes in order of publication).  Each comes back with the
verdict a crawl would give it: ``dedup``, ``duplicate_of``, ``similarity``,
``cluster_id``, ``translation_of`` (and ``canonical_url``; ``is_duplicate`` when
the file has that column).

Settings read: the ``DEDUP_*`` thresholds (``crawler/settings.py``, overridden with
``-s``), ``OUTLETS_PATHS`` (the registry's outlet groups, for translation links; an
outlet the registry does not know is its own group).
"""

from __future__ import annotations

import tempfile
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from archive.datasets import article_text, iter_articles
from pipelines.dedup import VERDICT_FIELDS, Deduplicator, DedupRules
from pipelines.dedupstore import SqliteDedupStore
from pipelines.relevance import judge
from pipelines.urls import canonical_url

#: What ``--verdicts`` keeps of an article besides its verdict.
BRIEF_FIELDS = ("url", "canonical_url", "outlet", "language", "title", "published")


class FileDedup:
    """Runs the rules over one file; :attr:`counts` holds the verdicts once done."""

    def __init__(self, rules: DedupRules, groups: dict[str, str]) -> None:
        self.rules = rules
        self.groups = groups
        self.counts: Counter[str] = Counter()

    def run(self, path: Path, fmt: str | None = None, progress: bool = False,
            total: int | None = None) -> Iterator[dict[str, Any]]:
        from tqdm import tqdm

        with tempfile.TemporaryDirectory(prefix="syria-archive-dedup-") as tmp:
            store = SqliteDedupStore(Path(tmp) / "dedup.sqlite3", commit_every=10_000)
            dedup = Deduplicator(store, rules=self.rules)
            try:
                articles = tqdm(iter_articles(path, fmt), total=total, unit=" articles",
                                disable=not progress)
                for article in articles:
                    yield self.judge(dedup, article)
            finally:
                store.close()

    def judge(self, dedup: Deduplicator, article: dict[str, Any]) -> dict[str, Any]:
        outlet = str(article.get("outlet") or "")
        canonical = canonical_url(article["url"], article.get("canonical_url"))
        text = article_text(article)
        verdict = dedup.check(canonical, text, outlet, language=article.get("language"),
                              published=article.get("published"),
                              group=self.groups.get(outlet, outlet),
                              names=names_in(article, text))
        self.counts[verdict["dedup"]] += 1
        if verdict["translation_of"]:
            self.counts["translation"] += 1
        out = {**article, "canonical_url": canonical, **verdict}
        if "is_duplicate" in article:
            out["is_duplicate"] = bool(verdict["duplicate_of"])
        return out

    def summary(self) -> str:
        total = sum(v for k, v in self.counts.items() if k != "translation")
        kinds = ", ".join(f"{self.counts[k]} {k}" for k in ("new", "url", "exact", "near")
                          if self.counts[k])
        return (f"{total} article(s): {kinds or 'none'}; "
                f"{self.counts['translation']} translation link(s)")


def names_in(article: dict[str, Any], text: str) -> list[str]:
    """Syria's names in the article, as the crawl's relevance verdict finds them (title,
    subtitle, tags and text), so that the facts compared are the crawl's."""
    tags = article.get("tags")
    tags = " ; ".join(tags) if isinstance(tags, list) else tags
    return judge([article.get("title"), article.get("subtitle"), tags], text).terms


def brief(article: dict[str, Any]) -> dict[str, Any]:
    return {k: article.get(k) for k in (*BRIEF_FIELDS, *VERDICT_FIELDS)}
