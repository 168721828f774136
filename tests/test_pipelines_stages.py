"""Pipeline stages 10-30: filter, normalise, validate (counted drops, never a crash)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import scrapy
from scrapy.exceptions import DropItem
from scrapy.utils.test import get_crawler

from gazette.items import Notice, complete
from gazette.pipelines.p10_filter import FilterPipeline
from gazette.pipelines.p20_normalize import NormalizePipeline
from gazette.pipelines.p30_validate import ValidatePipeline, schema

FIXTURES = Path(__file__).parent / "fixtures" / "pipelines"


class _Spider(scrapy.Spider):
    name = "stages"


def _records():
    with open(FIXTURES / "notices.jsonl", encoding="utf-8") as fh:
        return {r.pop("_case"): r for r in map(json.loads, fh)}


@pytest.fixture
def crawler(tmp_path):
    return get_crawler(_Spider, {"GAZETTE_STATE_PATH": str(tmp_path / "state.sqlite3")})


def _chain(crawler, item):
    for cls in (FilterPipeline, NormalizePipeline, ValidatePipeline):
        item = cls.from_crawler(crawler).process_item(item)
    return item


def _stat(crawler, key):
    return crawler.stats.get_value(f"gazette/{key}")


def test_placeholder_and_not_notice_are_dropped_and_counted(crawler):
    pipe = FilterPipeline.from_crawler(crawler)
    with pytest.raises(DropItem) as exc:
        pipe.process_item(Notice(**complete({"title": "标题和内容已经清空2023-05-13 23:52:28"})))
    assert exc.value.final
    with pytest.raises(DropItem):
        pipe.process_item({"title": "新闻", "body": "正文", "is_notice": False})
    kept = {"title": "关于…的通知", "body": "正文", "is_notice": True}
    assert pipe.process_item(kept) is kept
    assert _stat(crawler, "dropped/placeholder") == 1
    assert _stat(crawler, "dropped/not_notice") == 1


def test_fixture_records_pass_the_chain(crawler):
    for name, record in _records().items():
        out = _chain(crawler, Notice(**complete(record)))
        assert list(out)[: len(Notice.fields)] == list(complete({}))  # contract order
        assert out["title"] and out["body"], name
    assert crawler.stats.get_value("gazette/dropped/invalid/date") is None


def test_normalize_shapes_values(crawler):
    record = _records()["traditional_repost"]
    record.update(
        date="二〇一三年十一月二十三日",
        published="2013/11/28 10:00",
        fetched_at=None,
        masked=None,
        co_issuers="广东省财政厅",
        attachments=["http://x/a.doc"],
        doc_number=None,
        doc_number_raw="粵府辦[2013]52號",
        title="《关于印发办法(fǎ)的通知》",
        site=None,
        body=record["body"] + "\n發(fā)展南(nán)沙",
    )
    out = NormalizePipeline.from_crawler(crawler).process_item(record)
    assert out["date"] == "2013-11-23" and out["published"] == "2013-11-28"
    assert out["doc_number"] == "粤府办〔2013〕52号"
    assert out["doc_number_raw"] == "粵府辦[2013]52號"
    assert out["title"] == "关于印发办法的通知"
    assert out["co_issuers"] == ["广东省财政厅"]
    assert out["attachments"] == [{"title": None, "url": "http://x/a.doc"}]
    assert out["site"] == "big5.example-news.com.hk"
    assert out["masked"] is False and out["fetched_at"].endswith("+00:00")
    assert out["body"].endswith("\n發展南沙")  # glosses go, characters stay


def test_masked_is_detected_when_missing(crawler):
    record = _records()["masked_repost"]
    record["masked"] = None
    assert NormalizePipeline.from_crawler(crawler).process_item(record)["masked"] is True


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        ({"title": None}, "missing_title"),
        ({"title": "  "}, "missing_title"),
        ({"body": None}, "missing_body"),
        ({"date": "明年"}, "date"),
        ({"published": "2013-02-30"}, "published"),
        ({"is_notice": "maybe"}, "is_notice"),
        ({"fetched_at": "yesterday"}, "fetched_at"),
        ({"recipients": 5}, "recipients"),
        ({"attachments": "a.doc"}, "attachments"),
        ({"issuer": {"name": 1}}, "text"),
    ],
)
def test_bad_items_are_dropped_with_a_counted_reason(crawler, change, reason, caplog):
    record = {**_records()["official"], **change}
    with pytest.raises(DropItem):
        _chain(crawler, record)
    assert _stat(crawler, f"dropped/invalid/{reason}") == 1
    assert any("gazette drop" in r.getMessage() for r in caplog.records)


def test_not_a_record_is_dropped(crawler):
    with pytest.raises(DropItem):
        _chain(crawler, ["not", "an", "item"])
    assert _stat(crawler, "dropped/invalid/not_a_record") == 1


def test_schema_covers_every_field_and_documents_it():
    from gazette.items import FIELDS

    s = schema()
    assert s["required"] == list(FIELDS)
    for key in FIELDS:
        assert s["properties"][key]["description"], key
        assert "examples" in s["properties"][key], key
    assert s["additionalProperties"] is True


def test_validate_reports_schema_field(crawler):
    record = _chain(crawler, _records()["official"])
    record["doc_number"] = "not a docno"
    with pytest.raises(DropItem):
        ValidatePipeline.from_crawler(crawler).process_item(record)
    assert _stat(crawler, "dropped/invalid/doc_number") == 1


def test_every_canonical_form_passes_the_schema(crawler):
    """Whatever :func:`gazette.text.docno.canonical` gives, the schema accepts."""
    from gazette.pipelines.p30_validate import is_valid, validator
    from gazette.text.docno import canonical

    record = _chain(crawler, _records()["official"])
    for raw in (
        "粵府辦[2013]52號",
        "财政部 税务总局公告2023年第12号",
        "中华人民共和国国务院令 第708号",
    ):
        record["doc_number"] = canonical(raw)
        assert record["doc_number"] and is_valid(record) and validator().is_valid(record), raw


def _variants(record):
    """The record and many ways to break it (each key missing, wrong types, bad patterns)."""
    yield record
    for key in list(record):
        yield {k: v for k, v in record.items() if k != key}
        for bad in (None, 5, 1.5, True, "", "x", [], ["x"], [5], {}, {"a": 1}):
            yield {**record, key: bad}
    yield {**record, "extra": "allowed"}
    yield {**record, "attachments": [{"name": "a.doc", "url": None}]}
    yield {**record, "attachments": [{"name": 5}]}
    yield {**record, "date": "2013-11-31"}
    yield {**record, "id": "g" + "0" * 20 + "-2"}


def test_compiled_schema_agrees_with_jsonschema(crawler):
    from gazette.pipelines.p30_validate import is_valid, validator

    checked = 0
    for name, raw in _records().items():
        try:
            record = _chain(crawler, raw)
        except DropItem:
            continue
        record["id"] = "g" + "0" * 20
        for variant in _variants(record):
            assert is_valid(variant) == validator().is_valid(variant), (name, variant)
            checked += 1
    assert checked > 500
