"""Guangdong's 政府信息公开目录 platform (gkmlpt), any Guangdong government site."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Iterator
from typing import Any
from urllib.parse import parse_qsl, urljoin, urlsplit, urlunsplit

from scrapy.http import Request, Response, TextResponse

from gazette.spiders.base import NoticeSpider, entry_hints, parse_date, url_date

_SID = re.compile(r"""\bSID\s*[:=]\s*["']?(\d+)""")

#: seconds between two requests to a gkmlpt host: the real site fails a page
#: requested right after another (1–2 s advised)
GKMLPT_DELAY = 1.5


class GdGkmlptSpider(NoticeSpider):
    """广东省政府信息公开目录 (gkmlpt): the provincial government and every city.

    Issuing body: whichever government runs the site (广东省人民政府 /
    广东省人民政府办公厅 on www.gd.gov.cn; 市/区 governments and departments on
    their own hosts).

    Arguments: ``-a site=www.gd.gov.cn`` (host[:port], default www.gd.gov.cn; a
    department site's path prefix is part of it, e.g.
    ``www.zhaoqing.gov.cn/zqhjj``), ``-a scheme=https`` (``-a scheme=http`` for
    hosts that answer on http only: some fail on https from outside China; article
    URLs of the site are then fetched on http too), ``-a column=0`` (the catalogue
    column; 0 = all), ``-a sid=N`` (site id; read from the ``SID`` of
    ``/gkmlpt/index`` when not given; gd 2, gz 200001, zhuhai 756001, huizhou
    752001, jiangmen 750001), plus the base arguments (``max_pages``, ``since`` …).

    Start URLs: ``/gkmlpt/index`` (for the SID; no captured index page exists in
    the conformance set: only the note that it sets ``window._CONFIG`` with ``SID``
    and ``TREE``), then the JSON list API ``/gkmlpt/api/all/<column>?page=N&sid=<sid>``
    as the site's own script requests it. The real answer (modelled on
    ``conformance/gkmlpt/zhaoqing_api_all_21023.trimmed.json``) is
    ``{"classify": {id, name, parent, post_count, theme_count}, "articles": [{id,
    identifier, title, date, publisher, classify_main, classify_main_name, url,
    created_at, attachment}]}``: no ``total``, 75–99 articles a page; ``date`` is a
    Unix time at Beijing midnight (read in Beijing time). Paging stops at a page
    that is empty or shorter than the longest seen, once ``page × page size``
    reaches ``classify.post_count``, or at a 404 (a page past the end).

    Detail pages ``/gkmlpt/content/<a>/<b>/post_<id>.html``: either server-rendered
    (索引号 / 分类 / 发布机构 / 成文日期 / 文号 / 发布日期 table, ``div.article-content``,
    sometimes under ``<body style='visibility: hidden'>``) or carrying the document
    only in ``window._CONFIG.DETAIL`` (title, content HTML, publisher …); the one
    extraction path reads both (:mod:`gazette.text.embedded`).

    Pace: the real site fails a page requested right after another, so this
    spider waits ``GKMLPT_DELAY`` (1.5 s) between requests to a host, one at a time
    (``custom_settings``; ``-s DOWNLOAD_DELAY=…`` overrides).

    Caveats: article URLs may point at another gkmlpt host (e.g. a department's
    site): those are skipped as off-site (``gazette/gkmlpt/offsite_articles``).
    """

    name = "gd_gkmlpt"
    api_page_param = "page"
    api_first_page = 1
    custom_settings = {
        "DOWNLOAD_DELAY": GKMLPT_DELAY,
        "DOWNLOAD_DELAY_JITTER": 0,
        "CONCURRENT_REQUESTS_PER_DOMAIN": 1,
        "AUTOTHROTTLE_START_DELAY": GKMLPT_DELAY,
    }

    def __init__(
        self,
        *args: Any,
        site: str = "www.gd.gov.cn",
        scheme: str = "https",
        column: str = "0",
        sid: str | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        if scheme not in ("http", "https"):
            raise ValueError(f"-a scheme= expects http or https, got {scheme!r}")
        site = re.sub(r"^https?://", "", site.strip()).rstrip("/")
        self.site = site
        self.scheme = scheme
        self.column = str(column)
        self.sid = str(sid) if sid else None
        self.base_url = f"{scheme}://{site}"
        self._page_size = 0
        if not kwargs.get("start_url") and not kwargs.get("start_urls"):
            self.start_urls = [f"{self.base_url}/gkmlpt/index"]

    def api_url(self, page: int = 1) -> str:
        return f"{self.base_url}/gkmlpt/api/all/{self.column}?page={page}&sid={self.sid}"

    def api_request(self, page: int, force: bool = False) -> Request | None:
        # a page past the end answers 404: let it reach parse_list to end the paging
        return self.list_request(
            self.api_url(page),
            force=force,
            handle_httpstatus_list=[404],
            gazette_start=force,
        )

    async def start(self) -> AsyncIterator[Any]:
        if self.sid:
            request = self.api_request(1, force=True)
            if request is not None:
                yield request
            return
        for url in self.start_urls:
            yield Request(url, callback=self.parse_index, dont_filter=True)

    def parse_index(self, response: Response) -> Iterator[Any]:
        """``/gkmlpt/index``: read the site id, then page through the API."""
        text = response.text if isinstance(response, TextResponse) else ""
        m = _SID.search(text)
        if not m:
            self.logger.error("no SID on %s; pass -a sid=N", response.url)
            self._inc("gazette/gkmlpt_no_sid")
            return
        self.sid = m.group(1)
        request = self.api_request(1, force=True)
        if request is not None:
            yield request

    def site_url(self, url: str) -> str:
        """An article URL on the crawl's host in the crawl's scheme (``-a scheme=http``)."""
        parts, base = urlsplit(url), urlsplit(self.base_url)
        if parts.scheme in ("http", "https") and parts.scheme != self.scheme:
            if parts.hostname == base.hostname:
                return urlunsplit((self.scheme, base.netloc, *parts[2:]))
        return url

    def parse_list(self, response: Response) -> Iterator[Any]:
        if response.status == 404:
            page = dict(parse_qsl(urlsplit(response.url).query)).get("page", "1")
            if page in ("0", "1"):
                self.report_empty(response, "the list API answered 404 (column or sid wrong?)")
            else:
                self._inc("gazette/gkmlpt/api_past_end")
            return
        yield from super().parse_list(response)

    def parse_api(self, response: Response) -> Iterator[Any]:
        """One page of ``/gkmlpt/api/all/<column>``: its articles, then the next page."""
        data = self.load_json(response)
        if not isinstance(data, dict):
            self._inc("gazette/api_pages_unreadable")
            self.logger.warning("unreadable gkmlpt API answer: %s", response.url)
            return
        try:
            page = int(dict(parse_qsl(urlsplit(response.url).query)).get("page", "1"))
        except ValueError:
            page = 1
        articles = [a for a in data.get("articles") or [] if isinstance(a, dict)]
        if not articles:
            if page <= 1:
                self.report_empty(response, "no articles on the first API page")
            return  # past the end
        dated = []
        for article in articles:
            raw = article.get("url")
            if not isinstance(raw, str) or not raw.strip():
                self._inc("gazette/gkmlpt/articles_without_url")
                continue
            url = self.site_url(urljoin(response.url, raw.strip()))
            hints = entry_hints(article)
            when = parse_date(hints.get("date")) or url_date(url)
            if when is not None:
                dated.append(when)
            if not self.in_domain(url):
                self._inc("gazette/gkmlpt/offsite_articles")
                continue
            request = self.detail_request(url, hints=hints)
            if request is not None:
                yield request
        if self.since is not None and dated and max(dated) < self.since:
            self._inc("gazette/lists_stopped_by_since")
            return
        self._page_size = max(self._page_size, len(articles))
        if len(articles) < self._page_size:
            return  # a short page: the last one
        classify = data.get("classify")
        post_count = classify.get("post_count") if isinstance(classify, dict) else None
        if isinstance(post_count, int) and page * self._page_size >= post_count:
            return  # the column's size is reached
        request = self.api_request(page + 1)
        if request is not None:
            yield request
