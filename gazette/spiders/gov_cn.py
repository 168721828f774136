"""The State Council policy library on www.gov.cn."""

from __future__ import annotations

from gazette.spiders.base import NoticeSpider

#: the policy library's search API: 国务院文件 (``zhengcelibrary_gw``), newest first
GOV_CN_API = (
    "https://sousuo.www.gov.cn/search-gov/data?t=zhengcelibrary_gw&q=&timetype=timeqb"
    "&mintime=&maxtime=&sort=pubtime&sortType=1&searchfield=title&pcodeJiguan=&childtype="
    "&subchildtype=&tsbq=&pubtimeyear=&puborg=&pcodeYear=&pcodeNum=&filetype=&p=1&n=20"
    "&inpro=&bmfl=&dup=&orpro=&type=gwyzcwjk"
)


class GovCnSpider(NoticeSpider):
    """国务院政策文件库 (State Council policy library), www.gov.cn.

    Issuing body: 国务院 and 国务院办公厅 (国发 / 国办发 / 国函 / 国办函 …).

    Start URLs: the library's JSON search API on ``sousuo.www.gov.cn``
    (``t=zhengcelibrary_gw``, ``p`` = page, ``n`` = page size), whose
    ``searchVO.catMap.*.listVO`` entries carry ``url``/``title``/``pcode``/
    ``pubtimeStr``/``puborg``, and ``searchVO.totalpage`` the page count. HTML
    column lists (``-a start_url=https://www.gov.cn/zhengce/zuixin/``, pages
    with ``createPageHTML``) work too.

    Detail pages: ``/zhengce/content/2023-05/06/content_5754321.htm`` and
    ``/zhengce/zhengceku/202305/content_6754321.htm``, with the metadata table
    索引号 / 主题分类 / 发文机关 / 成文日期 / 标题 / 发文字号 / 发布日期.

    Caveats: the API is undocumented and has changed its parameters before
    (``t=`` values, ``type=``); when it fails, start from HTML lists instead.
    The API's list metadata travels as ``gazette_hints`` only.
    """

    name = "gov_cn"
    start_urls = [GOV_CN_API]
    extra_hosts = ("www.gov.cn", "sousuo.www.gov.cn", "gov.cn")
    api_page_param = "p"
    api_first_page = 1
