"""Downloader middleware: never fetch a detail page the state already processed."""

from __future__ import annotations

import logging
from typing import Any

from scrapy.exceptions import IgnoreRequest

from gazette.state import get_state
from gazette.text.canon import url_fingerprint

logger = logging.getLogger(__name__)


class SkipSeenDetailMiddleware:
    """Drop requests marked ``meta={"gazette_detail": True}`` whose URL fingerprint
    (canonical URL, tracking parameters removed) the state has seen, counting
    ``gazette/skipped/seen_detail``. Pages are recorded as seen by the item
    pipelines once their item is fully processed, not when scheduled, so a
    killed crawl fetches its unfinished pages again (and those whose notice the
    next run rolls back, see :mod:`gazette.state`).

    Set ``GAZETTE_SKIP_SEEN_DETAIL=0`` to refetch everything (the dedup stage
    still drops known notices).
    """

    def __init__(self, crawler: Any) -> None:
        self.crawler = crawler
        self.enabled = crawler.settings.getbool("GAZETTE_SKIP_SEEN_DETAIL", True)
        self.state = get_state(crawler) if self.enabled else None

    @classmethod
    def from_crawler(cls, crawler: Any) -> SkipSeenDetailMiddleware:
        return cls(crawler)

    def process_request(self, request: Any, spider: Any = None) -> None:
        if self.state is None or not request.meta.get("gazette_detail"):
            return None
        if self.state.is_seen(url_fingerprint(request.url)):
            self.crawler.stats.inc_value("gazette/skipped/seen_detail")
            logger.debug("skipping seen detail page %s", request.url)
            raise IgnoreRequest(f"seen detail page: {request.url}")
        return None
