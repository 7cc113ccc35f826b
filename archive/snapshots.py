"""Crawl state on S3: snapshots under per-run keys, and a pointer that only moves forward.

Each run uploads its state (payload digests, fetched pages, dedup index,
catalog) under keys of its own, ``state/runs/RUN/NAME``, so that no upload ever
replaces another run's snapshot.  Which snapshot is current is said by one
object, ``state/HEAD.json`` (run id, host, and each file's key, size and
SHA-256).  A run moves the pointer to its own snapshot with a conditional write
(``If-Match`` the pointer it started from, ``If-None-Match: *`` when there was
none): when another machine moved it meanwhile, the write is refused, the
pointer stays where the other machine put it, and the run reports the state as
diverged.  Then researchers' copy of the catalog, ``catalog/catalog.sqlite3``,
is copied from the snapshot the pointer names.

Locally, ``state/s3-state.json`` remembers which snapshot the local state
descends from (``base``, with the pointer's ETag) and whether the local state
holds changes not yet published.  At the start of a run
(:func:`restore_state`): a machine without state fetches the snapshot the
pointer names; a machine whose published state another machine has since moved
past fetches the newer one (its own files are kept aside in
``state/replaced-STAMP/``); a machine holding unpublished changes while another
machine published is *diverged* and keeps its own state, which will not
replace the other's.  When S3 cannot be read, a machine with state of its own
(restored or published before) goes on with it (the pointer only moves by
conditional writes, so nothing newer can be replaced); a machine without state
gets :class:`RestoreError`.
"""

from __future__ import annotations

import json
import logging
import os
import socket
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from archive.outbox import Outbox
from archive.s3 import CATALOG_KEY, S3Store, sha256_file

logger = logging.getLogger(__name__)

POINTER_KEY = "state/HEAD.json"
MARKER = "s3-state.json"
# The files a snapshot holds: crawl state and the catalog.
STATE_FILES = ("digests.sqlite3", "fetched.sqlite3", "dedup.sqlite3", "catalog.sqlite3")


class RestoreError(RuntimeError):
    """The state could not be read from S3: the run must not go on as if it had none."""


def snapshot_key(run_id: str, name: str) -> str:
    return f"state/runs/{run_id}/{name}"


@dataclass
class Marker:
    base: str | None = None  # run id of the snapshot the local state descends from
    etag: str | None = None  # the pointer's ETag when it named ``base``
    published: bool = True  # False while the local state holds unpublished changes

    @classmethod
    def load(cls, data_dir: Path) -> Marker | None:
        path = data_dir / "state" / MARKER
        if not path.is_file():
            return None
        raw = json.loads(path.read_text(encoding="utf-8"))
        return cls(raw.get("base"), raw.get("etag"), bool(raw.get("published", True)))

    def save(self, data_dir: Path) -> None:
        path = data_dir / "state" / MARKER
        path.parent.mkdir(parents=True, exist_ok=True)
        partial = path.with_name(MARKER + ".part")
        partial.write_text(json.dumps(self.__dict__) + "\n", encoding="utf-8")
        partial.replace(path)


@dataclass
class RestoreResult:
    restored: list[str] = field(default_factory=list)
    base: str | None = None
    diverged: str | None = None  # why this machine's state will not be published
    unchecked: str | None = None  # S3 could not be read; the local state was kept


def read_pointer(store: S3Store) -> tuple[dict[str, Any] | None, str | None]:
    from botocore.exceptions import ClientError

    try:
        response = store.client.get_object(Bucket=store.config.bucket,
                                           Key=store.full_key(POINTER_KEY))
    except ClientError as exc:
        if exc.response.get("Error", {}).get("Code") in ("404", "NoSuchKey", "NotFound"):
            return None, None
        raise
    return json.loads(response["Body"].read()), response["ETag"]


def _has_state(state: Path) -> bool:
    return any((state / name).is_file() for name in STATE_FILES)


def _download(store: S3Store, key: str, target: Path, sha256: str | None) -> None:
    partial = target.with_name(target.name + ".part")
    store.client.download_file(store.config.bucket, store.full_key(key), str(partial))
    if sha256 is not None and sha256_file(partial) != sha256:
        partial.unlink()
        raise RestoreError(f"{store.config.uri}{key}: SHA-256 differs from the state pointer's")


def restore_state(store: S3Store, data_dir: Path) -> RestoreResult:
    """Bring the local state up to the snapshot S3's pointer names, when that is safe.
    Raises RestoreError when S3 cannot be read."""
    state = data_dir / "state"
    try:
        pointer, etag = read_pointer(store)
        if pointer is None:
            return _restore_unversioned(store, data_dir)
        marker = Marker.load(data_dir)
        result = RestoreResult(base=pointer["run_id"])
        if _has_state(state):
            if marker is not None and marker.base == pointer["run_id"]:
                return result
            if marker is None or not marker.published:
                result.diverged = (
                    f"the state on {store.config.uri} (run {pointer['run_id']} on "
                    f"{pointer.get('host', '?')}) moved on while this machine's state holds "
                    "changes of its own: this machine's state is kept and will not replace it")
                result.base = marker.base if marker else None
                return result
        # Fetch every file first, then swap them in: a failure leaves the old state whole.
        state.mkdir(parents=True, exist_ok=True)
        for f in pointer["files"]:
            _download(store, f["key"], state / f["name"], f.get("sha256"))
        aside = state / f"replaced-{datetime.now(UTC):%Y%m%dT%H%M%SZ}"
        for f in pointer["files"]:
            target = state / f["name"]
            if target.exists():
                aside.mkdir(exist_ok=True)
                target.replace(aside / f["name"])
            for suffix in ("-wal", "-shm"):
                target.with_name(target.name + suffix).unlink(missing_ok=True)
            target.with_name(target.name + ".part").replace(target)
            result.restored.append(f["key"])
        Marker(pointer["run_id"], etag, True).save(data_dir)
        logger.info("Restored the state of run %s from %s", pointer["run_id"], store.config.uri)
        return result
    except RestoreError:
        raise
    except Exception as exc:
        message = (f"could not restore the crawl state from {store.config.uri}: "
                   f"{type(exc).__name__}: {exc}"[:400])
        if _has_state(state) and Marker.load(data_dir) is not None:
            # This machine has its own state, restored or published before: it crawls on
            # with it; its snapshot can only be published over the pointer it knows.
            logger.warning("%s; going on with this machine's own state", message)
            return RestoreResult(unchecked=message)
        raise RestoreError(message) from None


