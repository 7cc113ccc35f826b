"""Extraction accuracy: our extractor beside plain trafilatura, same pages, same process.

Reads real pages with ground truth from ``../shared/data/extraction`` (never
copied into the repository) and the project's own saved outlet pages with
their expected JSON (``tests/expected``).  Body precision, recall and F1 are
token level as the Zyte article-extraction benchmark defines them: ``\\w+``
tokens, shingles of four, true/false positives and false negatives per page
normalised by their sum, precision and recall averaged over pages and F1 taken
from the two averages.  Title, date (same calendar day) and author (same set of
names) accuracy count only pages whose ground truth has the field.

Run: ``make bench-extract`` (or ``python tests/bench/bench_extract.py``).
"""

from __future__ import annotations

import ast
import gzip
import json
import re
import statistics
import sys
import time
import unicodedata
from collections import Counter, defaultdict
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
SHARED = ROOT.parent / "shared" / "data" / "extraction"
sys.path.insert(0, str(ROOT))

_TOKEN = re.compile(r"\w+")


@dataclass
class Page:
    dataset: str
    name: str
    html: bytes
    url: str
    body: str | None = None
    title: str | None = None
    date: str | None = None
    authors: list[str] | None = None
    language: str | None = None
    must_have: list[str] = field(default_factory=list)
    must_not: list[str] = field(default_factory=list)


# -- scoring -------------------------------------------------------------------

def shingles(text: str, n: int = 4) -> Counter[tuple[str, ...]]:
    tokens = _TOKEN.findall(text or "")
    return Counter(tuple(tokens[i:i + n]) for i in range(max(1, len(tokens) - n + 1))
                   if tokens[i:i + n])


def tp_fp_fn(true: str, pred: str) -> tuple[float, float, float]:
    t, p = shingles(true), shingles(pred)
    tp = sum((t & p).values())
    fp, fn = sum(p.values()) - tp, sum(t.values()) - tp
    total = tp + fp + fn
    return (tp / total, fp / total, fn / total) if total else (0.0, 0.0, 0.0)


def prf(rows: list[tuple[float, float, float]]) -> tuple[float, float, float]:
    def score(tp: float, other: float, fp: float, fn: float) -> float:
        if fp == fn == 0:
            return 1.0
        return 0.0 if tp == other == 0 else tp / (tp + other)
    precisions = [score(tp, fp, fp, fn) for tp, fp, fn in rows if tp + fp > 0]
    recalls = [score(tp, fn, fp, fn) for tp, fp, fn in rows if tp + fn > 0]
    p = statistics.mean(precisions) if precisions else 0.0
    r = statistics.mean(recalls) if recalls else 0.0
    return p, r, (2 * p * r / (p + r) if p + r else 0.0)


def norm(text: str | None) -> str:
    text = unicodedata.normalize("NFKC", text or "").casefold()
    return " ".join(_TOKEN.findall(text))


def same_day(true: str, pred: str | None) -> bool:
    return bool(pred) and str(pred)[:10] == true[:10]


def same_authors(true: list[str], pred: list[str]) -> bool:
    return sorted(map(norm, true)) == sorted(map(norm, pred))


# -- datasets --------------------------------------------------------------------

def _gunzip(path: Path) -> bytes:
    data = path.read_bytes()
    return gzip.decompress(data) if data[:2] == b"\x1f\x8b" else data


def zyte() -> Iterator[Page]:
    folder = SHARED / "zyte-aeb"
    truth = json.loads((folder / "ground-truth.json").read_text(encoding="utf-8"))
    for key, gt in sorted(truth.items()):
        yield Page("zyte-aeb", key, _gunzip(folder / "html" / f"{key}.html.gz"), gt["url"],
                   body=gt.get("articleBody") or "")


def _fundus_body(body: Any) -> str:
    if isinstance(body, str):
        body = ast.literal_eval(body)
    parts = list(body.get("summary") or [])
    for section in body.get("sections") or []:
        parts += list(section.get("headline") or []) + list(section.get("paragraphs") or [])
    return "\n".join(parts)


