"""Chaos crawl: a site full of faults around real notices (issue 6, part 2).

The same generated site is crawled twice, in parallel subprocesses: served
clean (the reference) and served by :class:`faultserver.FaultServer` with every
fault of :data:`faultserver.FAULTY` at least once. The chaos crawl must end by
itself, export every reachable notice exactly once with the same record as
the clean crawl, count every fault under ``gazette/faults/<reason>`` and never
touch the other host.
"""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
from faultserver import FAULTY, ChaosSite, faults_in, run_crawl, serving

#: fields that legitimately differ between two fetches of the same notice
VOLATILE = ("url", "fetched_at")
SEED = 6
NOTICES = len(FAULTY) + 12


def _site(faults: bool) -> ChaosSite:
    forced = {i: name for i, name in enumerate(FAULTY)}
    return ChaosSite(
        notices=NOTICES, per_page=16, fault_ratio=0.0, seed=SEED, faults=faults, behaviours=forced
    )


@pytest.fixture(scope="module")
def crawls(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    tmp = tmp_path_factory.mktemp("chaos")
    clean_site, chaos_site = _site(False), _site(True)
    with serving(clean_site) as clean_srv, serving(chaos_site, timeout=2.0) as chaos_srv:
        started = time.monotonic()
        with ThreadPoolExecutor(2) as pool:
            # the reference: a generous timeout, so that a loaded CI box shows no fault
            clean = pool.submit(
                run_crawl,
                clean_srv.start_url,
                tmp,
                "clean",
                60.0,
                settings={"DOWNLOAD_TIMEOUT": 15},
            )
            chaos = pool.submit(run_crawl, chaos_srv.start_url, tmp, "chaos", 60.0)
            clean_result, chaos_result = clean.result(), chaos.result()
        return {
            "site": chaos_site,
            "clean": clean_result,
            "chaos": chaos_result,
            "seconds": time.monotonic() - started,
            "offsite_hits": chaos_srv.offsite_hits + clean_srv.offsite_hits,
            "server_hits": dict(chaos_srv.hits),
            "tmp": Path(tmp),
        }


def _by_docno(records: list[dict[str, Any]]) -> dict[str, list[dict[str, Any]]]:
    out: dict[str, list[dict[str, Any]]] = {}
    for r in records:
        out.setdefault(r.get("doc_number") or f"<none:{r.get('url')}>", []).append(r)
    return out


def test_site_has_every_fault() -> None:
    site = _site(True)
    assert {n.behaviour for n in site.notices} >= set(FAULTY)
    assert site.expected() and site.lost_by_design()


def test_crawl_ends_by_itself(crawls: dict[str, Any]) -> None:
    for name in ("clean", "chaos"):
        _, stats, _ = crawls[name]
        assert stats.get("finish_reason") == "finished", (name, stats.get("finish_reason"))
    assert crawls["seconds"] < 45


def test_clean_crawl_exports_every_notice(crawls: dict[str, Any]) -> None:
    records, _, _ = crawls["clean"]
    site = crawls["site"]
    got = _by_docno(records)
    assert sorted(got) == sorted(n.doc_number for n in site.notices)
    assert all(len(v) == 1 for v in got.values())


def test_every_reachable_notice_exported_once(crawls: dict[str, Any]) -> None:
    records, _, _ = crawls["chaos"]
    site = crawls["site"]
    got = _by_docno(records)
    expected = {n.doc_number: n.behaviour for n in site.expected()}
    lost = {d: b for d, b in expected.items() if d not in got}
    extra = sorted(set(got) - set(expected))
    dups = {d: len(v) for d, v in got.items() if len(v) > 1}
    assert not lost, f"reachable notices lost: {lost}"
    assert not extra, f"unexpected records: {extra}"
    assert not dups, f"duplicated: {dups}"


def test_chaos_records_match_clean_records(crawls: dict[str, Any]) -> None:
    clean = _by_docno(crawls["clean"][0])
    chaos = _by_docno(crawls["chaos"][0])
    behaviour = {n.doc_number: n.behaviour for n in crawls["site"].notices}
    diffs = {}
    for docno, (record,) in chaos.items():
        (reference,) = clean[docno]
        for key in reference:
            if key not in VOLATILE and record.get(key) != reference.get(key):
                diffs[(docno, behaviour.get(docno), key)] = (record.get(key), reference.get(key))
    assert not diffs


def test_every_fault_counted_under_its_reason(crawls: dict[str, Any]) -> None:
    _, stats, _ = crawls["chaos"]
    counted = faults_in(stats)
    missing = {
        reason: (want, counted.get(reason, 0))
        for reason, want in crawls["site"].fault_reasons().items()
        if counted.get(reason, 0) < want
    }
    assert not missing, f"(wanted, counted) per reason: {missing}; all: {counted}"


def test_clean_crawl_counts_no_fault(crawls: dict[str, Any]) -> None:
    _, stats, _ = crawls["clean"]
    assert faults_in(stats) == {}


def test_nothing_off_site_fetched(crawls: dict[str, Any]) -> None:
    assert crawls["offsite_hits"] == []
    _, stats, _ = crawls["chaos"]
    assert faults_in(stats).get("offsite", 0) >= 1
    # every request the downloader sent reached the chaos server: no other host
    assert stats["downloader/request_count"] == sum(crawls["server_hits"].values())


def test_no_page_fetched_more_than_its_faults_need(crawls: dict[str, Any]) -> None:
    """Retries are bounded: no URL was requested more than RETRY_TIMES + 1 times."""
    hits = crawls["server_hits"]
    assert max(hits.values()) <= 4, {k: v for k, v in hits.items() if v > 4}


# -- the classification behind the counts -------------------------------------------------------


def test_exception_reasons() -> None:
    from scrapy.exceptions import (
        DownloadCancelledError,
        DownloadConnectionRefusedError,
        DownloadFailedError,
        DownloadTimeoutError,
        IgnoreRequest,
        ResponseDataLossError,
    )
    from twisted.internet import error
    from twisted.web._newclient import ResponseNeverReceived

    from gazette.crawl.faults import exception_reason

    cancelled = DownloadCancelledError(
        "Expected to receive 2000000 bytes which is larger than download max size (1048576)"
    )
    assert exception_reason(DownloadTimeoutError()) == "timeout"
    assert exception_reason(error.TimeoutError()) == "timeout"
    assert exception_reason(ResponseDataLossError()) == "truncated"
    assert exception_reason(cancelled) == "too_large"
    assert exception_reason(DownloadCancelledError()) == "too_large"  # streamed: no message
    assert exception_reason(DownloadFailedError()) == "connection_lost"
    assert exception_reason(error.ConnectionLost()) == "connection_lost"
    assert exception_reason(ResponseNeverReceived([])) == "connection_lost"
    assert exception_reason(DownloadConnectionRefusedError()) == "connection_refused"
    assert exception_reason(IgnoreRequest("Forbidden by robots.txt")) == "robots_disallowed"
    assert exception_reason(IgnoreRequest("seen detail page: x")) is None
    assert exception_reason(ValueError("x")) == "other_valueerror"


def test_page_reasons() -> None:
    from faultserver import JS_SHELL, PLACEHOLDER, ChaosSite, notice_html

    from gazette.crawl.faults import page_faults

    notice = ChaosSite(notices=1, faults=False).notices[0]
    html = "text/html; charset=utf-8"
    assert page_faults(notice_html(notice).encode(), html) == []
    assert page_faults(b"   \n", html) == ["empty"]
    assert page_faults(b"<html><body><p> </p></body></html>", html) == ["empty"]
    assert page_faults(JS_SHELL.encode(), html) == ["js_shell"]
    assert page_faults(PLACEHOLDER.encode(), html) == ["placeholder"]
    assert page_faults(notice_html(notice, malformed=True).encode(), html) == ["malformed_html"]
    assert page_faults(notice_html(notice).encode("gbk"), html) == ["encoding_mismatch"]
    assert page_faults(notice_html(notice).encode(), "text/html; charset=gbk") == [
        "encoding_mismatch"
    ]
    assert page_faults(notice_html(notice).encode(), "application/octet-stream") == ["content_type"]
    assert page_faults(b'{"total": 2, "articles": []}', "application/json") == []
    assert page_faults(b"User-agent: *", "text/plain") == []


def test_missing_robots_txt_is_no_fault() -> None:
    from scrapy.http import Request, Response
    from scrapy.utils.test import get_crawler

    from gazette.crawl.faults import FaultStatsMiddleware
    from gazette.spiders.site import SiteSpider

    crawler = get_crawler(SiteSpider)
    crawler.spider = SiteSpider(start_url="http://127.0.0.1:8000/")
    mw = FaultStatsMiddleware.from_crawler(crawler)
    for url, status in (
        ("http://127.0.0.1:8000/robots.txt", 404),
        ("http://127.0.0.1:8000/a", 404),
    ):
        mw.process_response(Request(url), Response(url, status=status))
    assert crawler.stats.get_value("gazette/faults/http_404") == 1
