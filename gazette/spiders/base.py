"""List → detail crawling shared by every gazette spider.

A :class:`NoticeSpider` starts from list pages (``start_urls`` or ``-a start_url=``),
follows their pagination (plain next links, ``下一页``, ``index_1.html`` style links,
``createPageHTML(...)`` and ``recordCount``/``prepage`` JS pagination whose page
count sits in a script, JSON list APIs) and requests the detail pages they link to
(``t20240222_87407.htm``, ``art_…html``, ``content_…htm``, ``post_….html`` …).
Only links on the start URLs' own hosts are followed.

Spiders decide only which pages to fetch: every item comes from
:func:`gazette.extract.extract_response`. Detail requests carry
``meta["gazette_detail"] = True``; list metadata from JSON APIs travels as
``meta["gazette_hints"]``: they fill only what the page itself does not print
(:func:`gazette.extract.apply_hints`).

Arguments (``scrapy crawl NAME -a key=value``):

``start_url`` / ``start_urls``
    one URL, or several separated by commas, replacing the spider's defaults.
``max_pages``
    at most this many list pages (start pages included); 0 = no limit.
``max_notices``
    at most this many detail pages; 0 = no limit.
``since``
    ``YYYY-MM-DD``: skip detail pages whose URL or list entry dates them earlier,
    and stop paginating a list once a page holds only older entries.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import AsyncIterator, Iterable, Iterator
from datetime import date, datetime
from typing import Any
from urllib.parse import parse_qsl, urljoin, urlsplit

import scrapy
from scrapy.http import Request, Response, TextResponse
from w3lib.url import add_or_replace_parameter

from gazette.extract import extract_response
from gazette.spiders import listhistory, sitetemplates
from gazette.text.embedded import BEIJING
from gazette.text.template import SiteTemplates

#: URL shapes of detail (notice) pages on Chinese government CMSs
DETAIL_URL_PATTERNS: tuple[re.Pattern[str], ...] = tuple(
    re.compile(p, re.I)
    for p in (
        r"/t(?:19|20)\d{6}_\d+\.s?html?$",  # TRS: t20240222_87407.htm
        r"/art_\d+_\d+\.html?$",  # Hanweb/jpage: art_1621004_30332664.html
        r"/art/\d{4}/\d{1,2}/\d{1,2}/art_\d+_\d+\.html?$",
        r"/content_\d+\.s?html?$",  # gov.cn: content_5754321.htm
        r"/m?post_\d+\.html?$",  # gkmlpt / NFCMS: post_4123456.html
        r"/\d{4}-\d{2}/\d{2}/[a-z_]*\d+\.s?html?$",  # /2023-05/06/content_1.htm
        r"/(?:19|20)\d{6}/[0-9a-f]{16,}\.s?html?$",  # /202305/8a1b....html
        r"/(?:info|detail|article|doc|view)[_/-]?\d+\.(?:s?html?|jsp|aspx?)$",
        r"/c\d+/\d{4}-\d{2}-\d{2}/\d+\.s?html?$",  # /c100001/2023-05-06/123.html
    )
)

#: anchors that point at the next list page
NEXT_TEXTS = ("下一页", "下页", "后一页", "下一頁", "next", "Next", ">", "›", "»")

#: links that are never pages worth fetching
SKIP_EXTENSIONS = re.compile(
    r"\.(?:pdf|docx?|xlsx?|wps|et|pptx?|zip|rar|7z|jpe?g|png|gif|bmp|svg|webp|mp[34]|avi|"
    r"flv|wmv|swf|css|js|ico|xml|apk|exe|ofd|tif?f?)$",
    re.I,
)

_INDEX_PAGE = re.compile(r"/(?:index|list|default)(?:_\d+)?\.s?html?$", re.I)
_CREATE_PAGE = re.compile(
    r"createPage(?:HTML|Html|html)?\s*\(\s*([\w.]+)\s*,\s*([\w.]+)\s*,\s*"
    r"[\"']([\w-]+)[\"']\s*,\s*[\"'](\w+)[\"']"
)
#: ``createPageHTML('page_div', 5, 1, 'fg', 'shtml', 89)``: element id, page count,
#: current page (from 1), file stem, suffix, record count (CSRC and many city sites)
_CREATE_PAGE6 = re.compile(
    r"createPage(?:HTML|Html|html)?\s*\(\s*[\"'][\w-]+[\"']\s*,\s*([\w.]+)\s*,\s*([\w.]+)\s*,"
    r"\s*[\"']([\w-]+)[\"']\s*,\s*[\"'](\w+)[\"']\s*(?:,\s*[\w.]+\s*)?\)"
)
_RECORD_COUNT = re.compile(r"\brecordCount\b\s*[:=]\s*[\"']?(\d+)")
_PER_PAGE = re.compile(r"\b(?:prepage|perPage|pageSize|pagesize)\b\s*[:=]\s*[\"']?(\d+)")
_PAGE_COUNT = re.compile(
    r"\b(?:countPage|pageCount|totalPage|totalPages|page_count)\b\s*[:=]\s*[\"']?(\d+)"
)
_URL_DATES = (
    re.compile(r"/t((?:19|20)\d{2})(\d{2})(\d{2})_\d+"),
    re.compile(r"/((?:19|20)\d{2})-(\d{2})/(\d{2})/"),
    re.compile(r"/art/((?:19|20)\d{2})/(\d{1,2})/(\d{1,2})/"),
    re.compile(r"/c\d+/((?:19|20)\d{2})-(\d{2})-(\d{2})/"),
)
_URL_MONTH = re.compile(r"/((?:19|20)\d{2})(0[1-9]|1[0-2])/")

#: the largest number of list pages a JS page count may expand into
MAX_JS_PAGES = 500
#: stats key: a list or API answer that should hold entries held none
EMPTY_LIST_STAT = "gazette/list/empty"
STILL_EMPTY_STAT = "gazette/list/still_empty"  # empty in the last run too


def is_detail_url(url: str) -> bool:
    """Does ``url`` look like a notice (detail) page of a government CMS?

    >>> is_detail_url("https://www.pingtan.gov.cn/zwgk/zxwj/202305/t20230515_46517.htm")
    True
    >>> is_detail_url("http://www.gd.gov.cn/gkmlpt/content/4/4123/post_4123456.html#7")
    True
    >>> is_detail_url("https://www.gov.cn/zhengce/content/2023-05/06/content_5754321.htm")
    True
    >>> is_detail_url("http://fgw.zj.gov.cn/art/2016/11/22/art_1621004_30332664.html")
    True
    >>> is_detail_url("https://www.pingtan.gov.cn/zwgk/zxwj/qgwhwj/index_1.htm")
    False
    """
    path = urlsplit(url).path
    return any(p.search(path) for p in DETAIL_URL_PATTERNS)


def url_date(url: str) -> date | None:
    """The date a URL carries (``t20240222_…``, ``/2023-05/06/``), else None.

    A bare month folder (``/202402/``) gives the month's last day, so that a
    ``since`` filter never skips a page that may be recent enough.

    >>> url_date("https://x.gov.cn/zwgk/202402/t20240222_87407.htm")
    datetime.date(2024, 2, 22)
    >>> url_date("https://x.gov.cn/zwgk/202402/abc.htm")
    datetime.date(2024, 2, 29)
    >>> url_date("https://x.gov.cn/gkmlpt/content/4/4123/post_4123456.html") is None
    True
    """
    path = urlsplit(url).path
    for pattern in _URL_DATES:
        m = pattern.search(path)
        if m:
            try:
                return date(int(m.group(1)), int(m.group(2)), int(m.group(3)))
            except ValueError:
                return None
    m = _URL_MONTH.search(path)
    if m:
        year, month = int(m.group(1)), int(m.group(2))
        nxt = date(year + month // 12, month % 12 + 1, 1)
        return date.fromordinal(nxt.toordinal() - 1)
    return None


def parse_date(value: Any) -> date | None:
    """A date from an ISO-like string, ``YYYY年M月D日`` or a UNIX timestamp.

    Timestamps (seconds or milliseconds) are read in Beijing time: gkmlpt's
    ``date`` 1783353600 is 2026-07-07 00:00 +08:00 (still 2026-07-06 in UTC).

    >>> parse_date("2023-05-06"), parse_date("2023年5月6日"), parse_date(1683331200)
    (datetime.date(2023, 5, 6), datetime.date(2023, 5, 6), datetime.date(2023, 5, 6))
    >>> parse_date(1783353600), parse_date(1783353600000), parse_date("1783353600")
    (datetime.date(2026, 7, 7), datetime.date(2026, 7, 7), datetime.date(2026, 7, 7))
    >>> parse_date("2023.05.06 10:00:00"), parse_date("soon")
    (datetime.date(2023, 5, 6), None)
    """
    if value is None or value == "":
        return None
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        ts = float(value)
        if ts > 1e11:  # milliseconds
            ts /= 1000
        try:
            return datetime.fromtimestamp(ts, tz=BEIJING).date()
        except (OverflowError, OSError, ValueError):
            return None
    text = str(value).strip()
    if text.isdigit() and len(text) >= 9:
        return parse_date(int(text))
    m = re.search(r"((?:19|20)\d{2})\s*[-./年]\s*(\d{1,2})\s*[-./月]\s*(\d{1,2})", text)
    if not m:
        return None
    try:
        return date(int(m.group(1)), int(m.group(2)), int(m.group(3)))
    except ValueError:
        return None


def _attr(selector: Any, name: str) -> str:
    """One attribute of a selector's element, stripped ("" when absent).

    ``Selector.attrib`` reads every attribute, and lxml refuses a name with a
    control character in it (a broken page): read the one asked for only.
    """
    try:
        value = selector.root.get(name)
    except ValueError:
        return ""
    return value.strip() if isinstance(value, str) else ""


def _anchors(response: TextResponse) -> Iterator[tuple[str, str]]:
    """``(href, text)`` of every ``<a href>`` of a page, read one at a time.

    The text is the anchor's text nodes joined by spaces (``::text``), else its
    ``title``. lxml elements, not one ``Selector`` per anchor: a list page with
    100,000 links would hold 100,000 selectors (about 50 MB) at once.
    """
    root = response.selector.root
    if not hasattr(root, "iter"):
        return
    for element in root.iter("a"):
        try:
            href = element.get("href")
        except ValueError:  # an attribute name with a control character
            continue
        if href is None:
            continue
        text = " ".join(element.itertext()).strip()
        if not text:
            try:
                title = element.get("title")
            except ValueError:
                title = None
            text = title.strip() if isinstance(title, str) else ""
        yield href.strip(), text


def _int_arg(value: Any, name: str) -> int:
    if value is None or value == "":
        return 0
    try:
        return max(0, int(value))
    except (TypeError, ValueError):
        raise ValueError(f"-a {name}= expects a whole number, got {value!r}") from None


def split_urls(value: str | Iterable[str] | None) -> list[str]:
    """``"a, b"`` or ``["a", "b"]`` → ``["a", "b"]`` (blank entries dropped).

    >>> split_urls(" http://a/ ,http://b/x ,, ")
    ['http://a/', 'http://b/x']
    """
    if not value:
        return []
    items = value.split(",") if isinstance(value, str) else list(value)
    return [u.strip() for u in items if u and u.strip()]


def host_of(url: str) -> str:
    """``host[:port]`` of a URL, lower-cased, default ports dropped.

    >>> host_of("HTTPS://WWW.Gov.cn:443/x"), host_of("http://127.0.0.1:8001/a")
    ('www.gov.cn', '127.0.0.1:8001')
    """
    parts = urlsplit(url)
    host = (parts.hostname or "").lower()
    port = parts.port
    if port and not (
        (parts.scheme == "http" and port == 80) or (parts.scheme == "https" and port == 443)
    ):
        return f"{host}:{port}"
    return host


def check_arguments(spidercls: type, kwargs: dict[str, Any]) -> dict[str, Any]:
    """Check ``-a`` arguments before a crawl starts; → them, or ``ValueError``
    with one line: an unknown name (with the known ones), a malformed value
    (``since`` not ``YYYY-MM-DD``, a number that is not one…), no start URL.

    The known names are the keyword parameters of every ``__init__`` of the
    spider's classes, plus names starting with ``_`` (scrapyd's ``_job``).

    >>> from gazette.spiders.site import SiteSpider
    >>> check_arguments(SiteSpider, {"start_url": "http://a/", "since": "2024-01-01"})
    {'start_url': 'http://a/', 'since': '2024-01-01'}
    >>> check_arguments(SiteSpider, {"start_url": "http://a/", "sinse": "2024-01-01"})
    Traceback (most recent call last):
    ValueError: unknown argument -a sinse= (known: max_notices, max_pages, since, start_url, start_urls)
    >>> check_arguments(SiteSpider, {"start_url": "http://a/", "since": "2024/01/01"})
    Traceback (most recent call last):
    ValueError: -a since= expects YYYY-MM-DD, got '2024/01/01'
    >>> check_arguments(SiteSpider, {})
    Traceback (most recent call last):
    ValueError: needs -a start_url=URL (or start_urls=URL,URL)
    """
    import inspect

    known: set[str] = set()
    for klass in spidercls.__mro__:
        init = klass.__dict__.get("__init__")
        if init is None or klass in (scrapy.Spider, object):
            continue
        for param in inspect.signature(init).parameters.values():
            if param.kind in (param.KEYWORD_ONLY, param.POSITIONAL_OR_KEYWORD):
                known.add(param.name)
    known.discard("self")
    unknown = sorted(k for k in kwargs if k not in known and not k.startswith("_"))
    if unknown:
        raise ValueError(f"unknown argument -a {unknown[0]}= (known: {', '.join(sorted(known))})")
    try:
        spider = spidercls(**kwargs)
    except OSError as exc:  # -a urls_file= that cannot be read
        raise ValueError(f"cannot read {exc.filename or 'a file'}: {exc.strerror}") from None
    except (TypeError, ValueError) as exc:
        raise ValueError(str(exc).splitlines()[0] if str(exc) else type(exc).__name__) from None
    if not list(getattr(spider, "start_urls", None) or []) and not getattr(
        spider, "given_urls", None
    ):
        if "urls" in known:
            raise ValueError("needs -a urls=URL,URL or -a urls_file=FILE")
        raise ValueError("needs -a start_url=URL (or start_urls=URL,URL)")
    return dict(kwargs)


class NoticeSpider(scrapy.Spider):
    """Base class: list pages and their pagination → detail pages → Notice items.

    Subclasses set ``name``, ``start_urls`` and may override :meth:`is_detail`,
    :meth:`is_list_link`, :meth:`parse_api` or :meth:`js_pagination`.
    """

    #: hosts reachable besides the start URLs' hosts (e.g. an API host)
    extra_hosts: tuple[str, ...] = ()
    #: follow links found on detail pages too (aggregators' related lists)
    follow_from_detail = False
    #: yield items whose extraction says ``is_notice`` is false
    keep_non_notices = True
    #: how the list pagination's JS page count is turned into URLs
    static_index_suffix = ".html"
    #: JSON list APIs: the page parameter, its first value, entries per page (0: as seen)
    api_page_param = "page"
    api_first_page = 1
    api_per_page = 0

    def __init__(
        self,
        *args: Any,
        start_url: str | None = None,
        start_urls: str | None = None,
        max_pages: Any = None,
        max_notices: Any = None,
        since: str | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        urls = split_urls(start_url) + split_urls(start_urls)
        if urls:
            self.start_urls = urls
        else:
            self.start_urls = list(getattr(type(self), "start_urls", []) or [])
        self.max_pages = _int_arg(max_pages, "max_pages")
        self.max_notices = _int_arg(max_notices, "max_notices")
        self.since: date | None = None
        if since:
            try:
                self.since = date.fromisoformat(str(since))
            except ValueError:
                raise ValueError(f"-a since= expects YYYY-MM-DD, got {since!r}") from None
        self.list_pages_requested = 0
        self.details_requested = 0
        self._seen_lists: set[str] = set()
        self._seen_details: set[str] = set()
        self._api_page_size = 0

    @classmethod
    def from_crawler(cls, crawler: Any, *args: Any, **kwargs: Any) -> Any:
        """Arguments checked first (:func:`check_arguments`), kept as ``arguments``."""
        arguments = check_arguments(cls, kwargs)
        spider = super().from_crawler(crawler, *args, **kwargs)
        spider.arguments = arguments  # type: ignore[attr-defined]
        return spider

    # -- hosts -------------------------------------------------------------------
    @property
    def allowed_hosts(self) -> set[str]:
        hosts = {host_of(u) for u in self.start_urls}
        hosts.update(h.lower() for h in self.extra_hosts)
        return {h for h in hosts if h}

    @property
    def allowed_domains(self) -> list[str]:  # type: ignore[override]
        """Host names for Scrapy's OffsiteMiddleware: redirects stay on the crawl's hosts."""
        return sorted({h.rsplit(":", 1)[0] if h.count(":") == 1 else h for h in self.allowed_hosts})

    def in_domain(self, url: str) -> bool:
        """Is ``url`` on one of the crawl's own hosts (ports count)?"""
        if urlsplit(url).scheme not in ("http", "https"):
            return False
        return host_of(url) in self.allowed_hosts

    # -- start -------------------------------------------------------------------
    async def start(self) -> AsyncIterator[Any]:
        if not self.start_urls:
            raise ValueError(f"spider {self.name!r} needs -a start_url=URL")
        for url in self.start_urls:
            request = self.list_request(url, force=True, gazette_start=True)
            if request is not None:
                yield request

    # -- request factories ---------------------------------------------------------
    def list_request(self, url: str, force: bool = False, **meta: Any) -> Request | None:
        """A request for a list (or list API) page, or None when over the limits."""
        url = url.split("#", 1)[0]
        if url in self._seen_lists and not force:
            return None
        if self.max_pages and self.list_pages_requested >= self.max_pages:
            self._inc("gazette/list_pages_over_limit")
            return None
        self._seen_lists.add(url)
        self.list_pages_requested += 1
        return Request(url, callback=self.parse_list, meta={"gazette_list": True, **meta})

    def detail_request(self, url: str, hints: dict[str, Any] | None = None) -> Request | None:
        """A request for a detail page (``gazette_detail``), or None if skipped."""
        url = url.split("#", 1)[0]
        if url in self._seen_details:
            return None
        if self.since is not None:
            when = parse_date((hints or {}).get("date")) or url_date(url)
            if when is not None and when < self.since:
                self._inc("gazette/details_before_since")
                return None
        if self.max_notices and self.details_requested >= self.max_notices:
            self._inc("gazette/details_over_limit")
            return None
        self._seen_details.add(url)
        self.details_requested += 1
        meta: dict[str, Any] = {"gazette_detail": True}
        if hints:
            meta["gazette_hints"] = {k: v for k, v in hints.items() if v not in (None, "")}
        return Request(url, callback=self.parse_detail, meta=meta)

    def _inc(self, key: str, count: int = 1) -> None:
        crawler = getattr(self, "crawler", None)
        if crawler is not None and crawler.stats is not None:
            crawler.stats.inc_value(key, count)

    # -- link classification ----------------------------------------------------------
    def is_detail(self, url: str, text: str = "") -> bool:
        """Is this in-domain link a detail page? (URL shape by default.)"""
        return is_detail_url(url)

    def is_list_link(self, url: str, text: str, response: Response) -> bool:
        """Is this in-domain link a list page to follow? (Its next pages by default.)"""
        return self.is_page_link(url, text, response)

    def is_page_link(self, url: str, text: str, response: Response) -> bool:
        """Is this in-domain link another page of the current list (a next-page hop)?"""
        text = text.strip()
        if text in NEXT_TEXTS or text.startswith("下一页"):
            return True
        path = urlsplit(url).path
        here = urlsplit(response.url).path
        # index_1.html / index_2.htm next to the current list page
        if re.search(r"/(?:index|list|default)_\d+\.s?html?$", path, re.I):
            return path.rsplit("/", 1)[0] == here.rsplit("/", 1)[0]
        return False

    # -- callbacks ----------------------------------------------------------------
    def parse_list(self, response: Response) -> Iterator[Any]:
        """A list page: detail links, then further list pages (pagination)."""
        if self.is_json(response):
            yield from self.parse_api(response)
            return
        if not isinstance(response, TextResponse):
            return
        found = False
        for request in self.follow_links(response, lists=True):
            found = True
            yield request
        start = response.request is not None and response.request.meta.get("gazette_start")
        if start and not found and not self.has_detail_links(response):
            self.report_empty(response, "no detail links and no further list page")

    # -- site templates (lines that recur on many pages of a site: chrome) ---------------
    details_parsed = 0
    _site_templates: SiteTemplates | None = None

    @property
    def site_templates(self) -> SiteTemplates:
        """What this crawl knows of each site's template (:mod:`gazette.text.template`)."""
        if self._site_templates is None:
            self._site_templates = sitetemplates.load(self)
        return self._site_templates

    def closed(self, reason: str) -> None:
        if self._site_templates is not None:
            sitetemplates.save(self, self._site_templates)
        listhistory.save(self, self._empty_now or set(), finished=reason == "finished")

    def parse_detail(self, response: Response) -> Iterator[Any]:
        """A detail page → one Notice (plus further links for aggregators)."""
        if not isinstance(response, TextResponse):
            self._inc("gazette/details_not_text")
            return
        self.details_parsed += 1
        item = extract_response(response, spider=self.name, templates=self.site_templates)
        if self.details_parsed % sitetemplates.SAVE_EVERY == 0:
            sitetemplates.save(self, self.site_templates)
        if item.get("cut"):  # read in part: past the page budget or the parser's depth
            self._inc(f"gazette/cut/{item['cut']}")
        if not self.keep_non_notices and item.get("is_notice") is False:
            self._inc("gazette/non_notices_skipped")
        else:
            yield item
        if self.follow_from_detail:
            yield from self.follow_links(response, lists=True)

    def parse_api(self, response: Response) -> Iterator[Any]:
        """A JSON list API page: detail requests for its entries, then the next page.

        Entries are the JSON's dicts with a URL and a title (:func:`iter_entries`);
        the page number is the ``api_page_param`` query parameter.
        """
        data = self.load_json(response)
        if data is None:
            self._inc("gazette/api_pages_unreadable")
            return
        entries = list(iter_entries(data))
        query = dict(parse_qsl(urlsplit(response.url).query))
        paged = self.api_page_param in query
        dated: list[date] = []
        for entry in entries:
            url = urljoin(response.url, str(entry["url"]))
            hints = entry_hints(entry)
            when = parse_date(hints.get("date")) or url_date(url)
            if when is not None:
                dated.append(when)
            if self.in_domain(url):
                request = self.detail_request(url, hints=hints)
                if request is not None:
                    yield request
        if not entries:
            if not paged or str(query[self.api_page_param]) in ("0", str(self.api_first_page)):
                self.report_empty(response, "a JSON answer without entries")
            return
        if self.since is not None and dated and max(dated) < self.since:
            self._inc("gazette/lists_stopped_by_since")
            return
        if not paged:
            return  # no page parameter (a bare array such as ZUIXINZHENGCE.json): one page
        try:
            current = int(query.get(self.api_page_param, self.api_first_page))
        except ValueError:
            return
        # entries per page: as configured, else the most seen on one page so far
        self._api_page_size = max(self._api_page_size, len(entries))
        per_page = self.api_per_page or self._api_page_size
        count = api_page_count(data, per_page)
        if count and current - self.api_first_page + 1 >= count:
            return
        if not count and len(entries) < per_page:
            return  # a short page without a total: the last one
        url = add_or_replace_parameter(response.url, self.api_page_param, str(current + 1))
        request = self.list_request(url)
        if request is not None:
            yield request

    # -- helpers ------------------------------------------------------------------
    _empty_before: set[str] | None = None
    _empty_now: set[str] | None = None

    def report_empty(self, response: Response, why: str) -> None:
        """A list or API answer that should hold entries holds none: say so, loudly.

        Counted as ``gazette/list/empty`` (the ``lists`` monitor fails the run on it):
        a platform that changed its answers is noticed the first night. A list that
        was empty in the last run too is counted as ``gazette/list/still_empty``
        and does not fail the run (:mod:`gazette.spiders.listhistory`).
        """
        request = response.request
        if request is not None:
            key = listhistory.list_key(request.method, request.url, request.body)
        else:
            key = listhistory.list_key("GET", response.url)
        if self._empty_before is None:
            self._empty_before = listhistory.load(self)
        if self._empty_now is None:
            self._empty_now = set()
        self._empty_now.add(key)
        if key in self._empty_before:
            self._inc(STILL_EMPTY_STAT)
            self.logger.warning(
                "list answer with no entries, as in the last run: %s (%s)", response.url, why
            )
            return
        self._inc(EMPTY_LIST_STAT)
        self.logger.warning("list answer with no entries: %s (%s)", response.url, why)

    def has_detail_links(self, response: TextResponse) -> bool:
        """Does the page link to at least one in-domain detail page?"""
        for anchor in response.css("a[href]"):
            url = response.urljoin(_attr(anchor, "href"))
            if self.in_domain(url) and self.is_detail(url, _attr(anchor, "title")):
                return True
        return False

    @staticmethod
    def is_json(response: Response) -> bool:
        ctype = (response.headers.get(b"Content-Type") or b"").decode("latin-1").lower()
        if "json" in ctype:
            return True
        head = response.body[:64].lstrip()
        return head[:1] in (b"{", b"[") and not head.startswith(b"<")

    @staticmethod
    def load_json(response: Response) -> Any:
        body = response.body
        text = body.decode("utf-8-sig", errors="replace")
        m = re.match(r"^\s*[\w.$]+\s*\((.*)\)\s*;?\s*$", text, re.S)  # JSONP
        if m:
            text = m.group(1)
        try:
            return json.loads(text)
        except ValueError:
            return None

    def follow_links(self, response: TextResponse, lists: bool = True) -> Iterator[Request]:
        """Requests for the detail and list links of an HTML page.

        Detail requests are yielded as their links are read (a list page with
        100,000 links never holds 100,000 requests here: :mod:`gazette.spiders.
        paging` parks what the scheduler cannot take), then the list pages; a
        next-page link (:meth:`is_page_link`) says ``gazette_page_hop``.
        """
        latest: date | None = None
        pages: list[tuple[str, bool]] = []
        here = response.url.split("#", 1)[0]
        for href, text in _anchors(response):
            if not href or href.startswith(("javascript:", "mailto:", "tel:", "#")):
                continue
            url = response.urljoin(href).split("#", 1)[0]
            if not self.in_domain(url) or SKIP_EXTENSIONS.search(urlsplit(url).path):
                continue
            if self.is_detail(url, text):
                if url == here:
                    continue
                when = url_date(url)
                if when is not None and (latest is None or when > latest):
                    latest = when
                request = self.detail_request(url)
                if request is not None:
                    yield request
            elif lists and self.is_list_link(url, text, response):
                pages.append((url, self.is_page_link(url, text, response)))
        if self.since is not None and latest is not None and latest < self.since:
            self._inc("gazette/lists_stopped_by_since")
            return
        if lists:
            pages.extend((url, True) for url in self.js_pagination(response))
            for url, hop in pages:
                request = self.list_request(url, gazette_page_hop=hop)
                if request is not None:
                    yield request

    def js_pagination(self, response: TextResponse) -> list[str]:
        """List-page URLs from a page count that sits in a script.

        ``createPageHTML(count, current, "index", "html")`` → ``index_1.html`` …;
        ``recordCount``/``prepage`` (TRS) → the same naming with ``index``.
        """
        scripts = "\n".join(response.xpath("//script/text()").getall())
        if not scripts:
            return []
        m6 = _CREATE_PAGE6.search(scripts)
        if m6:
            count = self._script_number(m6.group(1), scripts)
            current = self._script_number(m6.group(2), scripts) or 1
            if count:
                return self.numbered_pages(response, count, m6.group(3), "." + m6.group(4), current)
        m = _CREATE_PAGE.search(scripts)
        if m:
            count = self._script_number(m.group(1), scripts)
            current = self._script_number(m.group(2), scripts) or 0
            if count:
                return self.index_pages(response, count, m.group(3), "." + m.group(4), current)
        count = 0
        m_count = _PAGE_COUNT.search(scripts)
        if m_count:
            count = int(m_count.group(1))
        else:
            m_rec, m_per = _RECORD_COUNT.search(scripts), _PER_PAGE.search(scripts)
            if m_rec and m_per and int(m_per.group(1)) > 0:
                count = math.ceil(int(m_rec.group(1)) / int(m_per.group(1)))
        if count > 1:
            return self.script_count_pages(response, count, scripts)
        return []

    def script_count_pages(self, response: TextResponse, count: int, scripts: str) -> list[str]:
        """URLs for a page count found as ``recordCount``/``prepage`` or ``countPage``."""
        stem, suffix = self._index_stem(response)
        return self.index_pages(response, count, stem, suffix, 0)

    def _index_stem(self, response: Response) -> tuple[str, str]:
        path = urlsplit(response.url).path
        m = re.search(r"/(index|list|default)(?:_\d+)?(\.s?html?)$", path, re.I)
        if m:
            return m.group(1), m.group(2)
        return "index", self.static_index_suffix

    @staticmethod
    def _script_number(token: str, scripts: str) -> int:
        if token.isdigit():
            return int(token)
        name = re.escape(token.split(".")[-1])
        m = re.search(rf"\b{name}\b\s*[:=]\s*[\"']?(\d+)", scripts)
        return int(m.group(1)) if m else 0

    def numbered_pages(
        self, response: Response, count: int, stem: str, suffix: str, current: int
    ) -> list[str]:
        """Six-argument ``createPageHTML``: pages numbered from 1, ``stem.suffix`` being
        page 1 and ``stem_2.suffix`` page 2 (as reported for CSRC; the four-argument
        TRS form's ``index_1.html`` is page 2 instead)."""
        count = min(count, MAX_JS_PAGES)
        return [
            urljoin(response.url, f"{stem}{suffix}" if n == 1 else f"{stem}_{n}{suffix}")
            for n in range(1, count + 1)
            if n != current
        ]

    def index_pages(
        self, response: Response, count: int, stem: str, suffix: str, current: int
    ) -> list[str]:
        """``stem.suffix``, ``stem_1.suffix`` … ``stem_{count-1}.suffix`` next to the page."""
        count = min(count, MAX_JS_PAGES)
        urls = []
        for n in range(count):
            if n == current:
                continue
            name = f"{stem}{suffix}" if n == 0 else f"{stem}_{n}{suffix}"
            urls.append(urljoin(response.url, name))
        return urls


