"""Distributed mode on a real redis-server: shared frontier, shared notice ids.

A ``redis-server`` (the Debian binary, installed by ``scripts/ci-services.sh``)
runs on an ephemeral 127.0.0.1 port for this module. The demo sites are
crawled once by one process per spider (SQLite state), then by two worker
processes per spider at the same time with ``GAZETTE_REDIS_URL`` set: the
union of the workers' exports must equal the single-process export, with no
notice exported twice.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from gazette.dedup.rules import Deduplicator
from gazette.demo import DEMO_SITE, crawl_plan, serve_sites
from gazette.state.base import NoticeInfo
from gazette.state.redis import NoticeExists, RedisState
from gazette.state.sqlite import SQLiteState

ROOT = Path(__file__).resolve().parent.parent


def _redis_binary() -> str | None:
    return shutil.which("redis-server") or next(
        (p for p in ("/usr/bin/redis-server", "/usr/sbin/redis-server") if os.path.exists(p)), None
    )


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="module")
def redis_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    binary = _redis_binary()
    if binary is None:
        if os.environ.get("CI"):
            pytest.fail("redis-server missing in CI: .ci/run must run scripts/ci-services.sh")
        pytest.skip(
            "redis-server not installed (apt-get install redis-server, or scripts/ci-services.sh)"
        )
    import redis

    workdir = tmp_path_factory.mktemp("redis")
    port = _free_port()
    proc = subprocess.Popen(
        [
            binary,
            "--port",
            str(port),
            "--bind",
            "127.0.0.1",
            "--save",
            "",
            "--appendonly",
            "no",
            "--dir",
            str(workdir),
            "--daemonize",
            "no",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"redis://127.0.0.1:{port}/0"
    try:
        client = redis.Redis.from_url(url, socket_timeout=1)
        deadline = time.monotonic() + 15
        while True:
            try:
                if client.ping():
                    break
            except redis.ConnectionError:
                pass
            if proc.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"redis-server did not start on port {port}")
            time.sleep(0.05)
        client.close()
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=5)


@pytest.fixture
def redis_state(redis_url: str) -> Iterator[RedisState]:
    state = RedisState.from_url(redis_url, f"test:{time.monotonic_ns()}", reset=True)
    try:
        yield state
    finally:
        state.reset()
        state.close()


# -- the state backend ------------------------------------------------------------
def _exercise(state: Any) -> list[Any]:
    out: list[Any] = []
    state.add_notice(
        NoticeInfo("n1", "粤府办〔2013〕52号", "广东省人民政府办公厅", b"\x01\x02\x03\x04"),
        bands=[1, 2],
        url="http://a/1",
        keys=[("docno", "粤府办〔2013〕52号"), ("url", "a/1")],
    )
    state.add_notice(NoticeInfo("n2"), bands=[2, 3], url=None, keys=[("body", "h2")])
    out.append(state.lookup("docno", "粤府办〔2013〕52号"))
    out.append([i.id for i in state.candidates([3, 2, 9])])
    out.append(state.get_notice("n1"))
    out.append(state.get_notice("n2"))
    out.append(state.get_notice("nope"))
    state.mark_seen("fp1", "http://a/1")
    out.append((state.is_seen("fp1"), state.is_seen("fp2")))
    state.add_copy("n1", "http://b/1", {"title": "副本"}, [("url", "b/1")])
    state.add_copy("n1", "http://b/1", {"title": "again"})
    state.add_copy("n2", None, {"title": "x"})
    state.mark_exported("n1")
    state.adopt_doc_number("n2", "国办发〔2023〕3号")
    state.adopt_doc_number("n1", "其他〔2023〕1号")  # keeps its own
    out.append((state.get_notice("n2"), state.get_notice("n1")))
    out.append(state.lookup("docno", "国办发〔2023〕3号"))
    out.append(state.find("url", "b/1"))
    out.append(state.find_many([("url", "b/1"), ("body", "nope"), ("docno", "国办发〔2023〕3号")]))
    out.append(state.find_many([]))
    out.append(state.add_new_notice(NoticeInfo("n1"), bands=[7], keys=[("body", "h3")]))
    out.append(state.add_new_notice(NoticeInfo("n1"), bands=[8]))
    out.append(state.add_new_notice(NoticeInfo("n9")))
    out.append(state.lookup("body", "h3"))
    out.append(state.sources("n1"))
    out.append(list(state.iter_sources()))
    out.append(state.stats())
    state.set_meta("k", "v")
    out.append(state.get_meta("k"))
    with pytest.raises(KeyError):
        state.add_copy("missing", "http://x")
    return out


def test_redis_state_matches_sqlite(redis_state: RedisState) -> None:
    assert _exercise(redis_state) == _exercise(SQLiteState(":memory:"))
    with pytest.raises(NoticeExists):
        redis_state.add_notice(NoticeInfo("n1"))
    redis_state.reset()
    assert redis_state.stats()["notices"] == 0
    assert redis_state.get_meta("schema_version") == "1"


def test_dedup_verdicts_match_sqlite(redis_state: RedisState) -> None:
    body = (
        "各市人民政府：为进一步加强政务公开工作，现将有关事项通知如下。一、提高认识。二、抓好落实。"
    )
    records = [
        {
            "url": "http://a/1",
            "doc_number": "粤府办〔2013〕52号",
            "issuer": "广东省人民政府办公厅",
            "body": body,
        },
        {
            "url": "http://b/9",
            "doc_number": "粤府办〔2013〕52号",
            "issuer": "广东省人民政府办公厅",
            "body": body,
        },
        {"url": "http://a/1?utm_source=x", "doc_number": None, "issuer": None, "body": body},
        {"url": "http://c/2", "doc_number": None, "issuer": None, "body": body + "三、加强督查。"},
        {
            "url": "http://d/3",
            "doc_number": "粤府办〔2013〕53号",
            "issuer": None,
            "body": "另一份文件。" * 20,
        },
    ]
    verdicts = []
    for state in (SQLiteState(":memory:"), redis_state):
        dedup = Deduplicator(state)
        verdicts.append([(v.id, v.kind) for v in map(dedup.check, records)])
    assert verdicts[0] == verdicts[1]
    assert [kind for _, kind in verdicts[1]][:2] == ["new", "docno"]


def _reconcile(open_state: Any, feed: Path) -> list[Any]:
    """A killed run (a written and marked, b written, c lost with a copy page), then
    the next run's reconciliation: what it sees."""
    killed = open_state()
    killed.begin_run([str(feed)])
    for id in "abc":
        killed.add_notice(NoticeInfo(id), bands=[ord(id)], url=f"http://h/{id}", keys=[("url", id)])
    feed.write_text("".join(json.dumps({"id": i}) + "\n" for i in "ab"), "utf-8")
    killed.mark_exported("a")
    killed.mark_seen("fp-a", "http://h/a", depends_on="a")
    killed.add_copy("c", "http://m/c", {"title": "copy"}, keys=[("url", "m/c")])
    killed.adopt_doc_number("c", "国办发〔2023〕3号")
    killed.mark_seen("fp-copy", "http://m/c", depends_on="c")
    killed.mark_seen("fp-other", "http://h/x")
    killed.commit()  # SIGKILL: the run never ends
    resumed = open_state()
    resumed.begin_run()
    done = resumed.last_reconciled
    out = [
        (done.runs, done.exported, done.rolled_back),
        [resumed.get_notice(i) for i in "abc"],
        [resumed.lookup("url", k) for k in ("a", "c", "m/c")],
        resumed.lookup("docno", "国办发〔2023〕3号"),
        [n.id for n in resumed.candidates([ord(i) for i in "abc"])],
        [resumed.is_seen(f) for f in ("fp-a", "fp-copy", "fp-other")],
        resumed.sources("c"),
        resumed.stats(),
    ]
    resumed.add_notice(NoticeInfo("c"), url="http://h/c")  # fetched and added again
    out.append(resumed.get_notice("c"))
    return out


