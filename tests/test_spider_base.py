"""The shared list → detail machinery of gazette.spiders.base."""

from __future__ import annotations

from scrapy.http import HtmlResponse, Request

from gazette.spiders.base import NoticeSpider, is_detail_url


class Demo(NoticeSpider):
    name = "demo_base"


def page(url: str, body: str) -> HtmlResponse:
    html = f'<html><head><meta charset="utf-8"></head><body>{body}</body></html>'
    return HtmlResponse(url, body=html.encode("utf-8"), request=Request(url))


def urls(out) -> tuple[list[str], list[str]]:
    out = [r for r in out if isinstance(r, Request)]
    return (
        [r.url for r in out if r.meta.get("gazette_detail")],
        [r.url for r in out if not r.meta.get("gazette_detail")],
    )


def test_detail_shapes():
    for url in (
        "http://a.gov.cn/x/202402/t20240222_87407.htm",
        "http://a.gov.cn/art/2024/2/22/art_1229_5871.html",
        "http://a.gov.cn/zwgk/content_7712.html",
        "http://a.gov.cn/gkmlpt/content/1/2/post_3.html",
        "http://a.gov.cn/c100001/2024-02-22/5566.shtml",
    ):
        assert is_detail_url(url), url
    for url in ("http://a.gov.cn/x/index_3.html", "http://a.gov.cn/x/", "http://a.gov.cn/a.pdf"):
        assert not is_detail_url(url), url


def test_create_page_html_with_variables():
    s = Demo(start_url="http://a.gov.cn/tzgg/")
    resp = page(
        "http://a.gov.cn/tzgg/",
        '<a href="./202401/t20240105_1.html">甲</a>'
        "<script>var countPage = 4;var currentPage = 0;"
        'createPageHTML(countPage, currentPage, "index", "shtml");</script>',
    )
    details, lists = urls(s.parse_list(resp))
    assert details == ["http://a.gov.cn/tzgg/202401/t20240105_1.html"]
    assert lists == [f"http://a.gov.cn/tzgg/index_{n}.shtml" for n in (1, 2, 3)]


def test_record_count_and_next_links_and_limits():
    s = Demo(start_url="http://a.gov.cn/list/index.html", max_pages=3)
    s.list_pages_requested = 1
    resp = page(
        "http://a.gov.cn/list/index.html",
        '<a href="index_1.html">下一页</a><a href="http://b.gov.cn/t20240101_1.htm">外站</a>'
        '<a href="javascript:void(0)">x</a><a href="/files/a.docx">附件</a>'
        "<script>var recordCount = 95; var pageSize = 20;</script>",
    )
    details, lists = urls(s.parse_list(resp))
    assert details == []
    assert lists == ["http://a.gov.cn/list/index_1.html", "http://a.gov.cn/list/index_2.html"]


def test_next_link_texts():
    s = Demo(start_url="http://a.gov.cn/col/")
    resp = page("http://a.gov.cn/col/", '<a href="/col/more.jsp?p=2">下一页 &gt;</a>')
    assert urls(s.parse_list(resp))[1] == ["http://a.gov.cn/col/more.jsp?p=2"]


def test_ports_count_as_hosts():
    s = Demo(start_url="http://127.0.0.1:8001/")
    assert s.in_domain("http://127.0.0.1:8001/a/t20240101_1.htm")
    assert not s.in_domain("http://127.0.0.1:8002/a/t20240101_1.htm")


def test_max_notices_and_duplicates():
    s = Demo(start_url="http://a.gov.cn/", max_notices=2)
    body = "".join(f'<a href="/t2024010{n}_{n}.htm">{n}</a>' for n in (1, 2, 3, 1))
    details, _ = urls(s.parse_list(page("http://a.gov.cn/", body)))
    assert details == ["http://a.gov.cn/t20240101_1.htm", "http://a.gov.cn/t20240102_2.htm"]
