"""Rotating WARC files: one gzip member per record, written as ``*.open``.

A file is named ``{prefix}-{timestamp}-{serial:05d}-{host}-{pid}.warc.gz``
(unique across workers), starts with a ``warcinfo`` record, grows until
``max_size`` and is then closed: flushed, fsynced, renamed without ``.open``
and indexed (CDXJ beside it).  Records are built with warcio and compressed
here, each as its own gzip member at ``gzip_level`` (6 writes ~1.4x faster than
warcio's 9 and stays just as seekable), so every record's offset and length
are known the moment it is written.

:func:`repair_open_file` mends a file left ``.open`` by a crash: it is cut back
to its last complete gzip member, closed and indexed; no complete record is lost.
"""

from __future__ import annotations

import io
import logging
import os
import socket
import warnings
import zlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, BinaryIO

from warcio.recordbuilder import RecordBuilder
from warcio.warcwriter import WARCWriter

logger = logging.getLogger(__name__)

OPEN_SUFFIX = ".open"
WARC_SUFFIX = ".warc.gz"
CONFORMS_TO = "https://iipc.github.io/warc-specifications/specifications/warc-format/warc-1.1/"


@dataclass(frozen=True)
class Location:
    """Where a record lies: file name (final, without ``.open``), offset, length."""

    file: str
    offset: int
    length: int
    record_id: str

    def as_dict(self) -> dict[str, Any]:
        return {"file": self.file, "offset": self.offset, "length": self.length,
                "record_id": self.record_id}


def gzip_member(data: bytes, level: int) -> bytes:
    compressor = zlib.compressobj(level, zlib.DEFLATED, zlib.MAX_WBITS + 16)
    return compressor.compress(data) + compressor.flush()


def serialise(record: Any) -> bytes:
    """A warcio record as uncompressed bytes (warcio fills digests and lengths)."""
    buffer = io.BytesIO()
    WARCWriter(buffer, gzip=False, warc_version="1.1").write_record(record)
    return buffer.getvalue()


def index_cdxj(warc: Path) -> Path:
    """Write ``NAME.cdxj`` beside a finished WARC (cdxj-indexer, pywb-compatible, sorted)."""
    with warnings.catch_warnings():
        # cdxj-indexer's AMF support imports pkg_resources, which warns on import.
        warnings.filterwarnings("ignore", message="pkg_resources is deprecated")
        from cdxj_indexer.main import CDXJIndexer

    target = warc.with_name(warc.name.removesuffix(WARC_SUFFIX) + ".cdxj")
    partial = target.with_name(target.name + OPEN_SUFFIX)
    try:
        with partial.open("w", encoding="utf-8") as out:
            CDXJIndexer(out, [str(warc)], sort=True).process_all()
    except BaseException:
        partial.unlink(missing_ok=True)  # no half index left behind (a full disk)
        raise
    partial.replace(target)
    return target


def warc_host() -> str:
    """This machine's short name as it appears in WARC file names (no '-', which separates)."""
    return (socket.gethostname().split(".")[0] or "host").replace("-", "_")


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


