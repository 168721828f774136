"""Pagination that ends on its own and a bounded frontier (issue 17, points 3 and 5).

Unit tests drive :class:`gazette.spiders.paging.PaginationMiddleware` with built
responses; crawl tests run real spiders (subprocesses) against the hostile lists of
:class:`faultserver.PagingServer`: a soft-404 list (every ``index_N.html`` past the
third answers with the third page and a 下一页 link), a 30-page list linked by 下一页
only, a JSON API that repeats its last page forever, and one list page with many
links (2,000 here; 100,000 in ``benchmarks/hostile_crawl.py``).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from faultserver import PagingSite, crawl_command, crawl_env, read_jsonl, serving_lists
from scrapy.http import HtmlResponse, Request, TextResponse
from scrapy.utils.test import get_crawler

from gazette.spiders.base import NoticeSpider
from gazette.spiders.paging import PaginationMiddleware


class Demo(NoticeSpider):
    name = "demo_paging"


def _mw(**settings: Any) -> tuple[PaginationMiddleware, Any]:
    crawler = get_crawler(Demo, settings_dict=settings)
    return PaginationMiddleware.from_crawler(crawler), crawler.stats


def _list_response(url: str, depth: int = 0, **meta: Any) -> HtmlResponse:
    request = Request(url, meta={"gazette_list": True, "depth": depth, **meta})
    return HtmlResponse(url, body=b"<html></html>", request=request)


def _detail(url: str) -> Request:
    return Request(url, meta={"gazette_detail": True})


def _page(url: str, hop: bool | None = None) -> Request:
    meta: dict[str, Any] = {"gazette_list": True}
    if hop is not None:
        meta["gazette_page_hop"] = hop
    return Request(url, meta=meta)


def _run(mw: PaginationMiddleware, response: HtmlResponse, out: list[Any]) -> list[Request]:
    return list(mw.process_spider_output(response, out))


# -- depth --------------------------------------------------------------------------------------


def test_next_page_hop_keeps_its_depth_past_depth_limit() -> None:
    mw, stats = _mw(DEPTH_LIMIT=2)
    resp = _list_response("http://a.gov.cn/tzgg/index_7.html", depth=2)
    out = _run(
        mw,
        resp,
        [
            _detail("http://a.gov.cn/tzgg/t20240101_1.htm"),
            _page("http://a.gov.cn/tzgg/index_8.html"),
        ],
    )
    # the detail is one level deeper (3 > DEPTH_LIMIT: dropped), the next page is not
    assert [(r.url, r.meta["depth"]) for r in out] == [("http://a.gov.cn/tzgg/index_8.html", 2)]
    assert out[0].meta["gazette_page_hop"] is True
    assert out[0].meta["gazette_list_id"] == "http://a.gov.cn/tzgg/index_7.html"
    assert stats.get_value("gazette/pagination/page_hops") == 1
    assert stats.get_value("depth/request_ignored_count") == 1


def test_column_link_and_links_from_details_count_as_depth() -> None:
    mw, _ = _mw(DEPTH_LIMIT=1)
    resp = _list_response("http://a.gov.cn/", depth=1)
    out = _run(mw, resp, [_page("http://a.gov.cn/zwgk/", hop=False)])
    assert out == []  # depth 2 > 1
    detail = HtmlResponse(
        "http://a.gov.cn/t20240101_1.htm",
        body=b"<html></html>",
        request=Request("http://a.gov.cn/t20240101_1.htm", meta={"depth": 0}),
    )
    (req,) = list(mw.process_spider_output(detail, [_page("http://a.gov.cn/zwgk/")]))
    assert req.meta["depth"] == 1 and req.meta["gazette_page_hop"] is False


def test_origin_travels_with_every_request() -> None:
    mw, _ = _mw()
    start = _list_response("http://a.gov.cn/tzgg/")
    d, p = _run(
        mw,
        start,
        [_detail("http://a.gov.cn/t20240101_1.htm"), _page("http://a.gov.cn/tzgg/index_1.html")],
    )
    assert d.meta["gazette_origin"] == p.meta["gazette_origin"] == "http://a.gov.cn/tzgg/"
    nxt = _list_response(p.url, **{k: v for k, v in p.meta.items() if k != "depth"})
    (p2,) = _run(
        mw,
        nxt,
        [_detail("http://a.gov.cn/t20240102_2.htm"), _page("http://a.gov.cn/tzgg/index_2.html")],
    )[1:]
    assert p2.meta["gazette_origin"] == "http://a.gov.cn/tzgg/"
    assert p2.meta["gazette_list_id"] == "http://a.gov.cn/tzgg/"


# -- patience -----------------------------------------------------------------------------------


def test_barren_pages_end_the_list_after_the_patience() -> None:
    mw, stats = _mw(GAZETTE_LIST_PATIENCE=2)
    base = "http://a.gov.cn/tzgg/"
    meta = {"gazette_list_id": base + "index.html", "gazette_origin": base + "index.html"}
    followed = []
    for n, details in enumerate([3, 0, 0, 0]):
        resp = _list_response(f"{base}index_{n}.html", **meta)
        out = [_detail(f"{base}t2024010{n}_{i}.htm") for i in range(details)]
        out.append(_page(f"{base}index_{n + 1}.html"))
        followed += [r.url for r in _run(mw, resp, out) if r.meta.get("gazette_list")]
    # page 0 has details, page 1 is the first barren one (patience 2: followed), page 2 ends
    # the list; page 3 (already on its way) adds nothing
    assert followed == [f"{base}index_1.html", f"{base}index_2.html"]
    assert stats.get_value("gazette/pagination/barren_pages") == 2
    assert stats.get_value("gazette/pagination/lists_ended_barren") == 1
    assert stats.get_value("gazette/pagination/pages_not_followed") == 2


def test_a_page_with_new_details_resets_the_streak() -> None:
    mw, stats = _mw(GAZETTE_LIST_PATIENCE=2)
    base = "http://a.gov.cn/tzgg/"
    meta = {"gazette_list_id": base, "gazette_origin": base, "gazette_page_hop": True}
    followed = 0
    for n, details in enumerate([0, 1, 0, 1, 0]):
        resp = _list_response(f"{base}index_{n}.html", **meta)
        out = [_detail(f"{base}t20240101_{n}.htm")] * details + [_page(f"{base}index_{n + 1}.html")]
        followed += sum(1 for r in _run(mw, resp, out) if r.meta.get("gazette_list"))
    assert followed == 5
    assert not stats.get_value("gazette/pagination/lists_ended_barren")


def test_script_page_count_goes_out_a_window_at_a_time() -> None:
    """``createPageHTML(500, …)`` on a soft-404 list: 500 next pages at once from the
    first page; they go out 4 at a time, and the patience ends the list early."""
    mw, stats = _mw(GAZETTE_LIST_PATIENCE=2, GAZETTE_LIST_WINDOW=4)
    base = "http://a.gov.cn/tzgg/"
    first = _list_response(f"{base}index.html")
    out = [_detail(f"{base}t20240101_1.htm")] + [
        _page(f"{base}index_{n}.html") for n in range(1, 500)
    ]
    sent = [r for r in _run(mw, first, out) if r.meta.get("gazette_list")]
    assert [r.url for r in sent] == [f"{base}index_{n}.html" for n in range(1, 5)]
    requested = len(sent) + 1
    while sent:  # every page past the first repeats it: no new detail link
        request = sent.pop(0)
        resp = _list_response(request.url, **{k: v for k, v in request.meta.items()})
        more = [r for r in _run(mw, resp, []) if r.meta.get("gazette_list")]
        requested += len(more)
        sent += more
    assert requested == 1 + 4 + 1  # the first window, then one more before the 2nd barren page
    assert stats.get_value("gazette/pagination/lists_ended_barren") == 1
    assert stats.get_value("gazette/pagination/pages_not_followed") == 499 - 5


def test_waiting_pages_go_out_when_the_crawl_is_idle() -> None:
    """A next page whose download failed never comes back: the idle crawl sends the rest."""
    from types import SimpleNamespace

    from scrapy.exceptions import DontCloseSpider

    mw, _ = _mw(GAZETTE_LIST_WINDOW=2)
    crawled: list[Request] = []
    mw.crawler.engine = SimpleNamespace(crawl=crawled.append)
    base = "http://a.gov.cn/tzgg/"
    out = [_detail(f"{base}t20240101_1.htm")] + [_page(f"{base}index_{n}.html") for n in (1, 2, 3)]
    sent = [
        r for r in _run(mw, _list_response(f"{base}index.html"), out) if r.meta.get("gazette_list")
    ]
    assert len(sent) == 2  # both fail (no response ever comes back)
    with pytest.raises(DontCloseSpider):
        mw.spider_idle(None)
    assert [r.url for r in crawled] == [f"{base}index_3.html"]
    mw.spider_idle(None)  # nothing waits any more: the crawl may close


def test_repeated_json_api_page_ends_the_list() -> None:
    """A JSON list API answering every page with the same entries (no total)."""
    mw, stats = _mw(GAZETTE_LIST_PATIENCE=2)
    spider = Demo(start_url="http://a.gov.cn/api/list?page=1")
    body = (
        b'{"articles": ['
        + b",".join(b'{"url": "/a/t2024010%d_%d.htm", "title": "t"}' % (i, i) for i in range(1, 4))
        + b"]}"
    )
    pages = 0
    url = "http://a.gov.cn/api/list?page=1"
    meta: dict[str, Any] = {"gazette_list": True, "depth": 0}
    while url and pages < 20:
        pages += 1
        resp = TextResponse(
            url,
            body=body,
            headers={"Content-Type": "application/json"},
            request=Request(url, meta=meta),
        )
        out = list(mw.process_spider_output(resp, spider.parse_list(resp)))
        nxt = [r for r in out if r.meta.get("gazette_list")]
        url = nxt[0].url if nxt else ""
        meta = {k: v for k, v in nxt[0].meta.items()} if nxt else meta
    assert pages == 3  # the real page, then two repeats (patience 2)
    assert stats.get_value("gazette/pagination/lists_ended_barren") == 1


# -- ceiling ------------------------------------------------------------------------------------


def test_ceiling_of_list_pages_per_start_url(caplog: pytest.LogCaptureFixture) -> None:
    mw, stats = _mw(GAZETTE_MAX_LIST_PAGES=3)
    base = "http://a.gov.cn/tzgg/"
    meta: dict[str, Any] = {}
    followed = []
    for n in range(6):
        resp = _list_response(f"{base}index_{n}.html", **meta)
        out = [_detail(f"{base}t20240101_{n}.htm"), _page(f"{base}index_{n + 1}.html")]
        nxt = [r for r in _run(mw, resp, out) if r.meta.get("gazette_list")]
        if not nxt:
            break
        followed.append(nxt[0].url)
        meta = {k: v for k, v in nxt[0].meta.items() if k != "depth"}
    assert followed == [f"{base}index_1.html", f"{base}index_2.html"]  # 3 with the start page
    assert stats.get_value("gazette/pagination/ceiling_reached") == 1
    assert stats.get_value("gazette/pagination/pages_over_ceiling") == 1
    assert "GAZETTE_MAX_LIST_PAGES reached" in caplog.text
    # another start URL has its own ceiling
    other = _list_response("http://a.gov.cn/other/")
    assert len(_run(mw, other, [_page("http://a.gov.cn/other/index_1.html")])) == 1


# -- crawls against the hostile lists ------------------------------------------------------------


def run_crawl(
    start_url: str,
    workdir: Path,
    name: str,
    timeout: float = 90,
    spider: str = "site",
    settings: dict[str, Any] | None = None,
    spider_args: dict[str, str] | None = None,
) -> tuple[list[dict[str, Any]], dict[str, Any], str]:
    """One crawl in a subprocess (``faultserver.crawl_command`` plus spider arguments)."""
    import json
    import subprocess

    from faultserver import ROOT

    feed, stats = workdir / f"{name}.jsonl", workdir / f"{name}-stats.json"
    # no near-duplicate stage: the generated notices are alike, and which of two is
    # kept depends on the order of the crawl
    base: dict[str, Any] = {
        "ITEM_PIPELINES": {
            "gazette.pipelines.p10_filter.FilterPipeline": 100,
            "gazette.pipelines.p20_normalize.NormalizePipeline": 200,
            "gazette.pipelines.p30_validate.ValidatePipeline": 300,
        }
    }
    base.update(settings or {})
    cmd = crawl_command(
        start_url, feed, workdir / f"{name}.sqlite3", stats, spider=spider, settings=base
    )
    for key, value in (spider_args or {}).items():
        cmd += ["-a", f"{key}={value}"]
    proc = subprocess.run(
        cmd, cwd=str(ROOT), env=crawl_env(), capture_output=True, text=True, timeout=timeout
    )
    assert proc.returncode == 0, proc.stderr[-4000:]
    data = json.loads(stats.read_text("utf-8")) if stats.exists() else {}
    return read_jsonl(feed), data, proc.stderr


def _paths(records: list[dict[str, Any]]) -> list[str]:
    """The exported records' URL paths (the generated 文号 of big ids are not all read)."""
    from urllib.parse import urlsplit

    return sorted(urlsplit(str(r.get("url"))).path for r in records)


