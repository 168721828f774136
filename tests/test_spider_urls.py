"""urls: given pages only (-a urls=… / -a urls_file=…)."""

from __future__ import annotations

from conftest import FIXTURES

from gazette.spiders.urls import UrlsSpider

FIX = FIXTURES / "urls"


def test_arguments(tmp_path):
    listing = tmp_path / "u.txt"
    listing.write_text("# c\nhttp://h/a.html\n\nhttp://h/b.html\n", "utf-8")
    s = UrlsSpider(urls="http://h/x.html, http://h/y.html", urls_file=str(listing))
    assert s.given_urls == [
        "http://h/x.html",
        "http://h/y.html",
        "http://h/a.html",
        "http://h/b.html",
    ]


def test_crawl_urls_and_urls_file(local_site, run_crawl, tmp_path):
    base = local_site(FIX)
    listing = tmp_path / "urls.txt"
    listing.write_text((FIX / "urls.txt").read_text("utf-8").replace("{BASE}", base), "utf-8")
    items, stats = run_crawl("urls", {"urls_file": str(listing), "urls": f"{base}/a/notice-1.html"})
    assert sorted(i["url"] for i in items) == [f"{base}/a/notice-1.html", f"{base}/b/notice-2.htm"]
    assert stats.get("downloader/request_count", 0) <= 3  # robots.txt + two pages, no following
