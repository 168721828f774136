"""The crawl's side of the dataset: every copy into the store, changes into the export.

:class:`ChangeFeed` is used by the dedup stage
(:class:`gazette.pipelines.p40_dedup.DedupPipeline`): each record that passes
deduplication, new notice or copy of a known one, is added to the dataset
store (:class:`gazette.dataset.store.Store`, committed before the item goes
on). A new notice goes to the export as its merged record; a copy goes to the
export only when it changed its notice's merged record (a better copy, or one
that brings a missing 文号 or attachments): same ``id``, higher ``revision``.
So the per-run export is a change feed, and "the last line per ``id`` wins"
gives the dataset's records. At the end of the crawl the dataset's light files
(``notices.jsonl``, ``notices.csv``) are rewritten from the store
(:func:`gazette.dataset.files.materialize`); Parquet and DuckDB are
written by ``gazette dataset`` (they need the ``analyst`` extra).

Settings:

* ``GAZETTE_DATASET_DIR``: the dataset directory; default ``dataset`` beside
  the state directory (``data/state/x.sqlite3`` → ``data/dataset``; a state
  file elsewhere → ``dataset/`` in its directory; a non-SQLite state →
  ``data/dataset``); empty, ``0`` or ``off``: no dataset, the export holds new
  notices only (as before).
* ``GAZETTE_DATASET_FILES``: formats written at the end of a crawl (default
  ``jsonl,csv``; ``none`` writes none: the store alone is kept current).
"""

from __future__ import annotations

import logging
import os
from typing import Any

from gazette.dataset.files import LIGHT_FORMATS, STORE, materialize
from gazette.dataset.store import Change, Store

logger = logging.getLogger(__name__)
_OFF = ("", "0", "off", "false", "no", "none")


def dataset_dir(settings: Any) -> str | None:
    """The dataset directory the settings name (None: off).

    >>> from scrapy.settings import Settings
    >>> dataset_dir(Settings({"GAZETTE_STATE_PATH": "data/state/{spider}.sqlite3"}))
    'data/dataset'
    >>> dataset_dir(Settings({"GAZETTE_STATE_PATH": "/tmp/x/demo.state.sqlite3"}))
    '/tmp/x/dataset'
    >>> dataset_dir(Settings({"GAZETTE_DATASET_DIR": "off"})) is None
    True
    """
    value = settings.get("GAZETTE_DATASET_DIR")
    if value is not None:
        text = str(value).strip()
        return None if text.lower() in _OFF else text
    backend = str(settings.get("GAZETTE_STATE_BACKEND") or "gazette.state.sqlite.SQLiteState")
    path = str(settings.get("GAZETTE_STATE_PATH") or "data/state/{spider}.sqlite3")
    if not backend.endswith("SQLiteState") or path == ":memory:":
        return os.path.join("data", "dataset")
    parent = os.path.dirname(path)
    if os.path.basename(parent) == "state":
        return os.path.join(os.path.dirname(parent), "dataset")
    return os.path.join(parent, "dataset")


class ChangeFeed:
    """The dataset store of a crawl (see the module doc)."""

    def __init__(self, directory: str, formats: tuple[str, ...] = LIGHT_FORMATS, stats: Any = None):
        self.directory = directory
        self.formats = formats
        self.stats = stats
        self.store = Store(os.path.join(directory, STORE))
        self.changed = 0  # notices whose merged record changed
        self.dirty = False  # something (a record or a source) was stored

    @classmethod
    def from_crawler(cls, crawler: Any) -> ChangeFeed | None:
        directory = dataset_dir(crawler.settings)
        if directory is None:
            return None
        raw = crawler.settings.get("GAZETTE_DATASET_FILES", ",".join(LIGHT_FORMATS))
        if isinstance(raw, str):
            formats = tuple(f.strip() for f in raw.split(",") if f.strip().lower() not in _OFF)
        else:
            formats = tuple(raw or ())
        return cls(directory, formats, getattr(crawler, "stats", None))

    def _count(self, key: str) -> None:
        if self.stats is not None:
            self.stats.inc_value(f"gazette/dataset/{key}")

    def new(self, record: dict[str, Any], run: str | None) -> dict[str, Any]:
        """A new notice (it has its ``id``): its export line."""
        change = self.store.add(record, run)
        self._count("copies")
        self.dirty = self.dirty or change is not None
        if change is None:  # the very copy was stored before (a run rolled back)
            return self._current(record)
        if change.changed:
            self.changed += 1
        return change.record

    def copy(self, record: dict[str, Any], id: str, run: str | None) -> dict[str, Any] | None:
        """A copy of notice ``id``: its notice's new export line when the copy changed
        the merged record, else None (nothing to export)."""
        change: Change | None = self.store.add({**record, "id": id}, run)
        self._count("copies")
        self.dirty = self.dirty or change is not None
        if change is None or not change.changed:
            return None
        self.changed += 1
        self._count("revised")
        return change.record

    def _current(self, record: dict[str, Any]) -> dict[str, Any]:
        row = self.store.db.execute(
            "SELECT revision, first_seen, content FROM notices WHERE id = ?", (record["id"],)
        ).fetchone()
        if row is None:
            return record
        import json

        return Store.feed_record(json.loads(row[2]), int(row[0]), row[1])

    def close(self) -> None:
        """Bring the dataset's files up to date (when the run changed anything or
        they are missing), then close the store."""
        try:
            if self.formats:
                missing = not os.path.exists(os.path.join(self.directory, "manifest.json"))
                if self.dirty or missing:
                    manifest = materialize(self.directory, self.store, self.formats)
                    if self.stats is not None:
                        self.stats.set_value("gazette/dataset/notices", manifest["notices"])
                    logger.info(
                        "gazette dataset: %s: %d notices (%s)",
                        self.directory,
                        manifest["notices"],
                        ", ".join(self.formats),
                    )
        finally:
            self.store.close()
