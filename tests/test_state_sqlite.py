"""gazette.state.sqlite: the embedded state behind the State interface."""

from __future__ import annotations

import gzip
import io
import json
import os
import zlib

import pytest

from gazette.state import open_state
from gazette.state.base import NoticeInfo, State
from gazette.state.sqlite import SQLiteState


def test_is_a_state(tmp_path):
    s = SQLiteState(tmp_path / "s.sqlite3")
    assert isinstance(s, State)
    s.close()


def test_round_trip_and_persistence(tmp_path):
    path = tmp_path / "deep" / "s.sqlite3"
    s = SQLiteState(path)
    s.add_notice(
        NoticeInfo("n1", "粤府办〔2013〕52号", "广东省人民政府办公厅", b"\x01\x00\x00\x00"),
        bands=[11, 12],
        url="http://a.gov.cn/1",
        keys=[("docno", "粤府办〔2013〕52号"), ("url", "//a.gov.cn/1")],
    )
    s.add_copy("n1", "http://b.com/1", {"title": "副本"}, keys=[("url", "//b.com/1")])
    s.mark_seen("fp-1", "http://a.gov.cn/1")
    s.mark_exported("n1")
    s.set_meta("k", "v")
    s.close()

    s = SQLiteState(path)
    assert s.is_seen("fp-1") and not s.is_seen("fp-2")
    info = s.get_notice("n1")
    assert info is not None and info.exported and info.signature == b"\x01\x00\x00\x00"
    assert s.lookup("url", "//b.com/1") == ["n1"]
    assert s.lookup("body", "nothing") == []
    assert [n.id for n in s.candidates([12, 99])] == ["n1"]
    assert s.candidates([]) == []
    assert [(x.url, x.record) for x in s.sources("n1")] == [
        ("http://a.gov.cn/1", None),
        ("http://b.com/1", {"title": "副本"}),
    ]
    assert [x.id for x in s.iter_sources()] == ["n1", "n1"]
    assert s.get_meta("k") == "v"
    assert s.stats()["bands"] == 2
    s.close()


def test_several_notices_under_one_key(tmp_path):
    s = SQLiteState(tmp_path / "s.sqlite3")
    for nid in ("a", "b"):
        s.add_notice(NoticeInfo(nid, "x〔2020〕1号", nid), keys=[("docno", "x〔2020〕1号")])
    assert s.lookup("docno", "x〔2020〕1号") == ["a", "b"]
    both, none = s.find_many([("docno", "x〔2020〕1号"), ("url", "x〔2020〕1号")])
    assert [i.id for i in both] == ["a", "b"] and none == []
    with pytest.raises(ValueError):
        s.find_many([("nope", "x")])
    assert s.add_new_notice(NoticeInfo("a"), bands=[1], keys=[("body", "h")]) == "a-2"
    assert s.add_new_notice(NoticeInfo("a")) == "a-3"
    assert s.lookup("body", "h") == ["a-2"] and [i.id for i in s.candidates([1])] == ["a-2"]
    with pytest.raises(ValueError):
        s.lookup("nope", "x")
    with pytest.raises(KeyError):
        s.add_copy("missing", "u")
    s.close()


def test_reset_starts_over(tmp_path):
    path = tmp_path / "s.sqlite3"
    s = SQLiteState(path)
    s.add_notice(NoticeInfo("n1"), bands=[1])
    s.mark_seen("fp")
    s.close()
    s = SQLiteState(path, reset=True)
    assert s.stats() == dict.fromkeys(
        ("notices", "exported", "seen", "keys", "bands", "sources"), 0
    )
    assert not s.is_seen("fp")
    s.close()


def test_open_state_from_settings(tmp_path):
    from scrapy.settings import Settings

    settings = Settings(
        {
            "GAZETTE_STATE_PATH": str(tmp_path / "st" / "{spider}.sqlite3"),
            "GAZETTE_STATE_RESET": "1",
        }
    )
    s = open_state(settings, "pingtan")
    assert s.location == str(tmp_path / "st" / "pingtan.sqlite3")
    assert (tmp_path / "st" / "pingtan.sqlite3").exists()
    s.close()


