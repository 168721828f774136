"""Safety (issue 6, part 5): stay on the crawl's hosts, cap sizes, no XML entities.

* requests and redirects never leave the spider's hosts (``allowed_hosts`` of
  :class:`gazette.spiders.base.NoticeSpider`, Scrapy's ``allowed_domains`` otherwise):
  :class:`gazette.crawl.faults.FaultStatsMiddleware` drops them and counts ``offsite``;
* response sizes are capped (``DOWNLOAD_MAXSIZE``, also after decompression),
  data loss is an error, redirect chains are bounded;
* a crawl talks to nothing but its targets;
* HTML/XML parsing resolves no external entity and fetches no DTD.
"""

from __future__ import annotations

import gzip
import os
import re
from pathlib import Path
from typing import Any

import pytest
from faultserver import ROOT, ChaosSite, faults_in, notice_html, run_crawl, serving
from scrapy.exceptions import IgnoreRequest
from scrapy.http import HtmlResponse, Request

from gazette.crawl.faults import FaultStatsMiddleware, PageFaultMiddleware, gunzip_exceeds


def _crawler(spider: Any, **settings: Any) -> Any:
    from scrapy.utils.test import get_crawler

    crawler = get_crawler(type(spider), settings_dict=settings)
    crawler.spider = spider
    return crawler


def _site_spider(start: str = "http://127.0.0.1:8000/zwgk/index.html") -> Any:
    from gazette.spiders.site import SiteSpider

    return SiteSpider(start_url=start)


# -- the guard, unit level ------------------------------------------------------------------


@pytest.mark.parametrize(
    "url, allowed",
    [
        ("http://127.0.0.1:8000/zwgk/t20240101_1.htm", True),
        ("http://127.0.0.1:8000/robots.txt", True),
        ("http://127.0.0.1:8001/zwgk/t20240101_1.htm", False),  # another port, another site
        ("http://localhost:8000/zwgk/t20240101_1.htm", False),
        ("http://evil.127.0.0.1.nip.io:8000/", False),
        ("https://www.gov.cn/", False),
        ("http://127.0.0.1:8000@evil.example/", False),  # userinfo trick
    ],
)
def test_guard_keeps_requests_on_the_spider_hosts(url: str, allowed: bool) -> None:
    spider = _site_spider()
    crawler = _crawler(spider)
    mw = FaultStatsMiddleware.from_crawler(crawler)
    if allowed:
        assert mw.process_request(Request(url)) is None
    else:
        with pytest.raises(IgnoreRequest):
            mw.process_request(Request(url))
        assert crawler.stats.get_value("gazette/faults/offsite") == 1


def test_guard_drops_off_site_redirects_before_they_are_followed() -> None:
    spider = _site_spider()
    crawler = _crawler(spider)
    mw = FaultStatsMiddleware.from_crawler(crawler)
    request = Request("http://127.0.0.1:8000/zwgk/t20240101_1.htm")
    for location in (b"http://127.0.0.1:9/x.htm", b"//evil.example/x", b"https://www.gov.cn/"):
        response = HtmlResponse(
            request.url, status=302, headers={"Location": location}, request=request
        )
        with pytest.raises(IgnoreRequest):
            mw.process_response(request, response)
    same = HtmlResponse(request.url, status=301, headers={"Location": b"/zwgk/b.htm"})
    assert mw.process_response(request, same) is same
    assert crawler.stats.get_value("gazette/faults/offsite") == 3


def test_guard_counts_redirect_loops_and_long_chains() -> None:
    spider = _site_spider()
    crawler = _crawler(spider, REDIRECT_MAX_TIMES=3)
    mw = FaultStatsMiddleware.from_crawler(crawler)
    a, b = "http://127.0.0.1:8000/a.htm", "http://127.0.0.1:8000/b.htm"
    request = Request(b, meta={"redirect_urls": [a], "redirect_times": 1})
    mw.process_response(request, HtmlResponse(b, status=302, headers={"Location": a}))
    assert crawler.stats.get_value("gazette/faults/redirect_loop") == 1
    request = Request(b, meta={"redirect_urls": ["x", "y", "z"], "redirect_times": 3})
    mw.process_response(request, HtmlResponse(b, status=302, headers={"Location": "/c.htm"}))
    assert crawler.stats.get_value("gazette/faults/max_redirects") == 1


