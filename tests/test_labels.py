"""The hand labels of ``tests/labels/`` (written before the code): every relevance variant
and hard negative, English and Arabic, and every date form the outlets write."""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any

import pytest

from crawler.extract.dates import date_from_url, read_date, url_date
from pipelines.relevance import mentions, terms

LABELS = Path(__file__).resolve().parent / "labels"


def _rows(file: str, kind: str) -> list[dict[str, Any]]:
    return tomllib.loads((LABELS / file).read_text(encoding="utf-8"))[kind]


MATCH = _rows("relevance.toml", "match")
NO_MATCH = _rows("relevance.toml", "no_match")
DATES = _rows("dates.toml", "date")
URLS = _rows("dates.toml", "url")


@pytest.mark.parametrize("row", MATCH, ids=[r["text"][:40] for r in MATCH])
def test_relevance_variant(row: dict[str, Any]) -> None:
    assert mentions(row["text"]) >= 1, row["text"]
    assert row["term"] in terms(row["text"]), (row["text"], terms(row["text"]))


@pytest.mark.parametrize("row", NO_MATCH, ids=[r["text"][:40] for r in NO_MATCH])
def test_relevance_hard_negative(row: dict[str, Any]) -> None:
    assert mentions(row["text"]) == 0, (row["why"], terms(row["text"]))


@pytest.mark.parametrize("row", DATES, ids=[r["text"][:40] for r in DATES])
def test_date_form(row: dict[str, Any]) -> None:
    value = read_date(row["text"])
    if not row["expect"]:
        assert value is None, (row["text"], value)
        return
    assert value is not None, row["text"]
    assert (value.isoformat(), value.precision) == (row["expect"], row["precision"])


@pytest.mark.parametrize("row", URLS, ids=[r["url"][8:48] for r in URLS])
def test_url_date(row: dict[str, Any]) -> None:
    value = url_date(row["url"])
    if not row["expect"]:
        assert value is None and date_from_url(row["url"]) is None
        return
    assert value is not None and (value.isoformat(), value.precision) == (
        row["expect"], row["precision"])
    assert date_from_url(row["url"]) == row["expect"]


def test_labels_cover_every_form() -> None:
    # a label table that lost its rows would pass every test above
    assert len(MATCH) >= 100 and len(NO_MATCH) >= 40 and len(DATES) >= 60 and len(URLS) >= 6
    assert sum(1 for r in MATCH if any("\u0600" <= c <= "\u06ff" for c in r["text"])) >= 40
