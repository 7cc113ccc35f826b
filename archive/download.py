"""What researchers use: list, download, fetch one record, export a dataset.

Everything here works on the archive wherever it is: on S3 (``--s3``) or in a
local data directory.  Downloads resume where an interrupted one stopped (an
HTTP Range request from the partial file's end, ``If-Match`` on the ETag so a
changed object starts over), are verified against the run manifests' SHA-256,
and land only inside the target directory whatever an object's key says.
A single article's records are fetched with a Range request of the catalog's
offset and length: a few kilobytes, not the gigabyte file around them.
"""

from __future__ import annotations

import csv
import gzip
import hashlib
import io
import json
import logging
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from archive.catalog import Catalog, Hit
from archive.s3 import (
    CATALOG_KEY,
    IntegrityError,
    S3Store,
    cdxj_key,
    key_date,
    safe_target,
    safe_warc_name,
    warc_key,
)

logger = logging.getLogger(__name__)

KINDS = {"warc": "warc/", "cdxj": "cdxj/", "articles": "articles/", "catalog": "catalog/",
         "manifest": "manifests/", "state": "state/"}
EXPORT_FIELDS = ("url", "canonical_url", "outlet", "language", "title", "subtitle", "authors",
                 "published", "modified", "section", "tags", "text", "word_count",
                 "fetched_at", "status", "dedup", "duplicate_of", "cluster_id", "similarity",
                 "translation_of", "is_duplicate", "warc_file", "warc_offset", "warc_length",
                 "warc_record_id")


@dataclass
class ArchiveFile:
    key: str
    size: int
    kind: str
    outlet: str | None
    date: str | None


def _kind(key: str) -> str:
    for kind, prefix in KINDS.items():
        if key.startswith(prefix):
            return kind
    return "other"


def _outlet(key: str) -> str | None:
    parts = key.split("/")
    return parts[1] if parts[0] in ("warc", "cdxj") and len(parts) > 2 else None


