"""Pagination that ends on its own, and a bounded frontier (issue 17, points 3 and 5).

Two spider middlewares, enabled for every spider by :mod:`gazette.settings`
(``SPIDER_MIDDLEWARES_BASE``); they read only request ``meta``, so any spider gets
them, whether it paginates with :class:`~gazette.spiders.base.NoticeSpider`'s
``follow_links``/``parse_api`` or with its own callbacks.

:class:`PaginationMiddleware` (in place of Scrapy's ``DepthMiddleware``, order 900)

* **Next-page hops are not depth.** A list request (``meta["gazette_list"]``) that a
  list page yields is a *page hop* (the same list, one page on) unless it says
  ``meta["gazette_page_hop"] = False`` (the site spider's column links). A hop keeps
  the depth of the page it comes from, so ``DEPTH_LIMIT`` never cuts a list that is
  reached by 下一页 links only; column links and links found on detail pages still
  count one level each. Counted: ``gazette/pagination/page_hops``.
* **A list that brings nothing new ends.** A list page whose output holds no detail
  request (every link already requested in this run: a repeated page, a soft 404
  that answers every ``index_N.html`` with its last page; or ``max_notices`` is
  reached) is *barren*. After ``GAZETTE_LIST_PATIENCE`` (default 2) barren pages in a
  row, the list's next-page links are not followed: at most that many list pages
  are requested past the real end. Counted: ``gazette/pagination/barren_pages``,
  ``gazette/pagination/lists_ended_barren`` (lists), ``gazette/pagination/
  pages_not_followed`` (hops dropped); logged at INFO.
* **Next pages go out a window at a time.** The next pages one list page yields
  (all of a list's pages at once when a script gives their count, as
  ``createPageHTML(500, …)`` does) wait here and are sent ``GAZETTE_LIST_WINDOW``
  (default 4) at a time per list, one more as each comes back: the patience can end a
  list whose script count lies (every page past the real end a repeat) after a few
  pages instead of all of them. Waiting pages are sent when the crawl is otherwise
  idle too (a page that failed never comes back to send its successors).
* **A ceiling per start URL.** Every request carries ``meta["gazette_origin"]``, the
  start URL it descends from; at most ``GAZETTE_MAX_LIST_PAGES`` (default 1000; 0 =
  none) list pages are requested per origin, the start page included. Reaching it is
  logged once per origin (WARNING) and counted: ``gazette/pagination/
  ceiling_reached`` (origins), ``gazette/pagination/pages_over_ceiling`` (pages).

:class:`FrontierMiddleware` (order 30, after depth, referer and URL-length handling)

* **A bounded frontier.** Scrapy schedules every request a callback yields at once:
  a list page with 100,000 links puts 100,000 requests in memory (about 1 KB each).
  When the scheduler already holds ``GAZETTE_FRONTIER_SCHEDULED`` requests (default
  2,000; 0 = off), further non-list requests are parked in a disk queue (Scrapy's
  ``PickleFifoDiskQueue``, in a temporary directory removed at close) and fed back
  ``GAZETTE_FRONTIER_BATCH`` at a time (default 200) whenever the scheduler runs
  empty, so the crawl drains them at its own pace and ends only once they are done.
  List requests are never parked, so paging goes on meanwhile. Start requests need
  no parking: Scrapy pulls ``start()`` only as the downloader has room (the urls
  spider with a 300-line ``urls_file`` never had more than one request scheduled).
  Off when ``JOBDIR`` is set (the scheduler's own disk queues hold the requests
  then) and with a scheduler other than Scrapy's (Redis holds them). Counted:
  ``gazette/frontier/parked``, ``…/released``, ``…/max_parked``; requests that
  cannot be serialised go straight to the scheduler (``…/unserializable``); parked
  requests left when the crawl is stopped early (``CLOSESPIDER_*``, Ctrl-C) are
  counted as ``…/left_at_close``.
* Measured (``benchmarks/hostile_crawl.py``, one page of 100,000 links, 500 details
  crawled): peak RSS 264 MB with the frontier, 520 MB without, 272 MB without but
  with ``JOBDIR``; the crawl process starts at about 150 MB.
"""

from __future__ import annotations

