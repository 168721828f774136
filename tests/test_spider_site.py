"""site: any site; in-domain list and detail links; notices only."""

from __future__ import annotations

from conftest import FIXTURES, fixture_response
from scrapy.http import Request

from gazette.spiders.site import SiteSpider

FIX = FIXTURES / "site"
BASE = "http://zixun.example.cn"


def test_needs_a_start_url():
    import asyncio

    import pytest

    spider = SiteSpider()

    async def first():
        async for r in spider.start():
            return r

    with pytest.raises(ValueError):
        asyncio.run(first())


def test_list_page_links():
    s = SiteSpider(start_url=f"{BASE}/zixun/")
    out = [
        r
        for r in s.parse_list(fixture_response(FIX / "zixun/index.html", f"{BASE}/zixun/"))
        if isinstance(r, Request)
    ]
    details = [r.url for r in out if r.meta.get("gazette_detail")]
    lists = [r.url for r in out if not r.meta.get("gazette_detail")]
    assert details == [
        f"{BASE}/zixun/3001.html",
        f"{BASE}/zixun/3002.html",
        f"{BASE}/zixun/3003.html",
    ]
    assert f"{BASE}/zixun/list_2.html" in lists
    assert not any("other-site" in u or u.endswith(".jpg") for u in details + lists)


def test_gbk_detail_page_is_decoded():
    resp = fixture_response(FIX / "zixun/3003.html", f"{BASE}/zixun/3003.html")
    assert resp.encoding in ("gbk", "gb18030", "cp936")
    assert "杭州市人民政府" in resp.text


def test_crawl_keeps_notices_only(local_site, run_crawl):
    base = local_site(FIX)
    items, stats = run_crawl("site", {"start_url": f"{base}/zixun/"})
    urls = sorted(i["url"] for i in items)
    assert urls == [f"{base}/zixun/3001.html", f"{base}/zixun/3003.html"]
    assert stats.get("gazette/non_notices_skipped", 0) == 2  # cleared placeholder + news
    assert stats.get("robotstxt/forbidden", 0) >= 1  # /admin/ is disallowed
    gbk = next(i for i in items if i["url"].endswith("3003.html"))
    assert "杭州市人民政府" in (gbk.get("title") or "")
