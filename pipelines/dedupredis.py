"""The deduplication index in Redis, shared by the workers of a distributed crawl.

The same methods as :class:`pipelines.dedupstore.SqliteDedupStore`, so the same
:class:`pipelines.dedup.Deduplicator` decides.  Keys (under ``PREFIX:dedup:``):

- ``urls``: hash, canonical-URL key -> original id (duplicates' URLs point at theirs);
- ``fps``: hash, exact text fingerprint -> original id;
- ``originals``: hash, id -> canonical, outlet, cluster, language, facts and MinHash
  signature;
- ``next``: the id counter;
- ``b:N``: the LSH band keys, in 2^19 small hashes (band key -> the ids filed under
  it, 4 bytes each), small enough for Redis' compact listpack encoding;
- ``g:GROUP``: sorted set of an outlet group's originals by day, for translations.

Filing an original is one Lua script: atomic, and safe to send again when Redis
ran it but a restart lost its reply (it finds the URL and text filed and
returns their id).  Two workers meeting two copies of one story at the same
moment must not both file an original: :class:`RedisTurn` extends the
pipeline's one-article-at-a-time turn (from verdict to record, see
:class:`pipelines.dedup.DedupPipeline`) to all workers, with a token in Redis.
"""

from __future__ import annotations

import os
import struct
from typing import Any

from pipelines.dedupstore import Original
from pipelines.facts import from_text, to_text
from pipelines.similarity import Signature

BUCKET_SHIFT = 44  # 63-bit band keys -> 2^19 buckets

ADD_ORIGINAL = """
local have = redis.call('HGET', KEYS[1], ARGV[1]) or redis.call('HGET', KEYS[2], ARGV[2])
if have then return tonumber(have) end  -- filed already (a call sent again, or a race)
local id = redis.call('INCR', KEYS[4])
redis.call('HSET', KEYS[3], id, ARGV[3])
redis.call('HSET', KEYS[1], ARGV[1], id)
redis.call('HSET', KEYS[2], ARGV[2], id)
if ARGV[4] ~= '' then redis.call('ZADD', KEYS[5], ARGV[4], id) end
local packed = struct.pack('>I4', id)
for i = 6, #KEYS do
  local ids = redis.call('HGET', KEYS[i], ARGV[i - 1]) or ''
  redis.call('HSET', KEYS[i], ARGV[i - 1], ids .. packed)
end
return id
"""


def _pack(canonical: str, outlet: str, cluster: str, language: str | None,
          facts: frozenset[str] | None, signature: Signature) -> bytes:
    head = "\0".join((canonical, outlet, cluster, language or "",
                      "\1" if facts is None else to_text(facts))).encode("utf-8")
    return head + b"\0" + signature.to_bytes()


def _unpack(oid: int, data: bytes) -> Original:
    canonical, outlet, cluster, language, facts, sig = data.split(b"\0", 5)
    text = facts.decode("utf-8")
    return Original(oid, canonical.decode("utf-8"), outlet.decode("utf-8"),
                    cluster.decode("utf-8"), Signature.from_bytes(sig),
                    None if text == "\1" else from_text(text), language.decode("utf-8") or None)


class RedisDedupStore:
    def __init__(self, server: Any, prefix: str) -> None:
        self.server = server
        self.prefix = prefix.rstrip(":")
        self.path = f"redis:{self.prefix}"  # names the pipeline's turn, as a file path does
        self.urls = f"{self.prefix}:dedup:urls"
        self.fps = f"{self.prefix}:dedup:fps"
        self.originals = f"{self.prefix}:dedup:originals"
        self.counter = f"{self.prefix}:dedup:next"
        self._add = server.register_script(ADD_ORIGINAL)

    def _bucket(self, band: int) -> tuple[str, bytes]:
        return f"{self.prefix}:dedup:b:{band >> BUCKET_SHIFT}", band.to_bytes(8, "big")

    def _group(self, group: str) -> str:
        return f"{self.prefix}:dedup:g:{group}"

    def _get(self, oid: int) -> Original | None:
        data = self.server.hget(self.originals, oid)
        return _unpack(oid, data) if data is not None else None

    def _many(self, ids: list[int]) -> list[Original]:
        if not ids:
            return []
        rows = self.server.hmget(self.originals, ids)
        return [_unpack(oid, data) for oid, data in zip(ids, rows, strict=True)
                if data is not None]

    def by_url(self, key: str) -> Original | None:
        oid = self.server.hget(self.urls, key)
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
        return self._many(sorted(ids))

    def translation_candidates(self, group: str, language: str, first_day: int,
                               last_day: int) -> list[Original]:
        """Originals of the outlet group in another language, published in the days given."""
        ids = [int(i) for i in self.server.zrangebyscore(self._group(group), first_day,
                                                         last_day)]
        return [o for o in self._many(ids) if o.language != language and o.facts is not None]

    def add_original(self, key: str, canonical: str, outlet: str, cluster: str,
                     fingerprint: str, signature: Signature, *,
                     facts: frozenset[str] | None = None, language: str | None = None,
                     group: str | None = None, day: int | None = None) -> Original:
        buckets = [self._bucket(band) for band in signature.bands()]
        oid = int(self._add(
            keys=[self.urls, self.fps, self.originals, self.counter,
                  self._group(group or outlet), *(b for b, _ in buckets)],
            args=[key, fingerprint, _pack(canonical, outlet, cluster, language, facts, signature),
                  "" if day is None or not group else day, *(f for _, f in buckets)]))
        return Original(oid, canonical, outlet, cluster, signature, facts, language)

    def add_alias(self, key: str, original: Original) -> None:
        self.server.hsetnx(self.urls, key, original.id)

    def count(self) -> int:
        return int(self.server.hlen(self.originals))

    def close(self) -> None:
        self.server.close()


RELEASE = """
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
"""


class RedisTurn:
    """The pipeline's turn (a DeferredLock's ``acquire``/``release``) across workers: the
    process's own lock first, then a token in Redis (``SET NX PX``).  The token expires
    after ``hold`` seconds, so a worker killed in its turn blocks the others that long at
    most."""

    def __init__(self, server: Any, key: str, local: Any, hold: float = 10.0,
                 poll: float = 0.005) -> None:
        self.server = server
        self.key = key
        self.local = local
        self.hold_ms = int(hold * 1000)
        self.poll = poll
        self.token = ""
        self._release = server.register_script(RELEASE)

    def try_acquire(self) -> bool:
        """The Redis token alone, without waiting (tests and :meth:`acquire` use it)."""
        token = f"{os.getpid()}:{id(self)}:{os.urandom(6).hex()}"
        if self.server.set(self.key, token, nx=True, px=self.hold_ms):
            self.token = token
            return True
        return False

    def release_token(self) -> None:
        self._release(keys=[self.key], args=[self.token])

    async def _remote(self) -> None:
        # Driven by Twisted (Deferred.fromCoroutine): it awaits Deferreds, not asyncio futures.
        from twisted.internet import reactor
        from twisted.internet.task import deferLater

        while not self.try_acquire():
            await deferLater(reactor, self.poll, lambda: None)

    def acquire(self) -> Any:
        from twisted.internet.defer import Deferred

        d = self.local.acquire()
        d.addCallback(lambda _: Deferred.fromCoroutine(self._remote()))
        return d

    def release(self) -> None:
        try:
            self.release_token()
        finally:
            self.local.release()
