"""The deduplication index, kept across runs under the data directory.

Only originals are indexed: their canonical URL, exact text fingerprint,
MinHash signature and LSH band keys.  A duplicate's own canonical URL is
remembered as pointing at its original, so it is recognised next time without
being compared again.  :class:`DedupStore` is the interface; SQLite serves a
single machine (``state/dedup.sqlite3``), and :mod:`pipelines.dedupredis` serves
distributed crawls with the same five methods.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from archive.statedb import open_state_db
from pipelines.similarity import Signature


@dataclass(frozen=True)
class Original:
    id: int
    canonical: str
    outlet: str
    cluster: str
    signature: Signature | None = None


class StoreConflict(Exception):
    """``add_original`` refused: another worker filed this URL, this text or a text
    in the same LSH bands meanwhile.  The deduplicator looks again."""


class DedupStore(Protocol):
    def by_url(self, key: str) -> Original | None: ...
    def by_fingerprint(self, fingerprint: str) -> Original | None: ...
    def candidates(self, band_keys: list[int]) -> list[Original]: ...
    def add_original(self, key: str, canonical: str, outlet: str, cluster: str,
                     fingerprint: str, signature: Signature) -> Original: ...
    def add_alias(self, key: str, original: Original) -> None: ...


class SqliteDedupStore:
    def __init__(self, path: Path, commit_every: int = 1) -> None:
        self.db = open_state_db(path, autocommit=False, timeout=60, synchronous_normal=True,
                                schema="""
            CREATE TABLE IF NOT EXISTS originals (
                id INTEGER PRIMARY KEY, canonical TEXT NOT NULL, outlet TEXT NOT NULL,
                cluster TEXT NOT NULL, signature BLOB NOT NULL);
            CREATE TABLE IF NOT EXISTS urls (
                canonical TEXT PRIMARY KEY, original INTEGER NOT NULL) WITHOUT ROWID;
            CREATE TABLE IF NOT EXISTS fingerprints (
                fingerprint TEXT PRIMARY KEY, original INTEGER NOT NULL) WITHOUT ROWID;
            CREATE TABLE IF NOT EXISTS bands (
                key INTEGER NOT NULL, original INTEGER NOT NULL,
                PRIMARY KEY (key, original)) WITHOUT ROWID;
        """)
        self.commit_every = commit_every
        self._pending = 0

    def _original(self, row: tuple | None) -> Original | None:
        if row is None:
            return None
        return Original(row[0], row[1], row[2], row[3], Signature.from_bytes(row[4]))

    def _get(self, original_id: int) -> Original | None:
        return self._original(self.db.execute(
            "SELECT id, canonical, outlet, cluster, signature FROM originals WHERE id = ?",
            (original_id,)).fetchone())

    def by_url(self, key: str) -> Original | None:
        row = self.db.execute("SELECT original FROM urls WHERE canonical = ?",
                              (key,)).fetchone()
        return self._get(row[0]) if row else None

    def by_fingerprint(self, fingerprint: str) -> Original | None:
        row = self.db.execute("SELECT original FROM fingerprints WHERE fingerprint = ?",
                              (fingerprint,)).fetchone()
        return self._get(row[0]) if row else None

    def candidates(self, band_keys: list[int]) -> list[Original]:
        marks = ",".join("?" * len(band_keys))
        rows = self.db.execute(
            "SELECT id, canonical, outlet, cluster, signature FROM originals WHERE id IN "
            f"(SELECT DISTINCT original FROM bands WHERE key IN ({marks}))", band_keys).fetchall()
        return [o for o in map(self._original, rows) if o is not None]

    def add_original(self, key: str, canonical: str, outlet: str, cluster: str,
                     fingerprint: str, signature: Signature) -> Original:
        cur = self.db.execute(
            "INSERT INTO originals (canonical, outlet, cluster, signature) VALUES (?, ?, ?, ?)",
            (canonical, outlet, cluster, signature.to_bytes()))
        oid = int(cur.lastrowid or 0)
        self.db.execute("INSERT OR IGNORE INTO urls VALUES (?, ?)", (key, oid))
        self.db.execute("INSERT OR IGNORE INTO fingerprints VALUES (?, ?)", (fingerprint, oid))
        self.db.executemany("INSERT OR IGNORE INTO bands VALUES (?, ?)",
                            [(k, oid) for k in signature.bands()])
        self._maybe_commit()
        return Original(oid, canonical, outlet, cluster, signature)

    def add_alias(self, key: str, original: Original) -> None:
        self.db.execute("INSERT OR IGNORE INTO urls VALUES (?, ?)", (key, original.id))
        self._maybe_commit()

    def _maybe_commit(self) -> None:
        self._pending += 1
        if self._pending >= self.commit_every:
            self.db.commit()
            self._pending = 0

    def count(self) -> int:
        return int(self.db.execute("SELECT COUNT(*) FROM originals").fetchone()[0])

    def clusters(self) -> dict[str, int]:
        """Cluster id -> number of URLs recorded in it (originals and duplicates)."""
        rows = self.db.execute(
            "SELECT o.cluster, COUNT(u.canonical) FROM originals o "
            "JOIN urls u ON u.original = o.id GROUP BY o.cluster").fetchall()
        return {cluster: n for cluster, n in rows}

    def close(self) -> None:
        self.db.commit()
        self.db.close()
