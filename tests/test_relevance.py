"""Relevance: Syria terms in English and Arabic, Arabic normalised, whole words only."""

from __future__ import annotations

import pytest
from scrapy.exceptions import DropItem
from scrapy.statscollectors import MemoryStatsCollector
from scrapy.utils.test import get_crawler

from archive.text import fold as normalise_arabic
from crawler.items import Article
from pipelines.relevance import RelevancePipeline, about_syria, judge, matched_terms, mentions


@pytest.mark.parametrize("text", [
    "Aid convoy reaches Aleppo after three days",
    "Syrian refugees return from Lebanon",
    "Prices climb in Damascus markets",
    "Idlib farmers count losses",
    "Returnees in Deir ez-Zor rebuild homes",
    "قافلة مساعدات تصل إلى حلب",
    "لاجئون سوريون يعودون من لبنان",
    "ارتفاع الأسعار في أسواق دمشق",
    "وبدمشق انقطعت الكهرباء",
    "عودة اللاجئين إلى سورية",
    "عودةُ اللاجئينَ إلى سوريَّة",          # with diacritics
    "أهالي إدلب يحصون خسائرهم",
    "للسوريين في تركيا",
    "الانتخابات المحلية في الرقة",
    "هيئة تحرير الشام",
    "ارتفاع الأسعار في أسواق دمشـــق",     # tatweel inside the word
])
def test_syria_terms_match(text: str) -> None:
    assert mentions(text) >= 1, text


@pytest.mark.parametrize("text", [
    "Assyrian artefacts go on show in London",     # 'syrian' inside another word
    "The Syriac manuscript collection",            # 'syria' inside another word
    "Gulf markets rally as oil rises",
    "حلبة السباق في البحرين تستضيف الجولة الأخيرة",  # حلبة (arena) is not حلب (Aleppo)
    "رقة المشاعر في الشعر العربي",                  # رقة (gentleness) is not الرقة (Raqqa)
    "أسعار النفط ترتفع في الخليج",
])
def test_near_misses_do_not_match(text: str) -> None:
    assert mentions(text) == 0, matched_terms(text)


def test_normalisation_folds_forms_without_touching_stored_text() -> None:
    original = "إدلبُ وسوريَّة"
    assert normalise_arabic(original) == "ادلب وسوريه"
    assert original == "إدلبُ وسوريَّة"
    assert normalise_arabic("مستشفى") == normalise_arabic("مستشفي")
    assert normalise_arabic("\u200fدمشق\u200e") == "دمشق"


def test_about_syria_needs_headline_or_repeated_body_mentions() -> None:
    assert about_syria(["Aid reaches Aleppo"], "Trucks arrived.")
    body_once = "Oil prices rose. Traders in Syria were not consulted. Markets closed higher."
    assert not about_syria(["Oil prices rise"], body_once)
    assert about_syria(["Oil prices rise"], body_once + " Damascus traders disagreed.")
    assert about_syria([None, ""], "في دمشق وحلب ارتفعت الأسعار")


def _pipeline(all_syria: bool = False) -> tuple[RelevancePipeline, MemoryStatsCollector]:
    stats = MemoryStatsCollector(get_crawler())
    return RelevancePipeline(stats, min_body_mentions=2, all_syria=all_syria), stats


@pytest.mark.parametrize("title, text, rule", [
    ("Bread queues in Deir Az Zor", "Bakeries reopened.", "headline"),
    ("Bread queues return", "Bakeries in Idleb reopened. Flour came from Jarablus.", "body"),
    ("Oil prices rise", "Traders in Syria were not consulted.", "too_few_mentions"),
    ("Aleppo pepper prices rise", "Spice importers in Damascus, Maryland, agreed.", "no_mention"),
])
def test_pipeline_names_the_rule_in_stats_and_on_the_item(title: str, text: str,
                                                          rule: str) -> None:
    pipeline, stats = _pipeline()
    item = Article(url="https://example.com/a", title=title, text=text)
    if rule in ("headline", "body"):
        assert pipeline.process_item(item) is item
        assert stats.get_value(f"relevance/kept/{rule}") == 1
    else:
        with pytest.raises(DropItem, match=rule):
            pipeline.process_item(item)
        assert stats.get_value(f"relevance/dropped/{rule}") == 1
        assert stats.get_value("item_dropped/not_about_syria") == 1
    assert item["relevance"]["rule"] == rule
    assert item["relevance"]["about_syria"] is (rule in ("headline", "body"))


def test_all_syria_outlet_keeps_everything_with_its_rule() -> None:
    pipeline, stats = _pipeline(all_syria=True)
    item = Article(url="https://example.com/a", title="Turkish lira slides", text="Markets.")
    assert pipeline.process_item(item)["relevance"] == {
        "about_syria": True, "mentions": 0, "terms": [], "rule": "all_syria"}
    assert stats.get_value("relevance/kept/all_syria") == 1


def test_verdict_counts_and_names_terms() -> None:
    verdict = judge(["Returnees in Deir ez-Zor"], "Families left Raqqa and al-Hasakah. "
                    "The Aleppo soap market in Paris was not affected.")
    assert verdict.about_syria and verdict.rule == "headline"
    assert verdict.mentions == 3 and verdict.terms == ["Deir ez-Zor", "Raqqa", "Hasakah"]


def test_gazetteer_is_package_data_and_bad_data_names_the_file(tmp_path) -> None:
    from importlib.resources import files

    from pipelines.gazetteer import Gazetteer
    assert files("pipelines").joinpath("gazetteer.toml").is_file()
    bad = tmp_path / "gazetteer.toml"
    bad.write_text('[[entry]]\nname = "X"\nen = ["x(y"]\n', encoding="utf-8")
    with pytest.raises(ValueError, match="gazetteer.toml"):
        Gazetteer.load(bad)


def test_crawl_report_names_relevance_rules(full_crawl) -> None:
    rows = full_crawl.report["outlets"].values()
    dropped = sum(r["dropped"].get("not_about_syria", 0) for r in rows)
    by_rule = sum(v for r in rows for k, v in r["relevance"].items() if k.startswith("dropped/"))
    assert dropped and by_rule == dropped
    assert any(k.startswith("kept/") for r in rows for k in r["relevance"])
    for item in full_crawl.items:
        assert item["relevance"]["about_syria"] and item["relevance"]["rule"] in (
            "headline", "body", "all_syria")
