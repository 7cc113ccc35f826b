"""The crawl's WARC files, read back with independent readers: warcio (check and
index), FastWARC and cdxj-indexer; every exported article found through the CDXJ
by URL with its response and metadata records; a WACZ that py-wacz validates."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import CrawlResult, run_cli
from fastwarc.warc import ArchiveIterator as FastIterator
from fastwarc.warc import WarcRecordType
from warcio.archiveiterator import ArchiveIterator

BIN = Path(sys.executable).parent


def warcs(result: CrawlResult) -> list[Path]:
    files = sorted((result.data / "warc").glob("*.warc.gz"))
    assert files, "the crawl wrote no WARC file"
    return files


def read_record(path: Path, offset: int, length: int):
    with path.open("rb") as fh:
        fh.seek(offset)
        data = fh.read(length)
    from io import BytesIO
    record = next(iter(ArchiveIterator(BytesIO(data))))
    return record, record.content_stream().read()


def test_files_are_closed_named_and_indexed(full_crawl: CrawlResult) -> None:
    assert not list((full_crawl.data / "warc").glob("*.open"))
    for warc in warcs(full_crawl):
        assert warc.with_name(warc.name.replace(".warc.gz", ".cdxj")).is_file()
        prefix, rest = warc.name.split("-2026", 1)
        assert prefix.startswith("syria-archive-")
        stamp_serial_host_pid = ("2026" + rest).removesuffix(".warc.gz").split("-")
        assert len(stamp_serial_host_pid) == 4 and len(stamp_serial_host_pid[1]) == 5


def test_warcio_check_and_index(full_crawl: CrawlResult) -> None:
    files = [str(w) for w in warcs(full_crawl)]
    check = subprocess.run([BIN / "warcio", "check", *files], capture_output=True, text=True)
    assert check.returncode == 0, check.stdout[-2000:] + check.stderr[-2000:]
    index = subprocess.run([BIN / "warcio", "index", *files], capture_output=True, text=True)
    assert index.returncode == 0
    types = [json.loads(line)["warc-type"] for line in index.stdout.splitlines()]
    assert types.count("warcinfo") == len(files)
    assert types.count("request") == types.count("response") + types.count("revisit")


def test_fastwarc_reads_every_record_with_valid_digests(full_crawl: CrawlResult) -> None:
    responses = 0
    for warc in warcs(full_crawl):
        # Block digests cover the raw block: read without HTTP parsing first.
        with warc.open("rb") as fh:
            first = next(iter(FastIterator(fh, parse_http=False)))
            assert first.record_type == WarcRecordType.warcinfo
            info = first.reader.read().decode()
        assert "conformsTo:" in info and "isPartOf: syria-archive-" in info
        with warc.open("rb") as fh:
            blocks_ok = [r.verify_block_digest() for r in FastIterator(fh, parse_http=False)]
        assert all(blocks_ok), warc
        with warc.open("rb") as fh:
            for record in FastIterator(fh, parse_http=True,
                                       record_types=WarcRecordType.response):
                responses += 1
                assert record.verify_payload_digest(), (warc, record.record_id)
                headers = {k.lower() for k, _ in record.http_headers}
                assert "transfer-encoding" not in headers
                assert record.headers["WARC-Target-URI"].startswith("https://")
    assert responses >= len(full_crawl.report["outlets"]) * 4


def test_requests_are_paired(full_crawl: CrawlResult) -> None:
    # Credentials: this crawl carries none, so it cannot show they stay out of WARCs;
    # test_defects.py::test_10_* and test_faults_env.py::test_planted_secrets_* can.
    for warc in warcs(full_crawl)[:4]:
        ids, concurrent = set(), set()
        with warc.open("rb") as fh:
            for record in ArchiveIterator(fh):
                if record.rec_type in ("response", "revisit"):
                    ids.add(record.rec_headers.get_header("WARC-Record-ID"))
                if record.rec_type == "request":
                    concurrent.add(record.rec_headers.get_header("WARC-Concurrent-To"))
                    assert record.http_headers.get_header("User-Agent").startswith("syria-archive/")
        assert concurrent == ids


def cdxj_lines(result: CrawlResult) -> dict[str, list[dict]]:
    by_url: dict[str, list[dict]] = {}
    for cdxj in (result.data / "warc").glob("*.cdxj"):
        for line in cdxj.read_text(encoding="utf-8").splitlines():
            _key, _ts, blob = line.split(" ", 2)
            entry = json.loads(blob)
            by_url.setdefault(entry["url"], []).append(entry)
    return by_url


def test_every_article_has_response_and_metadata_records_found_by_url(
        full_crawl: CrawlResult) -> None:
    index = cdxj_lines(full_crawl)
    assert full_crawl.items
    for item in full_crawl.items:
        entries = index.get(item["url"])
        assert entries, f"{item['url']} is not in any CDXJ index"
        kinds = {}
        for e in entries:
            record, body = read_record(full_crawl.data / "warc" / e["filename"],
                                       int(e["offset"]), int(e["length"]))
            kinds[record.rec_type] = (record, body)
        assert "response" in kinds or "revisit" in kinds
        assert "metadata" in kinds, f"{item['url']} has no metadata record"
        meta_record, meta_body = kinds["metadata"]
        article = json.loads(meta_body)
        assert article["title"] == item["title"] and article["body"] == item["body"]
        assert meta_record.rec_headers.get_header("WARC-Refers-To") == item["warc"]["record_id"]
        response = kinds.get("response") or kinds["revisit"]
        assert response[0].rec_headers.get_header("WARC-Record-ID") == item["warc"]["record_id"]


def test_cdxj_indexer_reads_the_files_independently(full_crawl: CrawlResult, tmp_path) -> None:
    out = tmp_path / "all.cdxj"
    proc = subprocess.run([BIN / "cdxj-indexer", "-o", str(out),
                           *map(str, warcs(full_crawl))], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    lines = out.read_text(encoding="utf-8").splitlines()
    ours = sum(len(c.read_text(encoding="utf-8").splitlines())
               for c in (full_crawl.data / "warc").glob("*.cdxj"))
    assert len(lines) == ours


def test_wacz_packages_articles_and_validates(full_crawl: CrawlResult, tmp_path) -> None:
    out = tmp_path / "coverage.wacz"
    proc = run_cli("wacz", "--data", str(full_crawl.data), "-o", str(out))
    assert proc.returncode == 0, proc.stderr + proc.stdout
    import zipfile
    with zipfile.ZipFile(out) as z:
        pages = [json.loads(line) for line in z.read("pages/pages.jsonl").splitlines()]
        assert pages[0]["format"] == "json-pages-1.0" and pages[0]["hasText"]
        urls = {p["url"] for p in pages[1:]}
        assert urls == {i["url"] for i in full_crawl.items}
        assert all(p["title"] and p["text"] for p in pages[1:])
        assert any(n.startswith("archive/") for n in z.namelist())


@pytest.mark.parametrize("bad", ["nope.warc.gz"])
def test_wacz_names_a_missing_file(tmp_path, bad) -> None:
    proc = run_cli("wacz", str(tmp_path / bad), "-o", str(tmp_path / "x.wacz"))
    assert proc.returncode == 2 and bad in proc.stderr
