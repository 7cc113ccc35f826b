"""WARC capture: a downloader middleware placed next to the downloader.

Every response the crawler receives (robots.txt, redirects, feeds, sitemaps,
section pages, articles, 4xx and 5xx) is written with its request as a WARC/1.1
``request``/``response`` pair, the body exactly as received (still
content-encoded), or as a ``revisit`` record when its payload digest was
archived before (this run or an earlier one).  Each extracted article is
written as a ``metadata`` record that refers to its response record.
Responses replayed from Scrapy's HTTP cache are not captures and are skipped.

The record's place (file, offset, length, record id) is put in
``request.meta["warc"]`` so the spider can keep it with the article.

Settings read: ``WARC_ENABLED``, ``WARC_DIR`` (default ``DATA_DIR/warc``),
``WARC_PREFIX``, ``WARC_MAX_SIZE``, ``WARC_GZIP_LEVEL``, ``WARC_REVISITS``,
``WARC_DIGESTS`` (default ``DATA_DIR/state/digests.sqlite3``; in Redis when
``REDIS_URL`` is set, under ``REDIS_PREFIX``),
``WARC_OPERATOR``, ``WARC_SOFTWARE``, ``CONTACT_URL``, ``ROBOTSTXT_OBEY``, ``CRAWL_ID``.
Stats: ``warc/records/<type>``, ``warc/bytes``, ``warc/files``.
"""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime
from http import HTTPStatus
from importlib.metadata import version
from io import BytesIO
from pathlib import Path
from typing import Any, BinaryIO
from urllib.parse import urlsplit

import scrapy
from itemadapter import ItemAdapter
from scrapy import signals
from scrapy.crawler import Crawler
from scrapy.exceptions import IgnoreRequest, NotConfigured
from scrapy.http import Request, Response
from scrapy.statscollectors import StatsCollector
from scrapy.utils.defer import deferred_from_coro, maybe_deferred_to_future
from scrapy.utils.url import strip_url
from twisted.internet.defer import Deferred, DeferredList
from twisted.internet.threads import deferToThread
from warcio.recordloader import ArcWarcRecordLoader
from warcio.utils import Digester

from archive.digests import DigestStore, RedisDigestStore, SqliteDigestStore
from archive.statedb import close_off_reactor
from archive.writer import (
    Location,
    RotatingWarcWriter,
    finish_file,
    index_cdxj,
    repair_orphans,
)

logger = logging.getLogger(__name__)

#: Sent with ``path`` when a WARC file is finished (renamed and indexed), so that
#: another component (the S3 upload) can take it as the files rotate.
warc_file_closed = object()

# Request headers that carry credentials never reach a WARC.
SECRET_HEADERS = frozenset({b"Authorization", b"Proxy-Authorization", b"Cookie"})
# Scrapy hands over de-chunked bodies: the header is kept under another name.
HOP_HEADERS = {b"Transfer-Encoding": b"X-Archive-Orig-Transfer-Encoding"}


def payload_digest(body: bytes) -> str:
    digester = Digester("sha1")
    digester.update(body)
    return str(digester)


def _header_lines(headers: Any, rename: dict[bytes, bytes] | None = None,
                  drop: frozenset[bytes] = frozenset()) -> bytes:
    lines = []
    for name, values in headers.items():
        if name in drop:
            continue
        name = (rename or {}).get(name, name)
        for value in values:
            lines.append(name + b": " + value.replace(b"\r", b"").replace(b"\n", b" "))
    return b"".join(line + b"\r\n" for line in lines)


def archived_url(url: str) -> str:
    """The URL as archived: credentials (``user:password@``) never reach a WARC."""
    if "@" not in url:
        return url
    return strip_url(url, strip_credentials=True, strip_default_port=False,
                     strip_fragment=False)


def raw_request(request: Request) -> bytes:
    parts = urlsplit(request.url)
    target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    head = f"{request.method} {target} HTTP/1.1\r\n".encode("latin-1")
    hostport = parts.netloc.rpartition("@")[2]  # without user:password@
    host = b"Host: " + (hostport.encode("idna") if hostport else b"") + b"\r\n"
    return head + host + _header_lines(request.headers, drop=SECRET_HEADERS) + b"\r\n" \
        + (request.body or b"")


def raw_response_head(response: Response) -> bytes:
    try:
        reason = HTTPStatus(response.status).phrase
    except ValueError:
        reason = ""
    protocol = response.protocol or "HTTP/1.1"
    head = f"{protocol} {response.status} {reason}".rstrip() + "\r\n"
    return head.encode("latin-1") + _header_lines(response.headers, rename=HOP_HEADERS) + b"\r\n"


