"""Export: JSON lines, UTF-8, one file per run, whole lines even when killed."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap

from scrapy.settings import Settings

from gazette import settings as project_settings
from gazette.crawl.exporters import FlushingJsonLinesItemExporter, uri_params
from gazette.dedup.compact import read_jsonl
from gazette.items import complete


def _items(n):
    return [
        complete({"id": f"g{i}", "title": f"关于第{i}号的通知", "body": "正文"}) for i in range(n)
    ]


def test_lines_reach_the_file_before_close(tmp_path):
    path = tmp_path / "out.jsonl"
    fh = path.open("ab")  # as FileFeedStorage opens it: buffered
    exporter = FlushingJsonLinesItemExporter(fh, encoding="utf-8")
    exporter.start_exporting()
    for item in _items(3):
        exporter.export_item(item)
    text = path.read_text("utf-8")  # not closed, not finished
    assert text.count("\n") == 3
    assert "关于第0号的通知" in text and "\\u" not in text
    exporter.finish_exporting()
    fh.close()


def test_gzip_stream_is_readable_before_close(tmp_path):
    path = tmp_path / "out.jsonl.gz"
    fh = path.open("ab")
    exporter = FlushingJsonLinesItemExporter(fh, encoding="utf-8", compress=True)
    exporter.start_exporting()
    for item in _items(4):
        exporter.export_item(item)
    assert [r["id"] for r in read_jsonl(str(path))] == ["g0", "g1", "g2", "g3"]  # no trailer yet
    exporter.finish_exporting()
    fh.close()
    assert len(list(read_jsonl(str(path)))) == 4


def test_killed_writer_leaves_whole_lines(tmp_path):
    path = tmp_path / "killed.jsonl"
    code = textwrap.dedent(
        f"""
        import os, signal
        from gazette.crawl.exporters import FlushingJsonLinesItemExporter
        fh = open({str(path)!r}, "ab")
        ex = FlushingJsonLinesItemExporter(fh, encoding="utf-8")
        ex.start_exporting()
        for i in range(25):
            ex.export_item({{"id": i, "body": "正文" * 3000}})
        os.kill(os.getpid(), signal.SIGKILL)
        """
    )
    proc = subprocess.run([sys.executable, "-c", code], timeout=60)
    assert proc.returncode != 0
    lines = path.read_bytes().split(b"\n")
    assert lines[-1] == b""  # ends on a line break
    assert [json.loads(line)["id"] for line in lines[:-1]] == list(range(25))


def test_project_feed_settings():
    settings = Settings()
    settings.setmodule(project_settings)
    feeds = settings.getdict("FEEDS")
    (uri, options), *_ = feeds.items()
    assert uri.startswith("data/exports/%(name)s/%(time)s.jsonl")
    assert options["format"] == "jsonlines" and options["encoding"] == "utf-8"
    exporters = settings.getdict("FEED_EXPORTERS")
    assert exporters["jsonlines"].endswith("FlushingJsonLinesItemExporter")
    assert list(settings.getdict("ITEM_PIPELINES").values()) == [100, 200, 300, 400]


def test_gzip_switch_names_the_file():
    class _Crawler:
        settings = Settings({"GAZETTE_EXPORT_GZIP": "1"})

    class _Spider:
        crawler = _Crawler()

    assert uri_params({"name": "x"}, _Spider())["gz"] == ".gz"
    _Spider.crawler.settings = Settings({})
    assert uri_params({"name": "x"}, _Spider())["gz"] == ""


class _Order:
    """Stands for the crawl state's recorder: notes commits and exported marks."""

    def __init__(self, path):
        self.path = path
        self.events = []

    def commit(self):
        self.events.append(("commit", self.path.read_bytes().count(b"\n")))

    def exported(self, ids):
        self.events.append(("exported", list(ids)))


def test_batches_are_committed_before_they_are_written(tmp_path):
    path = tmp_path / "out.jsonl"
    fh = path.open("ab")
    exporter = FlushingJsonLinesItemExporter(fh, encoding="utf-8", flush_every=3)
    exporter.start_exporting()
    exporter._attached = True
    exporter._state = exporter._recorder = recorder = _Order(path)
    for item in _items(7):
        exporter.export_item(item)
    assert path.read_bytes().count(b"\n") == 6  # two batches written, one line held
    exporter.finish_exporting()
    fh.close()
    assert recorder.events == [
        ("commit", 0),
        ("exported", ["g0", "g1", "g2"]),
        ("commit", 3),
        ("exported", ["g3", "g4", "g5"]),
        ("commit", 6),
        ("exported", ["g6"]),
    ]


def test_held_lines_are_flushed_once_old(tmp_path):
    import time

    path = tmp_path / "out.jsonl"
    fh = path.open("ab")
    exporter = FlushingJsonLinesItemExporter(
        fh, encoding="utf-8", flush_every=100, flush_seconds=0.05
    )
    exporter.start_exporting()
    exporter.export_item(_items(1)[0])
    assert path.read_bytes() == b"" and not exporter.flush_due()
    time.sleep(0.06)
    assert exporter.flush_due()  # the recorder's timer flushes what is due
    exporter.export_item(_items(2)[1])  # ... and so does the next item
    assert path.read_bytes().count(b"\n") == 2
    exporter.finish_exporting()
    fh.close()
