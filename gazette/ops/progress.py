"""Progress lines: pages, notices, duplicates and errors, with rates per minute.

Like Scrapy's ``LogStats``, but in the demo summary's words and with
gazette's own counters::

    progress: pages 120 (60/min), notices 41 (20/min), duplicates 3 (1/min), errors 0 (0/min)

every ``GAZETTE_PROGRESS_INTERVAL`` seconds (60; 0 turns it off), and a last
line at close with the rates over the whole crawl. The final summary is
:class:`gazette.ops.monitors.RunSummary`'s.

* pages: ``response_received_count``
* notices: ``item_scraped_count`` (exported)
* duplicates: the sum of ``gazette/duplicates/<kind>``
* errors: ``log_count/ERROR``
"""

from __future__ import annotations

import logging
import time
from typing import Any

from scrapy import signals
from scrapy.exceptions import NotConfigured

logger = logging.getLogger(__name__)

WORDS = ("pages", "notices", "duplicates", "errors")


def counters(stats: dict[str, Any]) -> dict[str, int]:
    """The four counters from a stats dict.

    >>> counters({"response_received_count": 3, "item_scraped_count": 2,
    ...           "gazette/duplicates/url": 1, "gazette/duplicates/near": 1})
    {'pages': 3, 'notices': 2, 'duplicates': 2, 'errors': 0}
    """

    def num(value: Any) -> int:
        return int(value) if isinstance(value, (int, float)) else 0

    return {
        "pages": num(stats.get("response_received_count")),
        "notices": num(stats.get("item_scraped_count")),
        "duplicates": sum(num(v) for k, v in stats.items() if k.startswith("gazette/duplicates/")),
        "errors": num(stats.get("log_count/ERROR")),
    }


def progress_line(now: dict[str, int], before: dict[str, int], minutes: float) -> str:
    """One progress line: totals, and rates over ``minutes``.

    >>> progress_line({"pages": 120, "notices": 41, "duplicates": 3, "errors": 0},
    ...               {"pages": 60, "notices": 21, "duplicates": 2, "errors": 0}, 1.0)
    'pages 120 (60/min), notices 41 (20/min), duplicates 3 (1/min), errors 0 (0/min)'
    """
    parts = []
    for word in WORDS:
        rate = (now[word] - before.get(word, 0)) / minutes if minutes > 0 else 0.0
        shown = f"{rate:.0f}" if rate >= 10 or rate == int(rate) else f"{rate:.1f}"
        parts.append(f"{word} {now[word]} ({shown}/min)")
    return ", ".join(parts)


class Progress:
    """Extension: log :func:`progress_line` periodically and once at close."""

    def __init__(self, crawler: Any, interval: float) -> None:
        self.crawler = crawler
        self.interval = interval
        self.task: Any = None
        self.started = 0.0
        self.last_time = 0.0
        self.last: dict[str, int] = {}

    @classmethod
    def from_crawler(cls, crawler: Any) -> Progress:
        interval = crawler.settings.getfloat("GAZETTE_PROGRESS_INTERVAL", 60.0)
        if interval <= 0:
            raise NotConfigured
        ext = cls(crawler, interval)
        crawler.signals.connect(ext.spider_opened, signal=signals.spider_opened)
        crawler.signals.connect(ext.spider_closed, signal=signals.spider_closed)
        return ext

    def spider_opened(self, spider: Any = None) -> None:
        from twisted.internet import task

        self.started = self.last_time = time.monotonic()
        self.last = dict.fromkeys(WORDS, 0)
        self.task = task.LoopingCall(self.log)
        self.task.start(self.interval, now=False)

    def now(self) -> dict[str, int]:
        return counters(self.crawler.stats.get_stats())

    def log(self) -> None:
        current = self.now()
        t = time.monotonic()
        minutes = (t - self.last_time) / 60.0
        logger.info("progress: %s", progress_line(current, self.last, minutes))
        self.last, self.last_time = current, t

    def spider_closed(self, spider: Any = None, reason: str = "") -> None:
        if self.task is not None and self.task.running:
            self.task.stop()
        if not self.started:
            return
        minutes = (time.monotonic() - self.started) / 60.0
        line = progress_line(self.now(), {}, minutes)
        logger.info("progress (%s after %.1f min): %s", reason or "closed", minutes, line)
