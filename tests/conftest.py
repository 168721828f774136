"""Shared test helpers: a local static HTTP server and a crawl-in-a-subprocess runner.

* ``local_site(directory)`` serves a directory on 127.0.0.1 (ephemeral port) with a
  ``robots.txt`` (the directory's own, else allow-all) and query strings mapped to
  files (``/api?page=2`` → ``api__page=2[.json|.html]``; see :mod:`gazette.demo`).
* ``copy_site(src, replacements)`` copies a fixture tree into a temp dir, replacing
  strings in its text files (e.g. a real host by the local server's base URL).
* ``run_crawl(spider, args, settings)`` runs ``scrapy crawl`` in a subprocess (fresh
  reactor, project settings, no network but 127.0.0.1) and returns its items.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from gazette.demo import start_server

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = Path(__file__).resolve().parent / "fixtures"
TEXT_SUFFIXES = {".html", ".htm", ".json", ".txt", ".shtml"}


@pytest.fixture
def local_site() -> Iterator[Callable[[Path | str], str]]:
    """``base_url = local_site(directory)``; servers stop at the end of the test."""
    servers = []

    def start(directory: Path | str) -> str:
        server, base = start_server(directory)
        servers.append(server)
        return base

    yield start
    for server in servers:
        server.shutdown()
        server.server_close()


@pytest.fixture
def copy_site(tmp_path: Path) -> Callable[..., Path]:
    """``copy_site(src, {"https://www.gd.gov.cn": base})`` → a patched copy of ``src``.

    Replacement happens on the raw bytes, so it works for GBK files as long as the
    strings replaced are ASCII.
    """
    counter = [0]

    def copy(src: Path | str, replacements: dict[str, str] | None = None) -> Path:
        counter[0] += 1
        dest = tmp_path / f"site{counter[0]}"
        shutil.copytree(src, dest)
        for path in dest.rglob("*"):
            if path.is_file() and path.suffix.lower() in TEXT_SUFFIXES and replacements:
                data = path.read_bytes()
                for old, new in replacements.items():
                    data = data.replace(old.encode("ascii"), new.encode("ascii"))
                path.write_bytes(data)
        return dest

    return copy


def crawl(
    spider: str,
    args: dict[str, str] | None = None,
    settings: dict[str, Any] | None = None,
    tmp: Path | None = None,
    timeout: float = 60,
) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    """Run ``scrapy crawl spider`` in a subprocess; → (items, stats)."""
    import tempfile

    workdir = Path(tmp or tempfile.mkdtemp(prefix="gazette-crawl-"))
    out = workdir / f"{spider}-items.jsonl"
    stats_path = workdir / f"{spider}-stats.json"
    if out.exists():
        out.unlink()
    cmd = [sys.executable, "-m", "scrapy", "crawl", spider, "-O", f"{out}:jsonlines"]
    for key, value in (args or {}).items():
        cmd += ["-a", f"{key}={value}"]
    base_settings: dict[str, Any] = {
        "LOG_LEVEL": "INFO",
        "AUTOTHROTTLE_ENABLED": False,
        "DOWNLOAD_DELAY": 0,
        "HTTPCACHE_ENABLED": False,
        "ITEM_PIPELINES": {},  # spider tests test fetching; the e2e test runs the pipelines
        "STATS_DUMP": True,
        "CLOSESPIDER_TIMEOUT": max(5, int(timeout) - 10),
        "EXTENSIONS": {"gazette.demo.StatsToFile": 900},
        "GAZETTE_STATS_FILE": str(stats_path),
    }
    base_settings.update(settings or {})
    for key, value in base_settings.items():
        if isinstance(value, (dict, list)):
            value = json.dumps(value)
        cmd += ["-s", f"{key}={value}"]
    env = {**os.environ, "SCRAPY_SETTINGS_MODULE": "gazette.settings", "PYTHONPATH": str(ROOT)}
    env.pop("http_proxy", None)
    env.pop("https_proxy", None)
    proc = subprocess.run(
        cmd, cwd=str(workdir), env=env, capture_output=True, text=True, timeout=timeout
    )
    if proc.returncode != 0:
        raise AssertionError(f"crawl failed ({proc.returncode}):\n{proc.stderr[-4000:]}")
    items = []
    if out.exists():
        items = [json.loads(line) for line in out.read_text("utf-8").splitlines() if line.strip()]
    stats = json.loads(stats_path.read_text("utf-8")) if stats_path.exists() else {}
    stats["_log"] = proc.stderr
    return items, stats


@pytest.fixture
def run_crawl(tmp_path: Path) -> Callable[..., tuple[list[dict[str, Any]], dict[str, Any]]]:
    """``items, stats = run_crawl("site", {"start_url": base}, {"DEPTH_LIMIT": 2})``."""

    def run(
        spider: str,
        args: dict[str, str] | None = None,
        settings: dict[str, Any] | None = None,
        timeout: float = 60,
    ) -> tuple[list[dict[str, Any]], dict[str, Any]]:
        return crawl(spider, args, settings, tmp=tmp_path, timeout=timeout)

    return run


def fixture_response(
    path: Path | str, url: str, content_type: str | None = None, meta: dict[str, Any] | None = None
) -> Any:
    """A Scrapy response built from a fixture file's raw bytes, as if fetched from ``url``."""
    from scrapy.http import HtmlResponse, Request, TextResponse

    body = Path(path).read_bytes()
    request = Request(url, meta=meta or {})
    if (content_type or "").endswith("json") or str(path).endswith(".json"):
        return TextResponse(
            url,
            body=body,
            headers={"Content-Type": content_type or "application/json"},
            request=request,
            encoding="utf-8",
        )
    headers = {"Content-Type": content_type} if content_type else {}
    return HtmlResponse(url, body=body, headers=headers, request=request)
