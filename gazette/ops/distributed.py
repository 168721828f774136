"""Distributed crawls on Redis: one setting turns a crawl into a worker.

Set ``GAZETTE_REDIS_URL`` (``redis://host:6379/0``) and every ``scrapy crawl``
of the same spider, on any machine, shares

* one **frontier**: scrapy-redis's scheduler (priority queue in Redis) and
  request dupefilter, so each URL is fetched once by one of the workers;
* one **crawl state** (:class:`gazette.state.redis.RedisState`): seen detail
  pages and the notice ids of the dedup stage, so a notice found by two
  workers is exported once;
* one **finish line**: :class:`RedisCoordinator` keeps a worker whose share
  ran out waiting while another worker is still busy (it may still add
  requests), and cleans the run's frontier when the last worker leaves.

:class:`RedisAddon` is listed in ``ADDONS`` (``gazette.settings_server``) and
does nothing unless ``GAZETTE_REDIS_URL`` is set. It sets, above the project
settings (a ``-s`` on the command line still wins):

=============================  ==========================================
``SCHEDULER``                  :class:`RedisScheduler` (scrapy-redis)
``DUPEFILTER_CLASS``           ``scrapy_redis.dupefilter.RFPDupeFilter``
``REDIS_URL``                  the value of ``GAZETTE_REDIS_URL``
``SCHEDULER_QUEUE_KEY``        ``gazette:%(spider)s:requests``
``SCHEDULER_DUPEFILTER_KEY``   ``gazette:%(spider)s:dupefilter``
``SCHEDULER_PERSIST``          True (the coordinator cleans up instead)
``GAZETTE_STATE_BACKEND``      ``gazette.state.redis.RedisState``
=============================  ==========================================

and adds :class:`RedisCoordinator` to ``EXTENSIONS`` and swaps the dedup
pipeline for :class:`LockedDedupPipeline` (one Redis lock around each
check-then-add, so that two workers never both call the same notice new).

scrapy-redis 0.9.1 and Scrapy 2.13+: the scheduler and dupefilter work as they
are with the async ``start()`` (start requests go through the engine into
``enqueue_request``); :class:`RedisScheduler` only drops the ``spider=``
argument of its stats calls, deprecated since Scrapy 2.13. scrapy-redis's
``RedisSpider`` (start URLs fed through a Redis list) is not used.
"""

from __future__ import annotations

import json
import logging
import os
import socket
import time
import uuid
from typing import Any

from scrapy import signals
from scrapy.exceptions import DontCloseSpider, NotConfigured
from scrapy_redis.scheduler import Scheduler

logger = logging.getLogger(__name__)

#: above "project" (20), below "spider" (30) and "cmdline" (40)
PRIORITY = 25
QUEUE_KEY = "gazette:%(spider)s:requests"
DUPEFILTER_KEY = "gazette:%(spider)s:dupefilter"
WORKERS_KEY = "gazette:%(spider)s:workers"
DEDUP_PIPELINE = "gazette.pipelines.p40_dedup.DedupPipeline"


def _set(settings: Any, name: str, value: Any) -> None:
    if (settings.getpriority(name) or 0) <= 20:
        settings.set(name, value, priority=PRIORITY)


class RedisAddon:
    """Switch scheduler, dupefilter and state to Redis when ``GAZETTE_REDIS_URL`` is set."""

    def update_settings(self, settings: Any) -> None:
        url = settings.get("GAZETTE_REDIS_URL")
        if not url:
            return
        _set(settings, "REDIS_URL", url)
        _set(settings, "SCHEDULER", "gazette.ops.distributed.RedisScheduler")
        _set(settings, "DUPEFILTER_CLASS", "scrapy_redis.dupefilter.RFPDupeFilter")
        _set(settings, "SCHEDULER_QUEUE_KEY", QUEUE_KEY)
        _set(settings, "SCHEDULER_DUPEFILTER_KEY", DUPEFILTER_KEY)
        _set(settings, "SCHEDULER_PERSIST", True)
        _set(settings, "GAZETTE_STATE_BACKEND", "gazette.state.redis.RedisState")
        settings.set_in_component_priority_dict("EXTENSIONS", RedisCoordinator, 50)
        pipelines = settings.getdict("ITEM_PIPELINES")
        if any(str(k) == DEDUP_PIPELINE for k in pipelines):
            from scrapy.utils.misc import load_object

            settings.replace_in_component_priority_dict(
                "ITEM_PIPELINES", load_object(DEDUP_PIPELINE), LockedDedupPipeline
            )


