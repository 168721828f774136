"""fujian_trs: the family spider for Fujian sites behind ``/fjdzapp/search``.

Whole-site enumeration (no ``classsql``), one column (``-a column=N``), the
channel read from the home page's ``SiteInfo.searchId``, static lists left to
the base machinery, and the faults of a real crawl (firewall's 2-byte answers
retried then given up, removed documents, file entries, other hosts).
Fixtures: tests/fixtures/pingtan/ (SOURCES.txt says which real sample each follows).
"""

from __future__ import annotations

import asyncio
from urllib.parse import parse_qs

import pytest
from conftest import FIXTURES
from scrapy.http import HtmlResponse, Request
from scrapy.utils.test import get_crawler

from gazette.spiders.base import EMPTY_LIST_STAT
from gazette.spiders.fujian_trs import FujianTrsSpider, is_blank, is_refresh_stub

FIX = FIXTURES / "pingtan"
H = "https://www.pingtan.gov.cn"


def make(**kw) -> FujianTrsSpider:
    return FujianTrsSpider.from_crawler(get_crawler(FujianTrsSpider), **kw)


def first_requests(spider: FujianTrsSpider) -> list[Request]:
    async def collect() -> list[Request]:
        return [r async for r in spider.start()]

    return asyncio.run(collect())


def form(request: Request) -> dict[str, str]:
    return {k: v[0] for k, v in parse_qs(request.body.decode()).items()}


def test_arguments():
    with pytest.raises(ValueError, match="site=HOST"):
        FujianTrsSpider()
    with pytest.raises(ValueError, match="channelid"):
        FujianTrsSpider(site="www.pingtan.gov.cn", channelid="abc")
    with pytest.raises(ValueError, match="column"):
        FujianTrsSpider(site="www.pingtan.gov.cn", column="chnlid=1")
    with pytest.raises(ValueError, match="prepage"):
        FujianTrsSpider(site="www.pingtan.gov.cn", prepage="many")
    s = FujianTrsSpider(site="https://www.fuzhou.gov.cn/", channelid="5", prepage="9999")
    assert (s.site, s.channelid, s.prepage, s.api_mode) == ("www.fuzhou.gov.cn", "5", 500, True)
    # start URLs say which site
    s = FujianTrsSpider(start_url="http://www.fuqing.gov.cn/zwgk/zfxxgk/")
    assert s.base_url == "http://www.fuqing.gov.cn" and not s.api_mode


def test_whole_site_is_one_posted_search_without_classsql():
    s = make(site="www.pingtan.gov.cn", channelid="200210")
    (request,) = first_requests(s)
    assert request.method == "POST" and request.url == f"{H}/fjdzapp/search"
    assert form(request) == {
        "channelid": "200210",
        "sortfield": "-pubdate",
        "page": "1",
        "prepage": "100",
    }


def test_one_column_and_unknown_channel():
    s = make(site="www.pingtan.gov.cn", channelid="200210", column="1367", prepage="50")
    (request,) = first_requests(s)
    assert form(request)["classsql"] == "chnlid=1367" and form(request)["prepage"] == "50"
    s = make(site="www.pingtan.gov.cn")
    (home,) = first_requests(s)
    assert home.url == f"{H}/" and home.callback == s.parse_home
    resp = HtmlResponse(home.url, body=(FIX / "index.html").read_bytes(), request=home)
    (search,) = list(s.parse_home(resp))
    assert form(search)["channelid"] == "200210"


def test_static_trs_list_is_left_to_the_base_machinery():
    url = "https://www.example.fj.cn/zwgk/tzgg/index.htm"
    s = make(start_url=url)
    body = (
        '<ul><li><a href="./202401/t20240105_1.htm">关于某事的通知</a></li></ul>'
        "<script>createPageHTML(3, 0, 'index', 'htm');</script>"
    ).encode()
    out = list(s.parse_list(HtmlResponse(url, body=body, encoding="utf-8", request=Request(url))))
    assert [r.url.rsplit("/", 1)[1] for r in out] == [
        "t20240105_1.htm",
        "index_1.htm",
        "index_2.htm",
    ]


def test_fault_predicates():
    assert is_blank(b"\r\n") and not is_blank(b'{"pageCount":0}')
    assert is_refresh_stub(
        (FIX / "zwgk/zfxxgk/gwhwj/hzgfxwj/202401/t20240110_86001.htm").read_bytes()
    )
    detail = FIX / "zwgk/zfxxgk/gwhwj/hzgfxwj/202605/t20260520_106801.htm"
    assert not is_refresh_stub(detail.read_bytes())


def test_crawl_whole_site(local_site, copy_site, run_crawl):
    site = copy_site(FIX)
    base = local_site(site)
    for path in site.rglob("*.json"):
        path.write_text(path.read_text("utf-8").replace(H, base), "utf-8")
    host = base.split("://", 1)[1]
    # no channelid: read from the home page's SiteInfo.searchId
    items, stats = run_crawl("fujian_trs", {"site": host, "scheme": "http"})
    assert sorted(i["url"].rsplit("/", 1)[1] for i in items) == [
        "t20240311_90101.htm",
        "t20260520_106801.htm",
    ]
    assert all(i["spider"] == "fujian_trs" for i in items)
    assert stats["gazette/fujian/removed_documents"] == 1  # the meta-refresh stub
    assert stats["gazette/fujian/file_entries"] == 1  # a .doc entry, never requested
    assert stats["gazette/fujian/offsite_entries"] == 1  # www.fujian.gov.cn
    # the 2-byte answer: retried (RETRY_TIMES), never a page, then given up
    retries = stats["retry/reason_count/fujian_firewall_blank"]
    assert retries >= 1 and stats["gazette/fujian/firewall_blank"] == retries + 1
    assert stats.get(EMPTY_LIST_STAT, 0) == 0
    assert stats["downloader/request_method_count/POST"] == 1
