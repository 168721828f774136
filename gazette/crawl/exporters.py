"""JSON-lines feed export that survives a killed crawl.

Scrapy's ``FileFeedStorage`` opens the feed file with Python's default 8 KiB
buffer and the ``GzipPlugin`` keeps compressed data in zlib until the file is
closed, so a crawl killed with SIGKILL loses the tail of its export and can
leave half a line. :class:`FlushingJsonLinesItemExporter` writes each record
as one line (UTF-8, no ``\\uXXXX``) and keeps the lines of the last
``GAZETTE_EXPORT_FLUSH_EVERY`` items (project default 100) or
``GAZETTE_EXPORT_FLUSH_SECONDS`` (default 1 s) in memory, then writes them in
one go and flushes: the OS has every line a second after its item at the
latest. A SIGKILL can still land inside that write (Linux stops a write to a
file between pages when a fatal signal is pending) and leave part of a line;
the next run on the same state cuts it (see :mod:`gazette.state.runs`). With
``GAZETTE_EXPORT_GZIP=1`` it compresses itself and ends each flush with a
zlib sync point, so a killed run leaves a readable gzip stream of whole lines
(only the gzip trailer is missing; ``zcat`` warns,
:func:`gazette.dedup.compact.read_jsonl` reads it).

It also keeps the crawl state exact across kills (see :mod:`gazette.state`):
before its first line it registers its file (a local ``FEEDS`` file) with the
state's run; before each batch of lines reaches the file it commits the
state (so no line can exist on disk for a notice the state would forget);
after the batch is flushed it reports the ids written, which marks those
notices exported. A notice whose line never reached the file stays pending
and is rolled back by the next run. Because of that commit the dedup stage
need not commit each new notice itself when every feed uses this exporter:
one commit per batch instead of one per notice.

**Exported means written.** A batch's ids are reported only once its lines are
written, flushed and (``GAZETTE_EXPORT_FSYNC``, on by default) ``fsync``-ed.
A write that fails (folder not writable, disk full, file size limit) stops
this exporter for the rest of the run: the ids of the failed batch and of
every later item are never reported, so their notices stay *pending* and the
next run rolls them back and exports them again (their pages are fetched
again; a partial line the failed write left is cut by that run). The failure
is logged once as an ERROR naming the file, counted
(``gazette/export/failed``, ``gazette/export/lines_not_written``) and the
crawl closes with the reason ``export_failed`` (a failed monitor, exit 3).
:func:`export_failed` does the same for a feed file that could not even be
opened (see :class:`gazette.state._Recorder`).

Hooks for other consumers (the dataset of issue 13 and the like): the
recorder's :meth:`gazette.state._Recorder.exported` (ids whose lines are
durably written) is the one place a notice becomes exported; a consumer that
needs "notices really written" should hook there (or read the export file),
never ``item_scraped``, which also fires for lines still buffered.
"""

from __future__ import annotations

import gzip
import logging
import os
import time
import zlib
from typing import Any

from scrapy.exporters import JsonLinesItemExporter

from gazette.state import export_failed

logger = logging.getLogger(__name__)


def _local_path(crawler: Any, exporter: Any) -> str | None:
    """The local file ``exporter`` writes to, from the crawler's feed slots
    (None for remote storages, whose files only exist once uploaded)."""
    from scrapy.extensions.feedexport import FeedExporter, FileFeedStorage

    extensions = getattr(getattr(crawler, "extensions", None), "middlewares", ()) or ()
    for ext in extensions:
        if not isinstance(ext, FeedExporter):
            continue
        for slot in ext.slots:
            if slot.exporter is exporter:
                if isinstance(slot.storage, FileFeedStorage):
                    return os.path.abspath(slot.storage.path)
                return None
    return None


