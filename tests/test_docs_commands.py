"""The documented commands run as written: every shell block (and every Python
block, fed to ``python -``) of the README and of ``docs/getting-started.md``, in order, in one bash session per file (so
``. .venv/bin/activate`` once carries over, as in a terminal).

The session starts in a sandbox that looks like a set-up checkout: the development
virtualenv linked as ``.venv`` (not on ``PATH``: the documents must activate it),
``scrapy.cfg``, ``data/demo-site/``. The demo sites are served on free local ports,
and the documented ports (8701-8703, those of ``python -m gazette.demo --serve``)
are replaced by them. What cannot run here, and only that, is not run:

* a block preceded by an HTML comment ``<!-- no-test … -->`` (the set-up commands,
  a server that runs until Ctrl-C): the comment says why;
* a ``pip install`` line (the test virtualenv already holds every extra; the extra
  it names must exist in ``pyproject.toml``).
"""

from __future__ import annotations

import json
import os
import re
import shutil
import socket
import subprocess
from pathlib import Path

import pytest

from gazette.demo import DEMO_PORT, DEMO_SITE, serve_sites

ROOT = Path(__file__).resolve().parent.parent
VENV = ROOT / ".venv"
SHELLS = ("sh", "bash", "shell", "console")
PYTHON = ("python", "py", "pycon")
NO_TEST = re.compile(r"^<!--\s*no-test\b")


def shell_blocks(text: str) -> list[tuple[int, str, bool]]:
    """``[(line number, code, skipped)]`` of the fenced shell blocks of a Markdown text;
    a Python block becomes the shell command that runs it (``python - <<'EOF'``).

    >>> shell_blocks("a\\n<!-- no-test: server -->\\n```sh\\nx\\n```\\n```text\\ny\\n```\\n```bash\\nz\\n```\\n")
    [(3, 'x\\n', True), (9, 'z\\n', False)]
    >>> shell_blocks("```python\\nprint(1)\\n```\\n")
    [(1, "python - <<'EOF'\\nprint(1)\\nEOF\\n", False)]
    """
    blocks = []
    lines = text.split("\n")
    i = 0
    while i < len(lines):
        fence = re.match(r"^(```+)\s*(\S*)", lines[i])
        if not fence:
            i += 1
            continue
        ticks, lang = fence.group(1), fence.group(2)
        start = i
        body = []
        i += 1
        while i < len(lines) and not lines[i].startswith(ticks):
            body.append(lines[i])
            i += 1
        i += 1
        if lang in PYTHON:
            body = ["python - <<'EOF'", *body, "EOF"]
        elif lang not in SHELLS:
            continue
        before = next((x for x in reversed(lines[:start]) if x.strip()), "")
        blocks.append((start + 1, "\n".join(body) + "\n", bool(NO_TEST.match(before.strip()))))
    return blocks


def _free_ports(n: int) -> int:
    for first in range(DEMO_PORT + 1000, 65000 - n, 7):
        socks = []
        try:
            for port in range(first, first + n):
                s = socket.socket()
                socks.append(s)
                s.bind(("127.0.0.1", port))
            return first
        except OSError:
            continue
        finally:
            for s in socks:
                s.close()
    raise RuntimeError("no free ports")


def _pip_line(line: str) -> str:
    """A documented ``pip install`` is not run: its extras must exist, the venv holds them."""
    pyproject = (ROOT / "pyproject.toml").read_text(encoding="utf-8")
    for extras in re.findall(r"\.\[([\w,]+)\]", line):
        for extra in extras.split(","):
            assert re.search(rf"(?m)^{extra} = \[", pyproject), f"no extra {extra!r}: {line}"
    return f": not run here: {line.strip()}"


def session_script(path: Path, first_port: int) -> tuple[str, int]:
    """The bash script of a document's runnable blocks; → (script, how many blocks)."""
    parts = ["set -euo pipefail"]
    count = 0
    for lineno, code, skipped in shell_blocks(path.read_text(encoding="utf-8")):
        if skipped:
            continue
        count += 1
        for offset in range(3):
            code = code.replace(
                f"127.0.0.1:{DEMO_PORT + offset}", f"127.0.0.1:{first_port + offset}"
            )
        code = "\n".join(
            _pip_line(line) if re.match(r"^\s*(python -m )?pip install\b", line) else line
            for line in code.splitlines()
        )
        parts.append(f"echo '>>> {path.name}:{lineno}' >&2")
        parts.append(code)
    return "\n".join(parts) + "\n", count


