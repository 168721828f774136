"""pingtan (a preset of fujian_trs) on fixtures modelled on the real pages (tests/fixtures/pingtan/SOURCES.txt).

Mixed trt list (static groups, then the search API from page maxStaticIndex+1),
fully dynamic list (no static items, classsql computed in a script), POSTed
search forms, fileno as the 文号 hint, file entries never fetched, the firewall's
2-byte answer retried, a removed document's meta-refresh stub counted.
"""

from __future__ import annotations

from pathlib import Path
from urllib.parse import parse_qs

import pytest
from conftest import FIXTURES, fixture_response
from scrapy.http import FormRequest, HtmlResponse, Request
from scrapy.utils.test import get_crawler

from gazette.spiders.base import EMPTY_LIST_STAT
from gazette.spiders.fujian_trs import FujianTrsSpider, trs_list
from gazette.spiders.pingtan import PingtanSpider

FIX = FIXTURES / "pingtan"
H = "https://www.pingtan.gov.cn"
MIXED = f"{H}/zwgk/zxwj/qgwhwj/"
DYNAMIC = f"{H}/zwgk/zfxxgk/gwhwj/hzgfxwj/"
SHARED = Path(__file__).resolve().parents[2] / "shared" / "conformance" / "pingtan"


def make(cls=PingtanSpider, **kw):
    crawler = get_crawler(cls)
    return cls.from_crawler(crawler, **kw)


def out_of(spider, path: Path, url: str, request: Request | None = None) -> list[Request]:
    meta = dict(request.meta) if request is not None else {"gazette_start": True}
    resp = fixture_response(path, url, meta=meta)
    if request is not None:
        resp.request = request
    callback = request.callback if request is not None and request.callback else spider.parse_list
    return [r for r in callback(resp) if isinstance(r, Request)]


def form(request: Request) -> dict[str, str]:
    return {k: v[0] for k, v in parse_qs(request.body.decode()).items()}


def test_defaults_are_a_preset_of_the_family():
    s = PingtanSpider()
    assert isinstance(s, FujianTrsSpider)
    assert s.site == "www.pingtan.gov.cn" and s.channelid == "200210"
    assert len(s.start_urls) == 4 and not s.api_mode
    one = PingtanSpider(column="502")
    assert one.api_mode and one.classsql == "chnlid=502"


def test_mixed_list_static_items_then_a_posted_search_form():
    s = make(start_url=MIXED)
    out = out_of(s, FIX / "zwgk/zxwj/qgwhwj/index.html", MIXED)
    details = [r.url for r in out if r.meta.get("gazette_detail")]
    assert details == [
        f"{H}/zwgk/zxwj/qgwhwj/202403/t20240311_90101.htm",
        f"{H}/zwgk/zfxxgk/gwhwj/hzgfxwj/202402/t20240226_90022.htm",
        f"{H}/zwgk/zxwj/qgwhwj/202312/t20231205_88803.htm",
        f"{H}/zwgk/zxwj/qgwhwj/202109/t20210917_30004.htm",
    ]
    searches = [r for r in out if not r.meta.get("gazette_detail")]
    assert len(searches) == 1  # no index_N.htm guessed from recordCount
    search = searches[0]
    assert isinstance(search, FormRequest) and search.method == "POST"
    assert search.url == f"{H}/fjdzapp/search"
    assert form(search) == {
        "channelid": "200210",
        "sortfield": "-docorderpri,-docreltime",
        "page": "3",  # maxStaticIndex 2 + 1
        "prepage": "2",
        "classsql": "chnlid=502",
    }
    assert search.headers[b"Content-Type"] == b"application/x-www-form-urlencoded"
    assert search.headers[b"X-Requested-With"] == b"XMLHttpRequest"
    assert search.headers[b"Referer"] == MIXED.encode()
    assert search.headers[b"Origin"] == H.encode()


