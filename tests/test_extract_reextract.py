"""``syria-archive reextract``: archived responses (gzip bodies, revisits) to a new export."""

from __future__ import annotations

import gzip
import json
from io import BytesIO
from pathlib import Path

from conftest import run_cli
from regen_expected import MIRROR, article_pages
from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter


def write_warc(path: Path, pages: list[tuple[str, bytes]]) -> None:
    with path.open("wb") as f:
        writer = WARCWriter(f, gzip=True)
        first = None
        for url, body in pages:
            raw = gzip.compress(body)
            headers = StatusAndHeaders("200 OK", [
                ("Content-Type", "text/html; charset=utf-8"), ("Content-Encoding", "gzip"),
                ("Content-Length", str(len(raw)))], protocol="HTTP/1.1")
            if first is not None and body == first[1]:
                record = writer.create_revisit_record(
                    url, digest=first[2], refers_to_uri=first[0], refers_to_date=first[3],
                    http_headers=headers)
            else:
                record = writer.create_warc_record(url, "response", payload=BytesIO(raw),
                                                   http_headers=headers)
                first = (url, body, record.rec_headers.get_header("WARC-Payload-Digest"),
                         record.rec_headers.get_header("WARC-Date"))
            writer.write_record(record)


def test_reextract_from_warc(tmp_path: Path) -> None:
    outlet, file, route = next(p for p in article_pages() if p[0] == "mee" and
                               p[2]["about_syria"] and p[2].get("repeated_blocks"))
    body = (MIRROR / outlet / file).read_bytes()
    other_url = route["url"] + "-copy"
    data = tmp_path / "data"
    (data / "warc").mkdir(parents=True)
    write_warc(data / "warc" / "test-00000.warc.gz", [(route["url"], body), (other_url, body)])
    proc = run_cli("reextract", "--data", str(data), "mee", timeout=300)
    assert proc.returncode == 0, proc.stderr[-2000:]
    exports = sorted((data / "items").glob("mee-reextract-*.jsonl"))
    assert len(exports) == 1, proc.stdout
    items = [json.loads(line) for line in exports[0].read_text(encoding="utf-8").splitlines()]
    assert {i["url"] for i in items} == {route["url"], other_url}, proc.stdout
    for item in items:
        assert item["title"] == route["title"]
        assert len({p.casefold() for p in item["body"]}) == len(item["body"])
        assert item["warc"]["file"] == "test-00000.warc.gz"
