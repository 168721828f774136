"""The server guide, run as written, as far as it can run here (issue 16, point 6).

The ``sh`` blocks of "Run it on a server" (up to "3. Monitors") are read from
``docs/operations.md`` (else the README) and run in order by bash, in a sandbox: every path of the guide
(``/opt/gazette``, ``/var/lib/gazette``, ``/etc/gazette`` …) is moved under a temporary
folder, the ``gazette`` user is a throw-away system user (deleted afterwards) and
scrapyd listens on a free port. What cannot run here is replaced, and only that:

* ``apt-get`` (the packages are here), ``pip install`` (the development virtualenv
  is linked as ``.venv``) and the clone from GitHub (no internet: the working tree is
  copied);
* ``systemctl``: scrapyd is started as ``deploy/systemd/scrapyd.service`` would
  (its working folder, its ``EnvironmentFile``, its ``ExecStart``); scrapyd reads
  ``/etc/scrapyd/scrapyd.conf`` by a fixed path, so the sandbox's copy is also put in
  its working folder (which scrapyd reads too);
* ``sudo -u gazette`` runs as root: the development virtualenv lives in root's home;
* crawls of gov.cn (internet) crawl the local demo site with the ``site`` spider,
  and the nightly schedule is one ``deploy/gazette-schedule.sh`` job of it.

Checked: the user, the folders and the env file (``GAZETTE_CONTACT`` set) exist;
the hand crawl writes its export under ``/var/lib/gazette/data``; ``deploy/build_egg.py
--deploy default`` finds ``scrapyd-deploy`` without the virtualenv on ``PATH``; the
scheduled job's export and summary land in ``/var/lib/gazette/data/exports``; the
morning check (``gazette health``, the ``jq`` line) reports it; the backup script
copies the state; no file of ``deploy/`` or the README names a missing doc.
"""

from __future__ import annotations

import json
import os
import re
import shlex
import shutil
import socket
import sqlite3
import subprocess
import time
import uuid
from pathlib import Path
from urllib.request import urlopen

import pytest

from gazette.demo import DEMO_SITE, serve

ROOT = Path(__file__).resolve().parent.parent
PATHS = (
    "/opt/gazette",
    "/var/lib/gazette",
    "/var/lib/scrapyd",
    "/var/log/scrapyd",
    "/var/log/gazette",
    "/var/backups/gazette",
    "/etc/gazette",
    "/etc/scrapyd",
    "/etc/systemd/system",
    "/etc/cron.d",
    "/etc/logrotate.d",
)


def guide_text() -> str:
    """The server guide: ``docs/operations.md`` (the documentation site), else the README."""
    for path in (ROOT / "docs" / "operations.md", ROOT / "README.md"):
        if path.exists() and "## Run it on a server" in (text := path.read_text("utf-8")):
            return text
    raise AssertionError("no server guide found")


def guide_lines() -> list[str]:
    """The shell commands of the guide's steps 1-2 and retention, in order."""
    text = guide_text()
    start = text.index("## Run it on a server")
    end = text.index("### 3. Monitors", start)
    lines: list[str] = []
    for block in re.findall(r"```sh\n(.*?)```", text[start:end], re.S):
        joined = block.replace("\\\n", " ")
        for line in joined.splitlines():
            line = line.strip()
            if line and not line.startswith("#"):
                lines.append(line)
    return lines


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Sandbox:
    def __init__(self, root: Path, user: str, port: int, site: str) -> None:
        self.root, self.user, self.port, self.site = root, user, port, site

    def path(self, real: str) -> Path:
        return self.root / real.lstrip("/")

    def subst(self, text: str) -> str:
        for real in PATHS:
            text = text.replace(real, str(self.path(real)))
        text = text.replace("127.0.0.1:6800", f"127.0.0.1:{self.port}")
        text = re.sub(r"(useradd .*) gazette$", rf"\1 {self.user}", text)
        text = text.replace("chown -R gazette:", f"chown -R {self.user}:")
        return text.replace("-o gazette -g gazette", f"-o {self.user} -g {self.user}")

    def translate(self, line: str) -> str | None:
        """The command to run for one line of the guide (None: cannot run here)."""
        if line.startswith("sudo apt-get") or "pip install" in line:
            return None
        if "systemctl" in line and "enable --now scrapyd" in line:
            return "start_scrapyd"
        if "systemctl" in line:
            return None
        if "schedule.json" in line:
            return None  # gov.cn and example.gov.cn: the local job is scheduled below
        line = line.replace("sudo -u gazette ", "").replace("sudo ", "")
        if line.startswith("git clone "):
            target = line.split()[-1]
            return self.subst(f"copy_checkout {target}")
        if line == "python3 -m venv .venv":
            return f"ln -s {ROOT / '.venv'} .venv"
        if "scrapy crawl gov_cn" in line:
            line = line.replace(
                "scrapy crawl gov_cn",
                f"scrapy crawl site -a start_url={self.site}/index.html -s DOWNLOAD_DELAY=0 "
                "-s AUTOTHROTTLE_ENABLED=0",
            )
        if "gazette health" in line:
            line = re.sub(r"( --spider \w+)+", " --spider site", line)
        return self.subst(line)


