"""Shared fixtures: the mirror of saved outlet pages on 127.0.0.1, and one crawl
of every outlet through it (session-scoped: the crawl runs once per test run)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tomllib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from crawler import demo
from crawler.demo import proxy_env

ROOT = Path(__file__).resolve().parent.parent
MIRROR_PAGES = ROOT / "crawler" / "mirror" / "pages"
# The shared test data beside the project (SYRIA_ARCHIVE_SHARED names another place).
SHARED = Path(os.environ.get("SYRIA_ARCHIVE_SHARED") or ROOT.parent / "shared")


def has_shared(path: Path = SHARED) -> bool:
    """Whether ``path`` (under ../shared) is there.  Without it a test may do less, but
    never silently in CI: with ``CI`` set a missing ../shared fails the test."""
    if path.exists():
        return True
    if os.environ.get("CI"):
        pytest.fail(f"{path} not found: the shared test data (../shared) must be beside the "
                    "project when CI is set")
    return False


def need_shared(path: Path = SHARED) -> Path:
    """``path`` under ../shared; a test that needs it skips without it, and fails when
    ``CI`` is set (so CI never goes green with the independent checks gone)."""
    if not has_shared(path):
        pytest.skip(f"{path} not found: ../shared is not beside the project")
    return path


@dataclass
class Mirror:
    proxy: str
    log: Path
    process: subprocess.Popen[str]

    def env(self, **extra: str) -> dict[str, str]:
        return {**proxy_env(self.proxy), **extra}

    def requested(self) -> list[dict[str, Any]]:
        return [json.loads(line) for line in self.log.read_text().splitlines() if line]


def start_mirror(pages: Path, log: Path) -> Mirror:
    # The mirror prints its URL once the port is bound: no sleeping, no polling.
    proc, proxy = demo.start_mirror(pages, log)
    return Mirror(proxy=proxy, log=log, process=proc)


@pytest.fixture(scope="session")
def mirror(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Mirror]:
    log = tmp_path_factory.mktemp("mirror") / "requests.jsonl"
    m = start_mirror(MIRROR_PAGES, log)
    yield m
    m.process.terminate()
    m.process.wait(timeout=30)


def run_cli(*args: str, env: dict[str, str] | None = None,
            timeout: float = 600) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "crawler.cli", *args], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=timeout)


FAST = ["-s", "DOWNLOAD_DELAY=0", "-s", "AUTOTHROTTLE_ENABLED=False"]


@dataclass
class CrawlResult:
    data: Path
    proc: subprocess.CompletedProcess[str]
    items: list[dict[str, Any]]
    report: dict[str, Any]
    requested: list[dict[str, Any]]


def read_items(data: Path) -> list[dict[str, Any]]:
    items = []
    for f in sorted((data / "items").glob("*.jsonl")):
        items += [json.loads(line) for line in f.read_text(encoding="utf-8").splitlines() if line]
    return items


def crawl(mirror: Mirror, data: Path, *args: str) -> CrawlResult:
    before = len(mirror.requested()) if mirror.log.exists() else 0
    proc = run_cli("crawl", "--data", str(data), *FAST, *args, env=mirror.env())
    reports = sorted((data / "reports").glob("crawl-*.json"))
    assert reports, f"no report written; stderr:\n{proc.stderr[-3000:]}"
    return CrawlResult(data=data, proc=proc, items=read_items(data),
                       report=json.loads(reports[-1].read_text()),
                       requested=mirror.requested()[before:])


@pytest.fixture(scope="session")
def full_crawl(mirror: Mirror, tmp_path_factory: pytest.TempPathFactory) -> CrawlResult:
    """Every outlet of the registry, crawled once through the mirror."""
    return crawl(mirror, tmp_path_factory.mktemp("full") / "data")


def load_routes(outlet_id: str) -> list[dict[str, Any]]:
    path = MIRROR_PAGES / outlet_id / "routes.toml"
    return tomllib.loads(path.read_text(encoding="utf-8"))["route"]
