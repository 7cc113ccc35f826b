"""S3 storage: where each file of the archive goes, and one small client over boto3.

The layout under ``s3://bucket/prefix/`` (documented in the README)::

    warc/{outlet}/{yyyy}/{mm}/{dd}/NAME.warc.gz
    cdxj/{outlet}/{yyyy}/{mm}/{dd}/NAME.cdxj
    articles/{yyyy}/{mm}/{dd}/RUN.jsonl.gz
    catalog/catalog.sqlite3
    manifests/RUN.json
    state/NAME            (digest index, fetched pages, dedup state: for resuming)

Uploads go through boto3's managed transfer (multipart above a threshold,
parts in parallel) with a SHA-256 checksum that S3 checks on receipt; the
object is then read back with HeadObject (size, checksum, our ``sha256``
metadata) before it counts as stored.  Retries are botocore's own.

Settings read by :meth:`S3Config.from_settings`: ``S3_URI`` (env
``SYRIA_ARCHIVE_S3``), ``S3_STORAGE_CLASS``, ``S3_SSE``, ``S3_SSE_KMS_KEY_ID``,
``S3_MULTIPART_THRESHOLD``, ``S3_MULTIPART_CHUNKSIZE``, ``S3_MAX_CONCURRENCY``,
``S3_MAX_ATTEMPTS``, ``S3_CONNECT_TIMEOUT``, ``S3_READ_TIMEOUT``.  The endpoint
and credentials come only from the standard AWS chain (environment,
``AWS_PROFILE``, instance role; ``AWS_ENDPOINT_URL`` for S3-compatible stores):
this module never reads, logs or stores them.
"""

from __future__ import annotations

import base64
import hashlib
import logging
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path, PurePosixPath
from typing import Any
from urllib.parse import urlsplit

logger = logging.getLogger(__name__)

MiB = 1024 * 1024
CATALOG_KEY = "catalog/catalog.sqlite3"
WARC_PREFIX = "syria-archive"
_WARC_NAME = re.compile(
    r"^(?P<prefix>[^/\\\x00]+)-(?P<stamp>\d{17})-(?P<serial>\d{5})-(?P<host>[^-/\\]+)-(?P<pid>\d+)"
    r"\.warc\.gz$")
# A worker of a distributed crawl adds its host and pid: 20261125T020000Z-host-4242.
_RUN_ID = re.compile(r"^(\d{4})(\d{2})(\d{2})T\d{6}Z(?:-[\w.]+-\d+)?$")

CONTENT_TYPES = {
    ".warc.gz": "application/warc",
    ".cdxj": "text/x-cdxj",
    ".jsonl.gz": "application/gzip",
    ".json": "application/json",
    ".sqlite3": "application/vnd.sqlite3",
}


class S3Error(RuntimeError):
    """S3 is misconfigured, unreachable, or holds something other than expected."""


class IntegrityError(S3Error):
    """An object's size or checksum differs from the local file's."""


# -- the layout -----------------------------------------------------------------

def parse_warc_name(name: str, warc_prefix: str = WARC_PREFIX) -> tuple[str, datetime]:
    """(outlet, creation time) of a WARC file named by :mod:`archive.writer`."""
    m = _WARC_NAME.match(name)
    if not m:
        raise ValueError(f"not a syria-archive WARC file name: {name!r}")
    outlet = m["prefix"].removeprefix(warc_prefix + "-") or m["prefix"]
    return outlet, datetime.strptime(m["stamp"][:14], "%Y%m%d%H%M%S").replace(tzinfo=UTC)


def warc_key(name: str, warc_prefix: str = WARC_PREFIX) -> str:
    outlet, when = parse_warc_name(name, warc_prefix)
    return f"warc/{outlet}/{when:%Y/%m/%d}/{name}"