class RedisScheduler(Scheduler):
    """scrapy-redis's scheduler without the deprecated ``spider=`` stats argument."""

    def enqueue_request(self, request: Any) -> bool:
        if not request.dont_filter and self.df.request_seen(request):
            self.df.log(request, self.spider)
            return False
        if self.stats:
            self.stats.inc_value("scheduler/enqueued/redis")
        self.queue.push(request)
        return True

    def next_request(self) -> Any:
        request = self.queue.pop(self.idle_before_close)
        if request and self.stats:
            self.stats.inc_value("scheduler/dequeued/redis")
        return request


class LockedDedupPipeline:
    """The dedup stage (``DedupPipeline``) under one Redis lock per state, so
    that two workers never both call the same notice new."""

    def __init__(self, inner: Any) -> None:
        self.inner = inner

    @classmethod
    def from_crawler(cls, crawler: Any) -> LockedDedupPipeline:
        from scrapy.utils.misc import build_from_crawler, load_object

        return cls(build_from_crawler(load_object(DEDUP_PIPELINE), crawler))

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)

    def process_item(self, item: Any) -> Any:
        state = getattr(getattr(self.inner, "dedup", None), "state", None)
        lock = getattr(state, "lock", None)
        if lock is None:
            return self.inner.process_item(item)
        with lock():
            return self.inner.process_item(item)


def _redis(settings: Any) -> Any:
    from scrapy_redis.connection import get_redis_from_settings

    return get_redis_from_settings(settings)


