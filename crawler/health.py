"""What a run's health report needs counted while the crawl runs, and progress for people
watching it.

:class:`ArticleQualityStats` counts, per outlet, how complete the extracted articles
are (``quality/articles``, ``quality/titled``, ``quality/dated``, ``quality/authored``,
``quality/body_normal``, ``quality/date_precision/<p>``): the nightly report compares
these shares with the outlet's own history, so that a site redesign that costs the
dates or the bodies is seen the next morning.  :class:`OutletLogStats` replaces
Scrapy's LogStats with a line that names the outlet (one crawler per outlet share a
process, and Scrapy's line does not say whose it is) and adds articles, drops,
errors and bytes archived.

Settings read: ``HEALTH_ENABLED``, ``HEALTH_BODY_MIN_WORDS``, ``HEALTH_BODY_MAX_WORDS``,
``LOGSTATS_INTERVAL``.
"""

from __future__ import annotations

import logging
from typing import Any

from scrapy import Spider, signals
from scrapy.crawler import Crawler
from scrapy.exceptions import NotConfigured
from scrapy.extensions.logstats import LogStats
from scrapy.statscollectors import StatsCollector

logger = logging.getLogger(__name__)


class ArticleQualityStats:
    """Counts the completeness of every article scraped (``quality/*`` stats)."""

    def __init__(self, stats: StatsCollector, min_words: int, max_words: int) -> None:
        self.stats = stats
        self.min_words = min_words
        self.max_words = max_words

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> ArticleQualityStats:
        settings = crawler.settings
        if not settings.getbool("HEALTH_ENABLED", True):
            raise NotConfigured("HEALTH_ENABLED is off")
        assert crawler.stats is not None
        ext = cls(crawler.stats, settings.getint("HEALTH_BODY_MIN_WORDS", 80),
                  settings.getint("HEALTH_BODY_MAX_WORDS", 20000))
        crawler.signals.connect(ext.item_scraped, signal=signals.item_scraped)
        return ext

    def item_scraped(self, item: Any) -> None:
        get = item.get
        self.stats.inc_value("quality/articles")
        if get("title"):
            self.stats.inc_value("quality/titled")
        if get("published"):
            self.stats.inc_value("quality/dated")
            self.stats.inc_value(f"quality/date_precision/{get('published_precision') or '?'}")
        if get("authors"):
            self.stats.inc_value("quality/authored")
        if self.min_words <= int(get("word_count") or 0) <= self.max_words:
            self.stats.inc_value("quality/body_normal")


class OutletLogStats(LogStats):
    """Scrapy's periodic LogStats line, naming the outlet and saying what was kept:
    ``[mee] 40 pages (12/min), 9 articles kept, 2 dropped, 0 errors, 1.3 MB archived``."""

    def log(self, spider: Spider) -> None:
        self.calculate_stats()
        stats = self.stats.get_stats()
        errors = sum(v for k, v in stats.items()
                     if k.startswith(("fetch/failed/", "extract/failed/", "wall/"))
                     and isinstance(v, int))
        logger.info("[%s] %d pages (%d/min), %d articles kept, %d dropped, %d errors, "
                    "%.1f MB archived", spider.name, self.pages, self.prate, self.items,
                    stats.get("item_dropped_count", 0), errors,
                    stats.get("warc/bytes", 0) / 1e6, extra={"spider": spider})