def _all_exported(
    records: list[dict[str, Any]], stats: dict[str, Any], kind: str, lists: PagingSite
) -> None:
    """Every notice of list ``kind`` exported exactly once."""
    got = [p for p in _paths(records) if p.startswith(f"/paging/{kind}/")]
    assert got == sorted(n.path for n in lists.expected(kind))


@pytest.mark.parametrize("spider", ["site", "gov_cn", "pingtan", "fujian_trs"])
def test_soft_404_list_ends_on_its_own(spider: str, tmp_path: Path) -> None:
    lists = PagingSite(soft404_pages=3, per_page=5)
    with serving_lists(lists) as server:
        records, stats, log = run_crawl(
            lists.start_url(server.base, "soft404"), tmp_path, spider, timeout=90, spider=spider
        )
        list_pages = server.list_hits("soft404")
    assert stats.get("finish_reason") == "finished"
    assert list_pages == 3 + 2  # the 3 real pages, then the patience (2 barren pages)
    _all_exported(records, stats, "soft404", lists)
    assert stats.get("gazette/pagination/lists_ended_barren") == 1
    # (the site spider also meets barren pages of other lists: the detail pages' nav links)
    assert stats.get("gazette/pagination/barren_pages", 0) >= 2


@pytest.mark.parametrize("spider", ["site", "fujian_trs"])
def test_soft_404_list_with_a_lying_script_count(spider: str, tmp_path: Path) -> None:
    """``createPageHTML(500, …)`` on every page of a 3-page list whose server answers any
    ``index_N.html``: the pages go out a window at a time and the patience ends them."""
    lists = PagingSite(soft404_pages=3, per_page=5)
    with serving_lists(lists) as server:
        records, stats, _ = run_crawl(
            lists.start_url(server.base, "softjs"), tmp_path, spider, timeout=90, spider=spider
        )
        list_pages = server.list_hits("softjs")
    assert stats.get("finish_reason") == "finished"
    # 3 real pages, 2 barren ones, and what was already on its way (window 4): not 500
    assert 5 <= list_pages <= 3 + 2 + 4
    _all_exported(records, stats, "softjs", lists)
    assert stats.get("gazette/pagination/lists_ended_barren") == 1
    assert stats.get("gazette/pagination/pages_not_followed", 0) >= 499 - 9


