"""The operator's night (issue 16) and a damaged state (issue 17, point 6).

Real ``scrapy crawl`` subprocesses against :class:`tests.faultserver.OperatorServer`
(127.0.0.1), which keeps its port across the runs of one test so that a second
run knows the first one's pages:

* exported means written: an export folder that cannot be written stops the crawl
  before any request; a disk that fills up mid-crawl (a 8 KiB tmpfs) fails the run
  and the next run exports exactly the notices whose lines never reached the file;
* quiet is not broken: a second run over an unchanged site exits 0, the same site
  after its list lost every link (a changed template) exits 3;
* every run leaves a verdict: Redis down, bad arguments, a damaged or read-only
  state each give one line on stderr, a non-zero exit, no traceback, no export, no
  request, and a failing summary that ``gazette health`` reports;
* every request is accounted for: pages + failures by reason = requests made.
"""

from __future__ import annotations

import hashlib
import json
import socket
import sqlite3
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from gazette.ops.health import main as health_main
from tests.faultserver import OperatorServer, crawl_env, read_jsonl, serving_operator

ROOT = Path(__file__).resolve().parent.parent


def crawl(
    work: Path,
    server: OperatorServer | None,
    name: str,
    args: dict[str, str] | None = None,
    settings: dict[str, Any] | None = None,
    output: Path | None = None,
    feed: bool = True,
) -> subprocess.CompletedProcess[str]:
    """``scrapy crawl site`` in ``work`` (its ``data/`` there); the export of run ``name``
    is ``work/exports/<name>.jsonl`` unless ``feed`` is off (project FEEDS) or ``output``."""
    cmd = [sys.executable, "-m", "scrapy", "crawl", "site"]
    if args is None:
        assert server is not None
        args = {"start_url": f"{server.base}/ops/index.html"}
    for key, value in args.items():
        cmd += ["-a", f"{key}={value}"]
    if output is not None:
        cmd += ["-o", str(output)]
    base: dict[str, Any] = {
        "AUTOTHROTTLE_ENABLED": 0,
        "DOWNLOAD_DELAY": 0,
        "DOWNLOAD_TIMEOUT": 2,
        "RETRY_TIMES": 0,
        "CLOSESPIDER_TIMEOUT": 50,
        "GAZETTE_STATE_PATH": str(work / "state.sqlite3"),
        "LOG_FILE": str(work / f"{name}.log"),
        "GAZETTE_SUMMARY_PATH": str(work / f"{name}.summary.json"),
    }
    if feed and output is None:
        base["FEEDS"] = {str(work / "exports" / f"{name}.jsonl"): {"format": "jsonlines"}}
    base.update(settings or {})
    for key, value in base.items():
        cmd += ["-s", f"{key}={json.dumps(value) if isinstance(value, (dict, list)) else value}"]
    return subprocess.run(
        cmd, cwd=work, env=crawl_env(), capture_output=True, text=True, timeout=90, check=False
    )


def summary(work: Path, name: str) -> dict[str, Any]:
    return dict(json.loads((work / f"{name}.summary.json").read_text("utf-8")))


def failed_monitors(data: dict[str, Any]) -> set[str]:
    return {f["monitor"] for f in data["monitors"]["failed"]}


def ops_hits(server: OperatorServer) -> int:
    with server.lock:
        return sum(n for path, n in server.hits.items() if path.startswith("/ops/"))


def assert_refused(proc: subprocess.CompletedProcess[str], code: int, *words: str) -> str:
    """One line on stderr (the summary's path may follow), no traceback, nothing on stdout."""
    assert proc.returncode == code, proc.stderr[-3000:]
    lines = [line for line in proc.stderr.splitlines() if line.strip()]
    assert lines and lines[0].startswith("gazette: error: "), proc.stderr
    assert all(line.startswith("gazette: ") for line in lines), proc.stderr
    assert "Traceback" not in proc.stderr and proc.stdout == ""
    for word in words:
        assert word in lines[0], lines[0]
    return lines[0]


def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


