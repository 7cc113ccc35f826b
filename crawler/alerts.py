"""The alerts of a run's health report: what someone must look at the next morning.

Each outlet's figures tonight (:func:`outlet_metrics`, from the run report's row) are
compared with the same outlet's recent runs (the reports kept in ``DATA/reports/`` and
on S3), so an outlet that never names authors does not alert every night, and one that
always did and stops does.  An alert is ``{"kind", "outlet", "message"}``; the kinds:

- ``empty``: the outlet's feeds, sitemaps and section pages listed no article tonight,
  or it fetched article pages and kept none where its recent runs kept some;
- ``errors`` / ``blocked``: failed fetches, failed extractions and 5xx answers, or
  403/429/503 answers, jumped above the outlet's usual share of its requests;
- ``wall``: bot-challenge, consent or paywall pages where articles were listed, or
  many listed article pages that answered 200 with no article in them;
- ``discovery``: a feed, sitemap or section page that listed nothing or was malformed;
- ``quality``: the share of tonight's articles with a date, a title, an author or a
  body of normal length fell well below the outlet's own median;
- ``upload``: files left waiting for S3, more than after the last run, or refused;
- ``disk``: free space on the data directory's disk under the threshold;
- ``webhook``: the webhook could not be told (set by :mod:`crawler.nightly`);
- ``crawl``, ``state``: the crawl's own alerts (:mod:`crawler.run`).

Settings read: ``HEALTH_JUMP_FACTOR``, ``HEALTH_JUMP_MIN_RATE``, ``HEALTH_JUMP_MIN_COUNT``,
``HEALTH_QUALITY_DROP``, ``HEALTH_QUALITY_MIN_ARTICLES``, ``HEALTH_NO_ARTICLE_SHARE``,
``HEALTH_DISK_MIN_FREE_MB``.
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from pathlib import Path
from statistics import median
from typing import Any

# Extraction dropped the page for one of these: the listing promised an article and a
# 200 came back without one.  (Galleries and videos, "not_article", are expected.)
NO_ARTICLE = ("no_body", "empty", "not_html")
BLOCKED = ("403", "429", "503")
# Dropped for what the article says (or when), not for what the page was.
JUDGED = ("not_about_syria", "before_since", "not_article")
# quality/<stat> -> words for "have ..."
QUALITY = {"dated": "a date", "titled": "a title", "body_normal": "a body of normal length",
           "authored": "an author"}


@dataclass(frozen=True)
class Thresholds:
    jump_factor: float = 2.0
    jump_min_rate: float = 0.1
    jump_min_count: int = 3
    quality_drop: float = 0.25
    quality_min_articles: int = 3
    no_article_share: float = 0.25
    disk_min_free_mb: float = 2048

    @classmethod
    def from_settings(cls, settings: Any) -> Thresholds:
        return cls(
            jump_factor=settings.getfloat("HEALTH_JUMP_FACTOR", 2.0),
            jump_min_rate=settings.getfloat("HEALTH_JUMP_MIN_RATE", 0.1),
            jump_min_count=settings.getint("HEALTH_JUMP_MIN_COUNT", 3),
            quality_drop=settings.getfloat("HEALTH_QUALITY_DROP", 0.25),
            quality_min_articles=settings.getint("HEALTH_QUALITY_MIN_ARTICLES", 3),
            no_article_share=settings.getfloat("HEALTH_NO_ARTICLE_SHARE", 0.25),
            disk_min_free_mb=settings.getfloat("HEALTH_DISK_MIN_FREE_MB", 2048))


def alert(kind: str, outlet: str | None, message: str) -> dict[str, Any]:
    return {"kind": kind, "outlet": outlet,
            "message": f"{outlet}: {message}" if outlet else message}


def _ints(values: dict[str, Any]) -> dict[str, int]:
    return {k: v for k, v in values.items() if isinstance(v, int) and not isinstance(v, bool)}


def outlet_metrics(row: dict[str, Any]) -> dict[str, Any]:
    """One outlet's figures of one run, from its row of the run report."""
    discovery = _ints(row.get("discovery", {}))
    dropped = _ints(row.get("dropped", {}))
    status = _ints(row.get("status_counts", {}))
    fetch_failed = _ints(row.get("fetch", {}))
    extract = _ints(row.get("extract", {}))
    dedup = _ints(row.get("dedup", {}))
    quality = _ints(row.get("quality", {}))
    walls = _ints(row.get("walls", {}))
    responses = sum(status.values())
    blocked = sum(status.get(s, 0) for s in BLOCKED)
    errors = (sum(v for k, v in fetch_failed.items()
                  if k.startswith("failed/") and k != "failed/rate_limited")
              + sum(v for k, v in extract.items() if k.startswith("failed/"))
              + sum(v for s, v in status.items() if s.startswith("5") and s != "503"))
    no_article = sum(dropped.get(r, 0) for r in NO_ARTICLE)
    articles = quality.get("articles", 0)
    return {
        "found": sum(v for k, v in discovery.items()
                     if k.endswith("/listed") or k.startswith("skipped/")),
        "pages": int(row.get("pages_fetched", 0)),
        "requests": int(row.get("requests", 0)),
        "responses": responses,
        "blocked": blocked,
        "errors": errors,
        "error_rate": errors / max(int(row.get("requests", 0)), 1),
        "block_rate": blocked / max(responses, 1),
        "articles": int(row.get("articles_kept", 0)),
        "new": dedup.get("new", 0),
        "duplicates": sum(dedup.get(k, 0) for k in ("url", "exact", "near")),
        "updated": dedup.get("new_version", 0),
        "dropped": dropped,
        "walls": walls,
        "no_article": no_article,
        "article_pages": int(row.get("articles_kept", 0)) + sum(dropped.values())
        + sum(walls.values()),
        # the article pages that should each have given an article
        "promised": int(row.get("articles_kept", 0)) + sum(walls.values())
        + sum(v for k, v in dropped.items() if k not in JUDGED),
        "bytes": int(row.get("warc", {}).get("bytes", 0)),
        "seconds": float(row.get("seconds", 0) or 0),
        "quality_articles": articles,
        "shares": {k: quality.get(k, 0) / articles for k in QUALITY} if articles else {},
        "problems": dict(row.get("discovery", {}).get("problems", {}) or {}),
    }


