"""The payload digest index: which payloads are archived already, and where first.

A revisit record needs the URL and date of the first capture of a payload;
this index keeps them across runs in SQLite under the data directory
(``state/digests.sqlite3``), or in Redis for distributed crawls
(:class:`RedisDigestStore`): the interface is two methods, so either serves the
same recorder.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Protocol

from archive.statedb import open_state_db


class DigestStore(Protocol):
    def get(self, digest: str) -> tuple[str, str] | None:
        """(target URI, WARC date) of the first capture of this payload, or None."""

    def add(self, digest: str, uri: str, date: str) -> None:
        """Remember a capture; the first one for a digest is kept."""


class SqliteDigestStore:
    def __init__(self, path: Path) -> None:
        self.path = path
        self.db = open_state_db(path, "CREATE TABLE IF NOT EXISTS digests (digest TEXT PRIMARY "
                                "KEY, uri TEXT NOT NULL, date TEXT NOT NULL)",
                                synchronous_normal=True)

    def get(self, digest: str) -> tuple[str, str] | None:
        row = self.db.execute("SELECT uri, date FROM digests WHERE digest = ?",
                              (digest,)).fetchone()
        return (row[0], row[1]) if row else None

    def add(self, digest: str, uri: str, date: str) -> None:
        self.db.execute("INSERT OR IGNORE INTO digests (digest, uri, date) VALUES (?, ?, ?)",
                        (digest, uri, date))

    def close(self) -> None:
        self.db.close()


class RedisDigestStore:
    """The same index in Redis, shared by the workers of a distributed crawl: one hash,
    digest -> "URI DATE".  HSETNX keeps the first capture when two workers meet the
    same payload at once."""

    def __init__(self, server: Any, key: str) -> None:
        self.server = server
        self.key = key

    def get(self, digest: str) -> tuple[str, str] | None:
        value = self.server.hget(self.key, digest)
        if value is None:
            return None
        uri, _, date = value.decode("utf-8").rpartition(" ")
        return uri, date

    def add(self, digest: str, uri: str, date: str) -> None:
        self.server.hsetnx(self.key, digest, f"{uri} {date}")

    def close(self) -> None:
        self.server.close()
