"""Downloader middlewares: never fetch a detail page the state already processed;
account for every request the crawl makes."""

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
        if not request.meta.get("gazette_detail"):
            return None
        if not request.meta.get("_gazette_entry"):
            # an entry the lists showed (fetched or known): counted once, not per retry
            request.meta["_gazette_entry"] = True
            self.crawler.stats.inc_value("gazette/entries/found")
        if self.state is None:
            return None
        if self.state.is_seen(url_fingerprint(request.url)):
            self.crawler.stats.inc_value("gazette/skipped/seen_detail")
            logger.debug("skipping seen detail page %s", request.url)
            raise IgnoreRequest(f"seen detail page: {request.url}")
        return None


class RequestAccountingMiddleware:
    """Every request that reaches the downloader ends in exactly one outcome.

    Placed next to the downloader (priority 990): ``process_request`` counts
    ``gazette/requests/made`` (each attempt: a retry is a new request) and the
    answer or failure is counted at once, by reason:

    * ``gazette/requests/redirected``: a 3xx answer;
    * ``gazette/requests/http_status``: a 4xx/5xx answer;
    * ``gazette/requests/timeout``, ``too_large`` (over ``DOWNLOAD_MAXSIZE`` on
      the wire), ``refused`` (connection refused, DNS), ``connection`` (lost,
      truncated), ``other``: failures (:func:`gazette.crawl.faults.exception_reason`);
    * ``gazette/requests/unfinished``: cancelled when the crawl closed;
    * ``gazette/requests/wire_2xx``: a 2xx answer, and ``gazette/requests/page``
      once it reaches the engine (``response_received``); a 2xx answer that
      never does was dropped by the decompression or size limit after download
      (a bomb of any encoding): :func:`gazette.ops.monitors.requests_accounted`
      reports it as ``bomb``.

    Cached answers (``HTTPCACHE_ENABLED``) count as requests made too.
    """

    def __init__(self, crawler: Any) -> None:
        from scrapy import signals

        self.stats = crawler.stats
        crawler.signals.connect(self.response_received, signal=signals.response_received)

    @classmethod
    def from_crawler(cls, crawler: Any) -> RequestAccountingMiddleware:
        return cls(crawler)

    def _made(self, request: Any) -> None:
        # per attempt: a retry or a redirect is a copy of the request (its meta too)
        if request.meta.get("_gazette_made") != id(request):
            request.meta["_gazette_made"] = id(request)
            self.stats.inc_value("gazette/requests/made")

    def process_request(self, request: Any, spider: Any = None) -> None:
        self._made(request)
        return None

    def process_response(self, request: Any, response: Any, spider: Any = None) -> Any:
        self._made(request)  # a cached answer skipped process_request
        status = int(getattr(response, "status", 0) or 0)
        if 300 <= status < 400:
            self.stats.inc_value("gazette/requests/redirected")
        elif status >= 400 or status < 200:
            self.stats.inc_value("gazette/requests/http_status")
        else:
            self.stats.inc_value("gazette/requests/wire_2xx")
            request.meta["_gazette_wire_2xx"] = id(request)
        return response

    def process_exception(self, request: Any, exception: BaseException, spider: Any = None) -> None:
        from gazette.crawl.faults import exception_reason

        if request.meta.get("_gazette_made") != id(request):
            return None  # raised before the request reached us (seen, robots, offsite)
        reason = exception_reason(exception)
        if reason is None and isinstance(exception, IgnoreRequest):
            return None  # a deliberate drop below us (none today): not a failure
        outcome = {
            "timeout": "timeout",
            "too_large": "too_large",
            "connection_refused": "refused",
            "dns": "refused",
            "connection_lost": "connection",
            "truncated": "connection",
            "cancelled": "unfinished",
        }.get(reason or "", "other")
        self.stats.inc_value(f"gazette/requests/{outcome}")
        return None

    def response_received(self, response: Any, request: Any, spider: Any = None) -> None:
        meta = getattr(request, "meta", None) or {}
        mark = id(request)
        if meta.get("_gazette_wire_2xx") == mark and meta.get("_gazette_page") != mark:
            meta["_gazette_page"] = mark
            self.stats.inc_value("gazette/requests/page")
            if meta.get("gazette_list"):
                self.stats.inc_value("gazette/lists/parsed")