# -- quiet is not broken --------------------------------------------------------------------
def test_quiet_night_passes_and_a_broken_list_fails(tmp_path: Path) -> None:
    with serving_operator(ops_notices=4) as server:
        first = crawl(tmp_path, server, "run1")
        assert first.returncode == 0, first.stderr + (tmp_path / "run1.log").read_text()
        # LOG_FILE set and the run passed: nothing for cron to mail
        assert first.stdout == "" and first.stderr == ""
        assert len(read_jsonl(tmp_path / "exports" / "run1.jsonl")) == 4

        quiet = crawl(tmp_path, server, "run2")
        assert quiet.returncode == 0, (tmp_path / "run2.log").read_text()[-3000:]
        data = summary(tmp_path, "run2")
        assert data["notices"] == 0 and data["monitors"]["ok"] is True
        assert data["lists"]["found"] == 4 and data["lists"]["known"] == 4
        assert data["skipped"]["seen_detail"] == 4

        server.ops_broken = True  # the list's template changed: no detail link left
        broken = crawl(tmp_path, server, "run3")
        again = crawl(tmp_path, server, "run4")
    assert broken.returncode == 3
    data = summary(tmp_path, "run3")
    assert "notices/notices exported" in failed_monitors(data)
    assert "lists/empty list answers" in failed_monitors(data)  # it had entries last night
    assert data["lists"]["empty_lists"] == 1
    # the night after, the same list is still empty: the lists monitor said it once
    # (the run still fails: no list held an entry at all)
    assert again.returncode == 3
    data4 = summary(tmp_path, "run4")
    assert data4["lists"]["empty_lists"] == 0 and data4["lists"]["still_empty_lists"] == 1
    assert failed_monitors(data4) == {"notices/notices exported"}
    assert "no entries found" in json.dumps(data["monitors"], ensure_ascii=False)
    assert "monitors    FAILED" in broken.stdout  # a failed run is printed (cron mails it)


def test_a_site_answering_mostly_errors_fails(tmp_path: Path) -> None:
    with serving_operator(ops_notices=2) as server:
        server.ops_dead = 12  # 12 of the 15 answers (robots.txt aside) are 404
        proc = crawl(tmp_path, server, "dead")
    assert proc.returncode == 3
    data = summary(tmp_path, "dead")
    assert data["http_status"]["404"] == 12 and data["notices"] == 2
    assert failed_monitors(data) == {"http/http error rate"}


def test_few_notices_are_not_judged_on_coverage(tmp_path: Path) -> None:
    with serving_operator(ops_notices=2) as server:
        strict = {"GAZETTE_MONITOR_COVERAGE": {"topic": 0.9}}  # the pages have no 主题分类
        proc = crawl(tmp_path, server, "few", settings=strict)
        assert proc.returncode == 0, (tmp_path / "few.log").read_text()[-3000:]
        judged = crawl(
            tmp_path,
            server,
            "judged",
            settings={
                **strict,
                "GAZETTE_MONITOR_COVERAGE_MIN_NOTICES": 1,
                "GAZETTE_STATE_RESET": 1,
            },
        )
    assert judged.returncode == 3
    assert "coverage/field coverage" in failed_monitors(summary(tmp_path, "judged"))


def test_coverage_is_judged_against_the_site_history(tmp_path: Path) -> None:
    """主送 (recipients) has no threshold: only the site's own history can catch its loss."""
    judged = {"GAZETTE_MONITOR_COVERAGE_MIN_NOTICES": 10}
    with serving_operator(ops_notices=12) as server:
        usual = crawl(tmp_path, server, "usual", settings=judged)
        assert usual.returncode == 0, (tmp_path / "usual.log").read_text()[-3000:]
        db = sqlite3.connect(tmp_path / "state.sqlite3")
        (raw,) = db.execute("SELECT v FROM meta WHERE k='coverage_history'").fetchone()
        db.close()
        (run,) = json.loads(raw)
        assert run["notices"] == 12 and run["fields"]["recipients"] == 12

        server.ops_notices, server.ops_no_recipients = 24, True  # 12 new, without 主送
        dropped = crawl(tmp_path, server, "dropped", settings=judged)
    assert dropped.returncode == 3
    data = summary(tmp_path, "dropped")
    (failure,) = [
        f for f in data["monitors"]["failed"] if f["monitor"] == "coverage/field coverage"
    ]
    assert "recipients 0%, usually 100%" in failure["error"]


