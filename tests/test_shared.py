"""Tests that read ../shared (real third-party pages, feeds, the seed case) skip without it
on a developer's machine, and fail when ``CI`` is set: CI never goes green with the
independent checks gone."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from conftest import ROOT

NEEDS_SHARED = ["tests/test_discovery.py", "tests/test_clean.py", "tests/test_extract_bench.py"]


def _pytest(tmp_path: Path, **env: str) -> subprocess.CompletedProcess[str]:
    environ = {k: v for k, v in os.environ.items() if k != "CI"}
    environ.update(SYRIA_ARCHIVE_SHARED=str(tmp_path / "no-shared"), **env)
    return subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider",
                           *NEEDS_SHARED], cwd=ROOT, env=environ, capture_output=True,
                          text=True, timeout=300)


def test_without_shared_they_skip_and_in_ci_they_fail(tmp_path: Path) -> None:
    local = _pytest(tmp_path)
    assert local.returncode == 0, local.stdout[-2000:]
    assert " skipped" in local.stdout and " failed" not in local.stdout
    ci = _pytest(tmp_path, CI="true")
    assert ci.returncode == 1, ci.stdout[-2000:]
    assert "must be beside the project when CI is set" in ci.stdout
    assert " skipped" not in ci.stdout.splitlines()[-1]