class Archive:
    """The archive on S3 (``store``) or, without one, the local data directory."""

    def __init__(self, data_dir: Path, store: S3Store | None = None) -> None:
        self.data_dir = data_dir
        self.store = store

    # -- listing ---------------------------------------------------------------

    def files(self, kinds: tuple[str, ...] = tuple(KINDS), outlet: str | None = None,
              since: str | None = None, until: str | None = None) -> list[ArchiveFile]:
        out = []
        for kind in kinds:
            prefix = KINDS[kind] + (f"{outlet}/" if outlet and kind in ("warc", "cdxj") else "")
            for key, size in self._list(kind, prefix):
                date = key_date(key)
                if outlet and kind not in ("warc", "cdxj", "manifest", "articles"):
                    continue
                if (since and date and date < since[:10]) or (until and date
                                                              and date > until[:10]):
                    continue
                out.append(ArchiveFile(key, size, kind, _outlet(key), date))
        return out

    def _list(self, kind: str, prefix: str) -> Iterator[tuple[str, int]]:
        if self.store is not None:
            for obj in self.store.list(prefix):
                yield obj["key"], obj["size"]
            return
        # Local: the same keys, computed from the data directory's files.
        if kind in ("warc", "cdxj"):
            for warc in sorted((self.data_dir / "warc").glob("*.warc.gz")):
                try:
                    key = warc_key(warc.name) if kind == "warc" else cdxj_key(warc.name)
                except ValueError:
                    continue
                path = warc if kind == "warc" else warc.with_name(
                    warc.name.removesuffix(".warc.gz") + ".cdxj")
                if key.startswith(prefix) and path.is_file():
                    yield key, path.stat().st_size
        elif kind == "manifest":
            for path in sorted((self.data_dir / "state" / "runs").glob("*/manifest.json")):
                yield f"manifests/{path.parent.name}.json", path.stat().st_size
        elif kind == "catalog":
            path = self.data_dir / "state" / "catalog.sqlite3"
            if path.is_file():
                yield CATALOG_KEY, path.stat().st_size

    def manifests(self) -> dict[str, dict[str, Any]]:
        """Run id -> manifest, oldest first."""
        out = {}
        for f in sorted(self.files(("manifest",)), key=lambda f: f.key):
            run_id = f.key.removeprefix("manifests/").removesuffix(".json")
            out[run_id] = json.loads(self.read(f.key))
        return out

    def read(self, key: str) -> bytes:
        if self.store is not None:
            return self.store.get_bytes(key)
        return self.local_path(key).read_bytes()

    def local_path(self, key: str) -> Path:
        if key.startswith("manifests/"):
            run = key.removeprefix("manifests/").removesuffix(".json")
            if "/" in run or run in ("", ".", ".."):
                raise ValueError(f"refusing key {key!r}: not a run manifest")
            return self.data_dir / "state" / "runs" / run / "manifest.json"
        if key == CATALOG_KEY:
            return self.data_dir / "state" / "catalog.sqlite3"
        name = key.rsplit("/", 1)[-1]
        return self.data_dir / "warc" / name

    def read_range(self, warc_file: str, offset: int, length: int) -> bytes:
        try:
            local = self.data_dir / "warc" / safe_warc_name(warc_file)
        except ValueError as exc:
            raise LookupError(str(exc)) from None
        if local.is_file():
            with local.open("rb") as fh:
                fh.seek(offset)
                return fh.read(length)
        if self.store is None:
            raise FileNotFoundError(f"{local} is not here and no S3 archive is configured")
        return self.store.get_range(warc_key(warc_file), offset, length)

    # -- the catalog -------------------------------------------------------------

    def catalog(self, cache: Path | None = None) -> Catalog:
        """The local catalog, or the S3 one downloaded into ``cache`` (fetched again
        only when its ETag changed)."""
        if self.store is None:
            path = self.data_dir / "state" / "catalog.sqlite3"
            if not path.is_file():
                raise FileNotFoundError(f"no catalog at {path}: crawl first, or use --s3")
            return Catalog(path, readonly=True)
        cache = cache or self.data_dir / "cache"
        cache.mkdir(parents=True, exist_ok=True)
        target = cache / "catalog.sqlite3"
        etag_file = cache / "catalog.etag"
        head = self.store.head(CATALOG_KEY)
        if head is None:
            raise FileNotFoundError(f"no catalog at {self.store.config.uri}{CATALOG_KEY}")
        if not target.is_file() or not etag_file.is_file() \
                or etag_file.read_text() != head["ETag"]:
            partial = target.with_name(target.name + ".part")
            self.store.client.download_file(self.store.config.bucket,
                                            self.store.full_key(CATALOG_KEY), str(partial))
            partial.replace(target)
            etag_file.write_text(head["ETag"])
        return Catalog(target, readonly=True)

    # -- one article's records ---------------------------------------------------------

    def record(self, hit: Hit) -> dict[str, bytes]:
        """The response (or revisit) record of an article and its metadata record,
        each a complete gzip member, fetched by byte range."""
        if hit.warc_file is None or hit.warc_offset is None or hit.warc_length is None:
            raise LookupError(f"{hit.url}: the catalog has no WARC record for it")
        out = {"response": self.read_range(hit.warc_file, hit.warc_offset, hit.warc_length)}
        place = self._metadata_place(hit)
        if place is not None:
            out["metadata"] = self.read_range(hit.warc_file, *place)
        return out

    def _metadata_place(self, hit: Hit) -> tuple[int, int] | None:
        # The metadata record is written after the item leaves the pipelines, so its
        # place is in the file's CDXJ index, not in the catalog.
        assert hit.warc_file is not None
        name = safe_warc_name(hit.warc_file)
        local = self.data_dir / "warc" / (name.removesuffix(".warc.gz") + ".cdxj")
        try:
            text = local.read_text(encoding="utf-8") if local.is_file() else (
                self.store.get_bytes(cdxj_key(hit.warc_file)).decode("utf-8")
                if self.store is not None else "")
        except Exception as exc:  # the CDXJ is a convenience: the response still stands
            logger.warning("No CDXJ for %s: %s", hit.warc_file, exc)
            return None
        for line in text.splitlines():
            _key, _stamp, blob = line.split(" ", 2)
            entry = json.loads(blob)
            if entry.get("url") == hit.url and entry.get("mime") == "application/json" \
                    and int(entry["offset"]) > (hit.warc_offset or 0):
                return int(entry["offset"]), int(entry["length"])
        return None

    # -- downloads ---------------------------------------------------------------

    def download(self, key: str, target_dir: Path, expected_sha256: str | None,
                 progress: bool = True) -> tuple[Path, int]:
        """Fetch ``key`` into ``target_dir`` (resuming a partial download) and verify
        it; returns the file and the bytes transferred."""
        target = safe_target(target_dir, key)
        if self.store is None:
            source = self.local_path(key)
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(source, target)
            _verify(target, expected_sha256, key)
            return target, source.stat().st_size
        fetched = self._fetch(key, target, progress)
        whole = target.stat().st_size
        try:
            _verify(target, expected_sha256, key)
        except IntegrityError:
            if fetched == whole:
                raise
            # Resumed onto a partial file that was wrong: start over once.
            logger.warning("%s: resumed download does not verify; downloading it whole", key)
            target.unlink(missing_ok=True)
            fetched += self._fetch(key, target, progress)
            _verify(target, expected_sha256, key)
        return target, fetched

    def _fetch(self, key: str, target: Path, progress: bool) -> int:
        from botocore.exceptions import ClientError
        from tqdm import tqdm

        assert self.store is not None
        target.parent.mkdir(parents=True, exist_ok=True)
        partial = target.with_name(target.name + ".part")
        etag_file = target.with_name(target.name + ".part.etag")
        head = self.store.head(key)
        if head is None:
            raise FileNotFoundError(f"{self.store.config.uri}{key}: no such object")
        size, etag = int(head["ContentLength"]), head["ETag"]
        start = partial.stat().st_size if partial.is_file() else 0
        if start and (not etag_file.is_file() or etag_file.read_text() != etag
                      or start > size):
            start = 0  # the object changed since the partial download: start over
        etag_file.write_text(etag)
        fetched = 0
        with tqdm(total=size, initial=start, unit="B", unit_scale=True, unit_divisor=1024,
                  desc=key.rsplit("/", 1)[-1], disable=not progress, leave=False) as bar:
            if start < size:
                try:
                    response = self.store.client.get_object(
                        Bucket=self.store.config.bucket, Key=self.store.full_key(key),
                        Range=f"bytes={start}-", IfMatch=etag)
                except ClientError as exc:
                    if exc.response.get("Error", {}).get("Code") not in (
                            "PreconditionFailed", "412"):
                        raise
                    partial.unlink(missing_ok=True)
                    return self._fetch(key, target, progress)
                with partial.open("ab" if start else "wb") as out:
                    for chunk in response["Body"].iter_chunks(1024 * 1024):
                        out.write(chunk)
                        fetched += len(chunk)
                        bar.update(len(chunk))
            elif not partial.exists():
                partial.touch()
        partial.replace(target)
        etag_file.unlink(missing_ok=True)
        return fetched


