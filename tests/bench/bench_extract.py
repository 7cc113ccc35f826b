"""Extraction accuracy: ours beside plain trafilatura, trafilatura's precision mode and
readability-lxml, on the same pages in the same process.

Reads real pages with ground truth made by others from ``../shared/data/extraction``
(never copied into the repository): Zyte's article-extraction benchmark, Fundus,
Mozilla Readability, newspaper4k and trafilatura's evaluation set.  Those are the
accuracy figures.  The project's own saved outlet pages are scored against their
golden files (``tests/expected``), which our extractor wrote: a **regression check**
(``own-regression``), printed apart and never counted in the totals.

Body precision, recall and F1 are token level as the Zyte article-extraction benchmark
defines them: ``\\w+`` tokens, shingles of four, true/false positives and false
negatives per page normalised by their sum, precision and recall averaged over pages
and F1 taken from the two averages.  Title (same words), date (same calendar day) and
author (same set of names, a leading "By"/"Par"/"Von" left out) accuracy count only
pages whose ground truth has the field; readability-lxml gives no dates or authors.

Run: ``make bench-extract`` (or ``python tests/bench/bench_extract.py [DATASET...]``).
"""

from __future__ import annotations

import ast
import gzip
import json
import os
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
# ../shared beside the project (SYRIA_ARCHIVE_SHARED names another place)
SHARED = Path(os.environ.get("SYRIA_ARCHIVE_SHARED") or ROOT.parent / "shared")
SHARED = SHARED / "data" / "extraction"
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


# Readability's ground truth is the raw byline ("By Erin Cunningham", "Par ..."): the word
# that introduces a byline is not part of a name, for any extractor.
_BYLINE_WORD = re.compile(r"^\s*(?:by|par|von|por)\s+", re.I)


def same_authors(true: list[str], pred: list[str]) -> bool:
    def names(values: list[str]) -> list[str]:
        return sorted(norm(_BYLINE_WORD.sub("", v)) for v in values)
    return names(true) == names(pred)


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
    """The project's saved outlet pages against their golden files: a regression check
    (the golden files were written by our extractor), never an accuracy figure."""
    expected = ROOT / "tests" / "expected"
    for path in sorted(expected.glob("*/*.json")):
        exp = json.loads(path.read_text(encoding="utf-8"))
        page = ROOT / "crawler" / "mirror" / "pages" / exp["_page"]
        yield Page(OWN, exp["_page"], page.read_bytes(), exp["url"],
                   body="\n".join(exp["body"]), title=exp["title"], date=exp.get("published"),
                   authors=exp.get("authors"), language=exp.get("language"))


OWN = "own-regression"
DATASETS: dict[str, Callable[[], Iterator[Page]]] = {
    "zyte-aeb": zyte, "fundus": fundus, "readability": readability,
    "newspaper4k": newspaper4k, "trafilatura-eval": trafilatura_eval, OWN: own_pages,
}
#: The datasets whose ground truth was made independently of our code.
INDEPENDENT = tuple(d for d in DATASETS if d != OWN)


# -- the extractors ----------------------------------------------------------------------

_NOTHING: dict[str, Any] = {"body": "", "title": None, "published": None, "authors": []}


def ours(page: Page) -> dict[str, Any]:
    from crawler.extract.article import extract_page
    from crawler.extract.page import ExtractionError
    from crawler.items import ArticleLoader
    from pipelines.clean import clean_article
    try:
        fields = extract_page(page.html, page.url)
    except ExtractionError:
        return {**_NOTHING, "language": None}
    loader = ArticleLoader()
    for name, value in fields.items():
        loader.add_value(name, value)
    item = clean_article(dict(loader.load_item()))
    return {"body": "\n".join(item.get("body") or []), "title": item.get("title"),
            "published": item.get("published"), "authors": item.get("authors") or [],
            "language": fields.get("language")}


