"""Retries with back-off that honour ``Retry-After``.

:class:`BackoffRetryMiddleware` replaces Scrapy's ``RetryMiddleware`` (see
``DOWNLOADER_MIDDLEWARES`` in :mod:`gazette.settings`). On a retryable response
it waits before handing the retry back to the scheduler:

* 429 / 503 with a ``Retry-After`` header (seconds or an HTTP date): that long,
  capped at ``RETRY_AFTER_MAX`` seconds (a server asking for more than the cap
  gets the cap; the request is still retried at most ``RETRY_TIMES`` times);
* otherwise exponential back-off: ``RETRY_BACKOFF_BASE * 2 ** n`` seconds for the
  n-th retry (n from 0), capped at ``RETRY_BACKOFF_MAX``.

The wait also raises the download slot's delay for the host, so other requests
to the same site slow down too, until the site answers again (with AutoThrottle
on, AutoThrottle lowers it).
"""

from __future__ import annotations

import email.utils
import time
from typing import Any

from scrapy import Request
from scrapy.downloadermiddlewares.retry import RetryMiddleware
from scrapy.http import Response
from scrapy.settings import BaseSettings
from scrapy.utils.response import response_status_message

#: statuses whose Retry-After header we honour
RETRY_AFTER_STATUSES = (429, 503)


def parse_retry_after(value: bytes | str | None, now: float | None = None) -> float | None:
    """Seconds to wait from a ``Retry-After`` value, or None when unusable.

    >>> parse_retry_after(b"120")
    120.0
    >>> parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT", now=1445412470.0)
    10.0
    >>> parse_retry_after("soon") is None, parse_retry_after(None) is None
    (True, True)
    >>> parse_retry_after("-5")
    0.0
    """
    if value is None:
        return None
    if isinstance(value, bytes):
        value = value.decode("latin-1")
    value = value.strip()
    if not value:
        return None
    try:
        return max(0.0, float(int(value)))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if when is None:
        return None
    now = time.time() if now is None else now
    return max(0.0, when.timestamp() - now)


def backoff_delay(retry_times: int, base: float, cap: float) -> float:
    """Exponential back-off for the ``retry_times``-th retry (0-based), capped.

    >>> [backoff_delay(n, 1.0, 5.0) for n in range(5)]
    [1.0, 2.0, 4.0, 5.0, 5.0]
    """
    return float(min(cap, base * (2**retry_times)))


class BackoffRetryMiddleware(RetryMiddleware):
    """``RetryMiddleware`` + Retry-After (429/503) + exponential back-off."""

    def __init__(self, settings: BaseSettings):
        super().__init__(settings)
        self.retry_after_max = settings.getfloat("RETRY_AFTER_MAX", 120.0)
        self.backoff_base = settings.getfloat("RETRY_BACKOFF_BASE", 1.0)
        self.backoff_max = settings.getfloat("RETRY_BACKOFF_MAX", 60.0)
        self.autothrottle = settings.getbool("AUTOTHROTTLE_ENABLED")
        self._raised: dict[Any, float] = {}  # slot key -> delay before the back-off

    def retry_delay(self, request: Request, response: Response) -> float:
        """How long to wait before retrying ``request`` after ``response``."""
        if response.status in RETRY_AFTER_STATUSES:
            after = parse_retry_after(response.headers.get(b"Retry-After"))
            if after is not None:
                return min(after, self.retry_after_max)
        retries = int(request.meta.get("retry_times", 0))
        return backoff_delay(retries, self.backoff_base, self.backoff_max)

    async def process_response(  # type: ignore[override]
        self, request: Request, response: Response
    ) -> Request | Response:
        if request.meta.get("dont_retry", False) or response.status not in self.retry_http_codes:
            if self._raised and response.status < 400:
                self._restore_slot(request)
            return response
        retry = self._retry(request, response_status_message(response.status))
        if retry is None:
            return response
        delay = self.retry_delay(request, response)
        if delay > 0:
            self._slow_down_slot(request, delay)
            stats = getattr(self.crawler, "stats", None)
            if stats is not None:
                stats.inc_value("retry/backoff_seconds", delay)
            await _sleep(delay)
        return retry

    def _slot(self, request: Request) -> tuple[Any, Any] | None:
        """``(key, slot)`` of the downloader slot ``request`` goes through, if any."""
        engine: Any = getattr(self.crawler, "engine", None)
        downloader = getattr(engine, "downloader", None)
        if downloader is None:
            return None
        try:
            key = downloader.get_slot_key(request)
            slot = downloader.slots.get(key)
        except Exception:  # pragma: no cover - internal API changed
            return None
        return None if slot is None else (key, slot)

    def _slow_down_slot(self, request: Request, delay: float) -> None:
        found = self._slot(request)
        if found is not None:
            key, slot = found
            self._raised.setdefault(key, slot.delay)
            slot.delay = max(slot.delay, min(delay, self.backoff_max))

    def _restore_slot(self, request: Request) -> None:
        """The site answers again: back to the delay it had before the back-off.

        (With AutoThrottle on, AutoThrottle owns the delay and lowers it itself.)
        """
        found = self._slot(request)
        if found is None:
            return
        key, slot = found
        original = self._raised.pop(key, None)
        if original is not None and not self.autothrottle:
            slot.delay = original


async def _sleep(seconds: float) -> None:
    from scrapy.utils.defer import maybe_deferred_to_future
    from twisted.internet import reactor
    from twisted.internet.task import deferLater

    await maybe_deferred_to_future(deferLater(reactor, seconds, lambda: None))  # type: ignore[arg-type]
