"""Kill-and-resume (issue 6, part 3): SIGKILL a crawl mid-way, several times.

A crawl of a slow-ish local site is killed with SIGKILL once its export holds
a given number of records, restarted with the same state (and JOBDIR), killed
again later, and finally run to its end. Across the runs' export files:

* every line is one whole JSON record (no partial line),
* no notice is exported twice,
* the set of notices equals an uninterrupted run's, record for record.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import time
from pathlib import Path
from typing import Any

import pytest
from faultserver import ROOT, ChaosSite, crawl_command, crawl_env, read_jsonl, run_crawl, serving

NOTICES = 240
VOLATILE = ("url", "fetched_at")
#: kill once the export holds this many records (cumulated over the runs)
KILL_AT = (30, 110, 200)
SETTINGS = {"CONCURRENT_REQUESTS": 8, "CONCURRENT_REQUESTS_PER_DOMAIN": 8}


def _lines(path: Path) -> int:
    try:
        with path.open("rb") as f:
            return f.read().count(b"\n")
    except FileNotFoundError:
        return 0


def _run_until(cmd: list[str], feed: Path, before: int, kill_at: int | None, timeout: float) -> str:
    """Run ``cmd``; SIGKILL it once the cumulated export reaches ``kill_at`` lines."""
    log = feed.with_suffix(".log")
    with log.open("wb") as err:
        proc = subprocess.Popen(
            cmd, cwd=str(ROOT), env=crawl_env(), stdout=subprocess.DEVNULL, stderr=err
        )
        deadline = time.monotonic() + timeout
        try:
            while proc.poll() is None:
                if time.monotonic() > deadline:
                    raise AssertionError(f"crawl did not end within {timeout}s")
                if kill_at is not None and before + _lines(feed) >= kill_at:
                    os.kill(proc.pid, signal.SIGKILL)
                    proc.wait(10)
                    return "killed"
                time.sleep(0.005)
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait(10)
    # the run monitors may turn the exit status to 3 (e.g. a run with no item)
    if b"Spider closed (finished)" in log.read_bytes():
        return "finished"
    return f"failed {proc.returncode}"


def _by_docno(records: list[dict[str, Any]]) -> dict[str, list[dict[str, Any]]]:
    out: dict[str, list[dict[str, Any]]] = {}
    for r in records:
        out.setdefault(str(r.get("doc_number")), []).append(r)
    return out


def _kill_and_resume(tmp: Path, jobdir: bool) -> dict[str, Any]:
    site = ChaosSite(notices=NOTICES, per_page=24, fault_ratio=0.0, faults=False)
    with serving(site, delay=0.01) as srv:
        reference, _, _ = run_crawl(srv.start_url, tmp, "reference", 60.0, settings=SETTINGS)
        state = tmp / "state.sqlite3"
        outcomes, feeds = [], []
        total = 0
        for run, kill_at in enumerate((*KILL_AT, None)):
            feed = tmp / f"run{run}.jsonl"
            cmd = crawl_command(
                srv.start_url,
                feed,
                state,
                jobdir=tmp / "job" if jobdir else None,
                settings=SETTINGS,
            )
            outcomes.append(_run_until(cmd, feed, total, kill_at, timeout=40.0))
            feeds.append(feed)
            total += _lines(feed)
    return {"site": site, "reference": reference, "outcomes": outcomes, "feeds": feeds}


def _check(result: dict[str, Any]) -> None:
    assert result["outcomes"][-1] == "finished", result["outcomes"]
    records: list[dict[str, Any]] = []
    for feed in result["feeds"]:
        records += read_jsonl(feed, strict=True)  # raises on a partial line
    reference = _by_docno(result["reference"])
    assert len(reference) == NOTICES
    got = _by_docno(records)
    dups = {d: len(v) for d, v in got.items() if len(v) > 1}
    lost = sorted(set(reference) - set(got))
    extra = sorted(set(got) - set(reference))
    per_run = [_lines(f) for f in result["feeds"]]
    assert not dups, f"duplicated across runs {per_run}: {dups}"
    assert not lost, f"lost after kill/resume {per_run}: {len(lost)} e.g. {lost[:5]}"
    assert not extra, extra
    for docno, (record,) in got.items():
        ref = reference[docno][0]
        diff = {k for k in ref if k not in VOLATILE and ref[k] != record.get(k)}
        assert not diff, (docno, diff)
    # every kill point was reached (the crawl did not end before it)
    assert result["outcomes"][:-1] == ["killed"] * len(KILL_AT), result["outcomes"]


@pytest.fixture(scope="module")
def state_runs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    return _kill_and_resume(tmp_path_factory.mktemp("kill-state"), jobdir=False)


def test_kill_and_resume_with_state_whole_lines(state_runs: dict[str, Any]) -> None:
    """Every run was killed where planned, the last one finished, no line is partial."""
    assert state_runs["outcomes"] == ["killed"] * len(KILL_AT) + ["finished"]
    for feed in state_runs["feeds"]:
        read_jsonl(feed, strict=True)


@pytest.mark.xfail(
    strict=False,  # a race: hit in about one run out of three
    reason=(
        "BUG (state/__init__.py _Recorder + pipelines/p40_dedup.py): the export line "
        "and the state commit are not atomic, see the two deterministic tests below"
    ),
)
def test_kill_and_resume_with_state(state_runs: dict[str, Any]) -> None:
    """Restart with the same state only: seen detail pages are skipped."""
    _check(state_runs)


@pytest.mark.xfail(
    strict=True,
    reason=(
        "BUG (spiders/base.py + Scrapy JOBDIR): after a SIGKILL the JOBDIR dupefilter "
        "(requests.seen) holds requests that were scheduled but never processed, while "
        "the disk queue's index is only written at a clean close; NoticeSpider.start() "
        "yields its list requests without dont_filter=True, so the resumed run filters "
        "the start page as seen, finds nothing to do and ends: the unfetched notices "
        "are lost (state-only resume works, see test_kill_and_resume_with_state)"
    ),
)
def test_kill_and_resume_with_jobdir(tmp_path: Path) -> None:
    """Restart with the same JOBDIR and state (``scrapy crawl -s JOBDIR=…``)."""
    _check(_kill_and_resume(tmp_path, jobdir=True))


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM])
def test_graceful_stop_and_resume_with_jobdir(tmp_path: Path, sig: int) -> None:
    """A polite stop (Ctrl-C, ``kill``) and a resume lose and repeat nothing."""
    site = ChaosSite(notices=120, per_page=24, fault_ratio=0.0, faults=False)
    with serving(site, delay=0.01) as srv:
        state, job = tmp_path / "state.sqlite3", tmp_path / "job"
        first, second = tmp_path / "a.jsonl", tmp_path / "b.jsonl"
        cmd = crawl_command(srv.start_url, first, state, jobdir=job, settings=SETTINGS)
        with (tmp_path / "a.log").open("wb") as err:
            proc = subprocess.Popen(cmd, cwd=str(ROOT), env=crawl_env(), stderr=err)
            deadline = time.monotonic() + 30
            while _lines(first) < 40 and proc.poll() is None and time.monotonic() < deadline:
                time.sleep(0.005)
            proc.send_signal(sig)
            assert proc.wait(30) >= 0  # exited by itself (status 3: monitors saw 'shutdown')
        assert b"Spider closed (shutdown)" in (tmp_path / "a.log").read_bytes()
        cmd = crawl_command(srv.start_url, second, state, jobdir=job, settings=SETTINGS)
        subprocess.run(cmd, cwd=str(ROOT), env=crawl_env(), capture_output=True, timeout=40)
        records = read_jsonl(first) + read_jsonl(second)
        got = _by_docno(records)
        assert sorted(got) == sorted(n.doc_number for n in site.notices)
        assert all(len(v) == 1 for v in got.values())


# -- the two windows, deterministically ---------------------------------------------------


class _Stats:
    def __init__(self) -> None:
        self.values: dict[str, Any] = {}

    def inc_value(self, key: str, count: int = 1, start: int = 0) -> None:
        self.values[key] = self.values.get(key, start) + count

    def set_value(self, key: str, value: Any) -> None:
        self.values[key] = value


def _records(n: int) -> list[dict[str, Any]]:
    from faultserver import notice_html

    from gazette.extract import extract_html

    site = ChaosSite(notices=n, faults=False)
    return [
        extract_html(notice_html(x).encode(), url=f"http://127.0.0.1:1{x.path}", spider="site")
        for x in site.notices
    ]


def _pipeline(path: Path) -> Any:
    from types import SimpleNamespace

    from gazette.dedup import Deduplicator
    from gazette.pipelines.p40_dedup import DedupPipeline
    from gazette.state.sqlite import SQLiteState

    state = SQLiteState(path)
    crawler = SimpleNamespace(stats=_Stats())
    return state, DedupPipeline(crawler, Deduplicator(state))


@pytest.mark.xfail(
    strict=True,
    reason=(
        "BUG (state/__init__.py _Recorder.item_scraped commits the shared SQLite "
        "connection, pipelines/p40_dedup.py adds notices to it before export): item A's "
        "commit also commits item B's add_notice while B is still between the dedup "
        "stage and the feed export; a SIGKILL then leaves B known to the state but never "
        "exported, and the resumed crawl drops B as a 'url' duplicate of itself: B is lost"
    ),
)
def test_commit_of_one_item_does_not_hide_another_unexported(tmp_path: Path) -> None:
    a, b = _records(2)
    state, pipeline = _pipeline(tmp_path / "s.sqlite3")
    out_a = pipeline.process_item(dict(a))  # A passes the dedup stage
    pipeline.process_item(dict(b))  # B passes the dedup stage, not exported yet
    state.mark_exported(out_a["id"])  # A's item_scraped: A's line is written,
    state.commit()  # and the state commits (B's add_notice with it)
    state.db.close()  # SIGKILL here (uncommitted work is rolled back)
    # B's line was never written. The resumed crawl fetches B again:
    _, resumed = _pipeline(tmp_path / "s.sqlite3")
    resumed.process_item(dict(b))  # raises DropItem (duplicates/url) today


@pytest.mark.xfail(
    strict=True,
    reason=(
        "BUG (state/__init__.py _Recorder): the feed exporter writes and flushes an "
        "item's line in its item_scraped handler, the state commits the notice in "
        "another handler; a SIGKILL between the two leaves the line on disk but not in "
        "the state, and the resumed crawl exports the notice a second time"
    ),
)
def test_written_line_is_known_after_a_kill(tmp_path: Path) -> None:
    from scrapy.exceptions import DropItem

    (a,) = _records(1)
    state, pipeline = _pipeline(tmp_path / "s.sqlite3")
    out = pipeline.process_item(dict(a))
    (tmp_path / "run0.jsonl").write_text(json.dumps(out, ensure_ascii=False) + "\n", "utf-8")
    state.db.close()  # SIGKILL here, before the state's item_scraped handler commits
    # Resume:
    _, resumed = _pipeline(tmp_path / "s.sqlite3")
    with pytest.raises(DropItem):
        resumed.process_item(dict(a))  # today: a new notice, exported twice
