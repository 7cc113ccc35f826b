"""WARC write throughput beside raw gzip of the same bytes, in one process.

Builds request/response records from the saved outlet pages (repeated to
``--mb`` megabytes of payload), writes them with the project's rotating
writer (one gzip member per record, level 6), and compresses the same
serialised records with plain zlib at levels 6 and 9 (warcio's own level) for
comparison.  Prints MB/s of uncompressed WARC bytes.  A measurement, not a test.
"""

from __future__ import annotations

import argparse
import tempfile
import time
import zlib
from io import BytesIO
from pathlib import Path

from warcio.recordbuilder import RecordBuilder

from archive.writer import RotatingWarcWriter, serialise

PAGES = Path(__file__).resolve().parent.parent / "mirror"


def payloads(limit: int) -> list[tuple[str, bytes]]:
    pages = [(f"https://example.org/{p.parent.name}/{p.name}", p.read_bytes())
             for p in sorted(PAGES.rglob("*.html"))]
    out, total = [], 0
    while total < limit:
        for url, body in pages:
            head = (b"HTTP/1.1 200 OK\r\nContent-Type: text/html; charset=utf-8\r\n"
                    b"Content-Length: " + str(len(body)).encode() + b"\r\n\r\n")
            out.append((url, head + body))
            total += len(body)
            if total >= limit:
                break
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mb", type=int, default=100, help="megabytes of payload")
    args = parser.parse_args()
    builder = RecordBuilder(warc_version="1.1")
    items = payloads(args.mb * 1024 * 1024)
    records = [builder.create_warc_record(url, "response", payload=BytesIO(p), length=len(p))
               for url, p in items]
    raw = [serialise(r) for r in records]
    size = sum(map(len, raw))
    mb = size / 1e6
    print(f"{len(records)} response records, {mb:.1f} MB uncompressed WARC")

    with tempfile.TemporaryDirectory() as tmp:
        writer = RotatingWarcWriter(Path(tmp), "bench", {"software": "bench"},
                                    max_size=1024**3)
        records = [builder.create_warc_record(url, "response", payload=BytesIO(p),
                                              length=len(p)) for url, p in items]
        start = time.perf_counter()
        for record in records:
            writer.write(record)
        elapsed = time.perf_counter() - start
        start = time.perf_counter()
        finished = writer.close()
        closing = time.perf_counter() - start
        assert finished is not None
        print(f"syria-archive writer (build+serialise+gzip 6+write): {mb / elapsed:7.1f} MB/s, "
              f"{finished.stat().st_size / 1e6:.1f} MB on disk; close (fsync, rename, "
              f"CDXJ index) {closing:.2f} s")

    for level in (6, 9):
        start = time.perf_counter()
        out = 0
        for data in raw:
            c = zlib.compressobj(level, zlib.DEFLATED, zlib.MAX_WBITS + 16)
            out += len(c.compress(data) + c.flush())
        elapsed = time.perf_counter() - start
        print(f"raw gzip level {level} of the same bytes, per record:     "
              f"{mb / elapsed:7.1f} MB/s, "
              f"{out / 1e6:.1f} MB")


if __name__ == "__main__":
    main()
