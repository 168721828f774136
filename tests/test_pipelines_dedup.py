"""Stage 40 (dedup), the state recorder and SkipSeenDetailMiddleware."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import scrapy
from scrapy import signals
from scrapy.exceptions import DropItem, IgnoreRequest
from scrapy.http import HtmlResponse, Request
from scrapy.utils.test import get_crawler

from gazette.crawl.middlewares import SkipSeenDetailMiddleware
from gazette.dedup.rules import Deduplicator, MinHasher, shingle_hashes
from gazette.items import Notice, complete
from gazette.pipelines.p10_filter import FilterPipeline
from gazette.pipelines.p20_normalize import NormalizePipeline
from gazette.pipelines.p30_validate import ValidatePipeline
from gazette.pipelines.p40_dedup import DedupPipeline
from gazette.state import get_recorder, get_state
from gazette.state.sqlite import SQLiteState
from gazette.text.canon import url_fingerprint

FIXTURES = Path(__file__).parent / "fixtures" / "pipelines"


class _Spider(scrapy.Spider):
    name = "dedup"


def _records():
    with open(FIXTURES / "notices.jsonl", encoding="utf-8") as fh:
        return {r.pop("_case"): r for r in map(json.loads, fh)}


def _crawler(tmp_path, **settings):
    return get_crawler(_Spider, {"GAZETTE_STATE_PATH": str(tmp_path / "state.sqlite3"), **settings})


class Run:
    """The stages 10-40 of one crawler, with the signals a crawl would send."""

    def __init__(self, crawler):
        self.crawler = crawler
        self.stages = [
            cls.from_crawler(crawler)
            for cls in (FilterPipeline, NormalizePipeline, ValidatePipeline, DedupPipeline)
        ]

    def push(self, record, detail_url=None):
        item = Notice(**complete(record))
        response = None
        if detail_url:
            request = Request(detail_url, meta={"gazette_detail": True})
            response = HtmlResponse(detail_url, body=b"<html></html>", request=request)
        try:
            for stage in self.stages:
                item = stage.process_item(item)
        except DropItem as exc:
            self.crawler.signals.send_catch_log(
                signals.item_dropped, item=item, response=response, exception=exc, spider=None
            )
            return None
        self.crawler.signals.send_catch_log(
            signals.item_scraped, item=item, response=response, spider=None
        )
        return item

    def close(self):
        self.crawler.signals.send_catch_log(signals.spider_closed, spider=None, reason="finished")

    def stat(self, key):
        return self.crawler.stats.get_value(f"gazette/{key}")


def test_copies_get_one_id_and_different_docnos_stay_apart(tmp_path):
    recs = _records()
    run = Run(_crawler(tmp_path))
    official = run.push(recs["official"])
    assert official is not None and official["id"].startswith("g")
    assert run.push(recs["masked_repost"]) is None  # same 文号, issuer missing
    assert run.push(recs["traditional_repost"]) is None  # no 文号: body
    sibling = run.push(recs["sibling"])  # near-identical text, other 文号
    other = run.push(recs["other"])
    assert sibling is not None and other is not None
    assert len({official["id"], sibling["id"], other["id"]}) == 3
    assert run.stat("duplicates/docno") == 1
    assert (run.stat("duplicates/body") or 0) + (run.stat("duplicates/near") or 0) == 1
    assert run.stat("exported") == 3

    state = get_state(run.crawler)
    sources = state.sources(official["id"])
    assert [s.url for s in sources] == [
        recs["official"]["url"],
        recs["masked_repost"]["url"],
        recs["traditional_repost"]["url"],
    ]
    assert sources[0].record is None and sources[1].record["masked"] is True
    assert state.get_notice(official["id"]).exported
    run.close()


def test_url_duplicates_ignore_tracking_parameters(tmp_path):
    rec = _records()["other"]
    run = Run(_crawler(tmp_path))
    assert run.push(rec) is not None
    again = {
        **rec,
        "url": rec["url"] + "?utm_source=wechat&from=timeline",
        "body": rec["body"] + "\n新增一段",
    }
    # the same page, changed: a duplicate by URL whose longer body revises the notice
    revised = run.push(again)
    assert revised is not None and revised["revision"] == 2 and revised["body"] == again["body"]
    assert run.push(again) is None  # the very same copy again changes nothing
    assert run.stat("duplicates/url") == 2
    assert run.stat("dataset/revised") == 1


def test_without_dataset_copies_are_only_dropped(tmp_path):
    rec = _records()["other"]
    run = Run(_crawler(tmp_path, GAZETTE_DATASET_DIR="off"))
    first = run.push(rec)
    assert first is not None and "revision" not in first
    assert (
        run.push({**rec, "url": rec["url"] + "?from=timeline", "body": rec["body"] + "\n新增"})
        is None
    )
    assert run.stat("duplicates/url") == 1
    assert not (tmp_path / "dataset").exists()


def test_a_better_copy_revises_the_notice_and_a_worse_one_is_dropped(tmp_path):
    """The seed's case: the first copy has no 文号 and a mask; a later copy has both right."""
    rec = _records()["official"]
    masked = {
        **rec,
        "url": "http://repost.example.com/a/1.html",
        "site": "repost.example.com",
        "doc_number": None,
        "doc_number_raw": None,
        "title": rec["title"][:4] + "***" + rec["title"][7:],
        "masked": True,
        "attachments": [],
    }
    run = Run(_crawler(tmp_path))
    first = run.push(masked)
    assert first["revision"] == 1 and first["doc_number"] is None and first["masked"]
    better = run.push(rec)
    assert better is not None and better["id"] == first["id"] and better["revision"] == 2
    assert better["doc_number"] == rec["doc_number"] and not better["masked"]
    worse = {**masked, "url": "http://repost.example.com/a/2.html"}
    assert run.push(worse) is None  # a source more, the record unchanged
    assert run.stat("exported") == 2 and run.stat("dataset/revised") == 1
    for stage in run.stages:
        if isinstance(stage, DedupPipeline):
            stage.feed.close()
    lines = (tmp_path / "dataset" / "notices.jsonl").read_text("utf-8").splitlines()
    assert len(lines) == 1
    record = json.loads(lines[0])
    assert record["doc_number"] == rec["doc_number"] and record["revision"] == 2
    assert [s["url"] for s in record["sources"]] == [
        masked["url"],
        rec["url"],
        worse["url"],
    ] or len(record["sources"]) == 3


