"""The LSH band index of the dedup state, in memory: band key -> originals.

Every original has 48 band keys (:data:`pipelines.similarity.BANDS`), so a million
originals make 48 million entries.  Kept in SQLite as a table, each article's 48 new keys
land on 48 random pages of a two-gigabyte B-tree, and so do its 48 lookups: the index
slowed to 2.5 ms an article at a million.  Here the entries are two sorted arrays
(12 bytes an entry: 580 MB at a million originals), looked up with a binary search; new
entries wait in a small dictionary and are merged into the arrays in batches.

The index is derived data: the originals' signatures in SQLite are the truth.  It is
saved beside the state (``dedup.sqlite3.bands.npz``) when the store closes, with the
last original it holds; on opening, the originals added after that one are indexed from
their signatures, so a killed run costs a little catching up, never a missed candidate.
A saved index that does not match the database (another copy of the state restored, an
other banding) is rebuilt from the signatures.  One index serves every store of the
process open on the same file (the spiders of one crawl share their dedup state).
"""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Callable, Iterable
from pathlib import Path

import numpy as np

logger = logging.getLogger(__name__)

# New entries merged into the arrays once this many wait (about 10,000 articles).
MERGE_AT = 500_000


class BandIndex:
    def __init__(self, scheme: str) -> None:
        self.scheme = scheme
        self.keys = np.empty(0, dtype=np.int64)  # sorted
        self.ids = np.empty(0, dtype=np.uint32)  # the original of each key
        # Entries not merged yet: a key's first original, and any further ones apart (a
        # key is shared only by look-alike originals, rarely).
        self._pending: dict[int, int] = {}
        self._more: dict[int, list[int]] = {}
        self._pending_count = 0
        self.upto = 0  # the highest original id indexed
        self.mark = ""  # its canonical URL, to tell this database from another copy

    def __len__(self) -> int:
        return len(self.keys) + self._pending_count

    def add(self, original: int, keys: Iterable[int], mark: str = "") -> None:
        keys = list(keys)
        for key in self._pending.keys() & keys:
            self._more.setdefault(key, []).append(self._pending[key])
        self._pending.update(dict.fromkeys(keys, original))
        self._pending_count += len(keys)
        if original >= self.upto:
            self.upto, self.mark = original, mark
        if self._pending_count >= MERGE_AT:
            self.merge()

    def lookup(self, keys: list[int]) -> set[int]:
        """The originals filed under any of ``keys``."""
        found: set[int] = set()
        if len(self.keys):
            wanted = np.asarray(keys, dtype=np.int64)
            lo = np.searchsorted(self.keys, wanted, side="left")
            hi = np.searchsorted(self.keys, wanted, side="right")
            for a, b in zip(lo.tolist(), hi.tolist(), strict=True):
                if b > a:
                    found.update(self.ids[a:b].tolist())
        pending, more = self._pending, self._more
        for key in keys:
            if key in pending:
                found.add(pending[key])
                found.update(more.get(key, ()))
        return found

    def merge(self) -> None:
        """Move the waiting entries into the sorted arrays (a linear merge)."""
        if not self._pending:
            return
        pairs = [*self._pending.items(),
                 *((k, i) for k, ids in self._more.items() for i in ids)]
        keys = np.fromiter((k for k, _ in pairs), dtype=np.int64, count=len(pairs))
        ids = np.fromiter((i for _, i in pairs), dtype=np.uint32, count=len(pairs))
        order = np.argsort(keys, kind="stable")
        keys, ids = keys[order], ids[order]
        at = np.searchsorted(self.keys, keys, side="right")
        self.keys = np.insert(self.keys, at, keys)
        self.ids = np.insert(self.ids, at, ids)
        self._pending.clear()
        self._more.clear()
        self._pending_count = 0

    def save(self, path: Path) -> None:
        """Write the index (atomically: a half-written file is never read)."""
        self.merge()
        partial = path.with_name(path.name + ".partial")
        with partial.open("wb") as fh:
            np.savez(fh, keys=self.keys, ids=self.ids,
                     meta=np.array([self.scheme, str(self.upto), self.mark]))
        os.replace(partial, path)

    @classmethod
    def load(cls, path: Path, scheme: str) -> BandIndex | None:
        """A saved index of this banding, or None (missing, unreadable, other banding)."""
        try:
            with np.load(path, allow_pickle=False) as data:
                saved_scheme, upto, mark = (str(x) for x in data["meta"])
                if saved_scheme != scheme:
                    return None
                index = cls(scheme)
                index.keys, index.ids = data["keys"], data["ids"]
                index.upto, index.mark = int(upto), mark
                return index
        except (OSError, ValueError, KeyError):
            return None


# One index per state file in a process, with the number of stores using it.
_shared: dict[str, tuple[BandIndex, int]] = {}
_lock = threading.Lock()


def acquire(path: Path, build: Callable[[], BandIndex]) -> tuple[BandIndex, bool]:
    """The process's index for ``path`` (``build()`` makes it for the first user); True
    when this caller built it."""
    key = str(path.resolve())
    with _lock:
        if key in _shared:
            index, users = _shared[key]
            _shared[key] = (index, users + 1)
            return index, False
        index = build()
        _shared[key] = (index, 1)
        return index, True


def release(path: Path) -> BandIndex | None:
    """One user fewer; the index when that was the last one (for the caller to save)."""
    key = str(path.resolve())
    with _lock:
        index, users = _shared[key]
        if users > 1:
            _shared[key] = (index, users - 1)
            return None
        del _shared[key]
        return index
