"""The incremental crawls' fetched-page store in Redis, shared by distributed workers.

The same methods as :class:`spiders.incremental.FetchedStore` (SQLite): an
article page one worker fetched is not fetched again by another, tonight or
next month.  Two hashes under ``PREFIX:``: ``fetched`` (request fingerprint ->
URL, listed date, fetch time, WARC record id, as JSON) and ``listings`` (section
page -> the article links it gave at its last fetch).
"""

from __future__ import annotations

import json
from typing import Any


class RedisFetchedStore:
    def __init__(self, server: Any, prefix: str) -> None:
        self.server = server
        self.fetched = f"{prefix}:fetched"
        self.listings = f"{prefix}:listings"

    def get(self, fp: str) -> dict[str, Any] | None:
        value = self.server.hget(self.fetched, fp)
        return json.loads(value) if value is not None else None

    def put(self, fp: str, url: str, listed: str | None, fetched_at: str,
            record_id: str | None, replace: bool = True) -> None:
        value = json.dumps(
            {"url": url, "listed": listed, "fetched_at": fetched_at, "record_id": record_id})
        if replace:
            self.server.hset(self.fetched, fp, value)
        else:
            self.server.hsetnx(self.fetched, fp, value)

    def listing(self, page: str) -> set[str] | None:
        value = self.server.hget(self.listings, page)
        return set(json.loads(value)) if value is not None else None

    def put_listing(self, page: str, links: set[str]) -> None:
        self.server.hset(self.listings, page, json.dumps(sorted(links)))

    def close(self) -> None:
        self.server.close()
