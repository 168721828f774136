"""gov_cn on fixtures modelled on real answers (tests/fixtures/gov_cn/SOURCES.txt).

The policy library's search API in both forms (flat ``searchVO.listVO`` for
``t=zhengcelibrary_gw``, ``catMap`` for combined ``t=``), ``code`` 1001 ending the
paging, and ``ZUIXINZHENGCE.json`` (upper-case keys) as a start URL.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import FIXTURES, fixture_response
from scrapy.http import Request, TextResponse

from gazette.spiders.base import EMPTY_LIST_STAT
from gazette.spiders.gov_cn import GOV_CN_API, GOV_CN_ZUIXIN, GovCnSpider

FIX = FIXTURES / "gov_cn"
API = "https://sousuo.www.gov.cn/search-gov/data?t=zhengcelibrary_gw&p={p}&n=2"
SHARED = Path(__file__).resolve().parents[2] / "shared" / "conformance" / "govcn"
CATMAP = "https://sousuo.www.gov.cn/search-gov/data?t=zhengcelibrary&p={p}&n=2"


class Stats:
    def __init__(self) -> None:
        self.values: dict[str, int] = {}

    def inc_value(self, key: str, count: int = 1) -> None:
        self.values[key] = self.values.get(key, 0) + count


def spider(**kw) -> GovCnSpider:
    s = GovCnSpider(**kw)
    s.crawler = type("C", (), {"stats": Stats()})()  # type: ignore[assignment]
    return s


def requests_from(s: GovCnSpider, path: Path, url: str) -> list[Request]:
    return [r for r in s.parse_list(fixture_response(path, url)) if isinstance(r, Request)]


def answer(url: str, data) -> TextResponse:
    body = json.dumps(data, ensure_ascii=False).encode("utf-8")
    return TextResponse(
        url, body=body, encoding="utf-8", headers={"Content-Type": "application/json"}
    )


def test_defaults_and_docstring():
    s = GovCnSpider()
    assert s.start_urls == [GOV_CN_API]
    assert "Issuing body" in (GovCnSpider.__doc__ or "")
    assert s.in_domain("https://www.gov.cn/zhengce/content/202609/content_7080735.htm")
    assert not s.in_domain("https://www.example.com/zhengce/content_1.htm")
    # the script-rendered HTML page is replaced by the file its script loads
    assert GovCnSpider(start_url="https://www.gov.cn/zhengce/zuixin/").start_urls == [GOV_CN_ZUIXIN]


def test_flat_list_vo_details_hints_and_next_page():
    s = spider(start_url=API.format(p=1))
    out = requests_from(
        s, FIX / "search-gov/data__t=zhengcelibrary_gw_p=1_n=2.json", API.format(p=1)
    )
    details = [r for r in out if r.meta.get("gazette_detail")]
    assert [r.url for r in details] == [
        "https://www.gov.cn/zhengce/content/2024-03/08/content_6937701.htm",
        "https://www.gov.cn/zhengce/content/2024-01/19/content_6927302.htm",
    ]
    hints = details[0].meta["gazette_hints"]
    assert hints == {
        "title": "国务院办公厅关于推进公共文化设施错时延时开放的通知",
        "date": "2024-03-08",
        "doc_number": "国办发〔2024〕9号",
        "issuer": "国务院办公厅",
    }
    assert [r.url for r in out if not r.meta.get("gazette_detail")] == [API.format(p=2)]


def test_totalpage_ends_paging():
    s = spider(start_url=API.format(p=1))
    out = requests_from(
        s, FIX / "search-gov/data__t=zhengcelibrary_gw_p=2_n=2.json", API.format(p=2)
    )
    assert [r.url for r in out] == [
        "https://www.gov.cn/zhengce/content/2021-06/30/content_5621803.htm"
    ]


def test_catmap_form_every_category_and_next_page_while_a_list_is_full():
    s = spider(start_url=CATMAP.format(p=1))
    out = requests_from(
        s, FIX / "search-gov/data__t=zhengcelibrary_p=1_n=2.json", CATMAP.format(p=1)
    )
    details = [r for r in out if r.meta.get("gazette_detail")]
    assert sorted(r.url.rsplit("/", 1)[1] for r in details) == [
        "content_7076402.htm",
        "content_7076601.htm",
        "content_7076655.htm",  # bumenfile
    ]
    by_url = {r.url.rsplit("/", 1)[1]: r.meta["gazette_hints"] for r in details}
    assert by_url["content_7076655.htm"]["doc_number"] == "交运规〔2026〕5号"
    assert by_url["content_7076601.htm"]["date"] == "2026-07-24"
    # gongwen holds n=2 entries: there may be more
    assert [r.url for r in out if not r.meta.get("gazette_detail")] == [CATMAP.format(p=2)]
    # a page on which no list is full is the last one
    data = json.loads((FIX / "search-gov/data__t=zhengcelibrary_p=1_n=2.json").read_text("utf-8"))
    data["searchVO"]["catMap"]["gongwen"]["listVO"] = data["searchVO"]["catMap"]["gongwen"][
        "listVO"
    ][:1]
    data["searchVO"]["catMap"]["gongwen"]["listVO"][0]["url"] += "?x"
    out = list(spider(start_url=CATMAP.format(p=1)).parse_list(answer(CATMAP.format(p=2), data)))
    assert all(r.meta.get("gazette_detail") for r in out)


def test_code_1001_ends_paging_and_on_page_one_fails_loudly(caplog):
    s = spider(start_url=API.format(p=1))
    # only "code" of the 1001 answer is known (conformance README: holiday-cn's fetch.py)
    assert list(s.parse_list(answer(API.format(p=3), {"code": 1001}))) == []
    assert s.crawler.stats.values == {"gazette/govcn/no_match": 1}
    assert list(s.parse_list(answer(API.format(p=1), {"code": 1001}))) == []
    assert s.crawler.stats.values[EMPTY_LIST_STAT] == 1
    assert API.format(p=1) in caplog.text
    # a 200 answer without entries on the first page is a changed platform too
    empty = {"code": 200, "msg": "操作成功", "data": None, "searchVO": {"listVO": []}}
    assert list(s.parse_list(answer(API.format(p=1), empty))) == []
    assert s.crawler.stats.values[EMPTY_LIST_STAT] == 2


def test_zuixinzhengce_json_upper_case_keys_one_page():
    s = spider(start_url=GOV_CN_ZUIXIN)
    out = requests_from(s, FIX / "zhengce/zuixin/ZUIXINZHENGCE.json", GOV_CN_ZUIXIN)
    assert [r.url for r in out] == [
        "https://www.gov.cn/zhengce/content/202609/content_7080735.htm",
        "https://www.gov.cn/zhengce/content/202609/content_7080627.htm",
    ]  # and no "next page" of a file
    assert out[0].meta["gazette_hints"]["date"] == "2026-09-11"
    assert (
        out[0].meta["gazette_hints"]["title"]
        == "国务院办公厅关于推进公共文化设施错时延时开放的通知"
    )


def test_since_skips_old_entries_and_stops_paging():
    s = spider(start_url=API.format(p=1), since="2024-02-01")
    out = requests_from(
        s, FIX / "search-gov/data__t=zhengcelibrary_gw_p=1_n=2.json", API.format(p=1)
    )
    assert [r.url for r in out if r.meta.get("gazette_detail")] == [
        "https://www.gov.cn/zhengce/content/2024-03/08/content_6937701.htm"
    ]
    s = spider(start_url=API.format(p=1), since="2024-04-01")
    out = requests_from(
        s, FIX / "search-gov/data__t=zhengcelibrary_gw_p=1_n=2.json", API.format(p=1)
    )
    assert out == []


def test_max_pages_limits_list_pages():
    s = spider(start_url=API.format(p=1), max_pages=1)
    s.list_pages_requested = 1  # the start page
    out = requests_from(
        s, FIX / "search-gov/data__t=zhengcelibrary_gw_p=1_n=2.json", API.format(p=1)
    )
    assert all(r.meta.get("gazette_detail") for r in out) and len(out) == 2


def test_crawl_local_copy(local_site, copy_site, run_crawl):
    site = copy_site(FIX)
    base = local_site(site)
    for path in site.rglob("*.json"):
        path.write_text(path.read_text("utf-8").replace("https://www.gov.cn", base), "utf-8")
    items, stats = run_crawl(
        "gov_cn", {"start_url": f"{base}/search-gov/data?t=zhengcelibrary_gw&p=1&n=2"}
    )
    assert sorted(i["url"] for i in items) == sorted(
        f"{base}/zhengce/content/{p}"
        for p in (
            "2024-03/08/content_6937701.htm",
            "2024-01/19/content_6927302.htm",
            "2021-06/30/content_5621803.htm",
        )
    )
    assert all(i["spider"] == "gov_cn" for i in items)
    assert stats.get(EMPTY_LIST_STAT, 0) == 0


def test_crawl_zuixinzhengce_from_the_html_page_url(local_site, copy_site, run_crawl):
    site = copy_site(FIX)
    base = local_site(site)
    for path in site.rglob("*.json"):
        path.write_text(path.read_text("utf-8").replace("https://www.gov.cn", base), "utf-8")
    items, stats = run_crawl("gov_cn", {"start_url": f"{base}/zhengce/zuixin/"})
    assert sorted(i["url"].rsplit("/", 1)[1] for i in items) == [
        "content_7080627.htm",
        "content_7080735.htm",
    ]
    assert stats.get("downloader/request_count") == 4  # robots.txt, the file, two pages


@pytest.mark.skipif(not SHARED.is_dir(), reason="../shared/conformance is absent")
def test_real_catmap_answer():
    url = CATMAP.format(p=1)
    s = spider(start_url=url)
    out = requests_from(s, SHARED / "search_gov_data_catmap.thirdparty-fixture.json", url)
    details = [r for r in out if r.meta.get("gazette_detail")]
    assert [r.meta["gazette_hints"]["doc_number"] for r in details] == [
        "国函〔2026〕80号",
        "交运发〔2026〕86号",
    ]
