"""The nightly run, for cron: one crawl of every enabled outlet since its last good run,
then the health report.

A :class:`NightlyRun` is a :class:`crawler.run.CrawlRun` (the lock, one Scrapy process
with a crawler per outlet, incremental state, WARCs, dedup, catalog, upload) that
chooses each outlet's since-date itself, from ``DATA/state/nightly.json``: the start of
the outlet's last run without an alert, less ``NIGHTLY_OVERLAP_HOURS`` (pages already
archived are not fetched again, so the overlap costs only listing entries); an outlet
never crawled before looks back ``NIGHTLY_LOOKBACK_DAYS``.  That file is crawl state: it
is snapshotted to S3 with the rest and restored from there on a new machine.  A run
killed half-way records nothing, so the next one covers the same window again, and
the killed run's exports were made known to the state (:mod:`crawler.recovery`): it
fetches again only what was not archived, and exports nothing twice.

After the crawl the run adds the health section (:mod:`crawler.alerts`), writes the
JSON report and the HTML page beside it (:mod:`crawler.report`), sends both to S3
through the outbox, and posts the JSON to a webhook when one is configured.  Its log
goes to a rotating file, ``DATA/logs/nightly.log``.

Settings read: ``NIGHTLY_LOOKBACK_DAYS``, ``NIGHTLY_OVERLAP_HOURS``,
``NIGHTLY_LOG_MAX_BYTES``, ``NIGHTLY_LOG_BACKUPS``, ``HEALTH_HISTORY_RUNS``,
``HEALTH_NOTIFY_ENV``, ``HEALTH_NOTIFY_TIMEOUT``, the thresholds of :mod:`crawler.alerts`,
``S3_URI`` and the settings of :mod:`crawler.run`.
"""

from __future__ import annotations

import json
import logging
import logging.handlers
import os
import sys
import urllib.error
import urllib.request
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from crawler import __version__
from crawler.alerts import (
    Thresholds,
    alert,
    classify,
    merge,
    outlet_alerts,
    outlet_metrics,
    run_alerts,
)
from crawler.registry import Registry
from crawler.report import HISTORY_RUNS, fetch_reports, load_history, write_html
from crawler.run import CrawlRun

logger = logging.getLogger(__name__)

STATE_FILE = "nightly.json"


def load_state(data_dir: Path) -> dict[str, Any]:
    path = data_dir / "state" / STATE_FILE
    try:
        state = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return {"outlets": {}}
    except (OSError, ValueError) as exc:
        raise ValueError(f"{path}: not the nightly state this version writes ({exc}); "
                         "move it aside to start each outlet's look-back afresh") from None
    if not isinstance(state, dict) or not isinstance(state.get("outlets"), dict):
        raise ValueError(f"{path}: not the nightly state this version writes")
    return state