@pytest.mark.parametrize("spider", ["pingtan", "gd_gkmlpt"])
def test_json_api_repeating_its_last_page_ends(spider: str, tmp_path: Path) -> None:
    lists = PagingSite(soft404_pages=3, per_page=5)
    with serving_lists(lists) as server:
        if spider == "gd_gkmlpt":
            host = server.base.split("://", 1)[1]
            args = {"site": f"{host}/paging", "scheme": "http", "sid": "1"}
            url = ""
        else:
            args, url = {}, lists.start_url(server.base, "api")
        records, stats, _ = run_crawl(
            url, tmp_path, spider, timeout=90, spider=spider, spider_args=args
        )
        pages = server.list_hits("api")
    assert stats.get("finish_reason") == "finished"
    assert pages == 3 + 2
    _all_exported(records, stats, "api", lists)
    assert stats.get("gazette/pagination/lists_ended_barren") == 1


def test_next_link_only_list_is_followed_past_depth_limit(tmp_path: Path) -> None:
    lists = PagingSite(nextonly_pages=30, per_page=5)
    with serving_lists(lists) as server:
        # the site spider's own DEPTH_LIMIT (4) applies: the crawl settings leave it alone
        records, stats, _ = run_crawl(
            lists.start_url(server.base, "nextonly"),
            tmp_path,
            "site",
            timeout=90,
            settings={"DEPTH_LIMIT": 4},
        )
        list_pages = server.list_hits("nextonly")
    assert list_pages == 30
    _all_exported(records, stats, "nextonly", lists)
    assert stats.get("gazette/pagination/page_hops") == 29
    assert not stats.get("gazette/pagination/lists_ended_barren")


