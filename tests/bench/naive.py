"""The spider the pipeline is measured against: a user's ten-line Scrapy spider.

What a user writes in ten lines: Scrapy's ``SitemapSpider`` over the site's sitemaps,
``trafilatura.extract(with_metadata=True, output_format="json")`` inline in the callback,
and a JSON Lines feed (``-o``).  Run by ``bench_pipeline.py`` with ``scrapy runspider``
and the same settings as the pipeline's crawl: the loopback resolver, concurrency, no
politeness delay.  ``bare.py`` is the same spider fetching only.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import trafilatura
from scrapy.spiders import SitemapSpider


class NaiveSpider(SitemapSpider):
    name = "naive"

    def __init__(self, sitemaps: str = "", **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.sitemap_urls = sitemaps.split(",")

    def parse(self, response: Any) -> Iterator[dict[str, Any]]:
        doc = trafilatura.extract(response.text, url=response.url, with_metadata=True,
                                  output_format="json")
        if doc:
            yield json.loads(doc)