import logging
import shutil
import tempfile
from collections import deque
from collections.abc import AsyncIterator, Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

from scrapy import Request, signals
from scrapy.exceptions import DontCloseSpider, NotConfigured
from scrapy.http import Response
from scrapy.spidermiddlewares.depth import DepthMiddleware

logger = logging.getLogger(__name__)

#: defaults of the settings read here (also in :mod:`gazette.settings`)
LIST_PATIENCE = 2
MAX_LIST_PAGES = 1000
LIST_WINDOW = 4
FRONTIER_SCHEDULED = 2000
FRONTIER_BATCH = 200


def origin_of(response: Response) -> str:
    """The start URL a response descends from (its own first URL when it is one)."""
    origin = response.meta.get("gazette_origin")
    if isinstance(origin, str) and origin:
        return origin
    redirects = response.meta.get("redirect_urls")
    return str(redirects[0]) if redirects else response.url


def list_id_of(response: Response) -> str:
    """The list a list page belongs to: the URL of its first page as requested."""
    list_id = response.meta.get("gazette_list_id")
    if isinstance(list_id, str) and list_id:
        return list_id
    redirects = response.meta.get("redirect_urls")
    return str(redirects[0]) if redirects else response.url


@dataclass
class _Page:
    """What one list page's output held, while it is read."""

    origin: str
    list_id: str | None  # None: not a list page
    details: int = 0
    hops: list[Request] = field(default_factory=list)


