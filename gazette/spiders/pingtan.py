"""www.pingtan.gov.cn: a preset of the Fujian TRS family spider."""

from __future__ import annotations

from gazette.spiders.fujian_trs import FujianTrsSpider


class PingtanSpider(FujianTrsSpider):
    """平潭综合实验区 (Pingtan) 政务公开: 区管委会文件, 办公室文件, 部门文件, 行政规范性文件.

    Issuing body: 平潭综合实验区管委会, its 办公室, its bureaus, and 平潭县人民政府.

    A preset of :class:`gazette.spiders.fujian_trs.FujianTrsSpider` (``-a site=``
    www.pingtan.gov.cn, ``-a channelid=200210``, the site's ``SiteInfo.searchId``);
    every argument of the family spider works (``-a column=502`` for one column
    through the search API, ``-a classsql=…``).

    Start URLs: the column list pages ``/zwgk/zxwj/qgwhwj/`` (mixed: 5 static pages
    of 15, then the search API; real page in
    ``conformance/pingtan/zwgk_zxwj_qgwhwj_index.abridged.html``),
    ``/zwgk/zxwj/qgwhbgswj/``, ``/zwgk/zxwj/bmwj/`` and ``/zwgk/zfxxgk/gwhwj/hzgfxwj/``
    (fully dynamic: no static items, ``classsql`` ``chnlid=1367`` computed in a
    script; real page in ``conformance/pingtan/zwgk_zfxxgk_gwhwj_hzgfxwj_index.abridged.html``).

    Detail pages: ``t20240222_87407.htm``, relative (``./202305/…``) or in another
    column (``../../zfxxgk/gwhwj/…``); two templates: the 政府信息公开 one with a
    索引号 / 发文机关 / 成文日期 / 发文字号 / 发布日期 box (real page in
    ``conformance/pingtan/zfxxgk_gwhwj_hzgfxwj_202606_t20260604_107135.abridged.htm``),
    and the 最新文件 one without it (no captured sample).

    Caveats: as for the family spider (no captured search answer; the firewall's
    2-byte answers; removed documents' meta-refresh stubs).
    """

    name = "pingtan"
    default_site = "www.pingtan.gov.cn"
    default_channelid = "200210"
    start_urls = [
        "https://www.pingtan.gov.cn/zwgk/zxwj/qgwhwj/",
        "https://www.pingtan.gov.cn/zwgk/zxwj/qgwhbgswj/",
        "https://www.pingtan.gov.cn/zwgk/zxwj/bmwj/",
        "https://www.pingtan.gov.cn/zwgk/zfxxgk/gwhwj/hzgfxwj/",
    ]
