"""Emptying the outbox to S3: by hand, at the end of a run, and while WARCs rotate.

:class:`Uploader` sends pending files with boto3's transfer manager (parts and
files in parallel), verifies each object (HeadObject: size, SHA-256 checksum,
``sha256`` metadata), uploads once more a file whose copy is found wrong, and
only then lets it leave the outbox.  An object already intact on S3 (a crash
after upload, before bookkeeping) is not sent again.  When S3 cannot be reached
the flush stops early and everything stays pending for the next one.

:class:`UploadExtension` is the Scrapy side: the WARC recorder sends
``warc_file_closed`` as each file rotates; the extension queues the file and
its CDXJ for a worker thread, which records them in the outbox and uploads
them, off the reactor.

Settings read: ``S3_URI`` and the ``S3_*`` settings of :mod:`archive.s3`,
``S3_UPLOAD_DURING_CRAWL``, ``S3_DELETE_UPLOADED`` (delete local WARC and CDXJ
files once S3 holds them), ``WARC_PREFIX``, ``CRAWL_ID``, ``DATA_DIR``.
Stats: ``upload/files``, ``upload/bytes``, ``upload/failed``.
"""

from __future__ import annotations

import gzip
import json
import logging
import queue
import shutil
import sqlite3
import threading
import time
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from scrapy import signals
from scrapy.crawler import Crawler
from scrapy.exceptions import NotConfigured

from archive.outbox import Entry, Outbox
from archive.s3 import (
    WARC_PREFIX,
    S3Config,
    S3Store,
    articles_key,
    cdxj_key,
    manifest_key,
    sha256_file,
    warc_key,
)
from archive.snapshots import MARKER, snapshot_key
from archive.writer import index_cdxj

logger = logging.getLogger(__name__)

# State files that are not snapshots of crawl state.
_NOT_STATE = ("outbox.sqlite3", "crawl.lock", MARKER)


def is_unreachable(exc: BaseException) -> bool:
    """True for errors that mean S3 cannot be reached at all (not a bad object)."""
    from botocore.exceptions import ConnectionError as BotoConnectionError
    from botocore.exceptions import NoCredentialsError

    return isinstance(exc, BotoConnectionError | NoCredentialsError | OSError)


@dataclass
class FlushResult:
    uploaded: int = 0
    already_there: int = 0
    redone: int = 0
    bytes: int = 0
    seconds: float = 0.0
    failed: dict[str, str] = field(default_factory=dict)
    unreachable: str | None = None

    def merge(self, other: FlushResult) -> None:
        self.uploaded += other.uploaded
        self.already_there += other.already_there
        self.redone += other.redone
        self.bytes += other.bytes
        self.seconds += other.seconds
        self.failed.update(other.failed)
        self.unreachable = self.unreachable or other.unreachable

    def as_dict(self) -> dict[str, Any]:
        out = asdict(self)
        out["mb_per_s"] = round(self.bytes / 1e6 / self.seconds, 2) if self.seconds else None
        out["seconds"] = round(self.seconds, 3)
        return out


