"""The outbox: files waiting to be on S3, recorded on disk (``DATA/state/outbox.sqlite3``).

A file is put in the outbox with the S3 key it will have; it leaves the
outbox (its row turns ``uploaded``) only once S3 holds it intact, so a crash,
a kill or an S3 outage leaves it pending for the next flush.  Keys are
deterministic, so putting the same file twice, or uploading it twice after a
crash between upload and bookkeeping, never makes two copies.  Rows of
uploaded files are kept: they are the history that run manifests are built
from and that tells a new file from one already sent.
"""

from __future__ import annotations

import sqlite3
import threading
import time
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from archive.statedb import open_state_db

PENDING, UPLOADED = "pending", "uploaded"
SCHEMA = """
CREATE TABLE IF NOT EXISTS outbox (
    key TEXT PRIMARY KEY,
    path TEXT NOT NULL,
    kind TEXT NOT NULL,
    run_id TEXT,
    size INTEGER NOT NULL,
    mtime_ns INTEGER NOT NULL,
    sha256 TEXT,
    status TEXT NOT NULL DEFAULT 'pending',
    queued_at REAL NOT NULL,
    uploaded_at REAL,
    attempts INTEGER NOT NULL DEFAULT 0,
    last_error TEXT,
    delete_after INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX IF NOT EXISTS outbox_status ON outbox (status);
CREATE INDEX IF NOT EXISTS outbox_run ON outbox (run_id);
"""


@dataclass(frozen=True)
class Entry:
    key: str
    path: Path
    kind: str
    run_id: str | None
    size: int
    mtime_ns: int
    sha256: str | None
    status: str
    attempts: int
    last_error: str | None
    delete_after: bool

    @classmethod
    def from_row(cls, row: sqlite3.Row) -> Entry:
        return cls(key=row["key"], path=Path(row["path"]), kind=row["kind"],
                   run_id=row["run_id"], size=row["size"], mtime_ns=row["mtime_ns"],
                   sha256=row["sha256"], status=row["status"], attempts=row["attempts"],
                   last_error=row["last_error"], delete_after=bool(row["delete_after"]))


class Outbox:
    """Thread-safe: one connection, serialised by a lock (every call is short)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._lock = threading.Lock()
        self.db = open_state_db(path, SCHEMA, check_same_thread=False)
        self.db.row_factory = sqlite3.Row

    @classmethod
    def for_data(cls, data_dir: Path) -> Outbox:
        return cls(data_dir / "state" / "outbox.sqlite3")

    def close(self) -> None:
        with self._lock:
            self.db.close()

    def __enter__(self) -> Outbox:
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    def put(self, path: Path, key: str, kind: str, run_id: str | None = None,
            delete_after: bool = False) -> bool:
        """Queue ``path`` for ``key``; True when queued, False when this very file
        (same path, size and modification time) is already there or uploaded."""
        stat = path.stat()
        with self._lock:
            row = self.db.execute("SELECT path, size, mtime_ns, status, run_id FROM outbox "
                                  "WHERE key = ?", (key,)).fetchone()
            if row is not None and (row["path"], row["size"], row["mtime_ns"]) == (
                    str(path), stat.st_size, stat.st_mtime_ns):
                if run_id and not row["run_id"]:
                    self.db.execute("UPDATE outbox SET run_id = ? WHERE key = ?", (run_id, key))
                return False
            self.db.execute(
                "INSERT INTO outbox (key, path, kind, run_id, size, mtime_ns, queued_at, "
                "delete_after) VALUES (?, ?, ?, ?, ?, ?, ?, ?) "
                "ON CONFLICT (key) DO UPDATE SET path = excluded.path, kind = excluded.kind, "
                "run_id = COALESCE(excluded.run_id, run_id), size = excluded.size, "
                "mtime_ns = excluded.mtime_ns, sha256 = NULL, status = 'pending', "
                "queued_at = excluded.queued_at, uploaded_at = NULL, attempts = 0, "
                "last_error = NULL, delete_after = excluded.delete_after",
                (key, str(path), kind, run_id, stat.st_size, stat.st_mtime_ns, time.time(),
                 int(delete_after)))
            return True

    def known_paths(self) -> set[str]:
        with self._lock:
            return {r[0] for r in self.db.execute("SELECT path FROM outbox")}

    def get(self, key: str) -> Entry | None:
        with self._lock:
            row = self.db.execute("SELECT * FROM outbox WHERE key = ?", (key,)).fetchone()
        return Entry.from_row(row) if row else None

    def pending(self, keys: Iterable[str] | None = None) -> list[Entry]:
        with self._lock:
            rows = self.db.execute("SELECT * FROM outbox WHERE status = 'pending' "
                                   "ORDER BY queued_at, key").fetchall()
        wanted = set(keys) if keys is not None else None
        return [Entry.from_row(r) for r in rows if wanted is None or r["key"] in wanted]

    def entries(self, run_id: str | None = None, status: str | None = None) -> list[Entry]:
        sql, args = "SELECT * FROM outbox WHERE 1", []
        if run_id is not None:
            sql += " AND run_id = ?"
            args.append(run_id)
        if status is not None:
            sql += " AND status = ?"
            args.append(status)
        with self._lock:
            rows = self.db.execute(sql + " ORDER BY key", args).fetchall()
        return [Entry.from_row(r) for r in rows]

    def set_digest(self, key: str, sha256: str) -> None:
        with self._lock:
            self.db.execute("UPDATE outbox SET sha256 = ? WHERE key = ?", (sha256, key))

    def uploaded(self, key: str, sha256: str) -> None:
        with self._lock:
            self.db.execute("UPDATE outbox SET status = 'uploaded', sha256 = ?, "
                            "uploaded_at = ?, last_error = NULL WHERE key = ?",
                            (sha256, time.time(), key))

    def failed(self, key: str, error: str) -> None:
        with self._lock:
            self.db.execute("UPDATE outbox SET attempts = attempts + 1, last_error = ? "
                            "WHERE key = ?", (error[:500], key))

    def requeue(self, key: str, error: str) -> None:
        with self._lock:
            self.db.execute("UPDATE outbox SET status = 'pending', uploaded_at = NULL, "
                            "last_error = ? WHERE key = ?", (error[:500], key))

    def counts(self) -> dict[str, int]:
        with self._lock:
            return {r[0]: r[1] for r in self.db.execute(
                "SELECT status, COUNT(*) FROM outbox GROUP BY status")}