def test_search_answer_entries_fileno_and_last_page():
    s = make(start_url=MIXED)
    search = [
        r for r in out_of(s, FIX / "zwgk/zxwj/qgwhwj/index.html", MIXED) if r.method == "POST"
    ][0]
    name = "search__channelid=200210_sortfield=-docorderpri%2C-docreltime_page=3_prepage=2_classsql=chnlid%3D502.json"
    out = out_of(s, FIX / "fjdzapp" / name, search.url, search)
    assert [r.url for r in out] == [
        f"{H}/zwgk/zxwj/qgwhwj/202108/t20210820_29901.htm",
        f"{H}/zwgk/zxwj/qgwhwj/202107/t20210709_29777.htm",
    ]  # page 3 of pageCount 3: no next page
    hints = out[0].meta["gazette_hints"]
    assert hints["doc_number"] == "岚综管〔2021〕30号"  # fileno
    assert hints["date"] == "2021-08-20"
    assert hints["issuer"] == "平潭综合实验区管委会"


def test_since_on_static_items_stops_before_the_search():
    s = make(start_url=MIXED, since="2024-03-01")
    out = out_of(s, FIX / "zwgk/zxwj/qgwhwj/index.html", MIXED)
    assert [r.url.rsplit("/", 1)[1] for r in out] == ["t20240311_90101.htm", "search"]
    s = make(start_url=MIXED, since="2025-01-01")
    assert out_of(s, FIX / "zwgk/zxwj/qgwhwj/index.html", MIXED) == []


def test_dynamic_list_has_no_static_items_and_searches_from_page_one():
    s = make(start_url=DYNAMIC)
    out = out_of(s, FIX / "zwgk/zfxxgk/gwhwj/hzgfxwj/index.html", DYNAMIC)
    assert [r.meta.get("gazette_detail") for r in out] == [None]
    assert form(out[0]) == {
        "channelid": "200210",
        "sortfield": "-pubdate",
        "page": "1",
        "prepage": "2",
        "classsql": "chnlid=1367",
    }
    assert s.crawler.stats.get_value(EMPTY_LIST_STAT) is None  # the API continues it


def test_dynamic_pages_file_entries_and_next_page():
    s = make(start_url=DYNAMIC)
    first = out_of(s, FIX / "zwgk/zfxxgk/gwhwj/hzgfxwj/index.html", DYNAMIC)[0]
    page1 = (
        FIX
        / "fjdzapp/search__channelid=200210_sortfield=-pubdate_page=1_prepage=2_classsql=chnlid%3D1367.json"
    )
    out = out_of(s, page1, first.url, first)
    # entry 1: docpuburl is a .pdf, chnldocurl the page; entry 2: only a .doc/.pdf → not fetched
    assert [r.url for r in out if r.meta.get("gazette_detail")] == [
        f"{H}/zwgk/zfxxgk/gwhwj/hzgfxwj/202605/t20260520_106801.htm"
    ]
    assert out[0].meta["gazette_hints"]["doc_number"] == "岚综管规〔2026〕2号"
    assert s.crawler.stats.get_value("gazette/fujian/file_entries") == 1
    nxt = [r for r in out if r.method == "POST"]
    assert [form(r)["page"] for r in nxt] == ["2"]
    page2 = (
        FIX
        / "fjdzapp/search__channelid=200210_sortfield=-pubdate_page=2_prepage=2_classsql=chnlid%3D1367.json"
    )
    out = out_of(s, page2, nxt[0].url, nxt[0])
    assert [r.url.rsplit("/", 1)[1] for r in out] == ["t20240226_90022.htm", "t20240110_86001.htm"]


def test_since_stops_the_search_paging():
    s = make(start_url=DYNAMIC, since="2026-01-01")
    first = out_of(s, FIX / "zwgk/zfxxgk/gwhwj/hzgfxwj/index.html", DYNAMIC)[0]
    page1 = (
        FIX
        / "fjdzapp/search__channelid=200210_sortfield=-pubdate_page=1_prepage=2_classsql=chnlid%3D1367.json"
    )
    out = out_of(s, page1, first.url, first)
    assert [r.url.rsplit("/", 1)[1] for r in out] == ["t20260520_106801.htm", "search"]
    page2 = (
        FIX
        / "fjdzapp/search__channelid=200210_sortfield=-pubdate_page=2_prepage=2_classsql=chnlid%3D1367.json"
    )
    assert out_of(s, page2, out[1].url, out[1]) == []  # only older entries: no page 3
    assert s.crawler.stats.get_value("gazette/details_before_since") == 2