class Uploader:
    def __init__(self, store: S3Store, outbox: Outbox) -> None:
        self.store = store
        self.outbox = outbox

    def flush(self, keys: Iterable[str] | None = None) -> FlushResult:
        """Upload pending files (all, or those of ``keys``); manifests go last, and only
        when every other file of their run is on S3."""
        started = time.perf_counter()
        pending = self.outbox.pending(keys)
        result = self._send([e for e in pending if e.kind != "manifest"])
        if result.unreachable is None:
            waiting = {e.run_id for e in self.outbox.pending() if e.kind != "manifest"}
            result.merge(self._send([e for e in pending
                                     if e.kind == "manifest" and e.run_id not in waiting]))
        result.seconds = time.perf_counter() - started
        return result

    def _send(self, entries: list[Entry]) -> FlushResult:
        from boto3.s3.transfer import create_transfer_manager

        result = FlushResult()
        if not entries:
            return result
        manager = create_transfer_manager(self.store.client, self.store.transfer_config())
        futures = []
        try:
            # Each file is submitted as soon as it is hashed, so hashing the next
            # one overlaps with sending the previous ones.
            for entry in entries:
                if not entry.path.is_file():
                    result.failed[entry.key] = f"local file {entry.path} is gone"
                    self.outbox.failed(entry.key, result.failed[entry.key])
                    continue
                try:
                    digest = self.store.digest(entry.path)
                    self.outbox.set_digest(entry.key, digest.sha256)
                    if self.store.check(entry.key, digest) is None:
                        self._done(entry, digest.sha256)
                        result.already_there += 1
                        continue
                except Exception as exc:
                    if is_unreachable(exc):
                        result.unreachable = _describe(exc)
                        break
                    result.failed[entry.key] = _describe(exc)  # e.g. access denied
                    self.outbox.failed(entry.key, result.failed[entry.key])
                    continue
                futures.append((entry, digest, manager.upload(
                    str(entry.path), self.store.config.bucket, self.store.full_key(entry.key),
                    extra_args=self.store.upload_args(entry.path, digest))))
            for entry, digest, future in futures:
                try:
                    future.result()
                    problem = self.store.check(entry.key, digest)
                    if problem is not None:
                        # S3 accepted the checksum yet holds something else: send it again.
                        logger.warning("S3 copy of %s is wrong (%s): uploading it again",
                                       entry.key, problem)
                        result.redone += 1
                        self._upload_now(entry, digest)
                        problem = self.store.check(entry.key, digest)
                    if problem is not None:
                        result.failed[entry.key] = problem
                        self.outbox.failed(entry.key, problem)
                        continue
                except Exception as exc:
                    if is_unreachable(exc):
                        result.unreachable = result.unreachable or _describe(exc)
                    result.failed[entry.key] = _describe(exc)
                    self.outbox.failed(entry.key, _describe(exc))
                    continue
                self._done(entry, digest.sha256)
                result.uploaded += 1
                result.bytes += digest.size
        finally:
            manager.shutdown()
        if result.unreachable:
            logger.warning("S3 unreachable (%s): %d file(s) stay in the outbox",
                           result.unreachable, len(result.failed))
        return result

    def _upload_now(self, entry: Entry, digest: Any) -> None:
        self.store.client.upload_file(
            str(entry.path), self.store.config.bucket, self.store.full_key(entry.key),
            ExtraArgs=self.store.upload_args(entry.path, digest),
            Config=self.store.transfer_config())

    def _done(self, entry: Entry, sha256: str) -> None:
        self.outbox.uploaded(entry.key, sha256)
        if entry.delete_after:
            entry.path.unlink(missing_ok=True)

    def verify(self) -> list[str]:
        """Check every uploaded file still on disk against S3; requeue the ones S3 lost
        or holds wrong.  Returns their keys."""
        bad = []
        for entry in self.outbox.entries(status="uploaded"):
            if not entry.path.is_file():
                continue
            problem = self.store.check(entry.key, self.store.digest(entry.path))
            if problem is not None:
                logger.warning("S3 copy of %s: %s; queued again", entry.key, problem)
                self.outbox.requeue(entry.key, problem)
                bad.append(entry.key)
        return bad


def _describe(exc: BaseException) -> str:
    # botocore messages name the operation and endpoint, never the credentials.
    return f"{type(exc).__name__}: {exc}"[:300]


# -- what a run puts in the outbox ------------------------------------------------

