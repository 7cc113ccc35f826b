"""Merging the archives of several workers into one searchable archive.

Each worker of a distributed crawl keeps its own data directory: its WARC files
(named with host and pid, so they never collide), articles, reports and
catalog.  :func:`merge_catalog` folds one catalog into another (by article URL;
the later fetch wins; the word index goes along), and :func:`merge_archives`
does that for whole data directories, copying finished WARCs with their CDXJ,
the articles and the reports.  Nothing is overwritten that differs: a file of
the same name and another size is an error naming both paths.  Merging twice
changes nothing.
"""

from __future__ import annotations

import shutil
import sqlite3
from dataclasses import dataclass, field
from pathlib import Path

from archive.catalog import COLUMNS, Catalog


class MergeError(RuntimeError):
    """Two archives disagree (a file of one name, two contents) or one is unreadable."""


@dataclass
class MergeResult:
    sources: int = 0
    files: dict[str, int] = field(default_factory=dict)  # kind -> files copied
    articles_added: int = 0
    articles_updated: int = 0

    def as_dict(self) -> dict[str, object]:
        return {"sources": self.sources, "files": self.files,
                "articles_added": self.articles_added,
                "articles_updated": self.articles_updated}


def merge_catalog(source: Path, target: Path) -> tuple[int, int]:
    """Fold the catalog ``source`` into ``target`` (created when missing); returns
    (articles added, articles updated)."""
    try:
        src = sqlite3.connect(f"file:{source}?mode=ro", uri=True, timeout=30)
        src.row_factory = sqlite3.Row
        rows = src.execute(
            "SELECT a.*, f.title AS fts_title, f.text AS fts_text, f.stems AS fts_stems "
            "FROM articles a LEFT JOIN articles_fts f ON f.rowid = a.id").fetchall()
    except sqlite3.Error as exc:
        raise MergeError(f"{source}: not a readable catalog ({exc})") from None
    src.close()
    catalog = Catalog(target)
    db = catalog.db
    added = updated = 0
    try:
        with db:
            for row in rows:
                old = db.execute("SELECT id, fetched_at FROM articles WHERE url = ?",
                                 (row["url"],)).fetchone()
                values = [row[c] for c in COLUMNS]
                if old is None:
                    rowid = db.execute(
                        f"INSERT INTO articles ({', '.join(COLUMNS)}) "
                        f"VALUES ({', '.join('?' * len(COLUMNS))})", values).lastrowid
                    added += 1
                elif (row["fetched_at"] or "") > (old["fetched_at"] or ""):
                    rowid = old["id"]
                    db.execute(f"UPDATE articles SET {', '.join(c + ' = ?' for c in COLUMNS)} "
                               "WHERE id = ?", [*values, rowid])
                    db.execute("DELETE FROM articles_fts WHERE rowid = ?", (rowid,))
                    updated += 1
                else:
                    continue
                db.execute("INSERT INTO articles_fts (rowid, title, text, stems) "
                           "VALUES (?, ?, ?, ?)",
                           (rowid, row["fts_title"] or "", row["fts_text"] or "",
                            row["fts_stems"] or ""))
    finally:
        catalog.close()
    return added, updated


def _copy(path: Path, target_dir: Path) -> bool:
    """Copy a file unless the same one is there; True when copied."""
    target = target_dir / path.name
    if target.exists():
        if target.stat().st_size != path.stat().st_size:
            raise MergeError(f"{path} and {target} have one name and different sizes")
        return False
    target_dir.mkdir(parents=True, exist_ok=True)
    partial = target.with_name(target.name + ".part")
    shutil.copy2(path, partial)
    partial.replace(target)
    return True


# What a worker's data directory holds that the merged archive takes, by kind.
KINDS = {"warc": ("warc", "*.warc.gz"), "cdxj": ("warc", "*.cdxj"),
         "articles": ("items", "*.jsonl"), "reports": ("reports", "*.json")}


def merge_archives(target: Path, sources: list[Path]) -> MergeResult:
    """Merge the data directories ``sources`` into ``target``."""
    result = MergeResult()
    for source in sources:
        if not source.is_dir():
            raise MergeError(f"{source}: no such data directory")
        if source.resolve() == target.resolve():
            raise MergeError(f"{source} is the target itself")
    for source in sources:
        result.sources += 1
        for kind, (folder, pattern) in KINDS.items():
            for path in sorted((source / folder).glob(pattern)):
                if _copy(path, target / folder):
                    result.files[kind] = result.files.get(kind, 0) + 1
        catalog = source / "state" / "catalog.sqlite3"
        if catalog.is_file():
            added, updated = merge_catalog(catalog, target / "state" / "catalog.sqlite3")
            result.articles_added += added
            result.articles_updated += updated
    return result
