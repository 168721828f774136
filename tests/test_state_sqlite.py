"""gazette.state.sqlite: the embedded state behind the State interface."""

from __future__ import annotations

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
