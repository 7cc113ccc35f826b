"""The payload digest index: which payloads are archived already, and where first.

A revisit record needs the URL and date of the first capture of a payload;
this index keeps them across runs in SQLite under the data directory
(``state/digests.sqlite3``).  The interface is two methods so that another
store (Redis, for distributed crawls) can serve the same recorder.
"""

from __future__ import annotations

from pathlib import Path
from typing import Protocol

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
