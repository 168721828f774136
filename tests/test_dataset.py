"""The dataset store, its files (JSONL, CSV, Parquet, DuckDB), the CLI and a killed update."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from gazette.cli import main as cli_main
from gazette.dataset.files import ALL_FORMATS, materialize, records
from gazette.dataset.schema import COLUMNS, CSV_SEPARATOR
from gazette.dataset.store import Store
from gazette.items import complete

BODY = (
    "各市人民政府，省直各部门：\n"
    "现将《关于加强政务公开的意见》（国办发〔2013〕100号）转发给你们，请认真贯彻执行。\n"
    "各地要结合实际，明确责任分工，抓好工作落实，确保各项任务按时完成。"
)


def rec(n: int = 1, **kw) -> dict:
    base = {
        "id": f"g{n:020x}",
        "url": f"http://www.gd.gov.cn/a/{n}.html",
        "site": "www.gd.gov.cn",
        "spider": "gd",
        "title": f"关于第{n}项工作的通知",
        "doc_number": f"粤府办〔2013〕{n}号",
        "doc_number_raw": f"粤府办〔2013〕{n}号",
        "issuer": "广东省人民政府办公厅",
        "date": "2013-11-23",
        "body": BODY + f"\n第{n}项。",
        "is_notice": True,
        "masked": False,
        "fetched_at": f"2024-05-01T08:00:{n % 60:02d}+00:00",
    }
    base.update(kw)
    return complete(base)


def test_revision_grows_only_when_the_merged_record_changes(tmp_path):
    store = Store(str(tmp_path / "store.sqlite3"))
    first = store.add(
        rec(1, doc_number=None, doc_number_raw=None, masked=True, url="http://r.com/1")
    )
    assert first.new and first.changed and first.record["revision"] == 1
    assert (
        store.add(rec(1, doc_number=None, doc_number_raw=None, masked=True, url="http://r.com/1"))
        is None
    )
    better = store.add(rec(1))
    assert better.changed and better.record["revision"] == 2
    assert better.record["doc_number"] == "粤府办〔2013〕1号" and not better.record["masked"]
    worse = store.add(rec(1, masked=True, url="http://r.com/2", fetched_at="2024-06-01T00:00:00Z"))
    assert worse is not None and not worse.changed and worse.record["revision"] == 2
    att = [{"title": "附件1", "url": "http://r.com/f.doc"}]
    more = store.add(rec(1, masked=True, url="http://r.com/3", attachments=att))
    assert more.changed and more.record["revision"] == 3 and more.record["attachments"] == att
    (only,) = list(records(store))
    assert len(only["sources"]) == 4 and only["last_seen"] == "2024-06-01T00:00:00Z"
    assert only["first_seen"] == "2024-05-01T08:00:01+00:00"
    assert set(only) == set(COLUMNS)
    store.close()


def test_feed_lines_read_back_do_not_revise(tmp_path):
    store = Store(str(tmp_path / "s.sqlite3"))
    line = store.add(rec(2)).record
    assert store.add(line) is None  # its own change-feed line
    fresh = Store(str(tmp_path / "t.sqlite3"))
    assert fresh.add({**line, "revision": 5}).record["revision"] == 5  # a rebuild keeps it
    store.close()
    fresh.close()


def _build(directory: Path, n: int) -> Store:
    store = Store(str(directory / "store.sqlite3"))
    store.add_many(rec(i) for i in range(1, n + 1))
    return store


def test_jsonl_and_csv(tmp_path):
    store = _build(tmp_path, 3)
    store.add(rec(4, references=["粤府办〔2013〕1号"], co_issuers=["广东省财政厅", "广东省税务局"]))
    manifest = materialize(str(tmp_path), store)
    assert manifest["notices"] == 4 and set(manifest["files"]) == {"jsonl", "csv"}
    lines = (tmp_path / "notices.jsonl").read_text("utf-8").splitlines()
    data = {r["id"]: r for r in map(json.loads, lines)}
    import jsonschema

    from gazette.dataset.schema import json_schema

    validator = jsonschema.Draft202012Validator(json_schema())
    for record in data.values():
        assert not [e.message for e in validator.iter_errors(record)]
    assert data[rec(4)["id"]]["cites"] == [rec(1)["id"]]
    assert data[rec(1)["id"]]["cited_by"] == [rec(4)["id"]]
    raw = (tmp_path / "notices.csv").read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")  # BOM: Excel reads UTF-8
    import csv
    import io

    rows = list(csv.DictReader(io.StringIO(raw.decode("utf-8-sig"))))
    assert len(rows) == 4 and "body" not in rows[0]
    row = next(r for r in rows if r["id"] == rec(4)["id"])
    assert row["co_issuers"] == CSV_SEPARATOR.join(["广东省财政厅", "广东省税务局"])
    assert row["masked"] == "false" and row["topic"] == ""
    store.close()


def test_parquet_and_duckdb_have_fixed_types(tmp_path):
    pq = pytest.importorskip("pyarrow.parquet")
    duckdb = pytest.importorskip("duckdb")
    store = _build(tmp_path, 3)  # topic, published, index_number: null in every record
    materialize(str(tmp_path), store, ALL_FORMATS)
    table = pq.read_table(tmp_path / "notices.parquet")
    assert table.num_rows == 3 and table.column_names == list(COLUMNS)
    types = {f.name: str(f.type) for f in table.schema}
    assert types["topic"] == "string" and types["date"] == "date32[day]"
    assert types["published"] == "date32[day]" and types["fetched_at"].startswith("timestamp")
    assert types["co_issuers"] == "list<element: string>"
    assert types["revision"] == "int32" and types["masked"] == "bool"
    con = duckdb.connect(str(tmp_path / "notices.duckdb"), read_only=True)
    try:
        n, year = con.execute("SELECT count(*), min(year(date)) FROM notices").fetchone()
        assert (n, year) == (3, 2013)
        src = con.execute(
            "SELECT count(*), count(DISTINCT id) FROM sources JOIN notices USING (id) "
            "WHERE sources.site = 'www.gd.gov.cn'"
        ).fetchone()
        assert src == (3, 3)
        cols = [r[0] for r in con.execute("DESCRIBE sources").fetchall()]
        assert cols == ["id", "url", "site", "fetched_at", "masked", "spider", "run"]
    finally:
        con.close()
    store.close()


def test_cli_dataset_from_exports_reads_only_what_was_appended(tmp_path, capsys):
    exports = tmp_path / "exports"
    exports.mkdir()
    export = exports / "run1.jsonl"
    export.write_text(
        "".join(json.dumps(rec(i), ensure_ascii=False) + "\n" for i in (1, 2)), "utf-8"
    )
    out = tmp_path / "ds"
    args = ["dataset", str(exports), "--dir", str(out), "--formats", "jsonl,csv"]
    assert cli_main(args) == 0
    err = capsys.readouterr()
    assert "2 new records read" in err.err and "records     2" in err.out
    with export.open("a", encoding="utf-8") as fh:
        fh.write(json.dumps(rec(3), ensure_ascii=False) + "\n" + '{"id": "g1", "cut')
    assert cli_main(args) == 0
    assert "1 new records read" in capsys.readouterr().err  # the partial line waits
    assert len((out / "notices.jsonl").read_text("utf-8").splitlines()) == 3
    assert cli_main([*args, "--rebuild"]) == 0
    assert len((out / "notices.jsonl").read_text("utf-8").splitlines()) == 3


def test_cli_errors_are_one_line_and_exit_2(tmp_path, capsys):
    assert cli_main(["dataset", str(tmp_path / "missing.jsonl"), "--dir", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "no such file" in err
    assert cli_main(["dataset", "--formats", "xml", "--dir", str(tmp_path)]) == 2


def test_schema_command_prints_the_json_schema(capsys):
    assert cli_main(["schema"]) == 0
    schema = json.loads(capsys.readouterr().out)
    assert schema["title"] == "Notice"
    assert {"revision", "genre", "issuer_level", "cites", "sources"} <= set(schema["properties"])


def test_crawl_never_imports_the_analyst_extra():
    code = (
        "import sys; import gazette.pipelines.p40_dedup, gazette.dataset.feed, gazette.dataset.files;"
        "print(any(m in sys.modules for m in ('pyarrow', 'duckdb', 'pandas')))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


# -- a killed update -------------------------------------------------------------------

_KILLED = """
import os, sys, time
from gazette.dataset import files
from gazette.dataset.store import Store
from gazette.items import complete