def cdxj_key(warc_name: str, warc_prefix: str = WARC_PREFIX) -> str:
    outlet, when = parse_warc_name(warc_name, warc_prefix)
    return f"cdxj/{outlet}/{when:%Y/%m/%d}/{warc_name.removesuffix('.warc.gz')}.cdxj"


def run_date(run_id: str) -> str:
    m = _RUN_ID.match(run_id)
    if not m:
        raise ValueError(f"not a run id (YYYYMMDDTHHMMSSZ[-HOST-PID]): {run_id!r}")
    return "/".join(m.groups())


def articles_key(run_id: str) -> str:
    return f"articles/{run_date(run_id)}/{run_id}.jsonl.gz"


def manifest_key(run_id: str) -> str:
    return f"manifests/{run_id}.json"


def report_key(run_id: str, name: str) -> str:
    """A run's health report (``nightly-RUN.json``, ``.html``), filed by its day."""
    return f"reports/{run_date(run_id)}/{name}"


def state_key(name: str) -> str:
    return f"state/{name}"


def key_date(key: str) -> str | None:
    """The ``yyyy-mm-dd`` a layout key is filed under, or None."""
    m = re.search(r"/(\d{4})/(\d{2})/(\d{2})/", key)
    if m:
        return "-".join(m.groups())
    m = re.match(r"manifests/(\d{4})(\d{2})(\d{2})T", key)
    return "-".join(m.groups()) if m else None


def content_type(name: str) -> str:
    for suffix, kind in CONTENT_TYPES.items():
        if name.endswith(suffix):
            return kind
    return "application/octet-stream"


# -- checksums ------------------------------------------------------------------

@dataclass(frozen=True)
class FileDigest:
    """A file's size and SHA-256, whole and as S3 composes it over multipart parts."""

    size: int
    sha256: str  # hex, as in manifests
    sha256_b64: str  # base64, as in x-amz-checksum-sha256
    parts_b64: str | None = None  # base64 SHA-256 of the parts' SHA-256s
    parts: int = 1

    def matches(self, checksum: str | None) -> bool:
        if not checksum:
            return False
        value = checksum.split("-", 1)[0]
        return value == self.sha256_b64 or (self.parts_b64 is not None
                                            and value == self.parts_b64)


def digest_file(path: Path, chunksize: int | None = None, threshold: int | None = None,
                block: int = 4 * MiB) -> FileDigest:
    """One pass over ``path``: the whole file's SHA-256 and, when the file will be
    uploaded in parts of ``chunksize``, the composite checksum S3 reports for it."""
    whole = hashlib.sha256()
    part_digests: list[bytes] = []
    size = path.stat().st_size
    multipart = chunksize is not None and threshold is not None and size >= threshold
    if multipart:
        assert chunksize is not None
        from s3transfer.utils import ChunksizeAdjuster

        # The same adjustment s3transfer makes (at most 10,000 parts, at least 5 MiB).
        chunksize = ChunksizeAdjuster().adjust_chunksize(chunksize, size)
    part = hashlib.sha256()
    in_part = 0
    with path.open("rb") as fh:
        while chunk := fh.read(block):
            whole.update(chunk)
            if not multipart:
                continue
            assert chunksize is not None
            view = memoryview(chunk)
            while view:
                take = min(len(view), chunksize - in_part)
                part.update(view[:take])
                in_part += take
                view = view[take:]
                if in_part == chunksize:
                    part_digests.append(part.digest())
                    part, in_part = hashlib.sha256(), 0
    if multipart and in_part:
        part_digests.append(part.digest())
    parts_b64 = None
    if multipart:
        parts_b64 = base64.b64encode(hashlib.sha256(b"".join(part_digests)).digest()).decode()
    return FileDigest(size=size, sha256=whole.hexdigest(),
                      sha256_b64=base64.b64encode(whole.digest()).decode(),
                      parts_b64=parts_b64, parts=max(1, len(part_digests)))


def sha256_file(path: Path) -> str:
    return digest_file(path).sha256


