"""Monitors at spider close, the run summary beside the export, the non-zero exit.

Real ``scrapy crawl`` subprocesses against local static sites: the demo's
gov.cn library (monitors pass, exit 0) and the same library after a template
change that moved 文号/成文日期 out of the page (coverage monitor fails, exit 3).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from gazette.demo import DEMO_SITE, serve
from gazette.ops.monitors import EXIT_CODE, coverage_thresholds, local_path, summarize, summary_path

ROOT = Path(__file__).resolve().parent.parent
CHANGED = Path(__file__).resolve().parent / "fixtures" / "monitors" / "changed-template"


def scrapy_crawl(
    tmp: Path, spider: str, args: dict[str, str], settings: dict[str, Any] | None = None
) -> tuple[subprocess.CompletedProcess[str], Path]:
    """``scrapy crawl`` as cron would run it; → (process, export path)."""
    out = tmp / "exports" / f"{spider}.jsonl"
    cmd = [sys.executable, "-m", "scrapy", "crawl", spider, "-O", str(out)]
    for key, value in args.items():
        cmd += ["-a", f"{key}={value}"]
    base = {
        "AUTOTHROTTLE_ENABLED": 0,
        "DOWNLOAD_DELAY": 0,
        "GAZETTE_STATE_PATH": str(tmp / "state.sqlite3"),
        "CLOSESPIDER_TIMEOUT": 50,
    }
    base.update(settings or {})
    for key, value in base.items():
        cmd += ["-s", f"{key}={json.dumps(value) if isinstance(value, (dict, list)) else value}"]
    env = {**os.environ, "SCRAPY_SETTINGS_MODULE": "gazette.settings", "PYTHONPATH": str(ROOT)}
    for var in ("http_proxy", "https_proxy", "HTTP_PROXY", "HTTPS_PROXY"):
        env.pop(var, None)
    proc = subprocess.run(
        cmd, cwd=tmp, env=env, capture_output=True, text=True, timeout=80, check=False
    )
    return proc, out


def test_healthy_crawl_passes_and_writes_summary(tmp_path: Path) -> None:
    with serve(DEMO_SITE / "govcn") as base:
        proc, out = scrapy_crawl(
            tmp_path, "gov_cn", {"start_url": f"{base}/search-gov/data?t=zhengcelibrary_gw&p=1&n=3"}
        )
    assert proc.returncode == 0, proc.stderr[-3000:]
    summary = json.loads(summary_path(out).read_text("utf-8"))
    assert summary["notices"] == len(out.read_text("utf-8").splitlines()) > 0
    assert summary["monitors"]["ok"] is True and summary["monitors"]["failed"] == []
    assert summary["monitors"]["passed"] == 8  # 6 + export written, http error rate
    assert summary["spider"] == "gov_cn" and summary["finish_reason"] == "finished"
    assert summary["coverage"]["doc_number"] == [summary["notices"], summary["notices"]]
    # printed in the demo's words
    for word in (
        "pages",
        "notices",
        "dropped",
        "duplicates",
        "errors",
        "coverage",
        "monitors    OK",
    ):
        assert word in proc.stdout
    assert "[Spidermon]" in proc.stderr


def test_changed_template_fails_loudly(tmp_path: Path) -> None:
    # the fixture holds 3 notices: coverage is judged over 10 by default (a small run is
    # not judged), so the minimum is lowered here
    with serve(CHANGED) as base:
        proc, out = scrapy_crawl(
            tmp_path,
            "gov_cn",
            {"start_url": f"{base}/zhengce/zhengceku/"},
            {"GAZETTE_MONITOR_COVERAGE_MIN_NOTICES": 1},
        )
    assert proc.returncode == EXIT_CODE, proc.stderr[-3000:]
    records = [json.loads(line) for line in out.read_text("utf-8").splitlines()]
    assert records and all(r["doc_number"] is None for r in records)  # items, but empty fields
    summary = json.loads(summary_path(out).read_text("utf-8"))
    assert summary["monitors"]["ok"] is False
    (failure,) = summary["monitors"]["failed"]
    assert failure["monitor"] == "coverage/field coverage"
    assert "doc_number 0%" in failure["error"] and "date 0%" in failure["error"]
    assert "monitors    FAILED" in proc.stdout
    assert "FAILED coverage/field coverage" in proc.stdout
    assert "ERROR" in proc.stderr


def test_no_notices_fails(tmp_path: Path) -> None:
    # the site answers, but the list links to nothing: a quiet night must not look fine
    empty = tmp_path / "site"
    (empty / "list").mkdir(parents=True)
    (empty / "list" / "index.html").write_text(
        "<html><body><p>栏目改版中</p></body></html>", encoding="utf-8"
    )
    with serve(empty) as base:
        proc, out = scrapy_crawl(tmp_path, "site", {"start_url": f"{base}/list/"})
    assert proc.returncode == EXIT_CODE, proc.stderr[-3000:]
    summary = json.loads(summary_path(out).read_text("utf-8"))
    failed = {f["monitor"] for f in summary["monitors"]["failed"]}
    assert "notices/notices exported" in failed
    assert "lists/empty list answers" in failed  # the start page held no detail links


def test_monitors_can_be_relaxed_per_spider(tmp_path: Path) -> None:
    relaxed = {"gov_cn": {"doc_number": 0, "date": 0, "issuer": 0}}
    with serve(CHANGED) as base:
        proc, out = scrapy_crawl(
            tmp_path,
            "gov_cn",
            {"start_url": f"{base}/zhengce/zhengceku/"},
            {
                "GAZETTE_MONITOR_COVERAGE_BY_SPIDER": relaxed,
                "GAZETTE_SUMMARY_PRINT": 0,
                "GAZETTE_MONITOR_COVERAGE_MIN_NOTICES": 1,
            },
        )
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert "monitors" not in proc.stdout
    assert json.loads(summary_path(out).read_text("utf-8"))["monitors"]["ok"] is True


def test_thresholds_and_summary_helpers() -> None:
    from scrapy.settings import Settings

    settings = Settings(
        {
            "GAZETTE_MONITOR_COVERAGE": {"doc_number": 0.5, "body": 0.9},
            "GAZETTE_MONITOR_COVERAGE_BY_SPIDER": {"site": {"doc_number": 0.1, "issuer": 0}},
        }
    )
    assert coverage_thresholds(settings, "site")["doc_number"] == 0.1
    assert "issuer" not in coverage_thresholds(settings, "site")  # 0 turns a field off
    assert coverage_thresholds(settings, "gov_cn")["doc_number"] == 0.5
    stats = {
        "response_received_count": 10,
        "item_scraped_count": 4,
        "gazette/coverage/doc_number": 3,
        "gazette/duplicates/url": 2,
        "item_dropped_count": 3,
        "item_dropped_reasons_count/GazetteDrop": 3,
        "log_count/ERROR": 1,
    }
    s = summarize(stats)
    assert (s["pages"], s["notices"], s["duplicates"], s["dropped"], s["errors"]) == (
        10,
        4,
        2,
        3,
        1,
    )
    assert s["coverage"]["doc_number"] == (3, 4)
    assert local_path("s3://bucket/x.jl") is None
    assert summary_path(Path("/a/b/2024.jsonl")) == Path("/a/b/2024.summary.json")


def test_crawl_command_is_ours(monkeypatch: pytest.MonkeyPatch) -> None:
    from scrapy.cmdline import _get_commands_dict
    from scrapy.utils.project import get_project_settings

    monkeypatch.setenv("SCRAPY_SETTINGS_MODULE", "gazette.settings")
    command = "crawl"
    cmds = _get_commands_dict(get_project_settings(), inproject=True)
    assert type(cmds[command]).__module__ == "gazette.commands.crawl"