def queue_warcs(outbox: Outbox, data_dir: Path, run_id: str | None = None,
                warc_prefix: str = WARC_PREFIX, delete_after: bool = False,
                paths: Iterable[Path] | None = None) -> list[str]:
    """Queue finished WARC files (default: those in DATA/warc not yet in the outbox)
    with their CDXJ indexes.  Returns the keys queued."""
    if paths is None:
        known = outbox.known_paths()
        paths = [p for p in sorted((data_dir / "warc").glob("*.warc.gz"))
                 if str(p) not in known]
    keys = []
    for warc in paths:
        try:
            key = warc_key(warc.name, warc_prefix)
        except ValueError:
            logger.warning("Not queued for upload (unknown name): %s", warc)
            continue
        cdxj = warc.with_name(warc.name.removesuffix(".warc.gz") + ".cdxj")
        if not cdxj.is_file():
            # Its indexing failed or was cut short by a crash: a WARC goes to S3 with its
            # index or not at all (it waits on disk for the next upload).
            try:
                index_cdxj(warc)
                logger.warning("WARC %s had no CDXJ index: indexed again before upload", warc)
            except Exception as exc:
                logger.error("WARC %s has no CDXJ index and indexing it failed (%s): "
                             "kept back from upload", warc, exc)
                continue
        if cdxj.is_file() and outbox.put(cdxj, cdxj_key(warc.name, warc_prefix), "cdxj",
                                         run_id, delete_after):
            keys.append(cdxj_key(warc.name, warc_prefix))
        if outbox.put(warc, key, "warc", run_id, delete_after):
            keys.append(key)
    return keys


def snapshot_sqlite(source: Path, target: Path) -> None:
    """A consistent copy of a live SQLite database (the backup API, not a file copy)."""
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_name(target.name + ".part")
    partial.unlink(missing_ok=True)
    src = sqlite3.connect(source, timeout=30)
    dst = sqlite3.connect(partial)
    try:
        src.backup(dst)
    finally:
        dst.close()
        src.close()
    partial.replace(target)


