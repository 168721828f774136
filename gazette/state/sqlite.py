"""Embedded crawl state: one SQLite file per spider.

Every lookup is an indexed query, so memory stays bounded (SQLite's page
cache, :data:`CACHE_KIB`) whatever the history size; nothing is mirrored in a
Python dict. A fixed-size Bloom filter of the key and band hashes
(:mod:`gazette.state.keyfilter`, built on the first look-up) skips the
queries for keys the state certainly lacks: most records of a crawl are new.
When another connection writes to the file (``PRAGMA data_version``), the
filter no longer knows every key and is set aside: every look-up queries. The file is opened in WAL mode with ``synchronous=NORMAL``: a
killed process loses at most the transaction in progress, never the file.

Within a run (:meth:`~gazette.state.base.State.begin_run`) a new notice is
stored pending (``exported=0``, ``run`` = the run), visible to dedup at once
and committed before its export line can be written; ``runs`` lists each
run's owner and export files, so that the next run can reconcile (see
:mod:`gazette.state.runs`). A ``seen`` row may depend on a notice (``nid``)
and is rolled back with it. A version 2 file is upgraded in place.

>>> s = SQLiteState(":memory:")
>>> s.add_notice(NoticeInfo("n1", "粤府办〔2013〕52号", "广东省人民政府办公厅"), bands=[1, 2],
...              keys=[("docno", "粤府办〔2013〕52号")])
>>> s.lookup("docno", "粤府办〔2013〕52号"), [n.id for n in s.candidates([2, 3])], s.candidates([4])
(['n1'], ['n1'], [])
>>> s.mark_seen("fp1"); s.is_seen("fp1"), s.is_seen("fp2")
(True, False)
>>> s.reset(); s.stats()["notices"]
0
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import sqlite3
import time
import zlib
from collections.abc import Iterable, Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

from gazette.state.base import KINDS, MAX_CANDIDATES, NoticeInfo, Source, State
from gazette.state.keyfilter import BITS_PER_KEY, MAX_BITS, KeyFilter, bits_for
from gazette.state.runs import RunInfo

#: SQLite page cache per connection, KiB
CACHE_KIB = 96 * 1024
SCHEMA_VERSION = "3"

_TABLES_SQL = """
CREATE TABLE IF NOT EXISTS meta (k TEXT PRIMARY KEY, v TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS notices (
    nid INTEGER PRIMARY KEY,
    id TEXT NOT NULL UNIQUE,
    doc_number TEXT,
    issuer TEXT NOT NULL DEFAULT '',
    sig BLOB,
    exported INTEGER NOT NULL DEFAULT 0,
    url TEXT,
    added REAL NOT NULL,
    run INTEGER
);
CREATE TABLE IF NOT EXISTS keys (h INTEGER NOT NULL, nid INTEGER NOT NULL,
    PRIMARY KEY (h, nid)) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS bands (h INTEGER NOT NULL, nid INTEGER NOT NULL,
    PRIMARY KEY (h, nid)) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS seen (h INTEGER PRIMARY KEY, url TEXT, at REAL NOT NULL,
    nid INTEGER);
CREATE TABLE IF NOT EXISTS sources (
    sid INTEGER PRIMARY KEY,
    nid INTEGER NOT NULL,
    url TEXT,
    record BLOB,
    at REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS runs (
    run INTEGER PRIMARY KEY AUTOINCREMENT,
    owner TEXT NOT NULL DEFAULT '',
    exports TEXT NOT NULL DEFAULT '[]',
    started REAL NOT NULL,
    ended REAL
);
"""
_INDEXES_SQL = """
CREATE INDEX IF NOT EXISTS sources_nid ON sources (nid);
CREATE INDEX IF NOT EXISTS notices_pending ON notices (run) WHERE exported=0 AND run IS NOT NULL;
"""
#: version 2 -> 3: pending notices (notices.run), seen rows depending on a notice, runs
_UPGRADE_2 = """
ALTER TABLE notices ADD COLUMN run INTEGER;
ALTER TABLE seen ADD COLUMN nid INTEGER;
"""
_INFO = "id, doc_number, issuer, sig, exported"
_TABLES = ("meta", "notices", "keys", "bands", "seen", "sources", "runs")

logger = logging.getLogger(__name__)


def _h64(*parts: str) -> int:
    """A signed 64-bit hash of a key (SQLite INTEGER)."""
    d = hashlib.blake2b("\x1f".join(parts).encode("utf-8"), digest_size=8).digest()
    return int.from_bytes(d, "little", signed=True)


def _pack(record: dict[str, Any] | None) -> bytes | None:
    if record is None:
        return None
    return zlib.compress(json.dumps(record, ensure_ascii=False, default=str).encode("utf-8"), 6)


def _unpack(blob: bytes | None) -> dict[str, Any] | None:
    if blob is None:
        return None
    value = json.loads(zlib.decompress(blob).decode("utf-8"))
    return value if isinstance(value, dict) else None


class SQLiteState(State):
    """:class:`State` in one SQLite file (``":memory:"`` for tests)."""

    def __init__(self, path: str | os.PathLike[str], reset: bool = False) -> None:
        self.location = str(path)
        if self.location != ":memory:":
            Path(self.location).parent.mkdir(parents=True, exist_ok=True)
            if reset:
                self._move_aside_if_damaged()
        try:
            self._open(reset)
        except sqlite3.DatabaseError as exc:
            from gazette.state.check import StateProblem, check_sqlite

            problem = check_sqlite(self.location) if self.location != ":memory:" else None
            raise StateProblem(problem or f"state {self.location}: {exc}") from None

    def _move_aside_if_damaged(self) -> None:
        """``GAZETTE_STATE_RESET=1`` on a damaged file: keep it as ``*.damaged-<time>``
        (never deleted) and start a new one."""
        from gazette.state.check import check_sqlite

        problem = check_sqlite(self.location)
        if problem is None or " is damaged " not in problem:
            return
        stamp = time.strftime("%Y%m%dT%H%M%S")
        for suffix in ("", "-wal", "-shm"):
            if os.path.exists(self.location + suffix):
                os.replace(self.location + suffix, f"{self.location}.damaged-{stamp}{suffix}")
        logger.warning("%s was damaged: moved aside to %s.damaged-%s", self, self.location, stamp)

    def _open(self, reset: bool) -> None:
        self.db = sqlite3.connect(
            self.location, isolation_level="DEFERRED", check_same_thread=False
        )
        self._filter: KeyFilter | None = None  # built on the first look-up
        self._filter_off = False  # another connection writes: query every time
        self._data_version: int | None = None
        self._version_checked = False  # in the open write transaction
        self.db.execute("PRAGMA journal_mode=WAL")
        self.db.execute("PRAGMA synchronous=NORMAL")
        self.db.execute("PRAGMA wal_autocheckpoint=16384")  # 64 MiB of WAL between checkpoints
        self.db.execute(f"PRAGMA cache_size=-{CACHE_KIB}")
        self.db.execute("PRAGMA temp_store=MEMORY")
        self.db.executescript(_TABLES_SQL)
        if reset:
            self.reset()
        version = self.get_meta("schema_version")
        if version == "2":
            self.db.executescript(_UPGRADE_2)
            self.set_meta("schema_version", SCHEMA_VERSION)
        elif version is None:
            self.set_meta("schema_version", SCHEMA_VERSION)
        elif version != SCHEMA_VERSION:
            raise RuntimeError(
                f"{self.location}: state schema {version}, expected {SCHEMA_VERSION}; "
                "start over with GAZETTE_STATE_RESET=1"
            )
        self.db.executescript(_INDEXES_SQL)
        self.db.commit()

    @classmethod
    def from_settings(cls, settings: Any, spider_name: str) -> SQLiteState:
        """Open ``GAZETTE_STATE_PATH`` (``{spider}`` / ``%(name)s`` filled in)."""
        path = settings.get("GAZETTE_STATE_PATH") or "data/state/{spider}.sqlite3"
        path = str(path).replace("%(name)s", spider_name).replace("{spider}", spider_name)
        return cls(path, reset=settings.getbool("GAZETTE_STATE_RESET"))

    # -- lifecycle ---------------------------------------------------------

    def reset(self) -> None:
        for table in _TABLES:
            self.db.execute(f"DROP TABLE IF EXISTS {table}")
        self.db.executescript(_TABLES_SQL + _INDEXES_SQL)
        self.set_meta("schema_version", SCHEMA_VERSION)
        self.db.commit()
        self.run = None
        self._filter = None

    def commit(self) -> None:
        self.db.commit()
        self._version_checked = False

    def close(self) -> None:
        try:
            if self.run is not None:
                self.end_run()
            self.db.commit()
        finally:
            self.db.close()

    def get_meta(self, key: str) -> str | None:
        row = self.db.execute("SELECT v FROM meta WHERE k=?", (key,)).fetchone()
        return None if row is None else str(row[0])

    def set_meta(self, key: str, value: str) -> None:
        self.db.execute("INSERT OR REPLACE INTO meta (k, v) VALUES (?, ?)", (key, value))

    # -- runs ----------------------------------------------------------------

    def _start_run(self, owner: str, exports: list[str]) -> str:
        cur = self.db.execute(
            "INSERT INTO runs (owner, exports, started) VALUES (?, ?, ?)",
            (owner, json.dumps(list(dict.fromkeys(exports))), time.time()),
        )
        return str(cur.lastrowid)

    def add_export(self, path: str) -> None:
        if self.run is None:
            return
        row = self.db.execute("SELECT exports FROM runs WHERE run=?", (int(self.run),)).fetchone()
        exports = json.loads(row[0]) if row else []
        if path not in exports:
            exports.append(path)
            self.db.execute(
                "UPDATE runs SET exports=? WHERE run=?", (json.dumps(exports), int(self.run))
            )

    def end_run(self) -> None:
        if self.run is None:
            return
        run = int(self.run)
        self.run = None
        if self._pending(str(run)):
            self.db.execute("UPDATE runs SET ended=? WHERE run=?", (time.time(), run))
        else:
            self.db.execute("DELETE FROM runs WHERE run=?", (run,))

    def _runs(self) -> list[RunInfo]:
        rows = self.db.execute("SELECT run, owner, exports, ended FROM runs ORDER BY run")
        return [
            RunInfo(str(r[0]), r[1] or "", list(json.loads(r[2] or "[]")), r[3] is not None)
            for r in rows.fetchall()
        ]

    def _pending(self, run: str) -> list[str]:
        rows = self.db.execute(
            "SELECT id FROM notices WHERE run=? AND exported=0 ORDER BY nid", (int(run),)
        )
        return [str(r[0]) for r in rows.fetchall()]

    def _settle(self, run: str, exported: list[str], lost: list[str]) -> None:
        self.db.executemany("UPDATE notices SET exported=1 WHERE id=?", [(id,) for id in exported])
        if lost:
            self.db.execute("CREATE TEMP TABLE IF NOT EXISTS lost (nid INTEGER PRIMARY KEY)")
            self.db.execute("DELETE FROM temp.lost")
            self.db.executemany(
                "INSERT OR IGNORE INTO temp.lost SELECT nid FROM notices WHERE id=? AND exported=0",
                [(id,) for id in lost],
            )
            # keys/bands/seen have no index on nid: one scan each, only after a kill
            for table in ("keys", "bands", "sources", "seen", "notices"):
                self.db.execute(f"DELETE FROM {table} WHERE nid IN (SELECT nid FROM temp.lost)")
            self.db.execute("DELETE FROM temp.lost")
        self.db.execute("DELETE FROM runs WHERE run=?", (int(run),))

    # -- the key filter ------------------------------------------------------

    def _key_filter(self) -> KeyFilter | None:
        """The Bloom filter of every key and band hash, or None when it is set aside."""
        if self._filter_off:
            return None
        if self._version_checked and self.db.in_transaction and self._filter is not None:
            # checked in this write transaction, which holds the WAL write lock:
            # no other connection can commit before ours
            return self._filter
        version = int(self.db.execute("PRAGMA data_version").fetchone()[0])
        self._version_checked = self.db.in_transaction
        if self._filter is not None and version != self._data_version:
            # another connection committed: keys this filter never saw may exist
            logger.info("%s: written by another connection; look-ups query every key", self)
            self._filter, self._filter_off = None, True
            return None
        if self._filter is None or (
            self._filter.count > self._filter.nbits // BITS_PER_KEY
            and self._filter.nbits < MAX_BITS
        ):  # first look-up, or past the planned load: (re)build from the tables
            self._filter = self._build_filter()
            self._data_version = version
        return self._filter

    def _build_filter(self) -> KeyFilter:
        import numpy as np

        count = sum(
            int(self.db.execute(f"SELECT count(*) FROM {t}").fetchone()[0])
            for t in ("keys", "bands")
        )
        keys = KeyFilter(bits_for(count))
        for table in ("keys", "bands"):
            cur = self.db.execute(f"SELECT h FROM {table}")
            while rows := cur.fetchmany(1 << 16):
                keys.add_array(np.fromiter((r[0] for r in rows), dtype=np.int64, count=len(rows)))
        return keys

    def __str__(self) -> str:
        return f"state {self.location}"

    # -- detail pages ------------------------------------------------------

    def is_seen(self, fingerprint: str) -> bool:
        cur = self.db.execute("SELECT 1 FROM seen WHERE h=?", (_h64(fingerprint),))
        return cur.fetchone() is not None

    def mark_seen(
        self, fingerprint: str, url: str | None = None, depends_on: str | None = None
    ) -> None:
        if depends_on is None:
            self.db.execute(
                "INSERT OR IGNORE INTO seen (h, url, at) VALUES (?, ?, ?)",
                (_h64(fingerprint), url, time.time()),
            )
        else:
            self.db.execute(
                "INSERT OR IGNORE INTO seen (h, url, at, nid)"
                " VALUES (?, ?, ?, (SELECT nid FROM notices WHERE id=?))",
                (_h64(fingerprint), url, time.time(), depends_on),
            )

    # -- notices -----------------------------------------------------------

    def _nid(self, id: str) -> int | None:
        row = self.db.execute("SELECT nid FROM notices WHERE id=?", (id,)).fetchone()
        return None if row is None else int(row[0])

    def has_notice(self, id: str) -> bool:
        return self._nid(id) is not None

    def add_notice(
        self,
        info: NoticeInfo,
        bands: Iterable[int] = (),
        url: str | None = None,
        keys: Iterable[tuple[str, str]] = (),
    ) -> None:
        now = time.time()
        cur = self.db.execute(
            "INSERT INTO notices (id, doc_number, issuer, sig, exported, url, added, run)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            (
                info.id,
                info.doc_number,
                info.issuer or "",
                info.signature,
                int(info.exported),
                url,
                now,
                None if self.run is None else int(self.run),
            ),
        )
        nid = cur.lastrowid
        rows = [(b, nid) for b in dict.fromkeys(bands)]
        if self._filter is not None:
            self._filter.add_many(b for b, _ in rows)
        if rows:  # one multi-row statement: cheaper than executemany's step per row
            self.db.execute(
                "INSERT OR IGNORE INTO bands (h, nid) VALUES " + ",".join(["(?,?)"] * len(rows)),
                [v for row in rows for v in row],
            )
        self._add_keys(nid, keys)  # the first copy's URL is notices.url: no sources row

    def add_new_notice(
        self,
        info: NoticeInfo,
        bands: Iterable[int] = (),
        url: str | None = None,
        keys: Iterable[tuple[str, str]] = (),
    ) -> str:
        # no look-up first: the UNIQUE id refuses a taken one (the notices row is the
        # first statement of add_notice, so nothing else was written)
        bands, keys = list(bands), list(keys)
        base, n, id = info.id, 1, info.id
        while True:
            try:
                self.add_notice(replace(info, id=id) if id != info.id else info, bands, url, keys)
                return id
            except sqlite3.IntegrityError:
                n += 1
                id = f"{base}-{n}"

    def _add_keys(self, nid: int | None, keys: Iterable[tuple[str, str]]) -> None:
        rows = []
        for kind, key in keys:
            if kind not in KINDS:
                raise ValueError(f"unknown key kind {kind!r}")
            rows.append((_h64(kind, key), nid))
        if self._filter is not None:
            self._filter.add_many(h for h, _ in rows)
        if rows:
            self.db.execute(
                "INSERT OR IGNORE INTO keys (h, nid) VALUES " + ",".join(["(?,?)"] * len(rows)),
                [v for row in rows for v in row],
            )

    def get_notice(self, id: str) -> NoticeInfo | None:
        row = self.db.execute(f"SELECT {_INFO} FROM notices WHERE id=?", (id,)).fetchone()
        return (
            None if row is None else NoticeInfo(row[0], row[1], row[2] or "", row[3], bool(row[4]))
        )

    def adopt_doc_number(self, id: str, doc_number: str) -> None:
        nid = self._nid(id)
        if nid is None:
            raise KeyError(id)
        self.db.execute(
            "UPDATE notices SET doc_number=? WHERE nid=? AND doc_number IS NULL", (doc_number, nid)
        )
        self._add_keys(nid, [("docno", doc_number)])

    def mark_exported(self, id: str) -> None:
        self.db.execute("UPDATE notices SET exported=1 WHERE id=?", (id,))

    def mark_exported_many(self, ids: Iterable[str]) -> None:
        self.db.executemany("UPDATE notices SET exported=1 WHERE id=?", [(id,) for id in ids])

    # -- exact keys and LSH ------------------------------------------------

    def find(self, kind: str, key: str) -> list[NoticeInfo]:
        if kind not in KINDS:
            raise ValueError(f"unknown key kind {kind!r}")
        h = _h64(kind, key)
        keys = self._key_filter()
        if keys is not None and h not in keys:
            return []
        rows = self.db.execute(
            f"SELECT {_INFO} FROM notices WHERE nid IN (SELECT nid FROM keys WHERE h=?) ORDER BY nid",
            (h,),
        ).fetchall()
        return [NoticeInfo(r[0], r[1], r[2] or "", r[3], bool(r[4])) for r in rows]

    def find_many(self, keys: Iterable[tuple[str, str]]) -> list[list[NoticeInfo]]:
        pairs = list(keys)
        for kind, _ in pairs:
            if kind not in KINDS:
                raise ValueError(f"unknown key kind {kind!r}")
        if not pairs:
            return []
        hashes = [_h64(kind, key) for kind, key in pairs]
        known = self._key_filter()
        if known is not None and not known.may_contain_any(hashes):
            return [[] for _ in hashes]
        marks = ",".join("?" * len(hashes))
        rows = self.db.execute(
            f"SELECT k.h, {', '.join('n.' + c.strip() for c in _INFO.split(','))}"
            f" FROM keys k JOIN notices n ON n.nid = k.nid WHERE k.h IN ({marks})"
            " ORDER BY n.nid",
            hashes,
        ).fetchall()
        found: dict[int, list[NoticeInfo]] = {}
        for r in rows:
            found.setdefault(r[0], []).append(NoticeInfo(r[1], r[2], r[3] or "", r[4], bool(r[5])))
        return [list(found.get(h, ())) for h in hashes]

    def add_key(self, kind: str, key: str, id: str) -> None:
        """Register ``(kind, key) -> id`` for a known notice."""
        nid = self._nid(id)
        if nid is None:
            raise KeyError(id)
        self._add_keys(nid, [(kind, key)])

    def candidates(self, bands: Iterable[int]) -> list[NoticeInfo]:
        keys = list(bands)
        if not keys:
            return []
        known = self._key_filter()
        if known is not None and not known.may_contain_any(keys):
            return []
        # per band only the latest few notices (index range scan on (h, nid)), then
        # the ones sharing most bands: bounded work however long the history
        per_band = " UNION ALL ".join(
            f"SELECT * FROM (SELECT nid FROM bands WHERE h=? ORDER BY nid DESC LIMIT {MAX_CANDIDATES})"
            for _ in keys
        )
        rows = self.db.execute(
            f"SELECT {_INFO} FROM notices JOIN"
            f" (SELECT nid AS m, COUNT(*) AS shared FROM ({per_band})"
            f"  GROUP BY nid ORDER BY shared DESC, nid LIMIT {MAX_CANDIDATES})"
            " ON nid = m ORDER BY shared DESC, nid",
            keys,
        ).fetchall()
        return [NoticeInfo(r[0], r[1], r[2] or "", r[3], bool(r[4])) for r in rows]

    # -- sources -----------------------------------------------------------

    def add_copy(
        self,
        id: str,
        url: str | None,
        record: dict[str, Any] | None = None,
        keys: Iterable[tuple[str, str]] = (),
    ) -> None:
        nid = self._nid(id)
        if nid is None:
            raise KeyError(id)
        if url is not None:
            known = self.db.execute(
                "SELECT 1 FROM notices WHERE nid=? AND url=?"
                " UNION ALL SELECT 1 FROM sources WHERE nid=? AND url=?",
                (nid, url, nid, url),
            ).fetchone()
            if known:
                self._add_keys(nid, keys)
                return
        self.db.execute(
            "INSERT INTO sources (nid, url, record, at) VALUES (?, ?, ?, ?)",
            (nid, url, _pack(record), time.time()),
        )
        self._add_keys(nid, keys)

    def sources(self, id: str) -> list[Source]:
        row = self.db.execute("SELECT nid, url FROM notices WHERE id=?", (id,)).fetchone()
        if row is None:
            return []
        rows = self.db.execute(
            "SELECT url, record FROM sources WHERE nid=? ORDER BY sid", (row[0],)
        ).fetchall()
        return [Source(id, row[1]), *(Source(id, r[0], _unpack(r[1])) for r in rows)]

    def iter_sources(self) -> Iterator[Source]:
        cur = self.db.execute(
            "SELECT n.id, n.url, NULL, n.nid, 0 FROM notices n"
            " UNION ALL SELECT n.id, s.url, s.record, s.nid, s.sid FROM sources s"
            " JOIN notices n ON n.nid=s.nid ORDER BY 4, 5"
        )
        for row in cur:
            yield Source(row[0], row[1], _unpack(row[2]))

    def stats(self) -> dict[str, int]:
        one = self.db.execute
        return {
            "notices": one("SELECT count(*) FROM notices").fetchone()[0],
            "exported": one("SELECT count(*) FROM notices WHERE exported=1").fetchone()[0],
            "seen": one("SELECT count(*) FROM seen").fetchone()[0],
            "keys": one("SELECT count(*) FROM keys").fetchone()[0],
            "bands": one("SELECT count(*) FROM bands").fetchone()[0],
            "sources": one("SELECT count(*) FROM notices").fetchone()[0]
            + one("SELECT count(*) FROM sources").fetchone()[0],
        }
