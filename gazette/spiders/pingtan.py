"""TRS (trt) disclosure columns of www.pingtan.gov.cn."""

from __future__ import annotations

import re
from urllib.parse import quote, urljoin

from scrapy.http import TextResponse

from gazette.spiders.base import NoticeSpider

_MAX_STATIC = re.compile(r"\bmaxStaticIndex\s*:\s*(\d+)")
_CLASSSQL = re.compile(r"""\bclasssql\s*:\s*(?:["'][^"']*["']\s*\|\|\s*)?["']([^"']+)["']""")
_SEARCH_ID = re.compile(r"\bsearchId\s*:\s*(\d+)")
_PREPAGE = re.compile(r"\bprepage\s*:\s*(\d+)")


class PingtanSpider(NoticeSpider):
    """平潭综合实验区 (Pingtan) 政务公开: 区管委会文件, 办公室文件, 部门文件, 规范性文件.

    Issuing body: 平潭综合实验区管委会, its 办公室, its bureaus, and 平潭县人民政府.

    Start URLs: the column list pages ``/zwgk/zxwj/qgwhwj/``, ``/zwgk/zxwj/qgwhbgswj/``,
    ``/zwgk/zxwj/bmwj/`` and ``/zwgk/zfxxgk/gwhwj/hzgfxwj/``. Each (trt template)
    holds the first pages' items statically (groups shown by ``$showStatic(n)``,
    ``pageChnlInfo.maxStaticIndex`` pages' worth) and a script with
    ``recordCount`` / ``prepage`` for the rest, which the browser loads from the
    ``/fjdzapp/search`` list API (``list2.trsapi``).

    Detail pages: ``t20240222_87407.htm``, relative (``./202305/…``) or in another
    column (``../../zfxxgk/gwhwj/…``); two templates: the 政府信息公开 one with a
    索引号 / 发文机关 / 成文日期 / 发文字号 / 发布日期 box, and the 最新文件 one
    without it (文号 under the title or in the body only).

    Caveats: the pages past the static ones come from the search API, whose
    parameters (``channelid`` = ``SiteInfo.searchId``, ``classsql`` =
    ``chnlid=N``, ``page``, ``prepage``) are read from the list page's scripts;
    its response shape is not documented, so its entries are found by walking the
    JSON for url + title pairs. Pages without ``maxStaticIndex`` fall back to the
    TRS ``index_N.htm`` naming.
    """

    name = "pingtan"
    start_urls = [
        "https://www.pingtan.gov.cn/zwgk/zxwj/qgwhwj/",
        "https://www.pingtan.gov.cn/zwgk/zxwj/qgwhbgswj/",
        "https://www.pingtan.gov.cn/zwgk/zxwj/bmwj/",
        "https://www.pingtan.gov.cn/zwgk/zfxxgk/gwhwj/hzgfxwj/",
    ]
    static_index_suffix = ".htm"
    api_page_param = "page"
    api_first_page = 1

    def script_count_pages(self, response: TextResponse, count: int, scripts: str) -> list[str]:
        m_static = _MAX_STATIC.search(scripts)
        m_sql = _CLASSSQL.search(scripts)
        if not (m_static and m_sql and "trsapi" in scripts):
            return super().script_count_pages(response, count, scripts)
        m_id = _SEARCH_ID.search(scripts)
        m_pre = _PREPAGE.search(scripts)
        channel = m_id.group(1) if m_id else "200210"
        prepage = m_pre.group(1) if m_pre else "15"
        first_dynamic = int(m_static.group(1)) + 1
        if first_dynamic > count:
            return []
        # one request; parse_api follows the pages after it
        return [
            urljoin(
                response.url,
                f"/fjdzapp/search?channelid={channel}&classsql={quote(m_sql.group(1))}"
                f"&sortfield=-docorderpri,-docreltime&prepage={prepage}&page={first_dynamic}",
            )
        ]
