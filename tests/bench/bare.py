"""Scrapy fetching the bench's pages and nothing more: ``SitemapSpider`` over the same
sitemaps as ``naive.py``, a callback that does nothing.  Scrapy's own cost per page."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from scrapy.spiders import SitemapSpider


class BareSpider(SitemapSpider):
    name = "bare"

    def __init__(self, sitemaps: str = "", **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.sitemap_urls = sitemaps.split(",")

    def parse(self, response: Any) -> Iterator[dict[str, Any]]:
        return iter(())
