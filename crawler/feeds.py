"""The article export's plumbing: where it goes, and that each line reaches the disk whole.

:func:`uri_params` (``FEED_URI_PARAMS``) gives feed URIs a ``%(data_dir)s``
parameter read from the crawler's final settings, so ``scrapy crawl OUTLET -s
DATA_DIR=...`` and scrapyd write items where ``DATA_DIR`` says, not where the
environment pointed when the settings module was imported.

:class:`LineFileFeedStorage` (``FEED_STORAGES`` for local paths) is Scrapy's
file storage with every write handed to the operating system at once: an
article line is in the file before the item counts as exported, so a killed
crawl leaves whole lines behind (at most a torn last line when the disk is
full, which :func:`repair_export` cuts off).

Settings read: ``DATA_DIR``.
"""

from __future__ import annotations

import logging
import os
from pathlib import Path
from typing import IO, Any

from scrapy import Spider
from scrapy.extensions.feedexport import FileFeedStorage

logger = logging.getLogger(__name__)


def uri_params(params: dict[str, Any], spider: Spider) -> dict[str, Any]:
    return {**params, "data_dir": spider.crawler.settings.get("DATA_DIR") or "data"}


class _Unbuffered:
    """A binary file whose every write goes straight to the OS (one item, one write)."""

    def __init__(self, raw: IO[bytes]) -> None:
        self._raw = raw

    def write(self, data: bytes) -> int:
        self._raw.write(data)
        self._raw.flush()
        return len(data)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._raw, name)


class LineFileFeedStorage(FileFeedStorage):
    def open(self, spider: Spider) -> IO[bytes]:
        handle = super().open(spider)
        return _Unbuffered(handle)  # type: ignore[return-value]


def repair_export(path: Path) -> int:
    """Cut a torn last line (a write cut short by a full disk or a crash) off a JSON
    Lines export; returns the bytes cut."""
    size = path.stat().st_size
    if not size:
        return 0
    with path.open("r+b") as fh:
        fh.seek(max(0, size - 1))
        if fh.read(1) == b"\n":
            return 0
        # Walk back to the last newline: everything after it is a partial line.
        block, end = 65536, size
        while end > 0:
            start = max(0, end - block)
            fh.seek(start)
            chunk = fh.read(end - start)
            cut = chunk.rfind(b"\n")
            if cut >= 0:
                keep = start + cut + 1
                break
            end = start
        else:
            keep = 0
        fh.truncate(keep)
        fh.flush()
        os.fsync(fh.fileno())
    logger.warning("Export %s: cut %d bytes of a line left incomplete by a crash",
                   path, size - keep)
    return size - keep