class RotatingWarcWriter:
    """Appends records to the current ``.open`` file, rotating by size."""

    def __init__(self, directory: Path, prefix: str, info: Mapping[str, Any],
                 max_size: int = 1024**3, gzip_level: int = 6,
                 on_closed: Callable[[Path], object] | None = None,
                 on_finished: Callable[[Path], object] | None = None) -> None:
        """``on_finished(path)``, when given, takes over indexing a renamed file (the
        crawl does it in a thread); otherwise it is indexed here, then ``on_closed``."""
        self.directory = directory
        self.on_finished = on_finished
        self.prefix = prefix
        self.info = dict(info)
        self.max_size = max_size
        self.gzip_level = gzip_level
        self.on_closed = on_closed
        self.builder = RecordBuilder(warc_version="1.1")
        self.host = warc_host()
        self.serial = 0
        self.closed_files: list[Path] = []
        self._stream: BinaryIO | None = None
        self._path: Path | None = None
        self._size = 0

    @property
    def current(self) -> Path | None:
        return self._path

    def _final(self, path: Path) -> Path:
        return path.with_name(path.name.removesuffix(OPEN_SUFFIX))

    def _open(self) -> None:
        self.directory.mkdir(parents=True, exist_ok=True)
        stamp = datetime.now(UTC).strftime("%Y%m%d%H%M%S%f")[:17]
        name = f"{self.prefix}-{stamp}-{self.serial:05d}-{self.host}-{os.getpid()}{WARC_SUFFIX}"
        self.serial += 1
        self._path = self.directory / (name + OPEN_SUFFIX)
        self._stream = self._path.open("xb")
        self._size = 0
        info = {"software": None, "format": "WARC File Format 1.1", "conformsTo": CONFORMS_TO,
                **self.info}
        record = self.builder.create_warcinfo_record(name, info)
        self._append(serialise(record))

    def _append(self, raw: bytes) -> tuple[int, int]:
        assert self._stream is not None
        member = gzip_member(raw, self.gzip_level)
        offset = self._size
        self._stream.write(member)
        self._stream.flush()  # a killed process loses at most the member being written
        self._size += len(member)
        return offset, len(member)

    def write(self, *records: Any) -> list[Location]:
        """Write records (a request/response pair stays in one file); return their places."""
        if self._stream is None:
            self._open()
        assert self._path is not None
        name = self._final(self._path).name
        places = []
        for record in records:
            offset, length = self._append(serialise(record))
            places.append(Location(name, offset, length,
                                   record.rec_headers.get_header("WARC-Record-ID")))
        if self._size >= self.max_size:
            self.close()
        return places

    def close(self) -> Path | None:
        """Finish the current file: fsync, rename, index. Returns the finished path."""
        final = self.finish()
        if final is not None:
            if self.on_finished is not None:
                self.on_finished(final)
            else:
                self.index(final)
        return final

    def index(self, final: Path) -> None:
        """Index a finished file (CDXJ beside it) and announce it."""
        index_cdxj(final)
        if self.on_closed is not None:
            self.on_closed(final)

    def finish(self) -> Path | None:
        """fsync and rename the current file (fast); indexing is :meth:`index`."""
        if self._stream is None or self._path is None:
            return None
        self._stream.flush()
        os.fsync(self._stream.fileno())
        self._stream.close()
        final = self._final(self._path)
        self._path.replace(final)
        _fsync_dir(final.parent)
        self._stream, self._path = None, None
        self.closed_files.append(final)
        return final


    def abandon(self) -> Path | None:
        """After a failed write (a full disk): cut the file back to its last complete
        record and finish it without an index (uploads index it before sending)."""
        if self._stream is None or self._path is None:
            return None
        try:
            self._stream.close()
        except OSError:
            pass  # the part of a record still buffered: cut below anyway
        with self._path.open("r+b") as fh:
            fh.truncate(self._size)
            os.fsync(fh.fileno())
        final = self._final(self._path)
        self._path.replace(final)
        self._stream, self._path = None, None
        if self._size:
            self.closed_files.append(final)
        else:
            final.unlink()
        return final


def complete_members_end(data: BinaryIO, chunk_size: int = 1 << 20) -> int:
    """The offset just after the last complete gzip member holding a WARC record.

    Streams the file, so a repair needs one chunk of memory, not the file.
    """
    good = 0
    inflater = zlib.decompressobj(zlib.MAX_WBITS + 16)
    fed, head, pending = 0, b"", b""
    while True:
        chunk = pending or data.read(chunk_size)
        pending = b""
        if not chunk:
            break
        try:
            out = inflater.decompress(chunk)
        except zlib.error:
            break
        fed += len(chunk)
        if len(head) < 5:
            head += out[:5]
        if inflater.eof:
            if not head.startswith(b"WARC/"):
                break
            pending = inflater.unused_data
            good += fed - len(pending)
            inflater = zlib.decompressobj(zlib.MAX_WBITS + 16)
            fed, head = 0, b""
    return good


def repair_open_file(path: Path) -> Path | None:
    """Cut a crashed ``.open`` WARC back to its last complete record, close and index it.

    Returns the finished file, or None when not even the warcinfo record was
    complete (the empty file is then removed).
    """
    with path.open("r+b") as fh:
        end = complete_members_end(fh)
        size = fh.seek(0, os.SEEK_END)
        if end < size:
            logger.warning("WARC %s: cut %d bytes of an incomplete record left by a crash",
                           path, size - end)
            fh.truncate(end)
        fh.flush()
        os.fsync(fh.fileno())
    if end == 0:
        path.unlink()
        return None
    final = path.with_name(path.name.removesuffix(OPEN_SUFFIX))
    path.replace(final)
    _fsync_dir(final.parent)
    index_cdxj(final)
    return final


def pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def repair_orphans(directory: Path) -> list[Path]:
    """Repair every ``.open`` WARC of this host whose writing process is gone."""
    host = warc_host()
    repaired = []
    for path in sorted(directory.glob(f"*{WARC_SUFFIX}{OPEN_SUFFIX}")):
        stem = path.name.removesuffix(WARC_SUFFIX + OPEN_SUFFIX)
        parts = stem.rsplit("-", 2)
        if len(parts) != 3 or parts[1] != host or not parts[2].isdigit():
            continue
        if pid_alive(int(parts[2])) and int(parts[2]) != os.getpid():
            continue
        final = repair_open_file(path)
        if final is not None:
            repaired.append(final)
    return repaired
