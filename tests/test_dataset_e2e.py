"""End to end: six copies of one notice on one site, crawled by the real ``site`` spider.

The fixture (``tests/dataset_seed.py``) follows ``/work/shared/seed/``: after
run 1 the dataset holds one record with the 文号, without mask, with six
sources; run 2 changes nothing; a new copy with attachments raises the
revision and merges them (and the cited 国办发 notice, crawled too, resolves
``cites``/``cited_by``).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import dataset_seed as seed

from gazette.demo import serve

SETTINGS = (
    "AUTOTHROTTLE_ENABLED=0",
    "DOWNLOAD_DELAY=0",
    "LOG_LEVEL=INFO",
    "GAZETTE_MONITOR_MIN_ITEMS=0",  # run 2 exports nothing, rightly
)

CITED_PAGE = (
    '<!DOCTYPE html>\n<html lang="zh-CN"><head><meta charset="utf-8"><title>意见</title></head>'
    '<body><div class="article"><h1>国务院办公厅关于进一步做好政务信息发布和政策解读工作的意见</h1>'
    '<div class="content"><p style="text-align:center">国办发〔2013〕100号</p>'
    "<p>各省、自治区、直辖市人民政府，国务院各部委、各直属机构：</p>"
    "<p>为进一步做好政务信息发布和政策解读工作，增强政府工作透明度，经国务院同意，现提出以下意见。</p>"
    "<p>一、各地区各部门要把政务信息发布作为经常性工作，明确责任，完善制度，及时准确发布权威信息。</p>"
    "<p>二、重要政策出台后，制定部门要主动解读，回应社会关切，防止误读误解。</p>"
    '<p style="text-align:right">国务院办公厅</p><p style="text-align:right">2013年10月1日</p>'
    "</div></div></body></html>\n"
)


def _crawl(workdir: Path, start_url: str) -> list[dict]:
    exports = workdir / "data" / "exports" / "site"
    before = set(exports.glob("*.jsonl")) if exports.exists() else set()
    cmd = [sys.executable, "-m", "scrapy", "crawl", "site", "-a", f"start_url={start_url}"]
    for s in SETTINGS:
        cmd += ["-s", s]
    env = {**os.environ, "SCRAPY_SETTINGS_MODULE": "gazette.settings"}
    proc = subprocess.run(cmd, cwd=workdir, env=env, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert "Traceback" not in proc.stderr, proc.stderr[-3000:]
    new = sorted(set(exports.glob("*.jsonl")) - before)
    import time

    time.sleep(1.05)  # the next run's export gets its own file name (one per second)
    return [json.loads(line) for f in new for line in f.read_text("utf-8").splitlines()]


def _dataset(workdir: Path) -> list[dict]:
    path = workdir / "data" / "dataset" / "notices.jsonl"
    return [json.loads(line) for line in path.read_text("utf-8").splitlines()]


def _last_per_id(feed: list[dict]) -> dict[str, dict]:
    out: dict[str, dict] = {}
    for record in feed:
        out[record["id"]] = record
    return out


def test_six_copies_one_best_record_kept_current(tmp_path):
    site = tmp_path / "site"
    seed.write_site(site)
    work = tmp_path / "work"
    work.mkdir()
    with serve(site) as base:
        # run 1: six copies, one notice
        feed1 = _crawl(work, base + "/")
        data = _dataset(work)
        assert len(data) == 1, [r["url"] for r in data]
        rec = data[0]
        assert rec["doc_number"] == seed.DOCNO
        assert rec["masked"] is False and "***" not in rec["title"]
        assert rec["title"] == seed.TITLE
        assert len(rec["sources"]) == 6
        assert {s["url"] for s in rec["sources"]} == {base + p for p in seed.pages() if p != "/"}
        assert sum(s["masked"] for s in rec["sources"]) == 5
        assert all(s["site"] and s["fetched_at"] and s["run"] for s in rec["sources"])
        assert rec["first_seen"] <= rec["last_seen"]
        assert rec["genre"] == "通知"
        assert (rec["issuer_level"], rec["issuer_region"]) == ("provincial", "广东")
        assert rec["references"] == [seed.CITED] and rec["cites"] == []
        assert rec["body_hash"] and rec["revision"] >= 1
        # the export is a change feed: the last line per id is the dataset's record
        last = _last_per_id(feed1)
        assert list(last) == [rec["id"]]
        assert last[rec["id"]]["revision"] == rec["revision"]
        for key in ("title", "doc_number", "masked", "url", "attachments", "genre"):
            assert last[rec["id"]][key] == rec[key], key
        assert all(r["id"] == rec["id"] for r in feed1)
        revisions = [r["revision"] for r in feed1]
        assert revisions == sorted(revisions) and len(set(revisions)) == len(revisions)

        # run 2: nothing new on the site, nothing changes
        files = work / "data" / "dataset"
        before = {p.name: p.read_bytes() for p in files.iterdir() if p.suffix in (".jsonl", ".csv")}
        feed2 = _crawl(work, base + "/")
        assert feed2 == []
        after = {p.name: p.read_bytes() for p in files.iterdir() if p.suffix in (".jsonl", ".csv")}
        assert after == before

        # run 3: a seventh copy brings two attachments; the cited notice appears too
        seed.write_site(
            site, {"/news/2207.html": seed.with_attachments(), "/news/2301.html": CITED_PAGE}
        )
        feed3 = _crawl(work, base + "/")
        data = {r["id"]: r for r in _dataset(work)}
        assert len(data) == 2
        now = data[rec["id"]]
        assert now["revision"] == rec["revision"] + 1
        assert [a["title"] for a in now["attachments"]] == [t for t, _ in seed.ATTACHMENTS]
        assert now["doc_number"] == seed.DOCNO and now["masked"] is False
        assert now["url"] == rec["url"]  # still the best copy's page
        assert len(now["sources"]) == 7
        cited = next(r for r in data.values() if r["id"] != rec["id"])
        assert cited["doc_number"] == seed.CITED and cited["issuer_level"] == "central"
        assert now["cites"] == [cited["id"]] and cited["cited_by"] == [rec["id"]]
        last = _last_per_id(feed3)
        assert last[rec["id"]]["revision"] == now["revision"]
        assert last[rec["id"]]["attachments"] == now["attachments"]