class PaginationMiddleware(DepthMiddleware):
    """``DepthMiddleware`` for lists: page hops keep their depth, barren lists end,
    a ceiling of list pages per start URL (see the module's docstring)."""

    def __init__(
        self,
        maxdepth: int,
        stats: Any,
        verbose_stats: bool = False,
        prio: int = 1,
        patience: int = LIST_PATIENCE,
        ceiling: int = MAX_LIST_PAGES,
        window: int = LIST_WINDOW,
    ) -> None:
        super().__init__(maxdepth, stats, verbose_stats, prio)
        self.patience = max(1, patience)
        self.ceiling = max(0, ceiling)
        self.window = max(1, window)
        self.barren: dict[str, int] = {}  # list id -> barren pages in a row
        self.ended: set[str] = set()
        self.pages: dict[str, int] = {}  # origin -> list pages requested
        self.waiting: dict[str, deque[Request]] = {}  # list id -> next pages not yet sent
        self.in_flight: dict[str, int] = {}  # list id -> next pages sent, not yet read

    @classmethod
    def from_crawler(cls, crawler: Any) -> PaginationMiddleware:
        s = crawler.settings
        mw = cls(
            s.getint("DEPTH_LIMIT"),
            crawler.stats,
            s.getbool("DEPTH_STATS_VERBOSE"),
            s.getint("DEPTH_PRIORITY"),
            patience=s.getint("GAZETTE_LIST_PATIENCE", LIST_PATIENCE),
            ceiling=s.getint("GAZETTE_MAX_LIST_PAGES", MAX_LIST_PAGES),
            window=s.getint("GAZETTE_LIST_WINDOW", LIST_WINDOW),
        )
        mw.crawler = crawler
        crawler.signals.connect(mw.spider_idle, signal=signals.spider_idle)
        return mw

    # -- output ------------------------------------------------------------------------
    def process_spider_output(  # type: ignore[override]
        self, response: Response | None, result: Iterable[Any]
    ) -> Iterator[Any]:
        if response is None:
            yield from result
            return
        self._init_depth(response)
        page = self._begin(response)
        for o in result:
            o = self._one(o, response, page)
            if o is not None:
                yield o
        yield from self._end(response, page)

    async def process_spider_output_async(  # type: ignore[override]
        self, response: Response | None, result: AsyncIterator[Any]
    ) -> AsyncIterator[Any]:
        if response is None:
            async for o in result:
                yield o
            return
        self._init_depth(response)
        page = self._begin(response)
        async for o in result:
            o = self._one(o, response, page)
            if o is not None:
                yield o
        for o in self._end(response, page):
            yield o

    def _begin(self, response: Response) -> _Page:
        origin = origin_of(response)
        is_list = bool(response.meta.get("gazette_list"))
        return _Page(origin, list_id_of(response) if is_list else None)

    def _one(self, o: Any, response: Response, page: _Page) -> Any:
        if not isinstance(o, Request):
            return o
        o.meta.setdefault("gazette_origin", page.origin)
        if o.meta.get("gazette_detail"):
            page.details += 1
        elif o.meta.get("gazette_list"):
            if page.list_id is not None and o.meta.get("gazette_page_hop", True):
                o.meta["gazette_page_hop"] = True
                o.meta["gazette_list_id"] = page.list_id
                page.hops.append(o)  # decided once the page's details are counted
                return None
            o.meta["gazette_page_hop"] = False
            o.meta.setdefault("gazette_list_id", o.url)
            if not self._admit(o, page.origin):
                return None
        return self.get_processed_request(o, response)

    def _end(self, response: Response, page: _Page) -> Iterator[Request]:
        list_id = page.list_id
        if list_id is None:
            return
        if response.meta.get("gazette_page_hop") and self.in_flight.get(list_id):
            self.in_flight[list_id] -= 1
        depth = response.meta.get("depth", 0)
        for request in page.hops:
            request.meta["depth"] = depth  # a next page: the same depth as this one
        if list_id in self.ended:
            self._drop(list_id, page.hops)
            return
        if page.details:
            self.barren.pop(list_id, None)
        else:
            self.stats.inc_value("gazette/pagination/barren_pages")
            streak = self.barren.get(list_id, 0) + 1
            self.barren[list_id] = streak
            if streak >= self.patience and (page.hops or self.waiting.get(list_id)):
                self.ended.add(list_id)
                self.stats.inc_value("gazette/pagination/lists_ended_barren")
                logger.info(
                    "list %s ended: %d page(s) in a row without a new detail link "
                    "(last %s); its next pages are not followed",
                    list_id,
                    streak,
                    response.url,
                )
                self._drop(list_id, page.hops)
                return
        if page.hops:
            self.waiting.setdefault(list_id, deque()).extend(page.hops)
        yield from self._send(list_id, page.origin)

    def _send(self, list_id: str, origin: str) -> Iterator[Request]:
        """The list's waiting next pages, up to ``window`` of them in flight."""
        waiting = self.waiting.get(list_id)
        while waiting and self.in_flight.get(list_id, 0) < self.window:
            request = waiting.popleft()
            if not self._admit(request, origin):
                continue
            depth = request.meta.get("depth", 0)
            if self.prio:
                request.priority -= depth * self.prio
            self.in_flight[list_id] = self.in_flight.get(list_id, 0) + 1
            self.stats.inc_value("gazette/pagination/page_hops")
            yield request
        if not waiting:
            self.waiting.pop(list_id, None)

    def _drop(self, list_id: str, hops: list[Request]) -> None:
        dropped = len(hops) + len(self.waiting.pop(list_id, ()))
        if dropped:
            self.stats.inc_value("gazette/pagination/pages_not_followed", dropped)

    def spider_idle(self, spider: Any) -> None:
        """Nothing in flight: send the next window of every list still waiting
        (a page whose download failed never came back to send its successors)."""
        if not self.waiting:
            return
        engine = self.crawler.engine
        sent = 0
        for list_id in list(self.waiting):
            self.in_flight[list_id] = 0
            origin = self.waiting[list_id][0].meta.get("gazette_origin", list_id)
            for request in self._send(list_id, origin):
                engine.crawl(request)
                sent += 1
        if sent:
            raise DontCloseSpider

    def _admit(self, request: Request, origin: str) -> bool:
        """Count a list page against its origin's ceiling; False when over it."""
        count = self.pages.get(origin, 1)  # 1: the start page itself
        if self.ceiling and count >= self.ceiling:
            self.stats.inc_value("gazette/pagination/pages_over_ceiling")
            if count == self.ceiling:
                self.pages[origin] = count + 1  # log and count the origin once
                self.stats.inc_value("gazette/pagination/ceiling_reached")
                logger.warning(
                    "%d list pages requested from %s: GAZETTE_MAX_LIST_PAGES reached, "
                    "its further list pages are not followed (first one not: %s)",
                    self.ceiling,
                    origin,
                    request.url,
                )
            return False
        self.pages[origin] = count + 1
        return True


