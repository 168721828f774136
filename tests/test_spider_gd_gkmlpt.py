"""gd_gkmlpt: /gkmlpt/index (SID) → JSON list API pages → post_N.html details."""

from __future__ import annotations

from conftest import FIXTURES, fixture_response
from scrapy.http import Request

from gazette.spiders.gd_gkmlpt import GdGkmlptSpider

FIX = FIXTURES / "gd_gkmlpt"
SITE = "www.sz.gov.cn"
API = f"http://{SITE}/gkmlpt/api/all/0?page={{p}}&sid=755001"


def spider(**kw):
    return GdGkmlptSpider(site=SITE, scheme="http", **kw)


def test_site_argument_builds_start_url():
    assert spider().start_urls == [f"http://{SITE}/gkmlpt/index"]
    assert GdGkmlptSpider().start_urls == ["https://www.gd.gov.cn/gkmlpt/index"]
    assert GdGkmlptSpider(site="https://www.gz.gov.cn/").base_url == "https://www.gz.gov.cn"


def test_index_gives_sid_and_first_api_page():
    s = spider()
    out = list(
        s.parse_index(fixture_response(FIX / "gkmlpt/index.html", f"http://{SITE}/gkmlpt/index"))
    )
    assert [r.url for r in out] == [API.format(p=1)]
    assert s.sid == "755001"
    assert "gazette_detail" not in out[0].meta


def test_api_page_details_hints_offsite_and_next():
    s = spider(sid="755001")
    out = [
        r
        for r in s.parse_list(
            fixture_response(FIX / "gkmlpt/api/all/0__page=1_sid=755001.json", API.format(p=1))
        )
        if isinstance(r, Request)
    ]
    details = [r for r in out if r.meta.get("gazette_detail")]
    assert [r.url for r in details] == [
        f"http://{SITE}/gkmlpt/content/5/5210/post_5210301.html",
        f"http://{SITE}/gkmlpt/content/5/5198/post_5198702.html",
    ]  # the www.szlg.gov.cn article is off-site
    assert details[0].meta["gazette_hints"]["date"] == "2024-02-28"
    assert details[0].meta["gazette_hints"]["doc_number"] == "深府办函〔2024〕15号"
    assert [r.url for r in out if not r.meta.get("gazette_detail")] == [API.format(p=2)]


def test_last_page_and_since():
    s = spider(sid="755001")
    first = fixture_response(FIX / "gkmlpt/api/all/0__page=1_sid=755001.json", API.format(p=1))
    assert len(list(s.parse_list(first))) == 3
    resp = fixture_response(FIX / "gkmlpt/api/all/0__page=2_sid=755001.json", API.format(p=2))
    assert [r.url for r in s.parse_list(resp)] == [
        f"http://{SITE}/gkmlpt/content/4/4987/post_4987603.html"
    ]
    s = spider(sid="755001", since="2024-02-15")
    resp = fixture_response(FIX / "gkmlpt/api/all/0__page=1_sid=755001.json", API.format(p=1))
    out = list(s.parse_list(resp))
    assert [r.url for r in out] == [
        f"http://{SITE}/gkmlpt/content/5/5210/post_5210301.html",
        API.format(p=2),
    ]
    resp = fixture_response(FIX / "gkmlpt/api/all/0__page=2_sid=755001.json", API.format(p=2))
    assert list(s.parse_list(resp)) == []  # older than since: no details, no further page


def test_crawl_local_copy(local_site, copy_site, run_crawl):
    site = copy_site(FIX)
    base = local_site(site)
    host = base.split("://", 1)[1]
    for path in (site / "gkmlpt/api/all").glob("*.json"):
        path.write_text(path.read_text("utf-8").replace(f"http://{SITE}", base), "utf-8")
    items, stats = run_crawl("gd_gkmlpt", {"site": host, "scheme": "http"})
    assert sorted(i["url"] for i in items) == sorted(
        f"{base}/gkmlpt/content/{p}"
        for p in (
            "5/5210/post_5210301.html",
            "5/5198/post_5198702.html",
            "4/4987/post_4987603.html",
        )
    )
