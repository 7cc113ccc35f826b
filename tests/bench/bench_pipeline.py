"""``make bench``: the whole pipeline's speed beside a ten-line Scrapy + trafilatura spider.

Builds a site of ``--articles`` article pages (60-120 KB, in the outlets' own markup, on
the outlets' own hosts, with feeds, sitemaps and section pages: ``benchsite.py``) and
serves it with nginx on 127.0.0.1, each host resolved to loopback by Scrapy's
``DNS_RESOLVER`` (``loopback.py``), so every URL requested and archived is the outlet's.
Then, in one run, one after the other, with the same concurrency and no politeness delay:

* **end to end**: ``syria-archive crawl`` (WARC, extraction in the worker pool, clean,
  relevance, dedup, catalog, JSON Lines), the naive spider (``naive.py``: SitemapSpider,
  inline ``trafilatura.extract``, a JSON Lines feed) and a fetch-only spider (``bare.py``)
  on the same pages: pages per second, CPU ms per page and peak RSS of every process of
  each (the crawl and its workers; nginx's CPU is measured apart), memory when the
  export reached 2,000 pages and at the end;
* **per stage**, in this process on a sample of the site's pages: extraction against
  ``trafilatura.extract`` on the same pages (and on the shared Zyte pages when
  ``../shared`` is there), cleaning, relevance, dedup lookup, WARC writing against raw
  zlib of the same bytes, catalog insert;
* **re-extraction**: ``syria-archive reextract`` of one outlet's archived pages;
* **dedup at scale**: ``bench_dedup.py`` at ``--dedup-articles`` articles of realistic
  text (``corpus.py``: real word frequencies), ms per article, peak memory, recall,
  false merges;
* **profile**: the crawl of two outlets under cProfile, the 15 functions with the most
  cumulative time saved beside the results.

Results go to ``bench/results/latest.json`` (and ``profile.txt``), and a Markdown table
is printed for the README.  Figures depend on the machine and its load: the load average
is recorded before and after.  A measurement; it never fails on slow figures.
"""

from __future__ import annotations

import argparse
import gzip
import io
import json
import os
import platform
import pstats
import shutil
import subprocess
import sys
import sysconfig
import tempfile
import time
import zlib
from collections import Counter
from datetime import UTC, datetime
from importlib.metadata import version
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
sys.path[:0] = [str(ROOT), str(HERE)]

import benchsite  # noqa: E402
import measure  # noqa: E402

BIN = Path(sys.executable).parent
RESULTS = ROOT / "bench" / "results"
SHARED = Path(os.environ.get("SYRIA_ARCHIVE_SHARED") or ROOT.parent / "shared")
# The same for the three spiders: total concurrency, per host, no delay, robots.txt obeyed.
CONCURRENCY = 32
PER_HOST = 2


def scrapy_settings(per_spider: int) -> list[str]:
    pairs = {"DNS_RESOLVER": benchsite.RESOLVER, "DOWNLOAD_DELAY": "0",
             "AUTOTHROTTLE_ENABLED": "False", "CONCURRENT_REQUESTS": str(per_spider),
             "CONCURRENT_REQUESTS_PER_DOMAIN": str(PER_HOST), "ROBOTSTXT_OBEY": "True",
             "LOG_LEVEL": "INFO", "TELNETCONSOLE_ENABLED": "False"}
    return [arg for k, v in pairs.items() for arg in ("-s", f"{k}={v}")]


def load() -> list[float]:
    return [round(x, 2) for x in os.getloadavg()]


# -- end to end -----------------------------------------------------------------------------