def test_redis_state_reconciles_like_sqlite(redis_state: RedisState, tmp_path: Path) -> None:
    sqlite_path = tmp_path / "s.sqlite3"
    expected = _reconcile(lambda: SQLiteState(sqlite_path), tmp_path / "a.jsonl")
    client, prefix = redis_state.r, redis_state.prefix
    got = _reconcile(lambda: RedisState(client, prefix), tmp_path / "b.jsonl")
    assert got == expected
    assert expected[0] == (1, 1, 1)
    assert [n is not None for n in expected[1]] == [True, True, False]


# -- two workers on the demo sites -------------------------------------------------
def _crawl(
    tmp: Path, spider: str, args: dict[str, str], out: Path, settings: dict[str, Any]
) -> subprocess.Popen[str]:
    cmd = [sys.executable, "-m", "scrapy", "crawl", spider, "-O", str(out)]
    for key, value in args.items():
        cmd += ["-a", f"{key}={value}"]
    base = {
        "AUTOTHROTTLE_ENABLED": 0,
        # a worker holds up to CONCURRENT_REQUESTS requests taken from the shared
        # queue: keep it small (and pages slow) so that both workers get some
        "DOWNLOAD_DELAY": 0.2,
        "RANDOMIZE_DOWNLOAD_DELAY": 0,
        "CONCURRENT_REQUESTS": 1,
        "CONCURRENT_REQUESTS_PER_DOMAIN": 1,
        "CLOSESPIDER_TIMEOUT": 60,
        "GAZETTE_SUMMARY_PRINT": 0,
        "GAZETTE_MONITOR_MIN_ITEMS": 0,  # a worker may find nothing left to do
        "SPIDERMON_ENABLED": 0,
        "LOG_LEVEL": "INFO",
        **settings,
    }
    for key, value in base.items():
        cmd += ["-s", f"{key}={value}"]
    env = {**os.environ, "SCRAPY_SETTINGS_MODULE": "gazette.settings", "PYTHONPATH": str(ROOT)}
    for var in ("http_proxy", "https_proxy", "HTTP_PROXY", "HTTPS_PROXY"):
        env.pop(var, None)
    log = open(out.with_suffix(".log"), "w", encoding="utf-8")  # noqa: SIM115
    try:
        return subprocess.Popen(
            cmd, cwd=tmp, env=env, stdout=log, stderr=subprocess.STDOUT, text=True
        )
    finally:
        log.close()


