"""The persistent crawl state behind one small interface.

A state remembers, across scheduled runs of one spider:

* **seen detail pages**: fingerprints of detail URLs whose item was fully
  processed (exported, dropped as a duplicate, dropped as placeholder or
  non-notice), so the next run does not fetch them again; a page dropped as
  a copy of a *pending* notice (and the notice's own page) depends on that
  notice and is forgotten with it;
* **notices**: one row per notice ``id`` with its canonical 发文字号, issuer,
  MinHash signature and whether it was exported: a notice added in a run
  (:meth:`State.begin_run`) is *pending* until its export line is written
  (:meth:`State.mark_exported`);
* **runs**: each run's owner (host, process) and export files, so that the
  next run can reconcile what a killed one left pending (see
  :mod:`gazette.state.runs`);
* **exact keys**: ``(kind, key) -> id`` for ``url`` (canonical URL),
  ``docno`` (canonical 发文字号) and ``body`` (hash of the canonical body);
* **LSH bands**: ``band key -> id`` for near-duplicate candidates;
* **sources**: every URL seen for an ``id``, with the record of each later
  copy so that ``gazette compact`` can pick the best source.

:class:`gazette.state.sqlite.SQLiteState` is the embedded implementation.
Another backend (Redis ...) implements the same abstract methods and is named
by the ``GAZETTE_STATE_BACKEND`` setting.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field, replace
from typing import Any

from gazette.state.runs import (
    Reconciled,
    RunInfo,
    cut_partial_tail,
    find_ids,
    owner_alive,
    owner_token,
)

KINDS = ("url", "docno", "body")


#: most near-duplicate candidates checked per item (the most similar first)
MAX_CANDIDATES = 32


@dataclass
class NoticeInfo:
    """What the dedup stage needs to know about a known notice."""

    id: str
    doc_number: str | None = None
    issuer: str = ""  # canonical issuer (see gazette.text.canon.canonical_issuer)
    signature: bytes | None = None  # MinHash hash values, little-endian uint32
    exported: bool = False


@dataclass
class Source:
    """One copy of a notice: its URL and, for later copies, its record."""

    id: str
    url: str | None
    record: dict[str, Any] | None = field(default=None)


class State(ABC):
    """Abstract crawl state. Every method is synchronous and cheap (indexed)."""

    #: human-readable location (path, URL) for log lines
    location: str = ""
    #: the current run (:meth:`begin_run`), None outside a crawl
    run: str | None = None
    #: what :meth:`begin_run` reconciled
    last_reconciled: Reconciled | None = None

    # -- lifecycle ---------------------------------------------------------

    @abstractmethod
    def reset(self) -> None:
        """Forget everything (``GAZETTE_STATE_RESET=1``)."""

    @abstractmethod
    def commit(self) -> None:
        """Make every change so far durable."""

    @abstractmethod
    def close(self) -> None:
        """Commit and release the store."""

    @abstractmethod
    def get_meta(self, key: str) -> str | None:
        """A small persistent setting (LSH parameters ...), or None."""

    @abstractmethod
    def set_meta(self, key: str, value: str) -> None:
        """Store a small persistent setting."""

    # -- runs: pending notices and their reconciliation ---------------------

    def begin_run(self, exports: Iterable[str] = ()) -> str:
        """Reconcile what earlier runs left pending, then start a run.

        Notices added from now on are pending in this run until marked
        exported; :meth:`add_export` lists the files the run writes. The new
        run is committed at once.
        """
        self.last_reconciled = self.reconcile()
        self.run = self._start_run(owner_token(), list(exports))
        self.commit()
        return self.run

    def reconcile(self) -> Reconciled:
        """Settle the pending notices of every earlier run that is over.

        A run is over when it ended (:meth:`end_run`) or its process is gone.
        Each of its pending notices is looked up in the run's export files:
        found, it is marked exported; not found, it is rolled back with its
        keys, LSH bands, sources and the seen-detail rows that depend on it.
        Runs of a live process (another crawl on the same state) are left.
        The plain export files of a run left with pending notices (killed, or
        whose write failed) lose a partial last line
        (:func:`gazette.state.runs.cut_partial_tail`), unless a live run
        also writes them.
        """
        done = Reconciled()
        over: list[RunInfo] = []
        busy: set[str] = set()  # files a live run may be writing
        for info in self._runs():
            if info.id == self.run:
                continue
            if not info.ended and owner_alive(info.owner):
                done.live += 1
                busy.update(info.exports)
                continue
            over.append(info)
        for info in over:
            # killed, or ended after a failed write: its last line may be partial
            for path in info.exports:
                if path not in busy and cut_partial_tail(path):
                    done.cut += 1
            pending = self._pending(info.id)
            found = find_ids(info.exports, pending) if pending else set()
            lost = [i for i in pending if i not in found]
            self._settle(info.id, sorted(found), lost)
            self.commit()
            done.runs += 1
            done.exported += len(found)
            done.rolled_back += len(lost)
        return done

    @abstractmethod
    def add_export(self, path: str) -> None:
        """Record an export file of the current run (before any line is written to it)."""

    @abstractmethod
    def end_run(self) -> None:
        """Mark the current run over (a clean close)."""

    @abstractmethod
    def _start_run(self, owner: str, exports: list[str]) -> str:
        """Record a new run and return its id."""

    @abstractmethod
    def _runs(self) -> list[RunInfo]:
        """Every recorded run."""

    @abstractmethod
    def _pending(self, run: str) -> list[str]:
        """The ids of the notices still pending in ``run``."""

    @abstractmethod
    def _settle(self, run: str, exported: list[str], lost: list[str]) -> None:
        """Mark ``exported`` exported, roll ``lost`` back, forget ``run``."""

    # -- detail pages ------------------------------------------------------

    @abstractmethod
    def is_seen(self, fingerprint: str) -> bool:
        """True when the detail page with this fingerprint was fully processed."""

    @abstractmethod
    def mark_seen(
        self, fingerprint: str, url: str | None = None, depends_on: str | None = None
    ) -> None:
        """Remember a fully processed detail page.

        ``depends_on``: the notice the page's item was (the page of a new
        notice) or was a copy of; while that notice is pending, the page is
        forgotten if the notice is rolled back.
        """

    # -- notices -----------------------------------------------------------

    @abstractmethod
    def has_notice(self, id: str) -> bool:
        """True when ``id`` is a known notice."""

    @abstractmethod
    def add_notice(
        self,
        info: NoticeInfo,
        bands: Iterable[int] = (),
        url: str | None = None,
        keys: Iterable[tuple[str, str]] = (),
    ) -> None:
        """Register a new notice with its LSH band keys, exact keys and first URL.

        Within a run (:meth:`begin_run`) the notice is pending until
        :meth:`mark_exported` (unless ``info.exported``); dedup sees it at once.
        """

    def add_new_notice(
        self,
        info: NoticeInfo,
        bands: Iterable[int] = (),
        url: str | None = None,
        keys: Iterable[tuple[str, str]] = (),
    ) -> str:
        """:meth:`add_notice` under ``info.id``, or ``<id>-2``, ``-3``… when that id
        is taken (two documents whose first copies give the same id); → the id used."""
        base, n, id = info.id, 1, info.id
        while self.has_notice(id):
            n += 1
            id = f"{base}-{n}"
        self.add_notice(replace(info, id=id), bands, url, keys)
        return id

    @abstractmethod
    def get_notice(self, id: str) -> NoticeInfo | None:
        """The notice ``id`` or None."""

    @abstractmethod
    def adopt_doc_number(self, id: str, doc_number: str) -> None:
        """Give a notice first seen without 文号 the 文号 a later copy shows."""

    @abstractmethod
    def mark_exported(self, id: str) -> None:
        """Remember that the record of ``id`` was written to an export."""

    def mark_exported_many(self, ids: Iterable[str]) -> None:
        """:meth:`mark_exported` for several notices."""
        for id in ids:
            self.mark_exported(id)

    # -- exact keys and LSH ------------------------------------------------

    @abstractmethod
    def find(self, kind: str, key: str) -> list[NoticeInfo]:
        """Notices registered under ``(kind, key)`` (kind in :data:`KINDS`), oldest first."""

    def find_many(self, keys: Iterable[tuple[str, str]]) -> list[list[NoticeInfo]]:
        """:meth:`find` for several ``(kind, key)`` pairs at once (one round trip
        where the backend allows it), in the order given."""
        return [self.find(kind, key) for kind, key in keys]

    def lookup(self, kind: str, key: str) -> list[str]:
        """Ids registered under ``(kind, key)``."""
        return [info.id for info in self.find(kind, key)]

    @abstractmethod
    def candidates(self, bands: Iterable[int]) -> list[NoticeInfo]:
        """Notices sharing at least one LSH band key, without repetition.

        At most :data:`MAX_CANDIDATES`, those sharing the most bands first: a
        long series of templated notices (one 公告 per land parcel, say) shares
        bands with every new member, and checking them all would make each
        item's cost grow with the history.
        """

    # -- sources -----------------------------------------------------------

    @abstractmethod
    def add_copy(
        self,
        id: str,
        url: str | None,
        record: dict[str, Any] | None = None,
        keys: Iterable[tuple[str, str]] = (),
    ) -> None:
        """Record a later copy of notice ``id`` (its URL, its record, its exact keys)."""

    @abstractmethod
    def sources(self, id: str) -> list[Source]:
        """Every copy recorded for ``id``, first seen first."""

    @abstractmethod
    def iter_sources(self) -> Iterator[Source]:
        """Every copy of every notice, grouped by id."""

    @abstractmethod
    def stats(self) -> dict[str, int]:
        """Row counts: notices, exported, seen, keys, bands, sources."""
