"""The Fujian TRS (trt) family: many Fujian government sites behind ``/fjdzapp/search``."""

from __future__ import annotations

import math
import re
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import urljoin, urlsplit

from scrapy.downloadermiddlewares.retry import get_retry_request
from scrapy.http import FormRequest, Request, Response, TextResponse

from gazette.spiders.base import (
    SKIP_EXTENSIONS,
    NoticeSpider,
    entry_hints,
    parse_date,
    url_date,
)

SEARCH_PATH = "/fjdzapp/search"
#: at most this many entries asked for per search page (real clients ask 10 … 500)
MAX_PREPAGE = 500
#: a 200 answer this short (after stripping) is the site firewall's, not a page
BLANK_MAX = 2
#: a page this small with a meta refresh is a removed document's stub
STUB_MAX = 2048

_META_REFRESH = re.compile(r"<meta[^>]+http-equiv\s*=\s*[\"']?refresh", re.I)
_SEARCH_ID = re.compile(r"\bsearchId\s*:\s*[\"']?(\d+)")
_CHANNEL = re.compile(r"\bchannelid\s*:\s*[\"']?(\d+)")
_MAX_STATIC = re.compile(r"\bmaxStaticIndex\s*:\s*[\"']?(\d+)")
_RECORDS = re.compile(r"\brecordCount\s*:\s*[\"']?(\d+)")
_PREPAGE = re.compile(r"\bprepage\s*:\s*[\"']?(\d+)")
_SORT = re.compile(r"\bsortfield\s*:\s*[\"']([^\"']+)[\"']")
_LIST_API = re.compile(r"\blistApi\s*:\s*\{\s*url\s*:\s*[\"']([^\"']+)[\"']")
_QUICK_MODE = re.compile(r"\bquickMode\s*:\s*[\"']([^\"']+)[\"']")
#: ``classsql: "" || "chnlid=502"`` / ``classsql= "" || "chnlid=1367"`` / ``var classsql = "…"``
_CLASSSQL = re.compile(r"""\bclasssql\s*[:=]\s*(?:(["'])([^"']*)\1\s*\|\|\s*)?(["'])([^"']*)\3""")
_IF = re.compile(
    r"""\s*(else\s+)?if\s*\(\s*(["'])(.*?)\2\s*===?\s*(["'])(.*?)\4\s*\)\s*\{([^{}]*)\}"""
)
_ELSE = re.compile(r"""\s*else\s*\{([^{}]*)\}""")


def is_blank(body: bytes) -> bool:
    """The firewall's 2-byte 200 answer (or nothing at all)?

    >>> is_blank(b"\\r\\n"), is_blank(b"  "), is_blank(b"<html></html>")
    (True, True, False)
    """
    return len(body.strip()) <= BLANK_MAX


def is_refresh_stub(body: bytes) -> bool:
    """A removed document's tiny page that only refreshes to elsewhere (``../``)?

    >>> is_refresh_stub(b'<meta http-equiv="refresh" content="0;URL=../">')
    True
    >>> is_refresh_stub(b"<html><body>" + b"x" * 3000 + b'<meta http-equiv="refresh" content="60"></body></html>')
    False
    """
    return len(body) <= STUB_MAX and bool(_META_REFRESH.search(body.decode("latin-1")))


def _or_value(m: re.Match[str]) -> str:
    # JS ``"A" || "B"``: A unless it is empty
    return m.group(2) or m.group(4)


