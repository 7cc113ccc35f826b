"""Syndication as it really happens, on the labelled set (tests/data/syndication.toml):
wire copies with a rewritten lede, a cut ending and outlet boilerplate; translations
between an outlet group's editions; and the hard negatives (a shared agency background
paragraph, daily templated reports).  The labels were written with the texts."""

from __future__ import annotations

import asyncio
import html
import json
import os
import sqlite3
import struct
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
import syndication
from conftest import FAST, read_items, run_cli, start_mirror
from syndication import Labelled

from pipelines.dedup import Deduplicator, DedupPipeline, DedupRules
from pipelines.dedupstore import SqliteDedupStore
from pipelines.facts import facts, missing, overlap
from pipelines.similarity import LSH_SCHEME, signature
from pipelines.urls import canonical_url

ARTICLES = syndication.load()
BY_ID = {a.id: a for a in ARTICLES}


@pytest.fixture(scope="module")
def rules() -> DedupRules:
    """The thresholds of crawler/settings.py, as a crawl uses them."""
    from scrapy.utils.project import get_project_settings

    os.environ.setdefault("SCRAPY_SETTINGS_MODULE", "crawler.settings")
    return DedupRules.from_settings(get_project_settings())


@pytest.fixture(scope="module")
def verdicts(rules: DedupRules) -> dict[str, dict[str, Any]]:
    return syndication.run(ARTICLES, rules)


def url_of(article_id: str) -> str:
    return canonical_url(BY_ID[article_id].url)


def test_settings_thresholds_are_the_ones_the_labelled_set_supports(
        rules: DedupRules, verdicts: dict[str, dict[str, Any]]) -> None:
    assert (rules.containment, rules.facts_conflict, rules.translation_overlap) == \
        (0.65, 0.25, 0.75)
    scores = syndication.score(ARTICLES, verdicts)
    for kind in ("duplicate", "translation"):
        s = scores[kind]
        assert (s.precision, s.recall) == (1.0, 1.0), (kind, s.false_pairs, s.missed_pairs)
        assert s.tp >= 4
    # Each threshold matters: moved past its gap, the set shows it.
    for changed, kind in ((replace(rules, containment=0.80), "duplicate"),
                          (replace(rules, facts_conflict=1.0), "duplicate"),
                          (replace(rules, translation_overlap=0.55), "translation")):
        s = syndication.score(ARTICLES, syndication.run(ARTICLES, changed))[kind]
        assert (s.precision, s.recall) != (1.0, 1.0), changed


@pytest.mark.parametrize(("copy", "original"), [("A2", "A1"), ("A3", "A1"), ("B2", "B1")])
def test_wire_copy_is_a_near_duplicate_of_the_first_seen_original(
        verdicts: dict[str, dict[str, Any]], rules: DedupRules, copy: str,
        original: str) -> None:
    verdict, first = verdicts[copy], verdicts[original]
    assert first["dedup"] == "new"
    assert verdict["dedup"] == "near"
    assert verdict["duplicate_of"] == url_of(original)
    assert verdict["cluster_id"] == first["cluster_id"]
    assert verdict["translation_of"] is None
    assert rules.containment <= verdict["similarity"] < 1.0


def test_rewritten_lede_cut_ending_and_boilerplate_defeat_the_old_threshold() -> None:
    """The case of the issue: the copy's estimated containment is about 0.8, under the
    0.85 the rules used before, for English and Arabic alike."""
    for copy, original in (("A2", "A1"), ("B2", "B1")):
        a, b = signature(BY_ID[copy].text), signature(BY_ID[original].text)
        assert 0.65 < a.containment(b) < 0.85, copy
    old = syndication.run(ARTICLES, DedupRules(containment=0.85, facts_conflict=1.0))
    assert old["A2"]["dedup"] == "new" and old["B2"]["dedup"] == "new"


@pytest.mark.parametrize(("translation", "original"),
                         [("C2", "C1"), ("D2", "D1"), ("E2", "E1"), ("H1en", "H1")])
def test_translation_is_linked_not_merged(verdicts: dict[str, dict[str, Any]],
                                          translation: str, original: str) -> None:
    verdict = verdicts[translation]
    assert verdict["dedup"] == "new" and verdict["duplicate_of"] is None
    assert verdict["translation_of"] == url_of(original)
    assert verdict["cluster_id"] != verdicts[original]["cluster_id"]
    assert verdicts[original]["translation_of"] is None  # the first seen has no link