def test_empty_first_search_page_fails_loudly(caplog):
    s = make(start_url=DYNAMIC)
    first = out_of(s, FIX / "zwgk/zfxxgk/gwhwj/hzgfxwj/index.html", DYNAMIC)[0]
    resp = HtmlResponse(first.url, body=b'{"pageCount": 0, "data": []}', request=first)
    assert list(s.parse_search(resp)) == []
    assert s.crawler.stats.get_value(EMPTY_LIST_STAT) == 1
    assert "chnlid=1367" in caplog.text


def test_firewall_two_byte_answer_is_retried_not_a_page():
    s = make(start_url=MIXED)
    request = s.detail_request(f"{H}/zwgk/zxwj/qgwhwj/202403/t20240312_90140.htm")
    resp = HtmlResponse(request.url, body=b"\r\n", request=request)
    out = list(s.parse_detail(resp))
    assert [r.url for r in out] == [f"{H}/zwgk/", request.url]  # warm-up visit, then the retry
    assert out[1].dont_filter and out[1].meta["retry_times"] == 1
    assert s.crawler.stats.get_value("gazette/fujian/firewall_blank") == 1
    assert s.crawler.stats.get_value("retry/reason_count/fujian_firewall_blank") == 1


def test_meta_refresh_stub_is_a_removed_document():
    s = make(start_url=MIXED)
    path = FIX / "zwgk/zfxxgk/gwhwj/hzgfxwj/202401/t20240110_86001.htm"
    out = list(
        s.parse_detail(
            fixture_response(path, f"{H}/zwgk/zfxxgk/gwhwj/hzgfxwj/202401/t20240110_86001.htm")
        )
    )
    assert out == []
    assert s.crawler.stats.get_value("gazette/fujian/removed_documents") == 1
    assert PingtanSpider.custom_settings["METAREFRESH_ENABLED"] is False  # never followed to ../


@pytest.mark.skipif(not SHARED.is_dir(), reason="../shared/conformance is absent")
def test_real_list_pages_scripts_are_read():
    from parsel import Selector

    def config(name: str):
        text = (SHARED / name).read_text("utf-8")
        return trs_list("\n".join(Selector(text).xpath("//script/text()").getall()))

    mixed = config("zwgk_zxwj_qgwhwj_index.abridged.html")
    assert (mixed.classsql, mixed.channelid, mixed.prepage, mixed.first_api_page) == (
        "chnlid=502",
        "200210",
        15,
        6,
    )
    dynamic = config("zwgk_zfxxgk_gwhwj_hzgfxwj_index.abridged.html")
    assert (dynamic.classsql, dynamic.dynamic, dynamic.prepage, dynamic.sortfield) == (
        "chnlid=1367",
        True,
        10,
        "-pubdate",
    )


def test_crawl_local_copy(local_site, copy_site, run_crawl):
    site = copy_site(FIX)
    base = local_site(site)
    for path in site.rglob("*.json"):
        path.write_text(path.read_text("utf-8").replace(H, base), "utf-8")
    items, stats = run_crawl(
        "pingtan", {"start_urls": f"{base}/zwgk/zxwj/qgwhwj/,{base}/zwgk/zfxxgk/gwhwj/hzgfxwj/"}
    )
    assert sorted(i["url"].rsplit("/", 1)[1] for i in items) == [
        "t20210709_29777.htm",
        "t20210820_29901.htm",
        "t20210917_30004.htm",
        "t20231205_88803.htm",
        "t20240226_90022.htm",
        "t20240311_90101.htm",
        "t20260520_106801.htm",
    ]
    by_name = {i["url"].rsplit("/", 1)[1]: i for i in items}
    assert by_name["t20260520_106801.htm"]["doc_number"] == "岚综管规〔2026〕2号"
    # pages that print no 文号 get the search entry's fileno (a page's own 文号 wins;
    # pages reached from a static list carry no entry, and stay without)
    assert by_name["t20210709_29777.htm"]["doc_number"] == "岚综管〔2021〕27号"
    assert by_name["t20210820_29901.htm"]["doc_number"] == "岚综管〔2021〕30号"
    assert by_name["t20231205_88803.htm"]["doc_number"] is None
    assert stats["gazette/fujian/removed_documents"] == 1
    assert stats["gazette/fujian/file_entries"] == 1
    assert stats.get(EMPTY_LIST_STAT, 0) == 0
    assert stats["downloader/request_method_count/POST"] >= 3  # the searches are POSTed forms
