"""Keeps articles about Syria; drops the rest, counted by reason.

Settings read: ``RELEVANCE_MIN_BODY_MENTIONS`` (how often the body must name
Syria when title, subtitle and tags do not).  Outlets marked ``all_syria`` in
the registry skip the test.
"""

from __future__ import annotations

import logging
from typing import Any

from itemadapter import ItemAdapter
from scrapy.crawler import Crawler
from scrapy.exceptions import DropItem
from scrapy.statscollectors import StatsCollector

from crawler.relevance import about_syria

logger = logging.getLogger(__name__)


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