def test_ids_are_stable_across_runs_and_after_reset(tmp_path):
    recs = _records()
    run1 = Run(_crawler(tmp_path))
    first = run1.push(recs["official"])["id"]
    run1.close()
    run2 = Run(_crawler(tmp_path))
    assert run2.push(recs["official"]) is None  # known in the state
    assert run2.push({**recs["official"], "url": "http://www.gd.gov.cn/copy.html"}) is None
    run2.close()
    run3 = Run(_crawler(tmp_path, GAZETTE_STATE_RESET=True))
    assert run3.push(recs["official"])["id"] == first  # started over, same id
    run3.close()


def test_detail_pages_are_seen_only_when_processed(tmp_path):
    recs = _records()
    run = Run(_crawler(tmp_path))
    url_new, url_dup, url_bad, url_ph = (f"http://h.gov.cn/t2024010{i}_1.htm" for i in range(4))
    run.push(recs["official"], detail_url=url_new)
    run.push(recs["masked_repost"], detail_url=url_dup)
    run.push({**recs["other"], "date": "明年"}, detail_url=url_bad)  # invalid: fetch again
    run.push({"title": "标题和内容已经清空2023-05-13 23:52:28"}, detail_url=url_ph)
    state = get_state(run.crawler)
    assert state.is_seen(url_fingerprint(url_new))
    assert state.is_seen(url_fingerprint(url_dup))
    assert state.is_seen(url_fingerprint(url_ph))
    assert not state.is_seen(url_fingerprint(url_bad))

    mw = SkipSeenDetailMiddleware.from_crawler(run.crawler)
    with pytest.raises(IgnoreRequest):
        mw.process_request(Request(url_new + "?spm=1", meta={"gazette_detail": True}))
    assert mw.process_request(Request(url_new)) is None  # not a detail request: not ours
    assert mw.process_request(Request(url_bad, meta={"gazette_detail": True})) is None
    assert run.stat("skipped/seen_detail") == 1
    run.close()
    assert SQLiteState(tmp_path / "state.sqlite3").stats()["seen"] == 3


