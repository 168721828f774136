"""Persistent crawl state: open it, share it per crawler, record outcomes.

``get_state(crawler)`` opens the backend named by ``GAZETTE_STATE_BACKEND``
(default :class:`gazette.state.sqlite.SQLiteState` at ``GAZETTE_STATE_PATH``)
once per crawler; the pipelines and :class:`gazette.middlewares.SkipSeenDetailMiddleware`
share it. It also connects the signals that record, after the feed exporter
has written an item, that the item's notice was exported and that its detail
page was fully processed, and commits then (one small transaction per item).
"""

from __future__ import annotations

import logging
from typing import Any

from gazette.state.base import NoticeInfo, Source, State
from gazette.text.canon import url_fingerprint

__all__ = ["NoticeInfo", "Source", "State", "get_state", "open_state", "record_detail"]

logger = logging.getLogger(__name__)
_ATTR = "_gazette_state"


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
    logger.info(
        "gazette state: %s%s",
        state.location,
        " (reset)" if crawler.settings.getbool("GAZETTE_STATE_RESET") else "",
    )
    recorder = _Recorder(crawler, state)
    crawler.signals.connect(recorder.item_scraped, signal=signals.item_scraped)
    crawler.signals.connect(recorder.item_dropped, signal=signals.item_dropped)
    crawler.signals.connect(recorder.spider_closed, signal=signals.spider_closed)
    crawler._gazette_recorder = recorder  # keep a strong reference for the dispatcher
    return state


def record_detail(state: State, response: Any) -> None:
    """Mark the detail page behind ``response`` (and its redirect chain) as seen."""
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
        state.mark_seen(url_fingerprint(url), url)


class _Recorder:
    def __init__(self, crawler: Any, state: State) -> None:
        self.crawler = crawler
        self.state = state
        self.closed = False

    def item_scraped(self, item: Any, response: Any = None, spider: Any = None) -> None:
        if self.closed:
            return
        nid = item.get("id") if hasattr(item, "get") else None
        if nid:
            self.state.mark_exported(str(nid))
        record_detail(self.state, response)
        self.state.commit()
        self.crawler.stats.inc_value("gazette/exported")

    def item_dropped(
        self, item: Any, response: Any = None, exception: Any = None, spider: Any = None
    ) -> None:
        if self.closed:
            return
        if getattr(exception, "final", False):
            record_detail(self.state, response)
        self.state.commit()

    def spider_closed(self, spider: Any = None, reason: str | None = None) -> None:
        if self.closed:
            return
        self.closed = True
        try:
            for key, value in self.state.stats().items():
                self.crawler.stats.set_value(f"gazette/state/{key}", value)
        finally:
            self.state.close()
