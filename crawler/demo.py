"""``make demo``: the whole job, offline, on the embedded defaults.

Starts the mirror of the saved outlet pages on 127.0.0.1, crawls every outlet
through it (``http_proxy``/``https_proxy``) into the data directory with the
same ``syria-archive crawl`` a user runs, prints per outlet the pages fetched
and the articles kept, and stops the mirror.  The data directory is the
user's archive: it is kept between runs.

S3: with ``SYRIA_ARCHIVE_S3`` (and the AWS variables) set, the crawl uploads
there; otherwise the demo starts moto's S3 server on 127.0.0.1 (a free port,
in memory, gone when the demo ends) and uploads to it.  Then it runs the
researcher commands ``ls``, ``search`` and ``record`` against that S3 from an
empty researcher folder and prints what they return.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import subprocess
import sys
import tempfile
from pathlib import Path

from crawler.mirror.server import default_pages


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


def start_local_s3() -> tuple[object, dict[str, str]]:
    """moto's S3 server on 127.0.0.1 with a bucket, and the environment that names it."""
    import boto3
    from moto.server import ThreadedMotoServer

    logging.getLogger("werkzeug").setLevel(logging.ERROR)  # no line per S3 request
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()  # returns once the port is bound
    host, port = server.get_host_and_port()
    env = {"AWS_ACCESS_KEY_ID": "demo", "AWS_SECRET_ACCESS_KEY": "demo",
           "AWS_DEFAULT_REGION": "us-east-1", "AWS_ENDPOINT_URL": f"http://{host}:{port}",
           "SYRIA_ARCHIVE_S3": "s3://syria-archive-demo/archive"}
    boto3.session.Session(aws_access_key_id="demo", aws_secret_access_key="demo",
                          region_name="us-east-1").client(
        "s3", endpoint_url=env["AWS_ENDPOINT_URL"]).create_bucket(Bucket="syria-archive-demo")
    return server, env


def show(title: str, cmd: list[str], env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    print(f"\n$ syria-archive {' '.join(cmd)}    # {title}", flush=True)
    proc = subprocess.run([sys.executable, "-m", "crawler.cli", *cmd], env=env,
                          capture_output=True, text=True, check=False)
    lines = proc.stdout.splitlines()
    print("\n".join(lines[:24] + ([f"... ({len(lines) - 24} more lines)"]
                                   if len(lines) > 24 else [])))
    if proc.returncode:
        print(proc.stderr[-1500:], file=sys.stderr)
    return proc


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", default=os.environ.get("SYRIA_ARCHIVE_DATA", "data"))
    parser.add_argument("--pages", default=str(default_pages()))
    args = parser.parse_args()
    data = Path(args.data)
    s3_server, s3_env = (None, {}) if os.environ.get("SYRIA_ARCHIVE_S3") else start_local_s3()
    env = {**os.environ, **s3_env, "no_proxy": "127.0.0.1,localhost",
           "NO_PROXY": "127.0.0.1,localhost"}
    print(f"S3 archive: {env['SYRIA_ARCHIVE_S3']}"
          + (" (moto's S3 server on 127.0.0.1, in memory)" if s3_server else ""), flush=True)
    mirror, proxy = start_mirror(Path(args.pages))
    print(f"mirror of the saved outlet pages at {proxy}", flush=True)
    try:
        # No politeness delay against our own mirror; robots.txt is still obeyed.
        crawl = subprocess.run(
            [sys.executable, "-m", "crawler.cli", "crawl", "--data", str(data),
             "-s", "DOWNLOAD_DELAY=0", "-s", "AUTOTHROTTLE_ENABLED=False",
             "-s", "LOG_LEVEL=WARNING"],
            env={**proxy_env(proxy), **s3_env, "no_proxy": "127.0.0.1,localhost",
                 "NO_PROXY": "127.0.0.1,localhost"}, check=False)
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
    try:
        if s3_server is not None:
            # A fresh in-memory S3 each demo: send what earlier demos uploaded, too.
            show("check S3 holds every file sent, send again what it lacks",
                 ["upload", "--verify", "--data", str(data)], env)
        with tempfile.TemporaryDirectory() as researcher:
            show("archives and runs on S3", ["ls", "--data", researcher], env)
            show("articles from the S3 catalog, Arabic-aware",
                 ["search", "دمشق", "--limit", "5", "--data", researcher], env)
            found = show("English articles", ["search", "Syria", "--lang", "en", "--limit", "5",
                                              "--json", "--data", researcher], env)
            hits = [json.loads(line) for line in found.stdout.splitlines() if line]
            if hits:
                show("one article's records by HTTP Range request, printed clean",
                     ["record", hits[0]["url"], "--data", researcher], env)
    finally:
        if s3_server is not None:
            s3_server.stop()  # type: ignore[attr-defined]
    return crawl.returncode


if __name__ == "__main__":
    sys.exit(main())
