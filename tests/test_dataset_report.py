"""``gazette dataset --report``: a static page, opened in headless Chromium.

Skips where no Chromium is installed (``apt-get install chromium``;
``scripts/ci-services.sh`` installs it with a CJK font).
"""

from __future__ import annotations

import os
import shutil
import struct
import subprocess
import zlib
from pathlib import Path

import pytest

from gazette.cli import main as cli_main
from gazette.dataset.files import materialize
from gazette.dataset.store import Store
from gazette.items import complete

CHROMIUM = next(
    (p for p in (shutil.which(n) for n in ("chromium", "chromium-browser", "google-chrome")) if p),
    None,
)


def _dataset(directory: Path) -> None:
    store = Store(str(directory / "store.sqlite3"))
    for i in range(30):
        store.add(
            complete(
                {
                    "id": f"g{i:020x}",
                    "url": f"http://www.gd.gov.cn/a/{i}.html",
                    "site": "www.gd.gov.cn",
                    "spider": "gd" if i % 3 else "gov_cn",
                    "title": f"关于第{i}项工作的{'通知' if i % 2 else '意见'}",
                    "doc_number": f"粤府办〔{2010 + i % 5}〕{i}号",
                    "issuer": "广东省人民政府办公厅" if i % 3 else "国务院办公厅",
                    "date": f"{2010 + i % 5}-0{1 + i % 9}-1{i % 10}",
                    "body": f"各市人民政府：\n第{i}项工作的正文。",
                    "is_notice": True,
                    "masked": False,
                    "fetched_at": "2024-05-01T08:00:00+00:00",
                }
            )
        )
    materialize(str(directory), store)
    store.close()


def test_report_is_written_and_holds_the_tables(tmp_path, capsys):
    _dataset(tmp_path)
    report = tmp_path / "report.html"
    rc = cli_main(
        ["dataset", "--dir", str(tmp_path), "--formats", "jsonl", "--report", str(report)]
    )
    assert rc == 0
    page = report.read_text("utf-8")
    for section in ("per-year", "per-genre", "per-issuer", "coverage", "newest"):
        assert f'id="{section}"' in page
    assert "<b>30</b> notices" in page and "广东省人民政府办公厅" in page
    assert "<script" not in page and "http" not in page.split("<body>")[0]


def _png_pixels(data: bytes) -> tuple[int, int, list[bytes]]:
    """Width, height and unfiltered rows of an 8-bit RGB/RGBA PNG (what Chromium writes)."""
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    pos, idat, width = 8, b"", 0
    height = depth = color = 0
    while pos < len(data):
        (length,) = struct.unpack(">I", data[pos : pos + 4])
        kind = data[pos + 4 : pos + 8]
        chunk = data[pos + 8 : pos + 8 + length]
        if kind == b"IHDR":
            width, height, depth, color = struct.unpack(">IIBB", chunk[:10])
        elif kind == b"IDAT":
            idat += chunk
        pos += 12 + length
    assert depth == 8 and color in (2, 6)
    bpp = 3 if color == 2 else 4
    raw = zlib.decompress(idat)
    stride = width * bpp
    rows: list[bytes] = []
    prev = bytearray(stride)
    for y in range(height):
        f = raw[y * (stride + 1)]
        line = bytearray(raw[y * (stride + 1) + 1 : (y + 1) * (stride + 1)])
        for x in range(stride):
            a = line[x - bpp] if x >= bpp else 0
            b = prev[x]
            c = prev[x - bpp] if x >= bpp else 0
            if f == 1:
                line[x] = (line[x] + a) & 255
            elif f == 2:
                line[x] = (line[x] + b) & 255
            elif f == 3:
                line[x] = (line[x] + (a + b) // 2) & 255
            elif f == 4:
                p = a + b - c
                pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                line[x] = (line[x] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 255
        rows.append(bytes(line))
        prev = line
    return width, height, rows


@pytest.mark.skipif(CHROMIUM is None, reason="no chromium (apt-get install chromium)")
def test_report_renders_in_headless_chromium(tmp_path):
    _dataset(tmp_path)
    report = tmp_path / "report.html"
    assert (
        cli_main(
            [
                "dataset",
                "--dir",
                str(tmp_path),
                "--formats",
                "jsonl",
                "--quiet",
                "--report",
                str(report),
            ]
        )
        == 0
    )
    shot = tmp_path / "report.png"
    base = [
        CHROMIUM,
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-dev-shm-usage",
        "--no-first-run",
        f"--user-data-dir={tmp_path / 'profile'}",
    ]
    env = {**os.environ, "HOME": str(tmp_path)}
    dom = subprocess.run(
        [*base, "--dump-dom", report.as_uri()], capture_output=True, text=True, timeout=120, env=env
    )
    assert dom.returncode == 0, dom.stderr[-2000:]
    assert 'id="newest"' in dom.stdout and "<b>30</b> notices" in dom.stdout
    done = subprocess.run(
        [
            *base,
            f"--screenshot={shot}",
            "--window-size=1200,1400",
            "--hide-scrollbars",
            report.as_uri(),
        ],
        capture_output=True,
        text=True,
        timeout=120,
        env=env,
    )
    assert done.returncode == 0 and shot.exists(), done.stderr[-2000:]
    keep = os.environ.get("GAZETTE_REPORT_SCREENSHOT")
    if keep:
        shutil.copy(shot, keep)
    width, height, rows = _png_pixels(shot.read_bytes())
    assert (width, height) == (1200, 1400)
    # a page, not a blank or error screen: white background, dark text, the blue bars
    step = len(rows[0]) // width
    pixels = {row[x : x + 3] for row in rows[::7] for x in range(0, len(row), step * 5)}
    assert bytes((255, 255, 255)) in pixels
    assert any(sum(p) < 200 for p in pixels)  # text
    assert any(p[2] > 150 and p[0] < 120 for p in pixels)  # a bar (#4a7ebb)
    assert len(pixels) > 20
