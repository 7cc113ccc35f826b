"""The catalog: every kept article, where its capture lies, and a word index.

One SQLite file (``DATA/state/catalog.sqlite3``) maps an article to its WARC
record (file, offset, length, record id) and keeps what researchers filter by
(outlet, language, title, published, URL, canonical URL) and the dedup verdict
(``duplicate_of``, ``cluster_id``, ``similarity``) with the translation link
(``translation_of``).  An FTS5 index holds the
title and text in their matching form (:func:`archive.text.fold`),
plus Arabic words without the clitics written in front of them, so that a
search for "دمشق" finds "وبدمشق" and one for "حلب" does not find "حلبة".

Settings read: ``CATALOG_ENABLED``, ``CATALOG_PATH`` (default
``DATA_DIR/state/catalog.sqlite3``), ``CRAWL_ID``, ``CATALOG_REFRESH`` (re-extraction:
update extracted fields only, keep each article's capture and dedup verdict).
Stats: ``catalog/added``, ``catalog/updated``, ``catalog/no_warc``.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from itemadapter import ItemAdapter
from scrapy.crawler import Crawler
from scrapy.exceptions import NotConfigured
from scrapy.statscollectors import StatsCollector

from archive.statedb import close_off_reactor, open_state_db
from archive.text import arabic_stems, fold, words

SCHEMA = """
CREATE TABLE IF NOT EXISTS articles (
    id INTEGER PRIMARY KEY,
    url TEXT NOT NULL UNIQUE,
    canonical_url TEXT,
    outlet TEXT,
    language TEXT,
    title TEXT,
    published TEXT,
    fetched_at TEXT,
    word_count INTEGER,
    warc_file TEXT,
    warc_offset INTEGER,
    warc_length INTEGER,
    record_id TEXT,
    revisit_of TEXT,
    dedup TEXT,
    duplicate_of TEXT,
    cluster_id TEXT,
    similarity REAL,
    run_id TEXT,
    translation_of TEXT
);
CREATE INDEX IF NOT EXISTS articles_outlet_published ON articles (outlet, published);
CREATE INDEX IF NOT EXISTS articles_published ON articles (published);
CREATE INDEX IF NOT EXISTS articles_canonical ON articles (canonical_url);
CREATE VIRTUAL TABLE IF NOT EXISTS articles_fts USING fts5 (
    title, text, stems, tokenize = 'porter unicode61 remove_diacritics 2'
);
"""
COLUMNS = ("url", "canonical_url", "outlet", "language", "title", "published", "fetched_at",
           "word_count", "warc_file", "warc_offset", "warc_length", "record_id", "revisit_of",
           "dedup", "duplicate_of", "cluster_id", "similarity", "run_id", "translation_of")


def fts_query(query_words: list[str]) -> str:
    """Words as an FTS5 query: each a quoted token in its matching form, all required."""
    terms = []
    for word in query_words:
        for token in words(word):
            terms.append('"' + token.replace('"', "") + '"')
    return " AND ".join(terms)


@dataclass
class Hit:
    url: str
    canonical_url: str | None
    outlet: str
    language: str
    title: str
    published: str | None
    duplicate_of: str | None
    warc_file: str | None
    warc_offset: int | None
    warc_length: int | None
    record_id: str | None


class Catalog:
    def __init__(self, path: Path, readonly: bool = False) -> None:
        self.path = path
        if readonly:
            self.db = sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=30)
        else:
            self.db = open_state_db(path, SCHEMA, autocommit=False)
            self._upgrade()
        self.db.row_factory = sqlite3.Row

    def _upgrade(self) -> None:
        """A catalog written before translation links gets their column (empty)."""
        have = {row[1] for row in self.db.execute("PRAGMA table_info(articles)")}
        if "translation_of" not in have:
            self.db.execute("ALTER TABLE articles ADD COLUMN translation_of TEXT")
            self.db.commit()

    @classmethod
    def for_data(cls, data_dir: Path, readonly: bool = False) -> Catalog:
        return cls(data_dir / "state" / "catalog.sqlite3", readonly)

    def close(self) -> None:
        self.db.close()

    def add(self, article: dict[str, Any], run_id: str | None = None) -> bool:
        """Insert or update the article (by URL); True when it is new."""
        warc = article.get("warc") or {}
        row = {k: article.get(k) for k in COLUMNS}
        row.update(warc_file=warc.get("file"), warc_offset=warc.get("offset"),
                   warc_length=warc.get("length"), record_id=warc.get("record_id"),
                   revisit_of=warc.get("revisit_of"), run_id=run_id)
        title = fold(article.get("title") or "")
        text = fold(article.get("text") or " ".join(article.get("body") or []))
        old = self.db.execute("SELECT id FROM articles WHERE url = ?", (row["url"],)).fetchone()
        with self.db:
            if old is None:
                cur = self.db.execute(
                    f"INSERT INTO articles ({', '.join(COLUMNS)}) "
                    f"VALUES ({', '.join('?' * len(COLUMNS))})", [row[c] for c in COLUMNS])
                rowid = cur.lastrowid
            else:
                rowid = old["id"]
                self.db.execute(f"UPDATE articles SET {', '.join(c + ' = ?' for c in COLUMNS)} "
                                "WHERE id = ?", [row[c] for c in COLUMNS] + [rowid])
                self.db.execute("DELETE FROM articles_fts WHERE rowid = ?", (rowid,))
            self.db.execute("INSERT INTO articles_fts (rowid, title, text, stems) "
                            "VALUES (?, ?, ?, ?)",
                            (rowid, title, text, arabic_stems(title + " " + text)))
        return old is None

    def refresh(self, article: dict[str, Any], run_id: str | None = None) -> bool:
        """Re-extraction: update what extraction decides (title, date, text and its
        index) of an article already catalogued, keeping the capture it points to, its
        dedup verdict and the run that stored it; add it when it is new.  True when new."""
        old = self.db.execute("SELECT id FROM articles WHERE url = ?",
                              (article.get("url"),)).fetchone()
        if old is None:
            return self.add(article, run_id)
        fields = ("canonical_url", "language", "title", "published", "word_count")
        title = fold(article.get("title") or "")
        text = fold(article.get("text") or " ".join(article.get("body") or []))
        with self.db:
            self.db.execute(f"UPDATE articles SET {', '.join(c + ' = ?' for c in fields)} "
                            "WHERE id = ?", [article.get(c) for c in fields] + [old["id"]])
            self.db.execute("DELETE FROM articles_fts WHERE rowid = ?", (old["id"],))
            self.db.execute("INSERT INTO articles_fts (rowid, title, text, stems) "
                            "VALUES (?, ?, ?, ?)",
                            (old["id"], title, text, arabic_stems(title + " " + text)))
        return False

    def search(self, words: list[str] | None = None, outlet: str | None = None,
               language: str | None = None, since: str | None = None,
               until: str | None = None, limit: int = 50,
               include_duplicates: bool = True) -> list[Hit]:
        sql = ["SELECT a.* FROM articles a"]
        where: list[str] = []
        args: list[str | int] = []
        query = fts_query(words or [])
        if query:
            sql.append("JOIN articles_fts f ON f.rowid = a.id")
            where.append("articles_fts MATCH ?")
            args.append(query)
        if outlet:
            where.append("a.outlet = ?")
            args.append(outlet)
        if language:
            where.append("a.language = ?")
            args.append(language)
        if since:
            where.append("substr(a.published, 1, 10) >= ?")
            args.append(since[:10])
        if until:
            where.append("substr(a.published, 1, 10) <= ?")
            args.append(until[:10])
        if not include_duplicates:
            where.append("a.duplicate_of IS NULL")
        if where:
            sql.append("WHERE " + " AND ".join(where))
        sql.append("ORDER BY " + ("bm25(articles_fts), " if query else "")
                   + "a.published DESC LIMIT ?")
        args.append(limit)
        rows = self.db.execute(" ".join(sql), args).fetchall()
        return [Hit(**{k: r[k] for k in Hit.__dataclass_fields__}) for r in rows]

    def find(self, url: str) -> Hit | None:
        row = self.db.execute("SELECT * FROM articles WHERE url = ? OR canonical_url = ? "
                              "ORDER BY url = ? DESC, fetched_at DESC LIMIT 1",
                              (url, url, url)).fetchone()
        return Hit(**{k: row[k] for k in Hit.__dataclass_fields__}) if row else None

    def count(self) -> int:
        return int(self.db.execute("SELECT COUNT(*) FROM articles").fetchone()[0])

    def clusters(self, outlet: str | None = None, since: str | None = None,
                 limit: int = 50) -> list[list[dict[str, Any]]]:
        """Clusters of the same article (two or more URLs), newest first; in each, the
        original first, then its duplicates with their verdict and similarity."""
        where, args = ["cluster_id IS NOT NULL"], []
        if outlet:
            where.append("cluster_id IN (SELECT cluster_id FROM articles WHERE outlet = ?)")
            args.append(outlet)
        if since:
            where.append("substr(published, 1, 10) >= ?")
            args.append(since[:10])
        ids = [r[0] for r in self.db.execute(
            f"SELECT cluster_id FROM articles WHERE {' AND '.join(where)} GROUP BY cluster_id "
            "HAVING COUNT(*) > 1 ORDER BY MAX(published) DESC LIMIT ?", [*args, limit])]
        out = []
        for cluster in ids:
            rows = self.db.execute(
                "SELECT url, canonical_url, outlet, title, published, dedup, duplicate_of, "
                "similarity FROM articles WHERE cluster_id = ? "
                "ORDER BY duplicate_of IS NOT NULL, fetched_at", (cluster,)).fetchall()
            out.append([{"cluster_id": cluster, **dict(r)} for r in rows])
        return out


class CatalogPipeline:
    def __init__(self, catalog_path: Path, stats: StatsCollector,
                 run_id: str | None = None, refresh: bool = False) -> None:
        self.catalog_path = catalog_path
        self.stats = stats
        self.run_id = run_id
        self.refresh = refresh
        self.catalog: Catalog | None = None

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> CatalogPipeline:
        settings = crawler.settings
        if not settings.getbool("CATALOG_ENABLED", True):
            raise NotConfigured("CATALOG_ENABLED is off")
        assert crawler.stats is not None
        data = Path(settings.get("DATA_DIR", "data"))
        path = Path(settings.get("CATALOG_PATH") or data / "state" / "catalog.sqlite3")
        run_id = (settings.get("CRAWL_ID") or "").removeprefix("syria-archive-") or None
        return cls(path, crawler.stats, run_id, settings.getbool("CATALOG_REFRESH", False))

    def open_spider(self) -> None:
        self.catalog = Catalog(self.catalog_path)

    async def close_spider(self) -> None:
        if self.catalog is not None:
            catalog, self.catalog = self.catalog, None
            await close_off_reactor(catalog.close)

    def process_item(self, item: Any) -> Any:
        assert self.catalog is not None
        article = ItemAdapter(item).asdict()
        if not article.get("warc"):
            self.stats.inc_value("catalog/no_warc")
        new = (self.catalog.refresh if self.refresh else self.catalog.add)(article, self.run_id)
        self.stats.inc_value("catalog/added" if new else "catalog/updated")
        return item
