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

from crawler.extract.dates import parse_since
from crawler.registry import Registry

logger = logging.getLogger(__name__)


class RunLocked(RuntimeError):
    """Another run holds the data directory's lock."""


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
        state = self.data_dir / "state"
        state.mkdir(parents=True, exist_ok=True)
        handle = (state / "crawl.lock").open("a+")
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.close()
            raise RunLocked(f"another crawl holds {state / 'crawl.lock'}") from None
        handle.seek(0)
        handle.truncate()
        handle.write(f"{os.getpid()} {self.run_id}\n")
        handle.flush()
        return handle

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
        lock = self._lock()
        try:
            for sub in ("items", "reports", "logs"):
                (self.data_dir / sub).mkdir(parents=True, exist_ok=True)
            log_path = self.data_dir / "logs" / f"crawl-{self.run_id}.log"
            self.restore_state(settings)
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
            process.start()
            logging.getLogger().removeHandler(file_log)
            file_log.close()
            report = self.report(crawlers, started, since)
            report["upload"] = self.upload(settings)
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

    def restore_state(self, settings: Any) -> None:
        """A fresh machine resumes from the state the last run left on S3."""
        from archive.s3 import S3Config, S3Store
        from archive.upload import restore_state

        config = S3Config.from_settings(settings)
        if config is None or not settings.getbool("S3_RESTORE_STATE", True):
            return
        try:
            restore_state(S3Store(config), self.data_dir)
        except Exception as exc:  # an outage must not stop the crawl
            logger.warning("Could not restore state from S3: %s", exc)

    def upload(self, settings: Any) -> dict[str, Any]:
        """Queue the run's files (WARCs with CDXJ, articles, catalog and state
        snapshots, manifest) in the outbox and, with S3 configured, flush it."""
        from archive.outbox import Outbox
        from archive.s3 import S3Config, S3Store
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
                result = Uploader(S3Store(config), outbox).flush()
                section.update(result.as_dict())
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
            row["warc"] = {"files": stats.get("warc/files", 0),
                           "bytes": stats.get("warc/bytes", 0),
                           "records": _under(stats, "warc/records")}
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
            for kind in ("feed", "sitemap"):
                if stats.get(f"discovery/{kind}/malformed"):
                    alerts.append(f"{outlet_id}: {stats[f'discovery/{kind}/malformed']} "
                                  f"malformed {kind}(s)")
            if errors:
                alerts.append(f"{outlet_id}: {errors} download or spider error(s)")
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
