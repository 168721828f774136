"""The dataset's store: every copy of every notice, and each notice's merged record.

An SQLite file (``<dataset dir>/store.sqlite3``) with

* ``copies``: one row per copy of a notice (``id`` + the copy's canonical URL,
  else its body hash), with the copy's record and what :mod:`~gazette.dataset.rank`
  needs of it;
* ``notices``: one row per ``id``: the merged record with its derived fields
  (:func:`gazette.dataset.rank.merge`, :func:`gazette.dataset.derive.derived`)
  as JSON, its digest, ``revision``, ``first_seen`` and ``last_seen``, and the
  文号 and references for ``cites``/``cited_by``;
* ``files``: how many bytes of each export file were read (``gazette dataset``
  reads only what was appended since);
* ``meta``: the store's generation (one more per change).

Adding a copy reads and rewrites one notice: the cost of an update grows with
the number of new copies, not with the size of the dataset. ``revision`` is 1
for a notice's first record and grows by one each time its merged record
(notice fields and derived fields) changes; provenance (``sources``,
``first_seen``, ``last_seen``) changes do not count. Each change is one SQLite
transaction: a killed update leaves the store as it was before that copy.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import sqlite3
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from gazette.dataset.derive import derived
from gazette.dataset.rank import merge, rank_key
from gazette.dataset.schema import NOT_COPY
from gazette.items import FIELDS, complete
from gazette.text.canon import body_hash, canonical_body, canonical_url

SCHEMA = """
CREATE TABLE IF NOT EXISTS copies(
    id TEXT NOT NULL,
    key TEXT NOT NULL,
    url TEXT, site TEXT, fetched_at TEXT, masked INTEGER, spider TEXT, run TEXT,
    body_len INTEGER NOT NULL DEFAULT 0,
    seq INTEGER NOT NULL DEFAULT 0,
    record TEXT NOT NULL,
    PRIMARY KEY (id, key)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS notices(
    id TEXT PRIMARY KEY,
    revision INTEGER NOT NULL,
    first_seen TEXT, last_seen TEXT,
    doc_number TEXT,
    refs TEXT NOT NULL DEFAULT '[]',
    digest TEXT NOT NULL,
    content TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS notices_docno ON notices(doc_number);
CREATE TABLE IF NOT EXISTS files(path TEXT PRIMARY KEY, size INTEGER, mtime REAL, head TEXT);
CREATE TABLE IF NOT EXISTS meta(key TEXT PRIMARY KEY, value TEXT);
"""

#: the merged record's keys, in file order (contract fields, then cut and validity)
_CONTENT_KEYS = (*FIELDS, "cut")


@dataclass
class Change:
    """What adding one copy did to its notice."""

    id: str
    changed: bool  # the merged record changed (a new notice counts): revision is new
    new: bool  # the notice was not in the store before
    record: dict[str, Any]  # the merged record + revision, first_seen and derived fields


def _copy_key(record: dict[str, Any], canon: str) -> str:
    url = record.get("url")
    if url:
        return "url:" + (canonical_url(str(url)) or str(url))
    return "body:" + (body_hash(canon) if canon else hashlib.sha1(b"").hexdigest()[:32])


def _clean_copy(record: dict[str, Any]) -> dict[str, Any]:
    out = complete({k: v for k, v in record.items() if k not in NOT_COPY})
    for key in ("source_path", "error"):
        out.pop(key, None)
    return out


def _content(merged: dict[str, Any]) -> dict[str, Any]:
    out = {key: merged.get(key) for key in _CONTENT_KEYS}
    out.update(derived(merged))
    return out


class Store:
    """The SQLite store of one dataset directory (see the module doc)."""

    def __init__(self, path: str, timeout: float = 60.0) -> None:
        self.path = path
        parent = os.path.dirname(os.path.abspath(path))
        os.makedirs(parent, exist_ok=True)
        self.db = sqlite3.connect(path, timeout=timeout, isolation_level=None)
        self.db.execute("PRAGMA journal_mode=WAL")
        self.db.execute("PRAGMA synchronous=NORMAL")
        self.db.executescript(SCHEMA)
        self._batch = 0  # > 0 inside batch(): one transaction for many copies
        self._pending = 0

    def close(self) -> None:
        with contextlib.suppress(sqlite3.Error):
            if self.db.in_transaction:
                self.db.execute("COMMIT")
        self.db.close()

    # -- transactions ----------------------------------------------------------

    def _begin(self) -> None:
        if not self.db.in_transaction:
            self.db.execute("BEGIN IMMEDIATE")

    def _end(self) -> None:
        if self._batch:
            self._pending += 1
            if self._pending >= 2000:
                self._bump()
                self.db.execute("COMMIT")
                self._pending = 0
            return
        self._bump()
        self.db.execute("COMMIT")

    @contextlib.contextmanager
    def batch(self) -> Iterator[None]:
        """Many copies in few transactions (a commit every 2,000 copies and at the end)."""
        self._batch += 1
        try:
            yield
        except BaseException:
            self._batch -= 1
            if self.db.in_transaction:
                self.db.execute("ROLLBACK")
            raise
        self._batch -= 1
        if not self._batch and self.db.in_transaction:
            self._bump()
            self.db.execute("COMMIT")
            self._pending = 0

    def _bump(self) -> None:
        if self._dirty:
            self.db.execute(
                "INSERT INTO meta VALUES ('generation', '1') ON CONFLICT(key) DO UPDATE "
                "SET value = CAST(value AS INTEGER) + 1"
            )
            self._dirty = False

    _dirty = False

    def generation(self) -> int:
        row = self.db.execute("SELECT value FROM meta WHERE key = 'generation'").fetchone()
        return int(row[0]) if row else 0

    # -- copies ------------------------------------------------------------------

    def revision(self, id: str) -> int:
        row = self.db.execute("SELECT revision FROM notices WHERE id = ?", (id,)).fetchone()
        return int(row[0]) if row else 0

    def add(self, record: dict[str, Any], run: str | None = None) -> Change | None:
        """Add one copy (a record with an ``id``); None when it was known already
        (the same record under the same id and URL) or has no id."""
        nid = record.get("id")
        if not nid or record.get("is_notice") is False or record.get("error"):
            return None
        nid = str(nid)
        carried = record.get("revision")
        copy = _clean_copy(record)
        canon = canonical_body(copy.get("body"))
        key = _copy_key(copy, canon)
        text = json.dumps(copy, ensure_ascii=False)
        self._begin()
        try:
            row = self.db.execute(
                "SELECT record, run, seq FROM copies WHERE id = ? AND key = ?", (nid, key)
            ).fetchone()
            if row is not None and row[0] == text:
                self._end()
                return None
            if isinstance(carried, int) and carried and self.revision(nid) >= carried:
                self._end()  # a change-feed line the store made itself
                return None
            if row is not None:
                seq = int(row[2])
            else:
                seq = int(
                    self.db.execute(
                        "SELECT coalesce(max(seq), 0) + 1 FROM copies WHERE id = ?", (nid,)
                    ).fetchone()[0]
                )
            self.db.execute(
                "INSERT OR REPLACE INTO copies VALUES (?,?,?,?,?,?,?,?,?,?,?)",
                (
                    nid,
                    key,
                    copy.get("url"),
                    copy.get("site"),
                    copy.get("fetched_at"),
                    int(bool(copy.get("masked"))),
                    copy.get("spider"),
                    (row[1] if row is not None and row[1] else run),
                    len(canon),
                    seq,
                    text,
                ),
            )
            change = self._remerge(nid, carried if isinstance(carried, int) else 0)
            self._dirty = True
            self._end()
            return change
        except BaseException:
            if self.db.in_transaction and not self._batch:
                self.db.execute("ROLLBACK")
            raise

    def _remerge(self, nid: str, carried: int) -> Change:
        rows = self.db.execute(
            "SELECT record, body_len, fetched_at, seq FROM copies WHERE id = ?", (nid,)
        ).fetchall()
        copies = [json.loads(r[0]) for r in rows]
        if len(copies) == 1:
            merged = copies[0]
        else:
            known = {id(c): (r[1], r[3]) for c, r in zip(copies, rows, strict=True)}
            merged = merge(copies, key=lambda c: rank_key(c, *known[id(c)]))
        content = _content(merged)
        content["id"] = nid
        text = json.dumps(content, ensure_ascii=False)
        # the fetch time of the best copy is provenance: a page fetched again unchanged
        # is not a new revision
        stable = {k: v for k, v in content.items() if k != "fetched_at"}
        digest = hashlib.sha1(json.dumps(stable, ensure_ascii=False).encode("utf-8")).hexdigest()
        stamps = [r[2] for r in rows if r[2]]
        first, last = (min(stamps), max(stamps)) if stamps else (None, None)
        old = self.db.execute(
            "SELECT revision, digest FROM notices WHERE id = ?", (nid,)
        ).fetchone()
        if old is None:
            revision, changed = max(1, carried), True
        elif old[1] == digest:
            revision, changed = int(old[0]), False
        else:
            revision, changed = max(int(old[0]) + 1, carried), True
        refs = json.dumps(content.get("references") or [], ensure_ascii=False)
        self.db.execute(
            "INSERT OR REPLACE INTO notices VALUES (?,?,?,?,?,?,?,?)",
            (nid, revision, first, last, content.get("doc_number"), refs, digest, text),
        )
        return Change(nid, changed, old is None, self.feed_record(content, revision, first))

    @staticmethod
    def feed_record(content: dict[str, Any], revision: int, first: str | None) -> dict[str, Any]:
        out = dict(content)
        out["revision"] = revision
        out["first_seen"] = first
        return out

    def add_many(self, records: Iterable[dict[str, Any]], run: str | None = None) -> int:
        """Add copies in batches; → how many changed a notice."""
        n = 0
        with self.batch():
            for record in records:
                change = self.add(record, run)
                if change is not None and change.changed:
                    n += 1
        return n

    # -- export files --------------------------------------------------------------

    def file_offset(self, path: str) -> int:
        """Bytes of ``path`` already read (0 when the file is new or was rewritten)."""
        row = self.db.execute("SELECT size, head FROM files WHERE path = ?", (path,)).fetchone()
        if row is None:
            return 0
        try:
            size = os.path.getsize(path)
            with open(path, "rb") as f:
                head = f.read(256).hex()
        except OSError:
            return 0
        if size < row[0] or head[: len(row[1] or "")] != (row[1] or ""):
            return 0  # shorter or another file under the same name: read it again
        return int(row[0])

    def set_file_offset(self, path: str, size: int) -> None:
        with open(path, "rb") as f:
            head = f.read(min(256, size)).hex()
        self._begin()
        self.db.execute(
            "INSERT OR REPLACE INTO files VALUES (?,?,?,?)",
            (path, size, os.path.getmtime(path), head),
        )
        if not self._batch:
            self.db.execute("COMMIT")

    # -- reading -----------------------------------------------------------------

    def count(self) -> int:
        return int(self.db.execute("SELECT count(*) FROM notices").fetchone()[0])

    def docnos(self) -> dict[str, list[str]]:
        """文号 -> ids of the notices that carry it."""
        out: dict[str, list[str]] = {}
        for nid, docno in self.db.execute(
            "SELECT id, doc_number FROM notices WHERE doc_number IS NOT NULL"
        ):
            out.setdefault(docno, []).append(nid)
        return out

    def references(self) -> Iterator[tuple[str, list[str]]]:
        for nid, refs in self.db.execute("SELECT id, refs FROM notices WHERE refs != '[]'"):
            yield nid, json.loads(refs)

    def rows(self) -> Iterator[tuple[str, int, str | None, str | None, str]]:
        """``(id, revision, first_seen, last_seen, content JSON)`` by id."""
        yield from self.db.execute(
            "SELECT id, revision, first_seen, last_seen, content FROM notices ORDER BY id"
        )

    def sources(self) -> Iterator[tuple[str, list[dict[str, Any]]]]:
        """``(id, sources)`` by id; sources first seen first."""
        current: str | None = None
        bucket: list[dict[str, Any]] = []
        for nid, url, site, fetched, masked, spider, run in self.db.execute(
            "SELECT id, url, site, fetched_at, masked, spider, run FROM copies "
            "ORDER BY id, fetched_at, key"
        ):
            if nid != current:
                if current is not None:
                    yield current, bucket
                current, bucket = nid, []
            bucket.append(
                {
                    "url": url,
                    "site": site,
                    "fetched_at": fetched,
                    "masked": bool(masked),
                    "spider": spider,
                    "run": run,
                }
            )
        if current is not None:
            yield current, bucket
