"""Crawl state in Redis: one state shared by many crawler processes.

Same semantics as :class:`gazette.state.sqlite.SQLiteState`, but every write
goes straight to the Redis server, so every process sees every other's
notices, keys and seen pages at once. Selected by
``GAZETTE_STATE_BACKEND = "gazette.state.redis.RedisState"`` (which
:class:`gazette.ops.distributed.RedisAddon` sets when ``GAZETTE_REDIS_URL`` is set).

Keys, all under one prefix ``P`` (``GAZETTE_REDIS_STATE_KEY``, default
``gazette:{spider}:state``; give every spider the same prefix, e.g.
``gazette:state``, to deduplicate across spiders as one SQLite file would):

=======================  ======  =================================================
``P:meta``               hash    small settings (schema version, LSH parameters)
``P:seq``                string  notice counter (insertion order)
``P:order``              list    notice ids, first added first
``P:n:<id>``             hash    ``seq``, ``doc_number``, ``issuer``, ``sig``, ``exported``,
                                 ``run`` (the run a pending notice was added in)
``P:exported``           set     exported notice ids
``P:seen``               set     8-byte hashes of processed detail-page fingerprints
``P:k:<hash>``           zset    ids under one exact key (score = notice ``seq``)
``P:b:<band>``           zset    ids under one LSH band key
``P:s:<id>``             list    sources of a notice (zlib JSON ``{url, record}``)
``P:su:<id>``            set     source URLs of a notice (one source per URL)
``P:count``              hash    row counts: keys, bands, sources
``P:runseq``             string  run counter
``P:runs``               set     recorded runs
``P:run:<run>``          hash    ``owner`` (host, pid), ``exports`` (JSON list), ``ended``
``P:pending:<run>``      set     ids still pending in a run
``P:nk:<id>``            set     key and band zsets of a pending notice (for a rollback)
``P:ns:<id>``            set     seen hashes that depend on a pending notice
=======================  ======  =================================================

Writes are immediate (``commit`` is a no-op); durability is the Redis
server's (``appendonly yes`` for a state you cannot rebuild).

Pending notices and runs follow :class:`gazette.state.base.State`: a worker
beginning a run reconciles the runs of its own host whose process is gone
(other hosts' runs, and their export files, are left to workers there).
"""

from __future__ import annotations

import hashlib
import json
import zlib
from collections.abc import Iterable, Iterator
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from gazette.state.base import KINDS, MAX_CANDIDATES, NoticeInfo, Source, State
from gazette.state.runs import RunInfo

SCHEMA_VERSION = "1"
DEFAULT_KEY = "gazette:{spider}:state"

#: add_notice, atomically: fail when the id exists, else create it and its first source
_ADD_NOTICE = """
if redis.call('EXISTS', KEYS[1]) == 1 then return 0 end
local seq = redis.call('INCR', KEYS[2])
redis.call('HSET', KEYS[1], 'seq', seq, 'doc_number', ARGV[2], 'issuer', ARGV[3],
           'sig', ARGV[4], 'exported', ARGV[5], 'has_doc', ARGV[6], 'has_sig', ARGV[7])
if ARGV[11] ~= '' then
  redis.call('HSET', KEYS[1], 'run', ARGV[11])
  if ARGV[5] ~= '1' then redis.call('SADD', KEYS[8], ARGV[1]) end
end
redis.call('RPUSH', KEYS[3], ARGV[1])
if ARGV[5] == '1' then redis.call('SADD', KEYS[6], ARGV[1]) end
local added_source = 1
if ARGV[9] == '1' then added_source = redis.call('SADD', KEYS[5], ARGV[8]) end
if added_source == 1 then
  redis.call('RPUSH', KEYS[4], ARGV[10])
  redis.call('HINCRBY', KEYS[7], 'sources', 1)
end
return seq
"""

#: adopt_doc_number: set the 文号 only where the notice has none
_ADOPT_DOC = """
if redis.call('HGET', KEYS[1], 'has_doc') == '0' then
  redis.call('HSET', KEYS[1], 'doc_number', ARGV[1], 'has_doc', '1')
end
return 1
"""