def test_translation_needs_one_group_and_nearby_days(rules: DedupRules) -> None:
    pair = [BY_ID["D1"], BY_ID["D2"]]
    alone = syndication.run(pair, rules, outlet_groups={})  # each outlet its own group
    assert alone["D2"]["translation_of"] is None
    late = [pair[0], replace(pair[1], published="2026-11-29T13:30:00+03:00")]
    assert syndication.run(late, rules)["D2"]["translation_of"] is None
    undated = [pair[0], replace(pair[1], published="")]
    assert syndication.run(undated, rules)["D2"]["translation_of"] is None
    off = syndication.run(pair, replace(rules, translations=False))
    assert off["D2"]["translation_of"] is None
    assert syndication.run(pair, rules)["D2"]["translation_of"] == url_of("D1")


def test_same_group_stories_of_the_same_days_are_not_translations(
        verdicts: dict[str, dict[str, Any]]) -> None:
    # aawsat-ar's bread story and aawsat-en's returnees story, a day apart; the other
    # days' exchange rates beside the English translation of the first day's.
    for article_id in ("B1", "D1", "H2", "H3", "A2", "E1"):
        assert verdicts[article_id]["translation_of"] is None, article_id
    assert verdicts["H1en"]["translation_of"] == url_of("H1")
    # H2 shares six exchange rates and the central bank's two with H1en: not enough.
    shared, share = overlap(facts(BY_ID["H2"].text), facts(BY_ID["H1en"].text))
    assert shared > 5 and share < 0.75


def test_stories_sharing_a_long_agency_background_stay_apart(
        verdicts: dict[str, dict[str, Any]], rules: DedupRules) -> None:
    a, b = BY_ID["F1"], BY_ID["F2"]
    c = signature(b.text).containment(signature(a.text))
    assert 0.5 < c < rules.containment  # over half of the short story is the background
    assert verdicts["F1"]["dedup"] == verdicts["F2"]["dedup"] == "new"
    assert verdicts["F1"]["cluster_id"] != verdicts["F2"]["cluster_id"]


@pytest.mark.parametrize("days", [("G1", "G2", "G3"), ("H1", "H2", "H3")],
                         ids=["casualty-tolls", "exchange-rates"])
def test_daily_templated_reports_stay_apart(verdicts: dict[str, dict[str, Any]],
                                            rules: DedupRules, days: tuple[str, ...]) -> None:
    assert {verdicts[d]["dedup"] for d in days} == {"new"}
    assert len({verdicts[d]["cluster_id"] for d in days}) == 3
    # Their words alone would merge the exchange rates (containment over the
    # threshold); their figures and places are what keeps every day apart.
    texts = [BY_ID[d] for d in days]
    conflicts = [rules.conflict(facts(x.text), facts(y.text))
                 for x, y in ((texts[0], texts[1]), (texts[1], texts[2]))]
    assert min(conflicts) > rules.facts_conflict
    without = syndication.run(texts, replace(rules, facts_conflict=1.0))
    if days[0] == "H1":
        assert {without[d]["dedup"] for d in days[1:]} == {"near"}


def test_vetoed_candidates_are_counted(tmp_path: Path) -> None:
    dedup = Deduplicator(SqliteDedupStore(tmp_path / "d.sqlite3"))
    for d in ("H1", "H2", "H3"):
        a = BY_ID[d]
        dedup.check(canonical_url(a.url), a.text, a.outlet, language="ar",
                    published=a.published)
    assert dedup.vetoed >= 2


# -- facts ---------------------------------------------------------------------------

@pytest.mark.parametrize(("one", "other"), [
    ("some 412,000 refugees", "نحو 412 ألف لاجئ"),
    ("412,000", "٤١٢ ألفاً"),
    ("1.3 million people", "1.3 مليون شخص"),
    ("$212 million", "212 مليون دولار"),
    ("between 900 and 1,200", "بين 900 و1200"),
    ("14,650 pounds", "١٤٦٥٠ ليرة"),
    ("$1.5bn", "1.5 مليار دولار"),
    ("in Aleppo", "وبحلب"),
    ("Deir ez-Zor", "دير الزور"),
    ("the SDF", "قسد"),
    ("Raqqa", "في الرقة"),
])
def test_facts_are_the_same_in_both_languages(one: str, other: str) -> None:
    assert facts(one) == facts(other) != frozenset()


def test_facts_are_whole_words_and_numbers() -> None:
    assert facts("حلبة السباق") == frozenset()  # an arena, not Aleppo
    assert facts("رقة الحال") == frozenset()  # thinness, not Raqqa
    assert facts("F-16 jets, COVID-19") == {"n:16", "n:19"}
    assert facts("") == frozenset() and facts(None) == frozenset()
    assert missing(frozenset({"n:14500", "n:2026"}), frozenset({"n:2026"})) == 0.8
    assert missing(frozenset(), frozenset({"n:1"})) == 0.0


