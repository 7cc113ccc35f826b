"""The Article item and its ItemLoader.

Fields are filled through :class:`ArticleLoader`: input processors clean each
value (Unicode NFC, whitespace), output processors pick one value or keep a
de-duplicated list, and dates become timezone-aware ISO 8601 strings.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import scrapy
from dateutil import parser as dateparser
from itemloaders.processors import Identity, MapCompose, TakeFirst
from scrapy.loader import ItemLoader

_SPACE = re.compile(r"\s+")


class Article(scrapy.Item):
    url = scrapy.Field()
    canonical_url = scrapy.Field()
    outlet = scrapy.Field()
    language = scrapy.Field()
    title = scrapy.Field()
    subtitle = scrapy.Field()
    authors = scrapy.Field()
    published = scrapy.Field()
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
    # dedup verdict (pipelines.dedup): "new", "url", "exact" or "near"
    dedup = scrapy.Field()
    duplicate_of = scrapy.Field()
    similarity = scrapy.Field()
    cluster_id = scrapy.Field()


def clean_text(value: Any) -> str | None:
    """NFC, whitespace runs to one space, trimmed; empty strings become None."""
    if value is None:
        return None
    text = _SPACE.sub(" ", unicodedata.normalize("NFC", str(value))).strip()
    return text or None


def to_iso8601(value: Any, default_tz: str = "UTC") -> str | None:
    """A date in any common form to timezone-aware ISO 8601 (``default_tz`` when naive)."""
    if value is None or value == "":
        return None
    if isinstance(value, datetime):
        moment = value
    else:
        try:
            moment = dateparser.parse(str(value))
        except (ValueError, OverflowError):
            return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=ZoneInfo(default_tz))
    return moment.isoformat()


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
