"""The State Council policy library on www.gov.cn."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from scrapy.http import Response
from w3lib.url import add_or_replace_parameter

from gazette.spiders.base import NoticeSpider, entry_hints, iter_entries, parse_date, url_date

#: the policy library's search API: 国务院文件 (``zhengcelibrary_gw``), newest first
GOV_CN_API = (
    "https://sousuo.www.gov.cn/search-gov/data?t=zhengcelibrary_gw&q=&timetype=timeqb"
    "&mintime=&maxtime=&sort=pubtime&sortType=1&searchfield=title&pcodeJiguan=&childtype="
    "&subchildtype=&tsbq=&pubtimeyear=&puborg=&pcodeYear=&pcodeNum=&filetype=&p=1&n=20"
    "&inpro=&bmfl=&dup=&orpro=&type=gwyzcwjk"
)
#: the data behind ``https://www.gov.cn/zhengce/zuixin/`` (a script renders that page)
GOV_CN_ZUIXIN = "https://www.gov.cn/zhengce/zuixin/ZUIXINZHENGCE.json"
#: the search API's ``code`` for "no match": past the last page, or a query that finds nothing
NO_MATCH = 1001


class GovCnSpider(NoticeSpider):
    """国务院政策文件库 (State Council policy library), www.gov.cn.

    Issuing body: 国务院 and 国务院办公厅 (国发 / 国办发 / 国函 / 国办函 …); with
    combined ``t=`` values also the ministries (部门文件) and the 公报.

    Start URL: the library's JSON search API on ``sousuo.www.gov.cn`` (plain GET,
    ``p`` = page from 1, ``n`` = page size). Its answers (modelled on the samples
    of ``conformance/govcn/`` and the README there): ``{code, msg, data,
    searchVO}``, ``code`` 200 = ok, 1001 = no match (ends the paging);
    ``t=zhengcelibrary_gw`` answers a **flat** ``searchVO.listVO`` with
    ``searchVO.totalpage``; combined values (``t=zhengcelibrary``,
    ``zhengcelibrary_gw_bm_gb``) answer ``listVO: null`` and
    ``searchVO.catMap.{gongwen,bumenfile,gongbao,otherfile}.listVO``. Entries carry
    ``title`` (``<em>`` when ``q`` is set), ``url``, ``pcode`` (文号),
    ``pubtimeStr`` (``2026.07.24``), ``puborg``, ``pubtime``/``ptime`` (ms, read in
    Beijing time) … as list hints. Paging stops at ``totalpage``, at ``code``
    1001, or when no list of the page is full (``n`` entries).

    ``-a start_url=https://www.gov.cn/zhengce/zuixin/ZUIXINZHENGCE.json`` (最新政策)
    works too: a bare JSON array of ``{TITLE, SUB_TITLE, URL, DOCRELPUBTIME}``
    (upper-case keys; sample: ``conformance/govcn/ZUIXINZHENGCE.docstring-sample.txt``),
    one page. The HTML page ``/zhengce/zuixin/`` itself has no items (a script
    loads that file), so a start URL of that page is replaced by the file.

    Detail pages: ``/zhengce/content/202609/content_N.htm`` (since 2023),
    ``/zhengce/content/2019-03/22/content_N.htm``,
    ``/zhengce/zhengceku/202607/content_N.htm``, with the metadata table 索引号 /
    主题分类 / 发文机关 / 成文日期 / 标题 / 发文字号 / 发布日期.

    Caveats: no complete captured ``search-gov/data`` answer exists in the
    conformance set (an excerpt, a third party's fixture and a crawler's reading
    of it): where ``totalpage`` sits in the catMap form is unknown, hence the
    "no full list" rule; the 1001 answer is known by its ``code`` only. The
    ``athenaAppKey`` headers belong to another endpoint, not this one.
    """

    name = "gov_cn"
    start_urls = [GOV_CN_API]
    extra_hosts = ("www.gov.cn", "sousuo.www.gov.cn", "gov.cn")
    api_page_param = "p"
    api_first_page = 1

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.start_urls = [
            GOV_CN_ZUIXIN.replace("https://www.gov.cn", f"{p.scheme}://{p.netloc}")
            if (p := urlsplit(u)).path.rstrip("/") == "/zhengce/zuixin" and not p.query
            else u
            for u in self.start_urls
        ]

    def parse_api(self, response: Response) -> Iterator[Any]:
        data = self.load_json(response)
        if not isinstance(data, dict):  # ZUIXINZHENGCE.json (a bare array) or unreadable
            yield from super().parse_api(response)
            return
        query = dict(parse_qsl(urlsplit(response.url).query))
        try:
            page = int(query.get("p") or 1)
        except ValueError:
            page = 1
        first = page <= 1  # p=0 acts as page 1
        if data.get("code") == NO_MATCH:
            self._inc("gazette/govcn/no_match")
            if first:
                self.report_empty(response, "code 1001 (no match) on the first page")
            return
        search = data.get("searchVO")
        lists = _lists(search)
        entries = list(iter_entries(lists))
        if not entries:
            if first:
                self.report_empty(response, f"code {data.get('code')!r}, no listVO entries")
            return
        dated = []
        for entry in entries:
            url = response.urljoin(str(entry["url"]))
            hints = entry_hints(entry)
            when = parse_date(hints.get("date")) or url_date(url)
            if when is not None:
                dated.append(when)
            if self.in_domain(url):
                request = self.detail_request(url, hints=hints)
                if request is not None:
                    yield request
            else:
                self._inc("gazette/govcn/offsite_entries")
        if self.since is not None and dated and max(dated) < self.since:
            self._inc("gazette/lists_stopped_by_since")
            return
        total = search.get("totalpage") if isinstance(search, dict) else None
        if isinstance(total, int) or (isinstance(total, str) and total.isdigit()):
            if page >= int(total):
                return
        else:
            try:
                size = int(query.get("n") or 0)
            except ValueError:
                size = 0
            if not any(len(lst) >= max(size, 1) for lst in lists):
                return  # no list of this page is full: the last page
        request = self.list_request(add_or_replace_parameter(response.url, "p", str(page + 1)))
        if request is not None:
            yield request


def _lists(search: Any) -> list[list[Any]]:
    """The entry lists of a ``searchVO``: the flat ``listVO``, else each ``catMap`` list.

    >>> _lists({"listVO": [{"url": "u", "title": "t"}]})
    [[{'url': 'u', 'title': 't'}]]
    >>> _lists({"listVO": None, "catMap": {"gongwen": {"listVO": [1]}, "bumenfile": {"listVO": []}}})
    [[1], []]
    >>> _lists(None)
    []
    """
    if not isinstance(search, dict):
        return []
    flat = search.get("listVO")
    cats = search.get("catMap")
    if isinstance(flat, list) and (flat or not isinstance(cats, dict)):
        return [flat]
    if not isinstance(cats, dict):
        return []
    return [
        c["listVO"]
        for c in cats.values()
        if isinstance(c, dict) and isinstance(c.get("listVO"), list)
    ]