def test_schema_version_mismatch_is_reported(tmp_path):
    path = tmp_path / "s.sqlite3"
    s = SQLiteState(path)
    s.set_meta("schema_version", "0")
    s.close()
    with pytest.raises(RuntimeError, match="GAZETTE_STATE_RESET"):
        SQLiteState(path)
    SQLiteState(path, reset=True).close()


def test_memory_stays_in_sqlite(tmp_path):
    """Nothing is mirrored in Python: a fresh connection sees every row."""
    path = tmp_path / "s.sqlite3"
    s = SQLiteState(path)
    for i in range(500):
        s.add_notice(NoticeInfo(f"n{i}"), bands=[i, i + 10_000])
    s.commit()
    other = SQLiteState(path)
    assert other.stats()["bands"] == 1000
    assert [n.id for n in other.candidates([10_499])] == ["n499"]
    other.close()
    s.close()


# -- pending notices, runs and their reconciliation ------------------------------


def _line(id, **extra):
    return json.dumps({"id": id, "title": "通知", **extra}, ensure_ascii=False) + "\n"


def _killed_run(path, feed):
    """A run that added notices a (exported, line written), b (line written, not yet
    marked), c (no line: killed before), a copy page of c and a non-notice page."""
    s = SQLiteState(path)
    s.begin_run([str(feed)])
    s.add_notice(NoticeInfo("a"), bands=[1], url="http://h/a", keys=[("url", "h/a")])
    s.add_notice(NoticeInfo("b"), bands=[2], url="http://h/b", keys=[("url", "h/b")])
    s.add_notice(NoticeInfo("c"), bands=[3], url="http://h/c", keys=[("url", "h/c")])
    s.commit()
    feed.write_bytes((_line("a") + _line("b")).encode())
    s.mark_exported("a")
    s.mark_seen("fp-a", "http://h/a", depends_on="a")
    s.mark_seen("fp-c", "http://h/c", depends_on="c")
    s.add_copy("c", "http://m/c", {"title": "副本"}, keys=[("url", "m/c")])
    s.mark_seen("fp-copy-of-c", "http://m/c", depends_on="c")
    s.mark_seen("fp-not-a-notice", "http://h/x")
    s.commit()
    s.db.close()  # SIGKILL: no end_run


def test_pending_notices_are_reconciled_with_the_export(tmp_path):
    path, feed = tmp_path / "s.sqlite3", tmp_path / "run0.jsonl"
    _killed_run(path, feed)
    s = SQLiteState(path)
    # a state opened outside a run (gazette compact ...) reconciles nothing
    assert [n.id for n in s.find("url", "h/c")] == ["c"]
    s.begin_run([str(tmp_path / "run1.jsonl")])
    done = s.last_reconciled
    assert (done.runs, done.exported, done.rolled_back, done.live) == (1, 1, 1, 0)
    assert s.get_notice("a").exported and s.get_notice("b").exported
    assert s.get_notice("c") is None  # never written: rolled back
    assert s.lookup("url", "h/c") == [] and s.lookup("url", "m/c") == []
    assert s.candidates([3]) == [] and [n.id for n in s.candidates([1, 2])] == ["a", "b"]
    assert s.sources("c") == []
    assert s.is_seen("fp-a") and s.is_seen("fp-not-a-notice")
    assert not s.is_seen("fp-c") and not s.is_seen("fp-copy-of-c")  # fetched again
    assert s.stats()["notices"] == 2 and s.stats()["exported"] == 2
    s.close()
    # the clean run had nothing pending: nothing left to reconcile
    s = SQLiteState(path)
    s.begin_run()
    assert not s.last_reconciled
    s.close()


def test_pending_notices_are_seen_within_their_run(tmp_path):
    from gazette.dedup.rules import Deduplicator

    s = SQLiteState(tmp_path / "s.sqlite3")
    s.begin_run()
    dedup = Deduplicator(s)
    record = {"url": "http://h/1", "doc_number": "粤府办〔2013〕52号", "body": "正文" * 40}
    first = dedup.check(record)
    again = dedup.check({**record, "url": "http://other/1"})
    assert first.kind == "new" and again.kind == "docno" and again.id == first.id
    assert not s.get_notice(first.id).exported
    s.close()


