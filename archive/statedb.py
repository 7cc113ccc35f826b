"""Opening the SQLite files kept under the data directory's ``state/``.

Every store (digests, fetched pages, dedup index, catalog, outbox) opens its
file the same way: folder made, a busy timeout, write-ahead logging so that
readers never block the crawl, and its schema.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any


def open_state_db(path: Path, schema: str, *, autocommit: bool = True, timeout: float = 30,
                  synchronous_normal: bool = False, **connect: Any) -> sqlite3.Connection:
    """A connection to ``path`` in WAL mode with ``schema`` applied.

    ``autocommit`` makes each statement its own transaction; without it the
    caller commits.  ``synchronous_normal`` trades the last transactions on a
    power cut for speed, for stores that can be rebuilt from the WARCs.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    if autocommit:
        connect["isolation_level"] = None
    db = sqlite3.connect(path, timeout=timeout, **connect)
    db.execute("PRAGMA journal_mode=WAL")
    if synchronous_normal:
        db.execute("PRAGMA synchronous=NORMAL")
    db.executescript(schema)
    return db
