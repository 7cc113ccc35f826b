"""The Datasette plugin of ``serve``: our pages beside Datasette's own.

Hooks:

* ``prepare_connection``: the SQL function ``fts_match(q)`` on every connection,
  which folds a search as the catalog folded its text
  (:func:`crawler.web.search.fts_match`); Datasette's canned query ``search``
  (CSV, JSON, the JSON API) and our page run the same SQL with it.
* ``register_routes``: ``/`` (totals, charts), ``/search`` (results newest
  first, facets by outlet, language, month and dedup verdict, export links),
  ``/article/ID`` (the clean article, its citation, captures with replay links,
  duplicates), ``/article?url=URL``, ``/article/ID.wacz`` and ``/search.wacz``
  (WACZ packages), ``/warc/NAME`` (byte ranges of a WARC, for pywb when the
  WARCs are on S3).
* ``extra_css_urls``: our stylesheet, served from the package.

Every page works offline: no script, font or image from the internet.
"""

from __future__ import annotations

import asyncio
import logging
import re
import sqlite3
import time
import urllib.parse
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from botocore.exceptions import ClientError
from datasette import hookimpl
from datasette.utils.asgi import AsgiFileDownload, Request, Response
from markupsafe import Markup

from archive.download import Archive, expected_digests
from archive.s3 import warc_key
from crawler.web import charts
from crawler.web.article import load_article
from crawler.web.exports import build_wacz
from crawler.web.replay import Replay
from crawler.web.search import (
    COUNT_SQL,
    FACETS,
    FILTERS,
    SEARCH_SQL,
    VERDICTS,
    Query,
    facet_sql,
    fts_match,
)

logger = logging.getLogger(__name__)

DATABASE = "catalog"
PAGE_SIZE = 50
_WARC_NAME = re.compile(r"[\w.-]+\.warc\.gz")
_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
_MONTH = re.compile(r"\d{4}-\d{2}")
LANGUAGES = {"ar": "Arabic", "en": "English"}


@dataclass
class Site:
    """What the pages need besides the catalog."""

    archive: Archive
    replay: Replay | None
    outlets: dict[str, str]
    cache: Path
    wacz_limit: int = 500
    _charts: tuple[Any, dict[str, str]] | None = None
    _digests: tuple[float, dict[str, str]] = field(default=(0.0, {}))

    def records(self, url: str) -> list[dict[str, Any]]:
        if self.replay is None:
            return []
        return self.replay.records(url)

    def file_sha256(self, warc_file: str) -> str | None:
        """The WARC file's SHA-256 from the run manifests (read again at most once a
        minute when a file is not in them yet)."""
        loaded, digests = self._digests
        try:
            key = warc_key(warc_file)
        except ValueError:
            return None
        if key not in digests and time.monotonic() - loaded > 60:
            try:
                digests = expected_digests(self.archive.manifests())
            except (OSError, ValueError) as exc:
                logger.warning("Run manifests not readable: %s", exc)
            self._digests = (time.monotonic(), digests)
        return digests.get(key)


def display_url(url: str | None) -> str:
    """A URL as people read it: percent-encoded Arabic decoded (an IRI)."""
    return urllib.parse.unquote(url or "", errors="replace")


def _bad_request(message: str) -> Response:
    return Response.text(message, status=400)