def _verify(path: Path, expected: str | None, key: str) -> None:
    if expected is None:
        return
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        while chunk := fh.read(4 * 1024 * 1024):
            digest.update(chunk)
    if digest.hexdigest() != expected:
        path.unlink()
        raise IntegrityError(f"{key}: SHA-256 {digest.hexdigest()} differs from the "
                             f"manifest's {expected}")


def expected_digests(manifests: dict[str, dict[str, Any]]) -> dict[str, str]:
    """Key -> SHA-256 from the run manifests; a later run's entry wins (catalog and
    state snapshots are replaced in place)."""
    out: dict[str, str] = {}
    for manifest in manifests.values():
        for f in manifest.get("files", []):
            if f.get("sha256"):
                out[f["key"]] = f["sha256"]
    return out


# -- a research dataset -----------------------------------------------------------

def article_rows(archive: Archive, since: str | None = None, until: str | None = None,
                 outlet: str | None = None, language: str | None = None,
                 originals_only: bool = False) -> list[dict[str, Any]]:
    """Articles of every run (S3 ``articles/`` or local ``items/``), one row per URL,
    the latest capture winning; duplicates flagged with ``is_duplicate``."""
    latest: dict[str, dict[str, Any]] = {}
    for article in _articles(archive, since):
        if outlet and article.get("outlet") != outlet:
            continue
        if language and article.get("language") != language:
            continue
        published = (article.get("published") or "")[:10]
        if (since and published and published < since[:10]) or (
                until and published and published > until[:10]):
            continue
        url = article.get("url")
        if not url:
            continue
        old = latest.get(url)
        if old is None or (article.get("fetched_at") or "") >= (old.get("fetched_at") or ""):
            latest[url] = article
    rows = []
    for article in latest.values():
        warc = article.get("warc") or {}
        row = {k: article.get(k) for k in EXPORT_FIELDS}
        row.update(is_duplicate=bool(article.get("duplicate_of")),
                   warc_file=warc.get("file"), warc_offset=warc.get("offset"),
                   warc_length=warc.get("length"), warc_record_id=warc.get("record_id"))
        if originals_only and row["is_duplicate"]:
            continue
        rows.append(row)
    rows.sort(key=lambda r: (r.get("published") or "", r["url"]))
    return rows