class FrontierMiddleware:
    """Park requests on disk while the scheduler is full; feed them back as it drains."""

    def __init__(self, crawler: Any, limit: int, batch: int) -> None:
        self.crawler = crawler
        self.stats = crawler.stats
        self.limit = limit
        self.batch = max(1, batch)
        self.queue: Any = None
        self.directory: str | None = None
        self.parked = 0
        self._scheduler_ok: bool | None = None

    @classmethod
    def from_crawler(cls, crawler: Any) -> FrontierMiddleware:
        s = crawler.settings
        limit = s.getint("GAZETTE_FRONTIER_SCHEDULED", FRONTIER_SCHEDULED)
        if limit <= 0 or s.get("JOBDIR"):
            raise NotConfigured
        mw = cls(crawler, limit, s.getint("GAZETTE_FRONTIER_BATCH", FRONTIER_BATCH))
        crawler.signals.connect(mw.release, signal=signals.scheduler_empty)
        crawler.signals.connect(mw.spider_idle, signal=signals.spider_idle)
        crawler.signals.connect(mw.spider_closed, signal=signals.spider_closed)
        return mw

    # -- output ------------------------------------------------------------------------
    def process_spider_output(
        self, response: Response | None, result: Iterable[Any]
    ) -> Iterator[Any]:
        for o in result:
            if not self._park(o):
                yield o

    async def process_spider_output_async(
        self, response: Response | None, result: AsyncIterator[Any]
    ) -> AsyncIterator[Any]:
        async for o in result:
            if not self._park(o):
                yield o

    def _scheduled(self) -> int:
        """Requests the scheduler holds (0 for a scheduler that is not Scrapy's)."""
        engine = self.crawler.engine
        scheduler = getattr(engine, "scheduler", None) if engine is not None else None
        if scheduler is None:
            return 0
        if self._scheduler_ok is None:
            from scrapy.core.scheduler import Scheduler

            self._scheduler_ok = isinstance(scheduler, Scheduler)
        return len(scheduler) if self._scheduler_ok else 0

    def _park(self, o: Any) -> bool:
        if not isinstance(o, Request) or o.meta.get("gazette_list"):
            return False
        if not self.parked and self._scheduled() < self.limit:
            return False
        try:
            self._open().push(o)
        except Exception:  # a callback that is not a spider method, an unpicklable meta
            self.stats.inc_value("gazette/frontier/unserializable")
            return False
        self.parked += 1
        self.stats.inc_value("gazette/frontier/parked")
        self.stats.max_value("gazette/frontier/max_parked", self.parked)
        return True

    def _open(self) -> Any:
        if self.queue is None:
            from scrapy.squeues import PickleFifoDiskQueue

            self.directory = tempfile.mkdtemp(prefix="gazette-frontier-")
            queue_class: Any = PickleFifoDiskQueue
            self.queue = queue_class.from_crawler(self.crawler, self.directory + "/q")
        return self.queue

    # -- feeding back ----------------------------------------------------------------
    def release(self, *args: Any, **kwargs: Any) -> None:
        """Up to ``batch`` parked requests into the scheduler (it has just run empty)."""
        engine = self.crawler.engine
        if not self.parked or engine is None or engine.spider is None:
            return
        released = 0
        while self.parked and released < self.batch:
            request = self.queue.pop()
            self.parked -= 1
            if request is None:  # pragma: no cover - the queue and the count disagree
                self.parked = 0
                break
            engine.crawl(request)
            released += 1
        self.stats.inc_value("gazette/frontier/released", released)

    def spider_idle(self, spider: Any) -> None:
        if self.parked:
            self.release()
            raise DontCloseSpider

    def spider_closed(self, spider: Any, reason: str = "") -> None:
        if self.parked:
            self.stats.inc_value("gazette/frontier/left_at_close", self.parked)
            logger.warning(
                "%d parked request(s) not crawled: the crawl closed (%s) before they were",
                self.parked,
                reason,
            )
        if self.queue is not None:
            self.queue.close()
            self.queue = None
        if self.directory is not None:
            shutil.rmtree(self.directory, ignore_errors=True)
            self.directory = None
