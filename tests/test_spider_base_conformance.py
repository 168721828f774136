"""base.py against the real platforms' quirks (``../shared/conformance/README.md``).

The six-argument ``createPageHTML``, upper-case entry keys (gov.cn
``ZUIXINZHENGCE.json``), ``fileno`` (Fujian TRS), Beijing-time epochs (gkmlpt),
and a list answer without entries counted and logged (``gazette/list/empty``).
"""

from __future__ import annotations

import json
import logging

from scrapy.http import HtmlResponse, Request, TextResponse

from gazette.spiders.base import (
    EMPTY_LIST_STAT,
    STILL_EMPTY_STAT,
    NoticeSpider,
    entry_hints,
    parse_date,
)
from tests.fakes import MetaState


class Spider(NoticeSpider):
    name = "t"


class Stats:
    def __init__(self) -> None:
        self.values: dict[str, int] = {}

    def inc_value(self, key: str, count: int = 1) -> None:
        self.values[key] = self.values.get(key, 0) + count


def with_stats(spider: NoticeSpider) -> Stats:
    stats = Stats()
    spider.crawler = type("C", (), {"stats": stats})()  # type: ignore[assignment]
    return stats


def html(url: str, body: str, **meta) -> HtmlResponse:
    return HtmlResponse(
        url, body=body.encode("utf-8"), encoding="utf-8", request=Request(url, meta=meta)
    )


def api(url: str, data) -> TextResponse:
    body = json.dumps(data, ensure_ascii=False).encode("utf-8")
    return TextResponse(
        url,
        body=body,
        encoding="utf-8",
        headers={"Content-Type": "application/json"},
        request=Request(url),
    )


def test_six_argument_create_page_html_pages_numbered_from_one():
    # the call as README.md of the conformance set quotes it (CSRC, 昆山, 邵阳 …)
    url = "http://www.example.gov.cn/fg/fg.shtml"
    page = html(
        url,
        "<html><body><div id='page_div'></div><script>"
        "createPageHTML('page_div', 5, 1, 'fg', 'shtml', 89);</script></body></html>",
    )
    out = [r.url for r in Spider(start_url=url).parse_list(page)]
    assert out == [f"http://www.example.gov.cn/fg/fg_{n}.shtml" for n in (2, 3, 4, 5)]


def test_four_argument_form_unchanged():
    url = "http://www.example.gov.cn/zc/index.html"
    page = html(url, "<script>createPageHTML(3, 0, 'index', 'html');</script>")
    out = [r.url for r in Spider(start_url=url).parse_list(page)]
    assert out == [
        "http://www.example.gov.cn/zc/index_1.html",
        "http://www.example.gov.cn/zc/index_2.html",
    ]


def test_epochs_are_beijing_time():
    # gkmlpt list answer: 1783353600 is 2026-07-07 00:00 +08:00 (2026-07-06 in UTC)
    assert parse_date(1783353600).isoformat() == "2026-07-07"
    assert parse_date(1783353600 * 1000).isoformat() == "2026-07-07"  # milliseconds
    assert parse_date(1783353600 - 1).isoformat() == "2026-07-06"
    assert entry_hints({"title": "t", "url": "u", "date": 1783353600})["date"] == "2026-07-07"


def test_upper_case_keys_and_fileno():
    hints = entry_hints(
        {"TITLE": "市场监督管理所条例", "SUB_TITLE": "", "URL": "u", "DOCRELPUBTIME": "2026-09-11"}
    )
    assert hints == {"title": "市场监督管理所条例", "date": "2026-09-11"}
    hints = entry_hints({"doctitle": "通知", "chnldocurl": "u", "fileno": "岚综管规〔2026〕1号"})
    assert hints["doc_number"] == "岚综管规〔2026〕1号"


def test_bare_array_answer_is_one_page():
    url = "https://www.gov.cn/zhengce/zuixin/ZUIXINZHENGCE.json"
    data = [
        {
            "TITLE": "市场监督管理所条例",
            "SUB_TITLE": "",
            "URL": "https://www.gov.cn/zhengce/content/202609/content_7080735.htm",
            "DOCRELPUBTIME": "2026-09-11",
        }
    ]
    out = list(Spider(start_url=url).parse_list(api(url, data)))
    assert [r.url for r in out] == [data[0]["URL"]]
    assert out[0].meta["gazette_hints"]["date"] == "2026-09-11"


