"""The mirror crawl's articles against the hand labels of the saved pages.

    .venv/bin/python tests/mirror_labels.py    # starts the mirror, crawls it, prints the table

Each article route of ``crawler/mirror/pages/OUTLET/routes.toml`` carries labels written by
hand from the page as a reader sees it, before the extractor ran on it: ``title``,
``published`` with ``date_precision`` (``day`` or ``minute``: how much of the date the page
gives anywhere), ``authors`` (the people it names as writers), ``about_syria``, and
``same_as`` (the URL of the article it duplicates) or ``wire`` (one agency story carried by
several outlets).  Routes with ``article = false`` are pages that are not articles (photo
galleries, videos) and must not be kept.  :func:`agreement` compares a crawl's export with
them field by field; ``tests/test_mirror_labels.py`` runs it on the test crawl.
"""

from __future__ import annotations

import json
import platform
import sys
import tempfile
import tomllib
import unicodedata
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
MIRROR = ROOT / "crawler" / "mirror" / "pages"
sys.path.insert(0, str(ROOT))

FIELDS = ("title", "date", "authors", "about Syria", "duplicate of", "not an article")


def routes(outlet: str) -> list[dict[str, Any]]:
    path = MIRROR / outlet / "routes.toml"
    return tomllib.loads(path.read_text(encoding="utf-8"))["route"]


def key(url: str) -> str:
    from crawler.mirror.server import url_key
    return url_key(url)


def label_date(value: str) -> datetime | date:
    """A label's date: a day (``2026-11-24``) or an aware moment."""
    moment = datetime.fromisoformat(value)
    if "T" not in value:
        return moment.date()
    return moment


def same_date(published: str | None, label: str, precision: str = "minute") -> bool:
    """Whether an article's ``published`` agrees with a label at the label's precision.

    ``day``: the same calendar day where the page's own offset puts it; ``minute``: the same
    moment to the minute.
    """
    if not published:
        return False
    got = datetime.fromisoformat(published)
    want = label_date(label)
    if precision == "day" or isinstance(want, date) and not isinstance(want, datetime):
        day = want if not isinstance(want, datetime) else want.date()
        return got.date() == day
    return abs((got - want).total_seconds()) < 60


def _text(s: str | None) -> str:
    return " ".join(unicodedata.normalize("NFC", s or "").split())


@dataclass
class Agreement:
    agree: dict[str, int] = field(default_factory=lambda: dict.fromkeys(FIELDS, 0))
    total: dict[str, int] = field(default_factory=lambda: dict.fromkeys(FIELDS, 0))
    misses: list[tuple[str, str, Any, Any]] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)

    def count(self, name: str, ok: bool, url: str, want: Any, got: Any) -> None:
        self.total[name] += 1
        self.agree[name] += ok
        if not ok:
            self.misses.append((name, url, want, got))

    def rate(self, name: str) -> float:
        return self.agree[name] / self.total[name] if self.total[name] else 1.0

    def table(self) -> str:
        lines = [f"{'field':<16}{'agree':>7}{'of':>6}{'rate':>9}"]
        for name in FIELDS:
            lines.append(f"{name:<16}{self.agree[name]:>7}{self.total[name]:>6}"
                         f"{100 * self.rate(name):>8.1f}%")
        for name, url, want, got in self.misses:
            lines.append(f"  {name}: {url}\n    label {want!r}\n    crawl {got!r}")
        for url in self.missing:
            lines.append(f"  missing from the export: {url}")
        return "\n".join(lines)


def agreement(items: list[dict[str, Any]], requested: set[str]) -> Agreement:
    """Compare a crawl's exported articles with the labels of every outlet's routes.

    ``requested`` holds the URL keys the crawl fetched (the mirror's log): an unrelated
    article skipped before fetching and one dropped after count alike as "not about Syria".
    """
    from crawler.registry import Registry

    result = Agreement()
    by_url = {key(i["url"]): i for i in items}
    registry = Registry.load()
    groups: dict[str, set[str]] = defaultdict(set)  # duplicate groups, by their first URL
    labelled: list[tuple[Any, dict[str, Any]]] = []
    for outlet in registry:
        for r in routes(outlet.id):
            if r.get("robots_blocked") or "url" not in r:
                continue
            k = key(r["url"])
            if r.get("article") is False:
                if k in requested:
                    result.count("not an article", k not in by_url, r["url"], "not kept",
                                 "kept" if k in by_url else "not kept")
                continue
            if not r.get("article"):
                continue
            labelled.append((outlet, r))
            if r.get("same_as"):
                groups[key(r["same_as"])] |= {k, key(r["same_as"])}
            if r.get("wire"):
                groups["wire:" + r["wire"]].add(k)
    member = {u: g for g, urls in groups.items() for u in urls}
    for outlet, r in labelled:
        k = key(r["url"])
        item = by_url.get(k)
        # an article fetched under another of its URLs (a feed's tracking parameters) is kept
        kept = item is not None or any(u in by_url for u in groups.get(member.get(k, ""), ()))
        expect_kept = r["about_syria"] or outlet.all_syria
        if not outlet.all_syria:
            result.count("about Syria", kept == r["about_syria"], r["url"], r["about_syria"],
                         kept)
        if item is None:
            if expect_kept and not kept:
                result.missing.append(r["url"])
            continue
        result.count("title", _text(item.get("title")) == _text(r["title"]), r["url"],
                     r["title"], item.get("title"))
        result.count("date", same_date(item.get("published"), r["published"],
                                       r.get("date_precision", "minute")),
                     r["url"], r["published"], item.get("published"))
        if "authors" in r:
            got = [_text(a).casefold() for a in item.get("authors") or []]
            want = [_text(a).casefold() for a in r["authors"]]
            result.count("authors", sorted(got) == sorted(want), r["url"], r["authors"],
                         item.get("authors"))
        group = member.get(k)
        if group is None:
            ok = item.get("dedup") in ("new", "new_version")
            result.count("duplicate of", ok, r["url"], None, item.get("duplicate_of"))
        else:
            others = [by_url[u] for u in groups[group] if u in by_url]
            canon = {key(o.get("canonical_url") or o["url"]) for o in others}
            originals = [o for o in others if o.get("dedup") == "new"]
            if item.get("dedup") == "new":
                ok = len(originals) == 1
            else:
                ok = (item.get("duplicate_of") is not None
                      and key(item["duplicate_of"]) in canon
                      and len({o.get("cluster_id") for o in others}) == 1)
            result.count("duplicate of", ok, r["url"], r.get("same_as") or r.get("wire"),
                         item.get("duplicate_of"))
    return result


def main() -> int:
    sys.path.insert(0, str(ROOT / "tests"))
    from conftest import crawl, start_mirror

    with tempfile.TemporaryDirectory() as tmp:
        mirror = start_mirror(MIRROR, Path(tmp) / "requests.jsonl")
        try:
            result = crawl(mirror, Path(tmp) / "data")
        finally:
            mirror.process.terminate()
            mirror.process.wait(timeout=30)
    requested = {key(r["url"]) for r in result.requested}
    found = agreement(result.items, requested)
    print(f"Mirror crawl against hand labels ({datetime.now(UTC):%Y-%m-%d}, "
          f"{platform.machine()} {platform.system()}, {len(result.items)} articles exported)")
    print(found.table())
    print(json.dumps({name: round(found.rate(name), 4) for name in FIELDS}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
