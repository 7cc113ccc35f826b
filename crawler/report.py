"""A run's health report, for people: the short text summary and the static HTML page.

The JSON report of each run (``DATA/reports/COMMAND-RUN.json``, written by
:mod:`crawler.run`, with the health section :mod:`crawler.nightly` adds) is the source;
this module reads the last runs' reports (:func:`load_history`: local ones, and those
on S3 that are not here, cached in ``DATA/cache/reports/``), prints a summary and
renders ``COMMAND-RUN.html`` beside the JSON: alerts first, a table per outlet, and
charts over the last runs drawn by :mod:`crawler.web.charts` as inline SVG.  The page
has no script and loads nothing: it works offline, from a file or from S3.

Settings read: ``HEALTH_HISTORY_RUNS``.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Iterable
from datetime import datetime
from pathlib import Path
from typing import Any

from crawler.alerts import QUALITY, outlet_metrics

logger = logging.getLogger(__name__)

REPORT_NAME = re.compile(r"^(?P<command>[a-z]+)-(?P<run>\d{8}T\d{6}Z)\.json$")
HISTORY_RUNS = 30


class ReportError(LookupError):
    """No such report; the message says where it was looked for."""


def report_files(data_dir: Path) -> dict[str, Path]:
    """Run id -> its JSON report, from ``reports/`` and the S3 cache (local ones win)."""
    found: dict[str, Path] = {}
    for folder in (data_dir / "cache" / "reports", data_dir / "reports"):
        for path in sorted(folder.glob("*.json")) if folder.is_dir() else []:
            m = REPORT_NAME.match(path.name)
            if m:
                found[m["run"]] = path
    return dict(sorted(found.items()))


def _read(path: Path) -> dict[str, Any] | None:
    try:
        report = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        logger.warning("Report %s cannot be read, left out of the history: %s", path, exc)
        return None
    return report if isinstance(report, dict) and isinstance(report.get("outlets"), dict) \
        else None


def fetch_reports(data_dir: Path, store: Any, limit: int = HISTORY_RUNS) -> int:
    """Copy the newest ``limit`` run reports on S3 that are not here into
    ``DATA/cache/reports/`` (a machine that is new, or that lost its data directory,
    still charts the archive's history).  Returns how many were fetched."""
    local = report_files(data_dir)
    wanted = []
    for obj in store.list("reports/"):
        name = obj["key"].rsplit("/", 1)[-1]
        m = REPORT_NAME.match(name)
        if m and m["run"] not in local:
            wanted.append((m["run"], obj["key"], name))
    cache = data_dir / "cache" / "reports"
    for _run, key, name in sorted(wanted)[-limit:]:
        cache.mkdir(parents=True, exist_ok=True)
        (cache / name).write_bytes(store.get_bytes(key))
    return len(wanted[-limit:])


def load_history(data_dir: Path, before: str | None = None,
                 limit: int = HISTORY_RUNS) -> list[dict[str, Any]]:
    """The last ``limit`` run reports (oldest first), earlier than run ``before``."""
    out = []
    for run_id, path in report_files(data_dir).items():
        if before is not None and run_id >= before:
            continue
        report = _read(path)
        if report is not None:
            out.append(report)
    return out[-limit:]


def find_report(data_dir: Path, run: str | None) -> Path:
    """The JSON report of run ``run`` (a run id, or a report's path), or the newest."""
    if run and (run.endswith((".json", ".html")) or "/" in run):
        path = Path(run).with_suffix(".json")
        if not path.is_file():
            raise ReportError(f"no such report: {path}")
        return path
    files = report_files(data_dir)
    if not files:
        raise ReportError(f"no run reports in {data_dir / 'reports'}")
    if run is None:
        return files[max(files)]
    if run not in files:
        recent = ", ".join(sorted(files)[-5:])
        raise ReportError(f"no report of run {run!r} in {data_dir / 'reports'} "
                          f"(latest: {recent})")
    return files[run]


# -- figures -----------------------------------------------------------------------------

def _pct(part: float, whole: float) -> str:
    return f"{100 * part / whole:.0f}%" if whole else "-"


def outlet_table(report: dict[str, Any]) -> list[dict[str, Any]]:
    """One row per outlet: the figures the summary and the page show."""
    rows = []
    for outlet_id, row in report["outlets"].items():
        m = outlet_metrics(row)
        errors: dict[str, int] = {}
        for prefix in ("fetch", "extract"):
            for key, n in (row.get(prefix) or {}).items():
                if key.startswith("failed/") and isinstance(n, int):
                    errors[key.removeprefix("failed/")] = errors.get(key, 0) + n
        statuses = {s: n for s, n in (row.get("status_counts") or {}).items()
                    if not s.startswith(("2", "3"))}
        rows.append({
            "outlet": outlet_id, "since": row.get("since"), **m,
            "errors_by_kind": errors, "statuses": statuses,
            "dated": _pct(m["shares"].get("dated", 0), 1) if m["shares"] else "-",
            "authored": _pct(m["shares"].get("authored", 0), 1) if m["shares"] else "-",
            "body_normal": _pct(m["shares"].get("body_normal", 0), 1) if m["shares"] else "-",
            "titled": _pct(m["shares"].get("titled", 0), 1) if m["shares"] else "-",
        })
    return rows


def totals(report: dict[str, Any]) -> dict[str, Any]:
    rows = [outlet_metrics(r) for r in report["outlets"].values()]
    return {key: sum(r[key] for r in rows) for key in
            ("pages", "articles", "new", "duplicates", "updated", "bytes", "requests",
             "errors", "blocked")}


def report_alerts(report: dict[str, Any]) -> list[dict[str, Any]]:
    health = report.get("health") or {}
    if health.get("alerts") is not None:
        return list(health["alerts"])
    return [{"kind": "crawl", "outlet": None, "message": a} for a in report.get("alerts", [])]


def html_path(json_path: Path) -> Path:
    return json_path.with_suffix(".html")


def last_line(report: dict[str, Any]) -> str:
    """The run's last line: what cron and a person read first."""
    path = report.get("html") or report.get("report")
    return (f"syria-archive {report.get('command', 'crawl')}: exit {report['exit_code']}, "
            f"{len(report.get('alerts', []))} alert(s), report {path}")


def summary(report: dict[str, Any]) -> str:
    """The short text summary: one line for the run, one per outlet, one per alert."""
    t = totals(report)
    head = (f"{report.get('command', 'crawl')} run {report['run_id']}: "
            f"{len(report['outlets'])} outlet(s), {t['pages']} pages fetched, "
            f"{t['articles']} articles ({t['new']} new, {t['duplicates']} duplicates, "
            f"{t['updated']} updated), {t['bytes'] / 1e6:.1f} MB archived")
    header = ("outlet", "pages", "new", "dup", "upd", "dropped", "errors", "blocked",
              "dated", "author", "body", "MB", "s")
    lines = [header]
    for r in outlet_table(report):
        lines.append((r["outlet"], str(r["pages"]), str(r["new"]), str(r["duplicates"]),
                      str(r["updated"]), str(sum(r["dropped"].values())), str(r["errors"]),
                      str(r["blocked"]), r["dated"], r["authored"], r["body_normal"],
                      f"{r['bytes'] / 1e6:.1f}", f"{r['seconds']:.0f}"))
    widths = [max(len(line[i]) for line in lines) for i in range(len(header))]
    text = [head] + ["  ".join(c.rjust(w) if i else c.ljust(w)
                               for i, (c, w) in enumerate(zip(line, widths, strict=True)))
                     for line in lines]
    text += [f"ALERT [{a['kind']}] {a['message']}" for a in report_alerts(report)]
    return "\n".join(text)


# -- the page ----------------------------------------------------------------------------

def _series(runs: list[dict[str, Any]]) -> dict[str, Any]:
    """What the charts draw, per run (oldest first)."""
    ids = [r["run_id"] for r in runs]
    outlets = sorted({o for r in runs for o in r["outlets"]})
    metrics = [{o: outlet_metrics(row) for o, row in r["outlets"].items()} for r in runs]
    articles = {o: [m[o]["articles"] if o in m else 0 for m in metrics] for o in outlets}
    megabytes = {o: [m[o]["bytes"] / 1e6 if o in m else 0 for m in metrics] for o in outlets}
    rates: dict[str, list[float | None]] = {"errors": [], "403/429/503": []}
    shares: dict[str, list[float | None]] = {f"with {w}": [] for w in QUALITY.values()}
    for m in metrics:
        requests = sum(x["requests"] for x in m.values())
        responses = sum(x["responses"] for x in m.values())
        rates["errors"].append(sum(x["errors"] for x in m.values()) / requests
                               if requests else None)
        rates["403/429/503"].append(sum(x["blocked"] for x in m.values()) / responses
                                    if responses else None)
        n = sum(x["quality_articles"] for x in m.values())
        for key, words in QUALITY.items():
            have = sum(x["shares"].get(key, 0) * x["quality_articles"] for x in m.values())
            shares[f"with {words}"].append(have / n if n else None)
    return {"ids": ids, "articles": articles, "megabytes": megabytes, "rates": rates,
            "shares": shares}


def charts(runs: list[dict[str, Any]]) -> list[tuple[str, str]]:
    """(caption, inline SVG) of each chart over ``runs``."""
    from crawler.web import charts as draw

    s = _series(runs)
    n = len(s["ids"])
    return [
        (f"Articles kept per outlet, last {n} run(s)",
         draw.runs_stacked(s["ids"], s["articles"], "Articles per outlet per run", "articles")),
        ("Share of requests that failed, and of answers that were 403/429/503",
         draw.runs_lines(s["ids"], s["rates"], "Error and block rates", "share", percent=True)),
        ("Share of the run's articles with a date, a title, a body of normal length, an "
         "author", draw.runs_lines(s["ids"], s["shares"], "Extraction completeness",
                                   "share of articles", percent=True)),
        ("Bytes written to WARC files per run, by outlet",
         draw.runs_stacked(s["ids"], s["megabytes"], "Bytes archived", "MB")),
    ]


def render_html(report: dict[str, Any], history: Iterable[dict[str, Any]]) -> str:
    """The static page of ``report``, with charts over ``history`` and this run."""
    from jinja2 import Environment, PackageLoader, select_autoescape

    runs = [r for r in history if r.get("run_id") != report["run_id"]] + [report]
    env = Environment(loader=PackageLoader("crawler", "templates"),
                      autoescape=select_autoescape(("html",)), trim_blocks=True,
                      lstrip_blocks=True)
    past = []
    for r in reversed(runs):
        t = totals(r)
        past.append({"run_id": r["run_id"], "command": r.get("command", "crawl"),
                     "exit_code": r.get("exit_code"), "alerts": len(r.get("alerts", [])),
                     "outlets": len(r["outlets"]), **t,
                     "page": f"{r.get('command', 'crawl')}-{r['run_id']}.html"})
    return env.get_template("report.html").render(
        report=report, totals=totals(report), alerts=report_alerts(report),
        outlets=outlet_table(report), charts=charts(runs), runs=past,
        generated=datetime.now().astimezone().isoformat(timespec="seconds"))


def write_html(report: dict[str, Any], json_path: Path, data_dir: Path,
               limit: int = HISTORY_RUNS) -> Path:
    """Render the page of the report at ``json_path`` beside it; returns its path."""
    history = load_history(data_dir, before=report["run_id"], limit=limit - 1)
    path = html_path(json_path)
    partial = path.with_name(path.name + ".part")
    partial.write_text(render_html(report, history), encoding="utf-8")
    partial.replace(path)
    return path
