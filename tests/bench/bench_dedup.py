"""Deduplication: accuracy on the labelled syndication set, then speed at scale.

First the labelled syndication set (``tests/data/syndication.toml``, our own texts
labelled before the code ran): pairwise precision and recall of duplicates and of
translation links under the thresholds of ``crawler/settings.py``, each article's
verdict beside its label, the gaps between the cases that each threshold sits in,
and a sweep of each threshold.  Then, for each size (default 100,000 and 1,000,000
articles) it runs the project's Deduplicator over a fresh SQLite store and prints
ms per article, peak memory, recall of the planted duplicates (found, with the
right ``duplicate_of``) and false merges (articles not planted as copies that were
called duplicates), on texts with the word frequencies of real English and Arabic
(``corpus.py``).  Also compares MinHash signature speed of rensa and datasketch
on the same texts.  A measurement, not a test.
"""

from __future__ import annotations

import argparse
import itertools
import json
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
sys.path[:0] = [str(ROOT), str(ROOT / "tests"), str(ROOT / "tests" / "bench")]

import syndication  # noqa: E402  (tests/syndication.py: the labelled set and its scoring)

from archive.text import words  # noqa: E402
from pipelines.dedup import Deduplicator, DedupRules  # noqa: E402
from pipelines.dedupstore import SqliteDedupStore  # noqa: E402
from pipelines.facts import facts, overlap  # noqa: E402
from pipelines.relevance import terms  # noqa: E402
from pipelines.similarity import NUM_PERM, shingles, signature  # noqa: E402


def run(n: int, plant_rate: float, seed: int) -> dict[str, object]:
    """The Deduplicator over ``n`` articles of realistic text (:mod:`corpus`: real English
    and Arabic word frequencies, places and figures), ``plant_rate`` of them republished
    copies of an earlier one; timed around the verdicts only, not the text making."""
    import corpus

    rng = random.Random(seed)
    writers = {lang: corpus.Writer(lang, seed + i) for i, lang in enumerate(("en", "ar"))}
    # The gazetteer's names of the places the texts name (what relevance hands dedup).
    canonical = {p: terms(p) for places in corpus.PLACES.values() for p in places}
    originals: dict[str, list[tuple[str, list[str]]]] = {"en": [], "ar": []}
    planted: dict[str, str] = {}
    found = false_merges = wrong_target = 0
    with tempfile.TemporaryDirectory() as tmp:
        store = SqliteDedupStore(Path(tmp) / "dedup.sqlite3", commit_every=1000)
        dedup = Deduplicator(store)
        elapsed = 0.0
        for i in range(n):
            outlet = f"outlet{i % 16}"
            lang = "ar" if i % 16 < 5 else "en"  # five of the sixteen outlets are Arabic
            writer = writers[lang]
            url = f"https://{outlet}.example/news/{i}"
            pool = originals[lang]
            if pool and rng.random() < plant_rate:
                source_url, source = rng.choice(pool)
                text = "\n\n".join(writer.republished(source))
                planted[url] = source_url
                names = terms(text)  # a copy's names are those of the text it took
            else:
                paragraphs = writer.body(350, 650)
                text = "\n\n".join(paragraphs)
                names = sorted({n for p in writer.places for n in canonical[p]})
                if len(pool) < 5_000:
                    pool.append((url, paragraphs))
                elif rng.random() < 0.05:
                    pool[rng.randrange(len(pool))] = (url, paragraphs)
            # In a crawl the relevance pipeline hands dedup the names it found (their cost
            # is relevance's, measured apart by bench_pipeline.py): here those a text was
            # written with, or found in a copy.
            start = time.perf_counter()
            verdict = dedup.check(url, text, outlet, language=lang, names=names)
            elapsed += time.perf_counter() - start
            if url in planted:
                if verdict["duplicate_of"] == planted[url]:
                    found += 1
                elif verdict["duplicate_of"]:
                    wrong_target += 1
            elif verdict["duplicate_of"]:
                false_merges += 1
            if i and i % 100_000 == 0:
                print(f"  {i:,} articles: {1000 * elapsed / i:.3f} ms/article", flush=True)
        store.close()
        db_size = sum(f.stat().st_size for f in Path(tmp).iterdir())
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    clean = n - len(planted)
    result = {"articles": n, "planted": len(planted),
              "ms_per_article": round(1000 * elapsed / n, 3), "peak_rss_mb": round(peak),
              "state_mb": round(db_size / 1e6), "recall": round(found / max(1, len(planted)), 4),
              "wrong_original": wrong_target, "false_merges": false_merges,
              "false_merge_rate": round(false_merges / max(1, clean), 6)}
    print(f"{n:>9,} articles ({len(planted):,} planted copies): "
          f"{result['ms_per_article']:.3f} ms/article, peak RSS {peak:.0f} MB, "
          f"state {db_size / 1e6:.0f} MB, recall {result['recall']:.4f} (wrong original "
          f"{wrong_target}), false merges {false_merges} "
          f"({100 * false_merges / max(1, clean):.4f} %)")
    return result


def compare_minhash(count: int = 3000) -> None:
    import corpus

    writer = corpus.Writer("en", 1)
    texts = ["\n\n".join(writer.body(350, 650)) for _ in range(count)]
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
    parser.add_argument("--no-labelled", action="store_true",
                        help="only the runs at scale (no labelled set, no MinHash comparison)")
    parser.add_argument("--json", type=Path, help="write the runs' figures here as JSON")
    args = parser.parse_args()
    print(f"{datetime.now(UTC):%Y-%m-%d %H:%M} UTC, {os.cpu_count()} cores, "
          f"{os.uname().nodename}")
    if not args.no_labelled:
        labelled()
        compare_minhash()
    results = [run(n, args.plant_rate, args.seed) for n in
               (int(s) for s in args.sizes.split(",") if s)]
    if args.json:
        args.json.write_text(json.dumps(results, indent=1))


if __name__ == "__main__":
    main()
