"""``make demo``: the whole job, offline, on the embedded defaults.

Starts the mirror of the saved outlet pages on 127.0.0.1, crawls every outlet
through it (``http_proxy``/``https_proxy``) into the data directory with the
same ``syria-archive crawl`` a user runs, prints per outlet the pages fetched
and the articles kept, and stops the mirror.  The data directory is the
user's archive: it is kept between runs.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
from pathlib import Path

from crawler.mirror import default_pages


def start_mirror(pages: Path, log: Path | None = None) -> tuple[subprocess.Popen[str], str]:
    """Start ``syria-archive mirror`` and return it with its proxy URL (its first line)."""
    cmd = [sys.executable, "-m", "crawler.cli", "mirror", "--pages", str(pages)]
    if log:
        cmd += ["--log", str(log)]
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, text=True)
    assert proc.stdout is not None
    line = proc.stdout.readline().strip()
    if not line.startswith("http://127.0.0.1:"):
        proc.kill()
        raise RuntimeError(f"the mirror did not start (it printed {line!r})")
    return proc, line


def proxy_env(proxy: str) -> dict[str, str]:
    env = dict(os.environ)
    for name in ("http_proxy", "https_proxy", "HTTP_PROXY", "HTTPS_PROXY"):
        env[name] = proxy
    env.pop("no_proxy", None)
    env.pop("NO_PROXY", None)
    return env


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", default=os.environ.get("SYRIA_ARCHIVE_DATA", "data"))
    parser.add_argument("--pages", default=str(default_pages()))
    args = parser.parse_args()
    data = Path(args.data)
    mirror, proxy = start_mirror(Path(args.pages))
    print(f"mirror of the saved outlet pages at {proxy}", flush=True)
    try:
        # No politeness delay against our own mirror; robots.txt is still obeyed.
        crawl = subprocess.run(
            [sys.executable, "-m", "crawler.cli", "crawl", "--data", str(data),
             "-s", "DOWNLOAD_DELAY=0", "-s", "AUTOTHROTTLE_ENABLED=False",
             "-s", "LOG_LEVEL=WARNING"],
            env=proxy_env(proxy), check=False)
    finally:
        mirror.terminate()
        mirror.wait(timeout=30)
    warcs = sorted((data / "warc").glob("*.warc.gz"))
    total = sum(w.stat().st_size for w in warcs)
    records = sum(len(w.with_name(w.name.replace(".warc.gz", ".cdxj")).read_text(
        encoding="utf-8").splitlines()) for w in warcs
        if w.with_name(w.name.replace(".warc.gz", ".cdxj")).is_file())
    print(f"WARC: {len(warcs)} files in {data / 'warc'}, {total / 1e6:.2f} MB, "
          f"{records} indexed records (CDXJ beside each file)")
    print(f"articles: {data / 'items'}  reports: {data / 'reports'}")
    return crawl.returncode


if __name__ == "__main__":
    sys.exit(main())