def _restore_unversioned(store: S3Store, data_dir: Path) -> RestoreResult:
    """A bucket written before state pointers existed: ``state/NAME`` and the catalog."""
    state = data_dir / "state"
    result = RestoreResult()
    if _has_state(state):
        return result
    wanted = [o["key"] for o in store.list("state/") if o["key"].count("/") == 1]
    if store.head(CATALOG_KEY) is not None:
        wanted.append(CATALOG_KEY)
    for key in sorted(wanted):
        name = key.rsplit("/", 1)[1]
        if name not in STATE_FILES:
            continue
        state.mkdir(parents=True, exist_ok=True)
        _download(store, key, state / name, None)
        (state / (name + ".part")).replace(state / name)
        result.restored.append(key)
    return result


def begin_run(data_dir: Path) -> None:
    """The local state is about to change: it holds unpublished changes from now on."""
    marker = Marker.load(data_dir) or Marker(published=False)
    marker.published = False
    marker.save(data_dir)


def publish_state(store: S3Store, outbox: Outbox, data_dir: Path) -> dict[str, Any]:
    """Point S3's state at the newest snapshot this machine uploaded whole, unless
    another machine moved the pointer since this machine's state left it."""
    marker = Marker.load(data_dir) or Marker(published=False)
    runs: dict[str, list[Any]] = {}
    for entry in outbox.entries():
        if entry.kind == "state" and entry.run_id:
            runs.setdefault(entry.run_id, []).append(entry)
    complete = [r for r, entries in sorted(runs.items())
                if all(e.status == "uploaded" for e in entries)
                and (marker.base is None or r > marker.base)]
    if not complete:
        return {"published": None}
    run_id = complete[-1]
    files = [{"name": e.key.rsplit("/", 1)[1], "key": e.key, "size": e.size,
              "sha256": e.sha256} for e in sorted(runs[run_id], key=lambda e: e.key)]
    pointer = {"run_id": run_id, "previous": marker.base, "host": socket.gethostname(),
               "pid": os.getpid(),
               "published": datetime.now(UTC).isoformat(timespec="seconds"), "files": files}
    condition = {"IfMatch": marker.etag} if marker.etag else {"IfNoneMatch": "*"}
    from botocore.exceptions import ClientError

    def put(condition: dict[str, str]) -> Any:
        return store.client.put_object(
            Bucket=store.config.bucket, Key=store.full_key(POINTER_KEY),
            Body=json.dumps(pointer, indent=2).encode("utf-8"),
            ContentType="application/json", **condition)

    try:
        try:
            response = put(condition)
        except ClientError as exc:
            if (exc.response.get("Error", {}).get("Code") not in ("NoSuchKey", "404")
                    or "IfMatch" not in condition):
                raise
            # This archive has no pointer at all (a new bucket or prefix): nothing newer
            # can be replaced; the pointer is created, and only if still absent.
            response = put({"IfNoneMatch": "*"})
    except ClientError as exc:
        code = exc.response.get("Error", {}).get("Code")
        if code not in ("PreconditionFailed", "412", "ConditionalRequestConflict", "409"):
            raise
        current, _ = read_pointer(store)
        who = f"run {current['run_id']} on {current.get('host', '?')}" if current else "?"
        message = (f"state not published: another machine moved {store.config.uri}"
                   f"{POINTER_KEY} ({who}); this run's snapshot stays under "
                   f"state/runs/{run_id}/ and replaces nothing")
        logger.warning("%s", message)
        return {"published": None, "diverged": message}
    Marker(run_id, response["ETag"], _unchanged_since(data_dir, run_id)).save(data_dir)
    catalog = next((f for f in files if f["name"] == "catalog.sqlite3"), None)
    if catalog is not None:
        store.client.copy_object(
            Bucket=store.config.bucket, Key=store.full_key(CATALOG_KEY),
            CopySource={"Bucket": store.config.bucket, "Key": store.full_key(catalog["key"])},
            ChecksumAlgorithm="SHA256")
    logger.info("State on %s now points at run %s", store.config.uri, run_id)
    return {"published": run_id}


def _unchanged_since(data_dir: Path, run_id: str) -> bool:
    """Whether the local state is still what run ``run_id`` snapshotted (no later run
    changed it): only then is it fully published."""
    runs = data_dir / "state" / "runs"
    later = [p.name for p in runs.iterdir() if p.is_dir() and p.name > run_id] \
        if runs.is_dir() else []
    return not later
