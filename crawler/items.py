"""The Article item and its ItemLoader.

Fields are filled through :class:`ArticleLoader`: input processors bring each
value to its stored form (NFC, single spaces, no invisible marks), output
processors pick one value or keep a de-duplicated list, and dates become ISO 8601
strings no more precise than their source (:mod:`crawler.extract.dates`): a time with
its offset (the outlet's time zone when the page names none), or a day, month or year.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable
from typing import Any

import scrapy
from itemloaders.processors import Identity, MapCompose, TakeFirst
from scrapy.loader import ItemLoader

from archive.text import tidy
from crawler.extract.dates import to_iso8601


class Article(scrapy.Item):
    url = scrapy.Field()
    canonical_url = scrapy.Field()
    outlet = scrapy.Field()
    language = scrapy.Field()
    title = scrapy.Field()
    subtitle = scrapy.Field()
    authors = scrapy.Field()
    published = scrapy.Field()
    # "year", "month", "day" or "time": a date is never more precise than its source
    published_precision = scrapy.Field()
    # where the date came from: "jsonld", "meta", "text", "url" or "feed"
    published_source = scrapy.Field()
    modified = scrapy.Field()
    section = scrapy.Field()
    tags = scrapy.Field()
    body = scrapy.Field()
    text = scrapy.Field()
    captions = scrapy.Field()
    credits = scrapy.Field()
    lead_image = scrapy.Field()
    word_count = scrapy.Field()
    fetched_at = scrapy.Field()
    status = scrapy.Field()
    discovery = scrapy.Field()
    warc = scrapy.Field()
    previous_version = scrapy.Field()
    # dedup verdict (pipelines.dedup): "new", "url", "exact", "near" or "new_version"
    dedup = scrapy.Field()
    duplicate_of = scrapy.Field()
    similarity = scrapy.Field()
    cluster_id = scrapy.Field()
    # the same story in the outlet group's other language (pipelines.dedup), not a duplicate
    translation_of = scrapy.Field()
    # the relevance verdict (pipelines.relevance): about_syria, mentions, terms, rule
    relevance = scrapy.Field()


def clean_text(value: Any) -> str | None:
    """The stored form of a value (:func:`archive.text.tidy`); empty strings become None."""
    return tidy(value) or None


def unique(values: Iterable[Any]) -> list[Any]:
    """Keep the first of equal values (case-insensitively for strings), in order."""
    seen: set[Any] = set()
    out = []
    for v in values:
        key = v.casefold() if isinstance(v, str) else v
        if key not in seen:
            seen.add(key)
            out.append(v)
    return out


class ArticleLoader(ItemLoader):
    default_item_class = Article
    default_input_processor = MapCompose(clean_text)
    default_output_processor = TakeFirst()

    authors_out = unique
    tags_out = unique
    captions_out = unique
    credits_out = unique
    body_out = Identity()
    published_in = MapCompose(lambda v, loader_context: to_iso8601(
        v, loader_context.get("timezone", "UTC")))
    modified_in = published_in
    text_in = MapCompose(lambda v: unicodedata.normalize("NFC", v).strip() or None)
    word_count_in = Identity()
    status_in = Identity()
    discovery_in = Identity()
    warc_in = Identity()
    previous_version_in = Identity()
    similarity_in = Identity()
    relevance_in = Identity()