def test_guard_uses_allowed_domains_for_other_spiders() -> None:
    import scrapy

    class Plain(scrapy.Spider):
        name = "plain"
        allowed_domains = ["gov.cn"]

    crawler = _crawler(Plain())
    mw = FaultStatsMiddleware.from_crawler(crawler)
    assert mw.process_request(Request("https://www.gov.cn/zhengce/")) is None
    with pytest.raises(IgnoreRequest):
        mw.process_request(Request("https://gov.cn.evil.example/"))


def test_guard_can_be_turned_off() -> None:
    crawler = _crawler(_site_spider(), GAZETTE_OFFSITE_GUARD=False)
    mw = FaultStatsMiddleware.from_crawler(crawler)
    assert mw.process_request(Request("https://www.gov.cn/")) is None


# -- the project settings -------------------------------------------------------------------


def _project_settings() -> Any:
    from scrapy.utils.project import get_project_settings

    old = os.environ.get("SCRAPY_SETTINGS_MODULE")
    os.environ["SCRAPY_SETTINGS_MODULE"] = "gazette.settings"
    try:
        return get_project_settings()
    finally:
        if old is None:
            os.environ.pop("SCRAPY_SETTINGS_MODULE", None)
        else:
            os.environ["SCRAPY_SETTINGS_MODULE"] = old


def test_project_settings_cap_sizes_and_redirects() -> None:
    s = _project_settings()
    assert 0 < s.getint("DOWNLOAD_MAXSIZE") <= 16 * 1024 * 1024
    assert s.getbool("DOWNLOAD_FAIL_ON_DATALOSS") is True
    assert 0 < s.getint("REDIRECT_MAX_TIMES") <= 10
    assert 0 < s.getfloat("DOWNLOAD_TIMEOUT") <= 60
    assert s.getbool("ROBOTSTXT_OBEY") is True
    mws = s.getwithbase("DOWNLOADER_MIDDLEWARES")
    assert mws.get("gazette.crawl.faults.FaultStatsMiddleware") == 610
    assert mws.get("gazette.crawl.faults.PageFaultMiddleware") == 560
    assert s.getbool("GAZETTE_OFFSITE_GUARD") is True
    assert not s.getbool("TELNETCONSOLE_ENABLED")


def test_project_settings_keep_the_backoff_retry_middleware() -> None:
    """settings_robust extends DOWNLOADER_MIDDLEWARES instead of replacing it."""
    mws = _project_settings().getwithbase("DOWNLOADER_MIDDLEWARES")
    assert mws.get("gazette.crawl.retry.BackoffRetryMiddleware") == 550
    assert mws.get("scrapy.downloadermiddlewares.retry.RetryMiddleware") is None
    assert mws.get("gazette.crawl.middlewares.SkipSeenDetailMiddleware") == 50


def test_gzip_bomb_check_is_bounded() -> None:
    bomb = gzip.compress(b"\0" * (64 << 20), compresslevel=9)  # 64 MiB in ~64 KiB
    assert len(bomb) < 200_000
    assert gunzip_exceeds(bomb, [b"gzip"], 1 << 20)
    assert not gunzip_exceeds(gzip.compress(b"<html>ok</html>"), [b"gzip"], 1 << 20)
    assert not gunzip_exceeds(b"not gzip at all", [b"gzip"], 1 << 20)