def save_state(data_dir: Path, state: dict[str, Any]) -> None:
    path = data_dir / "state" / STATE_FILE
    partial = path.with_name(path.name + ".tmp")
    partial.write_text(json.dumps(state, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    partial.replace(path)


class _Progress(logging.Filter):
    """On the console: warnings and errors, and the per-outlet progress lines."""

    def filter(self, record: logging.LogRecord) -> bool:
        return record.levelno >= logging.WARNING or record.name == "crawler.health"


def post_webhook(url: str, report: dict[str, Any], timeout: float) -> str | None:
    """POST the JSON report to ``url``; None when it was taken, else what went wrong
    (never naming the URL: it may hold a token)."""
    body = json.dumps(report, ensure_ascii=False).encode("utf-8")
    request = urllib.request.Request(url, data=body, method="POST", headers={
        "Content-Type": "application/json", "User-Agent": f"syria-archive/{__version__}"})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            response.read()
    except urllib.error.HTTPError as exc:
        return f"HTTP {exc.code} {exc.reason}"
    except urllib.error.URLError as exc:
        return f"not reachable: {exc.reason}"
    except (OSError, ValueError) as exc:  # timeouts, a malformed URL
        return f"{type(exc).__name__}: {exc}"
    return None


class NightlyRun(CrawlRun):
    command = "nightly"

    def __init__(self, data_dir: Path, outlets: list[str] | None = None,
                 cadence: str | None = None, since: str | None = None,
                 lookback_days: float | None = None, max_pages: int | None = None,
                 overrides: dict[str, Any] | None = None, quiet: bool = False) -> None:
        super().__init__(data_dir, outlets=outlets, since=since, max_pages=max_pages,
                         overrides=overrides)
        self.cadence = cadence
        self.lookback_days = lookback_days
        self.quiet = quiet
        self.started = datetime.now(UTC)
        self.state: dict[str, Any] | None = None
        self.sinces: dict[str, str | None] = {}

    def settings(self) -> Any:
        settings = super().settings()
        # The console gets warnings, errors and progress (see log_handlers); the whole log
        # goes to the rotating file.
        settings.set("LOG_ENABLED", False, priority="cmdline")
        self._settings = settings
        return settings

    def outlets(self, registry: Registry) -> list[str]:
        if self.outlet_ids:
            return self.outlet_ids
        ids = [o.id for o in registry.enabled(self.cadence)]
        if not ids:
            raise ValueError(f"no enabled outlet has the cadence {self.cadence!r}")
        return ids

    def outlet_since(self, outlet_id: str, since: datetime | None) -> datetime | None:
        if self.state is None:  # read under the lock, after the state came from S3
            self.state = load_state(self.data_dir)
            logger.info("Nightly run %s (pid %d)", self.run_id, os.getpid())
            lock = getattr(self, "lock", None)
            if lock is not None and lock.taken_over:
                logger.info("The run lock was taken over from %s", lock.taken_over)
        settings = self._settings
        if since is not None:
            chosen = since
        else:
            last = self.state["outlets"].get(outlet_id, {}).get("last_success")
            if last:
                chosen = datetime.fromisoformat(last) - timedelta(
                    hours=settings.getfloat("NIGHTLY_OVERLAP_HOURS", 24))
            else:
                days = self.lookback_days if self.lookback_days is not None else \
                    settings.getfloat("NIGHTLY_LOOKBACK_DAYS", 3)
                chosen = self.started - timedelta(days=days)
        self.sinces[outlet_id] = chosen.isoformat(timespec="seconds")
        logger.info("%s: crawling what is new since %s", outlet_id, self.sinces[outlet_id])
        return chosen

    def log_handlers(self, settings: Any) -> tuple[list[logging.Handler], Path]:
        path = self.data_dir / "logs" / "nightly.log"
        rotating = logging.handlers.RotatingFileHandler(
            path, maxBytes=settings.getint("NIGHTLY_LOG_MAX_BYTES", 10 * 1024 * 1024),
            backupCount=settings.getint("NIGHTLY_LOG_BACKUPS", 10), encoding="utf-8")
        rotating.setFormatter(logging.Formatter(settings.get("LOG_FORMAT"),
                                                settings.get("LOG_DATEFORMAT")))
        rotating.setLevel(settings.get("LOG_LEVEL"))
        console = logging.StreamHandler(sys.stderr)
        console.setFormatter(logging.Formatter(settings.get("LOG_FORMAT"),
                                               settings.get("LOG_DATEFORMAT")))
        if self.quiet:
            console.setLevel(logging.ERROR)
        else:
            console.setLevel(logging.INFO)
            console.addFilter(_Progress())
        return [rotating, console], path

    # -- after the crawl ---------------------------------------------------------------

    def _history(self, settings: Any) -> list[dict[str, Any]]:
        from archive.s3 import S3Config, S3Store

        limit = settings.getint("HEALTH_HISTORY_RUNS", HISTORY_RUNS)
        config = S3Config.from_settings(settings)
        if config is not None:
            try:
                fetch_reports(self.data_dir, S3Store(config), limit)
            except Exception as exc:  # S3 down: the local reports are history enough
                logger.warning("Earlier run reports could not be listed on %s: %s",
                               config.uri, str(exc)[:300])
        return load_history(self.data_dir, before=self.run_id, limit=limit)

    def after_crawl(self, report: dict[str, Any], settings: Any) -> None:
        """Outlet alerts against each outlet's history; the outlets without one move
        their since-date forward (written before the state is snapshotted)."""
        limits = Thresholds.from_settings(settings)
        history = self._history(settings)
        self.history = history
        health: list[dict[str, Any]] = []
        for outlet_id, row in report["outlets"].items():
            row["since"] = self.sinces.get(outlet_id)
            past = [outlet_metrics(r["outlets"][outlet_id]) for r in reversed(history)
                    if outlet_id in r["outlets"]]
            health += outlet_alerts(outlet_id, outlet_metrics(row), past, limits)
        self.health = health
        crawl = [classify(a, set(report["outlets"])) for a in report["alerts"]]
        state = self.state or load_state(self.data_dir)
        # Any alert but a quality one may mean articles were missed: that outlet's window
        # stays open (the next run looks back to its last good run again).
        alerting = {a["outlet"] for a in crawl + health if a["kind"] != "quality"}
        for outlet_id, row in report["outlets"].items():
            entry = state["outlets"].setdefault(outlet_id, {})
            entry["last_run"] = self.run_id
            if outlet_id in alerting or row.get("finish_reason") != "finished":
                entry["failing_since"] = entry.get("failing_since") or self.run_id
                continue
            entry.pop("failing_since", None)
            entry["last_success"] = report["started"]  # when the crawl began
            entry["last_success_run"] = self.run_id
        state["updated"] = datetime.now(UTC).isoformat(timespec="seconds")
        save_state(self.data_dir, state)
        report["state"] = {"file": str(self.data_dir / "state" / STATE_FILE),
                           "outlets_advanced": sorted(set(report["outlets"]) - alerting)}

    def before_write(self, report: dict[str, Any], settings: Any) -> None:
        limits = Thresholds.from_settings(settings)
        previous = self.history[-1] if self.history else None
        crawl = [classify(a, set(report["outlets"])) for a in report["alerts"]]
        alerts = merge(crawl + run_alerts(report, previous, self.data_dir, limits),
                       self.health)
        lock = getattr(self, "lock", None)
        if lock is not None and lock.taken_over:
            report["lock_taken_over"] = lock.taken_over
        report["cadence"] = self.cadence
        report["html"] = str(self.data_dir / "reports" / f"{self.command}-{self.run_id}.html")
        report["health"] = {"alerts": alerts}
        report["alerts"] = [a["message"] for a in alerts]
        env = settings.get("HEALTH_NOTIFY_ENV") or "SYRIA_ARCHIVE_WEBHOOK"
        url = os.environ.get(env)
        if url:
            failed = post_webhook(url, report, settings.getfloat("HEALTH_NOTIFY_TIMEOUT", 10))
            report["webhook"] = {"sent": failed is None, "env": env}
            if failed:
                extra = alert("webhook", None, f"webhook: the report could not be posted to "
                                               f"the URL in ${env}: {failed}")
                alerts.append(extra)
                report["alerts"].append(extra["message"])
                logger.error("%s", extra["message"])
        if report["alerts"] and report["exit_code"] == 0:
            report["exit_code"] = 3

    def after_write(self, report: dict[str, Any], path: Path, settings: Any) -> None:
        """The HTML page beside the JSON, and both to S3 (through the outbox: when S3
        is down they go with the next run)."""
        from archive.outbox import Outbox
        from archive.s3 import S3Config, S3Store, report_key
        from archive.upload import Uploader

        limit = settings.getint("HEALTH_HISTORY_RUNS", HISTORY_RUNS)
        html = write_html(report, path, self.data_dir, limit)
        report["html"] = str(html)
        config = S3Config.from_settings(settings)
        if config is None:
            return
        with Outbox.for_data(self.data_dir) as outbox:
            keys = []
            for file in (path, html):
                key = report_key(self.run_id, file.name)
                outbox.put(file, key, "report", self.run_id)
                keys.append(key)
            if report["upload"].get("unreachable"):
                logger.warning("S3 could not be reached: the run's report waits in the outbox")
                return
            result = Uploader(S3Store(config), outbox).flush(keys)
        if result.unreachable or result.failed:
            logger.warning("The run's report waits in the outbox for S3: %s",
                           result.unreachable or result.failed)