def fundus() -> Iterator[Page]:
    for truth_file in sorted((SHARED / "fundus").glob("*/*.json")):
        folder = truth_file.parent
        info = json.loads((folder / "meta.info").read_text(encoding="utf-8"))
        truth = json.loads(truth_file.read_text(encoding="utf-8"))
        pages = sorted(folder.glob(f"{truth_file.stem}_*.html.gz"))
        versions = sorted(truth)
        if len(pages) != len(versions):
            continue
        for page, version in zip(pages, versions, strict=True):
            gt = truth[version]
            authors = gt.get("authors")
            if isinstance(authors, str):
                authors = ast.literal_eval(authors)
            yield Page("fundus", page.name, _gunzip(page), info[page.name]["url"],
                       body=_fundus_body(gt.get("body") or {}), title=gt.get("title"),
                       date=gt.get("publishing_date"), authors=authors)


def readability() -> Iterator[Page]:
    import lxml.html
    for folder in sorted((SHARED / "readability").iterdir()):
        if not (folder / "source.html").is_file():
            continue
        meta = json.loads((folder / "expected-metadata.json").read_text(encoding="utf-8"))
        expected = lxml.html.fromstring((folder / "expected.html").read_bytes())
        byline = meta.get("byline")
        yield Page("readability", folder.name, (folder / "source.html").read_bytes(),
                   f"http://fakehost/{folder.name}/", body=expected.text_content(),
                   title=meta.get("title"), date=meta.get("publishedTime"),
                   authors=[byline] if byline and len(byline) < 60 else None,
                   language=meta.get("lang"))


def newspaper4k() -> Iterator[Page]:
    folder = SHARED / "newspaper4k"
    for meta_file in sorted((folder / "metadata").glob("*.json")):
        html = folder / "html" / f"{meta_file.stem}.html"
        txt = folder / "txt" / f"{meta_file.stem}.txt"
        if not html.is_file():
            continue
        meta = json.loads(meta_file.read_text(encoding="utf-8"))
        yield Page("newspaper4k", meta_file.stem, html.read_bytes(), meta.get("url") or "",
                   body=txt.read_text(encoding="utf-8") if txt.is_file() else None,
                   title=meta.get("title"), date=meta.get("publish_date"),
                   authors=meta.get("authors") or None, language=meta.get("language"))


def trafilatura_eval() -> Iterator[Page]:
    folder = SHARED / "trafilatura-eval"
    truth = json.loads((folder / "evaldata.json").read_text(encoding="utf-8"))
    for url, gt in sorted(truth.items()):
        path = next((p for p in (folder / "eval" / gt["file"], folder / "cache" / gt["file"])
                     if p.is_file()), None)
        if path is None:
            continue
        author = gt.get("author")
        yield Page("trafilatura-eval", gt["file"], path.read_bytes(), url,
                   title=gt.get("title"), date=gt.get("date"),
                   authors=[a.strip() for a in re.split(r";|\|", author)] if author else None,
                   must_have=gt.get("with") or [], must_not=gt.get("without") or [])


def own_pages() -> Iterator[Page]:
    """The project's saved outlet pages, judged against their reviewed expected JSON."""
    expected = ROOT / "tests" / "expected"
    for path in sorted(expected.glob("*/*.json")):
        exp = json.loads(path.read_text(encoding="utf-8"))
        page = ROOT / "tests" / "mirror" / exp["_page"]
        yield Page("own", exp["_page"], page.read_bytes(), exp["url"],
                   body="\n".join(exp["body"]), title=exp["title"], date=exp.get("published"),
                   authors=exp.get("authors"), language=exp.get("language"))


DATASETS: dict[str, Callable[[], Iterator[Page]]] = {
    "zyte-aeb": zyte, "fundus": fundus, "readability": readability,
    "newspaper4k": newspaper4k, "trafilatura-eval": trafilatura_eval, "own": own_pages,
}


# -- the two extractors ------------------------------------------------------------

def ours(page: Page) -> dict[str, Any]:
    from crawler.extract.article import extract_page
    from crawler.extract.page import ExtractionError
    from crawler.items import ArticleLoader
    from pipelines.clean import clean_article
    try:
        fields = extract_page(page.html, page.url)
    except ExtractionError:
        return {"body": "", "title": None, "published": None, "authors": [], "language": None}
    loader = ArticleLoader()
    for name, value in fields.items():
        loader.add_value(name, value)
    item = clean_article(dict(loader.load_item()))
    return {"body": "\n".join(item.get("body") or []), "title": item.get("title"),
            "published": item.get("published"), "authors": item.get("authors") or [],
            "language": fields.get("language")}


