"""The labelled syndication set (``tests/data/syndication.toml``) and its scoring.

Used by ``tests/test_syndication.py`` and by ``make bench-dedup``.  The set's labels
were written with its texts, before the code ran over them: articles of one story in
one language are duplicates, in two languages translations; any other pair must stay
apart.  :func:`run` feeds the articles, in order of publication, to the project's
Deduplicator over a fresh store; :func:`score` counts pairs, the way dedup is judged in
the literature: a pair is found when the verdicts put both articles in one duplicate
cluster (or link their clusters as translations).
"""

from __future__ import annotations

import itertools
import tempfile
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pipelines.dedup import Deduplicator, DedupRules
from pipelines.dedupstore import SqliteDedupStore
from pipelines.relevance import judge
from pipelines.urls import canonical_url

SET = Path(__file__).resolve().parent / "data" / "syndication.toml"


@dataclass(frozen=True)
class Labelled:
    id: str
    story: str
    case: str
    outlet: str
    language: str
    url: str
    published: str
    title: str
    text: str


def load(path: Path = SET) -> list[Labelled]:
    rows = tomllib.loads(path.read_text(encoding="utf-8"))["article"]
    out = [Labelled(id=r["id"], story=r["story"], case=r["case"], outlet=r["outlet"],
                    language=r["language"], url=r["url"], published=r["published"],
                    title=r["title"], text="\n\n".join(r["body"])) for r in rows]
    return sorted(out, key=lambda a: a.published)


def names(a: Labelled) -> list[str]:
    """Syria's names in the article, as the relevance pipeline hands them to dedup."""
    return judge([a.title], a.text).terms


def groups() -> dict[str, str]:
    """Outlet id -> its group, from the registry (an outlet alone is its own group)."""
    from crawler.registry import Registry

    return {o.id: o.group or o.id for o in Registry.load()}


def run(articles: list[Labelled], rules: DedupRules | None = None,
        outlet_groups: dict[str, str] | None = None) -> dict[str, dict[str, Any]]:
    """Article id -> the deduplicator's verdict, over a fresh store."""
    outlet_groups = outlet_groups if outlet_groups is not None else groups()
    with tempfile.TemporaryDirectory() as tmp:
        store = SqliteDedupStore(Path(tmp) / "dedup.sqlite3")
        dedup = Deduplicator(store, rules=rules)
        verdicts = {a.id: dedup.check(canonical_url(a.url), a.text, a.outlet,
                                      language=a.language, published=a.published,
                                      group=outlet_groups.get(a.outlet, a.outlet),
                                      names=names(a))
                    for a in articles}
        store.close()
    return verdicts


@dataclass
class PairScore:
    tp: int = 0
    fp: int = 0
    fn: int = 0
    false_pairs: list[tuple[str, str]] = field(default_factory=list)
    missed_pairs: list[tuple[str, str]] = field(default_factory=list)

    @property
    def precision(self) -> float:
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else 1.0

    @property
    def recall(self) -> float:
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else 1.0


def score(articles: list[Labelled],
          verdicts: dict[str, dict[str, Any]]) -> dict[str, PairScore]:
    """Pairwise precision and recall of duplicates and of translation links."""
    by_canonical = {canonical_url(a.url): a.id for a in articles}
    cluster = {a.id: a.id for a in articles}  # each article -> its original's id
    for a in articles:
        target = verdicts[a.id].get("duplicate_of")
        if target:
            cluster[a.id] = cluster[by_canonical[target]]
    links = set()
    for a in articles:
        target = verdicts[a.id].get("translation_of")
        if target:
            links.add(frozenset((cluster[a.id], cluster[by_canonical[target]])))
    result = {"duplicate": PairScore(), "translation": PairScore()}
    for a, b in itertools.combinations(articles, 2):
        same_story = a.story == b.story
        truth = ("duplicate" if same_story and a.language == b.language
                 else "translation" if same_story else None)
        found = ("duplicate" if cluster[a.id] == cluster[b.id]
                 else "translation" if frozenset((cluster[a.id], cluster[b.id])) in links
                 else None)
        for kind, s in result.items():
            if truth == kind and found == kind:
                s.tp += 1
            elif found == kind:
                s.fp += 1
                s.false_pairs.append((a.id, b.id))
            elif truth == kind:
                s.fn += 1
                s.missed_pairs.append((a.id, b.id))
    return result
