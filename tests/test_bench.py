"""`make bench` works: its site, nginx on the outlets' own hosts, the three spiders, and the
results file, on a site of a few dozen pages (the figures themselves are not judged: a
benchmark never fails CI).  Needs Debian's nginx (`make system-deps`) and 127.0.0.1:80 and
:443 free."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from conftest import ROOT

sys.path.insert(0, str(ROOT / "tests" / "bench"))

import benchsite  # noqa: E402


@pytest.fixture(scope="module")
def small_site(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict]:
    site = tmp_path_factory.mktemp("bench") / "site"
    return site, benchsite.build(site, 48, progress=False)


def test_the_site_is_the_outlets_markup_at_real_size(small_site) -> None:
    from crawler.registry import Registry

    site, manifest = small_site
    registry = Registry.load()
    assert len(manifest["articles"]) == 48
    assert {a["outlet"] for a in manifest["articles"]} == {o.id for o in registry}
    for a in manifest["articles"]:
        assert registry[a["outlet"]].is_article(a["url"])
        page = (site / a["file"]).read_bytes()
        assert 60_000 <= len(page) <= 120_000, (a["url"], len(page))
        assert a["title"].encode() in page
    # each outlet's feeds and sitemaps are there, as its registry entry names them
    for outlet in registry:
        for source in (*outlet.feeds, *outlet.sitemaps):
            assert (site / benchsite.file_of(source.url)).exists() or (
                site / benchsite.file_of(source.url) / "index.html").exists(), source.url


def test_bench_runs_end_to_end(small_site, tmp_path: Path) -> None:
    site, manifest = small_site
    out = tmp_path / "latest.json"
    proc = subprocess.run(
        [sys.executable, str(ROOT / "tests" / "bench" / "bench_pipeline.py"), "--articles", "48",
         "--work", str(site.parent), "--sample", "8", "--dedup-articles", "300",
         "--no-profile", "--output", str(out)],
        cwd=ROOT, capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr[-3000:]
    results = json.loads(out.read_text())
    e2e = results["end_to_end"]
    for name in ("bare", "naive", "pipeline"):
        assert e2e[name]["returncode"] in (0, 3), e2e[name]
        assert e2e[name]["pages_per_s"] > 0 and e2e[name]["cpu_ms_per_page"] > 0
    # every page fetched by the plain spiders and archived by the pipeline, under the
    # outlets' own URLs (the hosts resolve to nginx on 127.0.0.1)
    assert e2e["bare"]["articles_out"] == e2e["naive"]["articles_out"] == 48
    assert e2e["pipeline"]["articles_out"] == 48  # copies are flagged, not dropped
    exported = [json.loads(line) for f in (site.parent / "data" / "items").glob("*.jsonl")
                for line in f.read_text().splitlines()]
    assert {urlsplit(a["url"]).hostname for a in exported} <= set(manifest["hosts"])
    assert results["pipeline_vs_naive_ratio"] > 0
    assert results["per_stage"]["extract_vs_trafilatura_ratio"] > 0
    assert results["reextract"]["articles"] > 0
    assert results["dedup_at_scale"]["articles"] == 300
    assert "| `pipeline_vs_naive_ratio`" in proc.stdout
