"""syria-archive: crawl Middle East news outlets for coverage of Syria and archive it."""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("syria-archive")
except PackageNotFoundError:  # running from a source tree that is not installed
    __version__ = "0.0.0"
