"""The ``syria-archive`` command: thin argument parsing over the project's classes.

Exit codes of ``crawl``: 0 all well; 1 failed; 2 bad usage or configuration;
3 finished with alerts; 75 another run holds the lock.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Sequence
from pathlib import Path

from crawler.registry import RegistryError

EXIT_OK, EXIT_FAILED, EXIT_USAGE, EXIT_ALERTS, EXIT_LOCKED = 0, 1, 2, 3, 75


class UsageError(Exception):
    """Bad arguments or configuration: exit code 2."""


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
    from crawler.run import CrawlRun, RunLocked

    overrides = {}
    for item in args.set or []:
        name, sep, value = item.partition("=")
        if not sep or not name:
            raise UsageError(f"-s/--set takes NAME=VALUE, not {item!r}")
        overrides[name] = value
    run = CrawlRun(data_dir=_data_dir(args), outlets=args.outlets, since=args.since,
                   max_pages=args.max_pages, overrides=overrides)
    try:
        report = run.execute()
    except RunLocked as exc:
        print(f"syria-archive crawl: {exc}", file=sys.stderr)
        return EXIT_LOCKED
    except ValueError as exc:  # unknown outlet, bad date, bad registry
        raise UsageError(str(exc)) from None
    print(run.summary(report))
    return int(report["exit_code"])


def cmd_mirror(args: argparse.Namespace) -> int:
    from crawler.mirror import MirrorError, default_pages, serve

    pages = Path(args.pages) if args.pages else default_pages()
    if not pages.is_dir():
        raise UsageError(f"--pages: {pages} is not a folder of saved outlet pages")
    try:
        serve(pages, port=args.port, host=args.host,
              log_path=Path(args.log) if args.log else None)
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


def build_parser() -> argparse.ArgumentParser:
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--data", metavar="DIR",
                        help="data directory (env SYRIA_ARCHIVE_DATA, default ./data)")
    parser = argparse.ArgumentParser(
        prog="syria-archive",
        description="Crawl Middle East news outlets for coverage of Syria and archive it.",
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    p = sub.add_parser("outlets", parents=[common], help="list the outlet registry",
                       description="List the outlets of the registry: id, name, language, "
                                   "whether the outlet is all about Syria, discovery sources.")
    p.add_argument("--json", action="store_true", help="one JSON object per outlet")
    p.set_defaults(func=cmd_outlets)

    p = sub.add_parser(
        "crawl", parents=[common], help="crawl outlets into the data directory",
        description="Crawl the named outlets (all when none is named) into DATA: articles "
                    "about Syria as JSON Lines in DATA/items/, a JSON report in DATA/reports/, "
                    "a log in DATA/logs/. Set http_proxy/https_proxy to crawl through "
                    "`syria-archive mirror`. Exit codes: 0 all well, 1 failed, 2 bad usage, "
                    "3 finished with alerts, 75 another crawl holds the lock.")
    p.add_argument("outlets", nargs="*", metavar="OUTLET", help="outlet ids (see `outlets`)")
    p.add_argument("--since", metavar="DATE",
                   help="only articles listed or published on or after DATE (ISO 8601)")
    p.add_argument("--max-pages", type=int, metavar="N",
                   help="follow section pagination to at most N pages (default 3)")
    p.add_argument("-s", "--set", action="append", metavar="NAME=VALUE",
                   help="override a Scrapy setting (repeatable)")
    p.set_defaults(func=cmd_crawl)

    p = sub.add_parser(
        "mirror", help="serve the saved outlet pages as a proxy on 127.0.0.1",
        description="Serve the saved outlet pages on 127.0.0.1 until stopped. The first line "
                    "printed is the proxy URL (http://127.0.0.1:PORT): export it as http_proxy "
                    "and https_proxy and any crawl reaches the outlets' real URLs offline.")
    p.add_argument("--pages", metavar="DIR", help="saved pages (default: tests/mirror)")
    p.add_argument("--port", type=int, default=0, help="port (default: any free port)")
    p.add_argument("--host", default="127.0.0.1", help="address to listen on")
    p.add_argument("--log", metavar="FILE", help="append one JSON line per request to FILE")
    p.set_defaults(func=cmd_mirror)

    p = sub.add_parser(
        "wacz", parents=[common], help="package WARCs as a WACZ for ReplayWeb.page",
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


if __name__ == "__main__":
    sys.exit(main())
