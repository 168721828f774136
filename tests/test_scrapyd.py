"""A real scrapyd on 127.0.0.1: deploy the egg, schedule crawls, read export and log.

scrapyd (from the venv's ``server`` extra) runs in a temporary directory with
its own ``scrapyd.conf`` (ephemeral port, eggs/logs/items/dbs inside it). The
egg is built by ``deploy/build_egg.py`` and uploaded with scrapyd-client's
``scrapyd-deploy --egg``. Two jobs: the demo's gov.cn library (finishes, exports
notices, writes its summary beside the export) and the same library after a
template change (its monitors fail, so scrapyd sees the process exit with 3).
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlencode
from urllib.request import urlopen

import pytest

from gazette.demo import DEMO_SITE, serve

ROOT = Path(__file__).resolve().parent.parent
CHANGED = Path(__file__).resolve().parent / "fixtures" / "monitors" / "changed-template"
BIN = Path(sys.executable).parent


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _get(url: str, timeout: float = 10) -> dict[str, Any]:
    with urlopen(url, timeout=timeout) as reply:  # noqa: S310 - 127.0.0.1 only
        return dict(json.loads(reply.read().decode("utf-8")))


def _post(url: str, data: list[tuple[str, str]], timeout: float = 10) -> dict[str, Any]:
    with urlopen(url, data=urlencode(data).encode(), timeout=timeout) as reply:  # noqa: S310
        return dict(json.loads(reply.read().decode("utf-8")))


@pytest.fixture
def scrapyd(tmp_path: Path) -> Iterator[tuple[str, Path, Path]]:
    """→ (base URL, scrapyd's directory, its output file); stopped afterwards."""
    exe = BIN / "scrapyd"
    if not exe.exists():
        found = shutil.which("scrapyd")
        if found is None:
            pytest.fail("scrapyd missing: pip install -e '.[server]'")
        exe = Path(found)
    home = tmp_path / "scrapyd"
    home.mkdir()
    port = _free_port()
    (home / "scrapyd.conf").write_text(
        "[scrapyd]\n"
        "bind_address = 127.0.0.1\n"
        f"http_port = {port}\n"
        f"eggs_dir = {home / 'eggs'}\n"
        f"logs_dir = {home / 'logs'}\n"
        # as deploy/scrapyd.conf: no items_dir (gazette writes its exports under data/
        # in scrapyd's working folder, here `home`); jobs_to_keep trims logs only
        "items_dir =\n"
        "jobs_to_keep = 2\n"
        f"dbs_dir = {home / 'dbs'}\n"
        "max_proc = 2\n"
        "poll_interval = 0.5\n",
        encoding="utf-8",
    )
    env = {k: v for k, v in os.environ.items() if k not in ("SCRAPY_SETTINGS_MODULE",)}
    for var in ("http_proxy", "https_proxy", "HTTP_PROXY", "HTTPS_PROXY"):
        env.pop(var, None)
    env["PATH"] = f"{BIN}{os.pathsep}{env.get('PATH', '')}"
    output = home / "scrapyd.out"
    with open(output, "w", encoding="utf-8") as out:
        proc = subprocess.Popen(
            [str(exe), "--nodaemon", "--pidfile="],
            cwd=home,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                if _get(f"{base}/daemonstatus.json", timeout=2).get("status") == "ok":
                    break
            except OSError:
                pass
            if proc.poll() is not None or time.monotonic() > deadline:
                pytest.fail("scrapyd did not start:\n" + output.read_text("utf-8")[-3000:])
            time.sleep(0.2)
        yield base, home, output
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=5)


def _deploy(base: str, work: Path) -> str:
    """Build the egg and upload it with ``scrapyd-deploy``; → the version."""
    egg = subprocess.run(
        [sys.executable, str(ROOT / "deploy" / "build_egg.py"), "--output-dir", str(work / "dist")],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    ).stdout.strip()
    version = Path(egg).stem.split("-", 1)[1]
    (work / "scrapy.cfg").write_text(
        f"[settings]\ndefault = gazette.settings\n\n[deploy:test]\nurl = {base}/\nproject = gazette\n",
        encoding="utf-8",
    )
    deploy = subprocess.run(
        [str(BIN / "scrapyd-deploy"), "test", "--egg", egg, "--version", version],
        cwd=work,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert deploy.returncode == 0, deploy.stderr + deploy.stdout
    assert json.loads(deploy.stdout)["status"] == "ok", deploy.stdout
    return version


def _wait_finished(base: str, jobs: list[str], timeout: float) -> dict[str, dict[str, Any]]:
    deadline = time.monotonic() + timeout
    while True:
        listing = _get(f"{base}/listjobs.json?project=gazette")
        done = {j["id"]: j for j in listing.get("finished", []) if j["id"] in jobs}
        if len(done) == len(jobs):
            return done
        if time.monotonic() > deadline:
            raise AssertionError(f"jobs not finished after {timeout}s: {listing}")
        time.sleep(0.5)


def _export_of(home: Path, spider: str, job: str) -> tuple[Path, dict[str, Any]]:
    """The export and summary of scrapyd job ``job`` (under data/exports, named after the job)."""
    (summary,) = (home / "data" / "exports" / spider).glob(f"*_{job}.summary.json")
    data = json.loads(summary.read_text("utf-8"))
    assert data["job"] == job
    return summary.with_name(summary.name.replace(".summary.json", ".jsonl")), data


def test_deploy_schedule_and_read_export(scrapyd: tuple[str, Path, Path], tmp_path: Path) -> None:
    base, home, output = scrapyd
    work = tmp_path / "work"
    work.mkdir()
    version = _deploy(base, work)
    assert version in _get(f"{base}/listversions.json?project=gazette")["versions"]
    spiders = _get(f"{base}/listspiders.json?project=gazette")["spiders"]
    assert {"gov_cn", "gd_gkmlpt", "site"} <= set(spiders)

    common = [
        ("project", "gazette"),
        ("spider", "gov_cn"),
        ("setting", "AUTOTHROTTLE_ENABLED=0"),
        ("setting", "DOWNLOAD_DELAY=0"),
        ("setting", "CLOSESPIDER_TIMEOUT=50"),
        # the changed template has 3 notices: judge coverage over them
        ("setting", "GAZETTE_MONITOR_COVERAGE_MIN_NOTICES=1"),
    ]
    with serve(DEMO_SITE / "govcn") as good, serve(CHANGED) as changed:
        jobs = {}
        for name, url in (
            ("good", f"{good}/search-gov/data?t=zhengcelibrary_gw&p=1&n=3"),
            ("changed", f"{changed}/zhengce/zhengceku/"),
        ):
            reply = _post(
                f"{base}/schedule.json",
                [
                    *common,
                    ("start_url", url),
                    ("setting", f"GAZETTE_STATE_PATH={tmp_path / name}.sqlite3"),
                ],
            )
            assert reply["status"] == "ok", reply
            jobs[name] = reply["jobid"]
        finished = _wait_finished(base, list(jobs.values()), timeout=60)

    # the healthy job: export and summary under gazette's data folder, log
    job = jobs["good"]
    items, summary = _export_of(home, "gov_cn", job)
    records = [json.loads(line) for line in items.read_text("utf-8").splitlines()]
    assert records and all(r["doc_number"] and r["id"] for r in records)
    assert summary["notices"] == len(records) and summary["monitors"]["ok"] is True
    assert not (home / "items").exists()  # scrapyd keeps no copy
    log = (home / "logs" / "gazette" / "gov_cn" / f"{job}.log").read_text("utf-8")
    assert "Spider closed (finished)" in log
    assert "[Spidermon] OK" in log and "run summary of gov_cn" in log
    assert "progress (finished" in log
    assert finished[job]["log_url"].endswith(f"{job}.log")

    # the changed template: the monitors fail, the process exits 3, scrapyd says so
    job = jobs["changed"]
    _, summary = _export_of(home, "gov_cn", job)
    assert summary["monitors"]["ok"] is False
    log = (home / "logs" / "gazette" / "gov_cn" / f"{job}.log").read_text("utf-8")
    assert "coverage/field coverage... FAIL" in log
    deadline = time.monotonic() + 10
    while f"Process died: exitstatus=3 project='gazette' spider='gov_cn' job='{job}'" not in (
        text := output.read_text("utf-8")
    ):
        assert time.monotonic() < deadline, text[-3000:]
        time.sleep(0.2)


def test_retention_cannot_delete_an_export(scrapyd: tuple[str, Path, Path], tmp_path: Path) -> None:
    """jobs_to_keep = 2 and four nightly jobs: scrapyd trims its logs, every export stays."""
    base, home, _ = scrapyd
    work = tmp_path / "work"
    work.mkdir()
    _deploy(base, work)
    state = tmp_path / "state.sqlite3"
    ids: list[str] = []
    jobs = []
    with serve(DEMO_SITE / "govcn") as site:
        for page in (1, 2, 1, 2):  # four nights: new notices, new ones, two quiet ones
            reply = _post(
                f"{base}/schedule.json",
                [
                    ("project", "gazette"),
                    ("spider", "gov_cn"),
                    ("start_url", f"{site}/search-gov/data?t=zhengcelibrary_gw&p={page}&n=3"),
                    ("max_pages", "1"),
                    ("setting", "AUTOTHROTTLE_ENABLED=0"),
                    ("setting", "DOWNLOAD_DELAY=0"),
                    ("setting", f"GAZETTE_STATE_PATH={state}"),
                ],
            )
            assert reply["status"] == "ok", reply
            jobs.append(reply["jobid"])
            _wait_finished(base, [reply["jobid"]], timeout=60)
    for job in jobs:
        items, summary = _export_of(home, "gov_cn", job)
        assert summary["monitors"]["ok"] is True, summary["monitors"]  # the quiet night too
        if items.exists():
            ids += [json.loads(line)["id"] for line in items.read_text("utf-8").splitlines()]
    assert len(ids) == len(set(ids)) >= 4  # the two pages hold 4 notices
    logs = sorted((home / "logs" / "gazette" / "gov_cn").glob("*.log"))
    assert len(logs) < len(jobs) == 4  # scrapyd deleted logs: its retention applies to them only
    exported = sqlite3.connect(state).execute("SELECT count(*) FROM notices WHERE exported=1")
    assert exported.fetchone()[0] == len(ids)  # every notice the state calls exported is on disk


def test_schedule_script_calls_schedule_json(
    scrapyd: tuple[str, Path, Path], tmp_path: Path
) -> None:
    base, home, _ = scrapyd
    work = tmp_path / "work"
    work.mkdir()
    _deploy(base, work)
    env = {**os.environ, "SCRAPYD_URL": base}
    for var in ("http_proxy", "https_proxy", "HTTP_PROXY", "HTTPS_PROXY"):
        env.pop(var, None)
    script = ROOT / "deploy" / "gazette-schedule.sh"
    with serve(DEMO_SITE / "govcn") as site:
        run = subprocess.run(
            [
                "bash",
                str(script),
                f"gov_cn start_url={site}/search-gov/data?t=zhengcelibrary_gw&p=1&n=3 "
                "setting=DOWNLOAD_DELAY=0 "
                f"setting=GAZETTE_STATE_PATH={tmp_path}/s.sqlite3 setting=AUTOTHROTTLE_ENABLED=0",
            ],
            env=env,
            capture_output=True,
            text=True,
            timeout=30,
            check=False,
        )
        assert run.returncode == 0, run.stderr + run.stdout
        reply = json.loads(run.stdout.split(": ", 1)[1])
        finished = _wait_finished(base, [reply["jobid"]], timeout=60)
    assert reply["jobid"] in finished
    refused = subprocess.run(
        ["bash", str(script), "no_such_spider"],
        env=env,
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    assert refused.returncode == 1 and '"error"' in refused.stdout