class RedisCoordinator:
    """Workers of one spider agree on when the shared crawl is over.

    Each worker records itself in ``gazette:<spider>:workers`` (a hash: state
    ``busy``/``idle`` and a heartbeat every ``GAZETTE_REDIS_HEARTBEAT`` s).
    When a worker runs out of requests it stays open (``DontCloseSpider``) as
    long as another live worker is busy or the shared queue holds requests.
    The last worker to leave deletes the dupefilter (and the queue, when
    empty), so the next scheduled run starts from its start URLs again; the
    first worker to join a run whose queue is empty drops a stale dupefilter
    left by a killed run. A run killed with requests in its queue is resumed
    by the next workers.

    Stats: ``gazette/redis/idle_waits``, ``gazette/redis/workers_seen``.
    """

    def __init__(self, crawler: Any) -> None:
        settings = crawler.settings
        if not settings.get("GAZETTE_REDIS_URL"):
            raise NotConfigured
        self.crawler = crawler
        self.heartbeat = settings.getfloat("GAZETTE_REDIS_HEARTBEAT", 2.0)
        self.dead_after = settings.getfloat("GAZETTE_REDIS_WORKER_TIMEOUT", 30.0)
        self.max_wait = settings.getfloat("GAZETTE_REDIS_MAX_IDLE_WAIT", 0.0)
        self.worker = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:6]}"
        self.server: Any = None
        self.task: Any = None
        self.poke: Any = None
        self.idle_since: float | None = None
        self.keys: dict[str, str] = {}
        crawler.signals.connect(self.spider_opened, signal=signals.spider_opened)
        crawler.signals.connect(self.spider_idle, signal=signals.spider_idle)
        crawler.signals.connect(self.spider_closed, signal=signals.spider_closed)

    @classmethod
    def from_crawler(cls, crawler: Any) -> RedisCoordinator:
        return cls(crawler)

    # -- bookkeeping -------------------------------------------------------

    def _beat(self, state: str) -> None:
        info = {
            "state": state,
            "beat": time.time(),
            "host": socket.gethostname(),
            "pid": os.getpid(),
        }
        self.server.hset(self.keys["workers"], self.worker, json.dumps(info))
        self.server.expire(self.keys["workers"], 86400)

    def _others(self) -> dict[str, dict[str, Any]]:
        now = time.time()
        out = {}
        for raw_name, raw in self.server.hgetall(self.keys["workers"]).items():
            name = raw_name.decode() if isinstance(raw_name, bytes) else str(raw_name)
            if name == self.worker:
                continue
            try:
                info = json.loads(raw)
            except ValueError:
                continue
            if now - float(info.get("beat", 0)) <= self.dead_after:
                out[name] = info
        return out

    def _queue_len(self) -> int:
        key = self.keys["queue"]
        kind = self.server.type(key)
        kind = kind.decode() if isinstance(kind, bytes) else kind
        if kind == "zset":
            return int(self.server.zcard(key))
        if kind == "list":
            return int(self.server.llen(key))
        return 0

    def _tick(self) -> None:
        engine = self.crawler.engine
        try:
            idle = engine is not None and engine.spider_is_idle()
        except RuntimeError:
            idle = True
        try:
            self._beat("idle" if idle else "busy")
        except Exception as exc:  # noqa: BLE001 - a lost heartbeat must not kill the crawl
            logger.warning("redis heartbeat failed: %s", exc)

    # -- signals -----------------------------------------------------------

    def spider_opened(self, spider: Any) -> None:
        from twisted.internet import task

        settings = self.crawler.settings
        name = {"spider": spider.name}
        self.keys = {
            "queue": str(settings.get("SCHEDULER_QUEUE_KEY") or QUEUE_KEY) % name,
            "dupefilter": str(settings.get("SCHEDULER_DUPEFILTER_KEY") or DUPEFILTER_KEY) % name,
            "workers": WORKERS_KEY % name,
        }
        self.server = _redis(settings)
        with self.server.lock(f"gazette:{spider.name}:join", timeout=30, blocking_timeout=30):
            others = self._others()
            queued = self._queue_len()
            if not others:
                if queued:
                    logger.info(
                        "redis: resuming %d requests left in %s", queued, self.keys["queue"]
                    )
                elif self.server.delete(self.keys["dupefilter"]):
                    logger.info("redis: dropped the stale dupefilter of an earlier run")
            self._beat("busy")
        logger.info(
            "redis worker %s joins %s (%d other live workers, %d queued requests)",
            self.worker,
            self.keys["queue"],
            len(others),
            queued,
        )
        self.crawler.stats.max_value("gazette/redis/workers_seen", len(others) + 1)
        self.task = task.LoopingCall(self._tick)
        self.task.start(self.heartbeat, now=False)

    def spider_idle(self, spider: Any = None) -> None:
        self._beat("idle")
        now = time.monotonic()
        if self.idle_since is None:
            self.idle_since = now
        busy = [n for n, info in self._others().items() if info.get("state") == "busy"]
        queued = self._queue_len()
        if not busy and not queued:
            return
        if self.max_wait and now - self.idle_since > self.max_wait:
            logger.warning("redis: gave up waiting for %s after %.0fs", busy, self.max_wait)
            return
        self.crawler.stats.inc_value("gazette/redis/idle_waits")
        logger.debug("redis: idle, waiting (busy workers: %s, queued: %d)", busy, queued)
        self._poke_later()
        raise DontCloseSpider("other workers are busy")

    def _poke_later(self) -> None:
        """Look at the shared queue again after one heartbeat, not after the
        engine's own 5 s idle heartbeat."""
        from twisted.internet import reactor

        if self.poke is None or not self.poke.active():
            self.poke = reactor.callLater(self.heartbeat, self._poke)  # type: ignore[attr-defined]

    def _poke(self) -> None:
        slot = getattr(self.crawler.engine, "_slot", None)
        nextcall = getattr(slot, "nextcall", None)
        if nextcall is not None:
            nextcall.schedule()

    def spider_closed(self, spider: Any = None, reason: str | None = None) -> None:
        if self.task is not None and self.task.running:
            self.task.stop()
        if self.poke is not None and self.poke.active():
            self.poke.cancel()
        if self.server is None:
            return
        try:
            self.server.hdel(self.keys["workers"], self.worker)
            if self._others():
                return
            queued = self._queue_len()
            if queued:
                logger.warning(
                    "redis: %d requests left in %s; the next run resumes them",
                    queued,
                    self.keys["queue"],
                )
                return
            self.server.delete(self.keys["dupefilter"], self.keys["queue"])
            logger.info("redis: last worker out, frontier of %s cleared", spider.name)
        finally:
            self.server.close()