PRELUDE = r"""
set -euo pipefail
# folders a fresh Debian has (systemd, cron and logrotate are installed)
mkdir -p "$SB/etc/systemd/system" "$SB/etc/cron.d" "$SB/etc/logrotate.d"
copy_checkout() {  # the working tree (tracked and new files), as a clone would hold it
  mkdir -p "$1"
  (cd "$ROOT" && git ls-files -co --exclude-standard -z | grep -zv '^data/' \
     | xargs -0 -I{} cp --parents -a {} "$1/") 2>/dev/null || true
  mkdir -p "$1/data" && cp -a "$ROOT/data/demo-site" "$1/data/" 2>/dev/null || true
  # paths and port of the sandbox in the files the guide installs
  for f in "$1"/deploy/*.conf "$1"/deploy/*.env "$1"/deploy/gazette.cron \
           "$1"/deploy/systemd/* "$1"/scrapy.cfg; do
    sed -i -e "s|/opt/gazette|$SB/opt/gazette|g" -e "s|/var/lib/gazette|$SB/var/lib/gazette|g" \
      -e "s|/var/lib/scrapyd|$SB/var/lib/scrapyd|g" -e "s|/var/log/scrapyd|$SB/var/log/scrapyd|g" \
      -e "s|/var/log/gazette|$SB/var/log/gazette|g" -e "s|/etc/gazette|$SB/etc/gazette|g" \
      -e "s|http_port    = 6800|http_port    = $PORT|" -e "s|127.0.0.1:6800|127.0.0.1:$PORT|g" "$f"
  done
}
start_scrapyd() {  # as deploy/systemd/scrapyd.service: WorkingDirectory, EnvironmentFile, ExecStart
  unit="$SB/etc/systemd/system/scrapyd.service"
  workdir=$(sed -n 's/^WorkingDirectory=//p' "$unit")
  envfile=$(sed -n 's/^EnvironmentFile=//p' "$unit")
  exe=$(sed -n 's/^ExecStart=//p' "$unit")
  cp "$SB/etc/scrapyd/scrapyd.conf" "$workdir/scrapyd.conf"
  (cd "$workdir" && set -a && . "$envfile" && set +a && exec $exe) >"$SB/scrapyd.out" 2>&1 &
  echo $! >"$SB/scrapyd.pid"
  for _ in $(seq 150); do
    curl -sf "http://127.0.0.1:$PORT/daemonstatus.json" >/dev/null && return 0
    sleep 0.2
  done
  cat "$SB/scrapyd.out" >&2; return 1
}
"""


def run_script(box: Sandbox, commands: list[str], env: dict[str, str]) -> str:
    script = PRELUDE + "".join(f"echo {shlex.quote('+ ' + c[:80])} >&2\n{c}\n" for c in commands)
    proc = subprocess.run(
        ["bash", "-c", script],
        env=env,
        cwd=box.root,
        capture_output=True,
        text=True,
        timeout=240,
        check=False,
    )
    assert proc.returncode == 0, f"guide failed:\n{proc.stderr[-4000:]}\n{proc.stdout[-2000:]}"
    return proc.stdout


@pytest.fixture
def sandbox(tmp_path: Path):
    if os.geteuid() != 0 or shutil.which("useradd") is None:
        pytest.skip("the guide creates a system user: run as root")
    user = "gzt" + uuid.uuid4().hex[:8]
    box_root = tmp_path / "root"
    box_root.mkdir()
    with serve(DEMO_SITE / "repost") as site:
        box = Sandbox(box_root, user, _free_port(), site)
        try:
            yield box
        finally:
            pid = box.root / "scrapyd.pid"
            if pid.exists():
                subprocess.run(["kill", pid.read_text().strip()], check=False)
            subprocess.run(["userdel", user], check=False, capture_output=True)