class NoticeExists(ValueError):
    """``add_notice`` of an id another process registered first."""


def _h(*parts: str) -> str:
    """A short, fixed-length hash of a key (16 hex digits)."""
    return hashlib.blake2b("\x1f".join(parts).encode("utf-8"), digest_size=8).hexdigest()


def _pack(url: str | None, record: dict[str, Any] | None) -> bytes:
    data = {"url": url, "record": record}
    return zlib.compress(json.dumps(data, ensure_ascii=False, default=str).encode("utf-8"), 6)


def _unpack(blob: bytes) -> tuple[str | None, dict[str, Any] | None]:
    data = json.loads(zlib.decompress(blob).decode("utf-8"))
    record = data.get("record")
    return data.get("url"), record if isinstance(record, dict) else None


def _s(value: bytes | str | None) -> str | None:
    if value is None:
        return None
    return value.decode("utf-8") if isinstance(value, bytes) else str(value)


def redact(url: str) -> str:
    """``url`` without its password, for log lines.

    >>> redact("redis://:s3cret@db.example:6379/2"), redact("redis://127.0.0.1:6379")
    ('redis://:***@db.example:6379/2', 'redis://127.0.0.1:6379')
    """
    parts = urlsplit(url)
    if parts.password is None:
        return url
    user = parts.username or ""
    host = parts.hostname or ""
    if parts.port:
        host = f"{host}:{parts.port}"
    return urlunsplit(parts._replace(netloc=f"{user}:***@{host}"))


