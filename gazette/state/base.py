"""The persistent crawl state behind one small interface.

A state remembers, across scheduled runs of one spider:

* **seen detail pages**: fingerprints of detail URLs whose item was fully
  processed (exported, dropped as a duplicate, dropped as placeholder or
  non-notice), so the next run does not fetch them again;
* **notices**: one row per notice ``id`` with its canonical 发文字号, issuer,
  MinHash signature and whether it was exported;
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
from dataclasses import dataclass, field
from typing import Any

KINDS = ("url", "docno", "body")


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

    # -- detail pages ------------------------------------------------------

    @abstractmethod
    def is_seen(self, fingerprint: str) -> bool:
        """True when the detail page with this fingerprint was fully processed."""

    @abstractmethod
    def mark_seen(self, fingerprint: str, url: str | None = None) -> None:
        """Remember a fully processed detail page."""

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
        """Register a new notice with its LSH band keys, exact keys and first URL."""

    @abstractmethod
    def get_notice(self, id: str) -> NoticeInfo | None:
        """The notice ``id`` or None."""

    @abstractmethod
    def adopt_doc_number(self, id: str, doc_number: str) -> None:
        """Give a notice first seen without 文号 the 文号 a later copy shows."""

    @abstractmethod
    def mark_exported(self, id: str) -> None:
        """Remember that the record of ``id`` was written to an export."""

    # -- exact keys and LSH ------------------------------------------------

    @abstractmethod
    def find(self, kind: str, key: str) -> list[NoticeInfo]:
        """Notices registered under ``(kind, key)`` (kind in :data:`KINDS`), oldest first."""

    def lookup(self, kind: str, key: str) -> list[str]:
        """Ids registered under ``(kind, key)``."""
        return [info.id for info in self.find(kind, key)]

    @abstractmethod
    def candidates(self, bands: Iterable[int]) -> list[NoticeInfo]:
        """Notices sharing at least one LSH band key, without repetition."""

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