# -- configuration --------------------------------------------------------------

@dataclass(frozen=True)
class S3Config:
    bucket: str
    prefix: str = ""
    storage_class: str | None = None
    sse: str | None = None
    sse_kms_key_id: str | None = None
    multipart_threshold: int = 32 * MiB
    multipart_chunksize: int = 32 * MiB
    max_concurrency: int = 10
    max_attempts: int = 5
    connect_timeout: float = 5.0
    read_timeout: float = 60.0
    extra: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def from_uri(cls, uri: str, **options: Any) -> S3Config:
        parts = urlsplit(uri)
        if parts.scheme != "s3" or not parts.netloc:
            raise ValueError(f"not an s3://bucket/prefix URI: {uri!r}")
        if parts.username or parts.password or parts.query:
            raise ValueError("the S3 URI names a bucket and a prefix only; credentials come "
                             "from the standard AWS variables or profile")
        prefix = parts.path.strip("/")
        return cls(bucket=parts.netloc, prefix=prefix + "/" if prefix else "",
                   **{k: v for k, v in options.items() if v not in (None, "")})

    @classmethod
    def from_settings(cls, settings: Any, uri: str | None = None) -> S3Config | None:
        uri = uri or settings.get("S3_URI")
        if not uri:
            return None
        return cls.from_uri(
            uri,
            storage_class=settings.get("S3_STORAGE_CLASS") or None,
            sse=settings.get("S3_SSE") or None,
            sse_kms_key_id=settings.get("S3_SSE_KMS_KEY_ID") or None,
            multipart_threshold=settings.getint("S3_MULTIPART_THRESHOLD", 32 * MiB),
            multipart_chunksize=settings.getint("S3_MULTIPART_CHUNKSIZE", 32 * MiB),
            max_concurrency=settings.getint("S3_MAX_CONCURRENCY", 10),
            max_attempts=settings.getint("S3_MAX_ATTEMPTS", 5),
            connect_timeout=settings.getfloat("S3_CONNECT_TIMEOUT", 5.0),
            read_timeout=settings.getfloat("S3_READ_TIMEOUT", 60.0),
        )

    @property
    def uri(self) -> str:
        return f"s3://{self.bucket}/{self.prefix}"


# -- the client -----------------------------------------------------------------

