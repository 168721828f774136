"""Persistent crawl state: open it, share it per crawler, record outcomes.

``get_state(crawler)`` opens the backend named by ``GAZETTE_STATE_BACKEND``
(default :class:`gazette.state.sqlite.SQLiteState` at ``GAZETTE_STATE_PATH``)
once per crawler; the pipelines and :class:`gazette.crawl.middlewares.SkipSeenDetailMiddleware`
share it. Opening it begins a run (:meth:`State.begin_run`): whatever killed
earlier runs left pending is reconciled against their export files first.

Exactly once across kills:

1. the dedup stage adds a new notice *pending* in this run; the state is
   committed before the notice's line can reach a file: by
   :class:`gazette.crawl.exporters.FlushingJsonLinesItemExporter` before each batch
   of lines it writes, or by the dedup stage itself, per notice, when some
   feed uses another exporter (:meth:`_Recorder.commit_each_notice`);
2. the gazette exporter registers its file with the run (committed before its
   first line) and, once a batch of lines is written and flushed, marks their
   notices exported (:meth:`_Recorder.exported`);
3. a kill anywhere leaves either a pending notice whose line is in the file
   (the next run marks it exported) or one whose line is not (the next run
   rolls it back, so its page is fetched and exported again).

With another exporter (or none), :meth:`_Recorder.item_scraped` marks the
notice exported after the feed exporters ran (not crash safe for buffered
files). Detail pages are recorded as seen on ``item_scraped`` (depending on the
item's notice) and on final drops (depending on the notice the item copied).
"""

from __future__ import annotations

import logging
from typing import Any

from gazette.state.base import NoticeInfo, Source, State
from gazette.text.canon import url_fingerprint

__all__ = [
    "NoticeInfo",
    "Source",
    "State",
    "get_recorder",
    "get_state",
    "open_state",
    "record_detail",
]

logger = logging.getLogger(__name__)
_ATTR = "_gazette_state"
_RECORDER = "_gazette_recorder"


def open_state(settings: Any, spider_name: str) -> State:
    """Open the configured backend for ``spider_name``."""
    from scrapy.utils.misc import load_object

    cls = load_object(settings.get("GAZETTE_STATE_BACKEND") or "gazette.state.sqlite.SQLiteState")
    state: State = cls.from_settings(settings, spider_name)
    return state


def _spider_name(crawler: Any) -> str:
    spider = getattr(crawler, "spider", None)
    name = getattr(spider, "name", None) or getattr(crawler.spidercls, "name", None)
    return str(name or crawler.settings.get("BOT_NAME") or "gazette")


def get_state(crawler: Any) -> State:
    """The crawler's state, opened (and its signals connected) on first use."""
    state: State | None = getattr(crawler, _ATTR, None)
    if state is not None:
        return state
    from scrapy import signals

    state = open_state(crawler.settings, _spider_name(crawler))
    setattr(crawler, _ATTR, state)
    run = state.begin_run()
    done = state.last_reconciled
    logger.info(
        "gazette state: %s%s, run %s",
        state.location,
        " (reset)" if crawler.settings.getbool("GAZETTE_STATE_RESET") else "",
        run,
    )
    stats = getattr(crawler, "stats", None)
    if done:
        logger.info(
            "gazette state: reconciled %d earlier run(s): %d pending notice(s) found in "
            "their export, %d rolled back (fetched again)%s%s",
            done.runs,
            done.exported,
            done.rolled_back,
            f"; partial last line cut in {done.cut} export file(s)" if done.cut else "",
            f"; {done.live} run(s) of live processes left" if done.live else "",
        )
        if stats is not None:
            stats.set_value("gazette/state/reconciled/exported", done.exported)
            stats.set_value("gazette/state/reconciled/rolled_back", done.rolled_back)
            if done.cut:
                stats.set_value("gazette/state/reconciled/cut_files", done.cut)
    recorder = _Recorder(crawler, state)
    crawler.signals.connect(recorder.item_scraped, signal=signals.item_scraped)
    crawler.signals.connect(recorder.item_dropped, signal=signals.item_dropped)
    crawler.signals.connect(recorder.spider_closed, signal=signals.spider_closed)
    setattr(crawler, _RECORDER, recorder)  # keep a strong reference for the dispatcher
    return state