directory, marker, phase = sys.argv[1:]
store = Store(os.path.join(directory, "store.sqlite3"))
real = files.records

def slow(store):
    for n, record in enumerate(real(store)):
        if n == 50:
            open(marker, "w").close()
            time.sleep(60)
        yield record

if phase == "files":
    files.records = slow
    files.materialize(directory, store)
else:  # the store: killed inside a batch of new copies
    with store.batch():
        for i in range(1000, 3000):
            store.add(complete({"id": f"g{i:020x}", "url": f"http://x/{i}", "title": "t",
                                "body": "b" * 50, "is_notice": True, "masked": False}))
            if i == 2500:
                open(marker, "w").close()
                time.sleep(60)
"""


@pytest.mark.parametrize("phase", ["files", "store"])
def test_a_killed_update_leaves_the_previous_dataset_intact(tmp_path, phase):
    store = _build(tmp_path, 200)
    materialize(str(tmp_path), store)
    before = {
        n: (tmp_path / n).read_bytes() for n in ("notices.jsonl", "notices.csv", "manifest.json")
    }
    store.add(rec(999))  # a change the killed update would have written
    store.close()
    marker = tmp_path / "marker"
    proc = subprocess.Popen([sys.executable, "-c", _KILLED, str(tmp_path), str(marker), phase])
    try:
        deadline = time.monotonic() + 60
        while not marker.exists():
            assert proc.poll() is None and time.monotonic() < deadline
            time.sleep(0.05)
        os.kill(proc.pid, signal.SIGKILL)
    finally:
        proc.wait()
    for name, data in before.items():
        assert (tmp_path / name).read_bytes() == data, name
    store = Store(str(tmp_path / "store.sqlite3"))
    assert store.count() == 201  # the killed batch left nothing
    manifest = materialize(str(tmp_path), store)  # the next update completes
    assert manifest["notices"] == 201
    assert not [p for p in os.listdir(tmp_path) if p.startswith(".tmp-")]
    store.close()
