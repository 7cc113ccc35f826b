"""Extraction accuracy on real pages with ground truth made by others (../shared), against
trafilatura (plain and precision mode) and readability-lxml in the same run.

Without ../shared these tests skip; with ``CI`` set they fail instead."""

from __future__ import annotations

import pytest
from bench.bench_extract import EXTRACTORS, INDEPENDENT, SHARED, body_standing, merged, prf, run
from conftest import need_shared


@pytest.fixture(scope="module")
def tallies():
    need_shared(SHARED)
    return run(list(INDEPENDENT))


@pytest.mark.parametrize("dataset", INDEPENDENT)
def test_body_at_or_above_the_best_other_tool(tallies, dataset: str) -> None:
    measure, ours, best, theirs = body_standing(tallies, dataset)
    assert ours >= theirs, f"{dataset}: body {measure} {ours:.3f} < {best} {theirs:.3f}"


@pytest.mark.parametrize("dataset", INDEPENDENT)
@pytest.mark.parametrize("field", ["title", "date", "authors"])
def test_metadata_at_or_above_trafilatura(tallies, dataset: str, field: str) -> None:
    ours = getattr(merged(tallies, dataset, "ours"), field)
    for other in EXTRACTORS:
        theirs = getattr(merged(tallies, dataset, other), field)
        if ours and theirs:
            assert sum(ours) / len(ours) >= sum(theirs) / len(theirs) or (
                dataset, field, other) in KNOWN_BEHIND, (dataset, field, other)


# Where another tool reads a field better on a dataset, and why we do not follow it.
KNOWN_BEHIND = {
    # Fundus's ground truth names the outlet or the agency as author ("BBC News",
    # "Associated Press", "ntv.com.tr"); we keep person names only.
    ("fundus", "authors", "trafilatura"), ("fundus", "authors", "trafilatura-precision"),
    # readability-lxml takes the <title> as it stands; newspaper4k's titles come from it.
    ("newspaper4k", "title", "readability-lxml"),
}


def test_overall_floors(tallies) -> None:
    ours = merged(tallies, INDEPENDENT, "ours")
    assert prf(ours.body)[2] > 0.95
    assert len(ours.title) >= 70 and sum(ours.title) / len(ours.title) > 0.88
    assert len(ours.date) >= 55 and sum(ours.date) / len(ours.date) > 0.93
    assert len(ours.authors) >= 55 and sum(ours.authors) / len(ours.authors) > 0.6
