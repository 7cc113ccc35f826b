"""``make bench-web``: how fast ``syria-archive serve`` answers over a large catalog.

Builds a catalog of synthetic articles (English and Arabic words, 16 outlets, a
year of dates, 10 % near duplicates) through :class:`archive.catalog.Catalog`,
starts ``serve`` on it and times its pages over HTTP on 127.0.0.1: the search
page (results, count and four facets), Datasette's canned query as JSON and
CSV, Datasette's own table page with facets, the home page with its charts.
Beside each search it times the same SQL run directly with sqlite3, which is
the least any web page over this catalog could cost: the difference is what
Datasette, the templates and HTTP add.  A measurement, not a test: it prints
figures and never fails on a slow machine.
"""

from __future__ import annotations

import argparse
import os
import platform
import random
import sqlite3
import statistics
import sys
import tempfile
import time
import urllib.parse
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from webserve import fetch, start_serve  # noqa: E402

from archive.catalog import Catalog  # noqa: E402
from crawler.web.search import COUNT_SQL, SEARCH_SQL, Query, facet_sql, fts_match  # noqa: E402

EN = ("syria damascus aleppo idlib refugees aid wheat bread electricity water camp border "
      "talks ceasefire returnees schools hospital prices market farmers drought winter fuel "
      "reconstruction sanctions government council villages roads displaced families").split()
AR = ("سوريا دمشق حلب إدلب اللاجئين المساعدات القمح الخبز الكهرباء المياه المخيم الحدود "
      "المفاوضات العائدين المدارس المستشفى الأسعار السوق المزارعين الجفاف الشتاء الوقود "
      "الإعمار العقوبات الحكومة المجلس القرى الطرق النازحين العائلات").split()
FILLER_EN = [f"word{i}" for i in range(4000)]
FILLER_AR = [f"كلمة{i}" for i in range(4000)]


def build(path: Path, n: int, seed: int = 7) -> None:
    rnd = random.Random(seed)
    catalog = Catalog(path)
    start = date(2026, 1, 1)
    outlets = [(f"outlet{i:02d}-{'ar' if i % 3 == 0 else 'en'}", "ar" if i % 3 == 0 else "en")
               for i in range(16)]
    for i in range(n):
        outlet, lang = rnd.choice(outlets)
        keys, filler = (AR, FILLER_AR) if lang == "ar" else (EN, FILLER_EN)
        words = [rnd.choice(keys) if rnd.random() < 0.1 else rnd.choice(filler)
                 for _ in range(300)]
        day = start + timedelta(days=rnd.randrange(365))
        dup = rnd.random() < 0.1
        catalog.add({
            "url": f"https://{outlet}.test/{i}", "canonical_url": f"https://{outlet}.test/{i}",
            "outlet": outlet, "language": lang, "title": " ".join(words[:8]),
            "text": " ".join(words), "published": f"{day.isoformat()}T10:00:00+03:00",
            "fetched_at": datetime.now(UTC).isoformat(), "word_count": 300,
            "dedup": "near" if dup else "new", "cluster_id": f"c{i // 2}",
            "duplicate_of": f"https://{outlet}.test/{i - 1}" if dup and i else None,
            "warc": {"file": f"syria-archive-{outlet}-20260101000000000-00000-h-1.warc.gz",
                     "offset": i * 1000, "length": 900, "record_id": f"<urn:uuid:{i}>"}})
        if i and i % 20000 == 0:
            print(f"  {i:,} articles catalogued", file=sys.stderr, flush=True)
    catalog.close()


def timed(fn: object, repeat: int) -> tuple[float, float]:
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn()  # type: ignore[operator]
        times.append((time.perf_counter() - t) * 1000)
    times.sort()
    return statistics.median(times), times[min(len(times) - 1, int(len(times) * 0.95))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--articles", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=7)
    args = parser.parse_args()
    print(f"bench-web {datetime.now(UTC):%Y-%m-%d %H:%M} UTC, {platform.machine()}, "
          f"{os.cpu_count()} cores, Python {platform.python_version()}")
    with tempfile.TemporaryDirectory() as tmp:
        data = Path(tmp) / "data"
        t = time.perf_counter()
        build(data / "state" / "catalog.sqlite3", args.articles)
        size = (data / "state" / "catalog.sqlite3").stat().st_size
        print(f"catalog: {args.articles:,} articles, {size / 1e6:.0f} MB, built in "
              f"{time.perf_counter() - t:.0f} s")
        served = start_serve("--data", str(data), stderr=Path(tmp) / "serve.txt")
        db = sqlite3.connect(data / "state" / "catalog.sqlite3")
        db.create_function("fts_match", 1, fts_match, deterministic=True)
        try:
            searches = {"all articles": {}, "common word": {"q": "refugees"},
                        "two words": {"q": "wheat prices"}, "Arabic word": {"q": "دمشق"},
                        "Arabic, one outlet": {"q": "دمشق", "outlet": "outlet03-ar"},
                        "a month, originals": {"month": "2026-06", "dedup": "new"}}
            print(f"{'page':44} {'median ms':>10} {'p95 ms':>8} {'SQL alone':>10}")
            for name, params in searches.items():
                path = "/search?" + urllib.parse.urlencode(params)
                assert fetch(served.url + path.lstrip("/"))[0] == 200
                med, p95 = timed(lambda p=path: fetch(served.url + p.lstrip("/")), args.repeat)
                query = Query(**params).params()

                def sql(q: dict[str, str] = query) -> None:
                    db.execute(SEARCH_SQL + " LIMIT 50", q).fetchall()
                    db.execute(COUNT_SQL, q).fetchone()
                    for facet in ("outlet", "lang", "month", "dedup"):
                        db.execute(facet_sql(facet), q).fetchall()

                sql_med, _ = timed(sql, args.repeat)
                print(f"{'/search ' + name:44} {med:10.0f} {p95:8.0f} {sql_med:10.0f}")
            for name, path in (
                    ("canned query JSON, common word", "/catalog/search.json?q=refugees"
                     "&_shape=array"),
                    ("canned query CSV, common word", "/catalog/search.csv?q=refugees"),
                    ("Datasette table page, 3 facets", "/catalog/articles"),
                    ("home page with 3 charts (cached)", "/")):
                t = time.perf_counter()
                status, _h, body = fetch(served.url + path.lstrip("/"), timeout=600)
                assert status == 200, (path, status)
                if path == "/":
                    print(f"{'home page, charts drawn (first request)':44} "
                          f"{(time.perf_counter() - t) * 1000:10.0f}")
                med, p95 = timed(lambda p=path: fetch(served.url + p.lstrip("/"), timeout=600),
                                 args.repeat)
                print(f"{name:44} {med:10.0f} {p95:8.0f} {'':>10}  ({len(body) / 1e3:.0f} kB)")
        finally:
            db.close()
            served.stop()


if __name__ == "__main__":
    main()
