"""Keeps articles about Syria; drops the rest, each drop counted by the rule that made it.

Is a text about Syria?  It names Syria, its places, landmarks or actors, as the
gazetteer (:mod:`pipelines.gazetteer`, ``gazetteer.toml``) lists them in English and
Arabic, outside the hard negatives ("Aleppo pepper", "Damascus, Maryland", حلب as "to
milk", بلاد الشام).  An article is kept when its title, subtitle or tags name Syria
(rule ``headline``), or its body does at least ``RELEVANCE_MIN_BODY_MENTIONS`` times
(rule ``body``); otherwise it is dropped by rule ``no_mention`` or ``too_few_mentions``.
The verdict (:class:`Verdict`) is stored on the item as ``relevance``, and
``syria-archive extract`` prints the same one.  The spider uses :func:`mentions` on feed
and sitemap titles to skip unrelated articles before fetching them.

Settings read: ``RELEVANCE_MIN_BODY_MENTIONS`` (how often the body must name Syria when
title, subtitle and tags do not).  Outlets marked ``all_syria`` in the registry keep every
article (rule ``all_syria``).  Stats: ``relevance/kept/<rule>``,
``relevance/dropped/<rule>``, ``item_dropped/not_about_syria``.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from typing import Any

from itemadapter import ItemAdapter
from scrapy.crawler import Crawler
from scrapy.exceptions import DropItem
from scrapy.statscollectors import StatsCollector

from pipelines.gazetteer import gazetteer

logger = logging.getLogger(__name__)

#: The rules a verdict names, kept and dropped.
KEPT_RULES = ("headline", "body", "all_syria")
DROPPED_RULES = ("no_mention", "too_few_mentions")


def mentions(text: str | None) -> int:
    """How many times ``text`` names Syria (gazetteer names, both languages)."""
    return len(gazetteer().find(text))


def terms(text: str | None) -> list[str]:
    """The gazetteer names ``text`` mentions, once each, in order of appearance."""
    return list(dict.fromkeys(m.name for m in gazetteer().find(text)))


def matched_terms(text: str | None) -> list[str]:
    """The names as they appear in the text's matching form (for logs and tests)."""
    return [m.surface for m in gazetteer().find(text)]


@dataclass
class Verdict:
    """Why an article is or is not about Syria."""

    about_syria: bool
    mentions: int
    terms: list[str] = field(default_factory=list)
    rule: str = ""

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def judge(headline: Iterable[str | None], body: str | None, min_body_mentions: int = 2,
          all_syria: bool = False) -> Verdict:
    """The verdict on an article from its headline fields (title, subtitle, tags) and body.

    One passing mention in the body is not enough: a story about oil prices that
    names Syria once is not Syria coverage."""
    found = [m for h in headline for m in gazetteer().find(h)]
    in_headline = len(found)
    in_body = gazetteer().find(body)
    found += in_body
    names = list(dict.fromkeys(m.name for m in found))
    if all_syria:
        return Verdict(True, len(found), names, "all_syria")
    if in_headline:
        return Verdict(True, len(found), names, "headline")
    if len(in_body) >= min_body_mentions:
        return Verdict(True, len(found), names, "body")
    return Verdict(False, len(found), names, "too_few_mentions" if in_body else "no_mention")


def judge_article(article: Any, min_body_mentions: int = 2, all_syria: bool = False) -> Verdict:
    """:func:`judge` on an Article item (or its dict)."""
    a = ItemAdapter(article)
    headline = [a.get("title"), a.get("subtitle"), " ; ".join(a.get("tags") or [])]
    return judge(headline, a.get("text") or "\n\n".join(a.get("body") or []),
                 min_body_mentions, all_syria)


def about_syria(headline: Iterable[str | None], body: str | None,
                min_body_mentions: int = 2) -> bool:
    """Whether :func:`judge` keeps the article."""
    return judge(headline, body, min_body_mentions).about_syria


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
        verdict = judge_article(item, self.min_body_mentions, self.all_syria)
        a = ItemAdapter(item)
        if "relevance" in a.field_names():
            a["relevance"] = verdict.as_dict()
        if verdict.about_syria:
            self.stats.inc_value(f"relevance/kept/{verdict.rule}")
            return item
        self.stats.inc_value(f"relevance/dropped/{verdict.rule}")
        self.stats.inc_value("item_dropped/not_about_syria")
        raise DropItem(f"not about Syria ({verdict.rule}, {verdict.mentions} mentions): "
                       f"{a.get('url')}")
