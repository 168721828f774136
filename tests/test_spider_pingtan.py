"""pingtan: trt list pages (static groups + list2.trsapi pagination) → t*_N.htm details."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

from conftest import FIXTURES, fixture_response
from scrapy.http import Request

from gazette.spiders.pingtan import PingtanSpider

FIX = FIXTURES / "pingtan"
LIST = "https://www.pingtan.gov.cn/zwgk/zxwj/qgwhwj/"


def list_requests(**kw) -> list[Request]:
    s = PingtanSpider(start_url=LIST, **kw)
    resp = fixture_response(FIX / "zwgk/zxwj/qgwhwj/index.html", LIST)
    return [r for r in s.parse_list(resp) if isinstance(r, Request)]


def test_static_items_relative_and_cross_column():
    out = list_requests()
    details = [r.url for r in out if r.meta.get("gazette_detail")]
    assert details == [
        "https://www.pingtan.gov.cn/zwgk/zxwj/qgwhwj/202403/t20240311_90101.htm",
        "https://www.pingtan.gov.cn/zwgk/zfxxgk/gwhwj/hzgfxwj/202402/t20240226_90022.htm",
        "https://www.pingtan.gov.cn/zwgk/zxwj/qgwhwj/202312/t20231205_88803.htm",
        "https://www.pingtan.gov.cn/zwgk/zxwj/qgwhwj/202109/t20210917_30004.htm",
    ]


def test_pages_past_the_static_ones_come_from_the_search_api():
    lists = [r for r in list_requests() if not r.meta.get("gazette_detail")]
    api = [r for r in lists if "/fjdzapp/search" in r.url]
    assert len(api) == 1
    query = parse_qs(urlsplit(api[0].url).query)
    assert query["classsql"] == ["chnlid=502"]
    assert query["channelid"] == ["200210"]
    assert query["page"] == ["3"] and query["prepage"] == ["2"]


def test_api_page_entries():
    s = PingtanSpider(start_url=LIST)
    url = (
        "https://www.pingtan.gov.cn/fjdzapp/search?channelid=200210&classsql=chnlid%3D502"
        "&sortfield=-docorderpri,-docreltime&prepage=2&page=3"
    )
    name = "search__channelid=200210_classsql=chnlid%3D502_sortfield=-docorderpri,-docreltime_prepage=2_page=3.json"
    out = list(s.parse_list(fixture_response(FIX / "fjdzapp" / name, url)))
    assert [r.url for r in out] == [
        "https://www.pingtan.gov.cn/zwgk/zxwj/qgwhwj/202108/t20210820_29901.htm",
        "https://www.pingtan.gov.cn/zwgk/zxwj/qgwhwj/202107/t20210709_29777.htm",
    ]  # page 3 of 3: no next page
    assert out[0].meta["gazette_hints"]["date"] == "2021-08-20"


def test_since_uses_url_dates_and_stops_pagination():
    out = list_requests(since="2024-01-01")
    assert [r.url for r in out if r.meta.get("gazette_detail")] == [
        "https://www.pingtan.gov.cn/zwgk/zxwj/qgwhwj/202403/t20240311_90101.htm",
        "https://www.pingtan.gov.cn/zwgk/zfxxgk/gwhwj/hzgfxwj/202402/t20240226_90022.htm",
    ]
    assert list_requests(since="2025-01-01") == []


def test_crawl_local_copy(local_site, copy_site, run_crawl):
    base = local_site(copy_site(FIX))
    items, _ = run_crawl("pingtan", {"start_url": f"{base}/zwgk/zxwj/qgwhwj/"})
    assert len(items) == 6
    assert {i["url"].rsplit("/", 1)[1] for i in items} == {
        "t20240311_90101.htm",
        "t20240226_90022.htm",
        "t20231205_88803.htm",
        "t20210917_30004.htm",
        "t20210820_29901.htm",
        "t20210709_29777.htm",
    }
