"""Relevance: Syria terms in English and Arabic, Arabic normalised, whole words only."""

from __future__ import annotations

import pytest

from archive.text import fold as normalise_arabic
from pipelines.relevance import about_syria, matched_terms, mentions


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
