"""Deduplication: accuracy on the labelled syndication set, then speed at scale.

First the labelled syndication set (``tests/data/syndication.toml``, our own texts
labelled before the code ran): pairwise precision and recall of duplicates and of
translation links under the thresholds of ``crawler/settings.py``, each article's
verdict beside its label, the gaps between the cases that each threshold sits in,
and a sweep of each threshold.  Then, for each size (default 100,000 and 1,000,000
articles) it runs the project's Deduplicator over a fresh SQLite store and prints
ms per article, peak memory, recall of the planted duplicates (found, with the
right ``duplicate_of``) and false merges (articles not planted as copies that were
called duplicates).  Also compares MinHash signature speed of rensa and datasketch
on the same texts.  A measurement, not a test.
"""

from __future__ import annotations

import argparse
import itertools
import os
import random
import resource
import sys
import tempfile
import time
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]

import syndication  # noqa: E402  (tests/syndication.py: the labelled set and its scoring)

from archive.text import words  # noqa: E402
from pipelines.dedup import Deduplicator, DedupRules  # noqa: E402
from pipelines.dedupstore import SqliteDedupStore  # noqa: E402
from pipelines.facts import facts, overlap  # noqa: E402
from pipelines.similarity import NUM_PERM, shingles, signature  # noqa: E402


def vocabulary(size: int, rng: random.Random) -> tuple[list[str], list[float]]:
    """Words and their cumulative Zipf weights (as news prose has: a few very common)."""
    letters = "abcdefghijklmnopqrstuvwxyz"
    vocab = sorted({"".join(rng.choices(letters, k=rng.randint(2, 10))) for _ in range(size)})
    cumulative, total = [], 0.0
    for rank in range(len(vocab)):
        total += 1 / (rank + 1) ** 1.05
        cumulative.append(total)
    return vocab, cumulative


def article(rng: random.Random, vocab: list[str], weights: list[float]) -> list[str]:
    """Paragraphs of 25-60 words, 350-550 words in all."""
    paragraphs, total = [], 0
    target = rng.randint(350, 550)
    while total < target:
        n = rng.randint(25, 60)
        paragraphs.append(" ".join(rng.choices(vocab, cum_weights=weights, k=n)))
        total += n
    return paragraphs