def _rate(value: float) -> str:
    return f"{100 * value:.0f}%"


def outlet_alerts(outlet: str, now: dict[str, Any], history: list[dict[str, Any]],
                  limits: Thresholds) -> list[dict[str, Any]]:
    """Alerts for one outlet: ``now`` and ``history`` are :func:`outlet_metrics` of
    tonight and of the outlet's earlier runs (newest first)."""
    out = []
    if now["found"] == 0:
        before = [h["found"] for h in history if h["found"]]
        was = ("" if not before else f" ({before[0]} at its last run that listed any)"
               if len(before) == 1 else
               f" (a median of {median(before):.0f} over its last {len(before)} such runs)")
        out.append(alert("empty", outlet, "its feeds, sitemaps and section pages listed "
                                          f"no article tonight{was}"))
    elif now["promised"] >= 3 and now["articles"] == 0:
        before = [h["articles"] for h in history if h["promised"] and h["articles"]]
        if before:
            out.append(alert("empty", outlet, f"fetched {now['promised']} listed article "
                                              "pages and kept no article (a median of "
                                              f"{median(before):.0f} over its last "
                                              f"{len(before)} runs that fetched any)"))
    for kind, count, rate, what in (
            ("blocked", now["blocked"], now["block_rate"], "answers were 403/429/503"),
            ("errors", now["errors"], now["error_rate"],
             "requests failed (fetch or extraction errors, 5xx answers)")):
        usual = median([h[f"{'block' if kind == 'blocked' else 'error'}_rate"]
                        for h in history]) if history else 0.0
        if count >= limits.jump_min_count and rate >= max(limits.jump_min_rate,
                                                          limits.jump_factor * usual):
            of = now["responses"] if kind == "blocked" else now["requests"]
            out.append(alert(kind, outlet, f"{count} of {of} {what} ({_rate(rate)}; "
                                           f"usually {_rate(usual)})"))
    if now["walls"]:
        kinds = ", ".join(f"{n} {k}" for k, n in sorted(now["walls"].items()))
        out.append(alert("wall", outlet, f"listed article pages answered with a wall page "
                                         f"instead of the article ({kinds}); archived, "
                                         "fetched again next run"))
    if now["no_article"] >= 2 and now["no_article"] >= \
            limits.no_article_share * max(now["article_pages"], 1):
        out.append(alert("wall", outlet, f"{now['no_article']} of {now['article_pages']} "
                                         "listed article pages answered 200 with no article "
                                         "in them (a wall, or a new page layout?)"))
    for url, what in sorted(now["problems"].items()):
        out.append(alert("discovery", outlet, f"{what.replace('empty', 'listed nothing')}: "
                                              f"{url}"))
    if now["quality_articles"] >= limits.quality_min_articles:
        for key, words in QUALITY.items():
            before = [h["shares"][key] for h in history
                      if h["quality_articles"] >= limits.quality_min_articles
                      and key in h["shares"]]
            if not before:
                continue
            usual = median(before)
            share = now["shares"][key]
            if share < usual - limits.quality_drop:
                out.append(alert("quality", outlet, f"only {_rate(share)} of tonight's "
                                                    f"{now['quality_articles']} articles have "
                                                    f"{words} (usually {_rate(usual)})"))
    return out


