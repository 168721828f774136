"""Hostile and broken pages through a real crawl (small sizes; the scaling is
measured by ``benchmarks/hostile.py``): every notice around them is exported, and
a page that was cut is counted and says so on its record."""

from __future__ import annotations

import pytest
from faultserver import run_crawl
from hostilepages import SHAPES, shape_page, site, word_export
from hostilepages import serving as serve_site

#: the repeated-label page is past the page budget (1,000,000 characters of text) but
#: under the download limit: 3.5 MB of page, about 10 KB on the wire
LIMITS = {"DOWNLOAD_MAXSIZE": 8 << 20, "DOWNLOAD_WARNSIZE": 0}


@pytest.fixture(scope="module")
def crawled(tmp_path_factory: pytest.TempPathFactory) -> tuple[list[dict], dict]:
    hostile = {
        91: shape_page(SHAPES["label"], 3.5),  # one repeated label, gzip on the wire
        92: word_export(2_600),  # one unclosed <span> per article: past libxml2's depth
        93: shape_page(SHAPES["div_ladder"], 0.1),  # an unclosed <div> ladder
    }
    with serve_site(site(hostile, notices=6)) as url:
        records, stats, _log = run_crawl(
            url, tmp_path_factory.mktemp("hostile"), timeout=120, settings=LIMITS
        )
    return records, stats


def test_every_notice_around_the_hostile_pages_is_exported(crawled):
    records, stats = crawled
    titles = {r["title"] for r in records}
    assert {f"某市人民政府关于第{i}项工作的通知" for i in range(1, 7)} <= titles
    assert stats.get("response_received_count", 0) >= 10  # robots, list, 6 + 3 pages


def test_the_word_export_is_read_to_its_last_article(crawled):
    records, _ = crawled
    (law,) = [r for r in records if r["title"] == "某市某某管理办法"]
    assert law["body"].endswith("第2600条 为了规范管理，制定本办法。")
    assert law["date"] == "2024-03-06"
    assert not law.get("cut")  # (the dataset's merged record carries the key, empty)


def test_a_page_past_the_budget_is_counted_under_its_reason(crawled):
    _, stats = crawled
    assert stats.get("gazette/cut/text", 0) >= 1