# -- exported means written --------------------------------------------------------------------
def test_unwritable_export_folder_stops_before_any_request(tmp_path: Path) -> None:
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "exports").write_text("a file where the folder should be")
    with serving_operator(ops_notices=3) as server:
        proc = crawl(tmp_path, server, "blocked", feed=False, settings={"GAZETTE_SUMMARY_PATH": ""})
        assert_refused(proc, 1, "cannot write the export", "data/exports/site/")
        missing = tmp_path / "no-dir"
        missing.write_text("a file, not a folder")
        proc_o = crawl(tmp_path, server, "blocked_o", output=missing / "x.jsonl")
        assert_refused(proc_o, 1, "cannot write the export", str(missing))
        assert ops_hits(server) == 0
        assert not (tmp_path / "state.sqlite3").exists()

        (tmp_path / "data" / "exports").unlink()  # the operator fixes the folder
        fixed = crawl(tmp_path, server, "fixed", feed=False, settings={"GAZETTE_SUMMARY_PATH": ""})
    assert fixed.returncode == 0, (tmp_path / "fixed.log").read_text()[-3000:]
    (export,) = (tmp_path / "data" / "exports" / "site").glob("*.jsonl")
    assert len(read_jsonl(export)) == 3
    assert len(list(export.parent.glob("*.summary.json"))) == 1


@pytest.fixture
def small_disk(tmp_path: Path) -> Any:
    """An 8 KiB tmpfs (root only): a disk that fills up after a few export lines."""
    mount = tmp_path / "small"
    mount.mkdir()
    proc = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=8k", "tmpfs", str(mount)],
        capture_output=True,
        text=True,
        check=False,
    )
    if proc.returncode != 0:
        pytest.skip(f"cannot mount a small tmpfs here (needs root): {proc.stderr.strip()}")
    try:
        yield mount
    finally:
        subprocess.run(["umount", "-l", str(mount)], check=False)


def test_full_disk_loses_nothing_across_the_next_run(tmp_path: Path, small_disk: Path) -> None:
    with serving_operator(ops_notices=8) as server:
        feed = small_disk / "night1.jsonl"
        full = crawl(
            tmp_path,
            server,
            "night1",
            settings={
                "FEEDS": {str(feed): {"format": "jsonlines"}},
                "GAZETTE_EXPORT_FLUSH_EVERY": 1,
                "CONCURRENT_REQUESTS": 1,
            },
        )
        log = (tmp_path / "night1.log").read_text("utf-8")
        assert full.returncode == 3, log[-3000:]
        assert "No space left on device" in log
        data = summary(tmp_path, "night1")
        assert data["export_failed"] is True and "export/export written" in failed_monitors(data)
        whole = []  # the lines a full disk let through (the last one may be partial)
        for line in feed.read_bytes().split(b"\n"):
            try:
                whole.append(json.loads(line))
            except ValueError:
                pass
        assert 0 < len(whole) == data["notices"] < 8
        (tmp_path / "night1.copy").write_bytes(feed.read_bytes())

        again = crawl(tmp_path, server, "night2")  # the disk is fine again (another folder)
        assert again.returncode == 0, (tmp_path / "night2.log").read_text()[-3000:]
    second = read_jsonl(tmp_path / "exports" / "night2.jsonl")
    first = read_jsonl(feed)  # the partial last line left by the failed write is cut
    ids = [r["id"] for r in first + second]
    assert len(ids) == len(set(ids)) == 8  # every notice once, none lost
    assert "rolled back" in (tmp_path / "night2.log").read_text("utf-8")


def test_output_writes_one_copy(tmp_path: Path) -> None:
    with serving_operator(ops_notices=2) as server:
        out = tmp_path / "mine" / "notices.jsonl"
        proc = crawl(tmp_path, server, "one", output=out, settings={"GAZETTE_SUMMARY_PATH": ""})
    assert proc.returncode == 0, (tmp_path / "one.log").read_text()[-3000:]
    assert len(read_jsonl(out)) == 2
    assert not (tmp_path / "data" / "exports").exists()  # no second copy
    assert (tmp_path / "mine" / "notices.summary.json").exists()


