"""gd_gkmlpt on fixtures modelled on real answers (tests/fixtures/gd_gkmlpt/SOURCES.txt).

/gkmlpt/index (SID) → /gkmlpt/api/all/<column>?page=N&sid=… (no ``total``;
``classify.post_count``; ``date`` a Unix time at Beijing midnight) → post_N.html
details, some carrying the document only in ``window._CONFIG.DETAIL``.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import FIXTURES, fixture_response
from scrapy.http import Request, TextResponse

from gazette.extract import extract_response
from gazette.spiders.base import EMPTY_LIST_STAT
from gazette.spiders.gd_gkmlpt import GKMLPT_DELAY, GdGkmlptSpider

FIX = FIXTURES / "gd_gkmlpt"
SITE = "www.zhaoqing.gov.cn/zqhjj"
BASE = f"https://{SITE}"
API = BASE + "/gkmlpt/api/all/21023?page={p}&sid=758019"
PAGE = str(FIX / "zqhjj/gkmlpt/api/all/21023__page={p}_sid=758019.json")
CONTENT = BASE + "/gkmlpt/content/3/"
SHARED = Path(__file__).resolve().parents[2] / "shared" / "conformance" / "gkmlpt"


class Stats:
    def __init__(self) -> None:
        self.values: dict[str, int] = {}

    def inc_value(self, key: str, count: int = 1) -> None:
        self.values[key] = self.values.get(key, 0) + count


def spider(**kw) -> GdGkmlptSpider:
    s = GdGkmlptSpider(site=SITE, column="21023", **kw)
    s.crawler = type("C", (), {"stats": Stats()})()  # type: ignore[assignment]
    return s


def api_page(p: int, url: str | None = None):
    return fixture_response(PAGE.format(p=p), url or API.format(p=p))


def requests(s: GdGkmlptSpider, response) -> list[Request]:
    return [r for r in s.parse_list(response) if isinstance(r, Request)]


def test_arguments():
    assert spider().start_urls == [f"{BASE}/gkmlpt/index"]
    assert GdGkmlptSpider().start_urls == ["https://www.gd.gov.cn/gkmlpt/index"]
    assert GdGkmlptSpider(site="https://www.gz.gov.cn/").base_url == "https://www.gz.gov.cn"
    with pytest.raises(ValueError, match="scheme"):
        GdGkmlptSpider(scheme="ftp")


def test_slower_pace_on_gkmlpt_hosts():
    settings = GdGkmlptSpider.custom_settings
    assert 1 <= settings["DOWNLOAD_DELAY"] == GKMLPT_DELAY <= 2
    assert settings["CONCURRENT_REQUESTS_PER_DOMAIN"] == 1
    assert settings["DOWNLOAD_DELAY_JITTER"] == 0  # no random gaps under 1 s


def test_index_gives_sid_and_first_api_page():
    s = spider()
    resp = fixture_response(FIX / "zqhjj/gkmlpt/index.html", f"{BASE}/gkmlpt/index")
    out = list(s.parse_index(resp))
    assert [r.url for r in out] == [API.format(p=1)]
    assert s.sid == "758019"
    assert out[0].meta["handle_httpstatus_list"] == [404]  # a 404 ends the paging


def test_first_api_page_details_beijing_dates_offsite_and_next():
    s = spider(sid="758019")
    out = requests(s, api_page(1))
    details = [r for r in out if r.meta.get("gazette_detail")]
    assert [r.url for r in details] == [
        CONTENT + "3255/post_3255501.html",
        CONTENT + "3253/post_3253180.html",
    ]  # the www.sihui.gov.cn article is another host's
    assert s.crawler.stats.values["gazette/gkmlpt/offsite_articles"] == 1
    # "date": 1783353600 is 2026-07-07 00:00 in Beijing (2026-07-06 in UTC)
    assert details[0].meta["gazette_hints"]["date"] == "2026-07-07"
    assert details[0].meta["gazette_hints"]["issuer"] == "肇庆市生态环境局"
    assert details[1].meta["gazette_hints"]["date"] == "2026-06-29"
    assert [r.url for r in out if not r.meta.get("gazette_detail")] == [API.format(p=2)]


def test_post_count_ends_paging_without_a_total():
    s = spider(sid="758019")
    requests(s, api_page(1))
    out = requests(s, api_page(2))  # 2 pages × 3 articles = post_count 6
    assert [r.url for r in out] == [
        CONTENT + "3249/post_3249902.html",
        CONTENT + "3231/post_3231507.html",
        CONTENT + "3228/post_3228800.html",
    ]


def answer(url: str, data, status: int = 200) -> TextResponse:
    body = json.dumps(data, ensure_ascii=False).encode("utf-8")
    return TextResponse(
        url,
        body=body,
        status=status,
        encoding="utf-8",
        headers={"Content-Type": "application/json"},
        request=Request(url),
    )


def test_short_page_empty_page_and_404_end_the_list():
    real = json.loads(Path(PAGE.format(p=1)).read_text("utf-8"))
    no_count = {"articles": real["articles"]}  # classify is optional
    s = spider(sid="758019")
    assert len(requests(s, answer(API.format(p=1), no_count))) == 3  # 2 details + page 2
    short = {"articles": real["articles"][:1]}
    assert [r.url for r in requests(s, answer(API.format(p=2), short))] == []  # seen; no page 3
    s = spider(sid="758019")
    requests(s, answer(API.format(p=1), no_count))
    assert requests(s, answer(API.format(p=2), {"articles": []})) == []
    assert requests(s, answer(API.format(p=2), {}, status=404)) == []
    assert s.crawler.stats.values == {
        "gazette/gkmlpt/offsite_articles": 1,
        "gazette/gkmlpt/api_past_end": 1,
    }


def test_empty_or_missing_first_page_fails_loudly(caplog):
    s = spider(sid="758019")
    assert requests(s, answer(API.format(p=1), {"classify": {"id": 21023}, "articles": []})) == []
    assert requests(s, answer(API.format(p=1), {}, status=404)) == []
    assert s.crawler.stats.values == {EMPTY_LIST_STAT: 2}
    assert API.format(p=1) in caplog.text


def test_scheme_http_fetches_the_sites_articles_on_http():
    s = GdGkmlptSpider(site=SITE, scheme="http", column="21023", sid="758019")
    url = API.format(p=1).replace("https://", "http://")
    details = [r.url for r in requests(s, api_page(1, url)) if r.meta.get("gazette_detail")]
    assert details[0] == "http://www.zhaoqing.gov.cn/zqhjj/gkmlpt/content/3/3255/post_3255501.html"


def test_since_with_beijing_dates():
    s = spider(sid="758019", since="2026-06-25")
    out = requests(s, api_page(1))
    assert [r.url for r in out if r.meta.get("gazette_detail")] == [
        CONTENT + "3255/post_3255501.html",
        CONTENT + "3253/post_3253180.html",
    ]
    assert requests(s, api_page(2)) == []  # only older entries: no details, no further page
    # 2026-07-07 00:00 Beijing is in the day of since=2026-07-07 (in UTC it was the 6th)
    s = spider(sid="758019", since="2026-07-07")
    out = requests(s, api_page(1))
    assert [r.url for r in out if r.meta.get("gazette_detail")] == [
        CONTENT + "3255/post_3255501.html"
    ]


def test_document_only_in_config_detail_is_extracted():
    path = FIX / "zqhjj/gkmlpt/content/3/3255/post_3255501.html"
    item = extract_response(fixture_response(path, CONTENT + "3255/post_3255501.html"))
    assert (
        item["title"] == "肇庆市生态环境局关于端州区某食品有限公司扩建项目环境影响报告表受理的公告"
    )
    assert "公告期限" in item["body"] and "端州区某食品有限公司扩建项目" in item["body"]
    assert item["issuer"] == "肇庆市生态环境局"
    assert item["is_notice"] is True
    assert item["attachments"][0]["url"].endswith("/3255501.pdf")


def test_hidden_server_rendered_page_keeps_its_body_once():
    path = FIX / "zqhjj/gkmlpt/content/3/3253/post_3253180.html"
    item = extract_response(fixture_response(path, CONTENT + "3253/post_3253180.html"))
    assert item["body"].count("公告期限") == 1  # the DOM's copy, not DETAIL's as well
    assert "某污水处理厂提标改造工程" in item["body"]


def test_crawl_local_copy(local_site, copy_site, run_crawl):
    site = copy_site(FIX)
    base = local_site(site)
    for path in (site / "zqhjj/gkmlpt").rglob("*.json"):
        path.write_text(
            path.read_text("utf-8").replace("https://www.zhaoqing.gov.cn", base), "utf-8"
        )
    host = base.split("://", 1)[1]
    items, stats = run_crawl(
        "gd_gkmlpt", {"site": f"{host}/zqhjj", "scheme": "http", "column": "21023"}
    )
    assert sorted(i["url"].rsplit("/", 1)[1] for i in items) == [
        "post_3228800.html",
        "post_3231507.html",
        "post_3249902.html",
        "post_3253180.html",
        "post_3255501.html",
    ]
    assert all(i["body"] for i in items)
    assert stats.get(EMPTY_LIST_STAT, 0) == 0
    assert stats.get("gazette/gkmlpt/offsite_articles") == 1


@pytest.mark.skipif(not SHARED.is_dir(), reason="../shared/conformance is absent")
def test_real_answer_and_page():
    url = "https://www.zhaoqing.gov.cn/zqhjj/gkmlpt/api/all/21023?page=1&sid=758019"
    s = spider(sid="758019")
    out = requests(s, fixture_response(SHARED / "zhaoqing_api_all_21023.trimmed.json", url))
    details = [r for r in out if r.meta.get("gazette_detail")]
    assert [r.meta["gazette_hints"]["date"] for r in details] == ["2026-07-07", "2026-06-29"]
    # trimmed to 2 of 88 articles, post_count 203: page 2 is asked for
    assert [r.url for r in out if not r.meta.get("gazette_detail")] == [
        url.replace("page=1", "page=2")
    ]
    page = SHARED / "zhaoqing_post_3255421.trimmed.html"
    item = extract_response(fixture_response(page, CONTENT + "3255/post_3255421.html"))
    assert item["body"] and item["is_notice"] is True
