"""The deduplication index in Redis, shared by the workers of a distributed crawl.

The same five methods as :class:`pipelines.dedupstore.SqliteDedupStore`, so the
same :class:`pipelines.dedup.Deduplicator` decides.  Keys (under ``PREFIX:dedup:``):

- ``urls``: hash, canonical-URL key -> original id (duplicates' URLs point at theirs);
- ``fps``: hash, exact text fingerprint -> original id;
- ``originals``: hash, id -> canonical, outlet, cluster and MinHash signature;
- ``next``: the id counter;
- ``b:N``: the LSH band keys, in 2^19 small hashes (band key -> the ids filed
  under it, 4 bytes each), small enough for Redis' compact listpack encoding.

Two workers meeting two copies of one story at the same moment must not both
file an original.  Adding one is a Lua script, atomic in Redis: it refuses
(:class:`~pipelines.dedupstore.StoreConflict`) when the URL or the fingerprint
became known, or when any of the new text's LSH bands holds an original added
after this worker last looked (its ``horizon``, read with the URL lookup that
starts every check).  The Deduplicator then looks again and finds the copy the
other worker filed: optimistic concurrency, as Redis' WATCH would give, scoped to
the keys that matter.
"""

from __future__ import annotations

import struct
from typing import Any

from pipelines.dedupstore import Original, StoreConflict
from pipelines.similarity import Signature

BUCKET_SHIFT = 44  # 63-bit band keys -> 2^19 buckets

ADD_ORIGINAL = """
local have = redis.call('HGET', KEYS[1], ARGV[1])
if have then
  if redis.call('HGET', KEYS[2], ARGV[2]) == have then
    return tonumber(have)  -- this very article: a call retried after a lost reply
  end
  return 0
end
if redis.call('HEXISTS', KEYS[2], ARGV[2]) == 1 then return 0 end
local horizon = tonumber(ARGV[3])
for i = 5, #KEYS do
  local ids = redis.call('HGET', KEYS[i], ARGV[i])
  if ids then
    for j = 1, #ids, 4 do
      if struct.unpack('>I4', ids, j) > horizon then return 0 end
    end
  end
end
local id = redis.call('INCR', KEYS[4])
redis.call('HSET', KEYS[3], id, ARGV[4])
redis.call('HSET', KEYS[1], ARGV[1], id)
redis.call('HSET', KEYS[2], ARGV[2], id)
local packed = struct.pack('>I4', id)
for i = 5, #KEYS do
  local ids = redis.call('HGET', KEYS[i], ARGV[i])
  redis.call('HSET', KEYS[i], ARGV[i], (ids or '') .. packed)
end
return id
"""


def _pack(canonical: str, outlet: str, cluster: str, signature: Signature) -> bytes:
    head = "\0".join((canonical, outlet, cluster)).encode("utf-8")
    return head + b"\0" + signature.to_bytes()


def _unpack(oid: int, data: bytes) -> Original:
    canonical, outlet, cluster, sig = data.split(b"\0", 3)
    return Original(oid, canonical.decode("utf-8"), outlet.decode("utf-8"),
                    cluster.decode("utf-8"), Signature.from_bytes(sig))


class RedisDedupStore:
    def __init__(self, server: Any, prefix: str) -> None:
        self.server = server
        self.prefix = prefix.rstrip(":")
        self.urls = f"{self.prefix}:dedup:urls"
        self.fps = f"{self.prefix}:dedup:fps"
        self.originals = f"{self.prefix}:dedup:originals"
        self.counter = f"{self.prefix}:dedup:next"
        self._add = server.register_script(ADD_ORIGINAL)
        self._horizon: int | None = None

    def _bucket(self, band: int) -> tuple[str, bytes]:
        return f"{self.prefix}:dedup:b:{band >> BUCKET_SHIFT}", band.to_bytes(8, "big")

    def _get(self, oid: int) -> Original | None:
        data = self.server.hget(self.originals, oid)
        return _unpack(oid, data) if data is not None else None

    def by_url(self, key: str) -> Original | None:
        pipe = self.server.pipeline(transaction=False)
        pipe.hget(self.urls, key).get(self.counter)
        oid, horizon = pipe.execute()
        self._horizon = int(horizon or 0)
        return self._get(int(oid)) if oid is not None else None

    def by_fingerprint(self, fingerprint: str) -> Original | None:
        oid = self.server.hget(self.fps, fingerprint)
        return self._get(int(oid)) if oid is not None else None

    def candidates(self, band_keys: list[int]) -> list[Original]:
        pipe = self.server.pipeline(transaction=False)
        for band in band_keys:
            pipe.hget(*self._bucket(band))
        ids: set[int] = set()
        for packed in pipe.execute():
            if packed:
                ids.update(i for (i,) in struct.iter_unpack(">I", packed))
        if not ids:
            return []
        order = sorted(ids)
        rows = self.server.hmget(self.originals, order)
        return [_unpack(oid, data) for oid, data in zip(order, rows, strict=True)
                if data is not None]

    def add_original(self, key: str, canonical: str, outlet: str, cluster: str,
                     fingerprint: str, signature: Signature) -> Original:
        horizon = self._horizon
        if horizon is None:
            horizon = int(self.server.get(self.counter) or 0)
        self._horizon = None
        buckets = [self._bucket(band) for band in signature.bands()]
        oid = int(self._add(
            keys=[self.urls, self.fps, self.originals, self.counter, *(b for b, _ in buckets)],
            args=[key, fingerprint, horizon, _pack(canonical, outlet, cluster, signature),
                  *(f for _, f in buckets)]))
        if oid == 0:
            raise StoreConflict(f"another worker filed {canonical} or a text like it first")
        return Original(oid, canonical, outlet, cluster, signature)

    def add_alias(self, key: str, original: Original) -> None:
        self.server.hsetnx(self.urls, key, original.id)

    def count(self) -> int:
        return int(self.server.hlen(self.originals))

    def close(self) -> None:
        self.server.close()