# -- the pipeline in a crawler: group from the registry, stats -------------------------

def pipeline_for(outlet_id: str, tmp_path: Path) -> DedupPipeline:
    from scrapy.utils.test import get_crawler

    from crawler import settings as project
    from crawler.registry import Registry
    from spiders.outlet import OutletSpider

    crawler = get_crawler(OutletSpider.for_outlet(Registry.load()[outlet_id]), {
        "DEDUP_STATE": str(tmp_path / "dedup.sqlite3"),
        **{k: getattr(project, k) for k in dir(project) if k.startswith("DEDUP_")
           and k != "DEDUP_STATE"},
        "USER_AGENT_TEMPLATE": project.USER_AGENT_TEMPLATE, "CONTACT_URL": project.CONTACT_URL})
    return DedupPipeline.from_crawler(crawler)


def scraped(pipeline: DedupPipeline, article: dict[str, Any]) -> dict[str, Any]:
    """The article through the pipeline and exported, as Scrapy does it: the verdict is
    recorded in the state on ``item_scraped``."""
    out = asyncio.run(pipeline.process_item(article))
    pipeline.item_scraped(out)
    return out


def item(a: Labelled) -> dict[str, Any]:
    return {"url": a.url, "outlet": a.outlet, "language": a.language, "text": a.text,
            "published": a.published}


def test_pipeline_links_translations_across_runs_and_counts_them(tmp_path: Path) -> None:
    arabic = pipeline_for("enabbaladi-ar", tmp_path)
    assert arabic.group == "enabbaladi"
    for a in ("C1", "H1", "H2"):
        scraped(arabic, item(BY_ID[a]))
    assert arabic.stats.get_value("dedup/facts_veto") >= 1
    arabic.dedup.store.close()  # type: ignore[attr-defined]
    english = pipeline_for("enabbaladi-en", tmp_path)  # the next run, another outlet
    out = scraped(english, item(BY_ID["C2"]))
    assert out["dedup"] == "new" and out["translation_of"] == url_of("C1")
    assert english.stats.get_value("dedup/translation") == 1
    english.dedup.store.close()  # type: ignore[attr-defined]
    other = pipeline_for("aawsat-en", tmp_path)  # another group: no link
    assert scraped(other, item(replace(BY_ID["C2"], url="https://english.aawsat.com/"
                                       "node/5213999")))["translation_of"] is None


# -- an index written by the previous version ---------------------------------------

def test_an_older_index_is_upgraded_and_still_finds_its_originals(tmp_path: Path) -> None:
    path = tmp_path / "dedup.sqlite3"
    db = sqlite3.connect(path)
    db.executescript("""
        CREATE TABLE originals (id INTEGER PRIMARY KEY, canonical TEXT NOT NULL,
            outlet TEXT NOT NULL, cluster TEXT NOT NULL, signature BLOB NOT NULL);
        CREATE TABLE urls (canonical TEXT PRIMARY KEY, original INTEGER NOT NULL) WITHOUT ROWID;
        CREATE TABLE fingerprints (fingerprint TEXT PRIMARY KEY, original INTEGER NOT NULL)
            WITHOUT ROWID;
        CREATE TABLE bands (key INTEGER NOT NULL, original INTEGER NOT NULL,
            PRIMARY KEY (key, original)) WITHOUT ROWID;""")
    original = BY_ID["A1"]
    sig = signature(original.text)
    db.execute("INSERT INTO originals VALUES (1, ?, 'arabnews', 'c1', ?)",
               (url_of("A1"), struct.pack(f"<I{len(sig.values)}I", sig.size, *sig.values)))
    db.execute("INSERT INTO urls VALUES (?, 1)", (url_of("A1"),))
    db.executemany("INSERT INTO bands VALUES (?, 1)", [(k, ) for k in sig.bands(32, 4)])
    db.commit()
    db.close()
    store = SqliteDedupStore(path)
    assert store.db.execute("SELECT value FROM meta WHERE key = 'lsh'").fetchone()[0] == \
        LSH_SCHEME
    verdict = Deduplicator(store).check(url_of("A2"), BY_ID["A2"].text, "newarab")
    assert verdict["dedup"] == "near" and verdict["duplicate_of"] == url_of("A1")
    assert verdict["cluster_id"] == "c1"


# -- end to end: the pages crawled through the mirror --------------------------------

PAGE = """<!DOCTYPE html>
<html lang="{lang}" dir="{dir}"><head><meta charset="utf-8">
<title>{title}</title>
<link rel="canonical" href="{url}">
<meta property="og:title" content="{title}">
<script type="application/ld+json">{jsonld}</script>
</head><body>
<header><nav><a href="/">{outlet}</a></nav></header>
<main><article><h1>{title}</h1>
<time datetime="{published}">{published}</time>
{paragraphs}
</article></main>
<footer><p>{outlet}</p></footer>
</body></html>
"""


