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
import socket
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


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # another user's process
        return True
    return True


def read_lock(path: Path) -> dict[str, Any] | None:
    """Who holds (or last held without letting go) the run lock: pid, command, run id,
    start time and host, as the holder wrote them; None when the file says nothing."""
    try:
        text = path.read_text(encoding="utf-8").strip()
    except OSError:
        return None
    if not text:
        return None
    try:
        holder = json.loads(text)
    except ValueError:  # written by an older version: "PID OWNER"
        pid, _, owner = text.partition(" ")
        holder = {"pid": int(pid) if pid.isdigit() else None, "run": owner}
    return holder if isinstance(holder, dict) else None


def describe_holder(holder: dict[str, Any] | None) -> str:
    if not holder:
        return "a process that did not say who it is"
    what = " ".join(str(holder[k]) for k in ("command", "run") if holder.get(k))
    started = f", started {holder['started']}" if holder.get("started") else ""
    host = f" on {holder['host']}" if holder.get("host") else ""
    return f"pid {holder.get('pid', '?')}{host} ({what or 'a run'}{started})"


class RunLock:
    """The data directory's run lock (``state/crawl.lock``): an ``flock`` that the
    kernel lets go of when its holder dies, and a line saying who holds it.  A clean
    release empties the line, so a line found by the next holder means the last one
    died holding it (``taken_over``)."""

    def __init__(self, handle: Any, path: Path, taken_over: dict[str, Any] | None) -> None:
        self.handle = handle
        self.path = path
        self.taken_over = taken_over

    def close(self) -> None:
        if self.handle.closed:
            return
        self.handle.seek(0)
        self.handle.truncate()
        self.handle.flush()
        self.handle.close()


def hold_lock(data_dir: Path, owner: str, command: str = "crawl") -> RunLock:
    """Take the data directory's run lock (``state/crawl.lock``) or raise RunLocked
    naming the holder (pid, command, run, start time).  Crawls, nightly runs and
    re-extractions that write the catalog hold it; ``close()`` frees it."""
    state = data_dir / "state"
    state.mkdir(parents=True, exist_ok=True)
    path = state / "crawl.lock"
    handle = path.open("a+", encoding="utf-8")
    try:
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        handle.close()
        holder = read_lock(path)
        gone = (" - that process is no longer running here, yet the lock is still held "
                "(by a process it started?)"
                if holder and holder.get("pid") and holder.get("host") == socket.gethostname()
                and not _alive(int(holder["pid"])) else "")
        raise RunLocked(f"another run holds {path}: {describe_holder(holder)}{gone}") from None
    previous = read_lock(path)
    if previous:
        # The kernel freed the lock when its holder died; its line stayed.
        logger.warning("Took over the run lock %s left by %s, which ended without letting "
                       "go of it (killed?)", path, describe_holder(previous))
    handle.seek(0)
    handle.truncate()
    handle.write(json.dumps({
        "pid": os.getpid(), "command": command, "run": owner,
        "started": datetime.now(UTC).isoformat(timespec="seconds"),
        "host": socket.gethostname()}) + "\n")
    handle.flush()
    return RunLock(handle, path, previous)


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
    #: names the run's report (``reports/COMMAND-RUN.json``), log and lock line
    command = "crawl"

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
        return hold_lock(self.data_dir, self.run_id, self.command)

    # -- what a kind of run changes (crawler.nightly.NightlyRun) -----------------------

    def outlets(self, registry: Registry) -> list[str]:
        """The outlets to crawl: those named, else every enabled one."""
        return self.outlet_ids or [o.id for o in registry.enabled()]

    def outlet_since(self, outlet_id: str, since: datetime | None) -> datetime | None:
        """The since-date of one outlet's crawl."""
        return since

    def log_handlers(self, settings: Any) -> tuple[list[logging.Handler], Path]:
        """Where the run's log goes (added to the root logger), and the path to name."""
        log_path = self.data_dir / "logs" / f"{self.command}-{self.run_id}.log"
        file_log = logging.FileHandler(log_path, encoding="utf-8")
        file_log.setFormatter(logging.Formatter(settings.get("LOG_FORMAT"),
                                                settings.get("LOG_DATEFORMAT")))
        file_log.setLevel(settings.get("LOG_LEVEL"))
        return [file_log], log_path

    def after_crawl(self, report: dict[str, Any], settings: Any) -> None:
        """The crawl is over, nothing is uploaded yet (state written here is snapshotted)."""

    def before_write(self, report: dict[str, Any], settings: Any) -> None:
        """Uploads are done; the report is about to be written."""

    def after_write(self, report: dict[str, Any], path: Path, settings: Any) -> None:
        """The report is written at ``path``."""

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
        ids = self.outlets(registry)
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
        self.lock = lock
        handlers: list[logging.Handler] = []
        try:
            for sub in ("items", "reports", "logs"):
                (self.data_dir / sub).mkdir(parents=True, exist_ok=True)
            # Scrapy's logging is set up first (it closes handlers that exist before);
            # then the run's own, so that restoring the state is logged too.
            process = CrawlerProcess(settings)
            handlers, log_path = self.log_handlers(settings)
            for handler in handlers:
                logging.getLogger().addHandler(handler)
            redact_handlers(logging.getLogger().handlers, settings)  # Scrapy's and ours
            restored = self.restore_state(settings)
            recovered = recover_interrupted_runs(self.data_dir, self.run_id, settings)
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
            report = self.report(crawlers, started, since)
            if recovered:
                report["recovered"] = recovered
            self.after_crawl(report, settings)
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
            self.before_write(report, settings)
            path = self.data_dir / "reports" / f"{self.command}-{self.run_id}.json"
            path.write_text(json.dumps(report, indent=2, ensure_ascii=False) + "\n",
                            encoding="utf-8")
            report["report"] = str(path)
            self.after_write(report, path, settings)
            return report
        finally:
            # the log holds the upload and the report too
            for handler in handlers:
                logging.getLogger().removeHandler(handler)
                handler.close()
            lock.close()

    def spider_args(self, outlet_id: str, since: datetime | None) -> dict[str, Any]:
        """The arguments of one outlet's spider (a worker takes them from Redis)."""
        outlet_since = self.outlet_since(outlet_id, since)
        return {"since": outlet_since.isoformat() if outlet_since else None,
                "max_pages": self.max_pages, "urls": self.urls or None}

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
            # for the health report (crawler.health, crawler.alerts)
            row["quality"] = _under(stats, "quality")
            row["walls"] = _under(stats, "wall")
            row["seconds"] = round(float(stats.get("elapsed_time_seconds") or 0), 1)
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
            if stats.get("extract/charset_mislabelled"):
                alerts.append(f"{outlet_id}: {stats['extract/charset_mislabelled']} page(s) "
                              "with a wrong charset label (read by their bytes)")
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
            "run_id": self.run_id, "command": self.command,
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
