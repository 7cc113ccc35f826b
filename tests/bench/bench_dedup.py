"""Deduplication at scale: synthetic news-length articles with planted near-duplicates.

For each size (default 100,000 and 1,000,000 articles) it runs the project's
Deduplicator over a fresh SQLite store and prints ms per article, peak memory,
recall of the planted duplicates (found, with the right ``duplicate_of``) and
false merges (articles not planted as copies that were called duplicates).
Also compares MinHash signature speed of rensa and datasketch on the same
texts.  A measurement, not a test.
"""

from __future__ import annotations

import argparse
import random
import resource
import tempfile
import time
from pathlib import Path

from archive.text import words
from pipelines.dedup import Deduplicator
from pipelines.dedupstore import SqliteDedupStore
from pipelines.similarity import NUM_PERM, shingles, signature


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
            verdict = dedup.check(url, text, f"outlet{i % 16}")
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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="100000,1000000")
    parser.add_argument("--plant-rate", type=float, default=0.05)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    compare_minhash()
    for n in (int(s) for s in args.sizes.split(",")):
        run(n, args.plant_rate, args.seed)


if __name__ == "__main__":
    main()
