"""Guangdong's 政府信息公开目录 platform (gkmlpt), any Guangdong government site."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Iterator
from typing import Any

from scrapy.http import Request, Response, TextResponse

from gazette.spiders.base import NoticeSpider

_SID = re.compile(r"""\bSID\s*[:=]\s*["']?(\d+)""")


class GdGkmlptSpider(NoticeSpider):
    """广东省政府信息公开目录 (gkmlpt): the provincial government and every city.

    Issuing body: whichever government runs the site (广东省人民政府 /
    广东省人民政府办公厅 on www.gd.gov.cn; 市/区 governments and departments on
    their own hosts).

    Arguments: ``-a site=www.gd.gov.cn`` (host[:port], default www.gd.gov.cn,
    a path prefix such as ``www.szlh.gov.cn/lhqkjhgyxxhj`` is allowed),
    ``-a scheme=https``, ``-a column=0`` (the catalogue column; 0 = all),
    ``-a sid=2`` (site id; found in the ``SID: '2'`` of ``/gkmlpt/index`` when
    not given), plus the base arguments (``max_pages``, ``since`` …).

    Start URLs: ``/gkmlpt/index`` (for the SID), then the JSON list API
    ``/gkmlpt/api/all/<column>?page=N&sid=<sid>`` (``{"total": …, "articles":
    [{"url", "title", "create_time", …}]}``, 100 per page), then the detail pages
    ``/gkmlpt/content/<a>/<b>/post_<id>.html`` with their 索引号 / 分类 /
    发布机构 / 成文日期 / 文号 / 发布日期 table.

    Caveats: some city sites answer on http only; some put the API under a path
    prefix. Article URLs may point at another gkmlpt host (e.g. a department's
    site); those are skipped as off-site.
    """

    name = "gd_gkmlpt"
    api_page_param = "page"
    api_first_page = 1

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
        site = re.sub(r"^https?://", "", site.strip()).rstrip("/")
        self.site = site
        self.scheme = scheme
        self.column = str(column)
        self.sid = str(sid) if sid else None
        self.base_url = f"{scheme}://{site}"
        if not kwargs.get("start_url") and not kwargs.get("start_urls"):
            self.start_urls = [f"{self.base_url}/gkmlpt/index"]

    def api_url(self, page: int = 1) -> str:
        return f"{self.base_url}/gkmlpt/api/all/{self.column}?page={page}&sid={self.sid}"

    async def start(self) -> AsyncIterator[Any]:
        if self.sid:
            request = self.list_request(self.api_url(1), force=True)
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
        request = self.list_request(self.api_url(1), force=True)
        if request is not None:
            yield request
