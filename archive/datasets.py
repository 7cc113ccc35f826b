"""Reading a file of articles back: the datasets ``export`` writes, or any like them.

JSON Lines (``.jsonl``, ``.ndjson``, ``.json``; ``.gz`` compressed too), CSV and
Parquet, one article per line or row, with at least ``url`` and ``text`` (or
``body``, a list of paragraphs or a string).  A bad line is reported with its file
and line number.  No settings are read here.
"""

from __future__ import annotations

import csv
import gzip
import json
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any

FORMATS = ("jsonl", "csv", "parquet")
_SUFFIXES = {".jsonl": "jsonl", ".ndjson": "jsonl", ".json": "jsonl", ".csv": "csv",
             ".parquet": "parquet"}


class DatasetError(ValueError):
    """A file of articles cannot be read; the message names the file and line."""


def dataset_format(path: Path, given: str | None = None) -> str:
    """The format named, or the one the file name says."""
    if given:
        if given not in FORMATS:
            raise DatasetError(f"unknown format {given!r} (one of {', '.join(FORMATS)})")
        return given
    suffixes = path.suffixes[-2:] if path.suffix == ".gz" else path.suffixes[-1:]
    fmt = _SUFFIXES.get(suffixes[0].lower()) if suffixes else None
    if fmt is None:
        raise DatasetError(f"{path}: cannot tell the format from the name; give --format "
                           f"({', '.join(FORMATS)})")
    return fmt


def article_text(article: dict[str, Any]) -> str:
    """An article's text: ``text``, else its ``body`` paragraphs."""
    text = article.get("text")
    if isinstance(text, str) and text.strip():
        return text
    body = article.get("body")
    if isinstance(body, list):
        return "\n\n".join(str(p) for p in body if p)
    return body if isinstance(body, str) else ""


def _check(article: Any, where: str) -> dict[str, Any]:
    if not isinstance(article, dict):
        raise DatasetError(f"{where}: not an article (a JSON object), but "
                           f"{type(article).__name__}")
    url = article.get("url")
    if not isinstance(url, str) or not url.startswith(("http://", "https://")):
        raise DatasetError(f"{where}: field 'url' must be an http(s) URL, not {url!r}")
    if "text" not in article and "body" not in article:
        raise DatasetError(f"{where}: {url}: no 'text' or 'body' field")
    return article


def _open_text(path: Path) -> IO[str]:
    if path.suffix == ".gz":
        return gzip.open(path, "rt", encoding="utf-8")
    return path.open(encoding="utf-8")


def _rows(path: Path, fmt: str) -> Iterator[tuple[str, Any]]:
    if fmt == "jsonl":
        with _open_text(path) as f:
            for n, line in enumerate(f, 1):
                if not line.strip():
                    continue
                try:
                    yield f"{path}:{n}", json.loads(line)
                except json.JSONDecodeError as exc:
                    raise DatasetError(f"{path}:{n}: not JSON: {exc}") from None
    elif fmt == "csv":
        with _open_text(path) as f:
            csv.field_size_limit(64 * 1024 * 1024)  # article texts are long fields
            for n, row in enumerate(csv.DictReader(f), 2):
                yield f"{path}:{n}", {k: (v if v != "" else None) for k, v in row.items()}
    else:
        import pyarrow as pa
        import pyarrow.parquet as pq

        try:
            table = pq.read_table(path)
        except (pa.ArrowException, OSError) as exc:
            raise DatasetError(f"{path}: not a readable Parquet file: {exc}") from None
        for n, row in enumerate(table.to_pylist(), 1):
            yield f"{path}: row {n}", row


def iter_articles(path: Path, fmt: str | None = None) -> Iterator[dict[str, Any]]:
    """The articles of the file, one at a time, each checked; :class:`DatasetError`
    names the first bad one.  Read the file twice (once to check it whole, once to
    use it) to keep memory flat and to see a bad line before acting on any."""
    if str(path) == "-":
        raise DatasetError("standard input cannot be read twice: copy it to a file first")
    fmt = dataset_format(path, fmt)
    if not path.is_file():
        raise DatasetError(f"no such file: {path}")
    try:
        for where, row in _rows(path, fmt):
            yield _check(row, where)
    except UnicodeDecodeError as exc:
        raise DatasetError(f"{path}: not UTF-8 text: {exc}") from None
    except (OSError, EOFError, csv.Error) as exc:
        raise DatasetError(f"{path}: cannot be read: {exc}") from None
