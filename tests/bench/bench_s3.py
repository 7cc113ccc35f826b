"""S3 upload throughput beside plain boto3 ``upload_file``, and range-fetch latency.

Starts moto's S3 server on 127.0.0.1 (a free port, its own process), writes ``--files`` files of
``--mb`` megabytes each, uploads them through the outbox (``Uploader.flush``:
managed transfer, SHA-256 checksums, HeadObject verification) and then the same
files with a plain ``client.upload_file`` each, in the same run, and prints MB/s
of both.  Then times single-record range fetches (``get_object`` with a Range of
a few kilobytes, as ``syria-archive record`` does).  A measurement, not a test:
moto keeps objects in memory, so the figures compare the two clients, not S3.
"""

from __future__ import annotations

import argparse
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import boto3

from archive.outbox import Outbox
from archive.s3 import MiB, S3Config, S3Store
from archive.upload import Uploader


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--files", type=int, default=4)
    parser.add_argument("--mb", type=int, default=48, help="megabytes per file")
    parser.add_argument("--fetches", type=int, default=200)
    args = parser.parse_args()
    host, port, server = start_moto()
    os.environ.update(AWS_ACCESS_KEY_ID="bench", AWS_SECRET_ACCESS_KEY="bench",
                      AWS_DEFAULT_REGION="us-east-1", AWS_ENDPOINT_URL=f"http://{host}:{port}")
    for name in ("http_proxy", "https_proxy", "HTTP_PROXY", "HTTPS_PROXY"):
        os.environ.pop(name, None)
    client = boto3.session.Session().client("s3")
    client.create_bucket(Bucket="bench")
    store = S3Store(S3Config.from_uri("s3://bench/ours"))
    with tempfile.TemporaryDirectory() as tmp:
        files = []
        for i in range(args.files):
            path = Path(tmp) / f"file-{i}.warc.gz"
            path.write_bytes(os.urandom(args.mb * MiB))
            files.append(path)
        total = sum(p.stat().st_size for p in files) / 1e6
        print(f"{len(files)} files, {total:.0f} MB, multipart above "
              f"{store.config.multipart_threshold // MiB} MiB")
        results = {}
        for rnd in range(2):  # alternate, so that neither side profits from a warm server
            with Outbox(Path(tmp) / f"outbox-{rnd}.sqlite3") as outbox:
                for p in files:
                    outbox.put(p, f"r{rnd}/{p.name}", "warc")
                start = time.perf_counter()
                result = Uploader(store, outbox).flush()
                results.setdefault("ours", []).append(time.perf_counter() - start)
                assert result.uploaded == len(files) and not result.failed
            config = store.transfer_config()
            start = time.perf_counter()
            for p in files:
                client.upload_file(str(p), "bench", f"plain/r{rnd}/{p.name}", Config=config)
            results.setdefault("plain", []).append(time.perf_counter() - start)
        ours, plain = min(results["ours"]), min(results["plain"])
        print(f"outbox upload (SHA-256 checksums, HeadObject verify): {total / ours:7.1f} MB/s")
        print(f"plain boto3 upload_file (same files, same TransferConfig): "
              f"{total / plain:7.1f} MB/s")
        print(f"ratio ours/plain: {plain / ours:.2f}")
        latencies = []
        key = store.full_key(f"r0/{files[0].name}")
        for i in range(args.fetches):
            offset = (i * 7919 * 1024) % (args.mb * MiB - 8192)
            start = time.perf_counter()
            body = client.get_object(Bucket="bench", Key=key,
                                     Range=f"bytes={offset}-{offset + 6143}")["Body"].read()
            latencies.append((time.perf_counter() - start) * 1000)
            assert len(body) == 6144
        latencies.sort()
        print(f"single-record range fetch (6 KB) over {args.fetches}: median "
              f"{statistics.median(latencies):.2f} ms, p95 "
              f"{latencies[int(len(latencies) * 0.95)]:.2f} ms")
    server.terminate()
    server.wait(timeout=30)


def start_moto() -> tuple[str, int, subprocess.Popen[bytes]]:
    """moto's server in its own process (so it does not share the client's GIL),
    on a free port, waited for by connecting to it."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    server = subprocess.Popen([sys.executable, "-m", "moto.server", "-H", "127.0.0.1",
                               "-p", str(port)], stdout=subprocess.DEVNULL,
                              stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 60
    while True:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return "127.0.0.1", port, server
        except OSError:
            if server.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError("moto's S3 server did not start") from None


if __name__ == "__main__":
    main()
