"""One crawl run: lock, crawl the outlets in one Scrapy process, report.

The data directory is laid out as DESIGN.md promises: ``items/`` (articles
as JSON Lines, one file per outlet and run), ``reports/`` (one JSON report per
run), ``state/`` (the run lock), ``logs/`` (one log per run).  A run's exit
code follows the ``crawl`` contract: 0 all well, 1 failed, 3 alerts.
"""

from __future__ import annotations

import fcntl
import json
import logging
import os
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from scrapy.utils.url import url_is_from_any_domain

from crawler.extract.dates import parse_since
from crawler.recovery import recover_interrupted_runs
from crawler.redact import redact_handlers
from crawler.registry import Registry

logger = logging.getLogger(__name__)


class RunLocked(RuntimeError):
    """Another run holds the data directory's lock."""


class RunFailed(RuntimeError):
    """The run could not start safely (e.g. its state could not be restored): exit 1."""


# Stats copied into the report per outlet, under shorter names.
REPORT_STATS = {
    "pages_fetched": "response_received_count",
    "articles_kept": "item_scraped_count",
    "articles_dropped": "item_dropped_count",
    "requests": "downloader/request_count",
    "bytes": "downloader/response_bytes",
    "robots_forbidden": "robotstxt/forbidden",
}


def _under(stats: dict[str, Any], prefix: str) -> dict[str, Any]:
    """The stats below ``prefix/``, keyed by the rest of their name."""
    return {k[len(prefix) + 1:]: v for k, v in stats.items() if k.startswith(prefix + "/")}


def hold_lock(data_dir: Path, owner: str) -> Any:
    """Take the data directory's run lock (``state/crawl.lock``) or raise RunLocked.
    Crawls and re-extractions that write the catalog hold it; close the handle to free it."""
    state = data_dir / "state"
    state.mkdir(parents=True, exist_ok=True)
    handle = (state / "crawl.lock").open("a+")
    try:
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        handle.close()
        raise RunLocked(f"another crawl holds {state / 'crawl.lock'}") from None
    handle.seek(0)
    handle.truncate()
    handle.write(f"{os.getpid()} {owner}\n")
    handle.flush()
    return handle


def validate_settings(settings: Any, overrides: dict[str, Any]) -> None:
    """Refuse, before anything starts, a setting a user typed that cannot work: a value
    that is not of its setting's type, a malformed S3 URI, an unknown log level.
    Raises ValueError naming the setting."""
    from scrapy.settings import default_settings

    from archive.s3 import S3Config
    from crawler import settings as project

    for name, value in overrides.items():
        default = getattr(project, name, getattr(default_settings, name, None))
        if isinstance(default, bool):
            kind, getter = "true/false", settings.getbool
        elif isinstance(default, int | float):
            kind, getter = "number", settings.getfloat
        else:
            continue
        try:
            getter(name)
        except (TypeError, ValueError):
            raise ValueError(f"-s {name}={value}: {name} takes a {kind} value") from None
    if logging.getLevelName(str(settings.get("LOG_LEVEL")).upper()) is None or isinstance(
            logging.getLevelName(str(settings.get("LOG_LEVEL")).upper()), str):
        raise ValueError(f"LOG_LEVEL: not a log level: {settings.get('LOG_LEVEL')!r}")
    try:
        S3Config.from_settings(settings)
    except ValueError as exc:
        raise ValueError(f"S3_URI (--s3, SYRIA_ARCHIVE_S3): {exc}") from None
    for name in ("WARC_MAX_SIZE", "DOWNLOAD_TIMEOUT", "EXTRACT_TIMEOUT"):
        if settings.getfloat(name, 1) <= 0:
            raise ValueError(f"{name} must be above 0, not {settings.get(name)!r}")


