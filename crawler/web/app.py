"""The Datasette instance of ``serve``: the catalog, our plugin, templates and styles.

Datasette gives what researchers expect of it over the catalog: the
``articles`` table with facets (outlet, language, dedup verdict), CSV and JSON of
any page (``.csv``, ``.json``), the JSON API for notebooks, and the canned query
``search`` (``/catalog/search.json?q=...&outlet=...``) with the same SQL and the
same folding of Arabic as the search page.  The catalog is opened read-only; a
crawl may go on writing it (SQLite WAL), and new articles show at once.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from datasette.app import Datasette

from crawler.web.plugin import DATABASE, WebPlugin
from crawler.web.search import FILTERS, SEARCH_SQL

HERE = Path(__file__).resolve().parent
PLUGIN_NAME = "syria-archive-web"

#: Datasette settings: a search's CSV/JSON export holds up to this many rows.
MAX_RETURNED_ROWS = 50_000
SETTINGS = {"max_returned_rows": MAX_RETURNED_ROWS, "sql_time_limit_ms": 5000,
            "default_page_size": 50, "facet_time_limit_ms": 1000, "suggest_facets": False}


def metadata() -> dict[str, Any]:
    return {
        "title": "Syria news archive",
        "description": "Coverage of Syria by Middle East news outlets, in Arabic and English, "
                       "archived as WARC.",
        "databases": {DATABASE: {
            "tables": {
                "articles": {"facets": ["outlet", "language", "dedup"],
                             "sort_desc": "published", "label_column": "title"},
                **{name: {"hidden": True} for name in (
                    "articles_fts", "articles_fts_config", "articles_fts_data",
                    "articles_fts_docsize", "articles_fts_idx", "articles_fts_content")},
            },
            "queries": {"search": {
                "title": "Search the articles",
                "description": "Articles containing all the words of q (folded as the catalog "
                               "folds Arabic and English), newest first. Every parameter may "
                               "be empty: " + ", ".join(FILTERS) + ".",
                "sql": SEARCH_SQL,
            }},
        }},
    }


def build_datasette(catalog: Path, plugin: WebPlugin) -> Datasette:
    """Datasette over ``catalog`` with ``plugin`` registered on its plugin manager."""
    from datasette.plugins import pm

    if pm.get_plugin(PLUGIN_NAME) is not None:
        pm.unregister(name=PLUGIN_NAME)
    pm.register(plugin, name=PLUGIN_NAME)
    return Datasette(
        files=[str(catalog)], metadata=metadata(), settings=SETTINGS,
        template_dir=str(HERE / "templates"),
        static_mounts=[("syria-static", str(HERE / "static"))],
        cache_headers=False)
