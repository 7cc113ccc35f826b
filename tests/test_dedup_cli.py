"""`syria-archive dedup FILE`: the dedup rules over a file of articles, without the
archive's state: on exports of the mirror crawl and on the labelled syndication set."""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import syndication
from conftest import ROOT, run_cli

from pipelines.urls import canonical_url


def lines(text: str) -> list[dict[str, Any]]:
    return [json.loads(line) for line in text.splitlines() if line.strip()]


@pytest.fixture(scope="module")
def exports(full_crawl, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """The mirror crawl exported as a researcher would: JSON Lines, CSV, Parquet."""
    out = tmp_path_factory.mktemp("exports")
    files = {}
    for fmt in ("jsonl", "csv", "parquet"):
        files[fmt] = out / f"articles.{fmt}"
        proc = run_cli("export", "--local", "--data", str(full_crawl.data), "--format", fmt,
                       "-o", str(files[fmt]))
        assert proc.returncode == 0, proc.stderr
    return files


@pytest.fixture(scope="module")
def labelled_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The labelled set as a file of articles, in order of publication, with bodies."""
    path = tmp_path_factory.mktemp("labelled") / "syndication.jsonl"
    with path.open("w", encoding="utf-8") as f:
        for a in syndication.load():
            f.write(json.dumps({"url": a.url, "outlet": a.outlet, "language": a.language,
                                "title": a.title, "published": a.published,
                                "body": a.text.split("\n\n")}, ensure_ascii=False) + "\n")
    return path


def state_digest(data: Path) -> str:
    h = hashlib.sha256()
    for f in sorted((data / "state").rglob("*")):
        if f.is_file():
            h.update(f.name.encode() + f.read_bytes())
    return h.hexdigest()


def partition(rows: list[dict[str, Any]], key: str) -> set[frozenset[str]]:
    groups: dict[str, set[str]] = {}
    for r in rows:
        groups.setdefault(r[key], set()).add(r["url"])
    return {frozenset(g) for g in groups.values()}


def test_dedup_of_an_export_agrees_with_the_crawl_and_leaves_the_state_alone(
        full_crawl, exports: dict[str, Path]) -> None:
    before = state_digest(full_crawl.data)
    proc = run_cli("dedup", str(exports["jsonl"]), "--no-progress",
                   env={**os.environ, "SYRIA_ARCHIVE_DATA": str(full_crawl.data)})
    assert proc.returncode == 0, proc.stderr
    assert state_digest(full_crawl.data) == before
    exported = lines(exports["jsonl"].read_text(encoding="utf-8"))
    judged = lines(proc.stdout)
    assert [r["url"] for r in judged] == [r["url"] for r in exported]
    # The same clusters as the crawl found, whatever order the articles came in.
    assert partition(judged, "cluster_id") == partition(exported, "cluster_id")
    wire = [r for r in judged if r["url"] in {i["url"] for i in full_crawl.items
                                              if i["outlet"] in ("newarab", "arabnews",
                                                                 "thenational")}
            and r["cluster_id"] in {x["cluster_id"] for x in judged if x["dedup"] == "near"}]
    originals = [r for r in wire if r["dedup"] == "new"]
    assert len(originals) >= 1
    for r in judged:
        if r["duplicate_of"]:
            first = next(x for x in judged if x["canonical_url"] == r["duplicate_of"])
            assert first["dedup"] == "new" and first["cluster_id"] == r["cluster_id"]
            assert judged.index(first) < judged.index(r)  # the first in the file
            assert r["is_duplicate"] is True
    summary = proc.stderr.strip().splitlines()
    assert len(summary) == 1 and f"{len(judged)} article(s)" in summary[0]


@pytest.mark.parametrize("fmt", ["csv", "parquet"])
def test_csv_and_parquet_exports_give_the_same_verdicts(exports: dict[str, Path],
                                                        fmt: str) -> None:
    ref = run_cli("dedup", str(exports["jsonl"]), "--verdicts", "--no-progress")
    other = run_cli("dedup", str(exports[fmt]), "--verdicts", "--no-progress")
    assert other.returncode == 0, other.stderr
    keys = ("url", "dedup", "duplicate_of", "cluster_id", "translation_of")
    assert [{k: r[k] for k in keys} for r in lines(other.stdout)] == \
        [{k: r[k] for k in keys} for r in lines(ref.stdout)]


def test_labelled_set_verdicts_and_translation_links(labelled_file: Path) -> None:
    proc = run_cli("dedup", str(labelled_file), "--verdicts", "--no-progress")
    assert proc.returncode == 0, proc.stderr
    rows = {r["url"]: r for r in lines(proc.stdout)}
    by_id = {a.id: a for a in syndication.load()}
    a2, c2 = rows[by_id["A2"].url], rows[by_id["C2"].url]
    assert a2["dedup"] == "near" and a2["duplicate_of"] == canonical_url(by_id["A1"].url)
    assert set(a2) == {"url", "canonical_url", "outlet", "language", "title", "published",
                       "dedup", "duplicate_of", "similarity", "cluster_id", "translation_of"}
    assert c2["dedup"] == "new" and c2["translation_of"] == canonical_url(by_id["C1"].url)
    assert "3 near; 4 translation link(s)" in proc.stderr


def test_threshold_and_settings_change_the_verdicts(labelled_file: Path) -> None:
    def near(*args: str) -> int:
        proc = run_cli("dedup", str(labelled_file), "--verdicts", "--no-progress", *args)
        assert proc.returncode == 0, proc.stderr
        return sum(r["dedup"] == "near" for r in lines(proc.stdout))

    assert near() == 3
    assert near("--threshold", "0.85") == 1  # only the copy-edited one (0.88)
    assert near("-s", "DEDUP_FACTS_CONFLICT=1.0") > 3  # templated reports merge
    assert near("-s", "DEDUP_TRANSLATIONS=false", "--threshold", "0.65") == 3
    for bad in (["--threshold", "0"], ["--threshold", "1.5"], ["-s", "DOWNLOAD_DELAY=3"],
                ["-s", "DEDUP_CONTAINMENT"], ["-s", "DEDUP_CONTAINMENT=high"]):
        proc = run_cli("dedup", str(labelled_file), *bad)
        assert proc.returncode == 2, (bad, proc.stderr)
        assert "syria-archive dedup:" in proc.stderr


def test_originals_output_file_stdin_and_format(labelled_file: Path, tmp_path: Path) -> None:
    out = tmp_path / "originals.jsonl"
    proc = run_cli("dedup", str(labelled_file), "--originals", "-o", str(out), "--no-progress")
    assert proc.returncode == 0 and proc.stdout == ""
    rows = lines(out.read_text(encoding="utf-8"))
    assert len(rows) == 17 and not any(r["duplicate_of"] for r in rows)
    assert rows[0]["body"] and f"-> {out}" in proc.stderr
    csv_like = tmp_path / "articles.txt"
    csv_like.write_text(labelled_file.read_text(encoding="utf-8"), encoding="utf-8")
    assert run_cli("dedup", str(csv_like)).returncode == 2  # format not in the name
    assert run_cli("dedup", str(csv_like), "--format", "jsonl",
                   "--no-progress").returncode == 0
    piped = subprocess.run([sys.executable, "-m", "crawler.cli", "dedup", "-", "--verdicts",
                            "--no-progress"], cwd=ROOT, input=labelled_file.read_bytes(),
                           capture_output=True, timeout=300)
    assert piped.returncode == 0, piped.stderr
    assert len(lines(piped.stdout.decode())) == 20


def test_progress_bar_unless_asked_not_to(labelled_file: Path) -> None:
    shown = run_cli("dedup", str(labelled_file), "--verdicts")
    assert "articles" in shown.stderr and "20/20" in shown.stderr
    hidden = run_cli("dedup", str(labelled_file), "--verdicts", "--no-progress")
    assert "20/20" not in hidden.stderr


@pytest.mark.parametrize(("content", "message"), [
    ('{"url": "https://a.example/1", "text": "x"}\n{"url": "https://a.exa', ":2: not JSON"),
    ('{"url": "https://a.example/1", "text": "x"}\n["a list"]\n', ":2: not an article"),
    ('{"url": "ftp://a.example/1", "text": "x"}\n', ":1: field 'url'"),
    ('{"url": "https://a.example/1", "title": "no text"}\n', ":1: https://a.example/1: no"),
])
def test_a_bad_file_is_refused_naming_the_line_and_nothing_is_written(
        tmp_path: Path, content: str, message: str) -> None:
    bad = tmp_path / "bad.jsonl"
    bad.write_text(content, encoding="utf-8")
    out = tmp_path / "out.jsonl"
    proc = run_cli("dedup", str(bad), "-o", str(out))
    assert proc.returncode == 2
    assert f"{bad}{message}" in proc.stderr
    assert not out.exists() and not list(tmp_path.glob("*.part"))
    assert run_cli("dedup", str(tmp_path / "missing.jsonl")).returncode == 2


def test_help_names_every_option() -> None:
    proc = run_cli("dedup", "--help")
    assert proc.returncode == 0 and "usage: syria-archive dedup" in proc.stdout
    for option in ("FILE", "--threshold", "--format", "--verdicts", "--originals",
                   "--output", "--set", "--no-progress"):
        assert option in proc.stdout
