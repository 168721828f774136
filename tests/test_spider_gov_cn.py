"""gov_cn: the policy library's JSON search API and HTML lists → detail pages."""

from __future__ import annotations

from pathlib import Path

from conftest import FIXTURES, fixture_response
from scrapy.http import Request

from gazette.spiders.gov_cn import GOV_CN_API, GovCnSpider

FIX = FIXTURES / "gov_cn"
API = "https://sousuo.www.gov.cn/search-gov/data?t=zhengcelibrary_gw&p={p}&n=2"


def requests_from(spider: GovCnSpider, path: Path, url: str) -> list[Request]:
    return [r for r in spider.parse_list(fixture_response(path, url)) if isinstance(r, Request)]


def test_defaults_and_docstring():
    spider = GovCnSpider()
    assert spider.start_urls == [GOV_CN_API]
    assert "Issuing body" in (GovCnSpider.__doc__ or "")
    assert spider.in_domain("https://www.gov.cn/zhengce/content/2024-03/08/content_6937701.htm")
    assert not spider.in_domain("https://www.example.com/zhengce/content_1.htm")


def test_api_page_gives_details_with_hints_and_next_page():
    spider = GovCnSpider(start_url=API.format(p=1))
    out = requests_from(
        spider, FIX / "search-gov/data__t=zhengcelibrary_gw_p=1_n=2.json", API.format(p=1)
    )
    details = [r for r in out if r.meta.get("gazette_detail")]
    lists = [r for r in out if not r.meta.get("gazette_detail")]
    assert [r.url for r in details] == [
        "https://www.gov.cn/zhengce/content/2024-03/08/content_6937701.htm",
        "https://www.gov.cn/zhengce/content/2024-01/19/content_6927302.htm",
    ]
    hints = details[0].meta["gazette_hints"]
    assert hints["doc_number"] == "国办发〔2024〕9号"
    assert hints["date"] == "2024-03-08"
    assert hints["issuer"] == "国务院办公厅"
    assert [r.url for r in lists] == [API.format(p=2)]
    assert "gazette_detail" not in lists[0].meta


def test_last_api_page_stops():
    spider = GovCnSpider(start_url=API.format(p=1))
    out = requests_from(
        spider, FIX / "search-gov/data__t=zhengcelibrary_gw_p=2_n=2.json", API.format(p=2)
    )
    assert [r.url for r in out] == [
        "https://www.gov.cn/zhengce/content/2021-06/30/content_5621803.htm"
    ]


def test_since_skips_old_entries_and_stops_paging():
    spider = GovCnSpider(start_url=API.format(p=1), since="2024-02-01")
    out = requests_from(
        spider, FIX / "search-gov/data__t=zhengcelibrary_gw_p=1_n=2.json", API.format(p=1)
    )
    assert [r.url for r in out if r.meta.get("gazette_detail")] == [
        "https://www.gov.cn/zhengce/content/2024-03/08/content_6937701.htm"
    ]
    spider = GovCnSpider(start_url=API.format(p=1), since="2023-01-01")
    out = requests_from(
        spider, FIX / "search-gov/data__t=zhengcelibrary_gw_p=2_n=2.json", API.format(p=2)
    )
    assert out == []


def test_html_list_with_create_page_html():
    url = "https://www.gov.cn/zhengce/zuixin/index.htm"
    spider = GovCnSpider(start_url="https://www.gov.cn/zhengce/zuixin/")
    out = requests_from(spider, FIX / "zhengce/zuixin/index.htm", url)
    details = [r.url for r in out if r.meta.get("gazette_detail")]
    lists = [r.url for r in out if not r.meta.get("gazette_detail")]
    assert details == [
        "https://www.gov.cn/zhengce/content/2024-03/08/content_6937701.htm",
        "https://www.gov.cn/zhengce/content/2024-01/19/content_6927302.htm",
    ]
    assert lists == ["https://www.gov.cn/zhengce/zuixin/index_1.htm"]  # no pdf, no off-site


def test_max_pages_limits_list_pages():
    spider = GovCnSpider(start_url=API.format(p=1), max_pages=1)
    spider.list_pages_requested = 1  # the start page
    out = requests_from(
        spider, FIX / "search-gov/data__t=zhengcelibrary_gw_p=1_n=2.json", API.format(p=1)
    )
    assert all(r.meta.get("gazette_detail") for r in out) and len(out) == 2


def test_crawl_local_copy(local_site, copy_site, run_crawl, tmp_path):
    site = copy_site(FIX)
    base = local_site(site)
    # the API's absolute www.gov.cn links now point at the local server
    for path in (site / "search-gov").glob("*.json"):
        path.write_text(path.read_text("utf-8").replace("https://www.gov.cn", base), "utf-8")
    items, stats = run_crawl(
        "gov_cn", {"start_url": f"{base}/search-gov/data?t=zhengcelibrary_gw&p=1&n=2"}
    )
    urls = sorted(i["url"] for i in items)
    assert urls == sorted(
        f"{base}/zhengce/content/{p}"
        for p in (
            "2024-03/08/content_6937701.htm",
            "2024-01/19/content_6927302.htm",
            "2021-06/30/content_5621803.htm",
        )
    )
    assert all(i["spider"] == "gov_cn" for i in items)
    assert stats.get("downloader/response_status_count/200", 0) >= 5
