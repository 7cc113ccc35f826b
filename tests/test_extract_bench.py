"""Accuracy floors on real pages with ground truth (skipped without ../shared)."""

from __future__ import annotations

import pytest
from bench.bench_extract import SHARED, prf, run


@pytest.fixture(scope="module")
def tallies():
    if not SHARED.is_dir():
        pytest.skip(f"{SHARED} not present")
    return run(["zyte-aeb", "fundus", "newspaper4k", "readability", "trafilatura-eval"])


def _merged(tallies, dataset: str | None, ext: str, attr: str) -> list:
    return [x for (d, lang, e), t in tallies.items() if lang and e == ext
            and (dataset is None or d == dataset) for x in getattr(t, attr)]


def test_zyte_body_f1_at_least_trafilatura(tallies) -> None:
    ours = prf(_merged(tallies, "zyte-aeb", "ours", "body"))[2]
    plain = prf(_merged(tallies, "zyte-aeb", "trafilatura", "body"))[2]
    assert ours >= plain and ours > 0.95


def test_date_accuracy_above_90_percent(tallies) -> None:
    dates = _merged(tallies, None, "ours", "date")
    assert len(dates) > 30 and sum(dates) / len(dates) > 0.9