def plain_trafilatura(page: Page) -> dict[str, Any]:
    import trafilatura

    from crawler.extract.page import ExtractionError, decode_html
    try:
        html = decode_html(page.html)
    except ExtractionError:
        return {"body": "", "title": None, "published": None, "authors": []}
    doc = trafilatura.bare_extraction(html, url=page.url or None, with_metadata=True)
    if doc is None:
        return {"body": "", "title": None, "published": None, "authors": []}
    return {"body": doc.text or "", "title": doc.title, "published": doc.date,
            "authors": [a.strip() for a in (doc.author or "").split(";") if a.strip()]}


EXTRACTORS = {"ours": ours, "trafilatura": plain_trafilatura}


@dataclass
class Tally:
    body: list[tuple[float, float, float]] = field(default_factory=list)
    title: list[bool] = field(default_factory=list)
    date: list[bool] = field(default_factory=list)
    authors: list[bool] = field(default_factory=list)
    snippets: list[bool] = field(default_factory=list)
    seconds: float = 0.0

    def add(self, page: Page, out: dict[str, Any]) -> None:
        if page.body is not None:
            self.body.append(tp_fp_fn(page.body, out["body"]))
        if page.title:
            self.title.append(norm(page.title) == norm(out["title"]))
        if page.date:
            self.date.append(same_day(page.date, out["published"]))
        if page.authors:
            self.authors.append(same_authors(page.authors, out["authors"]))
        text = norm(out["body"])
        for s in page.must_have:
            self.snippets.append(norm(s) in text)
        for s in page.must_not:
            self.snippets.append(norm(s) not in text)


def run(datasets: list[str] | None = None) -> dict[tuple[str, str, str], Tally]:
    """Per (dataset, language, extractor) tallies."""
    tallies: dict[tuple[str, str, str], Tally] = defaultdict(Tally)
    for name, load in DATASETS.items():
        if datasets and name not in datasets:
            continue
        if name != "own" and not SHARED.is_dir():
            continue
        for page in load():
            results = {}
            for ext_name, extractor in EXTRACTORS.items():
                start = time.perf_counter()
                results[ext_name] = extractor(page)
                tallies[(name, "", ext_name)].seconds += time.perf_counter() - start
            language = page.language or results["ours"].get("language") or "?"
            language = language.split("-")[0].lower()
            for ext_name, out in results.items():
                tallies[(name, language, ext_name)].add(page, out)
    return tallies


def _pct(values: list[bool]) -> str:
    if not values:
        return "-"
    return f"{100 * sum(values) / len(values):5.1f}% ({sum(values)}/{len(values)})"


def report(tallies: dict[tuple[str, str, str], Tally]) -> str:
    lines = [f"{'dataset':<17}{'lang':<5}{'extractor':<12}{'pages':>6}{'P':>7}{'R':>7}{'F1':>7}"
             f"  {'title':<17}{'date':<17}{'authors':<17}snippets"]
    for (dataset, lang, ext), t in sorted(tallies.items()):
        if lang == "":
            continue
        p, r, f1 = prf(t.body) if t.body else (0.0, 0.0, 0.0)
        body = f"{p:7.3f}{r:7.3f}{f1:7.3f}" if t.body else f"{'-':>7}{'-':>7}{'-':>7}"
        lines.append(f"{dataset:<17}{lang:<5}{ext:<12}{len(t.body) or '':>6}{body}  "
                     f"{_pct(t.title):<17}{_pct(t.date):<17}{_pct(t.authors):<17}{_pct(t.snippets)}")
    lines.append("")
    totals: dict[tuple[str, str], Tally] = defaultdict(Tally)
    for (dataset, lang, ext), t in tallies.items():
        if lang:
            for key in ((dataset, ext), ("all", ext)):
                agg = totals[key]
                agg.body += t.body
                agg.title += t.title
                agg.date += t.date
                agg.authors += t.authors
                agg.snippets += t.snippets
        else:
            totals[(dataset, ext)].seconds += t.seconds
            totals[("all", ext)].seconds += t.seconds
    for (dataset, ext), t in sorted(totals.items()):
        p, r, f1 = prf(t.body) if t.body else (0.0, 0.0, 0.0)
        lines.append(f"{dataset:<17}{'all':<5}{ext:<12}{len(t.body):>6}{p:7.3f}{r:7.3f}{f1:7.3f}  "
                     f"{_pct(t.title):<17}{_pct(t.date):<17}{_pct(t.authors):<17}"
                     f"{_pct(t.snippets):<17}{t.seconds:6.1f} s")
    return "\n".join(lines)


def main(argv: list[str]) -> int:
    if not SHARED.is_dir():
        print(f"{SHARED} not found: only the project's own saved pages are measured")
    print(report(run(argv or None)))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
