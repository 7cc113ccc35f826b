"""The clean pipeline: repeated title, caption and credit blocks, markers, Unicode.

The seed case is ``../shared/seed/``: the text of two Asharq Al-Awsat articles
as a naive scraper copied them.  Each must come out as the title once, the
caption once (as a caption, with its credit split off) and the body paragraphs
once each, in order."""

from __future__ import annotations

from collections import Counter

import pytest
from conftest import SHARED, need_shared
from scrapy.exceptions import DropItem
from scrapy.statscollectors import MemoryStatsCollector
from scrapy.utils.test import get_crawler

from pipelines.clean import CleanPipeline, clean_article, match_key, split_credit, tidy

SEED = SHARED / "seed" / "000_0f0f5a70ec75881b.txt"
TITLE = "Syrian Regime Amnesty Decree Released only 547 Detainees"
CAPTION = ("Many Syrians gathered on May 3 in Damascus hoping for the release of relatives "
           "held in regime prisons.")
CREDIT = "LOUAI BESHARA/AFP via Getty"
BODY = [
    "The Syrian Network for Human Rights documented the release of 547 detainees from "
    "Syrian prisons during the period between early May till mid-June.",
    "It stressed in a report on Saturday that there are some 132,000 people still detained "
    "or held in regime prison.",
    "The report confirmed that between May 1 and June 13, amongst those released were 61 "
    "women and 16 people who were children at the time they were arrested.",
]
AR_TITLE = "عودة المياه إلى أحياء شرق حلب"
AR_CAPTION = "عمال يصلحون أنبوباً رئيسياً لمياه الشرب في حلب الأسبوع الماضي (أ.ف.ب)"
AR_BODY = [
    "بدأت مياه الشرب تصل بصورة منتظمة إلى عدد من أحياء شرق مدينة حلب في شمال سوريا.",
    "وقالت المؤسسة العامة لمياه الشرب في حلب إن المحطة عادت إلى العمل بطاقة تقارب ثلثي قدرتها.",
]


def seed_articles() -> list[list[str]]:
    text = need_shared(SEED).read_text(encoding="utf-8")
    return [[line.strip() for line in block.splitlines() if line.strip()]
            for block in text.split("\n\n\n\n") if block.strip()]


def article(title: str, body: list[str], **extra: object) -> dict[str, object]:
    return {"title": title, "body": body, **extra}


@pytest.mark.parametrize("index", [0, 1])
def test_seed_page_cleaned_exactly(index: int) -> None:
    lines = seed_articles()[index]
    title, caption_line = lines[0], lines[1]
    start = next(i for i, line in enumerate(lines)
                 if i > 1 and line not in (title, caption_line, "TT"))
    counts: Counter[str] = Counter()
    out = clean_article(article(title, lines), counts=counts)
    assert out["title"] == title
    assert out["body"] == lines[start:]
    caption, credit = split_credit(caption_line)
    assert out["captions"] == [caption]
    assert out["credits"] == [credit]
    assert counts == {"title": 2, "marker": 1, "caption": 4}
    assert out["text"] == "\n\n".join(lines[start:])
    assert out["word_count"] == len(out["text"].split())


def test_seed_credits_are_split_from_captions() -> None:
    first, second = seed_articles()
    assert split_credit(first[1]) == (CAPTION, CREDIT)
    assert split_credit(second[1])[1] == "REUTERS/Mahmoud Hassano"


SEED_LIKE = [TITLE, f"{CAPTION} [{CREDIT}]", f"{CAPTION} [{CREDIT}]", "TT", TITLE,
             f"{CAPTION} [{CREDIT}]", f"{CAPTION} [{CREDIT}]", *BODY]


@pytest.mark.parametrize("name, body, captions", [
    ("seed layout", SEED_LIKE, []),
    ("caption three times", [f"{CAPTION} [{CREDIT}]"] * 3 + [TITLE, *BODY], []),
    ("caption run in one paragraph", [" ".join([f"{CAPTION} [{CREDIT}]"] * 2), *BODY],
     [f"{CAPTION} [{CREDIT}]"]),
    ("caption printed four times in one block", [" ".join([CAPTION] * 4), *BODY], [CAPTION]),
    ("title inside the first paragraph", [f"{TITLE} {BODY[0]}", *BODY[1:]],
     [f"{CAPTION} [{CREDIT}]"]),
    ("credit line as a paragraph", [f"{CAPTION} [{CREDIT}]", TITLE, *BODY],
     [f"{CAPTION} [{CREDIT}]"]),
    ("same paragraph twice", [BODY[0], BODY[0], BODY[1], BODY[2]], [CAPTION]),
    ("invisible marks and odd spaces", [f"\u200f{TITLE}\u200e", "TT",
                                        *[b.replace(" ", "\u00a0 ", 1) for b in BODY]],
     [CAPTION]),
])
def test_seed_variations(name: str, body: list[str], captions: list[str]) -> None:
    out = clean_article(article(TITLE, body, captions=captions))
    assert out["body"] == BODY, name
    assert out["captions"] == [CAPTION], name
    assert out["credits"] == ([CREDIT] if "[" in "".join(body + captions) else []), name


def test_arabic_seed_variation_keeps_letters() -> None:
    decorated = AR_BODY[0].replace("مياه", "ميـــاه")  # tatweel as printed
    body = [AR_TITLE, AR_CAPTION, AR_CAPTION, "TT", AR_TITLE, AR_CAPTION, AR_CAPTION,
            decorated, AR_BODY[1], "\u200f" + AR_BODY[1]]
    out = clean_article(article(AR_TITLE, body))
    assert out["body"] == [decorated, AR_BODY[1]]  # tatweel kept in stored text
    assert out["captions"] == ["عمال يصلحون أنبوباً رئيسياً لمياه الشرب في حلب الأسبوع الماضي"]
    assert out["credits"] == ["أ.ف.ب"]


def test_match_key_ignores_marks_but_tidy_keeps_letters() -> None:
    vowelled = "سُوريّة"
    assert match_key(vowelled) == match_key("سورية")
    assert match_key("حلـــب") == match_key("حلب")
    assert tidy(vowelled) == vowelled
    assert tidy("a\u200b b\u00a0\u00a0c\u200e") == "a b c"
    assert tidy("e\u0301") == "\u00e9"  # NFC


def test_repeats_far_apart_are_content() -> None:
    body = ["Ingredients for the first dish, measured for four.", "1 cup rice, rinsed well",
            "Ingredients for the second dish, measured for two.", "1 cup rice, rinsed well"]
    assert clean_article(article("Two dishes", body))["body"] == body


def test_pipeline_counts_and_drops_empty_articles() -> None:
    stats = MemoryStatsCollector(get_crawler())
    pipeline = CleanPipeline(stats)
    item = pipeline.process_item(article(TITLE, SEED_LIKE, url="https://example.com/a"))
    assert item["body"] == BODY
    assert stats.get_value("clean/removed/caption") == 4
    assert stats.get_value("clean/removed/title") == 2
    assert stats.get_value("clean/removed/marker") == 1
    with pytest.raises(DropItem):
        pipeline.process_item(article(TITLE, [TITLE, "TT"], url="https://example.com/b"))
    assert stats.get_value("item_dropped/no_body") == 1
