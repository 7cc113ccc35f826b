"""The ``syria-archive`` command: thin argument parsing over the project's classes.

Exit codes of ``crawl`` and ``nightly``: 0 all well; 1 failed; 2 bad usage or
configuration; 3 finished with alerts; 75 another run holds the lock.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from crawler.registry import RegistryError

EXIT_OK, EXIT_FAILED, EXIT_USAGE, EXIT_ALERTS, EXIT_LOCKED = 0, 1, 2, 3, 75


class UsageError(Exception):
    """Bad arguments or configuration: exit code 2."""


class Parser(argparse.ArgumentParser):
    """argparse, with a bad argument told in one line (the command, then what is wrong)."""

    def error(self, message: str) -> Any:
        self.exit(EXIT_USAGE, f"{self.prog}: {message} (see --help)\n")


def _data_dir(args: argparse.Namespace) -> Path:
    return Path(args.data or os.environ.get("SYRIA_ARCHIVE_DATA") or "data")


def cmd_outlets(args: argparse.Namespace) -> int:
    from crawler.registry import Registry

    registry = Registry.load(_extra_registry())
    if args.json:
        for o in registry:
            print(json.dumps({
                "id": o.id, "name": o.name, "language": o.language, "base_url": o.base_url,
                "all_syria": o.all_syria, "feeds": [f.url for f in o.feeds],
                "sitemaps": [s.url for s in o.sitemaps], "sections": [s.url for s in o.sections],
            }, ensure_ascii=False))
        return EXIT_OK
    rows = [("id", "name", "lang", "all-Syria", "discovery")]
    rows += [(o.id, o.name, o.language, "yes" if o.all_syria else "", " ".join(o.discovery))
             for o in registry]
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    for r in rows:
        print("  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)).rstrip())
    return EXIT_OK


def _extra_registry() -> list[str]:
    return [p for p in os.environ.get("SYRIA_ARCHIVE_OUTLETS", "").split(os.pathsep) if p]


def cmd_crawl(args: argparse.Namespace) -> int:
    from crawler.run import CrawlRun, RunFailed, RunLocked

    overrides = _run_overrides(args)
    if args.url and len(args.outlets) != 1:
        raise UsageError("--url needs exactly one OUTLET, the one the URLs belong to")
    if args.max_pages is not None and args.max_pages < 1:
        raise UsageError(f"--max-pages must be 1 or more, not {args.max_pages}")
    redis_url = _redis_url(args, required=False)
    if redis_url:
        from crawler.distributed import WorkerRun

        run: CrawlRun = WorkerRun(
            _data_dir(args), redis_url, args.outlets, until_empty=True, seeds=True,
            since=args.since, max_pages=args.max_pages, overrides=overrides, urls=args.url)
    else:
        run = CrawlRun(data_dir=_data_dir(args), outlets=args.outlets, since=args.since,
                       max_pages=args.max_pages, overrides=overrides, urls=args.url)
    try:
        report = run.execute()
    except RunLocked as exc:
        print(f"syria-archive crawl: {exc}", file=sys.stderr)
        return EXIT_LOCKED
    except RunFailed as exc:
        print(f"syria-archive crawl: {exc}", file=sys.stderr)
        return EXIT_FAILED
    except OSError as exc:  # a full disk, a data directory that cannot be written
        print(f"syria-archive crawl: {exc.filename or run.data_dir}: {exc.strerror or exc}",
              file=sys.stderr)
        return EXIT_FAILED
    except ValueError as exc:  # unknown outlet, bad date, bad registry, bad setting
        raise UsageError(str(exc)) from None
    print(run.summary(report))
    return int(report["exit_code"])


def cmd_mirror(args: argparse.Namespace) -> int:
    from crawler.mirror.server import MirrorError, default_pages, default_shared, serve

    try:
        pages = Path(args.pages) if args.pages else default_pages()
        if not pages.is_dir():
            raise UsageError(f"--pages: {pages} is not a folder of saved outlet pages")
        shared = Path(args.shared) if args.shared else default_shared()
        serve(pages, port=args.port, host=args.host,
              log_path=Path(args.log) if args.log else None, shared=shared)
    except MirrorError as exc:
        raise UsageError(str(exc)) from None
    return EXIT_OK


def cmd_wacz(args: argparse.Namespace) -> int:
    from datetime import UTC, datetime

    from archive.wacz import WaczError, create_wacz, validate_wacz

    data = _data_dir(args)
    warcs = [Path(w) for w in args.warcs] or sorted((data / "warc").glob("*.warc.gz"))
    if args.outlet:
        warcs = [w for w in warcs if f"-{args.outlet}-" in w.name]
    missing = [str(w) for w in warcs if not w.is_file()]
    if missing:
        raise UsageError(f"no such WARC file: {', '.join(missing)}")
    if not warcs:
        raise UsageError(f"no finished WARC files in {data / 'warc'}")
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    output = Path(args.output) if args.output else data / "wacz" / f"syria-archive-{stamp}.wacz"
    try:
        pages = create_wacz(warcs, output, title=args.title)
        validate_wacz(output)
    except WaczError as exc:
        print(f"syria-archive wacz: {exc}", file=sys.stderr)
        return EXIT_FAILED
    print(f"{output}: {len(warcs)} WARC file(s), {pages} article page(s), "
          f"{output.stat().st_size} bytes, valid WACZ")
    return EXIT_OK


# -- S3 and research commands (archive.upload, archive.download) ---------------------

def _s3_uri(uri: str) -> None:
    """Refuse a malformed --s3 before anything starts."""
    from archive.s3 import S3Config

    try:
        S3Config.from_uri(uri)
    except ValueError as exc:
        raise UsageError(f"--s3: {exc}") from None


def _s3_store(args: argparse.Namespace, required: bool = False) -> Any:
    from scrapy.utils.project import get_project_settings

    from archive.s3 import S3Config, S3Store

    try:
        config = S3Config.from_settings(get_project_settings(), uri=args.s3)
    except ValueError as exc:
        raise UsageError(f"--s3: {exc}") from None
    if config is None:
        if required:
            raise UsageError("no S3 archive configured: give --s3 s3://bucket/prefix or set "
                             "SYRIA_ARCHIVE_S3")
        return None
    return S3Store(config)


def _archive(args: argparse.Namespace) -> Any:
    from archive.download import Archive

    return Archive(_data_dir(args), None if getattr(args, "local", False) else _s3_store(args))


def _date(value: str | None, option: str) -> str | None:
    from crawler.extract.dates import parse_since

    try:
        moment = parse_since(value, option)
    except ValueError as exc:
        raise UsageError(str(exc)) from None
    return moment.date().isoformat() if moment else None


def cmd_upload(args: argparse.Namespace) -> int:
    from archive.outbox import Outbox
    from archive.snapshots import publish_state
    from archive.upload import Uploader, queue_warcs

    store = _s3_store(args, required=True)
    data = _data_dir(args)
    with Outbox.for_data(data) as outbox:
        if args.status:
            for entry in outbox.pending():
                print(f"pending  {entry.size:>12}  {entry.key}"
                      + (f"  ({entry.last_error})" if entry.last_error else ""))
            counts = outbox.counts()
            print(f"{counts.get('pending', 0)} pending, {counts.get('uploaded', 0)} uploaded")
            return EXIT_OK
        queued = queue_warcs(outbox, data)  # WARCs of crawls that ran without S3
        uploader = Uploader(store, outbox)
        requeued = uploader.verify() if args.verify else []
        result = uploader.flush()
        pending = outbox.counts().get("pending", 0)
        if result.unreachable is None:
            published = publish_state(store, outbox, data)
            if published.get("diverged"):
                print(f"syria-archive upload: {published['diverged']}", file=sys.stderr)
    print(f"{store.config.uri}: {result.uploaded} file(s) uploaded ({result.bytes} bytes, "
          f"{result.as_dict()['mb_per_s'] or 0} MB/s), {result.already_there} already there, "
          f"{result.redone} redone, {len(requeued)} found wrong by --verify, "
          f"{len(queued)} newly queued, {pending} still pending")
    for key, error in result.failed.items():
        print(f"FAILED {key}: {error}", file=sys.stderr)
    return EXIT_OK if not pending else EXIT_FAILED


def cmd_ls(args: argparse.Namespace) -> int:
    archive = _archive(args)
    kinds = tuple(args.kind or ("warc", "articles", "manifest"))
    files = archive.files(kinds, outlet=args.outlet, since=_date(args.since, "--since"),
                          until=_date(args.until, "--until"))
    if args.json:
        for f in files:
            print(json.dumps(f.__dict__))
        return EXIT_OK
    where = archive.store.config.uri if archive.store else str(archive.data_dir)
    for f in files:
        print(f"{f.date or '':10}  {f.kind:8}  {f.outlet or '':14}  {f.size:>12}  {f.key}")
    runs = [f for f in files if f.kind == "manifest"]
    print(f"{where}: {len(files)} file(s), {sum(f.size for f in files)} bytes; "
          f"{len(runs)} run(s)" + (f", latest {runs[-1].key}" if runs else ""))
    return EXIT_OK


def cmd_search(args: argparse.Namespace) -> int:
    archive = _archive(args)
    try:
        catalog = archive.catalog()
    except FileNotFoundError as exc:
        print(f"syria-archive search: {exc}", file=sys.stderr)
        return EXIT_FAILED
    if args.clusters:
        try:
            clusters = catalog.clusters(outlet=args.outlet, since=_date(args.since, "--since"),
                                        limit=args.limit)
        finally:
            catalog.close()
        for members in clusters:
            if args.json:
                print(json.dumps(members, ensure_ascii=False))
                continue
            print(f"cluster {members[0]['cluster_id']}: {len(members)} URLs")
            for m in members:
                verdict = (f"{m['dedup']} {m['similarity']:.2f}" if m["duplicate_of"]
                           else "original")
                print(f"  {verdict:12} {m['outlet']:14} {m['title']}\n  {'':12} {m['url']}")
        if not args.json:
            print(f"{len(clusters)} cluster(s)", file=sys.stderr)
        return EXIT_OK
    try:
        hits = catalog.search(args.words, outlet=args.outlet, language=args.lang,
                              since=_date(args.since, "--since"),
                              until=_date(args.until, "--until"), limit=args.limit,
                              include_duplicates=not args.originals)
    finally:
        catalog.close()
    for hit in hits:
        if args.json:
            print(json.dumps(hit.__dict__, ensure_ascii=False))
            continue
        flag = f"  [duplicate of {hit.duplicate_of}]" if hit.duplicate_of else ""
        print(f"{(hit.published or '')[:10]:10}  {hit.outlet:14}  {hit.title}{flag}\n"
              f"{'':10}  {hit.url}")
    if not args.json:
        print(f"{len(hits)} article(s)", file=sys.stderr)
    return EXIT_OK


def cmd_get(args: argparse.Namespace) -> int:
    from archive.download import expected_digests
    from archive.s3 import IntegrityError

    archive = _archive(args)
    since, until = _date(args.since, "--since"), _date(args.until, "--until")
    manifests = archive.manifests()
    keys = list(args.keys)
    if args.run:
        if args.run not in manifests:
            raise UsageError(f"--run: no manifest for run {args.run!r}")
        keys += [f["key"] for f in manifests[args.run]["files"]] + [f"manifests/{args.run}.json"]
    if args.outlet or since or until or args.kind:
        kinds = tuple(args.kind or ("warc", "cdxj", "articles", "manifest"))
        keys += [f.key for f in archive.files(kinds, args.outlet, since, until)]
    if not keys:
        raise UsageError("name KEYs, a --run, or filters (--outlet, --since, --until, --kind)")
    digests = expected_digests(manifests)
    target = Path(args.output)
    failed = 0
    for key in dict.fromkeys(keys):
        expected = digests.get(key)
        source = "manifest"
        if expected is None and archive.store is not None and not key.startswith("manifests/"):
            head = archive.store.head(key) if _plain_key(key) else None
            expected = ((head or {}).get("Metadata") or {}).get("sha256")
            source = "object metadata"
        try:
            path, fetched = archive.download(key, target, expected,
                                             progress=not args.no_progress)
        except (ValueError, FileNotFoundError, IntegrityError) as exc:
            print(f"syria-archive get: {exc}", file=sys.stderr)
            failed += 1
            continue
        check = f"SHA-256 verified against the {source}" if expected else "not verified"
        print(f"{key} -> {path} ({fetched} bytes fetched, {check})")
    return EXIT_FAILED if failed else EXIT_OK


def _plain_key(key: str) -> bool:
    from archive.s3 import safe_target

    try:
        safe_target(Path("/nonexistent-root"), key)
    except ValueError:
        return False
    return True


def cmd_record(args: argparse.Namespace) -> int:
    from io import BytesIO

    from warcio.archiveiterator import ArchiveIterator

    archive = _archive(args)
    try:
        catalog = archive.catalog()
    except FileNotFoundError as exc:
        print(f"syria-archive record: {exc}", file=sys.stderr)
        return EXIT_FAILED
    hit = catalog.find(args.url)
    catalog.close()
    if hit is None:
        print(f"syria-archive record: {args.url} is not in the catalog", file=sys.stderr)
        return EXIT_FAILED
    try:
        records = archive.record(hit)
    except (LookupError, FileNotFoundError) as exc:
        print(f"syria-archive record: {exc}", file=sys.stderr)
        return EXIT_FAILED
    if args.output:
        out = Path(args.output)
        out.parent.mkdir(parents=True, exist_ok=True)
        # Each record is a whole gzip member: concatenated, they are a valid WARC.
        out.write_bytes(b"".join(records.values()))
        print(f"{out}: {len(records)} record(s) of {hit.url} "
              f"({hit.warc_file} @ {hit.warc_offset})")
        return EXIT_OK
    if "metadata" not in records:
        record = next(iter(ArchiveIterator(BytesIO(records["response"]))))
        print(f"{hit.title}\n{hit.url}\n(no metadata record found; the response record is "
              f"{record.rec_type} {record.rec_headers.get_header('WARC-Record-ID')}; "
              f"save it with -o FILE.warc.gz)")
        return EXIT_OK
    record = next(iter(ArchiveIterator(BytesIO(records["metadata"]))))
    article = json.loads(record.content_stream().read())
    if args.json:
        print(json.dumps(article, ensure_ascii=False, indent=2))
        return EXIT_OK
    print(article.get("title") or "")
    print(" | ".join(str(v) for v in (article.get("published"), article.get("outlet"),
                                        ", ".join(article.get("authors") or [])) if v))
    print(article.get("url"))
    print()
    print("\n\n".join(article.get("body") or [article.get("text") or ""]))
    return EXIT_OK


def cmd_export(args: argparse.Namespace) -> int:
    from archive.download import article_rows, write_dataset

    archive = _archive(args)
    since, until = _date(args.since, "--since"), _date(args.until, "--until")
    rows = article_rows(archive, since, until, args.outlet, args.lang, args.originals)
    output = Path(args.output or f"syria-articles-{since or 'all'}.{args.format}")
    write_dataset(rows, output, args.format)
    dups = sum(1 for r in rows if r["is_duplicate"])
    print(f"{output}: {len(rows)} article(s), {dups} flagged as duplicates")
    return EXIT_OK


def cmd_presign(args: argparse.Namespace) -> int:
    from archive.s3 import warc_key

    if not 1 <= args.expires <= 7 * 24 * 3600:
        raise UsageError(f"--expires must be 1 to 604800 seconds (7 days), not {args.expires}")
    store = _s3_store(args, required=True)
    keys = []
    for arg in args.targets:
        if arg.startswith(("http://", "https://")):
            from archive.download import Archive

            catalog = Archive(_data_dir(args), store).catalog()
            hit = catalog.find(arg)
            catalog.close()
            if hit is None or not hit.warc_file:
                raise UsageError(f"{arg} is not in the catalog")
            keys.append(warc_key(hit.warc_file))
        else:
            keys.append(arg)
    if args.run:
        from archive.download import Archive

        manifests = Archive(_data_dir(args), store).manifests()
        if args.run not in manifests:
            raise UsageError(f"--run: no manifest for run {args.run!r}")
        keys += [f["key"] for f in manifests[args.run]["files"]]
    if not keys:
        raise UsageError("name KEYs, article URLs or a --run")
    for key in keys:
        if store.head(key) is None:
            print(f"syria-archive presign: no object {key}", file=sys.stderr)
            return EXIT_FAILED
        print(f"{store.presign(key, args.expires)}\t{key}")
    return EXIT_OK


def _add_research_commands(sub: Any, common: argparse.ArgumentParser) -> None:
    p = sub.add_parser(
        "upload", parents=[common], help="send the outbox to S3",
        description="Upload every file waiting in the outbox (DATA/state/outbox.sqlite3) to "
                    "the S3 archive: finished WARCs with their CDXJ, run exports, catalog and "
                    "state snapshots, run manifests. Each object's size and SHA-256 are "
                    "checked after upload; a file leaves the outbox only once S3 holds it "
                    "intact. The crawl calls the same code. Exit 1 when files stay pending.")
    p.add_argument("--status", action="store_true", help="list what is pending; upload nothing")
    p.add_argument("--verify", action="store_true",
                   help="first check every uploaded file still on disk against S3 and "
                        "queue again any that S3 lost or holds wrong")
    p.set_defaults(func=cmd_upload)

    dates = Parser(add_help=False)
    dates.add_argument("--outlet", help="only this outlet (see `outlets`)")
    dates.add_argument("--since", metavar="DATE", help="from this date on (YYYY-MM-DD)")
    dates.add_argument("--until", metavar="DATE", help="up to this date (YYYY-MM-DD)")
    dates.add_argument("--local", action="store_true",
                       help="use the local data directory even when S3 is configured")

    p = sub.add_parser(
        "ls", parents=[common, dates], help="list archives and runs with sizes",
        description="List the archive's files with date, kind, outlet, size and S3 key: WARCs "
                    "(by the day they were written), article exports and run manifests. Reads "
                    "S3 when --s3/SYRIA_ARCHIVE_S3 is set, else the local data directory.")
    p.add_argument("--kind", action="append", choices=("warc", "cdxj", "articles", "catalog",
                                                       "manifest", "state"),
                   help="kinds to list (repeatable; default warc, articles, manifest)")
    p.add_argument("--json", action="store_true", help="one JSON object per file")
    p.set_defaults(func=cmd_ls)

    p = sub.add_parser(
        "search", parents=[common, dates], help="find articles in the catalog",
        description="Search the catalog for articles containing all WORDS (title and text), "
                    "newest first by relevance; prints date, outlet, title and URL. Arabic is "
                    "matched normalised (diacritics, alef forms, taa marbuta...) and with the "
                    "prefixes Arabic attaches: دمشق finds وبدمشق. With S3 configured the "
                    "catalog is fetched from S3 (cached in DATA/cache/).")
    p.add_argument("words", nargs="*", metavar="WORD", help="words that must all occur")
    p.add_argument("--lang", choices=("ar", "en"), help="only articles in this language")
    p.add_argument("--limit", type=int, default=50, help="at most N articles (default 50)")
    p.add_argument("--originals", action="store_true", help="leave out duplicates")
    p.add_argument("--clusters", action="store_true",
                   help="list clusters of the same article instead: each original with the "
                        "duplicates recorded for it (URL, outlet, verdict, similarity)")
    p.add_argument("--json", action="store_true", help="one JSON object per article (or cluster)")
    p.set_defaults(func=cmd_search)

    p = sub.add_parser(
        "get", parents=[common, dates], help="download WARCs, indexes and exports",
        description="Download archive files into a folder, keeping the S3 layout: named KEYs, "
                    "the files of a --run, or those matching --outlet/--since/--until/--kind. "
                    "Shows a progress bar, resumes interrupted downloads (FILE.part), and "
                    "verifies each file's SHA-256 against the run manifests. A key is never "
                    "allowed to write outside the folder. Exit 1 when a file failed.")
    p.add_argument("keys", nargs="*", metavar="KEY", help="S3 keys (as `ls` prints them)")
    p.add_argument("--run", metavar="RUN", help="every file of this run's manifest")
    p.add_argument("--kind", action="append", choices=tuple(("warc", "cdxj", "articles",
                                                             "catalog", "manifest")),
                   help="kinds to fetch with the filters (default warc, cdxj, articles, "
                        "manifest)")
    p.add_argument("-o", "--output", default="syria-archive-download", metavar="DIR",
                   help="target folder (default ./syria-archive-download)")
    p.add_argument("--no-progress", action="store_true", help="no progress bar")
    p.set_defaults(func=cmd_get)

    p = sub.add_parser(
        "record", parents=[common], help="one article's WARC records, by range request",
        description="Fetch one article's response and metadata records with HTTP Range "
                    "requests (the catalog's WARC file, offset and length) and print the "
                    "clean article, or save the records as a small WARC with -o.")
    p.add_argument("url", metavar="URL", help="the article's URL or canonical URL")
    p.add_argument("-o", "--output", metavar="FILE.warc.gz", help="save the records here")
    p.add_argument("--json", action="store_true", help="print the article as JSON")
    p.add_argument("--local", action="store_true",
                   help="use the local data directory even when S3 is configured")
    p.set_defaults(func=cmd_record)

    p = sub.add_parser(
        "export", parents=[common, dates], help="a research dataset of articles",
        description="Write the articles of every run (latest capture per URL) as one dataset: "
                    "JSON Lines, CSV or Parquet, with the dedup verdict (is_duplicate, "
                    "duplicate_of, cluster_id, similarity) and each article's WARC record.")
    p.add_argument("--format", choices=("jsonl", "csv", "parquet"), default="jsonl")
    p.add_argument("--lang", choices=("ar", "en"), help="only articles in this language")
    p.add_argument("--originals", action="store_true", help="leave out duplicates")
    p.add_argument("-o", "--output", metavar="FILE",
                   help="where to write (default ./syria-articles-SINCE.FORMAT)")
    p.set_defaults(func=cmd_export)

    p = sub.add_parser(
        "presign", parents=[common], help="time-limited links for sharing",
        description="Print a presigned HTTPS link per S3 key, per article URL (its WARC "
                    "file) or per file of a --run, valid for --expires seconds. Anyone with "
                    "the link can download that one object until it expires.")
    p.add_argument("targets", nargs="*", metavar="KEY|URL")
    p.add_argument("--run", metavar="RUN", help="every file of this run's manifest")
    p.add_argument("--expires", type=int, default=7 * 24 * 3600, metavar="SECONDS",
                   help="validity (default 7 days, the S3 maximum)")
    p.set_defaults(func=cmd_presign)


def cmd_serve(args: argparse.Namespace) -> int:
    from crawler.registry import Registry
    from crawler.web.server import ServeError, serve

    outlets = {o.id: o.name for o in Registry.load(_extra_registry())}
    try:
        serve(_archive(args), port=args.port, outlets=outlets)
    except ServeError as exc:
        print(f"syria-archive serve: {exc}", file=sys.stderr)
        return EXIT_FAILED
    return EXIT_OK


def _add_serve_command(sub: Any, common: argparse.ArgumentParser) -> None:
    p = sub.add_parser(
        "serve", parents=[common], help="a web page to search, read, replay and export",
        description="Serve the archive on 127.0.0.1 until stopped: search (/search?q=WORDS, "
                    "Arabic and English, with facets by outlet, language, month and dedup "
                    "verdict), article pages with a citation block and duplicates, replay of "
                    "the archived pages by pywb, CSV/JSON/WACZ exports and Datasette's JSON "
                    "API. The first line printed is the page's URL (http://127.0.0.1:PORT/). "
                    "Reads S3 when --s3/SYRIA_ARCHIVE_S3 is set (catalog and indexes cached "
                    "in DATA/cache/), else the local data directory.")
    p.add_argument("--port", type=int, default=0, help="port (default: any free port)")
    p.add_argument("--local", action="store_true",
                   help="use the local data directory even when S3 is configured")
    p.set_defaults(func=cmd_serve)


# -- distributed crawls (crawler.distributed, archive.merge) --------------------------

def _redis_url(args: argparse.Namespace, required: bool = True) -> str:
    url = getattr(args, "redis", None) or os.environ.get("SYRIA_ARCHIVE_REDIS") or ""
    if required and not url:
        raise UsageError("no Redis given: --redis redis://HOST:PORT/DB or set "
                         "SYRIA_ARCHIVE_REDIS")
    if url and not url.startswith(("redis://", "rediss://", "unix://")):
        raise UsageError(f"--redis: not a Redis URL (redis://HOST:PORT/DB): {url!r}")
    return url


def _add_redis_option(p: argparse.ArgumentParser) -> None:
    p.add_argument("--redis", metavar="redis://HOST:PORT/DB",
                   help="the Redis that distributed workers share (env SYRIA_ARCHIVE_REDIS): "
                        "frontier, request dupefilter, dedup index, fetched pages, digests")


def _overrides(items: list[str] | None) -> dict[str, str]:
    overrides = {}
    for item in items or []:
        name, sep, value = item.partition("=")
        if not sep or not name:
            raise UsageError(f"-s/--set takes NAME=VALUE, not {item!r}")
        overrides[name] = value
    return overrides


def _unreachable(exc: Exception) -> bool:
    return type(exc).__module__.startswith("redis")


def cmd_enqueue(args: argparse.Namespace) -> int:
    from crawler.distributed import enqueue

    url = _redis_url(args)
    try:
        queued = enqueue(url, args.outlets, since=args.since, max_pages=args.max_pages,
                         registry_paths=_extra_registry())
    except ValueError as exc:
        raise UsageError(str(exc)) from None
    for outlet_id, row in queued.items():
        if args.json:
            print(json.dumps({"outlet": outlet_id, **row}))
        else:
            print(f"{outlet_id}: {row['seeds']} seed(s) queued, {row['queued']} request(s) "
                  f"waiting" + (" (new round: request dupefilter reset)"
                                if row["new_round"] else ""))
    return EXIT_OK


def cmd_worker(args: argparse.Namespace) -> int:
    from crawler.distributed import WorkerRun
    from crawler.run import RunLocked

    overrides = _overrides(args.set)
    if args.s3:
        overrides["S3_URI"] = args.s3
    run = WorkerRun(_data_dir(args), _redis_url(args), args.outlets,
                    until_empty=args.until_empty, idle_timeout=args.idle_timeout,
                    overrides=overrides)
    try:
        report = run.execute()
    except RunLocked as exc:
        print(f"syria-archive worker: {exc} (give each worker its own --data)", file=sys.stderr)
        return EXIT_LOCKED
    except ValueError as exc:
        raise UsageError(str(exc)) from None
    print(run.summary(report))
    return int(report["exit_code"])


def cmd_status(args: argparse.Namespace) -> int:
    from crawler.distributed import status

    result = status(_redis_url(args), registry_paths=_extra_registry())
    if args.json:
        print(json.dumps(result, ensure_ascii=False))
        return EXIT_OK
    print(f"{result['redis']} ({result['prefix']}), {result['time']}: "
          f"{result['dedup_originals']} original article(s) in the dedup index, "
          f"{result['fetched_pages']} page(s) fetched, Redis memory "
          f"{result['memory_bytes'] / 1e6:.1f} MB")
    print(f"{'outlet':16} {'queued':>8} {'in flight':>9} {'seen':>8}  since")
    for outlet_id, row in result["outlets"].items():
        print(f"{outlet_id:16} {row['queued']:>8} {row['in_flight']:>9} {row['seen']:>8}  "
              f"{row.get('since') or '-'}")
    print(f"{'worker':24} {'alive':5} {'last heartbeat':25} {'pages':>7} {'items':>7} "
          f"{'errors':>6}")
    for worker, w in result["workers"].items():
        print(f"{worker:24} {'yes' if w['alive'] else 'no':5} {w['last_seen']:25} "
              f"{w['pages']:>7} {w['items']:>7} {w['errors']:>6}")
    return EXIT_OK


def cmd_merge(args: argparse.Namespace) -> int:
    from archive.merge import MergeError, merge_archives

    target = _data_dir(args)
    try:
        result = merge_archives(target, [Path(s) for s in args.sources])
    except MergeError as exc:
        print(f"syria-archive merge: {exc}", file=sys.stderr)
        return EXIT_FAILED
    files = ", ".join(f"{n} {kind}" for kind, n in sorted(result.files.items())) or "no file"
    print(f"{target}: merged {result.sources} archive(s): {files} copied; "
          f"{result.articles_added} article(s) added to the catalog, "
          f"{result.articles_updated} updated")
    return EXIT_OK


def _add_distributed_commands(sub: Any, common: argparse.ArgumentParser) -> None:
    p = sub.add_parser(
        "enqueue", help="seed the shared frontier of a distributed crawl",
        description="Put the feeds, sitemaps and section pages of the named outlets (all "
                    "when none is named) into the frontier in Redis, for `syria-archive "
                    "worker`s to crawl. A backfill reaches back through sitemap indexes "
                    "(--since) and section pagination (--max-pages).")
    p.add_argument("outlets", nargs="*", metavar="OUTLET", help="outlet ids (see `outlets`)")
    p.add_argument("--since", metavar="DATE",
                   help="only articles listed or published on or after DATE (ISO 8601)")
    p.add_argument("--max-pages", type=int, metavar="N",
                   help="follow section pagination to at most N pages (default 3)")
    p.add_argument("--json", action="store_true", help="one JSON object per outlet")
    _add_redis_option(p)
    p.set_defaults(func=cmd_enqueue)

    p = sub.add_parser(
        "worker", parents=[common], help="crawl from the shared frontier in Redis",
        description="Crawl what the shared frontier holds for the named outlets (all when "
                    "none is named), with the dedup index, fetched pages and digests in "
                    "Redis. Each worker needs its own data directory (--data): its own WARC "
                    "files, articles, catalog and outbox. Runs until stopped, or with "
                    "--until-empty until the queue stays empty. Exit codes as for crawl.")
    p.add_argument("outlets", nargs="*", metavar="OUTLET", help="outlet ids (see `outlets`)")
    p.add_argument("--until-empty", action="store_true",
                   help="exit once the shared queue (and other workers' requests in flight) "
                        "stayed empty for --idle-timeout seconds")
    p.add_argument("--idle-timeout", type=float, metavar="S",
                   help="how long the queue must stay empty (default 30; REDIS_IDLE_TIMEOUT)")
    p.add_argument("-s", "--set", action="append", metavar="NAME=VALUE",
                   help="override a Scrapy setting (repeatable)")
    _add_redis_option(p)
    p.set_defaults(func=cmd_worker)

    p = sub.add_parser(
        "status", help="the shared frontier and its workers",
        description="Show the queue length per outlet, requests in flight, workers seen "
                    "with their last heartbeat and their pages, items and errors.")
    p.add_argument("--json", action="store_true", help="one JSON object")
    _add_redis_option(p)
    p.set_defaults(func=cmd_status)

    p = sub.add_parser(
        "merge", help="merge workers' data directories into one archive",
        description="Copy the finished WARCs (with CDXJ), articles and reports of each "
                    "SOURCE data directory into DATA and fold their catalogs into DATA's, "
                    "so that search, get, record and serve see one archive. Files are never "
                    "overwritten; merging again changes nothing.")
    p.add_argument("sources", nargs="+", metavar="SOURCE", help="a worker's data directory")
    p.add_argument("--data", metavar="DIR",
                   help="the merged archive (env SYRIA_ARCHIVE_DATA, default ./data)")
    p.set_defaults(func=cmd_merge)


# -- nightly runs, their reports, cron (crawler.nightly, crawler.report, crawler.schedule) --

def _run_overrides(args: argparse.Namespace) -> dict[str, Any]:
    """-s NAME=VALUE, --s3 and --fresh-state as setting overrides."""
    overrides: dict[str, Any] = dict(_overrides(args.set))
    if args.s3:
        _s3_uri(args.s3)
        overrides["S3_URI"] = args.s3
    if getattr(args, "fresh_state", False):
        overrides["S3_FRESH_STATE"] = "True"
    return overrides


def cmd_nightly(args: argparse.Namespace) -> int:
    from crawler.nightly import NightlyRun
    from crawler.report import last_line, summary
    from crawler.run import RunFailed, RunLocked

    if args.outlets and args.cadence:
        raise UsageError("name OUTLETs or give --cadence, not both")
    if args.lookback is not None and args.lookback <= 0:
        raise UsageError(f"--lookback must be a number of days above 0, not {args.lookback}")
    if args.max_pages is not None and args.max_pages < 1:
        raise UsageError(f"--max-pages must be 1 or more, not {args.max_pages}")
    run = NightlyRun(data_dir=_data_dir(args), outlets=args.outlets, cadence=args.cadence,
                     since=args.since, lookback_days=args.lookback, max_pages=args.max_pages,
                     overrides=_run_overrides(args), quiet=args.quiet)
    try:
        report = run.execute()
    except RunLocked as exc:
        print(f"syria-archive nightly: {exc}", file=sys.stderr)
        return EXIT_LOCKED
    except RunFailed as exc:
        print(f"syria-archive nightly: {exc}", file=sys.stderr)
        return EXIT_FAILED
    except OSError as exc:
        print(f"syria-archive nightly: {exc.filename or run.data_dir}: {exc.strerror or exc}",
              file=sys.stderr)
        return EXIT_FAILED
    except ValueError as exc:
        raise UsageError(str(exc)) from None
    if not (args.quiet and report["exit_code"] == EXIT_OK):
        print(summary(report))
        print(last_line(report))
    return int(report["exit_code"])


def cmd_report(args: argparse.Namespace) -> int:
    import webbrowser

    from crawler.report import ReportError, fetch_reports, find_report, summary, write_html

    data = _data_dir(args)
    store = _s3_store(args)
    if store is not None:
        try:
            fetch_reports(data, store)
        except Exception as exc:  # S3 down: the local reports still answer
            print(f"syria-archive report: the reports on {store.config.uri} could not be "
                  f"read ({str(exc)[:200]}); local reports only", file=sys.stderr)
    try:
        path = find_report(data, args.run)
        report = json.loads(path.read_text(encoding="utf-8"))
    except ReportError as exc:
        raise UsageError(str(exc)) from None
    except ValueError as exc:
        print(f"syria-archive report: {path}: not a run report: {exc}", file=sys.stderr)
        return EXIT_FAILED
    html = path.with_suffix(".html")
    if not html.is_file():  # a crawl's report, or one fetched without its page
        html = write_html(report, path, data)
    print(summary(report))
    print(f"exit code {report.get('exit_code')}; page: {html}")
    if args.open and not webbrowser.open(html.resolve().as_uri()):
        print("syria-archive report: no browser could be started to open it", file=sys.stderr)
        return EXIT_FAILED
    return EXIT_OK


def cmd_schedule(args: argparse.Namespace) -> int:
    import shutil

    from crawler.registry import Registry
    from crawler.schedule import ScheduleError, cron_block, install

    data = _data_dir(args).resolve()
    s3 = args.s3 or os.environ.get("SYRIA_ARCHIVE_S3") or None
    if s3:
        _s3_uri(s3)
    executable = args.executable or shutil.which("syria-archive") or \
        f"{sys.executable} -m crawler.cli"
    extra = os.environ.get("SYRIA_ARCHIVE_OUTLETS") or None
    block = cron_block(Registry.load(_extra_registry()), data, executable, s3, extra)
    print("\n".join(block))
    if args.install or args.remove:
        try:
            changed = install(block, data, args.user, remove=args.remove)
        except ScheduleError as exc:
            print(f"syria-archive schedule: {exc}", file=sys.stderr)
            return EXIT_FAILED
        whose = f"the crontab of {args.user}" if args.user else "your crontab"
        done = ("removed from" if args.remove else "installed in") if changed else \
            ("was not in" if args.remove else "already installed in")
        print(f"syria-archive schedule: {done} {whose}", file=sys.stderr)
    return EXIT_OK


def _add_nightly_commands(sub: Any, common: argparse.ArgumentParser) -> None:
    from crawler.registry import CADENCES

    p = sub.add_parser(
        "nightly", parents=[common], help="the run for cron: crawl, archive, report",
        description="Crawl every enabled outlet (or those named, or those of one --cadence) "
                    "since its last run without an alert (first run: --lookback days), "
                    "incrementally, with WARCs, dedup, catalog and S3 upload; then write the "
                    "health report: DATA/reports/nightly-RUN.json, the page nightly-RUN.html "
                    "beside it (both on S3 too), a summary on stdout and a last line with "
                    "the exit code, the alerts and the page. The log goes to DATA/logs/"
                    "nightly.log (rotated). The JSON is posted to the URL in "
                    "$SYRIA_ARCHIVE_WEBHOOK when set. Exit codes: 0 all well, 1 failed, "
                    "2 bad usage, 3 finished with alerts, 75 another run holds the lock.")
    p.add_argument("outlets", nargs="*", metavar="OUTLET",
                   help="only these outlets (default: every enabled one)")
    p.add_argument("--cadence", choices=CADENCES,
                   help="only the enabled outlets of this cadence (see `outlets`)")
    p.add_argument("--since", metavar="DATE",
                   help="this run only: crawl from DATE for every outlet (catching up)")
    p.add_argument("--lookback", type=float, metavar="DAYS",
                   help="how far an outlet's first run looks back (default 3 days)")
    p.add_argument("--max-pages", type=int, metavar="N",
                   help="follow section pagination to at most N pages (default 3)")
    p.add_argument("--quiet", action="store_true",
                   help="print nothing when all is well (exit 0), for cron's mail")
    p.add_argument("-s", "--set", action="append", metavar="NAME=VALUE",
                   help="override a Scrapy setting (repeatable)")
    p.add_argument("--fresh-state", action="store_true",
                   help="with S3: go on when the crawl state cannot be restored from S3")
    p.set_defaults(func=cmd_nightly)

    p = sub.add_parser(
        "report", parents=[common], help="the summary and page of a run's health report",
        description="Print the text summary of a run's report (default: the latest run) "
                    "and the path of its HTML page, which is written when missing. With "
                    "--s3, reports on S3 that are not here are fetched first.")
    p.add_argument("run", nargs="?", metavar="RUN",
                   help="a run id (20261129T023000Z) or a report file")
    p.add_argument("--open", action="store_true",
                   help="open the page in the browser ($BROWSER, else the system's)")
    p.set_defaults(func=cmd_report)

    p = sub.add_parser(
        "schedule", parents=[common], help="the cron lines for nightly runs",
        description="Print the cron lines that run `nightly` for each cadence of the enabled "
                    "outlets (hourly, nightly, weekly), with --quiet so that cron mails only "
                    "runs that went wrong; --install puts them into the crontab (replacing "
                    "this data directory's earlier lines, so running it twice changes "
                    "nothing), --remove takes them out.")
    p.add_argument("--install", action="store_true", help="install the lines in the crontab")
    p.add_argument("--remove", action="store_true",
                   help="remove this data directory's lines from the crontab")
    p.add_argument("--user", metavar="USER",
                   help="the crontab of this user (root only; default: your own)")
    p.add_argument("--executable", metavar="PATH",
                   help="the syria-archive program cron runs (default: this one)")
    p.set_defaults(func=cmd_schedule)


def cmd_extract(args: argparse.Namespace) -> int:
    from crawler.extract.article import article_from_page
    from crawler.extract.page import ExtractionError
    from crawler.registry import Registry

    registry = Registry.load(_extra_registry())
    if args.outlet and args.outlet not in registry:
        raise UsageError(f"--outlet: unknown outlet {args.outlet!r} "
                         f"(known: {', '.join(registry.ids())})")
    status = EXIT_OK
    for name in args.pages:
        path = Path(name)
        if not path.is_file():
            raise UsageError(f"no such page: {name}")
        url = args.url or path.resolve().as_uri()
        try:
            article = article_from_page(path.read_bytes(), url, outlet=args.outlet,
                                        content_type=args.content_type, registry=registry)
        except ExtractionError as exc:
            print(f"syria-archive extract: {name}: {exc.reason}: {exc}", file=sys.stderr)
            status = EXIT_FAILED
            continue
        print(json.dumps(article, ensure_ascii=False, sort_keys=True))
    return status


def cmd_reextract(args: argparse.Namespace) -> int:
    from crawler.reextract import reextract
    from crawler.run import RunLocked

    data = _data_dir(args)
    warcs = [Path(w) for w in args.warcs] or None
    if warcs is None and not sorted((data / "warc").glob("*.warc.gz")):
        raise UsageError(f"no finished WARC files in {data / 'warc'}")
    missing = [str(w) for w in warcs or [] if not w.is_file()]
    if missing:
        raise UsageError(f"--warc: no such file: {', '.join(missing)}")
    try:
        result = reextract(data, warcs, args.outlets or None, update_catalog=args.catalog)
    except KeyError as exc:
        raise UsageError(str(exc.args[0])) from None
    except RunLocked as exc:
        print(f"syria-archive reextract: {exc}", file=sys.stderr)
        return EXIT_LOCKED
    for outlet_id, row in sorted(result["outlets"].items()):
        dropped = ", ".join(f"{k} {v}" for k, v in sorted(row["dropped"].items())) or "none"
        print(f"{outlet_id}: {row['captures']} archived page(s), {row['articles']} article(s), "
              f"dropped: {dropped} -> {row['export']}")
    return EXIT_OK


# -- dedup over a file of articles (crawler.dedupfile) -------------------------------

def _dedup_settings(pairs: list[str] | None) -> Any:
    from scrapy.utils.project import get_project_settings

    from crawler import settings as project

    settings = get_project_settings()
    for item in pairs or []:
        name, sep, value = item.partition("=")
        if not sep or not name.startswith("DEDUP_") or not hasattr(project, name):
            known = ", ".join(k for k in dir(project) if k.startswith("DEDUP_"))
            raise UsageError(f"-s/--set takes a dedup setting NAME=VALUE ({known}), "
                             f"not {item!r}")
        settings.set(name, value, priority="cmdline")
    return settings


def cmd_dedup(args: argparse.Namespace) -> int:
    import shutil
    import tempfile
    from dataclasses import replace

    from archive.datasets import DatasetError, iter_articles
    from crawler.dedupfile import FileDedup, brief
    from crawler.registry import Registry
    from pipelines.dedup import DedupRules

    try:
        rules = DedupRules.from_settings(_dedup_settings(args.set))
    except ValueError as exc:  # a -s value that is not a number
        raise UsageError(f"-s/--set: {exc}") from None
    if args.threshold is not None:
        if not 0 < args.threshold <= 1:
            raise UsageError(f"--threshold must be above 0 and at most 1, not {args.threshold}")
        # One threshold: Jaccard never says more than containment does (it is never higher).
        rules = replace(rules, containment=args.threshold,
                        threshold=max(args.threshold, rules.threshold))
    groups = {o.id: o.group or o.id for o in Registry.load(_extra_registry())}
    with tempfile.TemporaryDirectory(prefix="syria-archive-dedup-in-") as tmp:
        path = Path(args.file)
        if args.file == "-":  # read twice (checked whole first): keep a copy
            path = Path(tmp) / f"stdin.{args.format or 'jsonl'}"
            with path.open("wb") as copy:
                shutil.copyfileobj(sys.stdin.buffer, copy)
        try:
            total = sum(1 for _ in iter_articles(path, args.format))
        except DatasetError as exc:
            raise UsageError(str(exc)) from None
        output = Path(args.output) if args.output else None
        partial = output.with_name(output.name + ".part") if output else None
        out = partial.open("w", encoding="utf-8") if partial else sys.stdout
        job = FileDedup(rules, groups)
        try:
            for article in job.run(path, args.format, progress=not args.no_progress,
                                   total=total):
                if args.originals and article["duplicate_of"]:
                    continue
                out.write(json.dumps(brief(article) if args.verdicts else article,
                                     ensure_ascii=False, default=str) + "\n")
        except BaseException:
            if partial:
                out.close()
                partial.unlink(missing_ok=True)
            raise
        if partial and output:
            out.close()
            partial.replace(output)
    print(f"syria-archive dedup: {job.summary()}"
          + (f" -> {output}" if output else ""), file=sys.stderr)
    return EXIT_OK


def _add_dedup_command(sub: Any) -> None:
    from archive.datasets import FORMATS

    p = sub.add_parser(
        "dedup", help="run the dedup rules over a file of articles",
        description="Run the dedup rules of a crawl over a file of articles (what `export` "
                    "writes, or any JSON Lines, CSV or Parquet file with url, outlet, "
                    "language, title, text or body, published), without touching the "
                    "archive's state, and print each article as one JSON line with its "
                    "verdict: dedup (new, url, exact, near), duplicate_of (the canonical URL "
                    "of the first such article in the file), similarity, cluster_id and "
                    "translation_of (the same story in the outlet group's other language). "
                    "A summary goes to stderr. Exit code 2 for a bad file, naming its line.")
    p.add_argument("file", metavar="FILE",
                   help="the articles (.jsonl, .jsonl.gz, .csv, .parquet; - for standard "
                        "input, JSON Lines unless --format says otherwise)")
    p.add_argument("--threshold", type=float, metavar="X",
                   help="near-duplicate threshold: the share of the shorter text found in "
                        "the other (default DEDUP_CONTAINMENT, 0.65); the similarity "
                        "printed is this share")
    p.add_argument("--format", choices=FORMATS, help="the file's format (default: its name)")
    p.add_argument("--verdicts", action="store_true",
                   help="print only the URL, outlet, language, title, date and verdict")
    p.add_argument("--originals", action="store_true",
                   help="leave duplicates out: a deduplicated dataset")
    p.add_argument("-o", "--output", metavar="FILE.jsonl",
                   help="write to FILE (whole or not at all) instead of standard output")
    p.add_argument("-s", "--set", action="append", metavar="NAME=VALUE",
                   help="another DEDUP_* setting, e.g. DEDUP_FACTS_CONFLICT=0.4 (repeatable)")
    p.add_argument("--no-progress", action="store_true", help="no progress bar on stderr")
    p.set_defaults(func=cmd_dedup)


# -- check: what works of each outlet's setup (crawler.check) ----------------------------

def cmd_check(args: argparse.Namespace) -> int:
    import json as _json

    from crawler.check import check_outlets, render

    overrides = {}
    for item in args.set or []:
        name, sep, value = item.partition("=")
        if not sep or not name:
            raise UsageError(f"-s/--set takes NAME=VALUE, not {item!r}")
        overrides[name] = value
    try:
        checks = check_outlets(args.outlets, overrides)
    except ValueError as exc:
        raise UsageError(str(exc)) from None
    if args.json:
        for c in checks:
            print(_json.dumps(c.as_dict(), ensure_ascii=False))
    else:
        print(render(checks))
    return EXIT_OK if all(c.healthy for c in checks) else EXIT_ALERTS


def _add_check_command(sub: Any) -> None:
    p = sub.add_parser(
        "check", help="check each outlet's feeds, sitemaps, sections and one article",
        description="Fetch each outlet's discovery sources and one listed article through "
                    "the crawler (robots.txt obeyed, the project's settings, http_proxy/"
                    "https_proxy, so it works on the offline mirror as on the real sites) "
                    "and print per outlet what works: robots.txt, each feed and sitemap "
                    "parsed with its article links, each section page with the links it "
                    "lists, and the article extracted with title, date and body. Nothing is "
                    "archived. Exit codes: 0 every outlet healthy, 3 an outlet's setup is "
                    "broken, 2 bad usage. Run it after adding or fixing an outlet.")
    p.add_argument("outlets", nargs="*", metavar="OUTLET", help="outlet ids (default: all)")
    p.add_argument("--json", action="store_true",
                   help="one JSON object per outlet: healthy, and each finding")
    p.add_argument("-s", "--set", action="append", metavar="NAME=VALUE",
                   help="override a Scrapy setting, e.g. DOWNLOAD_DELAY=0 (repeatable)")
    p.set_defaults(func=cmd_check)


def build_parser() -> argparse.ArgumentParser:
    # Commands that never touch S3 take --data only: every option shown must work.
    local = Parser(add_help=False)
    local.add_argument("--data", metavar="DIR",
                       help="data directory (env SYRIA_ARCHIVE_DATA, default ./data)")
    common = Parser(add_help=False, parents=[local])
    common.add_argument("--s3", metavar="s3://BUCKET/PREFIX",
                        help="the S3 archive (env SYRIA_ARCHIVE_S3); endpoint and credentials "
                             "from the standard AWS variables (AWS_ENDPOINT_URL, AWS_PROFILE...)")
    parser = Parser(
        prog="syria-archive",
        description="Crawl Middle East news outlets for coverage of Syria and archive it.",
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    p = sub.add_parser("outlets", help="list the outlet registry",
                       description="List the outlets of the registry: id, name, language, "
                                   "whether the outlet is all about Syria, discovery sources.")
    p.add_argument("--json", action="store_true", help="one JSON object per outlet")
    p.set_defaults(func=cmd_outlets)

    p = sub.add_parser(
        "crawl", parents=[common], help="crawl outlets into the data directory",
        description="Crawl the named outlets (every enabled one when none is named) into "
                    "DATA: articles "
                    "about Syria as JSON Lines in DATA/items/, a JSON report in DATA/reports/, "
                    "a log in DATA/logs/. Set http_proxy/https_proxy to crawl through "
                    "`syria-archive mirror`. Exit codes: 0 all well, 1 failed, 2 bad usage, "
                    "3 finished with alerts, 75 another crawl holds the lock.")
    p.add_argument("outlets", nargs="*", metavar="OUTLET", help="outlet ids (see `outlets`)")
    p.add_argument("--since", metavar="DATE",
                   help="only articles listed or published on or after DATE (ISO 8601)")
    p.add_argument("--max-pages", type=int, metavar="N",
                   help="follow section pagination to at most N pages (default 3)")
    p.add_argument("--url", action="append", metavar="URL",
                   help="archive this article URL of the (one) named outlet now, without "
                        "discovery (repeatable)")
    p.add_argument("-s", "--set", action="append", metavar="NAME=VALUE",
                   help="override a Scrapy setting (repeatable)")
    p.add_argument("--fresh-state", action="store_true",
                   help="with S3: go on when the crawl state cannot be restored from S3 "
                        "(this run's state snapshot then never replaces a newer one there)")
    _add_redis_option(p)
    p.set_defaults(func=cmd_crawl)

    p = sub.add_parser(
        "mirror", help="serve the saved outlet pages as a proxy on 127.0.0.1",
        description="Serve the saved outlet pages on 127.0.0.1 until stopped. The first line "
                    "printed is the proxy URL (http://127.0.0.1:PORT): export it as http_proxy "
                    "and https_proxy and any crawl reaches the outlets' real URLs offline.")
    p.add_argument("--pages", metavar="DIR",
                   help="saved pages (default: those shipped in crawler/mirror/pages)")
    p.add_argument("--port", type=int, default=0, help="port (default: any free port)")
    p.add_argument("--host", default="127.0.0.1", help="address to listen on")
    p.add_argument("--log", metavar="FILE", help="append one JSON line per request to FILE")
    p.add_argument("--shared", metavar="DIR",
                   help="the shared test data with real outlet pages (default: ../shared "
                        "beside the project, when present)")
    p.set_defaults(func=cmd_mirror)

    p = sub.add_parser(
        "wacz", parents=[local], help="package WARCs as a WACZ for ReplayWeb.page",
        description="Package WARC files (default: every finished WARC in DATA/warc) into one "
                    "WACZ with a page per archived article (title and full text, from the "
                    "WARCs' metadata records), then validate it. Open the result in "
                    "ReplayWeb.page or any WACZ reader.")
    p.add_argument("warcs", nargs="*", metavar="WARC", help="WARC files to package")
    p.add_argument("--outlet", help="only the WARC files of this outlet")
    p.add_argument("-o", "--output", metavar="FILE.wacz",
                   help="where to write (default DATA/wacz/syria-archive-TIMESTAMP.wacz)")
    p.add_argument("--title", default="Syria news coverage", help="the collection's title")
    p.set_defaults(func=cmd_wacz)
    _add_research_commands(sub, common)
    _add_serve_command(sub, common)
    _add_distributed_commands(sub, common)
    _add_nightly_commands(sub, common)
    p = sub.add_parser(
        "extract", help="extract articles from saved pages, one JSON line each",
        description="Extract the article of each saved page (HTML, or gzip-compressed .html.gz) "
                    "and print it as one JSON object per line, extracted and cleaned exactly "
                    "as a crawl stores it, with the relevance pipeline's verdict as "
                    "\"relevance\": {\"about_syria\", \"mentions\", \"terms\", \"rule\"} and "
                    "the date's precision and source (published_precision, published_source). "
                    "A page that gives no article is reported on stderr with its reason "
                    "(exit code 1).")
    p.add_argument("pages", nargs="+", metavar="PAGE", help="saved pages (.html or .html.gz)")
    p.add_argument("--url", help="the page's URL (default: its file: URL); with --outlet "
                                 "unset, the outlet is the registry's outlet of this URL")
    p.add_argument("--outlet", help="outlet id, for its selectors and time zone")
    p.add_argument("--content-type", help="the HTTP Content-Type the page was served with")
    p.set_defaults(func=cmd_extract)

    p = sub.add_parser(
        "reextract", parents=[local], help="re-run extraction over the archived WARCs",
        description="Read the archived article responses in DATA/warc/*.warc.gz (or the WARC "
                    "files named), extract them again and run the item pipelines, without "
                    "the network; writes DATA/items/OUTLET-reextract-TIMESTAMP.jsonl and "
                    "nothing else unless --catalog is given. Exit 75 when --catalog is "
                    "given while a crawl holds the data directory.")
    p.add_argument("outlets", nargs="*", metavar="OUTLET", help="only these outlets")
    p.add_argument("--warc", dest="warcs", action="append", default=[], metavar="FILE",
                   help="a WARC file to read (repeatable; default: all in DATA/warc)")
    p.add_argument("--catalog", action="store_true",
                   help="also update the catalog's titles, dates and word index from the "
                        "new extraction (each article keeps its capture and dedup verdict); "
                        "takes the crawl lock")
    p.set_defaults(func=cmd_reextract)
    _add_dedup_command(sub)
    _add_check_command(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    os.environ.setdefault("SCRAPY_SETTINGS_MODULE", "crawler.settings")
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return int(args.func(args))
    except (UsageError, RegistryError) as exc:
        print(f"syria-archive {args.command}: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except Exception as exc:
        if not _unreachable(exc):
            raise
        from archive.redisdb import redact

        print(f"syria-archive {args.command}: Redis at {redact(_redis_url(args, False))} "
              f"cannot be reached: {exc}", file=sys.stderr)
        return EXIT_FAILED


if __name__ == "__main__":
    sys.exit(main())
