"""Keeps articles about Syria; drops the rest, counted by reason.

Is a text about Syria?  English and Arabic terms, matched as whole words on the
text's matching form (:func:`archive.text.fold`: Arabic diacritics, tatweel,
alef forms, alef maqsura and taa marbuta folded; never stored).  Arabic terms
may carry the clitics a word takes in front (wa-, fa-, bi-, li-, ka-, al-) and
the Syrian adjective its endings, so "وبدمشق" and "السوريين" match, "حلبة" (an
arena) does not.  The spider uses :func:`mentions` on feed and sitemap titles
to skip unrelated articles before fetching them.

Settings read: ``RELEVANCE_MIN_BODY_MENTIONS`` (how often the body must name
Syria when title, subtitle and tags do not).  Outlets marked ``all_syria`` in
the registry skip the test.  Stats: ``relevance/kept/<why>``,
``item_dropped/not_about_syria``.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable
from typing import Any

from itemadapter import ItemAdapter
from scrapy.crawler import Crawler
from scrapy.exceptions import DropItem
from scrapy.statscollectors import StatsCollector

from archive.text import ARTICLE, CLITICS, fold

logger = logging.getLogger(__name__)

ENGLISH_TERMS = (
    r"syria", r"syrians?", r"syria's", r"damascus", r"aleppo", r"idlib", r"homs", r"hama",
    r"latakia", r"tartus", r"deir[ -]?ez[ -]?zor", r"deir al-zor", r"raqqa", r"hasakah?",
    r"qamishli", r"daraa", r"deraa", r"sweida", r"suwayda", r"suwaida", r"kobani", r"afrin",
    r"manbij", r"palmyra", r"quneitra", r"golan", r"assad", r"hts",
    r"hayat tahrir al-sham", r"hay'at tahrir al-sham",
)

# Written normalised (see archive.text.fold): ة as ه, ى as ي, no hamza on alef.
# Terms that may stand without the article.
ARABIC_TERMS = (
    r"سوري(?:ا|ه|ين|ون|ات|يين|يون)?", r"دمشق", r"حلب", r"ادلب", r"حمص", r"حماه",
    r"لاذقيه", r"طرطوس", r"درعا", r"منبج", r"عفرين", r"كوباني", r"تدمر", r"قنيطره",
    r"قسد", r"هييه تحرير الشام", r"دير الزور", r"بشار الاسد",
)
# Terms that are names only with the article (رقه alone is "thinness").
ARABIC_TERMS_WITH_ARTICLE = (
    r"رقه", r"حسكه", r"سويداء", r"قامشلي", r"جولان",
)

_WB_BEFORE = r"(?<![\w])"
_WB_AFTER = r"(?![\w])"
_EN_RE = re.compile(_WB_BEFORE + "(?:" + "|".join(ENGLISH_TERMS) + ")" + _WB_AFTER)
_AR_RE = re.compile(
    _WB_BEFORE + "(?:"
    + CLITICS + "(?:" + "|".join(ARABIC_TERMS) + ")"
    + "|" + ARTICLE + "(?:" + "|".join(ARABIC_TERMS_WITH_ARTICLE) + ")"
    + ")" + _WB_AFTER
)


def mentions(text: str | None) -> int:
    """How many times Syria terms occur in ``text`` (both languages)."""
    if not text:
        return 0
    norm = fold(text)
    return len(_EN_RE.findall(norm)) + len(_AR_RE.findall(norm))


def matched_terms(text: str | None) -> list[str]:
    """The terms found, as they appear in the normalised text (for logs and tests)."""
    if not text:
        return []
    norm = fold(text)
    return [m.group(0) for m in _EN_RE.finditer(norm)] + [m.group(0) for m in _AR_RE.finditer(norm)]


def about_syria(
    headline: Iterable[str | None], body: str | None, min_body_mentions: int = 2
) -> bool:
    """An article is about Syria when its headline fields name it, or its body
    does at least ``min_body_mentions`` times (one passing mention is not enough)."""
    if any(mentions(h) for h in headline):
        return True
    return mentions(body) >= min_body_mentions


class RelevancePipeline:
    def __init__(self, stats: StatsCollector, min_body_mentions: int = 2,
                 all_syria: bool = False) -> None:
        self.stats = stats
        self.min_body_mentions = min_body_mentions
        self.all_syria = all_syria

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> RelevancePipeline:
        assert crawler.stats is not None
        outlet = getattr(crawler.spidercls, "outlet", None)
        return cls(crawler.stats, crawler.settings.getint("RELEVANCE_MIN_BODY_MENTIONS", 2),
                   all_syria=bool(outlet and outlet.all_syria))

    def process_item(self, item: Any) -> Any:
        if self.all_syria:
            self.stats.inc_value("relevance/kept/all_syria")
            return item
        a = ItemAdapter(item)
        headline = [a.get("title"), a.get("subtitle"), " ".join(a.get("tags") or [])]
        if about_syria(headline, a.get("text"), self.min_body_mentions):
            self.stats.inc_value("relevance/kept/about_syria")
            return item
        self.stats.inc_value("item_dropped/not_about_syria")
        raise DropItem(f"not about Syria: {a.get('url')}")
