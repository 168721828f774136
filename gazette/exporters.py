"""JSON-lines feed export that survives a killed crawl.

Scrapy's ``FileFeedStorage`` opens the feed file with Python's default 8 KiB
buffer and the ``GzipPlugin`` keeps compressed data in zlib until the file is
closed, so a crawl killed with SIGKILL loses the tail of its export and can
leave half a line. :class:`FlushingJsonLinesItemExporter` writes each record
as one line (UTF-8, no ``\\uXXXX``) and flushes after every
``GAZETTE_EXPORT_FLUSH_EVERY`` items (default 1): the OS has every line
before the next item is processed. With ``GAZETTE_EXPORT_GZIP=1`` it
compresses itself and ends each flush with a zlib sync point, so a killed
run leaves a readable gzip stream of whole lines (only the gzip trailer is
missing; ``zcat`` warns, :func:`gazette.compact.read_jsonl` reads it).

It also keeps the crawl state exact across kills (see :mod:`gazette.state`):
before its first line it registers its file (a local ``FEEDS`` file) with the
state's run, and after each flush it reports the ids of the lines written,
which marks those notices exported. A notice whose line never reached the
file stays pending and is rolled back by the next run.
"""

from __future__ import annotations

import gzip
import logging
import os
import zlib
from typing import Any

from scrapy.exporters import JsonLinesItemExporter

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
    """``JsonLinesItemExporter`` + per-item flush + optional gzip."""

    def __init__(
        self, file: Any, *, flush_every: int = 1, compress: bool = False, **kwargs: Any
    ) -> None:
        kwargs.setdefault("encoding", "utf-8")
        self._target = file
        self._gzip: gzip.GzipFile | None = None
        if compress:
            self._gzip = gzip.GzipFile(fileobj=file, mode="wb", compresslevel=6, mtime=0)
            file = self._gzip
        super().__init__(file, **kwargs)
        self.flush_every = max(1, int(flush_every))
        self._pending = 0
        self.crawler: Any = None
        self._attached = False
        self._recorder: Any = None  # gazette.state._Recorder, once the file is registered
        self._written: list[str] = []  # ids written since the last flush

    @classmethod
    def from_crawler(cls, crawler: Any, file: Any, **kwargs: Any) -> FlushingJsonLinesItemExporter:
        settings = crawler.settings
        exporter = cls(
            file,
            flush_every=settings.getint("GAZETTE_EXPORT_FLUSH_EVERY", 1),
            compress=settings.getbool("GAZETTE_EXPORT_GZIP", False),
            **kwargs,
        )
        exporter.crawler = crawler
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
        path = _local_path(self.crawler, self)
        if path is None:
            logger.info("gazette export: not a local file, exports recorded on item_scraped")
            return
        if recorder.export_opened(path, self):
            self._recorder = recorder

    def export_item(self, item: Any) -> None:
        if not self._attached:
            self._attach()
        super().export_item(item)
        if self._recorder is not None:
            nid = item.get("id") if hasattr(item, "get") else None
            if nid:
                self._written.append(str(nid))
        self._pending += 1
        if self._pending >= self.flush_every:
            self.flush()

    def flush(self) -> None:
        self._pending = 0
        if self._gzip is not None:
            self._gzip.flush(zlib.Z_SYNC_FLUSH)  # also flushes the target file
        else:
            flush = getattr(self.file, "flush", None)
            if flush is not None:
                flush()
        if self._written:
            written, self._written = self._written, []
            if self._recorder is not None:
                self._recorder.exported(written)

    def finish_exporting(self) -> None:
        super().finish_exporting()
        if self._gzip is not None:
            self._gzip.close()  # writes the trailer; the target is closed by the storage
            self._gzip = None
        else:
            self.flush()


def uri_params(params: dict[str, Any], spider: Any) -> dict[str, Any]:
    """``FEEDS`` ``uri_params``: ``%(gz)s`` is ``.gz`` when ``GAZETTE_EXPORT_GZIP`` is on."""
    crawler = getattr(spider, "crawler", None)
    gz = bool(crawler is not None and crawler.settings.getbool("GAZETTE_EXPORT_GZIP", False))
    return {**params, "gz": ".gz" if gz else ""}
