"""Researcher commands on a local data directory: ls, search, record, export."""

from __future__ import annotations

import csv
import json
from pathlib import Path

from conftest import CrawlResult, run_cli


def test_ls_lists_local_warcs_with_sizes(full_crawl: CrawlResult) -> None:
    proc = run_cli("ls", "--data", str(full_crawl.data), "--kind", "warc", "--json")
    assert proc.returncode == 0, proc.stderr
    listed = {Path(f["key"]).name: f["size"] for f in map(json.loads, proc.stdout.splitlines())}
    local = {p.name: p.stat().st_size for p in (full_crawl.data / "warc").glob("*.warc.gz")}
    assert listed == local


def test_search_prints_date_outlet_title_and_url(full_crawl: CrawlResult) -> None:
    item = next(i for i in full_crawl.items if i["language"] == "en")
    word = max(item["title"].split(), key=len).strip(",.:'\"")
    proc = run_cli("search", word, "--data", str(full_crawl.data), "--outlet", item["outlet"])
    assert proc.returncode == 0, proc.stderr
    assert item["title"] in proc.stdout and item["outlet"] in proc.stdout
    assert item["published"][:10] in proc.stdout


def test_record_prints_the_clean_article_from_the_local_archive(
        full_crawl: CrawlResult) -> None:
    item = next(i for i in full_crawl.items if i["language"] == "ar")
    proc = run_cli("record", item["url"], "--data", str(full_crawl.data), "--json")
    assert proc.returncode == 0, proc.stderr
    printed = json.loads(proc.stdout)
    assert printed["title"] == item["title"] and printed["body"] == item["body"]


def test_export_jsonl_csv_parquet_flag_duplicates(full_crawl: CrawlResult,
                                                  tmp_path: Path) -> None:
    import pyarrow.parquet as pq

    urls = {i["url"] for i in full_crawl.items}
    dups = {i["url"] for i in full_crawl.items if i.get("duplicate_of")}
    for fmt in ("jsonl", "csv", "parquet"):
        out = tmp_path / f"set.{fmt}"
        proc = run_cli("export", "--data", str(full_crawl.data), "--format", fmt,
                       "-o", str(out))
        assert proc.returncode == 0, proc.stderr
        if fmt == "jsonl":
            rows = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
        elif fmt == "csv":
            with out.open(encoding="utf-8", newline="") as fh:
                rows = list(csv.DictReader(fh))
            for r in rows:
                r["is_duplicate"] = r["is_duplicate"] == "True"
        else:
            rows = pq.read_table(out).to_pylist()
        assert {r["url"] for r in rows} == urls
        assert {r["url"] for r in rows if r["is_duplicate"]} == dups
        assert all(r["warc_file"] for r in rows)
    proc = run_cli("export", "--data", str(full_crawl.data), "--originals", "--since",
                   "2026-11-01", "-o", str(tmp_path / "o.jsonl"))
    rows = [json.loads(line) for line in (tmp_path / "o.jsonl").read_text().splitlines()]
    assert rows and not any(r["is_duplicate"] for r in rows)
    assert all((r["published"] or "9")[:10] >= "2026-11-01" for r in rows)