def test_page_checks_are_linear_on_hostile_markup() -> None:
    import time

    crawler = _crawler(_site_spider())
    mw = PageFaultMiddleware.from_crawler(crawler)
    for body in (
        b"<script" * 200_000,
        b"<" * 1_000_000,
        b"<!--" * 200_000,
        b"<p " + b"a" * 1_000_000,
        b"</html>" * 100_000,
    ):
        t = time.monotonic()
        response = HtmlResponse("http://127.0.0.1:8000/a.htm", body=body)
        mw.process_response(Request(response.url), response)
        assert time.monotonic() - t < 1.0


# -- XML / entities -------------------------------------------------------------------------


def test_no_external_entity_or_dtd_is_fetched(tmp_path: Path) -> None:
    from gazette.extract import extract_html
    from gazette.text.page import build_page

    site = ChaosSite(notices=1, faults=False)
    with serving(site) as srv:
        secret = tmp_path / "secret.txt"
        secret.write_text("TOP-SECRET-CONTENT", "utf-8")
        head = (
            '<?xml version="1.0"?>'
            f'<!DOCTYPE html SYSTEM "{srv.base}/dtd/evil.dtd" ['
            f'<!ENTITY file SYSTEM "file://{secret}">'
            f'<!ENTITY net SYSTEM "{srv.base}/entity/evil.txt">]>'
        )
        page = head + notice_html(site.notices[0]).replace("<h1>", "<h1>&file;&net;", 1)
        record = extract_html(page.encode(), url=srv.base + "/a.htm")
        build_page(page)
        assert "TOP-SECRET" not in repr(record)
        assert srv.requests == 0, dict(srv.hits)


def test_no_xml_parser_in_the_project_resolves_entities() -> None:
    """Every lxml parser the package builds disables entities and network access."""
    offenders = []
    for path in sorted((ROOT / "gazette").rglob("*.py")):
        text = path.read_text("utf-8")
        for m in re.finditer(r"etree\.(XMLParser|HTMLParser)\((.*?)\)", text, re.S):
            args = m.group(2)
            if "no_network=True" not in args.replace(" ", ""):
                offenders.append(f"{path.name}: {m.group(0)[:80]}")
            if m.group(1) == "XMLParser" and "resolve_entities=False" not in args.replace(" ", ""):
                offenders.append(f"{path.name}: {m.group(0)[:80]}")
        for m in re.finditer(
            r"etree\.(XML|fromstring|parse)\((?![^()]*(?:\([^()]*\)[^()]*)*parser=)", text
        ):
            offenders.append(f"{path.name}: etree.{m.group(1)} without a parser")
        if re.search(r"^\s*(import|from)\s+xml\.(dom|sax|etree)", text, re.M):
            offenders.append(f"{path.name}: stdlib xml module")
    assert not offenders


# -- crawl level: nothing but the targets ------------------------------------------------------


def _redirect_site() -> ChaosSite:
    return ChaosSite(
        notices=6,
        per_page=6,
        fault_ratio=0.0,
        behaviours={0: "redirect_offsite", 1: "redirect_same_site", 2: "robots_disallowed"},
        list_faults=False,
    )


def test_crawl_fetches_nothing_off_site(tmp_path: Path) -> None:
    site = _redirect_site()
    with serving(site) as srv:
        records, stats, _ = run_crawl(srv.start_url, tmp_path, "safe", 40.0)
        assert srv.offsite_hits == []
        assert stats["downloader/request_count"] == srv.requests
        faults = faults_in(stats)
        # the redirect; off-site *links* are never requested (the spider skips them)
        assert faults.get("offsite", 0) == 1
        assert faults.get("placeholder", 0) == 1  # the cleared page, not the list linking it
    assert sorted(r["doc_number"] for r in records) == sorted(n.doc_number for n in site.expected())


def test_spider_alone_keeps_redirects_on_site(tmp_path: Path) -> None:
    site = _redirect_site()
    with serving(site) as srv:
        run_crawl(srv.start_url, tmp_path, "unguarded", 40.0, settings={"GAZETTE_OFFSITE_GUARD": 0})
        assert srv.offsite_hits == []