# -- JSON list APIs ---------------------------------------------------------------
_URL_KEYS = (
    "url",
    "URL",  # gov.cn ZUIXINZHENGCE.json
    "post_url",
    "link",
    "href",
    "docpuburl",
    "DOCPUBURL",
    "chnldocurl",  # Fujian TRS /fjdzapp/search
    "puburl",
)
_TITLE_KEYS = ("title", "TITLE", "doctitle", "DOCTITLE", "name", "subject")
_DATE_KEYS = (
    "date",
    "pubtimeStr",
    "publish_time",
    "create_time",
    "created_at",
    "docreltime",
    "DOCRELTIME",
    "DOCRELPUBTIME",  # gov.cn ZUIXINZHENGCE.json
    "pubdate",
    "pubtime",
    "ptime",
    "first_publish_time",
)
_DOCNO_KEYS = ("pcode", "document_number", "fileno", "fwzh", "wenhao", "IdxID_Wh", "docno")
_ISSUER_KEYS = ("puborg", "publisher", "fwjg", "source", "docsourcename")


def _pick(entry: dict[str, Any], keys: tuple[str, ...]) -> Any:
    for key in keys:
        value = entry.get(key)
        if value not in (None, "", [], {}):
            return value
    return None


def iter_entries(data: Any) -> Iterator[dict[str, Any]]:
    """Every dict in a JSON document that has a string URL and a title.

    >>> doc = {"total": 2, "articles": [{"url": "/a/post_1.html", "title": "甲"},
    ...        {"post_url": "/a/post_2.html", "title": "乙"}], "nav": {"url": "/x"}}
    >>> [e["url"] for e in iter_entries(doc)]
    ['/a/post_1.html', '/a/post_2.html']
    """
    stack = [data]
    while stack:
        node = stack.pop(0)
        if isinstance(node, dict):
            url = _pick(node, _URL_KEYS)
            if isinstance(url, str) and url.strip() and _pick(node, _TITLE_KEYS):
                yield {**node, "url": url.strip()}
                continue
            stack.extend(node.values())
        elif isinstance(node, list):
            stack.extend(node)