@pytest.fixture
def checkout(tmp_path: Path) -> Path:
    """A sandbox that looks like a checkout after ``bash scripts/demo.sh``."""
    if not (VENV / "bin" / "activate").is_file():
        pytest.skip("no .venv in the checkout")
    work = tmp_path / "gazette"
    (work / "data").mkdir(parents=True)
    (work / ".venv").symlink_to(VENV)
    (work / "data" / "demo-site").symlink_to(DEMO_SITE)
    shutil.copy(ROOT / "scrapy.cfg", work / "scrapy.cfg")
    return work


def run_document(path: Path, work: Path) -> tuple[subprocess.CompletedProcess, int]:
    first = _free_ports(3)
    script, count = session_script(path, first)
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in ("VIRTUAL_ENV", "SCRAPY_SETTINGS_MODULE", "PYTHONPATH")
    }
    env["PATH"] = os.pathsep.join(
        p for p in env.get("PATH", "/usr/bin:/bin").split(os.pathsep) if str(VENV) not in p
    )
    with serve_sites(DEMO_SITE, port=first):
        proc = subprocess.run(
            ["bash", "-c", script],
            cwd=work,
            env=env,
            capture_output=True,
            text=True,
            timeout=900,
        )
    return proc, count


def _failure(proc: subprocess.CompletedProcess) -> str:
    markers = re.findall(r">>> (\S+)", proc.stderr)
    where = markers[-1] if markers else "?"
    return f"the block at {where} failed (exit {proc.returncode}):\n{proc.stderr[-4000:]}"


def test_getting_started_runs_as_written(checkout: Path) -> None:
    page = ROOT / "docs" / "getting-started.md"
    proc, count = run_document(page, checkout)
    assert proc.returncode == 0, _failure(proc)
    assert count >= 6
    # what the page says the reader gets
    (export,) = (checkout / "data" / "exports" / "gd_gkmlpt").glob("*.jsonl")
    assert len(export.read_text(encoding="utf-8").splitlines()) == 6
    assert proc.stdout.count("monitors    OK") == 3  # three crawls, one summary each
    first = json.loads(proc.stdout[proc.stdout.index("{") : proc.stdout.index("\n}") + 2])
    assert first["is_notice"] is True and first["title"]
    assert "records     11" in proc.stdout  # gazette dataset's profile
    assert (checkout / "data" / "dataset" / "notices.duckdb").is_file()
    assert "粤府" in proc.stdout  # the DuckDB query's table
    assert len((checkout / "news.jsonl").read_text(encoding="utf-8").splitlines()) == 10


def test_readme_runs_as_written(checkout: Path) -> None:
    proc, count = run_document(ROOT / "README.md", checkout)
    assert proc.returncode == 0, _failure(proc)
    assert count >= 5
    assert "monitors    OK" in proc.stdout  # the crawl's summary
    assert "records     6" in proc.stdout  # gazette dataset's profile
    assert re.search(r"issuer_level\s+genre", proc.stdout)  # the pandas block
    assert "doc_number" in proc.stdout and "粤府" in proc.stdout  # the DuckDB block
    assert len((checkout / "news.jsonl").read_text(encoding="utf-8").splitlines()) == 10
    assert len((checkout / "notices.jsonl").read_text(encoding="utf-8").splitlines()) == 6


def test_readme_is_short_with_the_two_commands_and_live_links() -> None:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    assert len(text.splitlines()) <= 150
    blocks = shell_blocks(text)
    assert [code for _, code, _ in blocks[:2]] == [
        "bash scripts/demo.sh\n",
        "bash scripts/test.sh\n",
    ]
    assert "bash scripts/test.sh" in (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    # one command style: the virtualenv activated once, no .venv/bin/ prefixes
    runnable = "".join(code for _, code, skipped in blocks if not skipped)
    assert runnable.count(". .venv/bin/activate") == 1
    assert ".venv/bin/" not in runnable.replace(". .venv/bin/activate", "")
    for target in re.findall(r"\]\(([^)#]+)(?:#[^)]*)?\)", text):
        if "://" not in target:
            assert (ROOT / target).exists(), f"README links to a missing {target}"


def test_no_test_marks_are_few_and_say_why() -> None:
    for page in (ROOT / "README.md", ROOT / "docs" / "getting-started.md"):
        text = page.read_text(encoding="utf-8")
        marks = re.findall(r"<!--\s*no-test\b(.*?)-->", text)
        assert all(m.strip(" :") for m in marks), f"{page.name}: a no-test mark without a reason"
        blocks = shell_blocks(text)
        assert sum(skipped for _, _, skipped in blocks) <= 3