def test_middleware_can_be_switched_off(tmp_path):
    crawler = _crawler(tmp_path, GAZETTE_SKIP_SEEN_DETAIL=False)
    mw = SkipSeenDetailMiddleware.from_crawler(crawler)
    assert mw.process_request(Request("http://a/1", meta={"gazette_detail": True})) is None


def test_minhash_matches_datasketch():
    from datasketch import MinHash

    hasher = MinHasher()
    hv = shingle_hashes("关于进一步加强政府信息公开回应社会关切提升政府公信力意见的通知" * 3)
    ref = MinHash(num_perm=hasher.num_perm, seed=hasher.seed, hashfunc=int)
    ref.update_batch(hv.tolist())
    assert (hasher.signature(hv) == ref.hashvalues).all()
    assert hasher.bands * hasher.rows <= hasher.num_perm


def test_changed_lsh_parameters_need_a_reset(tmp_path):
    state = SQLiteState(tmp_path / "s.sqlite3")
    Deduplicator(state)
    with pytest.raises(RuntimeError, match="GAZETTE_STATE_RESET"):
        Deduplicator(state, MinHasher(num_perm=32))
    state.close()


def test_exporter_marks_notices_exported_once_flushed(tmp_path):
    """The gazette exporter registers its file with the run before its first line and
    marks notices exported when their lines are flushed; the recorder does not."""
    from types import SimpleNamespace

    from scrapy.extensions.feedexport import FeedExporter

    feed = tmp_path / "out.jsonl"
    crawler = _crawler(
        tmp_path,
        FEEDS={str(feed): {"format": "jsonlines", "encoding": "utf-8"}},
        FEED_EXPORTERS={"jsonlines": "gazette.crawl.exporters.FlushingJsonLinesItemExporter"},
        GAZETTE_EXPORT_FLUSH_EVERY=2,
    )
    feeds = FeedExporter.from_crawler(crawler)  # connected first, as in a crawl
    crawler.extensions = SimpleNamespace(middlewares=[feeds])
    spider = _Spider.from_crawler(crawler)
    crawler.spider = spider
    run = Run(crawler)
    feeds.open_spider(spider)
    state = get_state(crawler)
    recs = _records()
    first = run.push(recs["official"])
    assert [r.exports for r in state._runs()] == [[str(feed.resolve())]]
    assert not state.get_notice(first["id"]).exported  # written, not flushed yet
    second = run.push(recs["other"])
    assert state.get_notice(first["id"]).exported and state.get_notice(second["id"]).exported
    third = run.push(recs["sibling"])
    assert not state.get_notice(third["id"]).exported
    recorder = get_recorder(crawler)  # its timer flushes lines held too long
    assert recorder._timer is not None and recorder._timer.running
    recorder.exporters[0].flush_seconds = 0.0
    recorder._flush_due()
    assert state.get_notice(third["id"]).exported
    crawler.signals.disconnect(feeds.close_spider, signals.spider_closed)  # async
    run.close()  # the recorder flushes the exporter before closing the state
    feeds.slots[0].file.close()
    state = SQLiteState(tmp_path / "state.sqlite3")
    assert state.get_notice(third["id"]).exported
    assert state._runs() == []  # nothing pending: the run is forgotten
    state.close()
    assert feed.read_text("utf-8").count("\n") == 3


def test_hash_values_are_pinned():
    """States keep band keys and signatures: any rewrite of the hashing for speed
    must give these exact values (else existing states stop matching)."""
    mh = MinHasher()
    text = "各地级以上市人民政府各县市区人民政府省政府各部门各直属机构经省人民政府同意现将有关事项通知如下"
    hashes = shingle_hashes(text)
    sig = mh.signature(hashes)
    assert mh.params == "minhash:affine32:64:1:k5:b14:r4"
    assert hashes[:4].tolist() == [2970459104, 2670785655, 3287169598, 2011968547]
    assert sig[:4].tolist() == [17123945, 43476991, 280916059, 39213936]
    assert mh.band_keys(sig)[:3] == [
        9210015648396313433,
        -8905063649461146740,
        2530734825023108828,
    ]
