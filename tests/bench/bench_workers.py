"""Distributed crawling: pages per second with 1, 2 and 4 workers, and Redis memory per
million dedup entries.  A measurement, not a test.

The site: by default a generated one (``--articles`` article pages of one outlet,
``bench-news``, with a feed, a sitemap index and section pages, served by
``syria-archive mirror`` on 127.0.0.1); or any local site given as a folder of
saved pages with ``routes.toml`` (``--site``) and the registry entries of its
outlets (``--outlets``).  For each worker count a fresh redis-server is started,
the outlets are enqueued, and N ``syria-archive worker --until-empty`` processes
crawl until the frontier is empty: pages per second is the pages fetched by all
of them over the time from the workers' start (their start-up included) to the
last page archived.

Then the Redis dedup index (:mod:`pipelines.dedupredis`) is filled with
``--dedup-entries`` originals through its own add script; Redis' ``used_memory``
before and after gives the bytes per article, printed per million; and 2,000
synthetic articles of news length are timed through the deduplicator.
Prints a table; writes the figures to ``bench/results/workers.json``.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import shutil
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "tests"))

from redisserver import start_redis  # noqa: E402

from crawler.demo import proxy_env, start_mirror  # noqa: E402

HOST = "www.bench-news.example"
WORDS = ("aid convoy reached the city after weeks of talks between local councils and "
         "relief agencies while families returned to damaged homes and markets reopened "
         "under new rules for fuel bread water schools clinics roads farms prices wages "
         "ministers envoys observers reported delays at crossings near the border").split()
PLACES = ["Syria", "Damascus", "Aleppo", "Idlib", "Homs", "Raqqa", "Deir ez-Zor", "Hama"]


def article_html(n: int, rng: random.Random) -> str:
    place = PLACES[n % len(PLACES)]
    paragraphs = []
    for _ in range(7):
        words = [rng.choice(WORDS) for _ in range(55)]
        words[rng.randrange(len(words))] = place
        paragraphs.append(" ".join(words).capitalize() + ".")
    title = f"Report {n}: {place} {rng.choice(WORDS)} {rng.choice(WORDS)}"
    day = 1 + n % 28
    body = "\n".join(f"<p>{p}</p>" for p in paragraphs)
    return f"""<!doctype html><html lang="en"><head><meta charset="utf-8">
<title>{title}</title><link rel="canonical" href="https://{HOST}/news/{n}/">
<script type="application/ld+json">{{"@context": "https://schema.org", "@type": "NewsArticle",
"headline": "{title}", "datePublished": "2026-11-{day:02d}T09:00:00+00:00",
"author": {{"@type": "Person", "name": "Bench Desk"}}}}</script></head>
<body><header><nav><a href="/">Home</a></nav></header><main><article>
<h1>{title}</h1><div class="article-body">{body}</div></article></main>
<footer>Bench News</footer></body></html>
"""


def generate_site(folder: Path, articles: int) -> tuple[Path, Path]:
    """A site of one outlet: pages + routes.toml, and its registry entry."""
    rng = random.Random(20261125)
    pages, outlets = folder / "pages" / "bench-news", folder / "outlets"
    pages.mkdir(parents=True)
    outlets.mkdir(parents=True)
    routes = [f'[[route]]\nurl = "https://{HOST}/robots.txt"\nfile = "robots.txt"\n']
    (pages / "robots.txt").write_text("User-agent: *\nDisallow: /search/\n")
    per_map = 500
    maps = []
    for start in range(0, articles, per_map):
        name = f"sitemap-{start // per_map}.xml"
        urls = "".join(f"<url><loc>https://{HOST}/news/{n}/</loc>"
                       f"<lastmod>2026-11-{1 + n % 28:02d}</lastmod></url>"
                       for n in range(start, min(start + per_map, articles)))
        (pages / name).write_text('<?xml version="1.0" encoding="UTF-8"?><urlset xmlns='
                                  f'"http://www.sitemaps.org/schemas/sitemap/0.9">{urls}'
                                  "</urlset>")
        routes.append(f'[[route]]\nurl = "https://{HOST}/{name}"\nfile = "{name}"\n')
        maps.append(f"<sitemap><loc>https://{HOST}/{name}</loc></sitemap>")
    (pages / "sitemap_index.xml").write_text(
        '<?xml version="1.0" encoding="UTF-8"?><sitemapindex xmlns='
        f'"http://www.sitemaps.org/schemas/sitemap/0.9">{"".join(maps)}</sitemapindex>')
    routes.append(f'[[route]]\nurl = "https://{HOST}/sitemap_index.xml"\n'
                  'file = "sitemap_index.xml"\n')
    for n in range(articles):
        (pages / f"a{n}.html").write_text(article_html(n, rng))
        routes.append(f'[[route]]\nurl = "https://{HOST}/news/{n}/"\nfile = "a{n}.html"\n')
    (pages / "routes.toml").write_text("\n".join(routes))
    (outlets / "bench-news.toml").write_text(f"""name = "Bench News (generated)"