def test_the_server_guide_runs_as_written(sandbox: Sandbox) -> None:
    box = sandbox
    lines = guide_lines()
    assert any(line.startswith("sudo useradd") for line in lines)
    commands = [c for c in (box.translate(line) for line in lines) if c is not None]
    deploy_at = next(i for i, c in enumerate(commands) if "build_egg.py --deploy" in c)
    morning_at = next(i for i, c in enumerate(commands) if "gazette health" in c)
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.lower().endswith("_proxy") and k not in ("SCRAPY_SETTINGS_MODULE", "VIRTUAL_ENV")
    }
    env.update(ROOT=str(ROOT), SB=str(box.root), PORT=str(box.port))
    # the virtualenv is not on PATH: build_egg.py must find scrapyd-deploy on its own
    env["PATH"] = os.pathsep.join(
        p for p in env.get("PATH", "").split(os.pathsep) if ".venv" not in p
    )

    # step 1, scrapyd, deploy
    run_script(box, commands[: deploy_at + 1], env)
    home = box.path("/var/lib/gazette")
    assert home.is_dir() and box.path("/opt/gazette/deploy/build_egg.py").is_file()
    passwd = subprocess.run(["getent", "passwd", box.user], capture_output=True, text=True)
    assert passwd.stdout.split(":")[5] == str(home)  # home = data folder, not the checkout
    assert (home / "data").stat().st_uid == int(passwd.stdout.split(":")[2])
    for folder in ("/var/log/gazette", "/var/lib/scrapyd", "/var/backups/gazette"):
        assert box.path(folder).is_dir(), folder
    env_file = box.path("/etc/gazette/gazette.env").read_text()
    assert "GAZETTE_CONTACT=mailto:ops@your-org.example" in env_file
    # the hand crawl: its export under the data folder, the contact in the User-Agent
    (export,) = (home / "data" / "exports" / "site").glob("*.jsonl")
    assert export.read_text("utf-8").strip()
    versions = json.loads(
        urlopen(f"http://127.0.0.1:{box.port}/listversions.json?project=gazette").read()
    )["versions"]
    assert versions, "the egg was not deployed"

    # one scheduled night: the guide's scheduler script with a local job
    schedule = box.subst(
        f"/opt/gazette/deploy/gazette-schedule.sh 'site start_url={box.site}/index.html "
        "setting=DOWNLOAD_DELAY=0 setting=AUTOTHROTTLE_ENABLED=0 setting=GAZETTE_STATE_RESET=1'"
    )
    out = run_script(box, [f"export SCRAPYD_URL=http://127.0.0.1:{box.port}", schedule], env)
    job = json.loads(out.split(": ", 1)[1])["jobid"]
    deadline = time.monotonic() + 90
    while True:
        jobs = json.loads(
            urlopen(f"http://127.0.0.1:{box.port}/listjobs.json?project=gazette").read()
        )
        if any(j["id"] == job for j in jobs.get("finished", [])):
            break
        assert time.monotonic() < deadline, jobs
        time.sleep(0.5)
    (summary,) = (home / "data" / "exports" / "site").glob(f"*_{job}.summary.json")
    data = json.loads(summary.read_text("utf-8"))
    assert data["monitors"]["ok"] is True and data["job"] == job
    assert data["contact"] == "mailto:ops@your-org.example"  # the env file reached the job
    assert next(box.path("/var/log/scrapyd").rglob(f"{job}.log")).is_file()

    # the morning check, the jq line, retention and backups
    # (the same shell as the guide's: in the folder of its last `cd`)
    last_cd = [c for c in commands[: deploy_at + 1] if c.startswith("cd ")][-1:]
    out = run_script(box, last_cd + commands[deploy_at + 1 :], env)
    health = [line for line in out.splitlines() if line.startswith("site ")]
    assert health and health[-1].split()[1] == "OK", out
    assert not [line for line in out.splitlines() if line.startswith("site:")], out  # jq: none
    assert box.path("/etc/logrotate.d/gazette").is_file()
    assert morning_at > deploy_at
    backup = box.path("/var/backups/gazette")
    run_script(
        box,
        [
            box.subst(
                "/opt/gazette/deploy/gazette-backup.sh /var/lib/gazette/data /var/backups/gazette 14"
            )
        ],
        env,
    )
    (copy,) = backup.glob("*/state/site.sqlite3")
    assert sqlite3.connect(copy).execute("SELECT count(*) FROM notices").fetchone()[0] > 0


def test_no_dangling_doc_links() -> None:
    for path in [ROOT / "README.md", *sorted((ROOT / "deploy").rglob("*"))]:
        if not path.is_file():
            continue
        text = path.read_text("utf-8", errors="replace")
        for ref in re.findall(r"\b(docs/[\w./-]+\.md|[A-Z_]+\.md)\b", text):
            assert (ROOT / ref).exists(), f"{path.name} names a missing {ref}"
