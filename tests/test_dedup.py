"""Deduplication: canonical URLs, exact and near-duplicate texts, state across runs."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import MIRROR_PAGES

from pipelines.dedup import Deduplicator, OriginalsOnly
from pipelines.dedupstore import SqliteDedupStore
from pipelines.similarity import exact_fingerprint, signature
from pipelines.urls import canonical_url, url_key


@pytest.mark.parametrize(("url", "declared", "expected"), [
    ("https://www.middleeasteye.net/amp/news/x-y", None, "https://www.middleeasteye.net/news/x-y"),
    ("https://www.example.com/news/a.amp", None, "https://www.example.com/news/a"),
    ("https://www.example.com/news/a?outputType=amp", None, "https://www.example.com/news/a"),
    ("http://m.example.com/news/a/?utm_source=tw&utm_medium=x&fbclid=1#top", None,
     "https://example.com/news/a/"),
    ("https://www.aljazeera.com/news/2026/11/21/x?traffic_source=rss", None,
     "https://www.aljazeera.com/news/2026/11/21/x"),
    ("https://sana.sy/en/?p=345678&gclid=9", None, "https://sana.sy/en/?p=345678"),
    ("https://aawsat.com/سوريا/1", None, "https://aawsat.com/%D8%B3%D9%88%D8%B1%D9%8A%D8%A7/1"),
    ("https://aawsat.com/%d8%b3%d9%88%d8%b1%d9%8a%d8%a7/1", None,
     "https://aawsat.com/%D8%B3%D9%88%D8%B1%D9%8A%D8%A7/1"),
    ("https://www.arabnews.com/node/2625107", "https://www.arabnews.com/node/2625107/middle-east",
     "https://www.arabnews.com/node/2625107/middle-east"),
    ("https://x.com/news/1", "https://x.com/", "https://x.com/news/1"),  # home-page canonical
    ("https://x.com/news/1?amp", "/news/1-slug", "https://x.com/news/1-slug"),
])
def test_canonical_url(url: str, declared: str | None, expected: str) -> None:
    assert canonical_url(url, declared) == expected


def test_trailing_slash_is_one_article() -> None:
    assert url_key(canonical_url("https://npasyria.com/en/123456/")) == \
        url_key(canonical_url("https://npasyria.com/en/123456"))


def paragraphs(outlet: str, count: int) -> list[str]:
    """Real prose for the tests: the saved pages' own paragraphs."""
    from crawler.extract.article import extract_article
    from crawler.extract.page import ExtractionError
    out: list[str] = []
    for page in sorted((MIRROR_PAGES / outlet).rglob("*.html")):
        try:
            body = extract_article(page.read_text(encoding="utf-8"), "https://x.example/a")["body"]
        except ExtractionError:  # a gallery or video page: no prose
            continue
        out += [p for p in body if len(p.split()) > 25]
    assert len(out) >= count
    return out[:count]


@pytest.fixture
def dedup(tmp_path: Path) -> Deduplicator:
    return Deduplicator(SqliteDedupStore(tmp_path / "dedup.sqlite3"))


def test_exact_fingerprint_ignores_spacing_punctuation_and_arabic_forms() -> None:
    assert exact_fingerprint("Aid reaches  Aleppo, officials say.") == \
        exact_fingerprint("aid reaches aleppo officials say")
    assert exact_fingerprint("عادَ اللاجئون إلى إدلب") == exact_fingerprint("عاد اللاجئون الى ادلب")
    assert exact_fingerprint("Aid reaches Aleppo") != exact_fingerprint("Aid reaches Idlib")


def test_wire_story_variants_are_near_duplicates(dedup: Deduplicator) -> None:
    body = paragraphs("newarab", 9)
    original = "\n\n".join(body)
    assert dedup.check("https://a.example/wire", original, "a")["dedup"] == "new"
    new_lead = "\n\n".join(["A desk-written opening paragraph that sets the scene differently, "
                            "naming the town, the date and the agency before the wire copy "
                            "continues word for word below it."] + body[1:])
    trimmed = "\n\n".join(body[:-2])
    for url, text in (("https://b.example/x", new_lead), ("https://c.example/y", trimmed)):
        verdict = dedup.check(url, text, "b")
        assert verdict["dedup"] == "near", verdict
        assert verdict["duplicate_of"] == "https://a.example/wire"
        assert verdict["similarity"] >= 0.8
        assert verdict["cluster_id"] == dedup.store.by_url(url_key("https://a.example/wire")).cluster


def test_different_stories_about_the_same_event_are_not_merged(dedup: Deduplicator) -> None:
    one = "\n\n".join(paragraphs("mee", 6))
    other = "\n\n".join(paragraphs("almonitor", 6))
    assert dedup.check("https://a.example/1", one, "a")["dedup"] == "new"
    assert dedup.check("https://b.example/2", other, "b")["dedup"] == "new"


def test_exact_copy_under_another_url_and_same_url_again(dedup: Deduplicator) -> None:
    text = "\n\n".join(paragraphs("thenational", 5))
    dedup.check("https://a.example/1", text, "a")
    exact = dedup.check("https://b.example/copy", text.replace("\n\n", "\n"), "b")
    assert exact["dedup"] == "exact" and exact["duplicate_of"] == "https://a.example/1"
    again = dedup.check("https://b.example/copy", text, "b")
    assert again["dedup"] == "url" and again["duplicate_of"] == "https://a.example/1"
    slash = dedup.check("https://a.example/1/", text, "a")
    assert slash["dedup"] == "url"
    update = dedup.check("https://a.example/1", text + " Updated.", "a", new_version=True)
    assert update["dedup"] == "new_version" and update["duplicate_of"] is None


