"""The catalog search as SQL: one query for the page, Datasette's canned query
(its CSV and JSON export and JSON API) and the facets, so that all of them agree.

The query words are folded by ``fts_match`` (:func:`fts_match`, registered on
every Datasette connection by the plugin) exactly as the catalog folded the
indexed text (:func:`archive.catalog.fts_query`): Arabic diacritics, alef
forms and taa marbuta do not matter, and the clitic-stripped stems are matched.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from archive.catalog import fts_query

#: Query-string parameters of a search, in the order the page shows them.
FILTERS = ("q", "outlet", "lang", "month", "dedup", "since", "until")

#: The facets: parameter -> the SQL expression it filters and counts.
FACETS = {"outlet": "a.outlet", "lang": "a.language", "month": "substr(a.published, 1, 7)",
          "dedup": "coalesce(a.dedup, 'new')"}

#: What the dedup verdicts mean, for the facet's labels.
VERDICTS = {"new": "original", "url": "same URL", "exact": "exact copy",
            "near": "near duplicate", "new_version": "new version"}

WHERE = """(fts_match(:q) = '' OR a.id IN (
        SELECT rowid FROM articles_fts WHERE articles_fts MATCH fts_match(:q)))
  AND (:outlet = '' OR a.outlet = :outlet)
  AND (:lang = '' OR a.language = :lang)
  AND (:month = '' OR substr(a.published, 1, 7) = :month)
  AND (:dedup = '' OR coalesce(a.dedup, 'new') = :dedup)
  AND (:since = '' OR substr(a.published, 1, 10) >= :since)
  AND (:until = '' OR substr(a.published, 1, 10) <= :until)"""

COLUMNS = """a.id, a.published, a.outlet, a.language, a.title, a.url, a.canonical_url,
  coalesce(a.dedup, 'new') AS dedup, a.duplicate_of, a.cluster_id, a.similarity, a.word_count,
  a.fetched_at, a.warc_file, a.warc_offset, a.warc_length, a.record_id"""

#: Newest first; articles without a date last.
SEARCH_SQL = (f"SELECT {COLUMNS}\nFROM articles a\nWHERE {WHERE}\n"
              "ORDER BY a.published IS NULL, a.published DESC, a.id DESC")
COUNT_SQL = f"SELECT COUNT(*) FROM articles a WHERE {WHERE}"


def fts_match(query: str | None) -> str:
    """The words of a query as the catalog's FTS5 query ("" when it has none)."""
    return fts_query((query or "").split())


def facet_sql(name: str) -> str:
    return (f"SELECT {FACETS[name]} AS value, COUNT(*) AS n FROM articles a WHERE {WHERE} "
            "GROUP BY 1 ORDER BY n DESC, value DESC")


@dataclass(frozen=True)
class Query:
    """A search as the query string gives it: every filter, "" when unset."""

    q: str = ""
    outlet: str = ""
    lang: str = ""
    month: str = ""
    dedup: str = ""
    since: str = ""
    until: str = ""

    @classmethod
    def from_args(cls, args: Mapping[str, str]) -> Query:
        return cls(**{name: (args.get(name) or "").strip() for name in FILTERS})

    def params(self) -> dict[str, str]:
        return {name: getattr(self, name) for name in FILTERS}

    def set(self, **changes: str) -> dict[str, str]:
        """The query string with some filters changed ("" removes one), unset ones left out."""
        return {k: v for k, v in {**self.params(), **changes}.items() if v}

    def empty(self) -> bool:
        return not any(self.params().values())