language = "en"
base_url = "https://{HOST}/"
allowed_domains = ["{HOST}"]
article_pattern = '^https://www\\.bench-news\\.example/news/\\d+/$'
all_syria = true

[[sitemaps]]
url = "https://{HOST}/sitemap_index.xml"
syria = true
""")
    return folder / "pages", outlets


def cli(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "crawler.cli", *args], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=3600)


def last_capture(data: Path) -> datetime:
    from warcio.archiveiterator import ArchiveIterator

    last = datetime.min.replace(tzinfo=UTC)
    for warc in (data / "warc").glob("*.warc.gz"):
        with warc.open("rb") as fh:
            for record in ArchiveIterator(fh):
                if record.rec_type in ("response", "revisit"):
                    date = record.rec_headers.get_header("WARC-Date").replace("Z", "+00:00")
                    last = max(last, datetime.fromisoformat(date))
    return last


def run_workers(count: int, outlets: list[str], env: dict[str, str], tmp: Path,
                extra: list[str], max_pages: int | None = None) -> dict[str, float]:
    redis = start_redis(tmp / f"redis-{count}", fsync="everysec")
    try:
        pages_option = ["--max-pages", str(max_pages)] if max_pages else []
        proc = cli("enqueue", "--redis", redis.url, *pages_option, *outlets, env=env)
        if proc.returncode:
            raise SystemExit(f"enqueue failed: {proc.stderr[-2000:]}")
        started = datetime.now(UTC)
        procs = [subprocess.Popen(
            [sys.executable, "-m", "crawler.cli", "worker", "--redis", redis.url, "--data",
             str(tmp / f"w{count}-{i}"), "--until-empty", "--idle-timeout", "3",
             "-s", "LOG_LEVEL=WARNING", *extra, *outlets],
            cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
            for i in range(count)]
        outputs = [p.communicate(timeout=3600)[0] for p in procs]
        # Up to the last page fetched: not the wait that tells a worker the queue is empty.
        last = max(last_capture(tmp / f"w{count}-{i}") for i in range(count))
        wall = (last - started).total_seconds()
        pages = 0
        for i in range(count):
            for report in (tmp / f"w{count}-{i}" / "reports").glob("*.json"):
                data = json.loads(report.read_text())
                pages += sum(o["pages_fetched"] for o in data["outlets"].values())
        if any(p.returncode not in (0, 3) for p in procs):
            raise SystemExit(f"a worker failed: {outputs}")
        return {"workers": count, "pages": pages, "seconds": round(wall, 1),
                "pages_per_s": round(pages / wall, 1)}
    finally:
        redis.stop()


def on_bench_site(site: Path, first: int, counts: str, tmp: Path,
                  extra: list[str]) -> dict[str, Any]:
    """The workers on `make bench`'s site: nginx serves it on 127.0.0.1, every host name
    resolves to loopback (``bench.loopback``), the outlets are the registry's own."""
    sys.path.insert(0, str(ROOT / "tests" / "bench"))
    import benchsite

    manifest = json.loads((site / "manifest.json").read_text())
    outlets = sorted({a["outlet"] for a in manifest["articles"]})[:first]
    env = benchsite.child_env()
    extra = [*extra, "-s", f"DNS_RESOLVER={benchsite.RESOLVER}",
             "-s", "CONCURRENT_REQUESTS_PER_DOMAIN=2"]
    rows = []
    with benchsite.Nginx(site, tmp / "nginx", manifest["types"]):
        for count in (int(c) for c in counts.split(",")):
            print(f"{count} worker(s) on {', '.join(outlets)} ...", file=sys.stderr, flush=True)
            rows.append(run_workers(count, outlets, env, tmp, extra, max_pages=1))
    return {"rows": rows, "outlets": outlets}