def resolve_classsql(script: str) -> str | None:
    """The ``classsql`` a trt list page's script computes, or None.

    Handles the literal forms of the real pages: ``classsql: "" || "chnlid=502"``
    in ``pageChnlInfo``, and a ``var classsql = "…"`` default followed by an
    ``if ('A' == 'B') {…} else if … else {…}`` chain over literal strings:

    >>> resolve_classsql('var pageChnlInfo={ classsql: "" || "chnlid=502", prepage:15 }')
    'chnlid=502'
    >>> resolve_classsql('''var classsql = "(parentid,chnlid+=1823,1846)";
    ...   if('规范性文件' == '管委会文件'){
    ...   } else if ('规范性文件' == '规范性文件库') { classsql = "chnlid=1882*efftype=02,03";
    ...   } else { classsql= "" || "chnlid=1367"; }''')
    'chnlid=1367'
    >>> resolve_classsql('var classsql = "(parentid,chnlid+=1823,1846)"; if("a" == "a"){ }')
    '(parentid,chnlid+=1823,1846)'
    >>> resolve_classsql("listModel({})") is None
    True
    """
    first = _CLASSSQL.search(script)
    if first is None:
        return None
    value = _or_value(first)
    m = _IF.search(script, first.end(), first.end() + 300)
    if m is None or m.group(1):
        return value
    chosen: str | None = None
    pos = first.end()
    while m is not None:
        if chosen is None and m.group(3) == m.group(5):
            chosen = m.group(6)
        pos = m.end()
        m = _IF.match(script, pos)
        if m is not None and not m.group(1):
            break  # a new chain
    if chosen is None:
        other = _ELSE.match(script, pos)
        if other is not None:
            chosen = other.group(1)
    if chosen is not None:
        inner = _CLASSSQL.search(chosen)
        if inner is not None:
            value = _or_value(inner)
    return value


@dataclass
class TrsList:
    """What a trt list page's scripts say about its list API."""

    classsql: str
    channelid: str | None
    prepage: int
    sortfield: str
    max_static: int
    record_count: int | None
    api_path: str
    dynamic: bool

    @property
    def first_api_page(self) -> int:
        return 1 if self.dynamic else self.max_static + 1

    def needs_api(self) -> bool:
        if self.dynamic or self.record_count is None:
            return True
        return math.ceil(self.record_count / max(self.prepage, 1)) >= self.first_api_page


def trs_list(scripts: str) -> TrsList | None:
    """The list API settings of a trt list page (``list2.trsapi``), or None.

    >>> cfg = trs_list('''var SiteInfo = { searchId: 200210 };
    ... var pageChnlInfo={ quickMode:"动静结合", maxStaticIndex: 5, classsql: "" || "chnlid=502",
    ...   recordCount:'368', sortfield:'-docorderpri,-docreltime', prepage:15 }
    ... require(['list2.trsapi'], function(listModel) { listModel({ listApi: { url: "/fjdzapp/search" } }) })''')
    >>> cfg.classsql, cfg.channelid, cfg.prepage, cfg.first_api_page, cfg.needs_api()
    ('chnlid=502', '200210', 15, 6, True)
    """
    if "trsapi" not in scripts:
        return None
    classsql = resolve_classsql(scripts)
    if classsql is None:
        return None
    m_id = _CHANNEL.search(scripts) or _SEARCH_ID.search(scripts)
    m_static = _MAX_STATIC.search(scripts)
    m_records = _RECORDS.search(scripts)
    m_pre = _PREPAGE.search(scripts)
    m_sort = _SORT.search(scripts)
    m_api = _LIST_API.search(scripts)
    m_mode = _QUICK_MODE.search(scripts)
    dynamic = bool(m_mode and m_mode.group(1) == "动态") or m_static is None
    return TrsList(
        classsql=classsql,
        channelid=m_id.group(1) if m_id else None,
        prepage=int(m_pre.group(1)) if m_pre else 15,
        sortfield=m_sort.group(1) if m_sort else "-pubdate",
        max_static=int(m_static.group(1)) if m_static and not dynamic else 0,
        record_count=int(m_records.group(1)) if m_records else None,
        api_path=m_api.group(1) if m_api else SEARCH_PATH,
        dynamic=dynamic,
    )