def _wait(procs: list[subprocess.Popen[str]], deadline: float) -> None:
    try:
        for proc in procs:
            proc.wait(timeout=max(1.0, deadline - time.monotonic()))
    finally:
        for proc in procs:
            if proc.poll() is None:
                proc.kill()
                proc.wait(timeout=10)


def _records(paths: list[Path]) -> list[dict[str, Any]]:
    out = []
    for path in paths:
        if path.exists():
            out += [
                json.loads(line) for line in path.read_text("utf-8").splitlines() if line.strip()
            ]
    return out


def _key(record: dict[str, Any]) -> tuple[Any, ...]:
    return (record["id"], record["url"], record["title"], record["doc_number"], record["body"])


def test_two_workers_export_what_one_process_exports(redis_url: str, tmp_path: Path) -> None:
    import redis

    deadline = time.monotonic() + 85
    single = tmp_path / "single"
    workers = tmp_path / "workers"
    single.mkdir()
    workers.mkdir()
    with serve_sites(DEMO_SITE) as bases:
        plan = crawl_plan(bases)
        assert plan
        # one process per spider, one after the other, one SQLite state (like the demo)
        single_outs = []
        for spider, args in plan:
            out = single / f"{spider}.jsonl"
            settings = {"GAZETTE_STATE_PATH": str(single / "state.sqlite3"), "DOWNLOAD_DELAY": 0}
            proc = _crawl(single, spider, args, out, settings)
            _wait([proc], deadline)
            assert proc.returncode == 0, out.with_suffix(".log").read_text("utf-8")[-3000:]
            single_outs.append(out)
        # two workers per spider at once, sharing frontier and state through Redis
        worker_outs = []
        shared = {
            "GAZETTE_REDIS_URL": redis_url,
            "GAZETTE_REDIS_STATE_KEY": "gazette:test:state",
            "GAZETTE_REDIS_HEARTBEAT": 0.5,
        }
        both_worked = []
        for spider, args in plan:
            outs = [workers / f"{spider}-{n}.jsonl" for n in (1, 2)]
            procs = [_crawl(workers, spider, args, out, shared) for out in outs]
            _wait(procs, deadline)
            pages = []
            for proc, out in zip(procs, outs, strict=True):
                log = out.with_suffix(".log").read_text("utf-8")
                assert proc.returncode == 0, log[-3000:]
                assert "redis worker" in log and "RedisScheduler" in log
                found = re.search(r"'scheduler/dequeued/redis': (\d+)", log)
                pages.append(int(found.group(1)) if found else 0)
            both_worked.append(all(pages))
            worker_outs += outs

    one = _records(single_outs)
    many = _records(worker_outs)
    assert one, "the single-process crawl exported nothing"
    ids = [r["id"] for r in many]
    urls = [r["url"] for r in many]
    assert len(ids) == len(set(ids)), "a notice was exported twice"
    assert len(urls) == len(set(urls)), "a page was exported twice"
    assert sorted(map(_key, many)) == sorted(map(_key, one))
    assert any(both_worked), "one worker did all the work: the frontier was not shared"

    # the frontier was cleaned by the last worker; the state stays for the next run
    client = redis.Redis.from_url(redis_url)
    leftover = [k.decode() for k in client.scan_iter("gazette:*")]
    assert not [k for k in leftover if k.endswith((":requests", ":dupefilter"))], leftover
    assert any(k.startswith("gazette:test:state:") for k in leftover)
    client.close()
