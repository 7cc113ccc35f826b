"""The deduplication index, kept across runs under the data directory.

Only originals are indexed: their canonical URL, exact text fingerprint,
MinHash signature and LSH band keys, their facts (:mod:`pipelines.facts`) and,
for finding translations, their language, outlet group and day of publication.
A duplicate's own canonical URL is remembered as pointing at its original, so it
is recognised next time without being compared again.  :class:`DedupStore` is the
interface; SQLite serves a single machine (``state/dedup.sqlite3``), and
:mod:`pipelines.dedupredis` serves distributed crawls with the same methods.

An index written by an earlier version is brought up to date when opened: the
columns it lacks are added (its originals have no facts, so no facts veto and no
translation link applies to them).  The LSH band keys are not a table any more but an
index in memory made from the stored signatures (:mod:`pipelines.bandindex`, saved
beside the file when the store closes), made afresh when the banding changed
(:data:`pipelines.similarity.LSH_SCHEME`) or the saved one is another database's.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from archive.statedb import open_state_db
from pipelines import bandindex
from pipelines.facts import from_text, to_text
from pipelines.similarity import LSH_SCHEME, Signature

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Original:
    id: int
    canonical: str
    outlet: str
    cluster: str
    signature: Signature | None = None
    facts: frozenset[str] | None = None
    language: str | None = None


class DedupStore(Protocol):
    def by_url(self, key: str) -> Original | None: ...
    def by_fingerprint(self, fingerprint: str) -> Original | None: ...
    def candidates(self, band_keys: list[int]) -> list[Original]: ...
    def translation_candidates(self, group: str, language: str, first_day: int,
                               last_day: int) -> list[Original]: ...
    def add_original(self, key: str, canonical: str, outlet: str, cluster: str,
                     fingerprint: str, signature: Signature, *,
                     facts: frozenset[str] | None = None, language: str | None = None,
                     group: str | None = None, day: int | None = None) -> Original: ...
    def add_alias(self, key: str, original: Original) -> None: ...


# Columns added after the first release, with their types.
_ADDED_COLUMNS = {"facts": "TEXT", "language": "TEXT", "grp": "TEXT", "day": "INTEGER"}
_SELECT = "SELECT id, canonical, outlet, cluster, signature, facts, language FROM originals"


class SqliteDedupStore:
    def __init__(self, path: Path, commit_every: int = 1) -> None:
        self.path = path
        self.db = open_state_db(path, autocommit=False, timeout=60, synchronous_normal=True,
                                schema="""
            CREATE TABLE IF NOT EXISTS originals (
                id INTEGER PRIMARY KEY, canonical TEXT NOT NULL, outlet TEXT NOT NULL,
                cluster TEXT NOT NULL, signature BLOB NOT NULL);
            CREATE TABLE IF NOT EXISTS urls (
                canonical TEXT PRIMARY KEY, original INTEGER NOT NULL) WITHOUT ROWID;
            CREATE TABLE IF NOT EXISTS fingerprints (
                fingerprint TEXT PRIMARY KEY, original INTEGER NOT NULL) WITHOUT ROWID;
            CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
        """)
        self.commit_every = commit_every
        self._pending = 0
        self._upgrade()
        self.bands, built = bandindex.acquire(path, self._load_bands)
        self._closed = False

    def _upgrade(self) -> None:
        """Bring an index written by an earlier version up to date (see the module doc)."""
        have = {row[1] for row in self.db.execute("PRAGMA table_info(originals)")}
        for name, kind in _ADDED_COLUMNS.items():
            if name not in have:
                self.db.execute(f"ALTER TABLE originals ADD COLUMN {name} {kind}")
        self.db.execute("CREATE INDEX IF NOT EXISTS originals_group_day ON originals (grp, day) "
                        "WHERE grp IS NOT NULL")
        # The band keys lived in a table up to this version: they are in memory now
        # (pipelines/bandindex.py), made from the signatures.
        self.db.execute("DROP TABLE IF EXISTS bands")
        self.db.execute("INSERT OR REPLACE INTO meta VALUES ('lsh', ?)", (LSH_SCHEME,))
        self.db.commit()

    @property
    def bands_path(self) -> Path:
        return self.path.with_name(self.path.name + ".bands.npz")

    def _load_bands(self) -> bandindex.BandIndex:
        """The saved band index if it belongs to this database, caught up with the
        originals added since it was saved; else one built from the signatures."""
        index = bandindex.BandIndex.load(self.bands_path, LSH_SCHEME)
        if index is not None and index.upto:
            row = self.db.execute("SELECT canonical FROM originals WHERE id = ?",
                                  (index.upto,)).fetchone()
            if row is None or row[0] != index.mark:
                logger.warning("The saved band index %s is not this database's: rebuilt",
                               self.bands_path)
                index = None
        index = index or bandindex.BandIndex(LSH_SCHEME)
        behind = int(self.db.execute("SELECT COUNT(*) FROM originals WHERE id > ?",
                                     (index.upto,)).fetchone()[0])
        if behind > 10_000:
            logger.info("Indexing the LSH bands of %d originals of %s", behind, self.path)
        done = 0
        for oid, canonical, blob in self.db.execute(
                "SELECT id, canonical, signature FROM originals WHERE id > ? ORDER BY id",
                (index.upto,)):
            index.add(oid, Signature.from_bytes(blob).bands(), canonical)
            done += 1
            if done % 100_000 == 0:
                logger.info("LSH bands indexed for %d of %d originals", done, behind)
        return index

    def _original(self, row: tuple | None, signature: bool = True) -> Original | None:
        if row is None:
            return None
        return Original(row[0], row[1], row[2], row[3],
                        Signature.from_bytes(row[4]) if signature else None,
                        from_text(row[5]), row[6])

    def _get(self, original_id: int) -> Original | None:
        return self._original(self.db.execute(f"{_SELECT} WHERE id = ?",
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
        ids = sorted(self.bands.lookup(band_keys))
        if not ids:
            return []
        rows = self.db.execute(f"{_SELECT} WHERE id IN ({','.join('?' * len(ids))})",
                               ids).fetchall()
        return [o for o in map(self._original, rows) if o is not None]

    def translation_candidates(self, group: str, language: str, first_day: int,
                               last_day: int) -> list[Original]:
        """Originals of the outlet group in another language, published in the days given
        (without their signatures: only their facts are compared)."""
        rows = self.db.execute(
            f"{_SELECT} WHERE grp = ? AND day BETWEEN ? AND ? AND language != ? "
            "AND facts IS NOT NULL", (group, first_day, last_day, language)).fetchall()
        return [o for row in rows if (o := self._original(row, signature=False)) is not None]

    def add_original(self, key: str, canonical: str, outlet: str, cluster: str,
                     fingerprint: str, signature: Signature, *,
                     facts: frozenset[str] | None = None, language: str | None = None,
                     group: str | None = None, day: int | None = None) -> Original:
        cur = self.db.execute(
            "INSERT INTO originals (canonical, outlet, cluster, signature, facts, language, "
            "grp, day) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            (canonical, outlet, cluster, signature.to_bytes(),
             None if facts is None else to_text(facts), language, group, day))
        oid = int(cur.lastrowid or 0)
        self.db.execute("INSERT OR IGNORE INTO urls VALUES (?, ?)", (key, oid))
        self.db.execute("INSERT OR IGNORE INTO fingerprints VALUES (?, ?)", (fingerprint, oid))
        self.bands.add(oid, signature.band_keys, canonical)
        self._maybe_commit()
        return Original(oid, canonical, outlet, cluster, signature, facts, language)

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
        if self._closed:
            return
        self._closed = True
        self.db.commit()
        self.db.close()
        last = bandindex.release(self.path)
        if last is not None:  # the process's last store on this file saves the index
            try:
                last.save(self.bands_path)
            except OSError as exc:  # derived data: rebuilt from the signatures next time
                logger.warning("Could not save the band index %s: %s", self.bands_path, exc)