def run_alerts(report: dict[str, Any], previous: dict[str, Any] | None, data_dir: Path,
               limits: Thresholds) -> list[dict[str, Any]]:
    """Alerts about the run as a whole: uploads, the outbox, the disk."""
    out = []
    upload = report.get("upload") or {}
    pending = int(upload.get("pending") or 0)
    before = int(((previous or {}).get("upload") or {}).get("pending") or 0)
    if pending and previous is not None and pending > before:
        out.append(alert("upload", None, f"upload: the outbox grows: {pending} file(s) wait "
                                         f"for S3, {before} after the last run"))
    for key, error in sorted((upload.get("failed") or {}).items()):
        out.append(alert("upload", None, f"upload: {key} was refused: {error}"))
    free = shutil.disk_usage(data_dir).free / 1e6 if data_dir.exists() else 0.0
    if free < limits.disk_min_free_mb:
        out.append(alert("disk", None, f"disk: {free:.0f} MB free on the disk of {data_dir} "
                                       f"(HEALTH_DISK_MIN_FREE_MB={limits.disk_min_free_mb:g})"))
    return out


def merge(crawl: list[dict[str, Any]], health: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The run's alerts in reading order: the run's own first, then outlet by outlet;
    a crawl alert that a health alert says better (malformed sources, by URL) left out."""
    named = {a["outlet"] for a in health if a["kind"] == "discovery"}
    crawl = [a for a in crawl if not (a["outlet"] in named and " malformed " in a["message"])]
    everything = crawl + health
    order = {o: i for i, o in enumerate(dict.fromkeys(a["outlet"] for a in everything))}
    return sorted(everything, key=lambda a: (a["outlet"] is not None, order[a["outlet"]]))


def classify(message: str, outlets: set[str]) -> dict[str, Any]:
    """A crawl alert (a line of text, :mod:`crawler.run`) as a structured alert."""
    head, sep, _rest = message.partition(": ")
    if sep and head in outlets:
        return {"kind": "crawl", "outlet": head, "message": message}
    if sep and head in ("upload", "state"):
        return {"kind": head, "outlet": None, "message": message}
    return {"kind": "crawl", "outlet": None, "message": message}
