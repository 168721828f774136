"""The offline demo: serve ``data/demo-site/`` on 127.0.0.1 and crawl it for real.

``python -m gazette.demo`` (what ``scripts/demo.sh`` runs):

1. serves each site of ``data/demo-site/`` (``govcn``, ``gd``, ``repost``) on
   its own ephemeral 127.0.0.1 port, like three hosts;
2. runs the real spiders (``gov_cn``, ``gd_gkmlpt``, ``site``) with the project's
   settings, pipelines and feed export, in a subprocess (fresh Twisted reactor),
   writing ``data/exports/demo.jsonl``;
3. prints a summary: pages, notices, dropped, duplicates, per-field coverage.

``python -m gazette.demo --serve [--port 8701]`` only serves the sites (on
fixed ports, in name order: ``gd`` 8701, ``govcn`` 8702, ``repost`` 8703), prints
the ``scrapy crawl`` command for each, and waits for Ctrl-C.

The static server maps a query string to a file name, so JSON list APIs can be
plain files: ``/gkmlpt/api/all/0?page=2&sid=2`` → ``gkmlpt/api/all/0__page=2_sid=2.json``
(parameters in URL order, ``&`` → ``_``; ``.json`` or ``.html`` may be appended); a
POSTed form is mapped the same way (its encoded body in place of the query).
An extension-less path falls back to ``path.html``; ``/robots.txt`` defaults to
allow-all when the site has none.
"""

from __future__ import annotations

import argparse
import contextlib
import http.server
import json
import os
import posixpath
import shlex
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

from gazette.items import FIELDS

ROOT = Path(__file__).resolve().parent.parent
DEMO_SITE = ROOT / "data" / "demo-site"
EXPORTS = ROOT / "data" / "exports"
DEFAULT_ROBOTS = b"User-agent: *\nAllow: /\n"
#: ``--serve``: the first site's port (the others follow, in name order)
DEMO_PORT = 8701
#: the largest POSTed form the static server reads
MAX_FORM = 4096

CONTENT_TYPES = {
    ".html": "text/html",
    ".htm": "text/html",
    ".shtml": "text/html",
    ".json": "application/json",
    ".txt": "text/plain",
    ".js": "application/javascript",
    ".css": "text/css",
}

#: the demo's sites and the spider that crawls each: (site dir, spider, arguments)
DEMO_CRAWLS: tuple[tuple[str, str, dict[str, str]], ...] = (
    ("govcn", "gov_cn", {"start_url": "{base}/search-gov/data?t=zhengcelibrary_gw&p=1&n=3"}),
    ("gd", "gd_gkmlpt", {"site": "{host}", "scheme": "http"}),
    ("repost", "site", {"start_url": "{base}/"}),
)


def query_file_name(path: str, query: str) -> str:
    """The file that answers ``path?query`` on the static server.

    >>> query_file_name("/gkmlpt/api/all/0", "page=2&sid=2")
    '/gkmlpt/api/all/0__page=2_sid=2'
    >>> query_file_name("/a/", "")
    '/a/'
    """
    if not query:
        return path
    return f"{path}__{query.replace('&', '_')}"


class StaticSiteHandler(http.server.SimpleHTTPRequestHandler):
    """Serve a directory read-only, with query strings mapped to files (see module doc)."""

    server_version = "gazette-demo/1"
    root: Path = DEMO_SITE
    #: seconds to wait before answering (benchmarks model a remote site with it)
    latency: float = 0.0

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
        pass

    def _resolve(self, form: str | None = None) -> Path | None:
        parts = urlsplit(self.path)
        path = posixpath.normpath(unquote(parts.path))
        if parts.path.endswith("/") and not path.endswith("/"):
            path += "/"
        rel = query_file_name(path, parts.query if form is None else form).lstrip("/")
        base = (self.root / rel).resolve()
        if self.root.resolve() not in (base, *base.parents):
            return None
        candidates = [base]
        if rel.endswith("/") or base.is_dir():
            candidates = [base / "index.html", base / "index.htm"]
        else:
            candidates += [base.with_name(base.name + ext) for ext in (".json", ".html")]
        for candidate in candidates:
            if candidate.is_file():
                return candidate
        return None

    def do_HEAD(self) -> None:  # noqa: N802
        self._serve(head=True)

    def do_GET(self) -> None:  # noqa: N802
        self._serve(head=False)

    def do_POST(self) -> None:  # noqa: N802
        """A POSTed form is answered like a query string (``/fjdzapp/search`` + form
        ``channelid=1&page=2`` → ``fjdzapp/search__channelid=1_page=2``)."""
        try:
            length = int(self.headers.get("Content-Length") or 0)
        except ValueError:
            length = -1
        if not 0 <= length <= MAX_FORM:
            self.send_error(413, "Form too large")
            return
        form = self.rfile.read(length).decode("latin-1") if length else ""
        self._serve(head=False, form=form)

    def _serve(self, head: bool, form: str | None = None) -> None:
        if self.latency > 0:
            time.sleep(self.latency)
        target = self._resolve(form)
        if target is None and urlsplit(self.path).path == "/robots.txt":
            body, ctype = DEFAULT_ROBOTS, "text/plain"
        elif target is None:
            self.send_error(404, "Not Found")
            return
        else:
            body = target.read_bytes()
            ctype = CONTENT_TYPES.get(target.suffix.lower(), "text/html")
        self.send_response(200)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if not head:
            self.wfile.write(body)


