"""The re-extraction spider: archived captures of one outlet through extraction again.

It makes no request: :meth:`ReextractSpider.start` yields the items extracted
from the captures it was given (:mod:`archive.captures`), so the configured
item pipelines and the feed export run exactly as in a crawl, offline.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Iterator
from typing import Any, ClassVar

import scrapy

from archive.captures import Capture
from crawler.extract.article import extract_page, load_article
from crawler.extract.page import ExtractionError
from crawler.registry import Outlet

logger = logging.getLogger(__name__)


class ReextractSpider(scrapy.Spider):
    """Yields the articles of one outlet's archived captures; fetches nothing."""

    outlet: ClassVar[Outlet]
    captures: ClassVar[list[Capture]]

    @classmethod
    def for_outlet(cls, outlet: Outlet, captures: list[Capture]) -> type[ReextractSpider]:
        return type(f"Reextract{outlet.id.replace('-', '_')}", (cls,), {
            "name": outlet.id, "outlet": outlet, "captures": captures,
            "allowed_domains": list(outlet.allowed_domains), "__module__": cls.__module__})

    async def start(self) -> AsyncIterator[Any]:
        for item in self.items():
            yield item

    def items(self) -> Iterator[Any]:
        assert self.crawler.stats is not None
        stats = self.crawler.stats
        for cap in self.captures:
            stats.inc_value("reextract/captures")
            try:
                fields = extract_page(cap.body, cap.url, content_type=cap.content_type)
            except ExtractionError as exc:
                stats.inc_value(f"item_dropped/{exc.reason}")
                continue
            except Exception:
                stats.inc_value("item_dropped/extraction_error")
                logger.exception("Extraction failed for %s", cap.url)
                continue
            yield load_article(
                fields, url=cap.url, outlet=self.outlet.id, language=self.outlet.language,
                timezone=self.outlet.timezone, status=cap.status, fetched_at=cap.date,
                warc={"file": cap.file, "offset": cap.offset, "length": cap.length,
                      "record_id": cap.record_id, "revisit_of": None})
