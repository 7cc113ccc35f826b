"""Running a command and measuring it from outside: wall time, CPU and memory of its whole
process tree (the crawl and its extraction workers), read from ``/proc`` every tenth of a
second, and a count of lines written to its export as it runs."""

from __future__ import annotations

import os
import subprocess
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

TICK = os.sysconf("SC_CLK_TCK")
PAGE = os.sysconf("SC_PAGE_SIZE")


@dataclass
class Measured:
    returncode: int
    wall_s: float
    cpu_s: float
    cpu_main_s: float  # of the command's own process (the crawl's reactor), the rest apart
    peak_rss_mb: float
    processes: int
    # peak RSS of the tree (MB) by the time the export reached each mark (lines)
    rss_at: dict[int, float] = field(default_factory=dict)
    lines: int = 0
    stderr_tail: str = ""


def _stat(pid: int) -> tuple[int, int, int] | None:
    """(parent pid, CPU ticks user+system, RSS bytes) of a live process."""
    try:
        raw = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    fields = raw[raw.rindex(")") + 2:].split()
    return int(fields[1]), int(fields[11]) + int(fields[12]), int(fields[21]) * PAGE


def process_cpu(pids: list[int]) -> float:
    """CPU seconds used so far by these processes."""
    return sum(s[1] for p in pids if (s := _stat(p)) is not None) / TICK


def _tree(root: int) -> dict[int, tuple[int, int, int]]:
    stats = {}
    for entry in os.scandir("/proc"):
        if entry.name.isdigit():
            s = _stat(int(entry.name))
            if s is not None:
                stats[int(entry.name)] = s
    family = {root}
    grew = True
    while grew:
        grew = False
        for pid, (ppid, _, _) in stats.items():
            if ppid in family and pid not in family:
                family.add(pid)
                grew = True
    return {pid: stats[pid] for pid in family if pid in stats}


class LineCounter:
    """Lines appended so far to the files a glob names (reads only what is new)."""

    def __init__(self, pattern: Callable[[], list[Path]]) -> None:
        self.pattern = pattern
        self.offsets: dict[Path, int] = {}
        self.lines = 0

    def count(self) -> int:
        for path in self.pattern():
            try:
                with path.open("rb") as fh:
                    fh.seek(self.offsets.get(path, 0))
                    chunk = fh.read()
            except OSError:
                continue
            self.offsets[path] = self.offsets.get(path, 0) + len(chunk)
            self.lines += chunk.count(b"\n")
        return self.lines


def run(cmd: list[str], *, env: dict[str, str], cwd: Path, log: Path,
        lines: Callable[[], list[Path]] | None = None, marks: tuple[int, ...] = (),
        interval: float = 0.1, timeout: float = 7200) -> Measured:
    """Run ``cmd`` to its end; its output goes to ``log``."""
    counter = LineCounter(lines) if lines else None
    cpu_last: dict[int, int] = {}
    peak, peak_procs = 0, 0
    rss_at: dict[int, float] = {}
    start = time.monotonic()
    with log.open("wb") as out:
        proc = subprocess.Popen(cmd, env=env, cwd=cwd, stdout=out, stderr=subprocess.STDOUT)
        while proc.poll() is None:
            tree = _tree(proc.pid)
            for pid, (_, ticks, _) in tree.items():
                cpu_last[pid] = max(cpu_last.get(pid, 0), ticks)
            rss = sum(s[2] for s in tree.values())
            peak = max(peak, rss)
            peak_procs = max(peak_procs, len(tree))
            if counter is not None:
                done = counter.count()
                for mark in marks:
                    if mark not in rss_at and done >= mark:
                        rss_at[mark] = peak / 1e6
            if time.monotonic() - start > timeout:
                proc.kill()
            time.sleep(interval)
        wall = time.monotonic() - start
    total = counter.count() if counter is not None else 0
    for mark in marks:
        if mark not in rss_at and total >= mark:
            rss_at[mark] = peak / 1e6
    tail = log.read_bytes()[-4000:].decode("utf-8", "replace")
    return Measured(proc.returncode, wall, sum(cpu_last.values()) / TICK,
                    cpu_last.get(proc.pid, 0) / TICK, peak / 1e6, peak_procs, rss_at, total, tail)