def test_state_persists_across_runs(tmp_path: Path) -> None:
    text = "\n\n".join(paragraphs("aljazeera-en", 6))
    first = SqliteDedupStore(tmp_path / "d.sqlite3")
    Deduplicator(first).check("https://a.example/1", text, "a")
    first.close()
    second = SqliteDedupStore(tmp_path / "d.sqlite3")
    trimmed = "\n\n".join(text.split("\n\n")[:-1])
    verdict = Deduplicator(second).check("https://b.example/2", trimmed, "b")
    assert verdict["dedup"] == "near" and verdict["duplicate_of"] == "https://a.example/1"
    assert second.clusters()[verdict["cluster_id"]] == 2


def test_signature_estimates_jaccard() -> None:
    a = signature(" ".join(f"w{i}" for i in range(400)))
    b = signature(" ".join(f"w{i}" for i in range(100, 500)))
    true_j = 298 / 498  # word 3-shingles shared over their union
    assert abs(a.jaccard(b) - true_j) < 0.12
    assert a.containment(b) == pytest.approx(0.75, abs=0.12)


def test_originals_only_filter() -> None:
    keep = OriginalsOnly({})
    assert keep.accepts({"url": "u", "duplicate_of": None})
    assert not keep.accepts({"url": "u", "duplicate_of": "https://a.example/1"})


# -- on the mirror: the session crawl of every outlet -------------------------

def mirror_routes() -> list[dict]:
    from conftest import load_routes

    from crawler.registry import Registry
    return [r for o in Registry.load().ids() for r in load_routes(o) if r.get("article")]


def items_by_key(result) -> dict[str, dict]:
    from crawler.mirror.server import url_key as mirror_key
    return {mirror_key(i["url"]): i for i in result.items}


def test_same_article_under_two_urls_is_one_original(full_crawl) -> None:
    from crawler.mirror.server import url_key as mirror_key
    items = items_by_key(full_crawl)
    pairs = [(r["url"], r["same_as"]) for r in mirror_routes()
             if r.get("same_as") and not r.get("robots_blocked")]
    assert pairs
    kinds = set()
    for url, other in pairs:
        a, b = items.get(mirror_key(url)), items.get(mirror_key(other))
        if a is None or b is None:
            continue  # e.g. an unrelated article, dropped before dedup
        verdicts = sorted([a["dedup"], b["dedup"]])
        assert verdicts[1] == "new" or verdicts[0] == "new", (url, verdicts)
        original, copy = (a, b) if a["dedup"] == "new" else (b, a)
        assert copy["duplicate_of"] == original["canonical_url"], url
        assert copy["cluster_id"] == original["cluster_id"]
        kinds.add(copy["dedup"])
    assert kinds <= {"url", "exact", "near"} and kinds


def test_wire_story_on_three_outlets_is_one_original_and_two_duplicates(full_crawl) -> None:
    from crawler.mirror.server import url_key as mirror_key
    items = items_by_key(full_crawl)
    wire = [items[mirror_key(r["url"])] for r in mirror_routes() if r.get("wire")]
    assert len(wire) == 3 and len({w["outlet"] for w in wire}) == 3
    originals = [w for w in wire if w["dedup"] == "new"]
    assert len(originals) == 1
    for copy in wire:
        if copy is not originals[0]:
            assert copy["dedup"] == "near"
            assert copy["duplicate_of"] == originals[0]["canonical_url"]
            assert copy["similarity"] >= 0.8
            assert copy["cluster_id"] == originals[0]["cluster_id"]


def test_two_stories_of_one_event_stay_apart(full_crawl) -> None:
    from crawler.mirror.server import url_key as mirror_key
    items = items_by_key(full_crawl)
    stories = [items[mirror_key(r["url"])] for r in mirror_routes() if r.get("same_event")]
    assert len(stories) == 2
    assert [s["dedup"] for s in stories] == ["new", "new"]
    assert stories[0]["cluster_id"] != stories[1]["cluster_id"]


def test_dedup_counts_are_reported(full_crawl) -> None:
    rows = full_crawl.report["outlets"].values()
    total = {k: sum(r["dedup"].get(k, 0) for r in rows) for k in ("new", "url", "exact", "near")}
    assert total["new"] > 0 and total["near"] >= 2
    assert sum(total.values()) == len(full_crawl.items)


def test_catalog_lists_clusters(full_crawl) -> None:
    import json as _json

    from conftest import run_cli
    proc = run_cli("search", "--clusters", "--json", "--limit", "500",
                   "--data", str(full_crawl.data))
    assert proc.returncode == 0, proc.stderr
    clusters = [_json.loads(line) for line in proc.stdout.splitlines()]
    wire = [c for c in clusters if len({m["outlet"] for m in c}) == 3]
    assert len(wire) == 1 and len(wire[0]) == 3
    original, *copies = wire[0]
    assert original["duplicate_of"] is None
    assert all(c["duplicate_of"] == original["canonical_url"] and c["dedup"] == "near"
               for c in copies)
    assert all(len(c) >= 2 for c in clusters)
