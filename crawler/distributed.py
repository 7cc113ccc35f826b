"""Distributed crawls: one frontier and one dedup index in Redis, many workers.

- :func:`redis_settings` switches a crawl to scrapy-redis (scheduler queue and
  request dupefilter in Redis) with the shared stores of :mod:`archive.redisdb`;
- :func:`enqueue` seeds the shared frontier from the outlets' feeds, sitemaps
  and section pages (``syria-archive enqueue``);
- :class:`WorkerRun` is a crawl run that takes its work from that frontier
  (``syria-archive worker``), and merges its catalog into the one on S3 under a
  Redis lock, so that every worker's articles end in one searchable catalog;
- :func:`status` tells what the frontier holds and which workers are alive.

Redis and scrapy-redis are imported here only: without ``--redis`` nothing
needs them.
"""

from __future__ import annotations

import json
import logging
import os
import tempfile
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from crawler.registry import Registry
from crawler.run import CrawlRun

logger = logging.getLogger(__name__)

# Alerts of a single crawl that say nothing about one worker of many: the shared
# frontier may simply have given this worker no work of that outlet.
_NOT_A_WORKERS_ALERT = ("no page could be fetched", "no feed, sitemap or section page")


WORKER_CONCURRENT_REQUESTS = 4  # per outlet and worker: 2 per site, an outlet's site or two


def redis_settings(url: str, *, until_empty: bool = False, idle_timeout: float | None = None,
                   worker: str | None = None, prefix: str | None = None) -> dict[str, Any]:
    """Settings that make a crawl share its frontier and state through Redis."""
    from archive.redisdb import DEFAULT_PREFIX, Keys

    keys = Keys(prefix or DEFAULT_PREFIX)
    settings: dict[str, Any] = {
        "REDIS_URL": url,
        "REDIS_PREFIX": keys.prefix,
        "REDIS_PARAMS": {"redis_cls": "archive.redisdb.ResilientRedis"},
        "SCHEDULER": "spiders.frontierqueue.FrontierScheduler",
        "SCHEDULER_PERSIST": True,  # the frontier outlives every worker
        "SCHEDULER_QUEUE_CLASS": "spiders.frontierqueue.FrontierQueue",
        "SCHEDULER_QUEUE_KEY": keys.queue_pattern,
        "SCHEDULER_DUPEFILTER_KEY": keys.dupefilter_pattern,
        "DUPEFILTER_CLASS": "scrapy_redis.dupefilter.RFPDupeFilter",
        "REDIS_UNTIL_EMPTY": until_empty,
        # Scrapy pulls from the scheduler as many requests as it may have in the downloader
        # (waiting for their slot's delay included): a worker takes from the shared queue
        # only what it can fetch soon, and leaves the rest to the others.
        "CONCURRENT_REQUESTS": WORKER_CONCURRENT_REQUESTS,
    }
    if idle_timeout is not None:
        settings["REDIS_IDLE_TIMEOUT"] = idle_timeout
    if worker:
        settings["REDIS_WORKER_ID"] = worker
    return settings


def _connect(url: str, retries: int = -1) -> Any:
    from archive.redisdb import connect

    return connect(url, retries=retries)


#: `enqueue` and `status` give up after this many attempts (seconds); workers wait on.
COMMAND_RETRIES = 4


def new_round(server: Any, keys: Any, outlet: str) -> bool:
    """Forget which requests an outlet's frontier saw, when nothing of it is queued or in
    flight: tonight's crawl may fetch again what last night's saw (the incremental store
    decides which articles are worth it).  True when reset."""
    busy = server.zcard(keys.queue(outlet)) or any(
        server.hlen(k) for k in server.smembers(keys("inflight"))
        if keys.split_inflight(k.decode("utf-8"))[0] == keys.queue(outlet))
    if busy:
        return False
    server.delete(keys.dupefilter(outlet))
    return True