class CrawlRun:
    def __init__(self, data_dir: Path, outlets: list[str] | None = None,
                 since: str | None = None, max_pages: int | None = None,
                 overrides: dict[str, Any] | None = None,
                 urls: list[str] | None = None) -> None:
        self.data_dir = data_dir
        self.urls = urls or []
        self.outlet_ids = outlets or []
        self.since = since
        self.max_pages = max_pages
        self.overrides = overrides or {}
        self.run_id = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")

    def _lock(self) -> Any:
        return hold_lock(self.data_dir, self.run_id)

    def settings(self) -> Any:
        from scrapy.utils.project import get_project_settings

        os.environ.setdefault("SCRAPY_SETTINGS_MODULE", "crawler.settings")
        settings = get_project_settings()
        items = self.data_dir / "items"
        settings.set("DATA_DIR", str(self.data_dir), priority="cmdline")
        settings.set("CRAWL_ID", f"syria-archive-{self.run_id}", priority="cmdline")
        for name, value in self.overrides.items():
            settings.set(name, value, priority="cmdline")
        feed: dict[str, Any] = {"format": "jsonlines", "encoding": "utf8", "store_empty": False}
        if settings.get("DEDUP_EXPORT", "all") == "originals":
            feed["item_filter"] = "pipelines.dedup.OriginalsOnly"
        elif settings.get("DEDUP_EXPORT", "all") != "all":
            raise ValueError(f"DEDUP_EXPORT must be 'all' or 'originals', "
                             f"not {settings.get('DEDUP_EXPORT')!r}")
        settings.set("FEEDS", {str(items / f"%(name)s-{self.run_id}.jsonl"): feed},
                     priority="cmdline")
        validate_settings(settings, self.overrides)
        return settings

    def execute(self) -> dict[str, Any]:
        from scrapy.crawler import CrawlerProcess

        since = parse_since(self.since)  # ValueError: bad usage
        settings = self.settings()
        registry = Registry.load(settings.getlist("OUTLETS_PATHS"))
        ids = self.outlet_ids or registry.ids()
        unknown = [i for i in ids if i not in registry]
        if unknown:
            raise ValueError(f"unknown outlet(s): {', '.join(unknown)} "
                             f"(known: {', '.join(registry.ids())})")
        for url in self.urls:
            outlet = registry[ids[0]]
            if not url_is_from_any_domain(url, outlet.allowed_domains):
                raise ValueError(f"--url {url} is not on {outlet.id}'s allowed domains "
                                 f"({', '.join(outlet.allowed_domains)})")
        lock = self._lock()
        try:
            for sub in ("items", "reports", "logs"):
                (self.data_dir / sub).mkdir(parents=True, exist_ok=True)
            log_path = self.data_dir / "logs" / f"crawl-{self.run_id}.log"
            restored = self.restore_state(settings)
            recovered = recover_interrupted_runs(self.data_dir, self.run_id, settings)
            process = CrawlerProcess(settings)
            file_log = logging.FileHandler(log_path, encoding="utf-8")
            file_log.setFormatter(logging.Formatter(settings.get("LOG_FORMAT"),
                                                    settings.get("LOG_DATEFORMAT")))
            file_log.setLevel(settings.get("LOG_LEVEL"))
            logging.getLogger().addHandler(file_log)
            crawlers = {}
            started = time.time()
            for outlet_id in ids:
                crawler = process.create_crawler(outlet_id)
                crawlers[outlet_id] = crawler
                process.crawl(crawler, **self.spider_args(outlet_id, since))
            # Secrets given as settings or in proxy URLs never reach a log line (each
            # crawler may install Scrapy's root handler anew: filter them all, now).
            redact_handlers(logging.getLogger().handlers, settings)
            process.start()
            logging.getLogger().removeHandler(file_log)
            file_log.close()
            report = self.report(crawlers, started, since)
            if recovered:
                report["recovered"] = recovered
            report["upload"] = self.upload(settings)
            if restored and (restored.diverged or restored.unchecked):
                report["alerts"].append(f"state: {restored.diverged or restored.unchecked}")
            if report["upload"].get("diverged"):
                report["alerts"].append(f"state: {report['upload']['diverged']}")
            if report["alerts"] and report["exit_code"] == 0:
                report["exit_code"] = 3
            if report["upload"].get("pending"):
                report["alerts"].append(
                    f"upload: {report['upload']['pending']} file(s) still in the outbox"
                    + (f" ({report['upload']['unreachable']})"
                       if report["upload"].get("unreachable") else ""))
                if report["exit_code"] == 0:
                    report["exit_code"] = 3
            report["log"] = str(log_path)
            path = self.data_dir / "reports" / f"crawl-{self.run_id}.json"
            path.write_text(json.dumps(report, indent=2, ensure_ascii=False) + "\n",
                            encoding="utf-8")
            report["report"] = str(path)
            return report
        finally:
            lock.close()

    def spider_args(self, outlet_id: str, since: datetime | None) -> dict[str, Any]:
        """The arguments of one outlet's spider (a worker takes them from Redis)."""
        return {"since": since.isoformat() if since else None, "max_pages": self.max_pages,
                "urls": self.urls or None}

    def restore_state(self, settings: Any) -> Any:
        """A machine resumes from the state the last run published on S3.  When S3
        cannot be read the run stops (RunFailed), unless S3_FRESH_STATE says go on."""
        from archive.s3 import S3Config, S3Store
        from archive.snapshots import RestoreError, begin_run, restore_state

        config = S3Config.from_settings(settings)
        if config is None:
            return None
        result = None
        if settings.getbool("S3_RESTORE_STATE", True):
            try:
                result = restore_state(S3Store(config), self.data_dir)
            except RestoreError as exc:
                if not settings.getbool("S3_FRESH_STATE", False):
                    raise RunFailed(f"{exc}; nothing was crawled. Run again once S3 can be "
                                    "read, or give --fresh-state to crawl with the local "
                                    "state (it will not replace the newer state on S3)") \
                        from None
                logger.warning("%s; going on with the local state (--fresh-state)", exc)
        begin_run(self.data_dir)
        return result

    def upload(self, settings: Any) -> dict[str, Any]:
        """Queue the run's files (WARCs with CDXJ, articles, catalog and state
        snapshots, manifest) in the outbox and, with S3 configured, flush it."""
        from archive.outbox import Outbox
        from archive.s3 import S3Config, S3Store
        from archive.snapshots import publish_state
        from archive.upload import Uploader, queue_run

        config = S3Config.from_settings(settings)
        with Outbox.for_data(self.data_dir) as outbox:
            manifest = queue_run(outbox, self.data_dir, self.run_id,
                                 settings.get("WARC_PREFIX") or "syria-archive",
                                 settings.getbool("S3_DELETE_UPLOADED", False))
            section: dict[str, Any] = {
                "s3": config.uri if config else None,
                "manifest": str(manifest),
                "run_files": len(outbox.entries(run_id=self.run_id)),
            }
            if config is not None:
                store = S3Store(config)
                result = Uploader(store, outbox).flush()
                section.update(result.as_dict())
                if result.unreachable is None:
                    try:
                        section.update(publish_state(store, outbox, self.data_dir))
                    except Exception as exc:  # the snapshot waits for the next run
                        section["diverged"] = f"state not published: {exc}"[:300]
            section["pending"] = outbox.counts().get("pending", 0) if config else 0
            section["queued"] = outbox.counts().get("pending", 0)
        return section

    def report(self, crawlers: dict[str, Any], started: float,
               since: datetime | None) -> dict[str, Any]:
        outlets: dict[str, Any] = {}
        alerts: list[str] = []
        failed = False
        for outlet_id, crawler in crawlers.items():
            stats = crawler.stats.get_stats() if crawler.stats else {}
            row: dict[str, Any] = {k: stats.get(v, 0) for k, v in REPORT_STATS.items()}
            row["dropped"] = _under(stats, "item_dropped")
            row["discovery"] = _under(stats, "discovery")
            row["status_counts"] = _under(stats, "downloader/response_status_count")
            row["dedup"] = _under(stats, "dedup")
            row["incremental"] = _under(stats, "incremental")
            # kept/<rule> and dropped/<rule>: why articles were judged about Syria or not
            row["relevance"] = _under(stats, "relevance")
            row["warc"] = {"files": stats.get("warc/files", 0),
                           "bytes": stats.get("warc/bytes", 0),
                           "records": _under(stats, "warc/records")}
            row["extract"] = _under(stats, "extract")
            row["fetch"] = _under(stats, "fetch")
            row["offsite"] = stats.get("offsite/filtered", 0)
            row["finish_reason"] = stats.get("finish_reason")
            # IgnoreRequest is how robots.txt and offsite filtering say no: not an error.
            errors = sum(v for k, v in stats.items()
                         if k.startswith(("spider_exceptions/", "downloader/exception_type_count/"))
                         and not k.endswith("IgnoreRequest") and k != "spider_exceptions/count")
            row["errors"] = errors
            outlets[outlet_id] = row
            if row["finish_reason"] != "finished":
                failed = True
                alerts.append(f"{outlet_id}: crawl ended with {row['finish_reason']!r}")
            if not row["pages_fetched"]:
                alerts.append(f"{outlet_id}: no page could be fetched")
            elif not (stats.get("discovery/feed/read") or stats.get("discovery/sitemap/read")
                      or stats.get("discovery/section/pages")):
                alerts.append(f"{outlet_id}: no feed, sitemap or section page could be read")
            for kind in ("feed", "sitemap", "section"):
                if stats.get(f"discovery/{kind}/malformed"):
                    alerts.append(f"{outlet_id}: {stats[f'discovery/{kind}/malformed']} "
                                  f"malformed {kind}(s)")
            if errors:
                alerts.append(f"{outlet_id}: {errors} download or spider error(s)")
            failed_fetch = _under(stats, "fetch/failed")
            if failed_fetch:
                alerts.append(f"{outlet_id}: fetch failed: " + ", ".join(
                    f"{n} {reason}" for reason, n in sorted(failed_fetch.items())))
            if row["offsite"]:
                alerts.append(f"{outlet_id}: {row['offsite']} redirect(s) or link(s) to other "
                              "sites not followed")
            failed_extract = _under(stats, "extract/failed")
            if failed_extract:
                alerts.append(f"{outlet_id}: {sum(failed_extract.values())} page(s) could not "
                              "be extracted (" + ", ".join(f"{n} {reason}" for reason, n in
                                                           sorted(failed_extract.items()))
                              + "); they are fetched again next run")
            no_html = row["dropped"].get("not_html", 0) + row["dropped"].get("binary", 0)
            if no_html:
                alerts.append(f"{outlet_id}: {no_html} article URL(s) served no HTML")
            if stats.get("warc/write_failed"):
                failed = True
                alerts.append(f"{outlet_id}: WARC writing failed: {stats.get('warc/error')}")
            server_errors = sum(v for k, v in row["status_counts"].items() if k.startswith("5"))
            if server_errors:
                alerts.append(f"{outlet_id}: {server_errors} server error response(s)")
        code = 1 if failed else (3 if alerts else 0)
        return {
            "run_id": self.run_id, "command": "crawl",
            "since": since.isoformat() if since else None,
            "started": datetime.fromtimestamp(started, UTC).isoformat(timespec="seconds"),
            "finished": datetime.now(UTC).isoformat(timespec="seconds"),
            "data_dir": str(self.data_dir), "outlets": outlets, "alerts": alerts,
            "exit_code": code,
        }

    @staticmethod
    def summary(report: dict[str, Any]) -> str:
        rows = [("outlet", "pages fetched", "articles kept", "dropped", "skipped unrelated",
                 "skipped archived", "WARC records", "WARC bytes")]
        for outlet_id, row in report["outlets"].items():
            rows.append((outlet_id, str(row["pages_fetched"]), str(row["articles_kept"]),
                         str(row["articles_dropped"]),
                         str(row["discovery"].get("skipped/not_about_syria", 0)),
                         str(row["incremental"].get("skipped", 0)),
                         str(sum(row["warc"]["records"].values())), str(row["warc"]["bytes"])))
        widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
        lines = ["  ".join(c.rjust(w) if i else c.ljust(w)
                           for i, (c, w) in enumerate(zip(r, widths, strict=True))) for r in rows]
        total_pages = sum(r["pages_fetched"] for r in report["outlets"].values())
        total_kept = sum(r["articles_kept"] for r in report["outlets"].values())
        lines.append(f"total: {total_pages} pages fetched, {total_kept} articles kept; "
                     f"report {report.get('report')}")
        lines += [f"ALERT: {a}" for a in report["alerts"]]
        return "\n".join(lines)
