"""``syria-archive extract``: one JSON line per page, with the relevance verdict and the
date's precision and source; every option it shows in --help."""

from __future__ import annotations

import json
from pathlib import Path

from conftest import run_cli
from regen_expected import MIRROR, article_pages

PEPPER = """<html lang="en"><head><title>Spice prices</title></head><body><article>
<h1>Aleppo pepper prices climb in Damascus, Maryland</h1>
<p>Importers of Aleppo pepper in Damascus, Maryland, say the price of the spice has doubled
since the spring, and that shops now sell it in smaller jars.</p>
<p>Handmade Aleppo soap, sold at the same market, kept its price, traders said.</p>
</article></body></html>"""


def test_extract_prints_the_relevance_verdict_and_date_source(tmp_path: Path) -> None:
    outlet, file, route = next(p for p in article_pages("aljazeera-en") if p[2]["about_syria"])
    pepper = tmp_path / "pepper.html"
    pepper.write_text(PEPPER, encoding="utf-8")
    proc = run_cli("extract", str(MIRROR / outlet / file), "--url", route["url"],
                   "--outlet", outlet)
    assert proc.returncode == 0, proc.stderr
    article = json.loads(proc.stdout)
    assert article["relevance"]["about_syria"] and article["relevance"]["mentions"] >= 1
    assert article["relevance"]["rule"] == "headline" and article["relevance"]["terms"]
    assert article["published_source"] == "jsonld" and article["published_precision"] == "time"
    proc = run_cli("extract", str(pepper), "--url", "https://example.com/spice")
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)["relevance"] == {
        "about_syria": False, "mentions": 0, "terms": [], "rule": "no_mention"}


def test_extract_content_type_and_bad_pages(tmp_path: Path) -> None:
    outlet, file, route = next(p for p in article_pages("aawsat-ar"))
    html = (MIRROR / outlet / file).read_text(encoding="utf-8")
    cp1256 = tmp_path / "page.html"
    cp1256.write_bytes(html.replace('charset="utf-8"', "").encode("cp1256",
                                                                 errors="xmlcharrefreplace"))
    proc = run_cli("extract", str(cp1256), "--url", route["url"],
                   "--content-type", "text/html; charset=windows-1256")
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)["title"] == route["title"]
    empty = tmp_path / "empty.html"
    empty.write_text("<html><body><div>TT</div></body></html>")
    proc = run_cli("extract", str(empty))
    assert proc.returncode == 1 and "empty.html: no_body" in proc.stderr
    proc = run_cli("extract", str(tmp_path / "missing.html"))
    assert proc.returncode == 2 and "missing.html" in proc.stderr