class FlushingJsonLinesItemExporter(JsonLinesItemExporter):
    """``JsonLinesItemExporter`` + batched, committed, flushed writes + optional gzip.

    ``flush_every`` lines (or lines older than ``flush_seconds``) are written
    and flushed together; 1 writes and flushes each line at once.
    """

    #: commits the state before each batch it writes (the state's recorder reads this)
    commits_state = True

    def __init__(
        self,
        file: Any,
        *,
        flush_every: int = 1,
        flush_seconds: float = 1.0,
        compress: bool = False,
        **kwargs: Any,
    ) -> None:
        kwargs.setdefault("encoding", "utf-8")
        self._target = file
        self._gzip: gzip.GzipFile | None = None
        if compress:
            self._gzip = gzip.GzipFile(fileobj=file, mode="wb", compresslevel=6, mtime=0)
            file = self._gzip
        super().__init__(file, **kwargs)
        self.flush_every = max(1, int(flush_every))
        self.flush_seconds = max(0.0, float(flush_seconds))
        self.crawler: Any = None
        self._attached = False
        self._state: Any = None  # the crawl's gazette.state._Recorder: committed before writes
        self._recorder: Any = None  # the same, once this (local) file is registered with the run
        self._lines: list[bytes] = []  # lines not yet written
        self._oldest = 0.0  # monotonic time of the oldest line in _lines
        self._written: list[str] = []  # ids in _lines (reported once flushed)
        self.fsync = True  # fsync after each flushed batch (GAZETTE_EXPORT_FSYNC)
        #: why writing failed ("path: reason"), None while it works
        self.failed: str | None = None

    @classmethod
    def from_crawler(cls, crawler: Any, file: Any, **kwargs: Any) -> FlushingJsonLinesItemExporter:
        settings = crawler.settings
        exporter = cls(
            file,
            flush_every=settings.getint("GAZETTE_EXPORT_FLUSH_EVERY", 1),
            flush_seconds=settings.getfloat("GAZETTE_EXPORT_FLUSH_SECONDS", 1.0),
            compress=settings.getbool("GAZETTE_EXPORT_GZIP", False),
            **kwargs,
        )
        exporter.crawler = crawler
        exporter.fsync = settings.getbool("GAZETTE_EXPORT_FSYNC", True)
        return exporter

    def _attach(self) -> None:
        """Register the file with the crawl state's run (once, before the first line)."""
        self._attached = True
        if self.crawler is None:
            return
        from gazette.state import get_recorder

        recorder = get_recorder(self.crawler)
        if recorder is None:
            return
        self._state = recorder
        path = _local_path(self.crawler, self)
        if path is None:
            logger.info("gazette export: not a local file, exports recorded on item_scraped")
            return
        if recorder.export_opened(path, self):
            self._recorder = recorder

    def export_item(self, item: Any) -> None:
        if not self._attached:
            self._attach()
        if self.failed is not None:
            self._not_written(1)  # the notice stays pending: the next run exports it
            return
        if type(item) is dict and self.fields_to_export is None:
            fields = item  # a plain dict has no field serializers: nothing to convert
        else:
            fields = dict(self.get_serialized_fields(item))
        data = self.encoder.encode(fields) + "\n"
        if not self._lines:
            self._oldest = time.monotonic()
        self._lines.append(data.encode(self.encoding or "utf-8"))
        if self._recorder is not None:
            nid = item.get("id") if hasattr(item, "get") else None
            if nid:
                self._written.append(str(nid))
        if len(self._lines) >= self.flush_every or self.flush_due():
            self.flush()

    def flush_due(self) -> bool:
        """True when the oldest buffered line has waited ``flush_seconds``."""
        return bool(self._lines) and time.monotonic() - self._oldest >= self.flush_seconds

    def flush(self) -> None:
        """Commit the state, write the buffered lines, flush (and fsync), report their ids.

        A failed write reports nothing (see the module doc) and stops the crawl."""
        if self.failed is not None:
            return
        lines: list[bytes] = []
        try:
            if self._lines:
                if self._state is not None:
                    self._state.commit()  # the notices of these lines are durable first
                lines, self._lines = self._lines, []
                self.file.write(b"".join(lines))
            if self._gzip is not None:
                self._gzip.flush(zlib.Z_SYNC_FLUSH)  # also flushes the target file
            else:
                flush = getattr(self.file, "flush", None)
                if flush is not None:
                    flush()
            if lines and self.fsync:
                self._fsync()
        except OSError as exc:
            self._fail(exc, len(lines) or len(self._lines))
            return
        if self._written:
            written, self._written = self._written, []
            if self._recorder is not None:
                self._recorder.exported(written)

    def _fsync(self) -> None:
        try:
            fileno = self._target.fileno()
        except (AttributeError, OSError, ValueError):
            return  # not a real file (tests, remote storages' temp objects)
        os.fsync(fileno)

    def _not_written(self, n: int) -> None:
        stats = getattr(self.crawler, "stats", None)
        if stats is not None and n:
            stats.inc_value("gazette/export/lines_not_written", n)

    def _fail(self, exc: OSError, lines: int) -> None:
        """A write failed: report none of the buffered ids, stop writing, stop the crawl."""
        path = _local_path(self.crawler, self) if self.crawler is not None else None
        where = path or getattr(self._target, "name", None) or "the export"
        self.failed = f"{where}: {exc.strerror or exc}"
        self._not_written(lines)
        self._lines, self._written = [], []
        export_failed(self.crawler, f"could not write the export {self.failed}")

    def finish_exporting(self) -> None:
        self.flush()
        if self.failed is not None:
            return  # nothing more is written to a file that failed
        try:
            super().finish_exporting()
            if self._gzip is not None:
                self._gzip.close()  # writes the trailer; the target is closed by the storage
                self._gzip = None
        except OSError as exc:
            self._fail(exc, 0)


def job_id(spider: Any = None) -> str | None:
    """scrapyd's job id (``SCRAPY_JOB``, or the ``_job`` spider argument), else None."""
    job = os.environ.get("SCRAPY_JOB") or getattr(spider, "_job", None)
    return str(job) if job else None


def uri_params(params: dict[str, Any], spider: Any) -> dict[str, Any]:
    """``FEEDS`` ``uri_params``: ``%(gz)s`` is ``.gz`` when ``GAZETTE_EXPORT_GZIP`` is on;
    under scrapyd ``%(time)s`` ends with ``_<job id>``, so that two jobs of one spider
    started in the same second never share an export (nor a summary)."""
    crawler = getattr(spider, "crawler", None)
    gz = bool(crawler is not None and crawler.settings.getbool("GAZETTE_EXPORT_GZIP", False))
    out = {**params, "gz": ".gz" if gz else ""}
    job = job_id(spider)
    if job and "time" in out:
        out["time"] = f"{out['time']}_{job}"
    return out