def enqueue(url: str, outlet_ids: list[str], since: str | None = None,
            max_pages: int | None = None, prefix: str | None = None,
            registry_paths: list[str] | None = None) -> dict[str, dict[str, Any]]:
    """Put the seeds (feeds, sitemaps, section pages) of the outlets into the shared
    frontier, and the crawl's parameters beside them for the workers to read."""
    from scrapy_redis import picklecompat
    from scrapy_redis.queue import PriorityQueue

    from archive.redisdb import DEFAULT_PREFIX, Keys
    from crawler.extract.dates import parse_since
    from spiders.outlet import OutletSpider

    moment = parse_since(since)  # ValueError: bad usage
    registry = Registry.load(registry_paths or [])
    ids = outlet_ids or registry.ids()
    unknown = [i for i in ids if i not in registry]
    if unknown:
        raise ValueError(f"unknown outlet(s): {', '.join(unknown)} "
                         f"(known: {', '.join(registry.ids())})")
    keys = Keys(prefix or DEFAULT_PREFIX)
    server = _connect(url, COMMAND_RETRIES)
    out: dict[str, dict[str, Any]] = {}
    for outlet_id in ids:
        spider = OutletSpider.for_outlet(registry[outlet_id])(
            since=moment.isoformat() if moment else None, max_pages=max_pages)
        fresh = new_round(server, keys, outlet_id)
        queue = PriorityQueue(server, spider, keys.queue(outlet_id), picklecompat)
        seeds = list(spider.start_requests())
        for request in seeds:
            queue.push(request)
        params = {"since": moment.isoformat() if moment else "",
                  "max_pages": str(max_pages or ""),
                  "enqueued": datetime.now(UTC).isoformat(timespec="seconds")}
        server.hset(keys("outlet", outlet_id), mapping=params)
        server.sadd(keys("outlets"), outlet_id)
        out[outlet_id] = {"seeds": len(seeds), "queued": int(server.zcard(queue.key)),
                          "new_round": fresh}
    server.close()
    return out


def outlet_params(server: Any, keys: Any, outlet: str) -> dict[str, str]:
    raw = server.hgetall(keys("outlet", outlet))
    return {k.decode(): v.decode() for k, v in raw.items()}


class WorkerRun(CrawlRun):
    """A crawl run that takes its requests from the shared frontier."""

    def __init__(self, data_dir: Path, redis_url: str, outlets: list[str] | None = None,
                 until_empty: bool = False, idle_timeout: float | None = None,
                 seeds: bool = False, since: str | None = None, max_pages: int | None = None,
                 overrides: dict[str, Any] | None = None,
                 urls: list[str] | None = None) -> None:
        from archive.redisdb import worker_id

        self.worker = worker_id()
        super().__init__(data_dir, outlets, since=since, max_pages=max_pages,
                         overrides={**redis_settings(redis_url, until_empty=until_empty,
                                                     idle_timeout=idle_timeout,
                                                     worker=self.worker),
                                    **(overrides or {})}, urls=urls)
        self.redis_url = redis_url
        self.seeds = seeds
        if not seeds:
            # Unique among workers that start in the same second (S3 keys carry it).
            self.run_id = f"{self.run_id}-{self.worker}"

    def _keys(self) -> Any:
        from archive.redisdb import Keys

        return Keys(self.overrides.get("REDIS_PREFIX") or "syria-archive")

    def execute(self) -> dict[str, Any]:
        server = _connect(self.redis_url)
        try:
            server.ping()
            if self.seeds:  # `crawl --redis`: this run seeds the frontier itself
                for outlet_id in self.outlet_ids or Registry.load(
                        self.settings().getlist("OUTLETS_PATHS")).ids():
                    new_round(server, self._keys(), outlet_id)
            else:
                self.params = {o.decode(): outlet_params(server, self._keys(), o.decode())
                               for o in server.smembers(self._keys()("outlets"))}
        finally:
            server.close()
        report = super().execute()
        return report

    def spider_args(self, outlet_id: str, since: datetime | None) -> dict[str, Any]:
        args = super().spider_args(outlet_id, since)
        if self.seeds:
            return args
        params = getattr(self, "params", {}).get(outlet_id, {})
        return {**args, "seeds": False, "since": params.get("since") or args["since"],
                "max_pages": params.get("max_pages") or args["max_pages"]}

    def report(self, crawlers: dict[str, Any], started: float,
               since: datetime | None) -> dict[str, Any]:
        report = super().report(crawlers, started, since)
        report["command"] = "crawl --redis" if self.seeds else "worker"
        report["worker"] = self.worker
        report["alerts"] = [a for a in report["alerts"]
                            if not any(s in a for s in _NOT_A_WORKERS_ALERT)]
        if report["exit_code"] == 3 and not report["alerts"]:
            report["exit_code"] = 0
        return report

    def restore_state(self, settings: Any) -> Any:
        result = super().restore_state(settings)
        if result is not None and result.diverged:
            # The crawl's state lives in Redis; S3's state pointer only carries the catalog,
            # which upload() merges.  Another worker moving it is the normal case.
            logger.info("S3 state moved on by another worker: %s", result.diverged)
            result.diverged = None
        return result

    def upload(self, settings: Any) -> dict[str, Any]:
        """With S3: under a Redis lock, fold the catalog on S3 (every worker's articles so
        far) into ours, upload the run, and put the merged catalog where researchers read
        it (``catalog/catalog.sqlite3``), so that no worker's rows are lost to another's."""
        from archive.s3 import CATALOG_KEY, S3Config, S3Store

        config = S3Config.from_settings(settings)
        if config is None:
            return super().upload(settings)
        from archive.merge import merge_catalog
        from archive.upload import snapshot_sqlite

        server = _connect(self.redis_url)
        lock = server.lock(self._keys()("lock", "s3-catalog"), timeout=1800,
                           blocking_timeout=3600)
        catalog = self.data_dir / "state" / "catalog.sqlite3"
        with lock, tempfile.TemporaryDirectory(dir=self.data_dir / "state") as tmp:
            store = S3Store(config)
            if store.head(CATALOG_KEY) is not None:
                theirs = Path(tmp) / "theirs.sqlite3"
                store.client.download_file(config.bucket, store.full_key(CATALOG_KEY),
                                           str(theirs))
                added, _ = merge_catalog(theirs, catalog)
                logger.info("Catalog on S3 folded into this worker's: %d article(s) of "
                            "other workers", added)
            section = super().upload(settings)
            if section.pop("diverged", None):
                # Another worker published S3's state pointer first: expected here.
                section["state"] = "pointer kept by another worker; catalog merged"
            if catalog.is_file():
                merged = Path(tmp) / "merged.sqlite3"
                snapshot_sqlite(catalog, merged)
                store.client.upload_file(str(merged), config.bucket,
                                         store.full_key(CATALOG_KEY),
                                         ExtraArgs={"ChecksumAlgorithm": "SHA256"})
                section["catalog"] = "merged"
        server.close()
        return section