def _trafilatura(page: Page, precision: bool) -> dict[str, Any]:
    import trafilatura

    from crawler.extract.page import ExtractionError, decode_html
    try:
        html = decode_html(page.html)
    except ExtractionError:
        return dict(_NOTHING)
    doc = trafilatura.bare_extraction(html, url=page.url or None, with_metadata=True,
                                      favor_precision=precision)
    if doc is None:
        return dict(_NOTHING)
    return {"body": doc.text or "", "title": doc.title, "published": doc.date,
            "authors": [a.strip() for a in (doc.author or "").split(";") if a.strip()]}


def plain_trafilatura(page: Page) -> dict[str, Any]:
    return _trafilatura(page, precision=False)


def precise_trafilatura(page: Page) -> dict[str, Any]:
    return _trafilatura(page, precision=True)


def readability_lxml(page: Page) -> dict[str, Any]:
    import lxml.html
    from readability import Document

    from crawler.extract.page import ExtractionError, decode_html
    try:
        doc = Document(decode_html(page.html))
        summary = doc.summary(html_partial=True)
        title = doc.short_title()
    except (ExtractionError, ValueError, TypeError, lxml.etree.ParserError):
        return {**_NOTHING, "no_metadata": True}
    root = lxml.html.fromstring(summary) if summary.strip() else None
    body = "\n".join(t.strip() for t in root.itertext() if t.strip()) if root is not None else ""
    # readability-lxml reads no dates or authors: not measured, not counted as wrong
    return {"body": body, "title": title, "published": None, "authors": [], "no_metadata": True}


EXTRACTORS = {"ours": ours, "trafilatura": plain_trafilatura,
              "trafilatura-precision": precise_trafilatura, "readability-lxml": readability_lxml}


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
        if page.date and not out.get("no_metadata"):
            self.date.append(same_day(page.date, out["published"]))
        if page.authors and not out.get("no_metadata"):
            self.authors.append(same_authors(page.authors, out["authors"]))
        text = norm(out["body"])
        for s in page.must_have:
            self.snippets.append(norm(s) in text)
        for s in page.must_not:
            self.snippets.append(norm(s) not in text)


def run(datasets: list[str] | None = None,
        progress: bool = False) -> dict[tuple[str, str, str], Tally]:
    """Per (dataset, language, extractor) tallies; language "" holds the timings."""
    tallies: dict[tuple[str, str, str], Tally] = defaultdict(Tally)
    for name, load in DATASETS.items():
        if datasets and name not in datasets:
            continue
        if name != OWN and not SHARED.is_dir():
            continue
        for n, page in enumerate(load(), 1):
            if progress:
                print(f"\r{name}: {n} pages", end="", file=sys.stderr, flush=True)
            results = {}
            for ext_name, extractor in EXTRACTORS.items():
                start = time.perf_counter()
                results[ext_name] = extractor(page)
                tallies[(name, "", ext_name)].seconds += time.perf_counter() - start
            language = page.language or results["ours"].get("language") or "?"
            language = language.split("-")[0].lower()
            for ext_name, out in results.items():
                tallies[(name, language, ext_name)].add(page, out)
        if progress:
            print(file=sys.stderr)
    return tallies


def merged(tallies: dict[tuple[str, str, str], Tally], datasets: tuple[str, ...] | str,
           extractor: str) -> Tally:
    """One tally over the languages of ``datasets`` for one extractor."""
    names = (datasets,) if isinstance(datasets, str) else datasets
    out = Tally()
    for (d, lang, e), t in tallies.items():
        if d in names and e == extractor:
            if lang:
                out.body += t.body
                out.title += t.title
                out.date += t.date
                out.authors += t.authors
                out.snippets += t.snippets
            else:
                out.seconds += t.seconds
    return out