class WarcRecorder:
    """Builds the records of each exchange and hands them to the rotating writer."""

    def __init__(self, writer: RotatingWarcWriter, digests: DigestStore | None,
                 stats: StatsCollector, crawler: Crawler | None = None) -> None:
        self.crawler = crawler
        self.writer = writer
        self.digests = digests
        self.stats = stats
        self.builder = writer.builder
        self.loader = ArcWarcRecordLoader()
        self._indexing: list[Deferred[Any]] = []

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> WarcRecorder:
        settings = crawler.settings
        if not settings.getbool("WARC_ENABLED", True):
            raise NotConfigured("WARC_ENABLED is off")
        assert crawler.stats is not None
        data = Path(settings.get("DATA_DIR", "data"))
        directory = Path(settings.get("WARC_DIR") or data / "warc")
        spider_name = getattr(crawler.spidercls, "name", None) or "crawl"
        outlet = getattr(crawler.spidercls, "outlet", None)
        info = {
            "software": f"{settings.get('WARC_SOFTWARE') or 'syria-archive'} "
                        f"(Scrapy {scrapy.__version__}, warcio {version('warcio')})",
            "isPartOf": settings.get("CRAWL_ID") or spider_name,
            "outlet": f"{outlet.id} {outlet.base_url}" if outlet else spider_name,
            "robots": "obey" if settings.getbool("ROBOTSTXT_OBEY") else "ignore",
            "operator": settings.get("WARC_OPERATOR") or None,
            "contact": settings.get("CONTACT_URL") or None,
            "http-header-user-agent": settings.get("USER_AGENT"),
            "description": "News coverage of Syria, archived by syria-archive",
        }
        repaired = repair_orphans(directory) if directory.is_dir() else []
        for path in repaired:
            logger.warning("Repaired WARC %s left open by a crashed run", path)
        writer = RotatingWarcWriter(
            directory, f"{settings.get('WARC_PREFIX', 'syria-archive')}-{spider_name}", info,
            max_size=settings.getint("WARC_MAX_SIZE", 1024**3),
            gzip_level=settings.getint("WARC_GZIP_LEVEL", 6),
            on_closed=lambda path: crawler.signals.send_catch_log(warc_file_closed, path=path))
        digests: DigestStore | None = None
        if settings.getbool("WARC_REVISITS", True) and settings.get("REDIS_URL"):
            # A distributed crawl: the workers share one index (imported only then).
            from archive.redisdb import from_settings

            server, keys = from_settings(settings)
            digests = RedisDigestStore(server, keys("digests"))
        elif settings.getbool("WARC_REVISITS", True):
            digests = SqliteDigestStore(
                Path(settings.get("WARC_DIGESTS") or data / "state" / "digests.sqlite3"))
        recorder = cls(writer, digests, crawler.stats, crawler)
        writer.on_finished = recorder.index_later
        writer.finish_elsewhere = recorder.finish_later
        crawler.signals.connect(recorder.item_scraped, signal=signals.item_scraped)
        crawler.signals.connect(recorder.spider_closed, signal=signals.spider_closed)
        return recorder

    # -- downloader middleware --------------------------------------------

    def process_response(self, request: Request, response: Response) -> Response:
        if "cached" in response.flags:
            return response
        if self.stats.get_value("warc/write_failed"):
            # The disk is full: nothing more is written, nothing unarchived is read.
            raise IgnoreRequest("not archived: WARC writing failed earlier")
        try:
            place, revisit_of = self.capture(request, response)
        except OSError as exc:
            self.write_failed(exc)
            # Not archived, so not to be read either: the page is fetched again next run.
            raise IgnoreRequest(f"not archived: {exc}") from None
        request.meta["warc"] = {**place.as_dict(), "revisit_of": revisit_of}
        return response

    def capture(self, request: Request, response: Response) -> tuple[Location, str | None]:
        """Write the exchange; return the response (or revisit) record's place and,
        for a revisit, the URL of the capture it refers to."""
        date = self.builder.curr_warc_date()
        url = archived_url(response.url)
        body = response.body
        head = raw_response_head(response)
        digest = payload_digest(body)
        warc_headers = {"WARC-Date": date}
        if "dataloss" in response.flags:
            # The connection ended before the body did: archived as received, and said so.
            warc_headers["WARC-Truncated"] = "disconnect"
        if response.ip_address is not None and not request.meta.get("proxy"):
            # Through a proxy the peer is the proxy, not the outlet: left out.
            warc_headers["WARC-IP-Address"] = str(response.ip_address)
        earlier = self.digests.get(digest) if (self.digests is not None and body) else None
        if earlier is not None:
            http_headers = self.loader.load_http_headers("revisit", url, BytesIO(head), len(head))
            record = self.builder.create_revisit_record(
                url, digest, earlier[0], earlier[1], http_headers=http_headers,
                warc_headers_dict=warc_headers)
        else:
            payload = head + body
            # The digest computed above: warcio then does not hash the body again.
            record = self.builder.create_warc_record(
                url, "response", payload=BytesIO(payload), length=len(payload),
                warc_headers_dict={**warc_headers, "WARC-Payload-Digest": digest})
        request_payload = raw_request(request)
        req_record = self.builder.create_warc_record(
            url, "request", payload=BytesIO(request_payload), length=len(request_payload),
            warc_headers_dict={"WARC-Date": date, "WARC-Concurrent-To":
                               record.rec_headers.get_header("WARC-Record-ID")})
        place, req_place = self.writer.write(record, req_record)
        if earlier is None and self.digests is not None and body:
            self.digests.add(digest, url, date)
        self.stats.inc_value(f"warc/records/{record.rec_type}")
        self.stats.inc_value("warc/records/request")
        self.stats.inc_value("warc/bytes", place.length + req_place.length)
        return place, earlier[0] if earlier is not None else None

    def write_failed(self, exc: OSError) -> None:
        """A full disk or a file size limit: stop the crawl, say which file, lose nothing
        already written (the file is cut back to its last whole record)."""
        path = exc.filename or self.writer.current
        try:
            self.writer.abandon()
        except OSError as again:
            logger.error("WARC %s could not be cut back (%s): the next run repairs it",
                         path, again)
        if not self.stats.get_value("warc/write_failed"):
            logger.error("Cannot write WARC %s: %s; stopping the crawl (the file is cut back "
                         "to its last complete record)", path, exc.strerror or exc)
            self.stats.set_value("warc/error", f"{path}: {exc.strerror or exc}")
            if self.crawler is not None and self.crawler.engine is not None:
                deferred_from_coro(
                    self.crawler.engine.close_spider_async(reason="warc_write_failed"))
        self.stats.inc_value("warc/write_failed")

    # -- signals -------------------------------------------------------------

    def item_scraped(self, item: Any, response: Response) -> None:
        """The cleaned article as a ``metadata`` record referring to its response."""
        adapter = ItemAdapter(item)
        warc = adapter.get("warc") or {}
        refers_to = warc.get("record_id")
        if self.stats.get_value("warc/write_failed"):
            return
        if not refers_to or (adapter.get("previous_version")
                             and warc.get("revisit_of") == adapter.get("url")):
            # The same page, unchanged: the article record written with the original stands.
            return
        # shallow: the nested values (discovery, warc, relevance) are plain dicts already
        payload = json.dumps(dict(adapter.items()), ensure_ascii=False,
                             sort_keys=True).encode("utf-8")
        record = self.builder.create_warc_record(
            adapter.get("url") or response.url, "metadata", payload=BytesIO(payload),
            length=len(payload), warc_content_type="application/json",
            warc_headers_dict={"WARC-Refers-To": refers_to})
        try:
            place, = self.writer.write(record)
        except OSError as exc:
            self.write_failed(exc)
            return
        self.stats.inc_value("warc/records/metadata")
        self.stats.inc_value("warc/bytes", place.length)

    def finish_later(self, stream: BinaryIO, path: Path) -> None:
        """A full file is fsynced, renamed and indexed in a thread (the fsync waits on the
        disk), while the reactor writes the next one; then it is announced."""
        def finish() -> Path:
            final = finish_file(stream, path)
            index_cdxj(final)
            return final

        def finished(final: Path) -> None:
            self.writer.closed_files.append(final)
            if self.writer.on_closed is not None:
                self.writer.on_closed(final)

        d = deferToThread(finish)
        d.addCallback(finished)
        d.addErrback(lambda f: logger.error("Finishing WARC %s failed: %s; the next run "
                                            "repairs it", path, f.value))
        self._indexing.append(d)

    def index_later(self, path: Path) -> None:
        """Index a rotated file in a thread, off the reactor; then announce it (in the
        reactor thread, where signals belong)."""
        d = deferToThread(index_cdxj, path)
        d.addCallback(lambda _: self.writer.on_closed and self.writer.on_closed(path))
        d.addErrback(lambda f: logger.error("Indexing %s failed: %s", path, f.value))
        self._indexing.append(d)

    async def spider_closed(self) -> None:
        try:
            # fsync and rename in a thread: many spiders close at once in one process.
            final = await maybe_deferred_to_future(deferToThread(self.writer.finish))
        except OSError as exc:  # no room to finish it: the next run repairs it
            self.write_failed(exc)
        else:
            if final is not None:
                self.index_later(final)
        # The run is over only when every file is indexed (uploads take the CDXJ too).
        await maybe_deferred_to_future(DeferredList(self._indexing))
        self.stats.set_value("warc/files", len(self.writer.closed_files))
        self.stats.set_value("warc/finished", datetime.now(UTC).isoformat(timespec="seconds"))
        if isinstance(self.digests, SqliteDigestStore):
            await close_off_reactor(self.digests.close)
        elif isinstance(self.digests, RedisDigestStore):
            self.digests.close()