def status(url: str, prefix: str | None = None,
           registry_paths: list[str] | None = None) -> dict[str, Any]:
    """What the frontier holds per outlet, and the workers seen with their counts."""
    from archive.redisdb import DEFAULT_PREFIX, Keys, redact

    keys = Keys(prefix or DEFAULT_PREFIX)
    server = _connect(url, COMMAND_RETRIES)
    known = {o.decode() for o in server.smembers(keys("outlets"))}
    inflight: dict[str, int] = {}
    for raw in server.smembers(keys("inflight")):
        queue, _ = keys.split_inflight(raw.decode())
        inflight[queue] = inflight.get(queue, 0) + int(server.hlen(raw))
    outlets: dict[str, Any] = {}
    for outlet_id in sorted(known | set(Registry.load(registry_paths or []).ids())):
        queued = int(server.zcard(keys.queue(outlet_id)))
        seen = int(server.scard(keys.dupefilter(outlet_id)))
        flying = inflight.get(keys.queue(outlet_id), 0)
        if outlet_id in known or queued or seen or flying:
            outlets[outlet_id] = {"queued": queued, "in_flight": flying, "seen": seen,
                                  **outlet_params(server, keys, outlet_id)}
    workers: dict[str, Any] = {}
    for _, value in sorted(server.hgetall(keys("workers")).items()):
        row = json.loads(value)
        w = workers.setdefault(row["worker"], {
            "alive": bool(server.exists(keys("alive", row["worker"]))), "host": row["host"],
            "pid": row["pid"], "last_seen": "", "outlets": {}, "pages": 0, "items": 0,
            "dropped": 0, "errors": 0, "requeued": 0})
        w["last_seen"] = max(w["last_seen"], row["last_seen"])
        w["outlets"][row["outlet"]] = row["state"]

        for k in ("pages", "items", "dropped", "errors", "requeued"):
            w[k] += row.get(k, 0)
    for w in workers.values():
        # Alive: beating, and some outlet still crawling (a finished worker's key lingers).
        w["alive"] = w["alive"] and any(s == "crawling" for s in w["outlets"].values())
    from pipelines.dedupredis import RedisDedupStore

    result = {
        "redis": redact(url), "prefix": keys.prefix, "outlets": outlets, "workers": workers,
        "dedup_originals": RedisDedupStore(server, keys.prefix).count(),
        "fetched_pages": int(server.hlen(keys("fetched"))),
        "payload_digests": int(server.hlen(keys("digests"))),
        "memory_bytes": int(server.info("memory").get("used_memory", 0)),
        "time": datetime.now(UTC).isoformat(timespec="seconds"),
    }
    server.close()
    return result


def default_url() -> str:
    return os.environ.get("SYRIA_ARCHIVE_REDIS", "")
