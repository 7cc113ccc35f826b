"""The shared frontier's queue: scrapy-redis' priority queue, with requests in flight.

scrapy-redis pops a request from the sorted set and forgets it: a worker killed
while fetching it would lose it.  Here popping moves the request, in one Lua
script, into the worker's in-flight hash (``PREFIX:OUTLET:requests:inflight:WORKER``,
field = SHA-1 of the encoded request, value = "score|request"), and the request
carries ``meta["frontier"]`` = (that hash, that field).  The entry goes when the
request is finished (:mod:`spiders.frontier`) or when a successor (a redirect,
a retry) is back in the queue.  Every step is one script or transaction, so
that a command Redis ran but whose reply a restart lost can be sent again
(redis-py retries it) without losing a request: marking a request seen and
queueing it are one step.  If the worker dies, its heartbeat expires and
another worker puts the whole hash back into the queue (:data:`REQUEUE`).

Used as ``SCHEDULER_QUEUE_CLASS`` with :class:`FrontierScheduler` (``SCHEDULER``).
Settings read: ``REDIS_WORKER_ID`` (default: host-pid), ``REDIS_PREFIX``.
"""

from __future__ import annotations

import logging
from typing import Any

from scrapy import Request
from scrapy.utils.misc import load_object
from scrapy_redis.queue import PriorityQueue
from scrapy_redis.scheduler import Scheduler

from archive.redisdb import Keys

logger = logging.getLogger(__name__)

POP = """
local item = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')
if #item == 0 then return nil end
redis.call('ZREM', KEYS[1], item[1])
local id = redis.sha1hex(item[1])
redis.call('HSET', KEYS[2], id, item[2] .. '|' .. item[1])
return {item[1], id}
"""

#: The dupefilter's SADD and the queue's ZADD together (and the predecessor's in-flight
#: entry gone): 1 when queued, 0 when seen before.
PUSH_UNSEEN = """
if redis.call('SADD', KEYS[1], ARGV[1]) == 0 then return 0 end
redis.call('ZADD', KEYS[2], ARGV[2], ARGV[3])
if ARGV[4] ~= '' then redis.call('HDEL', KEYS[3], ARGV[4]) end
return 1
"""

#: Put every request of an in-flight hash back into its queue; forget the hash.
REQUEUE = """
local entries = redis.call('HGETALL', KEYS[1])
for i = 1, #entries, 2 do
  local v = entries[i + 1]
  local sep = string.find(v, '|', 1, true)
  redis.call('ZADD', KEYS[2], string.sub(v, 1, sep - 1), string.sub(v, sep + 1))
end
redis.call('DEL', KEYS[1])
redis.call('SREM', KEYS[3], KEYS[1])
return #entries / 2
"""


def requeue(server: Any, keys: Keys, inflight_key: str) -> int:
    """Return a worker's unfinished requests of one outlet to that outlet's queue."""
    queue, _ = Keys.split_inflight(inflight_key)
    return int(server.eval(REQUEUE, 3, inflight_key, queue, keys("inflight")))


class FrontierQueue(PriorityQueue):
    def __init__(self, server: Any, spider: Any, key: str, serializer: Any = None) -> None:
        super().__init__(server, spider, key, serializer)
        settings = spider.settings
        from archive.redisdb import worker_id

        self.keys = Keys(settings.get("REDIS_PREFIX") or "syria-archive")
        self.worker = settings.get("REDIS_WORKER_ID") or worker_id()
        self.inflight = f"{key}:inflight:{self.worker}"
        self._pop = server.register_script(POP)
        self._push_unseen = server.register_script(PUSH_UNSEEN)
        # Listed, so that any worker can find it when this one's heartbeat stops.
        server.sadd(self.keys("inflight"), self.inflight)

    def push(self, request: Request) -> None:
        data = self._encode_request(request)
        tag = request.meta.get("frontier")
        pipe = self.server.pipeline(transaction=True)
        pipe.execute_command("ZADD", self.key, -request.priority, data)
        if tag and tag[0] == self.inflight:
            # A redirect or retry of a request this worker holds: the successor stands
            # for it in the queue now.
            pipe.hdel(tag[0], tag[1])
        pipe.execute()

    def push_unseen(self, request: Request, dupefilter: str, fingerprint: str) -> bool:
        """Mark the request seen and queue it, in one script: a call that Redis ran but
        whose reply a restart lost is retried, finds it seen, and it is in the queue."""
        tag = request.meta.get("frontier")
        held = tag[0] if tag and tag[0] == self.inflight else ""
        return bool(self._push_unseen(
            keys=[dupefilter, self.key, held or self.inflight],
            args=[fingerprint, -request.priority, self._encode_request(request),
                  tag[1] if tag and held else ""]))

    def pop(self, timeout: int = 0) -> Request | None:
        found = self._pop(keys=[self.key, self.inflight])
        if not found:
            return None
        data, tag = found
        request: Request = self._decode_request(data)
        request.meta["frontier"] = (self.inflight, tag.decode("ascii"))
        return request


class FrontierScheduler(Scheduler):
    """scrapy-redis' scheduler, speaking Scrapy 2.13+'s component API (stats without a
    ``spider`` argument, logging without ``Spider.log``), which scrapy-redis 0.9 predates."""

    def open(self, spider: Any) -> None:
        self.spider = spider
        self.queue = load_object(self.queue_cls)(
            server=self.server, spider=spider, key=self.queue_key % {"spider": spider.name},
            serializer=self.serializer)
        if not self.df:
            self.df: Any = load_object(self.dupefilter_cls).from_spider(spider)
        if self.flush_on_start:
            self.flush()
        if waiting := len(self.queue):
            logger.info("Shared frontier of %s: %d request(s) waiting", spider.name, waiting)

    def enqueue_request(self, request: Request) -> bool:
        if request.dont_filter:
            self.queue.push(request)
        elif not self.queue.push_unseen(request, self.df.key,
                                        self.df.request_fingerprint(request)):
            self.df.log(request, self.spider)
            return False
        if self.stats:
            self.stats.inc_value("scheduler/enqueued/redis")
        return True

    def next_request(self) -> Request | None:
        request = self.queue.pop(self.idle_before_close)
        if request is not None and self.stats:
            self.stats.inc_value("scheduler/dequeued/redis")
        return request