def body_standing(tallies: dict[tuple[str, str, str], Tally],
                  dataset: str) -> tuple[str, float, str, float]:
    """(measure, our score, the best other tool, its score) for a dataset's body: F1, or
    the share of snippets right where the ground truth gives only snippets."""
    def value(ext: str) -> float:
        t = merged(tallies, dataset, ext)
        if t.body:
            return prf(t.body)[2]
        return sum(t.snippets) / len(t.snippets) if t.snippets else 0.0
    measure = "F1" if merged(tallies, dataset, "ours").body else "snippets"
    others = {e: value(e) for e in EXTRACTORS if e != "ours"}
    best = max(others, key=lambda e: others[e])
    return measure, value("ours"), best, others[best]


def _pct(values: list[bool]) -> str:
    if not values:
        return "-"
    return f"{100 * sum(values) / len(values):5.1f}% ({sum(values)}/{len(values)})"


def _row(label: str, lang: str, ext: str, t: Tally, seconds: bool = False) -> str:
    p, r, f1 = prf(t.body) if t.body else (0.0, 0.0, 0.0)
    body = f"{p:7.3f}{r:7.3f}{f1:7.3f}" if t.body else f"{'-':>7}{'-':>7}{'-':>7}"
    line = (f"{label:<17}{lang:<5}{ext:<22}{len(t.body) or '':>6}{body}  "
            f"{_pct(t.title):<17}{_pct(t.date):<17}{_pct(t.authors):<17}{_pct(t.snippets):<17}")
    return line + (f"{t.seconds:7.1f} s" if seconds else "")


def environment() -> str:
    """Date, machine and versions, printed above the figures."""
    import platform
    from datetime import UTC, datetime
    from importlib.metadata import PackageNotFoundError, version

    versions = []
    for dist in ("syria-archive", "trafilatura", "readability-lxml", "htmldate", "lxml"):
        try:
            versions.append(f"{dist} {version(dist)}")
        except PackageNotFoundError:
            versions.append(f"{dist} -")
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return (f"{datetime.now(UTC):%Y-%m-%d %H:%M} UTC; {cpu}, {os.cpu_count()} cores; "
            f"Python {platform.python_version()}; " + ", ".join(versions))


def report(tallies: dict[tuple[str, str, str], Tally]) -> str:
    header = (f"{'dataset':<17}{'lang':<5}{'extractor':<22}{'pages':>6}{'P':>7}{'R':>7}"
              f"{'F1':>7}  {'title':<17}{'date':<17}{'authors':<17}{'snippets':<17}")
    lines = ["Per dataset and language:", header]
    for (dataset, lang, ext), t in sorted(tallies.items()):
        if lang:
            lines.append(_row(dataset, lang, ext, t))
    present = sorted({d for d, _, _ in tallies})
    lines += ["", "Per dataset (independent ground truth; own-regression is a regression "
              "check, not accuracy):", header + "   time"]
    for dataset in [d for d in DATASETS if d in present]:
        for ext in EXTRACTORS:
            lines.append(_row(dataset, "all", ext, merged(tallies, dataset, ext), seconds=True))
    independent = tuple(d for d in INDEPENDENT if d in present)
    if independent:
        lines += ["", "All independent datasets (" + ", ".join(independent) + "):", header]
        for ext in EXTRACTORS:
            lines.append(_row("independent", "all", ext, merged(tallies, independent, ext)))
        lines += ["", "Body, ours against the best other tool, per dataset (F1; snippets where "
                  "the ground truth gives only snippets):"]
        for dataset in independent:
            measure, ours_score, best, best_score = body_standing(tallies, dataset)
            verdict = "at or above" if ours_score >= best_score - 1e-9 else "BELOW"
            lines.append(f"  {dataset:<17} {measure:<8} ours {ours_score:.3f}  best other "
                         f"{best_score:.3f} ({best}): {verdict}")
    return "\n".join(lines)


def main(argv: list[str]) -> int:
    print(environment())
    if not SHARED.is_dir():
        print(f"{SHARED} not found: only the project's own saved pages (a regression check) "
              "are measured")
    print(report(run(argv or None, progress=True)))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