def test_clean_close_keeps_pending_for_the_next_run(tmp_path):
    """A run closed before its last lines were marked: the next run finds them."""
    path, feed = tmp_path / "s.sqlite3", tmp_path / "run0.jsonl"
    s = SQLiteState(path)
    s.begin_run([str(feed)])
    s.add_notice(NoticeInfo("a"), keys=[("url", "h/a")])
    feed.write_text(_line("a"), "utf-8")
    s.close()
    s = SQLiteState(path)
    s.begin_run()
    assert s.last_reconciled.exported == 1 and s.get_notice("a").exported
    s.close()


def test_export_scan_tolerates_killed_files(tmp_path):
    from gazette.state.runs import find_ids

    plain = tmp_path / "a.jsonl"
    plain.write_bytes((_line("a") + _line("b"))[:-7].encode())  # b's line cut short
    gz = tmp_path / "b.jsonl.gz"
    buf = io.BytesIO()
    writer = gzip.GzipFile(fileobj=buf, mode="wb", mtime=0)  # as the exporter writes
    writer.write(_line("c", body="正文" * 500).encode())
    writer.flush(zlib.Z_SYNC_FLUSH)
    mark = len(buf.getvalue())
    writer.write(_line("d", body="另文" * 500).encode())
    writer.flush(zlib.Z_SYNC_FLUSH)
    data = buf.getvalue()
    gz.write_bytes(data[: (mark + len(data)) // 2])  # no trailer, d cut short
    nested = tmp_path / "c.jsonl"
    nested.write_text(_line("e", attachments=[{"id": "f"}]), "utf-8")
    found = find_ids(
        [str(plain), str(gz), str(nested), str(tmp_path / "missing.jsonl")],
        ["a", "b", "c", "d", "e", "f"],
    )
    assert found == {"a", "c", "e"}


def test_killed_runs_partial_last_line_is_cut(tmp_path):
    """A kill inside a batch's write leaves part of a line: the next run cuts it
    (its notice is rolled back and exported again), so the file holds whole lines
    and a run appending to the same file starts on a line of its own."""
    path, feed = tmp_path / "s.sqlite3", tmp_path / "run0.jsonl"
    s = SQLiteState(path)
    s.begin_run([str(feed)])
    s.add_notice(NoticeInfo("a"), keys=[("url", "h/a")])
    s.add_notice(NoticeInfo("b"), keys=[("url", "h/b")])
    s.commit()
    whole = _line("a").encode()
    feed.write_bytes(whole + _line("b", body="正文" * 40).encode()[:50])
    s.db.close()  # SIGKILL
    s = SQLiteState(path)
    s.begin_run([str(feed)])  # the same file again, as with ``-o``
    done = s.last_reconciled
    assert (done.runs, done.exported, done.rolled_back, done.cut) == (1, 1, 1, 1)
    assert feed.read_bytes() == whole
    assert s.get_notice("b") is None
    s.close()


def test_ended_and_gzip_files_are_not_cut(tmp_path):
    from gazette.state.runs import cut_partial_tail

    gz = tmp_path / "a.jsonl.gz"
    data = gzip.compress(_line("a").encode())[:-5]
    gz.write_bytes(data)
    assert cut_partial_tail(str(gz)) == 0 and gz.read_bytes() == data
    assert cut_partial_tail(str(tmp_path / "missing.jsonl")) == 0
    one = tmp_path / "one.jsonl"
    one.write_bytes(b'{"id": "a", "ti')  # no whole line at all
    assert cut_partial_tail(str(one)) == 15 and one.read_bytes() == b""
    # a run that ended with a pending notice had a write fail (disk full…): a partial
    # last line it left is cut too, and the notice rolled back (issue 16)
    path, feed = tmp_path / "s.sqlite3", tmp_path / "run0.jsonl"
    s = SQLiteState(path)
    s.begin_run([str(feed)])
    s.add_notice(NoticeInfo("w"))
    s.mark_exported("w")
    s.add_notice(NoticeInfo("x"))  # pending at the end: the run stays, ended
    feed.write_bytes(b'{"id": "w"}\n{"id": "x", "ti')
    s.end_run()
    s.close()
    s = SQLiteState(path)
    s.begin_run()
    done = s.last_reconciled
    assert (done.cut, done.rolled_back) == (1, 1) and feed.read_bytes() == b'{"id": "w"}\n'
    assert s.has_notice("w") and not s.has_notice("x")
    s.close()
    # a whole file is never touched
    s = SQLiteState(path)
    s.begin_run([str(feed)])
    s.add_notice(NoticeInfo("y"))
    s.end_run()
    s.close()
    s = SQLiteState(path)
    s.begin_run()
    assert s.last_reconciled.cut == 0 and feed.read_bytes() == b'{"id": "w"}\n'
    s.close()


def test_file_of_a_live_run_is_not_cut(tmp_path):
    """A killed run shares its file with a live crawl: the live one may be mid-write."""
    import socket

    from gazette.state import runs

    path, feed = tmp_path / "s.sqlite3", tmp_path / "out.jsonl"
    s = SQLiteState(path)
    s.begin_run([str(feed)])
    s.add_notice(NoticeInfo("b"))
    parent = os.getppid()
    owner = {"host": socket.gethostname(), "boot": runs._boot_id(), "pid": parent}
    owner["start"] = runs._start_time(parent)
    s.db.execute("UPDATE runs SET owner=?", (json.dumps(owner),))
    s.commit()
    s.db.close()  # "still running" in the parent process
    s = SQLiteState(path)
    s.begin_run([str(feed)])
    s.add_notice(NoticeInfo("a"))
    s.commit()
    s.db.close()  # killed
    feed.write_bytes(_line("a").encode() + b'{"id": "b", "ti')
    s = SQLiteState(path)
    s.begin_run()
    done = s.last_reconciled
    assert (done.live, done.runs, done.exported, done.cut) == (1, 1, 1, 0)
    assert feed.read_bytes().endswith(b'"ti')
    s.close()


def test_runs_of_live_processes_are_left_alone(tmp_path):
    """Another crawl (a live process) on the same state keeps its pending notices."""
    import socket

    from gazette.state import runs

    path = tmp_path / "s.sqlite3"
    s = SQLiteState(path)
    s.begin_run()
    s.add_notice(NoticeInfo("a"))
    parent = os.getppid()  # alive, and not this process
    owner = json.dumps(
        {
            "host": socket.gethostname(),
            "boot": runs._boot_id(),
            "pid": parent,
            "start": runs._start_time(parent),
        }
    )
    s.db.execute("UPDATE runs SET owner=?", (owner,))
    s.commit()
    s.db.close()
    other = SQLiteState(path)
    other.begin_run()
    assert other.last_reconciled.live == 1 and other.get_notice("a") is not None
    assert runs.owner_alive(owner) and not runs.owner_alive(runs.owner_token())
    gone = json.loads(owner)
    gone["start"] = "1"  # the pid was reused since
    assert not runs.owner_alive(json.dumps(gone))
    assert runs.owner_alive(json.dumps({**gone, "host": "another-host"}))
    other.close()


def test_version_2_file_is_upgraded(tmp_path):
    import sqlite3

    path = tmp_path / "s.sqlite3"
    db = sqlite3.connect(path)
    db.executescript(
        """
        CREATE TABLE meta (k TEXT PRIMARY KEY, v TEXT NOT NULL);
        CREATE TABLE notices (nid INTEGER PRIMARY KEY, id TEXT NOT NULL UNIQUE,
            doc_number TEXT, issuer TEXT NOT NULL DEFAULT '', sig BLOB,
            exported INTEGER NOT NULL DEFAULT 0, url TEXT, added REAL NOT NULL);
        CREATE TABLE seen (h INTEGER PRIMARY KEY, url TEXT, at REAL NOT NULL);
        INSERT INTO meta VALUES ('schema_version', '2');
        INSERT INTO notices (id, exported, added) VALUES ('old', 0, 0);
        INSERT INTO seen VALUES (1, 'http://h/1', 0);
        """
    )
    db.commit()
    db.close()
    s = SQLiteState(path)
    assert s.get_meta("schema_version") == "3"
    s.begin_run()
    assert s.get_notice("old") is not None  # not in a run: never rolled back
    s.close()


# -- the key filter: skipped queries, never a missed key ---------------------------


def test_key_filter_skips_queries_for_new_keys_and_misses_nothing(tmp_path):
    import random

    s = SQLiteState(tmp_path / "s.sqlite3")
    plain = SQLiteState(":memory:")
    plain._filter_off = True  # the reference: every look-up queries
    rng = random.Random(7)
    for i in range(300):
        bands = [rng.getrandbits(64) - 2**63 for _ in range(3)]
        keys = [("url", f"h/{i}"), ("body", f"{rng.getrandbits(40):x}")]
        for state in (s, plain):
            state.add_notice(NoticeInfo(f"n{i}"), bands=bands, keys=keys)
        if i % 50 == 0:  # the filter is built on the first look-up, then kept up to date
            assert s.find("url", f"h/{i}")[0].id == f"n{i}"
    queries = []
    s.db.set_trace_callback(queries.append)
    for i in range(0, 330, 7):
        url = ("url", f"h/{i}")
        assert [n.id for n in s.find_many([url])[0]] == [n.id for n in plain.find_many([url])[0]]
    probes = [rng.getrandbits(64) - 2**63 for _ in range(200)]
    queries.clear()
    assert s.candidates(probes) == plain.candidates(probes) == []
    assert s.find_many([("url", "h/new"), ("body", "new")]) == [[], []]
    assert not [q for q in queries if not q.startswith("PRAGMA")]  # no look-up query
    assert len(s.find_many([("url", "h/12")])[0]) == 1
    assert [q for q in queries if q.startswith("SELECT")]


def test_key_filter_is_set_aside_when_another_connection_writes(tmp_path):
    path = tmp_path / "s.sqlite3"
    a = SQLiteState(path)
    a.add_notice(NoticeInfo("a"), bands=[1], keys=[("url", "h/a")])
    a.commit()
    assert a.find("url", "h/b") == []  # builds a's filter
    b = SQLiteState(path)
    b.add_notice(NoticeInfo("b"), bands=[2], keys=[("url", "h/b")])
    b.commit()
    assert [n.id for n in a.find("url", "h/b")] == ["b"]
    assert [n.id for n in a.candidates([2])] == ["b"]
    assert a._filter is None and a._filter_off
    a.close()
    b.close()


def test_key_filter_is_rebuilt_past_its_planned_load(tmp_path, monkeypatch):
    from gazette.state import keyfilter

    monkeypatch.setattr(keyfilter, "MIN_KEYS", 8)
    monkeypatch.setattr("gazette.state.sqlite.bits_for", keyfilter.bits_for)
    s = SQLiteState(tmp_path / "s.sqlite3")
    assert s.candidates([5]) == []
    small = s._filter.nbits
    for i in range(100):
        s.add_notice(NoticeInfo(f"n{i}"), bands=[i], keys=[("url", f"h/{i}")])
    assert [n.id for n in s.candidates([99])] == ["n99"]  # rebuilt here
    assert s._filter.nbits > small and s._filter.count == 200
    assert all(s.find("url", f"h/{i}") for i in range(100))
    s.reset()
    assert s._filter is None and s.find("url", "h/1") == []


def test_key_filter_checks_for_other_writers_once_per_transaction(tmp_path):
    path = tmp_path / "s.sqlite3"
    s = SQLiteState(path)
    queries = []
    s.db.set_trace_callback(queries.append)
    for i in range(5):
        s.add_notice(NoticeInfo(f"n{i}"), bands=[i], keys=[("url", f"h/{i}")])
        assert s.find_many([("url", f"h/new{i}")]) == [[]] and s.candidates([100 + i]) == []
    assert sum(q.startswith("PRAGMA data_version") for q in queries) == 1
    s.commit()
    other = SQLiteState(path)
    other.add_notice(NoticeInfo("x"), keys=[("url", "h/x")])
    other.commit()
    assert [n.id for n in s.find("url", "h/x")] == ["x"]  # after our commit: checked again
    other.close()
    s.close()