def test_json_answer_without_entries_is_counted_and_logged(caplog):
    url = "https://x.gov.cn/api?page=1"
    spider = Spider(start_url=url)
    stats = with_stats(spider)
    with caplog.at_level(logging.WARNING):
        assert list(spider.parse_list(api(url, {"code": 200, "data": []}))) == []
    assert stats.values == {EMPTY_LIST_STAT: 1}
    assert url in caplog.text
    # a later page that is empty is the end of the list, not a change
    assert list(spider.parse_list(api("https://x.gov.cn/api?page=3", {"data": []}))) == []
    assert stats.values == {EMPTY_LIST_STAT: 1}


def test_start_page_without_detail_links_is_counted():
    url = "https://x.gov.cn/list/"
    spider = Spider(start_url=url)
    stats = with_stats(spider)
    page = html(url, "<html><body><div id='app'></div></body></html>", gazette_start=True)
    assert list(spider.parse_list(page)) == []
    assert stats.values == {EMPTY_LIST_STAT: 1}
    # the same page reached by a link is not a start page: not counted
    assert list(spider.parse_list(html(url + "x/", "<html><body></body></html>"))) == []
    assert stats.values == {EMPTY_LIST_STAT: 1}


def run_once(state: MetaState, url: str, body: str, reason: str = "finished") -> dict[str, int]:
    """One run of a spider over one start list page; → its stats."""
    spider = Spider(start_url=url)
    stats = Stats()
    spider.crawler = type("C", (), {"stats": stats, "_gazette_state": state})()  # type: ignore[assignment]
    list(spider.parse_list(html(url, body, gazette_start=True)))
    spider.closed(reason)
    return stats.values


def test_an_empty_list_fails_the_first_night_only_when_it_had_entries():
    """Issue 11 point 7: empty where the last run found some (or a new list) fails;
    a list empty in the last run too is counted apart and does not fail again."""
    state = MetaState()
    url = "https://x.gov.cn/list/"
    empty = "<html><body><div id='app'></div></body></html>"
    full = (
        "<html><body><a href='/list/202601/t20260105_1.html'>关于印发某办法的通知</a></body></html>"
    )
    assert run_once(state, url, full) == {}
    assert run_once(state, url, empty) == {EMPTY_LIST_STAT: 1}  # it had entries: news
    assert run_once(state, url, empty) == {STILL_EMPTY_STAT: 1}  # empty last night too
    assert run_once(state, url, full) == {}
    assert run_once(state, url, empty) == {EMPTY_LIST_STAT: 1}  # had entries again
    # a new list that is empty from its first run fails too (a wrong start URL)
    assert run_once(state, url + "new/", empty) == {EMPTY_LIST_STAT: 1}


def test_a_run_cut_short_keeps_the_last_runs_empty_lists():
    state = MetaState()
    empty = "<html><body></body></html>"
    assert run_once(state, "https://x.gov.cn/a/", empty) == {EMPTY_LIST_STAT: 1}
    # a run cut short that only saw list b: list a stays known as empty
    assert run_once(state, "https://x.gov.cn/b/", empty, "closespider_timeout") == {
        EMPTY_LIST_STAT: 1
    }
    assert run_once(state, "https://x.gov.cn/a/", empty) == {STILL_EMPTY_STAT: 1}
    # a finished run replaces the set: b was not empty in it
    assert run_once(state, "https://x.gov.cn/b/", empty) == {EMPTY_LIST_STAT: 1}


def test_a_posted_search_is_keyed_by_its_form():
    from gazette.spiders.listhistory import list_key

    one = list_key("POST", "https://x.gov.cn/fjdzapp/search", b"channelid=1&page=1")
    two = list_key("POST", "https://x.gov.cn/fjdzapp/search", b"channelid=2&page=1")
    assert one != two and one == list_key(
        "POST", "https://x.gov.cn/fjdzapp/search", b"channelid=1&page=1"
    )