class _Server(http.server.ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 128


def start_server(
    directory: Path | str, latency: float = 0.0, port: int = 0
) -> tuple[http.server.ThreadingHTTPServer, str]:
    """Serve ``directory`` on 127.0.0.1 (``port``, 0: ephemeral) in a thread; → (server, base URL)."""
    handler = type("Handler", (StaticSiteHandler,), {"root": Path(directory), "latency": latency})
    server = _Server(("127.0.0.1", port), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    host, port = server.server_address[:2]
    return server, f"http://{host!s}:{port}"


@contextlib.contextmanager
def serve(directory: Path | str, latency: float = 0.0, port: int = 0) -> Iterator[str]:
    """``with serve(dir) as base_url:`` a static server for the block's duration."""
    server, base = start_server(directory, latency, port)
    try:
        yield base
    finally:
        server.shutdown()
        server.server_close()


@contextlib.contextmanager
def serve_sites(root: Path | str = DEMO_SITE, port: int = 0) -> Iterator[dict[str, str]]:
    """Every subdirectory of ``root`` on its own port: ``{name: base URL}``
    (ephemeral ports, or ``port``, ``port + 1`` … in name order)."""
    with contextlib.ExitStack() as stack:
        bases: dict[str, str] = {}
        for sub in sorted(Path(root).iterdir()):
            if sub.is_dir():
                bases[sub.name] = stack.enter_context(
                    serve(sub, port=port + len(bases) if port else 0)
                )
        yield bases


class StatsToFile:
    """Extension: write the crawl's stats as JSON to ``GAZETTE_STATS_FILE`` at close.

    Used by the tests and the benchmark, which run crawls in subprocesses.
    """

    def __init__(self, crawler: Any) -> None:
        self.crawler = crawler
        self.path = crawler.settings.get("GAZETTE_STATS_FILE")

    @classmethod
    def from_crawler(cls, crawler: Any) -> StatsToFile:
        from scrapy import signals
        from scrapy.exceptions import NotConfigured

        ext = cls(crawler)
        if not ext.path:
            raise NotConfigured
        crawler.signals.connect(ext.spider_closed, signal=signals.spider_closed)
        return ext

    def spider_closed(self, spider: Any, reason: str) -> None:
        stats = dict(self.crawler.stats.get_stats()) if self.crawler.stats else {}
        stats["finish_reason"] = reason
        Path(self.path).write_text(json.dumps(stats, default=str, ensure_ascii=False), "utf-8")


# -- the crawl -----------------------------------------------------------------------
def crawl_plan(bases: dict[str, str]) -> list[tuple[str, dict[str, str]]]:
    """``[(spider, arguments)]`` for the demo sites being served at ``bases``."""
    plan = []
    for site, spider, args in DEMO_CRAWLS:
        if site not in bases:
            continue
        base = bases[site]
        host = urlsplit(base).netloc
        plan.append((spider, {k: v.format(base=base, host=host) for k, v in args.items()}))
    return plan


def crawl_commands(bases: dict[str, str]) -> list[str]:
    """The ``scrapy crawl`` command lines for the demo sites being served at ``bases``.

    >>> crawl_commands({"repost": "http://127.0.0.1:8703"})
    ['scrapy crawl site -a start_url=http://127.0.0.1:8703/']
    """
    return [
        f"scrapy crawl {spider}"
        + "".join(f" -a {shlex.quote(f'{k}={v}')}" for k, v in args.items())
        for spider, args in crawl_plan(bases)
    ]


def serve_until_interrupted(root: Path, port: int) -> int:
    """``--serve``: serve the sites, print the crawl commands, wait for Ctrl-C."""
    try:
        with serve_sites(root, port) as bases:
            print("serving the demo sites on 127.0.0.1 (Ctrl-C stops):")
            for name, base in bases.items():
                print(f"  {name:<8} {base}")
            print("crawl them from another terminal, in this folder (. .venv/bin/activate first):")
            for command in crawl_commands(bases):
                print(f"  {command}")
            sys.stdout.flush()
            while True:
                time.sleep(3600)
    except OSError as e:
        print(f"python -m gazette.demo: cannot serve on port {port}: {e.strerror}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("stopped", file=sys.stderr)
    return 0


def _run_crawls(plan_file: str, output: str, stats_file: str, overrides: str) -> None:
    """Subprocess body: run the planned spiders one after the other in one process.

    One after the other so that state shared between crawls (seen pages, the
    duplicate index) sees the earlier sites' notices when the later ones repost
    them. Each spider writes its own feed; they are joined into ``output``.
    """
    from scrapy.crawler import CrawlerRunner
    from scrapy.utils.log import configure_logging
    from scrapy.utils.project import get_project_settings
    from scrapy.utils.reactor import install_reactor

    os.environ.setdefault("SCRAPY_SETTINGS_MODULE", "gazette.settings")
    plan = json.loads(Path(plan_file).read_text(encoding="utf-8"))
    settings = get_project_settings()
    for key, value in json.loads(overrides).items():
        settings.set(key, value, priority="cmdline")
    parts_dir = Path(stats_file).parent
    feed = {"format": "jsonlines", "encoding": "utf-8", "overwrite": True}
    settings.set("FEEDS", {str(parts_dir / "%(name)s.jsonl"): feed}, priority="cmdline")
    install_reactor(settings["TWISTED_REACTOR"])
    configure_logging(settings)

    from twisted.internet import defer, reactor

    runner = CrawlerRunner(settings)
    crawlers: list[Any] = []

    @defer.inlineCallbacks
    def crawl_all() -> Any:
        try:
            for spider, args in plan:
                crawler = runner.create_crawler(spider)
                crawlers.append(crawler)
                yield runner.crawl(crawler, **args)
        finally:
            reactor.stop()  # type: ignore[attr-defined,misc]

    crawl_all()
    reactor.run()  # type: ignore[attr-defined,misc]
    with open(output, "wb") as out:
        for spider, _args in plan:
            part = parts_dir / f"{spider}.jsonl"
            if part.exists():
                out.write(part.read_bytes())
    stats = [
        {"spider": c.spider.name if c.spider else None, **(c.stats.get_stats() if c.stats else {})}
        for c in crawlers
    ]
    Path(stats_file).write_text(json.dumps(stats, default=str, ensure_ascii=False), "utf-8")


def run_crawl(
    bases: dict[str, str],
    output: Path,
    overrides: dict[str, Any] | None = None,
    timeout: float = 300,
    log_file: Path | None = None,
) -> list[dict[str, Any]]:
    """Crawl the served demo sites in a subprocess; → the crawlers' stats."""
    output.parent.mkdir(parents=True, exist_ok=True)
    if output.exists():
        output.unlink()
    settings: dict[str, Any] = {
        "LOG_LEVEL": "INFO",
        "AUTOTHROTTLE_ENABLED": False,
        "DOWNLOAD_DELAY": 0,
        # one state for the whole demo (so reposts across sites are duplicates),
        # fresh every run, apart from any real crawl's state
        "GAZETTE_STATE_PATH": str(output.with_suffix(".state.sqlite3")),
    }
    settings.update(overrides or {})
    state = Path(settings["GAZETTE_STATE_PATH"])
    for leftover in (
        state,
        state.with_name(state.name + "-wal"),
        state.with_name(state.name + "-shm"),
    ):
        if leftover.exists():
            leftover.unlink()
    with tempfile.TemporaryDirectory(prefix="gazette-demo-") as tmp:
        plan_file = Path(tmp) / "plan.json"
        stats_file = Path(tmp) / "stats.json"
        plan_file.write_text(json.dumps(crawl_plan(bases)), encoding="utf-8")
        code = "import sys; from gazette.demo import _run_crawls; _run_crawls(*sys.argv[1:])"
        log = open(log_file, "w", encoding="utf-8") if log_file else subprocess.DEVNULL  # noqa: SIM115
        try:
            subprocess.run(
                [
                    sys.executable,
                    "-c",
                    code,
                    str(plan_file),
                    str(output),
                    str(stats_file),
                    json.dumps(settings),
                ],
                cwd=str(ROOT),
                check=True,
                timeout=timeout,
                stdout=log,
                stderr=log,
                env={**os.environ, "SCRAPY_SETTINGS_MODULE": "gazette.settings"},
            )
        finally:
            if log_file:
                log.close()  # type: ignore[union-attr]
        if not stats_file.exists():
            return []
        return list(json.loads(stats_file.read_text(encoding="utf-8")))


def read_export(path: Path) -> list[dict[str, Any]]:
    if not path.exists():
        return []
    records = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.strip():
            records.append(json.loads(line))
    return records


def summarize(stats: list[dict[str, Any]], records: list[dict[str, Any]]) -> dict[str, Any]:
    """Pages, notices, dropped, duplicates and per-field coverage of one crawl."""

    def total(key: str) -> int:
        return sum(int(s.get(key, 0) or 0) for s in stats)

    def total_prefix(prefix: str) -> int:
        return sum(
            int(v or 0)
            for s in stats
            for k, v in s.items()
            if k.startswith(prefix) and isinstance(v, (int, float))
        )

    duplicates = total_prefix("gazette/duplicates/")
    dropped = total_prefix("gazette/dropped/")
    if not dropped:
        dropped = max(0, total("item_dropped_count") - duplicates)
    dropped += total("gazette/non_notices_skipped")
    dropped_reasons: dict[str, int] = {}
    for s in stats:
        for k, v in s.items():
            if k.startswith("gazette/dropped/"):
                name = k.split("/", 1)[1]
                dropped_reasons[name] = dropped_reasons.get(name, 0) + int(v)
        skipped = int(s.get("gazette/non_notices_skipped", 0) or 0)
        if skipped:
            key = "not_notice (spider)"
            dropped_reasons[key] = dropped_reasons.get(key, 0) + skipped
    coverage = {}
    for key in FIELDS:
        if key in ("id", "url", "site", "spider", "fetched_at"):
            continue
        if key in ("is_notice", "masked"):  # booleans: how many are true
            filled = sum(1 for r in records if r.get(key) is True)
        else:
            filled = sum(1 for r in records if r.get(key) not in (None, "", [], {}))
        coverage[key] = (filled, len(records))
    return {
        "pages": total("response_received_count"),
        "notices": len(records),
        "dropped": dropped,
        "dropped_reasons": dropped_reasons,
        "duplicates": duplicates,
        "errors": total("log_count/ERROR"),
        "coverage": coverage,
    }


def format_summary(summary: dict[str, Any], output: Path) -> str:
    lines = [
        f"export      {output}",
        f"pages       {summary['pages']}",
        f"notices     {summary['notices']}",
        f"dropped     {summary['dropped']}"
        + (
            "  (" + ", ".join(f"{k}: {v}" for k, v in summary["dropped_reasons"].items()) + ")"
            if summary["dropped_reasons"]
            else ""
        ),
        f"duplicates  {summary['duplicates']}",
        f"errors      {summary['errors']}",
        "coverage",
    ]
    for key, (filled, count) in summary["coverage"].items():
        share = f"{100 * filled / count:5.1f}%" if count else "    -"
        lines.append(f"  {key:<15} {filled:>3}/{count:<3} {share}")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m gazette.demo",
        description="The offline demo: serve data/demo-site/ on 127.0.0.1 and crawl it "
        "with the real spiders (or, with --serve, only serve it).",
    )
    parser.add_argument(
        "--serve",
        action="store_true",
        help="only serve the sites and print the scrapy crawl commands; Ctrl-C stops",
    )
    parser.add_argument(
        "--port",
        type=int,
        default=DEMO_PORT,
        help=f"with --serve: the first site's port, the others follow (default {DEMO_PORT})",
    )
    parser.add_argument("--site", type=Path, default=DEMO_SITE, help="demo site root")
    parser.add_argument("--output", type=Path, default=EXPORTS / "demo" / "demo.jsonl")
    parser.add_argument("--log", type=Path, default=EXPORTS / "demo" / "demo.log")
    parser.add_argument("--timeout", type=float, default=300)
    parser.add_argument("--json", action="store_true", help="print the summary as JSON")
    args = parser.parse_args(argv)
    if args.serve:
        return serve_until_interrupted(args.site, args.port)
    started = time.monotonic()
    with serve_sites(args.site) as bases:
        for name, base in bases.items():
            print(f"serving {name:<8} {base}", file=sys.stderr)
        args.log.parent.mkdir(parents=True, exist_ok=True)
        try:
            stats = run_crawl(bases, args.output, timeout=args.timeout, log_file=args.log)
        except subprocess.CalledProcessError:
            print(f"crawl failed; see {args.log}", file=sys.stderr)
            return 1
    summary = summarize(stats, read_export(args.output))
    if args.json:
        print(json.dumps(summary, ensure_ascii=False, indent=2))
    else:
        print(format_summary(summary, args.output))
        print(f"({time.monotonic() - started:.1f}s; log: {args.log})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