class WebPlugin:
    """Registered on Datasette's plugin manager for one ``serve``."""

    #: Datasette lists plugins by ``__name__`` (its plugins are modules).
    __name__ = "syria-archive-web"

    def __init__(self, site: Site) -> None:
        self.site = site

    # -- hooks -------------------------------------------------------------------

    @hookimpl
    def prepare_connection(self, conn: sqlite3.Connection) -> None:
        conn.create_function("fts_match", 1, fts_match, deterministic=True)

    @hookimpl
    def extra_css_urls(self) -> list[str]:
        return ["/syria-static/app.css"]

    @hookimpl
    def register_routes(self) -> list[tuple[str, Any]]:
        return [
            (r"^/$", self.home),
            (r"^/search$", self.search),
            (r"^/search\.wacz$", self.search_wacz),
            (r"^/article$", self.article_by_url),
            (r"^/article/(?P<id>\d+)$", self.article),
            (r"^/article/(?P<id>\d+)\.wacz$", self.article_wacz),
            (r"^/warc/(?P<name>[^/]+)$", self.warc_range),
        ]

    # -- helpers -------------------------------------------------------------------

    async def _render(self, datasette: Any, request: Request, template: str,
                      context: dict[str, Any], status: int = 200) -> Response:
        context = {"outlets": self.site.outlets, "languages": LANGUAGES,
                   "verdicts": VERDICTS, "database": DATABASE, **context}
        html = await datasette.render_template([f"syria/{template}"], context, request=request)
        return Response.html(html, status=status)

    async def _error(self, datasette: Any, request: Request, status: int,
                     message: str) -> Response:
        # Rendered here rather than raised: Datasette prints a traceback for every raised
        # error, and a wrong URL is not a fault of the server.
        html = await datasette.render_template(
            ["error.html"], {"ok": False, "error": message, "status": status, "title": None},
            request=request)
        return Response.html(html, status=status)

    @staticmethod
    def _query(request: Request) -> tuple[Query, str | None]:
        query = Query.from_args(request.args)
        for name in ("since", "until"):
            if getattr(query, name) and not _DATE.fullmatch(getattr(query, name)):
                return query, f"{name}: {getattr(query, name)!r} is not a date (YYYY-MM-DD)"
        if query.month and not _MONTH.fullmatch(query.month):
            return query, f"month: {query.month!r} is not a month (YYYY-MM)"
        return query, None

    async def _charts(self, datasette: Any) -> dict[str, str]:
        db = datasette.get_database(DATABASE)
        mark = (await db.execute("SELECT COUNT(*), MAX(id), MAX(fetched_at) FROM articles")
                ).first()
        mark = tuple(mark)
        if self.site._charts is not None and self.site._charts[0] == mark:
            return self.site._charts[1]
        weekly = [tuple(r) for r in (await db.execute(charts.WEEKLY_SQL)).rows]
        dups = [tuple(r) for r in (await db.execute(charts.DUPLICATES_SQL)).rows]
        drawn = await asyncio.to_thread(lambda: {
            "outlets": charts.weekly_by(weekly, "outlet"),
            "languages": charts.weekly_by(weekly, "language"),
            "duplicates": charts.duplicate_share(dups),
        }) if weekly or dups else {}
        self.site._charts = (mark, drawn)
        return drawn

    async def _result_rows(self, datasette: Any, query: Query, limit: int,
                           offset: int = 0) -> list[dict[str, Any]]:
        db = datasette.get_database(DATABASE)
        result = await db.execute(f"{SEARCH_SQL} LIMIT {int(limit)} OFFSET {int(offset)}",
                                  query.params())
        return [{**dict(r), "display_url": display_url(r["url"])} for r in result.rows]

    # -- pages -------------------------------------------------------------------

    async def home(self, datasette: Any, request: Request) -> Response:
        db = datasette.get_database(DATABASE)
        totals = dict((await db.execute(
            "SELECT COUNT(*) AS articles, COUNT(DISTINCT outlet) AS outlets, "
            "SUM(duplicate_of IS NOT NULL) AS duplicates, MIN(substr(published, 1, 10)) AS "
            "first, MAX(substr(published, 1, 10)) AS last FROM articles")).first())
        languages = (await db.execute(
            "SELECT language, COUNT(*) AS n FROM articles GROUP BY 1 ORDER BY n DESC")).rows
        drawn = await self._charts(datasette)
        return await self._render(datasette, request, "home.html", {
            "totals": totals, "by_language": [dict(r) for r in languages],
            "charts": {k: Markup(v) for k, v in drawn.items()},
            "replay": self.site.replay.base_url if self.site.replay else None})

    async def search(self, datasette: Any, request: Request) -> Response:
        query, error = self._query(request)
        if error:
            return await self._render(datasette, request, "search.html",
                                      {"query": query, "error": error, "rows": [],
                                       "facets": {}, "total": 0}, status=400)
        try:
            page = max(1, int(request.args.get("page") or 1))
        except ValueError:
            return _bad_request(f"page: {request.args.get('page')!r} is not a number")
        db = datasette.get_database(DATABASE)
        params = query.params()
        rows = await self._result_rows(datasette, query, PAGE_SIZE, (page - 1) * PAGE_SIZE)
        total = (await db.execute(COUNT_SQL, params)).first()[0]
        facets = {}
        for name in FACETS:
            values = (await db.execute(facet_sql(name), params)).rows
            facets[name] = [
                {"value": r["value"], "n": r["n"], "selected": getattr(query, name) == r["value"],
                 "href": "/search?" + urllib.parse.urlencode(query.set(**{
                     name: "" if getattr(query, name) == r["value"] else r["value"] or ""}))}
                for r in values if r["value"] is not None]
        args = urllib.parse.urlencode(query.set())
        base = datasette.urls.database(DATABASE)
        exports = {
            "csv": f"{base}/search.csv?{args}{'&' if args else ''}_dl=1",
            "json": f"{base}/search.json?{args}{'&' if args else ''}_shape=array",
            "datasette": f"{base}/search?{args}",
            "wacz": f"/search.wacz?{args}",
        }
        pages = {"page": page, "last": max(1, -(-total // PAGE_SIZE))}
        if page > 1:
            pages["prev"] = "/search?" + urllib.parse.urlencode({**query.set(), "page": page - 1})
        if page * PAGE_SIZE < total:
            pages["next"] = "/search?" + urllib.parse.urlencode({**query.set(), "page": page + 1})
        return await self._render(datasette, request, "search.html", {
            "query": query, "rows": rows, "total": total, "facets": facets, "exports": exports,
            "pages": pages, "filters": FILTERS, "wacz_limit": self.site.wacz_limit,
            "remove": {name: "/search?" + urllib.parse.urlencode(query.set(**{name: ""}))
                       for name in FILTERS if getattr(query, name)}})

    async def article_by_url(self, datasette: Any, request: Request) -> Response:
        url = request.args.get("url") or ""
        db = datasette.get_database(DATABASE)
        row = (await db.execute(
            "SELECT id FROM articles WHERE url = ? OR canonical_url = ? "
            "ORDER BY url = ? DESC, fetched_at DESC LIMIT 1", [url, url, url])).first()
        if row is None:
            return await self._error(datasette, request, 404,
                                     f"{url or 'no url= given'}: not in the catalog")
        return Response.redirect(f"/article/{row['id']}")

    async def _row(self, datasette: Any, article_id: str) -> dict[str, Any] | None:
        db = datasette.get_database(DATABASE)
        row = (await db.execute("SELECT * FROM articles WHERE id = ?", [int(article_id)])).first()
        return dict(row) if row is not None else None

    async def article(self, datasette: Any, request: Request) -> Response:
        row = await self._row(datasette, request.url_vars["id"])
        if row is None:
            return await self._error(datasette, request, 404,
                                     f"no article {request.url_vars['id']} in the catalog")
        site = self.site
        article = citation = error = None
        try:
            article, citation = await asyncio.to_thread(load_article, site.archive, row,
                                                        site.records)
        except (LookupError, OSError, ValueError) as exc:
            error = f"The capture of this article could not be read: {exc}"
            logger.warning("Article %s: %s", row["url"], exc)
        captures, replay_url = [], None
        if site.replay is not None:
            try:
                entries = await asyncio.to_thread(site.records, row["url"])
            except OSError as exc:
                entries = []
                logger.warning("pywb's index did not answer for %s: %s", row["url"], exc)
            for entry in entries:
                if "status" not in entry:
                    continue  # the article records, not captures
                link = site.replay.url(entry["timestamp"], row["url"])
                this = (entry.get("filename") == row["warc_file"]
                        and int(entry.get("offset", -1)) == row["warc_offset"])
                captures.append({**entry, "replay": link, "this": this})
                if this:
                    replay_url = link
            if replay_url is None and citation is not None and citation.timestamp:
                replay_url = site.replay.url(citation.timestamp, row["url"])
        db = datasette.get_database(DATABASE)
        cluster = []
        if row["cluster_id"] or row["duplicate_of"]:
            cluster = [dict(r) for r in (await db.execute(
                "SELECT id, url, outlet, title, published, coalesce(dedup, 'new') AS dedup, "
                "duplicate_of, similarity FROM articles WHERE id != :id AND ("
                "cluster_id = :cluster OR url = :original OR canonical_url = :original "
                "OR duplicate_of IN (:url, :canonical)) ORDER BY duplicate_of IS NOT NULL, "
                "fetched_at", {"id": row["id"], "cluster": row["cluster_id"],
                               "original": row["duplicate_of"], "url": row["url"],
                               "canonical": row["canonical_url"]})).rows]
        file_sha256 = await asyncio.to_thread(site.file_sha256, row["warc_file"]) \
            if row["warc_file"] else None
        return await self._render(datasette, request, "article.html", {
            "row": row, "article": article or {}, "citation": citation, "error": error,
            "captures": captures, "replay_url": replay_url, "cluster": cluster,
            "file_sha256": file_sha256, "rtl": row["language"] == "ar"})

    async def _wacz(self, datasette: Any, request: Request, rows: list[dict[str, Any]],
                    name: str, title: str) -> Any:
        try:
            path, _count = await asyncio.to_thread(
                build_wacz, self.site.archive, rows, self.site.records, self.site.cache, title)
        except LookupError as exc:
            return await self._error(datasette, request, 404, str(exc))
        return AsgiFileDownload(path, filename=name, content_type="application/wacz")

    async def article_wacz(self, datasette: Any, request: Request) -> Any:
        row = await self._row(datasette, request.url_vars["id"])
        if row is None:
            return await self._error(datasette, request, 404,
                                     f"no article {request.url_vars['id']} in the catalog")
        return await self._wacz(datasette, request, [row],
                                f"syria-archive-article-{row['id']}.wacz",
                                row["title"] or row["url"])

    async def search_wacz(self, datasette: Any, request: Request) -> Any:
        query, error = self._query(request)
        if error:
            return _bad_request(error)
        rows = await self._result_rows(datasette, query, self.site.wacz_limit)
        if not rows:
            return await self._error(datasette, request, 404, "no article matches this search")
        title = "Syria news archive: " + (", ".join(f"{k}={v}" for k, v in query.set().items())
                                          or "all articles")
        return await self._wacz(datasette, request, rows, "syria-archive-search.wacz", title)

    async def warc_range(self, request: Request) -> Response:
        name = request.url_vars["name"]
        if not _WARC_NAME.fullmatch(name):
            return Response.text(f"{name} is not a WARC file name", status=404)
        match = re.fullmatch(r"bytes=(\d+)-(\d+)", request.headers.get("range", ""))
        if match is None:
            return Response.text("a Range: bytes=START-END header is required", status=416)
        start, end = int(match[1]), int(match[2])
        try:
            data = await asyncio.to_thread(self.site.archive.read_range, name, start,
                                           end - start + 1)
        except (FileNotFoundError, ClientError) as exc:
            return Response.text(f"{name}: {exc}", status=404)
        return Response(data, status=206, content_type="application/warc", headers={
            "Content-Range": f"bytes {start}-{start + len(data) - 1}/*",
            "Accept-Ranges": "bytes"})
