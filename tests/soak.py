"""``make soak``: the kill-anywhere trials at length (100 by default), printed.

Starts the mirror and moto's S3 server on 127.0.0.1, makes one uninterrupted
reference crawl, then runs each trial (a crawl killed with SIGKILL at a seeded
random moment, then run again to the end) in a fresh data directory, and
prints trials, records checked and records lost, with the date and machine.
Exit 1 when a record was lost or an archive failed a check.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from faults import items, kill_trial, timed_crawl  # noqa: E402
from test_faults_kill import OUTLETS, SEED  # noqa: E402
from test_s3 import FaultyS3, aws_env, client  # noqa: E402

from crawler.demo import proxy_env, start_mirror  # noqa: E402
from crawler.mirror.server import default_pages, url_key  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--trials", type=int, default=100)
    parser.add_argument("--seed", type=int, default=SEED)
    parser.add_argument("--json", metavar="FILE", help="also write the figures here")
    args = parser.parse_args()
    mirror, proxy = start_mirror(default_pages())
    s3 = FaultyS3()
    s3.start()
    client(s3.endpoint).create_bucket(Bucket="soak")
    started = time.monotonic()
    try:
        with tempfile.TemporaryDirectory(prefix="soak-") as tmp:
            work = Path(tmp)
            env = aws_env(s3.endpoint, "s3://soak/reference", proxy_env(proxy))
            reference, seconds = timed_crawl(work / "reference", OUTLETS, env)
            if reference.returncode != 0:
                print(reference.stderr[-3000:], file=sys.stderr)
                return 1
            urls = {url_key(i["url"]) for i in items(work / "reference")}
            rng = random.Random(args.seed)
            checked = lost = killed = failed = 0
            for n in range(args.trials):
                env = aws_env(s3.endpoint, f"s3://soak/trial-{n}", proxy_env(proxy))
                trial = kill_trial(work / f"trial-{n}", OUTLETS, env, rng, seconds, urls,
                                   args.seed)
                checked += trial.check.records
                lost += len(trial.check.lost)
                killed += trial.killed
                if trial.check.problems or trial.check.lost:
                    failed += 1
                    print(f"trial {n} (killed at {trial.moment} s): lost "
                          f"{trial.check.lost} problems {trial.check.problems}", flush=True)
                how = f"killed at {trial.moment:.2f} s" if trial.killed else "ran to the end"
                print(f"trial {n + 1}/{args.trials}: {how}, {trial.check.records} records "
                      f"checked, {len(trial.check.lost)} lost", flush=True)
    finally:
        s3.stop()
        mirror.terminate()
        mirror.wait(timeout=30)
    figures = {
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": f"{platform.node()} ({os.cpu_count()} cores, {platform.platform()})",
        "seed": args.seed, "outlets": OUTLETS, "trials": args.trials, "killed": killed,
        "records_checked": checked, "records_lost": lost, "trials_failed": failed,
        "minutes": round((time.monotonic() - started) / 60, 1),
    }
    print(f"soak {figures['date']} on {figures['machine']}: trials {args.trials} "
          f"({killed} killed mid-run), records checked {checked}, records lost {lost}, "
          f"trials failing a check {failed}")
    if args.json:
        Path(args.json).parent.mkdir(parents=True, exist_ok=True)
        Path(args.json).write_text(json.dumps(figures, indent=2) + "\n", encoding="utf-8")
    return 1 if lost or failed else 0


if __name__ == "__main__":
    sys.exit(main())