def get_recorder(crawler: Any) -> _Recorder | None:
    """The crawler's recorder when its state is open (None otherwise)."""
    recorder: _Recorder | None = getattr(crawler, _RECORDER, None)
    return recorder if isinstance(recorder, _Recorder) else None


def record_detail(state: State, response: Any, depends_on: str | None = None) -> None:
    """Mark the detail page behind ``response`` (and its redirect chain) as seen.

    ``depends_on``: the notice id the page's item was or copied (see
    :meth:`State.mark_seen`)."""
    if response is None:
        return
    meta = getattr(response, "meta", None) or {}
    if not meta.get("gazette_detail"):
        return
    urls = [response.url, *(meta.get("redirect_urls") or [])]
    request = getattr(response, "request", None)
    if request is not None:
        urls.append(request.url)
    for url in dict.fromkeys(urls):
        state.mark_seen(url_fingerprint(url), url, depends_on)


class _Recorder:
    """Records outcomes in the state, for the signals and the gazette exporters."""

    def __init__(self, crawler: Any, state: State) -> None:
        self.crawler = crawler
        self.state = state
        self.closed = False
        # outcomes (exported marks, seen pages) are committed in batches: a kill
        # loses at most a batch, which the next run's reconciliation restores
        # (lines found in the export) or re-fetches (pages not yet seen)
        self.commit_every = max(1, crawler.settings.getint("GAZETTE_STATE_COMMIT_EVERY", 50))
        self._uncommitted = 0
        #: gazette exporters writing local files of this run (they mark exports)
        self.exporters: list[Any] = []
        self._feeds: Any = None  # the crawler's FeedExporter extension, once looked up
        self._timer: Any = None  # flushes buffered lines when items stop coming

    def commit(self) -> None:
        """Commit the state now (a no-op once the state is closed)."""
        if not self.closed:
            self.state.commit()

    def commit_each_notice(self) -> bool:
        """True when the dedup stage must commit each new notice before passing it on:
        some feed's exporter writes lines without committing the state first."""
        if self._feeds is None:
            from scrapy.extensions.feedexport import FeedExporter

            found = [
                ext
                for ext in getattr(getattr(self.crawler, "extensions", None), "middlewares", ())
                if isinstance(ext, FeedExporter)
            ]
            self._feeds = found[0] if found else False
        if self._feeds is False:
            return False  # no feed export: nothing is written
        # (duck-typed: the state does not import the exporter, which imports the state)
        return not all(getattr(slot.exporter, "commits_state", False) for slot in self._feeds.slots)

    # -- called by gazette.crawl.exporters.FlushingJsonLinesItemExporter ------------

    def export_opened(self, path: str, exporter: Any) -> bool:
        """Register the export file ``path`` with the run, durably, before its
        first line; from now on ``exporter`` reports what it wrote. False once closed."""
        if self.closed:
            return False
        self.state.add_export(path)
        self.state.commit()
        self.exporters.append(exporter)
        self._start_timer(getattr(exporter, "flush_seconds", 0.0))
        return True

    def _start_timer(self, seconds: float) -> None:
        if self._timer is not None or seconds <= 0:
            return
        from twisted.internet import task

        self._timer = task.LoopingCall(self._flush_due)
        self._timer.start(seconds, now=False)

    def _flush_due(self) -> None:
        for exporter in self.exporters:
            try:
                if exporter.flush_due():
                    exporter.flush()
            except (OSError, ValueError) as exc:  # a file already closed
                logger.debug("gazette exporter timed flush: %s", exc)

    def exported(self, ids: list[str]) -> None:
        """The lines of ``ids`` are written and flushed: the notices are exported."""
        if self.closed:
            return  # still pending: the next run finds the lines
        self.state.mark_exported_many(ids)

    # -- signals -------------------------------------------------------------

    def _feeds_written(self) -> bool:
        """True when the feed exporters (connected before us) wrote the item: no
        feed at all, or every feed slot has its file open. A slot whose file
        could not be opened (a folder not writable…) wrote nothing."""
        if self._feeds is None:
            self.commit_each_notice()  # looks the FeedExporter up
        if self._feeds is False:
            return True
        return all(
            getattr(slot, "_fileloaded", True) and getattr(slot, "exporter", None) is not None
            for slot in self._feeds.slots
        )

    def item_scraped(self, item: Any, response: Any = None, spider: Any = None) -> None:
        if self.closed:
            return
        nid = item.get("id") if hasattr(item, "get") else None
        if nid and not self.exporters:
            # no gazette exporter: the feed exporters (connected first) have had the item
            if not self._feeds_written():
                # never written: the notice stays pending, the next run exports it
                self.crawler.stats.inc_value("gazette/export/lines_not_written")
                export_failed(self.crawler, "the export file could not be opened")
                record_detail(self.state, response, str(nid))
                self._commit_batch()
                return
            self.state.mark_exported(str(nid))
        record_detail(self.state, response, str(nid) if nid else None)
        self._commit_batch()
        self.crawler.stats.inc_value("gazette/exported")

    def _commit_batch(self) -> None:
        self._uncommitted += 1
        if self._uncommitted >= self.commit_every:
            self.state.commit()
            self._uncommitted = 0

    def item_dropped(
        self, item: Any, response: Any = None, exception: Any = None, spider: Any = None
    ) -> None:
        if self.closed:
            return
        if getattr(exception, "final", False):
            record_detail(self.state, response, getattr(exception, "notice_id", None))
        self._commit_batch()

    def spider_closed(self, spider: Any = None, reason: str | None = None) -> None:
        if self.closed:
            return
        if self._timer is not None and self._timer.running:
            self._timer.stop()
        try:
            for exporter in self.exporters:
                flush = getattr(exporter, "flush", None)
                if flush is not None:
                    try:
                        flush()  # lines still buffered (GAZETTE_EXPORT_FLUSH_EVERY > 1)
                    except (OSError, ValueError) as exc:  # a file already closed
                        logger.debug("gazette exporter flush at close: %s", exc)
            self.closed = True
            if any(getattr(e, "failed", None) for e in self.exporters):
                self.state.commit()  # the notices not written stay pending
            for key, value in self.state.stats().items():
                self.crawler.stats.set_value(f"gazette/state/{key}", value)
        finally:
            self.closed = True
            self.state.close()


def export_failed(crawler: Any, message: str) -> None:
    """Log ``message`` once (ERROR), count ``gazette/export/failed`` and close the
    crawl with the reason ``export_failed``: the notices not written stay pending
    and the next run exports them."""
    stats = getattr(crawler, "stats", None)
    if stats is not None:
        if stats.get_value("gazette/export/failed"):
            return
        stats.set_value("gazette/export/failed", 1)
    logger.error(
        "%s; the notices not written stay pending and the next run exports them; "
        "the crawl stops (export_failed)",
        message,
    )
    engine = getattr(crawler, "engine", None)
    if engine is None or getattr(engine, "spider", None) is None:
        return
    from scrapy.utils.defer import deferred_from_coro
    from twisted.internet import reactor

    async def close() -> None:
        try:
            await engine.close_spider_async(reason="export_failed")
        except RuntimeError:  # already closed
            pass

    reactor.callLater(0, lambda: deferred_from_coro(close()))  # type: ignore[attr-defined,arg-type]