def plant(rng: random.Random, source: list[str], vocab: list[str],
          weights: list[float]) -> list[str]:
    """A republished copy: new lead, trimmed ending, light edits, or a mix."""
    copy = list(source)
    kind = rng.choice(("lead", "trim", "edit", "lead+trim"))
    if "lead" in kind:
        copy[0] = " ".join(rng.choices(vocab, cum_weights=weights, k=len(copy[0].split())))
    if "trim" in kind:
        copy = copy[: max(3, len(copy) - rng.randint(1, 2))]
    if kind == "edit":
        edited = []
        for p in copy:
            ws = p.split()
            for _ in range(max(1, len(ws) // 40)):
                ws[rng.randrange(len(ws))] = rng.choice(vocab)
            edited.append(" ".join(ws))
        copy = edited
    return copy


def run(n: int, plant_rate: float, seed: int) -> None:
    rng = random.Random(seed)
    vocab, weights = vocabulary(30_000, rng)
    originals: list[tuple[str, list[str]]] = []
    planted: dict[str, str] = {}
    found = false_merges = wrong_target = 0
    with tempfile.TemporaryDirectory() as tmp:
        store = SqliteDedupStore(Path(tmp) / "dedup.sqlite3", commit_every=1000)
        dedup = Deduplicator(store)
        elapsed = 0.0
        for i in range(n):
            url = f"https://outlet{i % 16}.example/news/{i}"
            if originals and rng.random() < plant_rate:
                source_url, source = rng.choice(originals)
                text = "\n\n".join(plant(rng, source, vocab, weights))
                planted[url] = source_url
            else:
                paragraphs = article(rng, vocab, weights)
                text = "\n\n".join(paragraphs)
                if len(originals) < 50_000:
                    originals.append((url, paragraphs))
                elif rng.random() < 0.05:
                    originals[rng.randrange(len(originals))] = (url, paragraphs)
            start = time.perf_counter()
            # names=(): in a crawl the relevance verdict hands Syria's names over (its cost
            # is the relevance pipeline's); the synthetic words name none.
            verdict = dedup.check(url, text, f"outlet{i % 16}", names=())
            elapsed += time.perf_counter() - start
            if url in planted:
                if verdict["duplicate_of"] == planted[url]:
                    found += 1
                elif verdict["duplicate_of"]:
                    wrong_target += 1
            elif verdict["duplicate_of"]:
                false_merges += 1
        store.close()
        db_size = sum(f.stat().st_size for f in Path(tmp).iterdir())
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    clean = n - len(planted)
    print(f"{n:>9,} articles ({len(planted):,} planted copies): "
          f"{1000 * elapsed / n:.3f} ms/article, peak RSS {peak:.0f} MB, "
          f"state {db_size / 1e6:.0f} MB, "
          f"recall {found / max(1, len(planted)):.4f} (wrong original {wrong_target}), "
          f"false merges {false_merges} ({100 * false_merges / max(1, clean):.4f} %)")


def compare_minhash(count: int = 3000) -> None:
    rng = random.Random(1)
    vocab, weights = vocabulary(30_000, rng)
    texts = ["\n\n".join(article(rng, vocab, weights)) for _ in range(count)]
    start = time.perf_counter()
    for t in texts:
        signature(t)
    ours = time.perf_counter() - start
    line = (f"MinHash of {count} articles, {NUM_PERM} permutations: "
            f"rensa {1000 * ours / count:.3f} ms")
    try:
        from datasketch import MinHash
    except ImportError:
        print(line + " (datasketch not installed)")
        return
    start = time.perf_counter()
    for t in texts:
        m = MinHash(num_perm=NUM_PERM, seed=1)
        m.update_batch([s.encode() for s in shingles(words(t))])
    theirs = time.perf_counter() - start
    print(line + f", datasketch {1000 * theirs / count:.3f} ms per article")


# -- the labelled syndication set ------------------------------------------------------

def project_rules() -> DedupRules:
    from scrapy.utils.project import get_project_settings

    os.environ.setdefault("SCRAPY_SETTINGS_MODULE", "crawler.settings")
    return DedupRules.from_settings(get_project_settings())


def expected(article: syndication.Labelled, seen: list[syndication.Labelled]) -> str:
    for other in seen:
        if other.story == article.story:
            kind = "duplicate of" if other.language == article.language else "translation of"
            return f"{kind} {other.id}"
    return "new"


def got(verdict: dict, ids: dict[str, str]) -> str:
    if verdict["duplicate_of"]:
        return f"duplicate of {ids[verdict['duplicate_of']]} ({verdict['similarity']:.2f})"
    if verdict.get("translation_of"):
        return f"translation of {ids[verdict['translation_of']]}"
    return "new"


def gaps(articles: list[syndication.Labelled], rules: DedupRules) -> None:
    """The scores each threshold separates, from the same estimates the rules use."""
    sigs = {a.id: signature(a.text) for a in articles}
    fs = {a.id: facts(a.text, syndication.names(a)) for a in articles}
    dup_c, other_c, dup_conflict, templ_conflict = [], [], [], []
    trans, not_trans = [], []
    for a, b in itertools.combinations(articles, 2):
        if a.language == b.language:
            j = sigs[a.id].jaccard(sigs[b.id])
            c = sigs[a.id].containment(sigs[b.id], j)
            conflict = rules.conflict(fs[a.id], fs[b.id])
            pair = f"{a.id}-{b.id}"
            if a.story == b.story:
                dup_c.append((c, pair))
                dup_conflict.append((conflict, pair))
            elif conflict <= rules.facts_conflict:
                other_c.append((c, pair))
            if a.story != b.story and c >= rules.containment:
                templ_conflict.append((conflict, pair))
        else:
            shared, share = overlap(fs[a.id], fs[b.id])
            (trans if a.story == b.story else not_trans).append((share, f"{a.id}-{b.id}"))

    def line(name: str, low: tuple[float, str], high: tuple[float, str], chosen: float) -> None:
        print(f"  {name:<28} duplicates/links from {low[0]:.3f} ({low[1]}), others up to "
              f"{high[0]:.3f} ({high[1]}): midpoint {(low[0] + high[0]) / 2:.3f}, "
              f"setting {chosen}")

    print("Gaps the thresholds sit in (MinHash estimates, as the rules see them):")
    line("DEDUP_CONTAINMENT", min(dup_c), max(other_c), rules.containment)
    facts_high = max(dup_conflict)
    facts_low = min(templ_conflict)
    print(f"  {'DEDUP_FACTS_CONFLICT':<28} duplicates up to {facts_high[0]:.3f} "
          f"({facts_high[1]}), look-alikes above the containment threshold from "
          f"{facts_low[0]:.3f} ({facts_low[1]}): midpoint "
          f"{(facts_high[0] + facts_low[0]) / 2:.3f}, setting {rules.facts_conflict}")
    line("DEDUP_TRANSLATION_OVERLAP", min(trans), max(not_trans), rules.translation_overlap)


def sweep(articles: list[syndication.Labelled], rules: DedupRules, name: str, attr: str,
          values: list[float], kind: str, **fixed: float) -> None:
    cells = []
    for value in values:
        s = syndication.score(articles, syndication.run(
            articles, replace(rules, **{attr: value}, **fixed)))[kind]
        mark = "*" if abs(value - getattr(rules, attr)) < 1e-9 else " "
        cells.append(f"{value:.2f}{mark}P{s.precision:.2f}/R{s.recall:.2f}")
    print(f"  {name:<34} " + "  ".join(cells))


def labelled() -> None:
    articles = syndication.load()
    rules = project_rules()
    verdicts = syndication.run(articles, rules)
    scores = syndication.score(articles, verdicts)
    pairs = len(articles) * (len(articles) - 1) // 2
    print(f"Labelled syndication set ({syndication.SET.relative_to(ROOT)}): {len(articles)} "
          f"articles, {pairs} pairs; thresholds from crawler/settings.py")
    for kind, s in scores.items():
        print(f"  {kind + 's':<13} precision {s.precision:.3f}  recall {s.recall:.3f}  "
              f"({s.tp} found, {s.fp} false, {s.fn} missed"
              + (f": false {s.false_pairs}" if s.false_pairs else "")
              + (f" missed {s.missed_pairs}" if s.missed_pairs else "") + ")")
    old = replace(rules, containment=0.85, facts_conflict=1.0, translations=False)
    before = syndication.score(articles, syndication.run(articles, old))
    print(f"  before this set (containment 0.85, no facts, no translations): duplicates "
          f"precision {before['duplicate'].precision:.3f} recall "
          f"{before['duplicate'].recall:.3f}; containment 0.65 without facts: duplicates "
          "precision " + "{:.3f}".format(syndication.score(articles, syndication.run(
              articles, replace(rules, facts_conflict=1.0)))["duplicate"].precision))
    ids = {syndication.canonical_url(a.url): a.id for a in articles}
    print(f"  {'id':<5} {'outlet':<14} {'case':<62} {'label':<18} verdict")
    for i, a in enumerate(articles):
        label = expected(a, articles[:i])
        verdict = got(verdicts[a.id], ids)
        ok = "ok" if verdict.split(" (")[0] == label else "WRONG"
        print(f"  {a.id:<5} {a.outlet:<14} {a.case[:62]:<62} {label:<18} {verdict}  {ok}")
    gaps(articles, rules)
    print("Sweeps (pairwise precision/recall; * = the setting):")
    grid = [round(0.45 + 0.05 * i, 2) for i in range(10)]
    sweep(articles, rules, "DEDUP_CONTAINMENT, facts on", "containment", grid, "duplicate")
    sweep(articles, rules, "DEDUP_CONTAINMENT, facts off", "containment", grid, "duplicate",
          facts_conflict=1.0)
    sweep(articles, rules, "DEDUP_FACTS_CONFLICT", "facts_conflict",
          [round(0.1 + 0.05 * i, 2) for i in range(9)], "duplicate")
    sweep(articles, rules, "DEDUP_TRANSLATION_OVERLAP", "translation_overlap",
          [round(0.5 + 0.05 * i, 2) for i in range(10)], "translation")
    print()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="100000,1000000",
                        help="synthetic corpus sizes, comma-separated ('' for none)")
    parser.add_argument("--plant-rate", type=float, default=0.05)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    print(f"{datetime.now(UTC):%Y-%m-%d %H:%M} UTC, {os.cpu_count()} cores, "
          f"{os.uname().nodename}")
    labelled()
    compare_minhash()
    for n in (int(s) for s in args.sizes.split(",") if s):
        run(n, args.plant_rate, args.seed)


if __name__ == "__main__":
    main()