def test_ceiling_reached_in_a_crawl(tmp_path: Path) -> None:
    lists = PagingSite(nextonly_pages=30, per_page=5)
    with serving_lists(lists) as server:
        records, stats, log = run_crawl(
            lists.start_url(server.base, "nextonly"),
            tmp_path,
            "pingtan",
            timeout=90,
            spider="pingtan",
            settings={"GAZETTE_MAX_LIST_PAGES": 10},
        )
        list_pages = server.list_hits("nextonly")
    assert list_pages == 10
    assert len(records) == 50
    assert stats.get("gazette/pagination/ceiling_reached") == 1
    assert "GAZETTE_MAX_LIST_PAGES reached" in log


def test_many_links_wait_in_the_frontier_and_all_are_crawled(tmp_path: Path) -> None:
    lists = PagingSite(huge_links=600)
    with serving_lists(lists) as server:
        records, stats, _ = run_crawl(
            lists.start_url(server.base, "huge"),
            tmp_path,
            "site",
            timeout=120,
            settings={"GAZETTE_FRONTIER_SCHEDULED": 50, "GAZETTE_FRONTIER_BATCH": 20},
        )
        details = server.detail_hits("huge")
    assert stats.get("finish_reason") == "finished"
    assert details == 600  # each detail page fetched once
    _all_exported(records, stats, "huge", lists)
    parked = stats.get("gazette/frontier/parked", 0)
    assert parked >= 400  # most of them: the scheduler took only about 50 (+ the downloads)
    assert stats.get("gazette/frontier/released") == parked
    assert 0 < stats.get("gazette/frontier/max_parked", 0) <= parked
    assert not stats.get("gazette/frontier/left_at_close")
    assert stats.get("scheduler/enqueued", 0) <= 600 + 50  # never all at once: see max_parked


def test_frontier_off_with_jobdir() -> None:
    from scrapy.exceptions import NotConfigured

    from gazette.spiders.paging import FrontierMiddleware

    crawler = get_crawler(Demo, settings_dict={"JOBDIR": "/tmp/x"})
    with pytest.raises(NotConfigured):
        FrontierMiddleware.from_crawler(crawler)
    crawler = get_crawler(Demo, settings_dict={"GAZETTE_FRONTIER_SCHEDULED": 0})
    with pytest.raises(NotConfigured):
        FrontierMiddleware.from_crawler(crawler)
