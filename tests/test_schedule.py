"""`syria-archive schedule`: a cron line per cadence of the enabled outlets, the README's
cron section is exactly what it prints, and --install/--remove change a real crontab
(Debian's crontab, for a throwaway user) idempotently, leaving other lines alone."""

from __future__ import annotations

import os
import pwd
import secrets
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from conftest import ROOT, run_cli

from crawler.registry import Registry

DATA = "/srv/syria-archive/data"
EXE = "/srv/syria-archive/.venv/bin/syria-archive"


def clean_env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items()
           if k not in ("SYRIA_ARCHIVE_S3", "SYRIA_ARCHIVE_OUTLETS", "SYRIA_ARCHIVE_DATA")}
    return {**env, **extra}


def readme_cron_section() -> str:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    block = text[text.index("<!-- schedule:start -->"):text.index("<!-- schedule:end -->")]
    return block.split("```text\n", 1)[1].split("```", 1)[0]


def test_a_line_per_cadence_and_the_readme_shows_exactly_that() -> None:
    proc = run_cli("schedule", "--data", DATA, "--executable", EXE, env=clean_env())
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout == readme_cron_section(), "README's cron section is not what " \
        "`syria-archive schedule --data /srv/syria-archive/data --executable " \
        "/srv/syria-archive/.venv/bin/syria-archive` prints"
    lines = [line for line in proc.stdout.splitlines() if not line.startswith("#")]
    registry = Registry.load()
    cadences = sorted({o.cadence for o in registry.enabled()})
    assert len(lines) == len(cadences) == 2
    hourly = next(line for line in lines if "--cadence hourly" in line)
    assert hourly.startswith("15 * * * * ") and f"--quiet --data {DATA}" in hourly
    assert "# hourly: sana-en" in proc.stdout
    with_s3 = run_cli("schedule", "--data", DATA, "--executable", EXE, "--s3",
                      "s3://archive/syria", env=clean_env())
    assert all(line.endswith("--s3 s3://archive/syria") for line in
               with_s3.stdout.splitlines() if not line.startswith("#"))
    bad = run_cli("schedule", "--s3", "http://not-s3", env=clean_env())
    assert bad.returncode == 2 and "--s3" in bad.stderr


@pytest.fixture
def cron_user() -> Iterator[str]:
    """A throwaway account whose crontab the test may change (needs root, as CI has)."""
    if os.geteuid() != 0:
        pytest.fail("the crontab test makes a throwaway user: it needs root (CI has it)")
    name = f"sa-cron-{secrets.token_hex(3)}"
    subprocess.run(["useradd", "--no-create-home", "--shell", "/usr/sbin/nologin", name],
                   check=True, capture_output=True)
    try:
        yield name
    finally:
        subprocess.run(["crontab", "-r", "-u", name], capture_output=True)
        subprocess.run(["userdel", name], check=True, capture_output=True)


def crontab(user: str) -> str:
    return subprocess.run(["crontab", "-l", "-u", user], capture_output=True, text=True,
                          check=True).stdout


def test_install_twice_changes_nothing_and_remove_leaves_other_lines(cron_user: str,
                                                                     tmp_path: Path) -> None:
    pwd.getpwnam(cron_user)
    theirs = "0 6 * * 1 /usr/local/bin/backup-photos\n"
    subprocess.run(["crontab", "-u", cron_user, "-"], input=theirs, text=True, check=True)
    data = str(tmp_path / "data")
    args = ("schedule", "--install", "--user", cron_user, "--data", data, "--executable", EXE)
    first = run_cli(*args, env=clean_env())
    assert first.returncode == 0, first.stderr
    assert f"installed in the crontab of {cron_user}" in first.stderr
    installed = crontab(cron_user)
    assert installed == theirs + "\n" + first.stdout
    assert f"{EXE} nightly --cadence nightly --quiet --data {data}" in installed
    again = run_cli(*args, env=clean_env())
    assert again.returncode == 0 and "already installed" in again.stderr
    assert crontab(cron_user) == installed
    # another archive of the same user gets a block of its own
    other = run_cli("schedule", "--install", "--user", cron_user, "--data",
                    str(tmp_path / "other"), "--executable", EXE, env=clean_env())
    assert other.returncode == 0 and crontab(cron_user).count("# BEGIN syria-archive") == 2
    removed = run_cli("schedule", "--remove", "--user", cron_user, "--data", data,
                      "--executable", EXE, env=clean_env())
    assert removed.returncode == 0 and "removed from" in removed.stderr
    left = crontab(cron_user)
    assert left.startswith(theirs) and data + "\n" not in left and str(tmp_path / "other") in left
    nobody = run_cli("schedule", "--install", "--user", "no-such-user-x", env=clean_env())
    assert nobody.returncode == 1 and "crontab" in nobody.stderr
