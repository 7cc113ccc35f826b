"""Log lines for the archive's crawls.

Scrapy logs a dropped item at WARNING with the whole item; an archive drops
articles as a matter of course (not about Syria, before the since-date), so a
drop is one INFO line with the reason and the URL.  Settings: ``LOG_FORMATTER``.
"""

from __future__ import annotations

import logging
from typing import Any

from itemadapter import ItemAdapter
from scrapy.logformatter import LogFormatter, LogFormatterResult


class ArchiveLogFormatter(LogFormatter):
    def dropped(self, item: Any, exception: BaseException, response: Any,
                spider: Any = None) -> LogFormatterResult:
        url = ItemAdapter(item).get("url") if ItemAdapter.is_item(item) else None
        return {
            "level": logging.INFO,
            "msg": "Dropped %(url)s: %(reason)s",
            "args": {"url": url or getattr(response, "url", "?"), "reason": exception},
        }