class RedisState(State):
    """:class:`State` in Redis under the key prefix ``prefix``."""

    def __init__(self, client: Any, prefix: str, reset: bool = False, url: str = "") -> None:
        self.r = client
        self.prefix = prefix.rstrip(":")
        self.location = f"{redact(url)} {self.prefix}" if url else self.prefix
        self._add_notice = self.r.register_script(_ADD_NOTICE)
        self._adopt_doc = self.r.register_script(_ADOPT_DOC)
        if reset:
            self.reset()
        version = self.get_meta("schema_version")
        if version is None:
            self.set_meta("schema_version", SCHEMA_VERSION)
        elif version != SCHEMA_VERSION:
            raise RuntimeError(
                f"{self.location}: state schema {version}, expected {SCHEMA_VERSION}; "
                "start over with GAZETTE_STATE_RESET=1"
            )

    @classmethod
    def from_url(cls, url: str, prefix: str = "gazette:state", reset: bool = False) -> RedisState:
        import redis

        client = redis.Redis.from_url(url, socket_timeout=30, health_check_interval=30)
        return cls(client, prefix, reset=reset, url=url)

    @classmethod
    def from_settings(cls, settings: Any, spider_name: str) -> RedisState:
        """Open ``GAZETTE_REDIS_URL`` under ``GAZETTE_REDIS_STATE_KEY`` (``{spider}`` filled in)."""
        url = settings.get("GAZETTE_REDIS_URL") or settings.get("REDIS_URL")
        if not url:
            raise ValueError("RedisState needs GAZETTE_REDIS_URL (redis://host:port/db)")
        prefix = str(settings.get("GAZETTE_REDIS_STATE_KEY") or DEFAULT_KEY)
        prefix = prefix.replace("%(name)s", spider_name).replace("{spider}", spider_name)
        return cls.from_url(str(url), prefix, reset=settings.getbool("GAZETTE_STATE_RESET"))

    def _k(self, *parts: str) -> str:
        return ":".join((self.prefix, *parts))

    # -- lifecycle ---------------------------------------------------------

    def reset(self) -> None:
        batch: list[Any] = []
        for key in self.r.scan_iter(match=self._k("*"), count=1000):
            batch.append(key)
            if len(batch) >= 1000:
                self.r.delete(*batch)
                batch = []
        if batch:
            self.r.delete(*batch)
        self.set_meta("schema_version", SCHEMA_VERSION)
        self.run = None

    def commit(self) -> None:
        """Nothing to do: every write is already on the server."""

    def close(self) -> None:
        try:
            if self.run is not None:
                self.end_run()
        finally:
            self.r.close()

    def get_meta(self, key: str) -> str | None:
        return _s(self.r.hget(self._k("meta"), key))

    def set_meta(self, key: str, value: str) -> None:
        self.r.hset(self._k("meta"), key, value)

    # -- runs ----------------------------------------------------------------

    def _start_run(self, owner: str, exports: list[str]) -> str:
        run = str(int(self.r.incr(self._k("runseq"))))
        pipe = self.r.pipeline()
        pipe.hset(
            self._k("run", run),
            mapping={"owner": owner, "exports": json.dumps(list(dict.fromkeys(exports)))},
        )
        pipe.sadd(self._k("runs"), run)
        pipe.execute()
        return run

    def add_export(self, path: str) -> None:
        if self.run is None:
            return
        key = self._k("run", self.run)
        exports = json.loads(_s(self.r.hget(key, "exports")) or "[]")
        if path not in exports:
            exports.append(path)
            self.r.hset(key, "exports", json.dumps(exports))

    def end_run(self) -> None:
        if self.run is None:
            return
        run, self.run = self.run, None
        if self.r.scard(self._k("pending", run)):
            self.r.hset(self._k("run", run), "ended", "1")
        else:
            self._forget_run(run)

    def _forget_run(self, run: str) -> None:
        pipe = self.r.pipeline()
        pipe.delete(self._k("run", run), self._k("pending", run))
        pipe.srem(self._k("runs"), run)
        pipe.execute()

    def _runs(self) -> list[RunInfo]:
        out = []
        for raw in sorted(self.r.smembers(self._k("runs")), key=lambda v: int(v)):
            run = str(_s(raw))
            row = {_s(k): _s(v) for k, v in self.r.hgetall(self._k("run", run)).items()}
            out.append(
                RunInfo(
                    run,
                    row.get("owner") or "",
                    list(json.loads(row.get("exports") or "[]")),
                    row.get("ended") == "1",
                )
            )
        return out

    def _pending(self, run: str) -> list[str]:
        return sorted(str(_s(v)) for v in self.r.smembers(self._k("pending", run)))

    def _settle(self, run: str, exported: list[str], lost: list[str]) -> None:
        for id in exported:
            self.mark_exported(id)
        for id in lost:
            self._rollback(id)
        self._forget_run(run)

    def _rollback(self, id: str) -> None:
        """Forget pending notice ``id``: its keys, bands, sources and dependent seen pages."""
        names = [str(_s(n)) for n in self.r.smembers(self._k("nk", id))]
        seen = list(self.r.smembers(self._k("ns", id)))
        pipe = self.r.pipeline()
        for name in names:
            pipe.zrem(name, id)
        removed = pipe.execute() if names else []
        pairs = list(zip(names, removed, strict=True))
        keys = sum(int(n) for name, n in pairs if name.startswith(self._k("k", "")))
        bands = sum(int(n) for name, n in pairs if name.startswith(self._k("b", "")))
        sources = int(self.r.llen(self._k("s", id)))
        pipe = self.r.pipeline()
        if seen:
            pipe.srem(self._k("seen"), *seen)
        pipe.delete(
            self._k("n", id),
            self._k("s", id),
            self._k("su", id),
            self._k("nk", id),
            self._k("ns", id),
        )
        pipe.lrem(self._k("order"), 0, id)
        pipe.srem(self._k("exported"), id)
        for counter, n in (("keys", keys), ("bands", bands), ("sources", sources)):
            if n:
                pipe.hincrby(self._k("count"), counter, -n)
        pipe.execute()

    # -- detail pages ------------------------------------------------------

    def is_seen(self, fingerprint: str) -> bool:
        return bool(self.r.sismember(self._k("seen"), _h(fingerprint)))

    def mark_seen(
        self, fingerprint: str, url: str | None = None, depends_on: str | None = None
    ) -> None:
        h = _h(fingerprint)
        if depends_on is not None and self._where(depends_on)[1]:
            pipe = self.r.pipeline()
            pipe.sadd(self._k("seen"), h)
            pipe.sadd(self._k("ns", depends_on), h)
            pipe.execute()
        else:
            self.r.sadd(self._k("seen"), h)

    # -- notices -----------------------------------------------------------

    def has_notice(self, id: str) -> bool:
        return bool(self.r.exists(self._k("n", id)))

    def add_notice(
        self,
        info: NoticeInfo,
        bands: Iterable[int] = (),
        url: str | None = None,
        keys: Iterable[tuple[str, str]] = (),
    ) -> None:
        seq = self._add_notice(
            keys=[
                self._k("n", info.id),
                self._k("seq"),
                self._k("order"),
                self._k("s", info.id),
                self._k("su", info.id),
                self._k("exported"),
                self._k("count"),
                self._k("pending", self.run or "none"),
            ],
            args=[
                info.id,
                info.doc_number or "",
                info.issuer or "",
                info.signature or b"",
                "1" if info.exported else "0",
                "1" if info.doc_number is not None else "0",
                "1" if info.signature is not None else "0",
                url or "",
                "1" if url is not None else "0",
                _pack(url, None),
                self.run or "",
            ],
        )
        if not seq:
            raise NoticeExists(f"notice {info.id} already exists in {self.location}")
        pending = self.run is not None and not info.exported
        self._zadd(info.id, int(seq), [self._k("b", str(b)) for b in bands], "bands", pending)
        self._zadd(info.id, int(seq), self._key_names(keys), "keys", pending)

    def _key_names(self, keys: Iterable[tuple[str, str]]) -> list[str]:
        names = []
        for kind, key in keys:
            if kind not in KINDS:
                raise ValueError(f"unknown key kind {kind!r}")
            names.append(self._k("k", _h(kind, key)))
        return names

    def _zadd(
        self, id: str, seq: int, names: list[str], counter: str, pending: bool = False
    ) -> None:
        if not names:
            return
        pipe = self.r.pipeline(transaction=pending)
        if pending:  # remember them, for a rollback
            pipe.sadd(self._k("nk", id), *names)
        for name in names:
            pipe.zadd(name, {id: seq}, nx=True)
        results = pipe.execute()
        added = sum(int(n) for n in results[1 if pending else 0 :])
        if added:
            self.r.hincrby(self._k("count"), counter, added)

    @staticmethod
    def _info(id: str, row: dict[Any, Any]) -> NoticeInfo | None:
        if not row:
            return None
        row = {_s(k): v for k, v in row.items()}
        return NoticeInfo(
            id,
            _s(row.get("doc_number")) if row.get("has_doc") == b"1" else None,
            _s(row.get("issuer")) or "",
            bytes(row.get("sig") or b"") if row.get("has_sig") == b"1" else None,
            row.get("exported") == b"1",
        )

    def get_notice(self, id: str) -> NoticeInfo | None:
        return self._info(id, self.r.hgetall(self._k("n", id)))

    def _infos(self, ids: list[str]) -> list[NoticeInfo]:
        if not ids:
            return []
        pipe = self.r.pipeline(transaction=False)
        for id in ids:
            pipe.hgetall(self._k("n", id))
        infos = (self._info(id, row) for id, row in zip(ids, pipe.execute(), strict=True))
        return [i for i in infos if i is not None]

    def adopt_doc_number(self, id: str, doc_number: str) -> None:
        seq, pending = self._where(id)
        if seq is None:
            raise KeyError(id)
        self._adopt_doc(keys=[self._k("n", id)], args=[doc_number])
        self._zadd(id, seq, self._key_names([("docno", doc_number)]), "keys", pending)

    def mark_exported(self, id: str) -> None:
        key = self._k("n", id)
        seq, run = self.r.hmget(key, "seq", "run")
        if seq is not None:
            pipe = self.r.pipeline()
            pipe.hset(key, "exported", "1")
            pipe.sadd(self._k("exported"), id)
            if run:
                pipe.srem(self._k("pending", str(_s(run))), id)
                pipe.delete(self._k("nk", id), self._k("ns", id))
            pipe.execute()

    def _seq(self, id: str) -> int | None:
        value = self.r.hget(self._k("n", id), "seq")
        return None if value is None else int(value)

    def _where(self, id: str) -> tuple[int | None, bool]:
        """``(seq, pending)`` of notice ``id`` (``(None, False)`` when unknown)."""
        seq, exported, run = self.r.hmget(self._k("n", id), "seq", "exported", "run")
        if seq is None:
            return None, False
        return int(seq), bool(run) and exported != b"1"

    # -- exact keys and LSH ------------------------------------------------

    def find(self, kind: str, key: str) -> list[NoticeInfo]:
        (name,) = self._key_names([(kind, key)])
        return self._infos([str(_s(v)) for v in self.r.zrange(name, 0, -1)])

    def find_many(self, keys: Iterable[tuple[str, str]]) -> list[list[NoticeInfo]]:
        names = self._key_names(keys)
        if not names:
            return []
        pipe = self.r.pipeline(transaction=False)
        for name in names:
            pipe.zrange(name, 0, -1)
        ids = [[str(_s(v)) for v in members] for members in pipe.execute()]
        infos = {i.id: i for i in self._infos(list(dict.fromkeys(x for row in ids for x in row)))}
        return [[infos[x] for x in row if x in infos] for row in ids]

    def add_key(self, kind: str, key: str, id: str) -> None:
        """Register ``(kind, key) -> id`` for a known notice."""
        seq, pending = self._where(id)
        if seq is None:
            raise KeyError(id)
        self._zadd(id, seq, self._key_names([(kind, key)]), "keys", pending)

    def candidates(self, bands: Iterable[int]) -> list[NoticeInfo]:
        names = [self._k("b", str(b)) for b in bands]
        if not names:
            return []
        pipe = self.r.pipeline(transaction=False)
        for name in names:
            # the latest few members of each band: bounded work however long the history
            pipe.zrange(name, -MAX_CANDIDATES, -1, withscores=True)
        found: dict[str, float] = {}
        shared: dict[str, int] = {}
        for rows in pipe.execute():
            for member, score in rows:
                key = str(_s(member))
                found[key] = score
                shared[key] = shared.get(key, 0) + 1
        best = sorted(found, key=lambda k: (-shared[k], found[k]))[:MAX_CANDIDATES]
        return self._infos(best)

    # -- sources -----------------------------------------------------------

    def add_copy(
        self,
        id: str,
        url: str | None,
        record: dict[str, Any] | None = None,
        keys: Iterable[tuple[str, str]] = (),
    ) -> None:
        seq, pending = self._where(id)
        if seq is None:
            raise KeyError(id)
        if url is None or self.r.sadd(self._k("su", id), url):
            pipe = self.r.pipeline()
            pipe.rpush(self._k("s", id), _pack(url, record))
            pipe.hincrby(self._k("count"), "sources", 1)
            pipe.execute()
        self._zadd(id, seq, self._key_names(keys), "keys", pending)

    def sources(self, id: str) -> list[Source]:
        out = []
        for blob in self.r.lrange(self._k("s", id), 0, -1):
            url, record = _unpack(blob)
            out.append(Source(id, url, record))
        return out

    def iter_sources(self) -> Iterator[Source]:
        start, step = 0, 500
        while True:
            ids = self.r.lrange(self._k("order"), start, start + step - 1)
            if not ids:
                return
            for raw in ids:
                yield from self.sources(str(_s(raw)))
            start += step

    # -- distributed use ---------------------------------------------------

    def lock(self, timeout: float = 60.0, blocking_timeout: float = 120.0) -> Any:
        """A Redis lock over this state, for check-then-add sequences shared by
        several processes (``with state.lock(): dedup.check(record)``)."""
        return self.r.lock(self._k("lock"), timeout=timeout, blocking_timeout=blocking_timeout)

    def stats(self) -> dict[str, int]:
        pipe = self.r.pipeline(transaction=False)
        pipe.llen(self._k("order"))
        pipe.scard(self._k("exported"))
        pipe.scard(self._k("seen"))
        pipe.hgetall(self._k("count"))
        notices, exported, seen, counts = pipe.execute()
        counts = {_s(k): int(v) for k, v in counts.items()}
        return {
            "notices": int(notices),
            "exported": int(exported),
            "seen": int(seen),
            "keys": counts.get("keys", 0),
            "bands": counts.get("bands", 0),
            "sources": counts.get("sources", 0),
        }