# -- every run leaves a verdict ----------------------------------------------------------------
def test_redis_down_writes_a_failing_summary_that_health_reports(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    url = f"redis://:secret@127.0.0.1:{closed_port()}/0"
    with serving_operator(ops_notices=2) as server:
        proc = crawl(
            tmp_path,
            server,
            "redis",
            feed=False,
            settings={"GAZETTE_REDIS_URL": url, "GAZETTE_SUMMARY_PATH": ""},
        )
        assert ops_hits(server) == 0
    line = assert_refused(proc, 1, "Redis at redis://:***@127.0.0.1", "does not answer")
    assert "secret" not in proc.stderr
    (path,) = (tmp_path / "data" / "exports" / "site").glob("*.summary.json")
    assert not list(path.parent.glob("*.jsonl"))  # a verdict, no export
    data = json.loads(path.read_text("utf-8"))
    assert data["monitors"]["ok"] is False and data["finish_reason"] == "failed_to_start"
    assert data["failed_before_start"]["reason"] == "state"
    assert data["arguments"] == {"start_url": f"{server.base}/ops/index.html"}
    assert data["host"] == socket.gethostname()
    capsys.readouterr()
    assert health_main([str(tmp_path / "data" / "exports")]) == 1
    out = capsys.readouterr().out
    assert "site" in out and "FAILED" in out and "no good run" in out
    assert line.split("gazette: error: ", 1)[1][:40] in out


@pytest.mark.parametrize(
    "args, words",
    [
        ({}, ["needs -a start_url="]),
        (
            {"start_url": "{base}/ops/index.html", "sinse": "2024-01-01"},
            ["unknown argument -a sinse="],
        ),
        (
            {"start_url": "{base}/ops/index.html", "since": "2024/01/01"},
            ["since= expects YYYY-MM-DD"],
        ),
        ({"start_url": "{base}/ops/index.html", "max_pages": "many"}, ["max_pages= expects"]),
    ],
)
def test_bad_arguments_stop_before_crawling(
    tmp_path: Path, args: dict[str, str], words: list[str]
) -> None:
    with serving_operator(ops_notices=2) as server:
        given = {k: v.format(base=server.base) for k, v in args.items()}
        proc = crawl(tmp_path, server, "args", args=given)
        assert ops_hits(server) == 0
    assert_refused(proc, 2, "spider 'site'", *words)
    assert not (tmp_path / "exports").exists()  # no export file
    data = summary(tmp_path, "args")
    assert failed_monitors(data) == {"start/arguments"}  # no monitor ran
    assert not (tmp_path / "state.sqlite3").exists()


# -- a damaged or read-only state (issue 17, point 6) -------------------------------------------
def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture
def known_state(tmp_path: Path) -> tuple[Path, OperatorServer]:
    """A state after one good crawl of 3 notices (the server keeps running)."""
    server = OperatorServer(ops_notices=3).start()
    proc = crawl(tmp_path, server, "good")
    assert proc.returncode == 0, (tmp_path / "good.log").read_text()[-3000:]
    yield tmp_path / "state.sqlite3", server
    server.stop()


@pytest.mark.parametrize("damage", ["garbage", "truncated"])
def test_damaged_state_stops_the_crawl_with_one_line(
    tmp_path: Path, known_state: tuple[Path, OperatorServer], damage: str
) -> None:
    state, server = known_state
    data = state.read_bytes()
    if damage == "garbage":
        state.write_bytes(b"\x00garbage\xff" * 4096)
    else:
        state.write_bytes(data[: len(data) // 2])
    before, hits = _digest(state), ops_hits(server)
    proc = crawl(tmp_path, server, "damaged")
    line = assert_refused(proc, 1, str(state), "is damaged", "GAZETTE_STATE_RESET=1", "backup")
    assert "(" in line  # what is wrong
    assert _digest(state) == before and ops_hits(server) == hits  # nothing written, no request
    assert not (tmp_path / "exports" / "damaged.jsonl").exists()
    # the way out named works, and keeps the damaged file
    reset = crawl(tmp_path, server, "reset", settings={"GAZETTE_STATE_RESET": 1})
    assert reset.returncode == 0, (tmp_path / "reset.log").read_text()[-3000:]
    assert len(read_jsonl(tmp_path / "exports" / "reset.jsonl")) == 3
    (aside,) = tmp_path.glob("state.sqlite3.damaged-*[0-9]")
    assert _digest(aside) == before


def _read_only_bind(path: Path) -> Any:
    """Make ``path`` read-only for everyone, root included (a read-only bind mount)."""
    for cmd in (
        ["mount", "--bind", str(path), str(path)],
        ["mount", "-o", "remount,ro,bind", str(path)],
    ):
        proc = subprocess.run(cmd, capture_output=True, text=True, check=False)
        if proc.returncode != 0:
            subprocess.run(["umount", str(path)], check=False, capture_output=True)
            pytest.skip(f"cannot bind-mount read-only here (needs root): {proc.stderr.strip()}")


@pytest.mark.parametrize("which", ["file", "shm"])
def test_read_only_state_stops_the_crawl_with_one_line(
    tmp_path: Path, known_state: tuple[Path, OperatorServer], which: str
) -> None:
    state, server = known_state
    target = state if which == "file" else Path(f"{state}-shm")
    if not target.exists():  # a stale -shm left by another process
        target.write_bytes(b"\0" * 32768)
    _read_only_bind(target)
    try:
        before, hits = _digest(state), ops_hits(server)
        proc = crawl(tmp_path, server, "ro")
        assert_refused(proc, 1, str(state), "is not writable", str(target), "chown")
        assert _digest(state) == before and ops_hits(server) == hits
    finally:
        subprocess.run(["umount", str(target)], check=False)
    again = crawl(tmp_path, server, "rw")  # write access back: the crawl runs
    assert again.returncode == 0, (tmp_path / "rw.log").read_text()[-3000:]


# -- every requested URL accounted for (issue 17, point 4) ---------------------------------------
def test_every_request_is_accounted_for(tmp_path: Path) -> None:
    refused = f"http://127.0.0.1:{closed_port()}/zwgk/index.html"
    with serving_operator(ops_notices=2, ops_faults=True, timeout=1, maxsize=256 * 1024) as server:
        proc = crawl(
            tmp_path,
            server,
            "acct",
            args={"start_urls": f"{server.base}/ops/index.html,{refused}"},
            settings={
                "DOWNLOAD_TIMEOUT": 1,
                "DOWNLOAD_MAXSIZE": server.maxsize,
                "DOWNLOAD_WARNSIZE": 0,
                "GAZETTE_MONITOR_MAX_HTTP_ERROR_RATE": 1,
                "GAZETTE_MONITOR_MAX_ERROR_RATE": 1,
            },
        )
    assert proc.returncode in (0, 3), proc.stderr
    requests = summary(tmp_path, "acct")["requests"]
    failed = requests["failed"]
    assert failed.get("timeout") == 1, requests
    assert failed.get("http_status") == 1, requests  # the 404 detail
    assert failed.get("too_large") == 1, requests
    assert failed.get("bomb") == 2, requests  # gzip-in-gzip and brotli
    assert failed.get("refused", 0) >= 2, requests  # robots.txt and the start page
    assert requests["pages"] >= 4  # robots.txt, the list, two notices
    total = requests["pages"] + requests["redirected"] + requests["unfinished"]
    assert total + sum(failed.values()) == requests["made"], requests
    assert requests["balanced"] is True
    assert requests["not_sent"].get("offsite", 0) == 0  # nothing refused before sending here


def test_health_says_when_each_spider_last_ran_well(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    def write(spider: str, name: str, finished: str, ok: bool) -> None:
        folder = tmp_path / spider
        folder.mkdir(exist_ok=True)
        failed = [] if ok else [{"monitor": "errors/error rate", "error": "9 errors"}]
        (folder / f"{name}.summary.json").write_text(
            json.dumps(
                {"spider": spider, "finished": finished, "monitors": {"ok": ok, "failed": failed}}
            )
        )

    write("gov_cn", "a", "2026-01-01T01:00:00+00:00", True)
    write("gov_cn", "b", "2026-01-02T01:00:00+00:00", False)
    write("site", "a", "2026-01-02T01:00:00+00:00", True)
    now = ["--now", "2026-01-02T08:00:00+00:00"]
    assert health_main([str(tmp_path), *now]) == 0  # gov_cn's last good run is 31 h old
    out = capsys.readouterr().out.splitlines()
    assert out[0].startswith("gov_cn    FAILED") and "errors/error rate: 9 errors" in out[0]
    assert out[1].startswith("site      OK")
    assert health_main([str(tmp_path), "--max-age", "24", *now]) == 1
    assert health_main([str(tmp_path), "--spider", "pingtan", *now]) == 1
    assert "pingtan   STALE  no run found" in capsys.readouterr().out
