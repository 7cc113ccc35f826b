"""Kill anywhere: crawls through the mirror (with S3 on moto's server) killed with
SIGKILL at seeded random moments, each then run again to the end.  After each: every
WARC passes `warcio check` and FastWARC's digest checks, no `*.open` is left, no
complete record is lost, the articles equal an uninterrupted run's and none is
exported twice, the state databases are whole.  10 trials here; `make soak` runs 100."""

from __future__ import annotations

import random
from pathlib import Path

import pytest
from conftest import Mirror
from faults import items, kill_trial, timed_crawl
from test_s3 import FaultyS3, aws_env, client

from crawler.mirror.server import url_key

OUTLETS = ["sana-en", "mee"]
SEED = 20261129
TRIALS = 10


@pytest.mark.timeout(900)
def test_kill_anywhere(mirror: Mirror, tmp_path: Path) -> None:
    s3 = FaultyS3()
    s3.start()
    client(s3.endpoint).create_bucket(Bucket="kill")
    try:
        reference, seconds = timed_crawl(tmp_path / "reference", OUTLETS,
                                         aws_env(s3.endpoint, "s3://kill/reference",
                                                 mirror.env()))
        assert reference.returncode == 0, reference.stderr[-2000:]
        urls = {url_key(i["url"]) for i in items(tmp_path / "reference")}
        assert urls
        rng = random.Random(SEED)
        trials = []
        for n in range(TRIALS):
            env = aws_env(s3.endpoint, f"s3://kill/trial-{n}", mirror.env())
            trials.append(kill_trial(tmp_path / f"trial-{n}", OUTLETS, env, rng, seconds,
                                     urls, SEED))
    finally:
        s3.stop()
    records = sum(t.check.records for t in trials)
    print(f"trials: {len(trials)} ({sum(t.killed for t in trials)} killed), "
          f"records checked: {records}, records lost: "
          f"{sum(len(t.check.lost) for t in trials)}")
    assert sum(t.killed for t in trials) >= TRIALS // 2  # the moments fall inside the runs
    for t in trials:
        assert not t.check.lost, (t.moment, t.check.lost)
        assert not t.check.problems, (t.moment, t.check.problems)