def dedup_memory(entries: int, tmp: Path, timed: int = 2000) -> dict[str, float]:
    """Redis memory of the dedup index at ``entries`` originals, filled by the store's own
    add script in pipelined batches (random signatures: the same bytes as MinHash ones);
    and ms per article of real checks (``timed`` synthetic articles) beside it."""
    from archive.redisdb import connect
    from pipelines.dedup import Deduplicator, cluster_id
    from pipelines.dedupredis import RedisDedupStore, _pack
    from pipelines.similarity import NUM_PERM, Signature

    redis = start_redis(tmp / "redis-dedup", fsync="no")
    try:
        server = connect(redis.url)
        rng = random.Random(7)
        vocab = [f"w{i}" for i in range(50000)]
        weights = [1 / (i + 1) for i in range(len(vocab))]  # Zipf-like, as news prose
        dedup = Deduplicator(RedisDedupStore(server, "timed"))
        started = time.monotonic()
        for n in range(timed):
            text = " ".join(rng.choices(vocab, weights, k=rng.randint(350, 550)))
            dedup.check(f"https://bench.example/{n}", text, "bench")
        ms = (time.monotonic() - started) * 1000 / max(timed, 1)
        server.flushdb()
        before = int(server.info("memory")["used_memory"])
        store = RedisDedupStore(server, "bench")
        for first in range(0, entries, 1000):
            pipe = server.pipeline(transaction=False)
            for n in range(first, min(first + 1000, entries)):
                canonical = f"https://www.bench-news.example/news/2026/11/{n}/aid-convoy-reaches"
                key = canonical.removeprefix("https://")
                sig = Signature(tuple(rng.getrandbits(32) for _ in range(NUM_PERM)), 420)
                buckets = [store._bucket(band) for band in sig.bands()]
                # as an article's: a dozen figures and places, its language, its day
                facts = frozenset([*(f"n:{rng.randrange(10, 100000)}" for _ in range(8)),
                                   *(f"p:{rng.choice(PLACES).replace(' ', '_')}"
                                     for _ in range(4))])
                store._add(keys=[store.urls, store.fps, store.originals, store.counter,
                                 store._group("bench-news"), *(b for b, _ in buckets)],
                           args=[key, f"{rng.getrandbits(160):040x}",
                                 _pack(canonical, "bench-news", cluster_id(key), "en", facts,
                                       sig),
                                 20000 + n // 300, *(f for _, f in buckets)], client=pipe)
            pipe.execute()
            if first and first % 100000 == 0:
                print(f"  dedup index: {first}/{entries}", file=sys.stderr, flush=True)
        assert store.count() == entries
        after = int(server.info("memory")["used_memory"])
        per = (after - before) / entries
        return {"entries": entries, "bytes_per_entry": round(per),
                "mb_per_million": round(per * 1_000_000 / 1e6), "ms_per_article": round(ms, 2)}
    finally:
        redis.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--workers", default="1,2,4", help="worker counts (default 1,2,4)")
    parser.add_argument("--articles", type=int, default=1500,
                        help="articles of the generated site (default 1500)")
    parser.add_argument("--site", type=Path, help="a folder of saved pages with routes.toml "
                                                  "(default: a generated site)")
    parser.add_argument("--outlets", type=Path, help="registry entries of --site's outlets")
    parser.add_argument("--bench-site", type=Path, metavar="DIR",
                        help="the site `make bench` built (bench/work/site), served by nginx "
                             "on the outlets' own hosts, instead of a generated one")
    parser.add_argument("--bench-outlets", type=int, default=4, metavar="N",
                        help="with --bench-site: crawl the first N of its outlets (default 4)")
    parser.add_argument("--dedup-entries", type=int, default=1_000_000,
                        help="originals in the Redis dedup index for its memory "
                             "(default 1,000,000; 0: skip)")
    parser.add_argument("-s", "--set", action="append", default=[], metavar="NAME=VALUE",
                        help="a setting for the workers (repeatable)")
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "results" / "workers.json")
    args = parser.parse_args()
    if bool(args.site) != bool(args.outlets):
        parser.error("--site and --outlets go together")
    tmp = Path(tempfile.mkdtemp(prefix="bench-workers-"))
    try:
        # The site is local: no politeness delay, no throttling; concurrency per site up.
        extra = ["-s", "DOWNLOAD_DELAY=0", "-s", "AUTOTHROTTLE_ENABLED=False",
                 "-s", "CONCURRENT_REQUESTS=16", "-s", "CONCURRENT_REQUESTS_PER_DOMAIN=16"]
        for item in args.set:
            extra += ["-s", item]
        rows = []
        if args.bench_site:
            site = on_bench_site(args.bench_site, args.bench_outlets, args.workers, tmp, extra)
            rows = site.pop("rows")
        else:
            pages, outlets_dir = (args.site, args.outlets) if args.site else \
                generate_site(tmp / "site", args.articles)
            outlets = sorted(p.stem for p in outlets_dir.glob("*.toml"))
            mirror, proxy = start_mirror(pages)
            env = proxy_env(proxy)
            env["SYRIA_ARCHIVE_OUTLETS"] = str(outlets_dir)
            try:
                for count in (int(c) for c in args.workers.split(",")):
                    print(f"{count} worker(s) ...", file=sys.stderr, flush=True)
                    rows.append(run_workers(count, outlets, env, tmp, extra))
            finally:
                mirror.terminate()
                mirror.wait(timeout=30)
        memory = dedup_memory(args.dedup_entries, tmp) if args.dedup_entries else None
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    machine = f"{platform.node()}, {os.cpu_count()} cores, {platform.machine()}"
    print(f"# bench_workers {datetime.now(UTC).isoformat(timespec='seconds')} on {machine}")
    print(f"{'workers':>7} {'pages':>7} {'seconds':>8} {'pages/s':>8}")
    for r in rows:
        print(f"{r['workers']:>7} {r['pages']:>7} {r['seconds']:>8} {r['pages_per_s']:>8}")
    if memory:
        print(f"Redis dedup index: {memory['bytes_per_entry']} bytes per article, "
              f"{memory['mb_per_million']} MB per million articles "
              f"({memory['entries']} measured, {memory['ms_per_article']} ms per article)")
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps({"date": datetime.now(UTC).isoformat(timespec="seconds"),
                                    "machine": machine,
                                    "site": str(args.bench_site or args.site or "generated"),
                                    "workers": rows, "dedup_memory": memory}, indent=2) + "\n")


if __name__ == "__main__":
    main()