class S3Store:
    """Keys are relative to the configured prefix everywhere in this class's API."""

    def __init__(self, config: S3Config, client: Any = None) -> None:
        self.config = config
        self._client = client

    @property
    def client(self) -> Any:
        if self._client is None:
            import boto3
            from botocore.config import Config

            # A session of our own: boto3's default session is not thread-safe.
            session = boto3.session.Session()
            self._client = session.client("s3", config=Config(
                retries={"mode": "standard", "max_attempts": self.config.max_attempts},
                connect_timeout=self.config.connect_timeout,
                read_timeout=self.config.read_timeout,
                max_pool_connections=max(10, self.config.max_concurrency * 2),
            ))
        return self._client

    def transfer_config(self) -> Any:
        from boto3.s3.transfer import TransferConfig

        return TransferConfig(multipart_threshold=self.config.multipart_threshold,
                              multipart_chunksize=self.config.multipart_chunksize,
                              max_concurrency=self.config.max_concurrency)

    def full_key(self, key: str) -> str:
        return self.config.prefix + key

    def relative(self, full_key: str) -> str:
        return full_key.removeprefix(self.config.prefix)

    def digest(self, path: Path) -> FileDigest:
        return digest_file(path, self.config.multipart_chunksize, self.config.multipart_threshold)

    def upload_args(self, path: Path, digest: FileDigest) -> dict[str, Any]:
        args: dict[str, Any] = {"ChecksumAlgorithm": "SHA256",
                                "Metadata": {"sha256": digest.sha256},
                                "ContentType": content_type(path.name)}
        if digest.parts_b64 is None:
            # Single request: hand S3 the checksum we have instead of hashing again.
            args["ChecksumSHA256"] = digest.sha256_b64
        if self.config.storage_class:
            args["StorageClass"] = self.config.storage_class
        if self.config.sse:
            args["ServerSideEncryption"] = self.config.sse
        if self.config.sse_kms_key_id:
            args["SSEKMSKeyId"] = self.config.sse_kms_key_id
        return args

    def head(self, key: str) -> dict[str, Any] | None:
        from botocore.exceptions import ClientError

        try:
            return dict(self.client.head_object(Bucket=self.config.bucket,
                                                Key=self.full_key(key), ChecksumMode="ENABLED"))
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") in ("404", "NoSuchKey", "NotFound"):
                return None
            raise

    def check(self, key: str, digest: FileDigest) -> str | None:
        """Why the object at ``key`` is not an intact copy of a file with ``digest``,
        or None when it is."""
        head = self.head(key)
        if head is None:
            return "missing"
        if head.get("ContentLength") != digest.size:
            return f"size {head.get('ContentLength')} instead of {digest.size}"
        meta = (head.get("Metadata") or {}).get("sha256")
        if meta is not None and meta != digest.sha256:
            return "sha256 metadata differs"
        checksum = head.get("ChecksumSHA256")
        if checksum is None:
            return "no SHA-256 checksum stored"
        if not digest.matches(checksum):
            return "SHA-256 checksum differs"
        return None

    def list(self, prefix: str = "") -> Iterator[dict[str, Any]]:
        paginator = self.client.get_paginator("list_objects_v2")
        for page in paginator.paginate(Bucket=self.config.bucket,
                                       Prefix=self.full_key(prefix)):
            for obj in page.get("Contents", []):
                yield {"key": self.relative(obj["Key"]), "size": obj["Size"],
                       "modified": obj["LastModified"]}

    def get_range(self, key: str, offset: int, length: int) -> bytes:
        response = self.client.get_object(Bucket=self.config.bucket, Key=self.full_key(key),
                                          Range=f"bytes={offset}-{offset + length - 1}")
        return bytes(response["Body"].read())

    def get_bytes(self, key: str) -> bytes:
        response = self.client.get_object(Bucket=self.config.bucket, Key=self.full_key(key))
        return bytes(response["Body"].read())

    def presign(self, key: str, expires: int) -> str:
        return str(self.client.generate_presigned_url(
            "get_object", Params={"Bucket": self.config.bucket, "Key": self.full_key(key)},
            ExpiresIn=expires))


def safe_warc_name(name: str | None) -> str:
    """A WARC file name as a catalog gives it, refused unless it is one plain file name
    (a hostile catalog must not choose which local file is read or written)."""
    if not name or name in (".", "..") or any(c in name for c in "/\\\x00") \
            or not name.endswith(".warc.gz"):
        raise ValueError(f"refusing WARC file name {name!r} from the catalog: "
                         "not a plain *.warc.gz file name")
    return name


def safe_target(root: Path, key: str) -> Path:
    """Where ``key`` goes under ``root``; refuses keys that would leave it.

    S3 keys are free text: ``../../etc/x``, ``/etc/x`` or ``a/./b`` are all legal
    keys, and none of them may choose where a download lands.
    """
    if "\\" in key or "\x00" in key:
        raise ValueError(f"refusing key {key!r}: not a plain relative path")
    path = PurePosixPath(key)
    if path.is_absolute() or not path.parts or any(p in ("..", ".") for p in path.parts) \
            or "//" in key or key.endswith("/"):
        raise ValueError(f"refusing key {key!r}: it would not stay inside {root}")
    base = root.resolve()
    target = (base / Path(*path.parts)).resolve()
    if not target.is_relative_to(base) or target == base:
        raise ValueError(f"refusing key {key!r}: it would not stay inside {root}")
    return target
