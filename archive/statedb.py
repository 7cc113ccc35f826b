"""Opening the SQLite files kept under the data directory's ``state/``.

Every store (digests, fetched pages, dedup index, catalog, outbox) opens its
file the same way: folder made, a busy timeout, write-ahead logging so that
readers never block the crawl, and its schema.  A store is used from one
thread at a time; it is closed in a thread of its own (:func:`close_off_reactor`),
since closing checkpoints the log and waits on the disk, and many spiders closing
at once in one process must not stall the reactor.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
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
    connect.setdefault("check_same_thread", False)  # closed in another thread
    if autocommit:
        connect["isolation_level"] = None
    db = sqlite3.connect(path, timeout=timeout, **connect)
    db.execute("PRAGMA journal_mode=WAL")
    if synchronous_normal:
        db.execute("PRAGMA synchronous=NORMAL")
    db.executescript(schema)
    return db


async def close_off_reactor(close: Callable[[], object]) -> None:
    """Run a store's ``close`` in a reactor thread (a spider_closed handler awaits it)."""
    from scrapy.utils.defer import maybe_deferred_to_future
    from twisted.internet.threads import deferToThread

    await maybe_deferred_to_future(deferToThread(close))