def end_to_end(work: Path, manifest: dict[str, Any], nginx: benchsite.Nginx,
               outlets: int) -> dict[str, Any]:
    pages = len(manifest["articles"])
    env = benchsite.child_env()
    out: dict[str, Any] = {}
    runs = {
        "bare": [str(BIN / "scrapy"), "runspider", str(HERE / "bare.py"), "-a",
                 "sitemaps=" + ",".join(manifest["bench_sitemaps"]),
                 *scrapy_settings(CONCURRENCY)],
        "naive": [str(BIN / "scrapy"), "runspider", str(HERE / "naive.py"), "-a",
                  "sitemaps=" + ",".join(manifest["bench_sitemaps"]), "-o",
                  f"{work / 'naive.jsonl'}:jsonlines", *scrapy_settings(CONCURRENCY)],
        "pipeline": [str(BIN / "syria-archive"), "crawl", "--data", str(work / "data"),
                     "--max-pages", "1", *scrapy_settings(max(1, CONCURRENCY // outlets))],
    }
    # The bare and naive spiders run as a user's would: with Scrapy's defaults, outside
    # this project (under it, ``scrapy runspider`` finds scrapy.cfg and takes the project's
    # settings: its pipelines, middlewares and extensions).
    outside = Path(tempfile.mkdtemp(prefix="bench-outside-"))
    for name, cmd in runs.items():
        (work / "naive.jsonl").unlink(missing_ok=True)
        shutil.rmtree(work / "data", ignore_errors=True)
        lines = ((lambda: sorted((work / "data" / "items").glob("*.jsonl"))) if name == "pipeline"
                 else (lambda: [work / "naive.jsonl"]) if name == "naive" else None)
        print(f"end to end: {name} ...", file=sys.stderr, flush=True)
        before = load()
        nginx_cpu = measure.process_cpu(nginx.pids())
        m = measure.run(cmd, env=env, cwd=work if name == "pipeline" else outside,
                        log=work / f"{name}.log", lines=lines, marks=(2000,))
        if name != "pipeline":
            _check_defaults(work / f"{name}.log")
        nginx_cpu = measure.process_cpu(nginx.pids()) - nginx_cpu
        fetched = (_article_responses(work / f"{name}.log", len(manifest["bench_sitemaps"]))
                   if name != "pipeline" else None)
        kept = m.lines if name != "bare" else fetched
        out[name] = {
            "returncode": m.returncode, "wall_s": round(m.wall_s, 1),
            "pages": pages, "articles_out": kept, "pages_per_s": round(pages / m.wall_s, 1),
            "cpu_s": round(m.cpu_s, 1), "cpu_ms_per_page": round(1000 * m.cpu_s / pages, 1),
            "cores_used": round(m.cpu_s / m.wall_s, 2),
            "main_process_cpu_ms_per_page": round(1000 * m.cpu_main_s / pages, 1),
            "peak_rss_mb": round(m.peak_rss_mb),
            "processes": m.processes, "nginx_cpu_s": round(nginx_cpu, 1),
            "nginx_cpu_share": round(nginx_cpu / m.wall_s, 3),
            "load_before": before, "load_after": load()}
        if m.rss_at:
            out[name]["rss_mb_at"] = {str(k): round(v) for k, v in m.rss_at.items()}
        if m.returncode not in (0, 3):
            out[name]["error"] = m.stderr_tail[-1500:]
        print(f"  {json.dumps(out[name])}", file=sys.stderr, flush=True)
    shutil.rmtree(outside, ignore_errors=True)
    pipe = out["pipeline"]
    pipe.setdefault("rss_mb_at", {})[str(pages)] = pipe["peak_rss_mb"]
    report = sorted((work / "data" / "reports").glob("*.json"))
    if report:
        pipe["report_exit_code"] = json.loads(report[-1].read_text()).get("exit_code")
        pipe["alerts"] = json.loads(report[-1].read_text()).get("alerts", [])[:5]
    return out


def _check_defaults(log: Path) -> None:
    """The spider ran on Scrapy's defaults: no project, no item pipeline of ours."""
    text = log.read_text(errors="replace")
    if "Enabled item pipelines:\n[]" not in text or "bot: scrapybot" not in text:
        raise SystemExit(f"{log}: the spider did not run on Scrapy's defaults "
                         "(a project's settings were found)")


def _article_responses(log: Path, sitemaps: int) -> int:
    """Pages a SitemapSpider fetched: its 200 responses less robots.txt and the sitemaps."""
    text = log.read_text(errors="replace")

    def stat(key: str) -> int:
        at = text.rfind(f"'{key}': ")
        return int(text[at:].split(":", 1)[1].split(",", 1)[0].strip(" }\n")) if at >= 0 else 0

    return (stat("downloader/response_status_count/200") - stat("robotstxt/response_count")
            - sitemaps)


# -- per stage --------------------------------------------------------------------------------

def _cpu(fn: Any, items: list[Any], rounds: int = 3) -> float:
    """Least CPU seconds per item over ``rounds`` passes (the others' noise is upward)."""
    best = float("inf")
    for _ in range(rounds):
        start = time.process_time()
        for x in items:
            fn(x)
        best = min(best, (time.process_time() - start) / len(items))
    return best


def per_stage(site: Path, manifest: dict[str, Any], sample: int) -> dict[str, Any]:
    import trafilatura
    from warcio.recordbuilder import RecordBuilder

    from archive.catalog import Catalog
    from archive.writer import RotatingWarcWriter, serialise
    from crawler.extract.article import extract_page, load_article
    from crawler.extract.page import decode_html
    from crawler.registry import Registry
    from pipelines.clean import clean_article
    from pipelines.dedup import Deduplicator
    from pipelines.dedupstore import SqliteDedupStore
    from pipelines.relevance import judge_article

    step = max(1, len(manifest["articles"]) // sample)
    chosen = manifest["articles"][::step][:sample]
    pages = [((site / a["file"]).read_bytes(), a["url"]) for a in chosen]
    out: dict[str, Any] = {"sample_pages": len(pages)}

    def ours(p: tuple[bytes, str]) -> Any:
        return extract_page(p[0], p[1])

    def plain(p: tuple[bytes, str]) -> Any:
        return trafilatura.extract(decode_html(p[0]), url=p[1], with_metadata=True,
                                   output_format="json")

    for name, group in (("bench_pages", pages), ("zyte_pages", _zyte()[:sample])):
        if not group:
            continue
        mine, theirs = _cpu(ours, group), _cpu(plain, group)
        out[f"extract_ms_{name}"] = round(1000 * mine, 2)
        out[f"trafilatura_ms_{name}"] = round(1000 * theirs, 2)
        out[f"extract_vs_trafilatura_ratio_{name}"] = round(mine / theirs, 3)
    out["extract_vs_trafilatura_ratio"] = out.get(
        "extract_vs_trafilatura_ratio_zyte_pages", out["extract_vs_trafilatura_ratio_bench_pages"])

    registry = Registry.load()
    fields = [extract_page(b, u) for b, u in pages]
    items = [dict(load_article(f, url=a["url"], outlet=a["outlet"], language=a["language"]))
             for f, a in zip(fields, chosen, strict=True)]
    out["clean_ms"] = round(1000 * _cpu(lambda i: clean_article(dict(i), Counter()), items), 3)
    cleaned = [clean_article(dict(i), Counter()) for i in items]
    out["relevance_ms"] = round(1000 * _cpu(lambda i: judge_article(
        i, 2, all_syria=registry[i["outlet"]].all_syria), cleaned), 3)
    with tempfile.TemporaryDirectory() as tmp:
        store = SqliteDedupStore(Path(tmp) / "dedup.sqlite3")
        dedup = Deduplicator(store)
        names = [judge_article(i).terms for i in cleaned]  # relevance hands them over
        start = time.process_time()
        for i, found in zip(cleaned, names, strict=True):
            dedup.check(i["url"], i["text"], i["outlet"], language=i.get("language"),
                        published=i.get("published"), names=found)
        out["dedup_ms"] = round(1000 * (time.process_time() - start) / len(cleaned), 3)
        store.close()
        catalog = Catalog(Path(tmp) / "catalog.sqlite3")
        start = time.perf_counter()
        for i in cleaned:
            catalog.add({**i, "warc": {"file": "x.warc.gz", "offset": 0, "length": 1,
                                       "record_id": "<urn:uuid:x>"}})
        out["catalog_insert_ms"] = round(1000 * (time.perf_counter() - start) / len(cleaned), 3)
        catalog.close()
        out.update(_warc(Path(tmp), pages, RecordBuilder, RotatingWarcWriter, serialise))
    return out


def _warc(tmp: Path, pages: list[tuple[bytes, str]], builder_cls: Any, writer_cls: Any,
          serialise: Any) -> dict[str, Any]:
    """WARC writing (build, serialise, gzip member, write) against raw zlib of the same
    serialised bytes, pages as the outlets send them (gzip content-encoding)."""
    builder = builder_cls(warc_version="1.1")
    payloads = []
    for body, url in pages * max(1, 2000 // len(pages)):
        wire = gzip.compress(body, 6, mtime=0)
        head = (b"HTTP/1.1 200 OK\r\nContent-Type: text/html; charset=utf-8\r\n"
                b"Content-Encoding: gzip\r\nContent-Length: " + str(len(wire)).encode()
                + b"\r\n\r\n")
        payloads.append((url, head + wire))

    def records() -> list[Any]:
        return [builder.create_warc_record(u, "response", payload=io.BytesIO(p), length=len(p))
                for u, p in payloads]

    raw = [serialise(r) for r in records()]
    mb = sum(map(len, raw)) / 1e6
    best_ours = best_zlib = float("inf")
    for n in range(3):
        writer = writer_cls(tmp / f"w{n}", "bench", {"software": "bench"}, max_size=1024**3)
        batch = records()
        start = time.process_time()
        for r in batch:
            writer.write(r)
        best_ours = min(best_ours, time.process_time() - start)
        writer.finish()
        start = time.process_time()
        for data in raw:
            c = zlib.compressobj(6, zlib.DEFLATED, zlib.MAX_WBITS + 16)
            c.compress(data)
            c.flush()
        best_zlib = min(best_zlib, time.process_time() - start)
    return {"warc_mb": round(mb, 1), "warc_mb_per_s": round(mb / best_ours, 1),
            "zlib_mb_per_s": round(mb / best_zlib, 1),
            "warc_vs_zlib": round(best_zlib / best_ours, 3)}


def _zyte() -> list[tuple[bytes, str]]:
    folder = SHARED / "data" / "extraction" / "zyte-aeb"
    truth = folder / "ground-truth.json"
    if not truth.is_file():
        return []
    gt = json.loads(truth.read_text())
    out = []
    for key, value in sorted(gt.items()):
        found = next(folder.rglob(f"{key}.html.gz"), None)
        if found is not None:
            out.append((gzip.decompress(found.read_bytes()), value.get("url") or ""))
    return out


# -- re-extraction, dedup at scale, profile -------------------------------------------------

def reextraction(work: Path, outlet: str) -> dict[str, Any]:
    cmd = [str(BIN / "syria-archive"), "reextract", outlet, "--data", str(work / "data")]
    m = measure.run(cmd, env=benchsite.child_env(), cwd=work, log=work / "reextract.log",
                    lines=lambda: sorted((work / "data" / "items").glob("*-reextract-*.jsonl")))
    return {"outlet": outlet, "articles": m.lines, "wall_s": round(m.wall_s, 1),
            "articles_per_s": round(m.lines / m.wall_s, 1) if m.wall_s else None,
            "cpu_ms_per_article": round(1000 * m.cpu_s / max(1, m.lines), 1),
            "returncode": m.returncode}


def dedup_at_scale(work: Path, n: int) -> dict[str, Any]:
    target = work / "dedup.json"
    cmd = [sys.executable, str(HERE / "bench_dedup.py"), "--sizes", str(n), "--no-labelled",
           "--json", str(target)]
    m = measure.run(cmd, env=benchsite.child_env(), cwd=ROOT, log=work / "dedup.log")
    if m.returncode != 0:
        return {"error": m.stderr_tail[-1500:]}
    return json.loads(target.read_text())[0]


def profile(work: Path, manifest: dict[str, Any], outlets: list[str]) -> str:
    data = work / "profile-data"
    shutil.rmtree(data, ignore_errors=True)
    prof = work / "crawl.prof"
    cmd = [sys.executable, "-m", "cProfile", "-o", str(prof), "-m", "crawler.cli", "crawl",
           *outlets, "--data", str(data), "--max-pages", "1",
           *scrapy_settings(max(1, CONCURRENCY // len(outlets)))]
    subprocess.run(cmd, env=benchsite.child_env(), cwd=work, stdout=subprocess.DEVNULL,
                   stderr=subprocess.DEVNULL, check=False)
    shutil.rmtree(data, ignore_errors=True)
    return profile_text(prof)


def profile_text(prof: Path) -> str:
    """The 15 functions of this project with the most cumulative time (the reactor's own
    frames, which hold everything, left out), then the 15 with the most time of their own."""
    parts = []
    for order, restriction in (("cumulative", r"/(crawler|spiders|pipelines|archive)/"),
                               ("tottime", "")):
        buffer = io.StringIO()
        stats = pstats.Stats(str(prof), stream=buffer)
        stats.sort_stats(order)
        if restriction:
            stats.print_stats(restriction, 15)
        else:
            stats.print_stats(15)
        text = buffer.getvalue()
        parts.append(text[text.index("   Ordered by"):] if "   Ordered by" in text else text)
    return _relative_paths("\n".join(parts))


def _relative_paths(text: str) -> str:
    """File names as a reader's checkout has them: this project's from its root, the
    libraries' from site-packages, the standard library's from its folder."""
    for prefix in sorted({*(sysconfig.get_paths()[k] for k in ("purelib", "platlib")),
                          sysconfig.get_paths()["stdlib"], str(ROOT)}, key=len, reverse=True):
        text = text.replace(prefix.rstrip("/") + "/", "")
    return text


# -- the report ---------------------------------------------------------------------------------

def environment() -> dict[str, Any]:
    cpu = platform.processor() or platform.machine()
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            cpu = line.split(":", 1)[1].strip()
            break
    nginx = subprocess.run([benchsite.nginx_binary(), "-v"], capture_output=True,
                           text=True).stderr.strip()
    return {"date": f"{datetime.now(UTC):%Y-%m-%d %H:%M} UTC", "cpu": cpu,
            "cores": os.cpu_count(), "python": platform.python_version(),
            "versions": {d: version(d) for d in ("syria-archive", "scrapy", "twisted",
                                                  "trafilatura", "lxml", "warcio", "rensa")},
            "nginx": nginx.split("/")[-1]}


def table(results: dict[str, Any]) -> str:
    e2e, stage = results["end_to_end"], results["per_stage"]
    rows = ["| spider | pages/s | CPU ms per page | cores used | peak RSS (MB) |",
            "| --- | --- | --- | --- | --- |"]
    names = {"bare": "bare Scrapy `SitemapSpider`, fetch only",
             "naive": "ten-line spider: `SitemapSpider` + inline `trafilatura.extract` + "
                      "JSON Lines",
             "pipeline": "`syria-archive crawl` (WARC, pool extraction, clean, relevance, "
                         "dedup, catalog, JSON Lines)"}
    for key in ("bare", "naive", "pipeline"):
        r = e2e[key]
        rows.append(f"| {names[key]} | {r['pages_per_s']} | {r['cpu_ms_per_page']} | "
                    f"{r['cores_used']} | {r['peak_rss_mb']:,} |")
    rss = e2e["pipeline"].get("rss_mb_at", {})
    lines = [f"`make bench`, {results['environment']['date']}; {results['environment']['cpu']}, "
             f"{results['environment']['cores']} cores; load average before "
             f"{e2e['pipeline']['load_before']}; {results['pages']:,} article pages "
             f"({results['page_kb']['min']}-{results['page_kb']['max']} KB, median "
             f"{results['page_kb']['median']} KB) on {results['hosts']} hosts, nginx "
             f"{results['environment']['nginx']} using {e2e['pipeline']['nginx_cpu_share']:.0%}"
             " of a core during the pipeline's run.", "", *rows, "",
             "| figure | value | target |", "| --- | --- | --- |",
             f"| `pipeline_vs_naive_ratio` (pages/s) | **{results['pipeline_vs_naive_ratio']}** "
             "| >= 1.8 |",
             f"| CPU ms per archived article | {e2e['pipeline']['cpu_ms_per_page']} | <= 15 |",
             f"| `extract_vs_trafilatura_ratio` (Zyte pages; bench pages) | "
             f"**{stage['extract_vs_trafilatura_ratio']}**; "
             f"{stage['extract_vs_trafilatura_ratio_bench_pages']} | <= 1.0 |",
             f"| extraction ms per page (Zyte; bench) | "
             f"{stage.get('extract_ms_zyte_pages', '-')}; {stage['extract_ms_bench_pages']} "
             "| <= 20 |",
             f"| cleaning / relevance / dedup lookup / catalog insert, ms per article | "
             f"{stage['clean_ms']} / {stage['relevance_ms']} / {stage['dedup_ms']} / "
             f"{stage['catalog_insert_ms']} | |",
             f"| WARC writing MB/s (raw zlib of the same bytes) | {stage['warc_mb_per_s']} "
             f"({stage['zlib_mb_per_s']}): {stage['warc_vs_zlib']} | >= 0.9 |",
             f"| pipeline peak RSS at 2,000 / {results['pages']:,} pages (MB) | "
             f"{rss.get('2000', '-')} / {rss.get(str(results['pages']), '-')} | flat |"]
    if results.get("reextract"):
        r = results["reextract"]
        lines.append(f"| `reextract` articles/s ({r['outlet']}, {r['articles']} articles) | "
                     f"{r['articles_per_s']} | |")
    if results.get("dedup_at_scale") and "error" not in results["dedup_at_scale"]:
        d = results["dedup_at_scale"]
        lines.append(f"| dedup at {d['articles']:,} articles"
                     + (f" ({d['measured']})" if d.get("measured") else "")
                     + ": ms/article, peak RSS MB, recall, "
                     f"false merges | {d['ms_per_article']}, {d['peak_rss_mb']:,}, "
                     f"{d['recall']}, {d['false_merges']} | <= 0.5 ms, <= 2,048 MB |")
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--articles", type=int, default=20_000, help="article pages to build")
    parser.add_argument("--work", type=Path, default=ROOT / "bench" / "work",
                        help="site, crawl data and logs (kept: the site is reused)")
    parser.add_argument("--sample", type=int, default=300,
                        help="pages for the per-stage figures (bench pages, and Zyte pages)")
    parser.add_argument("--dedup-articles", type=int, default=1_000_000,
                        help="dedup at scale (0: skip)")
    parser.add_argument("--dedup-json", type=Path, metavar="FILE",
                        help="with --dedup-articles 0: the dedup-at-scale figures of an "
                             "earlier run (its bench/work/dedup.json), recorded with that "
                             "file's date")
    parser.add_argument("--no-profile", action="store_true", help="skip the profiled crawl")
    parser.add_argument("--output", type=Path, default=RESULTS / "latest.json")
    args = parser.parse_args()
    args.work.mkdir(parents=True, exist_ok=True)
    manifest = benchsite.build(args.work / "site", args.articles)
    outlets = sorted({a["outlet"] for a in manifest["articles"]})
    results: dict[str, Any] = {"environment": environment(), "load_at_start": load(),
                               "pages": len(manifest["articles"]),
                               "hosts": len(manifest["hosts"]),
                               "page_kb": {k: round(v / 1024) for k, v in
                                           manifest["page_bytes"].items()}}
    with benchsite.Nginx(args.work / "site", args.work / "nginx", manifest["types"]) as nginx:
        results["end_to_end"] = end_to_end(args.work, manifest, nginx, len(outlets))
        results["pipeline_vs_naive_ratio"] = round(
            results["end_to_end"]["pipeline"]["pages_per_s"]
            / results["end_to_end"]["naive"]["pages_per_s"], 2)
        print("re-extraction ...", file=sys.stderr, flush=True)
        results["reextract"] = reextraction(args.work, outlets[0])
        if not args.no_profile:
            print("profile ...", file=sys.stderr, flush=True)
            top = profile(args.work, manifest, outlets[:2])
            args.output.parent.mkdir(parents=True, exist_ok=True)
            (args.output.parent / "profile.txt").write_text(
                f"cProfile of `syria-archive crawl {' '.join(outlets[:2])}` on the bench site "
                f"({results['environment']['date']}): the crawling process, 15 functions by "
                "cumulative time, then the 15 with the most time of their own\n\n" + top)
    print("per stage ...", file=sys.stderr, flush=True)
    results["per_stage"] = per_stage(args.work / "site", manifest, args.sample)
    if args.dedup_articles:
        print(f"dedup at {args.dedup_articles:,} articles ...", file=sys.stderr, flush=True)
        results["dedup_at_scale"] = dedup_at_scale(args.work, args.dedup_articles)
    elif args.dedup_json:
        when = datetime.fromtimestamp(args.dedup_json.stat().st_mtime, UTC)
        results["dedup_at_scale"] = {**json.loads(args.dedup_json.read_text())[0],
                                     "measured": f"{when:%Y-%m-%d %H:%M} UTC, an earlier run"}
    results["load_at_end"] = load()
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps(results, indent=1, ensure_ascii=False) + "\n")
    print(table(results))
    return 0


if __name__ == "__main__":
    sys.exit(main())