class FujianTrsSpider(NoticeSpider):
    """Fujian government sites on TRS trt with the ``/fjdzapp/search`` list API.

    Issuing body: whichever government runs the site (平潭综合实验区管委会 on
    www.pingtan.gov.cn; other Fujian 市/县/区 governments and their departments).

    Arguments: ``-a site=HOST`` (required; ``www.pingtan.gov.cn``), ``-a scheme=https``,
    ``-a channelid=N`` (the search channel, ``SiteInfo.searchId`` of the site's pages;
    read from the home page when not given), ``-a column=N`` (one column:
    ``classsql=chnlid=N``) or ``-a classsql=…`` (as a list page's script has it),
    ``-a prepage=100`` (entries per search page, at most 500), plus the base
    arguments. ``-a start_url=`` list pages of the site instead (static, mixed or
    dynamic lists, see below).

    Without a column or start URLs the whole site is enumerated: the search API
    without ``classsql``, newest first (``sortfield=-pubdate``), as working crawlers
    do (one enumerated 72,744 documents this way).

    Requests to the API are POSTed forms (``application/x-www-form-urlencoded``,
    ``X-Requested-With``, ``Origin``, ``Referer``), as every working client does:
    ``channelid``, ``sortfield``, ``page``, ``prepage`` [, ``classsql``]. The answer
    is read as ``{pageCount, data: [{docpuburl | chnldocurl, doctitle, docreltime,
    pubdate, fileno, docsourcename, puborg, idxid, chnlid, doctype}]}``: **no captured
    answer exists in the conformance set**, only the keys other crawlers read (its
    README); the value types of ``docreltime``/``pubdate`` are unknown, so dates are
    read from strings and from epochs (seconds or ms, Beijing time). ``fileno`` (文号)
    travels as the ``doc_number`` hint. An entry whose only URL is a file (``.pdf``,
    ``.doc`` …) is an attachment, never requested as a detail page
    (``gazette/fujian/file_entries``). Paging stops at ``pageCount`` (or at a short page).

    List pages (modelled on the real pingtan pages in ``conformance/pingtan/``):
    *static* ones hold all their items (TRS ``index_N.htm`` pagination); *mixed*
    ones (``quickMode: "动静结合"``) hold ``maxStaticIndex`` pages of items and the
    API serves page ``maxStaticIndex + 1`` on, at the page's ``prepage``;
    *dynamic* ones (``quickMode: "动态"``) hold no items and compute ``classsql`` in
    a script (``resolve_classsql``): the API serves them from page 1.

    Faults: the site's firewall sometimes answers 200 with a 2-byte body: retried as
    a transient fault (``retry/reason_count/fujian_firewall_blank``) after a visit to
    ``/zwgk/``, never read as a page. A removed document answers a tiny page with
    ``<meta http-equiv="refresh" content="0;URL=../">``: counted
    (``gazette/fujian/removed_documents``), not a notice, not followed (meta refresh
    is off for this spider).
    """

    name = "fujian_trs"
    static_index_suffix = ".htm"
    custom_settings = {"METAREFRESH_ENABLED": False}
    #: presets (``pingtan``) set these
    default_site = ""
    default_channelid = ""
    warmup_path = "/zwgk/"

    def __init__(
        self,
        *args: Any,
        site: str | None = None,
        scheme: str = "https",
        channelid: str | None = None,
        column: str | None = None,
        classsql: str | None = None,
        prepage: Any = None,
        **kwargs: Any,
    ) -> None:
        explicit = bool(kwargs.get("start_url") or kwargs.get("start_urls"))
        super().__init__(*args, **kwargs)
        if scheme not in ("http", "https"):
            raise ValueError(f"-a scheme= expects http or https, got {scheme!r}")
        if not site and explicit:  # the list pages given say which site
            first = urlsplit(self.start_urls[0])
            site, scheme = first.netloc, first.scheme or scheme
        site = re.sub(r"^https?://", "", (site or self.default_site).strip()).rstrip("/")
        if not site:
            raise ValueError(f"spider {self.name!r} needs -a site=HOST (e.g. www.pingtan.gov.cn)")
        self.site = site
        self.scheme = scheme
        self.base_url = f"{scheme}://{site}"
        self.channelid = str(channelid or self.default_channelid or "")
        if channelid is not None and not str(channelid).isdigit():
            raise ValueError(f"-a channelid= expects a number, got {channelid!r}")
        if column and not str(column).isdigit():
            raise ValueError(f"-a column= expects a channel number, got {column!r}")
        self.classsql = classsql or (f"chnlid={column}" if column else "")
        try:
            self.prepage = min(MAX_PREPAGE, max(1, int(prepage))) if prepage else 100
        except (TypeError, ValueError):
            raise ValueError(f"-a prepage= expects a whole number, got {prepage!r}") from None
        #: API mode: enumerate the site (or one column) through the search API
        self.api_mode = bool(self.classsql) or not (explicit or self.start_urls)
        if self.api_mode:
            self.start_urls = [self.base_url + "/"]
        self._searches: set[tuple[str, str, int, int]] = set()

    # -- start -------------------------------------------------------------------
    async def start(self) -> AsyncIterator[Any]:
        if not self.api_mode:
            async for request in super().start():
                yield request
            return
        if not self.channelid:
            yield Request(self.base_url + "/", callback=self.parse_home, dont_filter=True)
            return
        request = self.search_request(
            1, self.classsql, self.prepage, "-pubdate", self.base_url + "/"
        )
        if request is not None:
            yield request

    def parse_home(self, response: Response) -> Iterator[Any]:
        """The home page: read ``SiteInfo.searchId`` as the channel, then search."""
        if is_blank(response.body):
            yield from self.retry_blank(response)
            return
        text = response.text if isinstance(response, TextResponse) else ""
        m = _SEARCH_ID.search(text)
        if not m:
            self.logger.error("no searchId on %s; pass -a channelid=N", response.url)
            self._inc("gazette/fujian/no_channelid")
            return
        self.channelid = m.group(1)
        request = self.search_request(1, self.classsql, self.prepage, "-pubdate", response.url)
        if request is not None:
            yield request

    # -- the search API ------------------------------------------------------------
    def search_request(
        self,
        page: int,
        classsql: str,
        prepage: int,
        sortfield: str,
        referer: str,
        api_path: str = SEARCH_PATH,
        channelid: str | None = None,
    ) -> Request | None:
        """A POSTed search form for one page, or None when seen or over ``max_pages``."""
        channel = channelid or self.channelid
        key = (channel, classsql, prepage, page)
        if key in self._searches:
            return None
        if self.max_pages and self.list_pages_requested >= self.max_pages:
            self._inc("gazette/list_pages_over_limit")
            return None
        self._searches.add(key)
        self.list_pages_requested += 1
        form = {
            "channelid": channel,
            "sortfield": sortfield,
            "page": str(page),
            "prepage": str(prepage),
        }
        if classsql:
            form["classsql"] = classsql
        origin = "{0.scheme}://{0.netloc}".format(urlsplit(referer))
        return FormRequest(
            urljoin(referer, api_path),
            formdata=form,
            headers={"X-Requested-With": "XMLHttpRequest", "Origin": origin, "Referer": referer},
            callback=self.parse_search,
            meta={
                "gazette_list": True,
                "gazette_search": {
                    "page": page,
                    "classsql": classsql,
                    "prepage": prepage,
                    "sortfield": sortfield,
                    "referer": referer,
                    "api_path": api_path,
                    "channelid": channel,
                    "first": page,
                },
            },
        )

    def entry_url(self, entry: dict[str, Any], base: str) -> str | None:
        """The entry's page: ``chnldocurl`` or ``docpuburl``, whichever is not a file."""
        urls = [
            urljoin(base, v.strip())
            for v in (entry.get("chnldocurl"), entry.get("docpuburl"), entry.get("DOCPUBURL"))
            if isinstance(v, str) and v.strip()
        ]
        pages = [u for u in urls if not SKIP_EXTENSIONS.search(urlsplit(u).path)]
        return pages[0] if pages else None

    def parse_search(self, response: Response) -> Iterator[Any]:
        """One page of search answers: detail requests, then the next page."""
        if is_blank(response.body):
            yield from self.retry_blank(response)
            return
        search = dict(response.meta.get("gazette_search") or {})
        page = int(search.get("page", 1))
        data = self.load_json(response)
        if not isinstance(data, dict):
            self._inc("gazette/api_pages_unreadable")
            self.logger.warning("unreadable search answer: %s (page %s)", response.url, page)
            return
        entries = [e for e in data.get("data") or [] if isinstance(e, dict)]
        if not entries:
            if page == search.get("first", 1):
                self.report_empty(
                    response,
                    f"no entries on search page {page} ({search.get('classsql') or 'whole site'})",
                )
            return
        referer = str(search.get("referer") or self.base_url + "/")
        dated = []
        for entry in entries:
            url = self.entry_url(entry, referer)
            hints = entry_hints(entry)
            when = parse_date(hints.get("date"))
            if when is not None:
                dated.append(when)
            if url is None:
                self._inc("gazette/fujian/file_entries")
                continue
            if not self.in_domain(url):
                self._inc("gazette/fujian/offsite_entries")
                continue
            request = self.detail_request(url, hints=hints)
            if request is not None:
                yield request
        if self.since is not None and dated and max(dated) < self.since:
            self._inc("gazette/lists_stopped_by_since")
            return
        count = data.get("pageCount")
        if isinstance(count, str) and count.isdigit():
            count = int(count)
        if isinstance(count, int):
            if page >= count:
                return
        elif len(entries) < int(search.get("prepage") or 0):
            return
        request = self.search_request(
            page + 1,
            str(search.get("classsql") or ""),
            int(search.get("prepage") or self.prepage),
            str(search.get("sortfield") or "-pubdate"),
            referer,
            str(search.get("api_path") or SEARCH_PATH),
            str(search.get("channelid") or self.channelid),
        )
        if request is not None:
            request.meta["gazette_search"]["first"] = search.get("first", 1)
            yield request

    # -- list pages -------------------------------------------------------------------
    def parse_list(self, response: Response) -> Iterator[Any]:
        if is_blank(response.body):
            yield from self.retry_blank(response)
            return
        if not isinstance(response, TextResponse) or self.is_json(response):
            yield from super().parse_list(response)
            return
        if is_refresh_stub(response.body):
            self._inc("gazette/fujian/removed_lists")
            self.report_empty(response, "a meta-refresh stub instead of a list page")
            return
        scripts = "\n".join(response.xpath("//script/text()").getall())
        cfg = trs_list(scripts)
        if cfg is None:
            yield from super().parse_list(response)
            return
        requests = list(self.follow_links(response, lists=True))  # a trt page: <= ~100 links
        yield from requests
        links = (response.urljoin(h) for h in response.css("a::attr(href)").getall())
        dates = [d for d in (url_date(u) for u in links if self.is_detail(u)) if d is not None]
        if self.since is not None and dates and max(dates) < self.since:
            return  # the static items are older already: no later pages
        if not cfg.needs_api():
            start = response.request is not None and response.request.meta.get("gazette_start")
            if start and not requests and not self.has_detail_links(response):
                self.report_empty(response, "no detail links and no further list page")
            return
        channel = cfg.channelid or self.channelid
        if not channel:
            self.logger.error("no searchId/channelid on %s; pass -a channelid=N", response.url)
            self._inc("gazette/fujian/no_channelid")
            return
        request = self.search_request(
            cfg.first_api_page,
            cfg.classsql,
            cfg.prepage,
            cfg.sortfield,
            response.url,
            cfg.api_path,
            channel,
        )
        if request is not None:
            yield request

    def js_pagination(self, response: TextResponse) -> list[str]:
        scripts = "\n".join(response.xpath("//script/text()").getall())
        if trs_list(scripts) is not None:
            return []  # the search API serves the later pages (parse_list)
        return super().js_pagination(response)

    # -- detail pages -------------------------------------------------------------------
    def parse_detail(self, response: Response) -> Iterator[Any]:
        if is_blank(response.body):
            yield from self.retry_blank(response)
            return
        if is_refresh_stub(response.body):
            self._inc("gazette/fujian/removed_documents")
            self.logger.info("removed document (meta-refresh stub): %s", response.url)
            return
        yield from super().parse_detail(response)

    # -- faults -----------------------------------------------------------------------
    def retry_blank(self, response: Response) -> Iterator[Request]:
        """The firewall's 2-byte answer: visit ``/zwgk/``, then retry the request."""
        self._inc("gazette/fujian/firewall_blank")
        if response.request is None:
            return
        retry = get_retry_request(response.request, spider=self, reason="fujian_firewall_blank")
        if retry is None:
            self.logger.warning("firewall kept answering 2 bytes: %s", response.url)
            return
        yield Request(
            urljoin(self.base_url + "/", self.warmup_path.lstrip("/")),
            callback=self.parse_warmup,
            dont_filter=True,
            priority=retry.priority + 1,
            meta={"dont_retry": True},
        )
        yield retry

    def parse_warmup(self, response: Response) -> Iterator[Any]:
        return iter(())
