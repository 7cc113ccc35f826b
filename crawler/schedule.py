"""Cron lines for ``syria-archive nightly``: one per cadence of the enabled outlets.

:func:`cron_block` writes the lines (a block between two marker comments that name the
data directory, so that one user can schedule several archives); :func:`install` puts
the block into a user's crontab through the ``crontab`` program, replacing the block of
the same data directory and leaving every other line alone, so installing twice
changes nothing.  Each line runs ``nightly --cadence C --quiet``: cron mails its output,
and a quiet run prints only when something is wrong; the whole log goes to the
rotating ``DATA/logs/nightly.log``.

Reads no settings: the registry (``SYRIA_ARCHIVE_OUTLETS``) and the options of the
``schedule`` command.
"""

from __future__ import annotations

import shlex
import subprocess
from collections.abc import Iterable
from pathlib import Path

from crawler.registry import CADENCES, Outlet

# When each cadence runs (the machine's local time): hourly past the quarter, nightly
# in the small hours when the outlets' own traffic is lowest, weekly on Sunday.
CRON_TIMES = {"hourly": "15 * * * *", "nightly": "30 2 * * *", "weekly": "45 3 * * 0"}
assert set(CRON_TIMES) == set(CADENCES)


class ScheduleError(RuntimeError):
    """The crontab could not be read or written; the message says why."""


def _markers(data_dir: Path) -> tuple[str, str]:
    return (f"# BEGIN syria-archive {data_dir}", f"# END syria-archive {data_dir}")


def cron_block(outlets: Iterable[Outlet], data_dir: Path, executable: str,
               s3: str | None = None, registry_paths: str | None = None) -> list[str]:
    """The crontab lines that run ``nightly`` for each cadence the enabled outlets have."""
    by_cadence: dict[str, list[str]] = {}
    for outlet in outlets:
        if outlet.enabled:
            by_cadence.setdefault(outlet.cadence, []).append(outlet.id)
    begin, end = _markers(data_dir)
    lines = [begin,
             "# Written by `syria-archive schedule --install`; the log is "
             f"{data_dir / 'logs' / 'nightly.log'} (rotated).",
             "# Cron mails what a run prints: a --quiet run prints only when it exits "
             "non-zero."]
    env = f"SYRIA_ARCHIVE_OUTLETS={shlex.quote(registry_paths)} " if registry_paths else ""
    for cadence in CADENCES:
        ids = by_cadence.get(cadence)
        if not ids:
            continue
        command = [executable, "nightly", "--cadence", cadence, "--quiet", "--data",
                   str(data_dir)]
        if s3:
            command += ["--s3", s3]
        lines.append(f"# {cadence}: {' '.join(ids)}")
        lines.append(f"{CRON_TIMES[cadence]} {env}{shlex.join(command)}")
    lines.append(end)
    return lines


def _crontab(args: list[str], user: str | None, text: str | None = None) -> \
        subprocess.CompletedProcess[str]:
    command = ["crontab", *(["-u", user] if user else []), *args]
    try:
        return subprocess.run(command, input=text, capture_output=True, text=True, timeout=60)
    except FileNotFoundError:
        raise ScheduleError("the crontab program is not installed (Debian: apt-get install "
                            "cron)") from None


def current_crontab(user: str | None = None) -> str:
    proc = _crontab(["-l"], user)
    if proc.returncode != 0:
        if "no crontab for" in proc.stderr:
            return ""
        raise ScheduleError(f"crontab -l: {proc.stderr.strip() or proc.returncode}")
    return proc.stdout


def without_block(text: str, data_dir: Path) -> str:
    """The crontab without this data directory's block."""
    begin, end = _markers(data_dir)
    out, inside = [], False
    for line in text.splitlines():
        if line == begin:
            inside = True
        elif inside and line == end:
            inside = False
        elif not inside:
            out.append(line)
    return "\n".join(out).rstrip("\n") + ("\n" if out else "")


def install(block: list[str], data_dir: Path, user: str | None = None,
            remove: bool = False) -> bool:
    """Put ``block`` into the crontab (or take this data directory's block out, with
    ``remove``).  Returns whether the crontab changed."""
    before = current_crontab(user)
    rest = without_block(before, data_dir)
    after = rest if remove else rest + ("\n" if rest.strip() else "") + "\n".join(block) + "\n"
    if not after.strip():
        after = ""
    if after == before:
        return False
    proc = _crontab(["-"], user, after)
    if proc.returncode != 0:
        raise ScheduleError(f"crontab -: {proc.stderr.strip() or proc.returncode}")
    return True
