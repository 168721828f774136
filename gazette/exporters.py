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
"""

from __future__ import annotations

import gzip
import zlib
from typing import Any

from scrapy.exporters import JsonLinesItemExporter


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

    @classmethod
    def from_crawler(cls, crawler: Any, file: Any, **kwargs: Any) -> FlushingJsonLinesItemExporter:
        settings = crawler.settings
        return cls(
            file,
            flush_every=settings.getint("GAZETTE_EXPORT_FLUSH_EVERY", 1),
            compress=settings.getbool("GAZETTE_EXPORT_GZIP", False),
            **kwargs,
        )

    def export_item(self, item: Any) -> None:
        super().export_item(item)
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
