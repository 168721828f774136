"""gazette compact: one record per id, from the best source, with every source URL."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

from scrapy.utils.test import get_crawler

from gazette.dedup.compact import compact, main, read_jsonl
from gazette.dedup.rules import Deduplicator
from gazette.items import FIELDS, complete
from gazette.pipelines.p20_normalize import normalize
from gazette.state.sqlite import SQLiteState

FIXTURES = Path(__file__).parent / "fixtures" / "pipelines"


def _records():
    with open(FIXTURES / "notices.jsonl", encoding="utf-8") as fh:
        return {r.pop("_case"): normalize(r) for r in map(json.loads, fh)}


def _write(path, records, gz=False):
    data = "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records).encode("utf-8")
    path.write_bytes(gzip.compress(data) if gz else data)
    return str(path)


def _crawl(state_path, records):
    """What a crawl leaves: exported first copies (with ids) and the state."""
    state = SQLiteState(state_path)
    dedup = Deduplicator(state)
    exported = []
    for r in records:
        verdict = dedup.check(r)
        if not verdict.duplicate:
            exported.append({**r, "id": verdict.id})
    state.close()
    return exported


def test_best_source_comes_from_the_state(tmp_path):
    recs = _records()
    state_path = tmp_path / "state.sqlite3"
    # the masked repost is crawled first, the official copy later
    exported = _crawl(state_path, [recs["masked_repost"], recs["official"], recs["other"]])
    assert len(exported) == 2
    export = _write(tmp_path / "run1.jsonl", exported)
    out = tmp_path / "out" / "notices.jsonl"
    assert main([export, "--state", str(state_path), "-o", str(out)]) == 0
    result = list(read_jsonl(str(out)))
    assert len(result) == 2
    best = result[0]
    assert best["id"] == exported[0]["id"]  # the id stays the first copy's
    assert best["url"] == recs["official"]["url"]  # official, unmasked
    assert best["masked"] is False
    assert best["sources"] == [recs["official"]["url"], recs["masked_repost"]["url"]]
    assert list(best)[: len(FIELDS)] == list(FIELDS)


def test_exports_alone_merge_across_spiders(tmp_path):
    recs = _records()
    a = _crawl(tmp_path / "a.sqlite3", [recs["traditional_repost"], recs["other"]])
    b = _crawl(tmp_path / "b.sqlite3", [recs["official"], recs["sibling"]])
    assert len(a) == len(b) == 2
    files = [_write(tmp_path / "a.jsonl", a), _write(tmp_path / "b.jsonl.gz", b, gz=True)]
    result = compact(r for f in files for r in read_jsonl(f))
    by_url = {r["url"]: r for r in result}
    assert len(result) == 3  # traditional repost + official are one notice; sibling stays apart
    official = by_url[recs["official"]["url"]]
    assert official["id"] == b[0]["id"]  # the earliest fetched record's id
    assert set(official["sources"]) == {recs["official"]["url"], recs["traditional_repost"]["url"]}
    assert by_url[recs["sibling"]["url"]]["id"] != official["id"]


def test_truncated_exports_of_a_killed_run(tmp_path):
    recs = _records()
    good = [complete({**recs["other"], "id": "gaaaaaaaaaaaaaaaaaaaa"})]
    plain = tmp_path / "killed.jsonl"
    plain.write_text(json.dumps(good[0], ensure_ascii=False) + '\n{"id": "g1", "tit', "utf-8")
    packed = tmp_path / "killed.jsonl.gz"
    packed.write_bytes(
        gzip.compress((json.dumps(good[0], ensure_ascii=False) + "\n").encode())[:-8]
    )
    assert len(list(read_jsonl(str(plain)))) == 1
    assert len(list(read_jsonl(str(packed)))) == 1
    out = tmp_path / "n.jsonl"
    assert main([str(tmp_path), "-o", str(out)]) == 0  # a directory of exports
    assert [r["id"] for r in read_jsonl(str(out))] == ["gaaaaaaaaaaaaaaaaaaaa"]


def test_records_without_id_and_non_notices(tmp_path):
    recs = _records()
    records = [
        {**recs["official"], "id": None},
        {**recs["masked_repost"], "id": None},
        {"title": "新闻", "body": "x", "is_notice": False},
    ]
    result = compact(records)
    assert len(result) == 1 and result[0]["id"].startswith("g")
    assert result[0]["url"] == recs["official"]["url"]


def test_missing_input_is_an_error(tmp_path, capsys):
    assert main([str(tmp_path / "nope.jsonl"), "-o", str(tmp_path / "o.jsonl")]) == 2
    assert "no such file" in capsys.readouterr().err


def test_crawl_state_is_readable_by_compact(tmp_path):
    """compact reads the state a real crawler wrote (via get_state)."""
    from gazette.state import get_state

    crawler = get_crawler(settings_dict={"GAZETTE_STATE_PATH": str(tmp_path / "s.sqlite3")})
    state = get_state(crawler)
    dedup = Deduplicator(state)
    recs = _records()
    first = dedup.check(recs["masked_repost"])
    dedup.check(recs["official"])
    state.close()
    export = _write(tmp_path / "e.jsonl", [{**recs["masked_repost"], "id": first.id}])
    out = tmp_path / "o.jsonl"
    assert main([export, "--state", str(tmp_path / "s.sqlite3"), "-o", str(out)]) == 0
    (record,) = read_jsonl(str(out))
    assert record["url"] == recs["official"]["url"] and record["id"] == first.id


def test_compact_brings_an_existing_dataset_up_to_date(tmp_path):
    import json as _json

    from gazette.dedup.compact import main as compact_main

    export = tmp_path / "run.jsonl"
    record = {
        "id": "g0123456789abcdef0123",
        "url": "http://gov.example/1.html",
        "site": "gov.example",
        "spider": "site",
        "title": "某市人民政府关于某项工作的通知",
        "doc_number": "某府〔2024〕1号",
        "doc_number_raw": "某府〔2024〕1号",
        "issuer": "某市人民政府",
        "co_issuers": [],
        "date": "2024-03-06",
        "published": None,
        "recipients": [],
        "references": [],
        "attachments": [],
        "index_number": None,
        "topic": None,
        "body": "各区人民政府：\n现将有关事项通知如下。",
        "is_notice": True,
        "masked": False,
        "fetched_at": "2024-03-07T00:00:00+00:00",
    }
    export.write_text(_json.dumps(record, ensure_ascii=False) + "\n", encoding="utf-8")
    dataset = tmp_path / "dataset"
    dataset.mkdir()
    out = tmp_path / "compact.jsonl"
    assert compact_main([str(export), "-o", str(out), "--dataset", str(dataset)]) == 0
    rows = (dataset / "notices.jsonl").read_text("utf-8").splitlines()
    assert [_json.loads(r)["id"] for r in rows] == [record["id"]]
