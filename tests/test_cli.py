"""The command line as a newcomer meets it: ``gazette --version``, ``python -m gazette``,
plain help texts, ``gazette extract DIR``, one output convention for ``extract`` and
``compact`` (stdout, or ``-o FILE`` written whole), ``python -m gazette.demo --serve``
and a crawl's summary printed once in a terminal."""

from __future__ import annotations

import json
import os
import random
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from importlib.metadata import version as dist_version
from pathlib import Path

import pytest

import gazette
from gazette.cli import main

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "tests" / "fixtures" / "extract"
GOVCN = FIXTURES / "govcn_zhengceku.html"
GKMLPT = FIXTURES / "gkmlpt_detail.html"
BIN = Path(sys.executable).parent
SUBCOMMANDS = ("extract", "compact", "dataset", "schema", "health")


def run(capsys, *argv: object) -> tuple[int, str, str]:
    rc = main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return rc, out, err


def records(text: str) -> list[dict]:
    return [json.loads(line) for line in text.splitlines() if line.strip()]


# -- version, python -m gazette, help ---------------------------------------------


def test_version_is_the_package_version(capsys):
    with pytest.raises(SystemExit) as exit_:
        main(["--version"])
    assert exit_.value.code == 0
    out = capsys.readouterr().out
    pyproject = (ROOT / "pyproject.toml").read_text(encoding="utf-8")
    expected = re.search(r'(?m)^version = "([^"]+)"', pyproject).group(1)
    assert out.strip() == f"gazette {expected}"
    assert gazette.__version__ == expected == dist_version("gazette")