def entry_hints(entry: dict[str, Any]) -> dict[str, Any]:
    """List metadata from a JSON API entry, passed on as ``gazette_hints``.

    >>> entry_hints({"url": "u", "title": "<em>关于</em>通知", "pcode": "国办发〔2023〕1号",
    ...              "pubtimeStr": "2023.05.06"})
    {'title': '关于通知', 'date': '2023-05-06', 'doc_number': '国办发〔2023〕1号'}
    >>> entry_hints({"TITLE": "市场监督管理所条例", "URL": "u", "DOCRELPUBTIME": "2026-09-11"})
    {'title': '市场监督管理所条例', 'date': '2026-09-11'}
    >>> entry_hints({"doctitle": "通知", "fileno": "岚综管规〔2026〕1号", "docreltime": 1780000000000})
    {'title': '通知', 'date': '2026-05-29', 'doc_number': '岚综管规〔2026〕1号'}
    """
    hints: dict[str, Any] = {}
    title = _pick(entry, _TITLE_KEYS)
    if isinstance(title, str):
        hints["title"] = re.sub(r"<[^>]+>", "", title).strip()
    when = parse_date(_pick(entry, _DATE_KEYS))
    if when is not None:
        hints["date"] = when.isoformat()
    docno = _pick(entry, _DOCNO_KEYS)
    if isinstance(docno, str) and docno.strip():
        hints["doc_number"] = docno.strip()
    issuer = _pick(entry, _ISSUER_KEYS)
    if isinstance(issuer, str) and issuer.strip():
        hints["issuer"] = issuer.strip()
    return hints


def api_page_count(data: Any, per_page: int) -> int:
    """Number of pages a JSON list API reports (``totalpage``, or ``total``/``per_page``).

    >>> api_page_count({"searchVO": {"totalpage": 7}}, 20), api_page_count({"total": 201}, 100)
    (7, 3)
    >>> api_page_count({"articles": []}, 100)
    0
    """
    stack = [data]
    total = None
    while stack:
        node = stack.pop(0)
        if isinstance(node, dict):
            for key in ("totalpage", "totalPage", "pageCount", "total_page", "pages"):
                value = node.get(key)
                if isinstance(value, (int, str)) and str(value).isdigit():
                    return int(value)
            for key in ("total", "totalCount", "recordCount", "count_total"):
                value = node.get(key)
                if total is None and isinstance(value, (int, str)) and str(value).isdigit():
                    total = int(value)
            stack.extend(v for v in node.values() if isinstance(v, dict))
    if total is not None and per_page > 0:
        return math.ceil(total / per_page)
    return 0
