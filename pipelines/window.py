"""Drops articles published before the crawl's since-date.

Reads the spider's ``since`` argument.  Undated articles are kept and counted
(``window/undated``): a missing date is not a reason to lose an article.  A date known
only to the day, month or year ("2013-08") is before the since-date only when all of
that day, month or year is.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from typing import Any

from itemadapter import ItemAdapter
from scrapy import signals
from scrapy.crawler import Crawler
from scrapy.exceptions import DropItem
from scrapy.statscollectors import StatsCollector

logger = logging.getLogger(__name__)


def before(published: str, since: datetime) -> bool:
    """Whether all of ``published`` (ISO 8601 at any precision) lies before ``since``."""
    if len(published) > 10:  # a moment
        moment = datetime.fromisoformat(published)
        return (moment if moment.tzinfo else moment.replace(tzinfo=UTC)) < since
    return published < since.isoformat()[:len(published)]


class DateWindowPipeline:
    def __init__(self, stats: StatsCollector, since: datetime | None) -> None:
        self.stats = stats
        self.since = since

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> DateWindowPipeline:
        assert crawler.stats is not None
        pipeline = cls(crawler.stats, None)
        crawler.signals.connect(pipeline._spider_opened, signal=signals.spider_opened)
        return pipeline

    def _spider_opened(self, spider: Any) -> None:
        self.since = getattr(spider, "since", None)

    def process_item(self, item: Any) -> Any:
        published = ItemAdapter(item).get("published")
        if not published:
            self.stats.inc_value("window/undated")
            return item
        if self.since and before(published, self.since):
            self.stats.inc_value("item_dropped/before_since")
            raise DropItem(f"published {published}, before {self.since.isoformat()}")
        return item