def test_python_dash_m_gazette_is_the_gazette_command():
    proc = subprocess.run(
        [sys.executable, "-m", "gazette", "--version"], capture_output=True, text=True, timeout=60
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == f"gazette {gazette.__version__}"
    proc = subprocess.run(
        [sys.executable, "-m", "gazette", "extract", str(GOVCN)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert proc.returncode == 0, proc.stderr
    assert records(proc.stdout)[0]["doc_number"] == "国办发〔2023〕41号"


def _help(capsys, argv: list[str]) -> str:
    with pytest.raises(SystemExit) as exit_:
        main(argv)
    assert exit_.value.code == 0
    return capsys.readouterr().out


@pytest.mark.parametrize("command", ["", *SUBCOMMANDS])
def test_help_texts_are_plain(capsys, command):
    text = _help(capsys, [command, "--help"] if command else ["--help"])
    assert text.startswith("usage: gazette")
    assert "`" not in text, text  # no reST markup in a terminal
    assert ":func:" not in text and ":mod:" not in text


def test_demo_help_is_plain(capsys):
    from gazette.demo import main as demo_main

    with pytest.raises(SystemExit):
        demo_main(["--help"])
    text = capsys.readouterr().out
    assert "--serve" in text and "`" not in text


def test_top_level_help_lists_every_subcommand(capsys):
    text = _help(capsys, ["--help"])
    for command in SUBCOMMANDS:
        assert command in text


# -- gazette extract DIR ------------------------------------------------------------


def test_extract_dir_reads_every_page_in_it(tmp_path, capsys):
    (tmp_path / "b").mkdir()
    shutil.copy(GOVCN, tmp_path / "b" / "2.html")
    shutil.copy(GKMLPT, tmp_path / "1.HTM")
    shutil.copy(GOVCN, tmp_path / "b" / "3.shtml")
    (tmp_path / "notes.txt").write_text("not a page", encoding="utf-8")
    (tmp_path / "b" / "data.json").write_text("{}", encoding="utf-8")
    rc, out, err = run(capsys, "extract", tmp_path)
    assert rc == 0, err
    recs = records(out)
    assert [Path(r["source_path"]).relative_to(tmp_path).as_posix() for r in recs] == [
        "1.HTM",
        "b/2.html",
        "b/3.shtml",
    ]
    assert [r["doc_number"] for r in recs] == [
        "粤办函〔2021〕148号",
        "国办发〔2023〕41号",
        "国办发〔2023〕41号",
    ]
    # a directory and a file together, in the order given
    rc, out, _ = run(capsys, "extract", GOVCN, tmp_path / "b")
    assert rc == 0
    assert [Path(r["source_path"]).name for r in records(out)] == [
        GOVCN.name,
        "2.html",
        "3.shtml",
    ]


def test_extract_dir_errors(tmp_path, capsys):
    empty = tmp_path / "empty"
    empty.mkdir()
    (empty / "readme.txt").write_text("x", encoding="utf-8")
    out_file = tmp_path / "out.jsonl"
    rc, out, err = run(capsys, "extract", empty, "-o", out_file)
    assert rc == 2 and out == ""
    assert err.count("\n") == 1 and "no pages in" in err
    assert not out_file.exists() and not list(tmp_path.glob("out.jsonl*"))
    shutil.copy(GOVCN, empty / "p.html")
    rc, _, err = run(capsys, "extract", empty, "--url", "https://www.gov.cn/x.html")
    assert rc == 2 and "--url applies to a single FILE" in err


# -- one output convention for extract and compact ----------------------------------


def test_extract_and_compact_write_stdout_or_one_whole_file(tmp_path, capsys):
    rc, stdout_records, _ = run(capsys, "extract", GOVCN, GKMLPT)
    assert rc == 0
    out_file = tmp_path / "sub" / "records.jsonl"
    rc, out, _ = run(capsys, "extract", GOVCN, GKMLPT, "-o", out_file)
    assert rc == 0 and out == ""
    assert out_file.read_text(encoding="utf-8") == stdout_records
    assert sorted(p.name for p in out_file.parent.iterdir()) == ["records.jsonl"]

    # compact reads extract's output; stdout by default, -o FILE, -o - (stdout) too
    rc, compact_stdout, err = run(capsys, "compact", out_file)
    assert rc == 0, err
    assert len(records(compact_stdout)) == 2
    assert "2 records in, 2 notices out" in err
    compact_file = tmp_path / "c" / "notices.jsonl"
    rc, out, _ = run(capsys, "compact", out_file, "-o", compact_file)
    assert rc == 0 and out == ""
    assert compact_file.read_text(encoding="utf-8") == compact_stdout
    assert sorted(p.name for p in compact_file.parent.iterdir()) == ["notices.jsonl"]
    rc, out, _ = run(capsys, "compact", out_file, "-o", "-")
    assert rc == 0 and out == compact_stdout


def test_an_unwritable_output_is_one_line_and_nothing_written(tmp_path, capsys):
    blocker = tmp_path / "file"
    blocker.write_text("x", encoding="utf-8")
    target = blocker / "out.jsonl"  # its folder is a file
    rc, out, err = run(capsys, "extract", GOVCN, "-o", target)
    assert rc == 2 and out == "" and err.count("\n") == 1
    assert err.startswith("gazette: error: cannot write")
    rc, stdout_records, _ = run(capsys, "extract", GOVCN)
    export = tmp_path / "e.jsonl"
    export.write_text(stdout_records, encoding="utf-8")
    rc, out, err = run(capsys, "compact", export, "-o", target)
    assert rc == 2 and out == "" and err.count("\n") == 1
    assert "cannot write" in err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["e.jsonl", "file"]


# -- python -m gazette.demo --serve -------------------------------------------------


def _free_ports(n: int) -> int:
    """The first of ``n`` consecutive free ports on 127.0.0.1."""
    for _ in range(50):
        first = random.randint(20000, 60000)
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


def _start_serving(port: int) -> tuple[subprocess.Popen, list[str]]:
    proc = subprocess.Popen(
        [sys.executable, "-m", "gazette.demo", "--serve", "--port", str(port)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    lines: list[str] = []
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        line = proc.stdout.readline()  # type: ignore[union-attr]
        if not line:
            break
        lines.append(line.rstrip("\n"))
        if sum(1 for x in lines if x.strip().startswith("scrapy crawl")) == 3:
            break
    return proc, lines


def _stop(proc: subprocess.Popen) -> tuple[int, str]:
    proc.send_signal(signal.SIGINT)
    try:
        _, err = proc.communicate(timeout=15)
    except subprocess.TimeoutExpired:
        proc.kill()
        _, err = proc.communicate()
    return proc.returncode, err


def test_demo_serve_prints_the_crawl_commands_and_stops_on_ctrl_c(tmp_path):
    port = _free_ports(3)
    proc, lines = _start_serving(port)
    try:
        text = "\n".join(lines)
        assert f"gd       http://127.0.0.1:{port}" in text
        assert f"govcn    http://127.0.0.1:{port + 1}" in text
        assert f"repost   http://127.0.0.1:{port + 2}" in text
        commands = [x.strip() for x in lines if x.strip().startswith("scrapy crawl")]
        assert commands == [
            f"scrapy crawl gov_cn -a 'start_url=http://127.0.0.1:{port + 1}"
            "/search-gov/data?t=zhengcelibrary_gw&p=1&n=3'",
            f"scrapy crawl gd_gkmlpt -a site=127.0.0.1:{port} -a scheme=http",
            f"scrapy crawl site -a start_url=http://127.0.0.1:{port + 2}/",
        ]
        # the gkmlpt API is answered by the query-to-file mapping
        url = f"http://127.0.0.1:{port}/gkmlpt/api/all/0?page=1&sid=2"
        with urllib.request.urlopen(url, timeout=10) as resp:
            assert json.loads(resp.read())["articles"]

        # a printed command runs as written (in a folder of its own, politeness off)
        shutil.copy(ROOT / "scrapy.cfg", tmp_path / "scrapy.cfg")
        env = {**os.environ, "PATH": f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}"}
        env.pop("SCRAPY_SETTINGS_MODULE", None)
        fast = " -s AUTOTHROTTLE_ENABLED=False -s DOWNLOAD_DELAY=0"
        crawl = subprocess.run(
            commands[1] + fast,
            shell=True,
            cwd=tmp_path,
            env=env,
            capture_output=True,
            text=True,
            timeout=180,
        )
        assert crawl.returncode == 0, crawl.stderr[-3000:]
        exports = list((tmp_path / "data" / "exports" / "gd_gkmlpt").glob("*.jsonl"))
        assert len(exports) == 1
        assert len(records(exports[0].read_text(encoding="utf-8"))) == 6
        # the run summary once in a terminal: on stdout, a one-line pointer in the log
        assert crawl.stdout.count("\ncoverage\n") == 1
        assert "notices     6" in crawl.stdout
        assert "run summary of gd_gkmlpt: printed on stdout" in crawl.stderr
        assert "\ncoverage\n" not in crawl.stderr
        assert "notices     6" not in crawl.stderr
    finally:
        rc, err = _stop(proc)
    assert rc == 0, err
    assert "Traceback" not in err


def test_demo_serve_on_a_busy_port_is_one_line():
    port = _free_ports(3)
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", port + 1))
        busy.listen()
        proc = subprocess.run(
            [sys.executable, "-m", "gazette.demo", "--serve", "--port", str(port)],
            capture_output=True,
            text=True,
            timeout=60,
        )
    assert proc.returncode == 1
    assert proc.stderr.count("\n") == 1 and "cannot serve on port" in proc.stderr
    assert "Traceback" not in proc.stderr