def queue_run(outbox: Outbox, data_dir: Path, run_id: str,
              warc_prefix: str = WARC_PREFIX, delete_uploaded: bool = False,
              snapshots: bool = True) -> Path:
    """Put everything a run leaves into the outbox: its finished WARCs and CDXJ, the
    articles it exported (one ``RUN.jsonl.gz``), snapshots of the catalog and of the
    crawl state (unless ``snapshots`` is off: a run recovered after a crash), and last
    a manifest with the size and SHA-256 of every file.  Returns the manifest's path."""
    staged = data_dir / "state" / "runs" / run_id
    staged.mkdir(parents=True, exist_ok=True)
    queue_warcs(outbox, data_dir, run_id, warc_prefix, delete_uploaded)

    exports = sorted((data_dir / "items").glob(f"*-{run_id}.jsonl"))
    if exports:
        articles = staged / f"{run_id}.jsonl.gz"
        with gzip.open(articles.with_name(articles.name + ".part"), "wb") as out:
            for export in exports:
                with export.open("rb") as src:
                    shutil.copyfileobj(src, out)
        articles.with_name(articles.name + ".part").replace(articles)
        outbox.put(articles, articles_key(run_id), "articles", run_id, delete_after=True)

    state = data_dir / "state"
    # Each run's snapshot under keys of its own (archive.snapshots): never over another's.
    for path in sorted(state.iterdir()) if snapshots else []:
        if not path.is_file() or path.name in _NOT_STATE \
                or path.name.endswith(("-wal", "-shm", "-journal", ".part", ".tmp")):
            continue
        copy = staged / "state" / path.name
        if path.suffix in (".sqlite3", ".sqlite", ".db"):
            snapshot_sqlite(path, copy)
        else:
            copy.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(path, copy)
        outbox.put(copy, snapshot_key(run_id, path.name), "state", run_id, delete_after=True)

    files: list[dict[str, Any]] = []
    for entry in outbox.entries(run_id=run_id):
        if entry.kind == "manifest":
            continue
        sha256 = entry.sha256
        if sha256 is None and entry.path.is_file():
            sha256 = sha256_file(entry.path)
            outbox.set_digest(entry.key, sha256)
        try:
            local = str(entry.path.relative_to(data_dir))
        except ValueError:
            local = entry.path.name
        files.append({"key": entry.key, "kind": entry.kind, "size": entry.size,
                      "sha256": sha256, "local": local})
    manifest = {
        "run_id": run_id,
        "created": datetime.now(UTC).isoformat(timespec="seconds"),
        "files": files,
        "total_bytes": sum(f["size"] for f in files),
    }
    path = staged / "manifest.json"
    path.write_text(json.dumps(manifest, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    outbox.put(path, manifest_key(run_id), "manifest", run_id)
    return path


# -- during the crawl ---------------------------------------------------------------

class UploadWorker(threading.Thread):
    """Takes finished WARC files from a queue, records them in the outbox and uploads
    them.  After S3 proves unreachable it only records: the run's end retries."""

    def __init__(self, store: S3Store, outbox_path: Path, data_dir: Path,
                 run_id: str | None, warc_prefix: str, delete_uploaded: bool,
                 stats: Any = None) -> None:
        super().__init__(name="s3-upload", daemon=True)
        self.store = store
        self.outbox_path = outbox_path
        self.data_dir = data_dir
        self.run_id = run_id
        self.warc_prefix = warc_prefix
        self.delete_uploaded = delete_uploaded
        self.stats = stats
        self.files: queue.Queue[Path | None] = queue.Queue()
        self.upload = True
        self.result = FlushResult()

    def run(self) -> None:
        with Outbox(self.outbox_path) as outbox:
            uploader = Uploader(self.store, outbox)
            while (path := self.files.get()) is not None:
                try:
                    keys = queue_warcs(outbox, self.data_dir, self.run_id, self.warc_prefix,
                                       self.delete_uploaded, paths=[path])
                    if not (self.upload and keys):
                        continue
                    result = uploader.flush(keys)
                    self.result.merge(result)
                    if self.stats is not None:
                        self.stats.inc_value("upload/files", result.uploaded)
                        self.stats.inc_value("upload/bytes", result.bytes)
                        self.stats.inc_value("upload/failed", len(result.failed))
                    if result.unreachable:
                        self.upload = False
                except Exception:
                    logger.exception("Could not queue or upload %s; it stays on disk", path)

    def stop(self) -> FlushResult:
        """Record what is still queued without uploading it (the run's end flushes)."""
        self.upload = False
        self.files.put(None)
        self.join()
        return self.result


class UploadExtension:
    def __init__(self, worker: UploadWorker) -> None:
        self.worker = worker

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> UploadExtension:
        from archive.recorder import warc_file_closed

        settings = crawler.settings
        config = S3Config.from_settings(settings)
        if config is None:
            raise NotConfigured("S3_URI is not set")
        if not settings.getbool("S3_UPLOAD_DURING_CRAWL", True):
            raise NotConfigured("S3_UPLOAD_DURING_CRAWL is off")
        data = Path(settings.get("DATA_DIR", "data"))
        crawl_id = settings.get("CRAWL_ID") or ""
        worker = UploadWorker(S3Store(config), data / "state" / "outbox.sqlite3", data,
                              crawl_id.removeprefix("syria-archive-") or None,
                              settings.get("WARC_PREFIX") or WARC_PREFIX,
                              settings.getbool("S3_DELETE_UPLOADED", False), crawler.stats)
        ext = cls(worker)
        crawler.signals.connect(ext.warc_closed, signal=warc_file_closed)
        crawler.signals.connect(ext.engine_stopped, signal=signals.engine_stopped)
        return ext

    def warc_closed(self, path: Path) -> None:
        if not self.worker.is_alive():
            self.worker.start()
        self.worker.files.put(path)

    async def engine_stopped(self) -> None:
        if not self.worker.is_alive():
            return
        from scrapy.utils.defer import maybe_deferred_to_future
        from twisted.internet.threads import deferToThread

        # engine_stopped comes after the recorder closed the last file; waiting in
        # a thread keeps the reactor free.
        await maybe_deferred_to_future(deferToThread(self.worker.stop))