def write_page(pages: Path, a: Labelled) -> dict[str, str]:
    folder = pages / a.outlet
    folder.mkdir(parents=True, exist_ok=True)
    jsonld = json.dumps({"@context": "https://schema.org", "@type": "NewsArticle",
                         "headline": a.title, "datePublished": a.published,
                         "mainEntityOfPage": a.url, "inLanguage": a.language},
                        ensure_ascii=False)
    (folder / f"{a.id}.html").write_text(PAGE.format(
        lang=a.language, dir="rtl" if a.language == "ar" else "ltr",
        title=html.escape(a.title), url=html.escape(a.url), jsonld=jsonld, outlet=a.outlet,
        published=a.published,
        paragraphs="\n".join(f"<p>{html.escape(p)}</p>" for p in a.text.split("\n\n"))),
        encoding="utf-8")
    return {"url": a.url, "file": f"{a.id}.html"}


def test_crawl_records_translations_in_items_catalog_and_export(tmp_path: Path) -> None:
    """Two runs through the mirror, an Arabic edition then the English one: the
    translation is linked in the exported item, the catalog and the dataset export."""
    pages = tmp_path / "pages"
    runs = {"enabbaladi-ar": ["C1", "H1", "H2"], "enabbaladi-en": ["C2", "H1en"]}
    for outlet, ids in runs.items():
        routes = [write_page(pages, BY_ID[i]) for i in ids]
        (pages / outlet / "routes.toml").write_text("".join(
            f'[[route]]\nurl = "{r["url"]}"\nfile = "{r["file"]}"\n\n' for r in routes),
            encoding="utf-8")
    mirror = start_mirror(pages, tmp_path / "mirror.jsonl")
    data = tmp_path / "data"
    try:
        for outlet, ids in runs.items():
            urls = [arg for i in ids for arg in ("--url", BY_ID[i].url)]
            proc = run_cli("crawl", outlet, *urls, "--data", str(data), *FAST,
                           env=mirror.env())
            assert proc.returncode in (0, 3), proc.stderr[-2000:]
    finally:
        mirror.process.terminate()
        mirror.process.wait(timeout=30)
    items = {i["url"]: i for i in read_items(data)}
    assert len(items) == 5
    c2, h1en, h2 = (items[BY_ID[i].url] for i in ("C2", "H1en", "H2"))
    assert c2["translation_of"] == url_of("C1") and c2["dedup"] == "new"
    assert h1en["translation_of"] == url_of("H1")
    assert h2["dedup"] == "new" and h2["translation_of"] is None
    db = sqlite3.connect(data / "state" / "catalog.sqlite3")
    linked = dict(db.execute("SELECT url, translation_of FROM articles "
                             "WHERE translation_of IS NOT NULL").fetchall())
    assert linked == {BY_ID["C2"].url: url_of("C1"), BY_ID["H1en"].url: url_of("H1")}
    out = tmp_path / "export.jsonl"
    proc = run_cli("export", "--local", "--data", str(data), "--format", "jsonl", "-o", str(out))
    assert proc.returncode == 0, proc.stderr
    rows = {r["url"]: r for r in map(json.loads, out.read_text().splitlines())}
    assert rows[BY_ID["C2"].url]["translation_of"] == url_of("C1")


@pytest.mark.parametrize(("one", "other"), [
    ("the United Nations", "للأمم المتحدة"),
    ("the Red Crescent", "والهلال الأحمر"),
    ("the Syrian Observatory", "بحسب المرصد السوري"),
    ("the Central Bank", "للمصرف المركزي"),
])
def test_names_written_with_the_article_are_found_after_li(one: str, other: str) -> None:
    assert facts(one) == facts(other) != frozenset()


def test_pipeline_takes_syria_names_from_the_relevance_verdict(tmp_path: Path) -> None:
    """The relevance pipeline found the names already: dedup does not search again."""
    pipeline = pipeline_for("enabbaladi-ar", tmp_path)
    article = {**item(BY_ID["C1"]), "relevance": {"about_syria": True, "mentions": 1,
                                                   "terms": ["Aleppo", "Syria"],
                                                   "rule": "headline"}}
    scraped(pipeline, article)
    stored = pipeline.dedup.store.db.execute(  # type: ignore[attr-defined]
        "SELECT facts FROM originals").fetchone()[0].split()
    assert "p:Aleppo" in stored and "p:Hasakah" not in stored and "p:Syria" not in stored
    assert "n:34" in stored  # figures are still read from the text