def _articles(archive: Archive, since: str | None) -> Iterator[dict[str, Any]]:
    if archive.store is None:
        for path in sorted((archive.data_dir / "items").glob("*.jsonl")):
            with path.open(encoding="utf-8") as fh:
                yield from (json.loads(line) for line in fh if line.strip())
        return
    for f in archive.files(("articles",)):
        # A run files its articles under its own date: earlier runs cannot hold
        # articles published after --since... except ones updated later, which a
        # later run holds again.
        if since and f.date and f.date < since[:10]:
            continue
        data = gzip.decompress(archive.read(f.key))
        yield from (json.loads(line) for line in io.TextIOWrapper(
            io.BytesIO(data), encoding="utf-8") if line.strip())


def write_dataset(rows: list[dict[str, Any]], output: Path, fmt: str) -> None:
    output.parent.mkdir(parents=True, exist_ok=True)
    partial = output.with_name(output.name + ".part")
    if fmt == "jsonl":
        with partial.open("w", encoding="utf-8") as out:
            for row in rows:
                out.write(json.dumps(row, ensure_ascii=False) + "\n")
    elif fmt == "csv":
        with partial.open("w", encoding="utf-8", newline="") as out:
            writer = csv.DictWriter(out, fieldnames=EXPORT_FIELDS)
            writer.writeheader()
            for row in rows:
                writer.writerow({k: "; ".join(v) if isinstance(v, list) else v
                                 for k, v in row.items()})
    elif fmt == "parquet":
        import pyarrow as pa
        import pyarrow.parquet as pq

        lists = ("authors", "tags")
        schema = pa.schema([
            (name, pa.list_(pa.string()) if name in lists
             else pa.int64() if name in ("word_count", "status", "warc_offset", "warc_length")
             else pa.float64() if name == "similarity"
             else pa.bool_() if name == "is_duplicate" else pa.string())
            for name in EXPORT_FIELDS])
        table = pa.Table.from_pylist(
            [{k: (None if v is None else v if k in lists or not isinstance(v, list | dict)
                  else json.dumps(v, ensure_ascii=False)) for k, v in row.items()}
             for row in rows], schema=schema)
        pq.write_table(table, partial)
    else:
        raise ValueError(f"unknown format {fmt!r} (jsonl, csv or parquet)")
    partial.replace(output)
