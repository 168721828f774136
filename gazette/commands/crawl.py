"""``scrapy crawl`` that checks before it starts and exits non-zero when a run failed.

Scrapy's own ``crawl`` exits 1 only when the crawler failed to start
(``bootstrap_failed``); a crawl whose spidermon monitors failed exits 0, so
cron and scrapyd would report a quiet night. This command (found through
``COMMANDS_MODULE = "gazette.commands"``, which overrides the built-in command
of the same name; scrapyd runs ``scrapy crawl`` too) adds:

* **checks before the first request** (:func:`preflight`), each failing with
  one line on stderr, no traceback, no export file, no monitors, and a failing
  run summary (``<export>.summary.json``, ``"failed_before_start"``) so that
  ``gazette health`` sees the night:

  - the spider's arguments (:func:`gazette.spiders.base.check_arguments`: a
    missing required argument, an unknown ``-a`` name, a malformed date or
    number) → exit 2;
  - every local export file's folder can be created and written → exit 1;
  - the state: a damaged or read-only SQLite file (``-wal``/``-shm`` too),
    Redis down or refusing the password (:mod:`gazette.state.check`) → exit 1;

* ``-o FILE`` / ``-O FILE`` write that one file only (Scrapy adds it to the
  project's ``FEEDS``, which would write a second copy under ``data/exports/``);
* after the crawl, exit ``GAZETTE_MONITOR_EXIT_CODE`` (3) when a monitor failed
  (:func:`gazette.ops.monitors.monitors_failed`): scrapyd's log then shows
  ``Process died: exitstatus=3``.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from datetime import datetime, timezone
from typing import Any

from scrapy.commands.crawl import Command as ScrapyCrawl
from scrapy.exceptions import UsageError

from gazette.ops.monitors import EXIT_CODE, local_path, monitors_failed, write_failed_summary

#: exit status of a crawl refused before it started: bad arguments / environment
EXIT_USAGE = 2
EXIT_ENVIRONMENT = 1


class PreflightError(Exception):
    """A crawl that must not start: ``reason`` (arguments, export, state), one-line message."""

    def __init__(self, reason: str, message: str, exitcode: int = EXIT_ENVIRONMENT) -> None:
        super().__init__(message)
        self.reason = reason
        self.message = message
        self.exitcode = exitcode


def feed_paths(settings: Any, spider_name: str, when: datetime | None = None) -> list[str]:
    """The local files the crawl's ``FEEDS`` would write (URI parameters filled in
    as the feed exporter does: ``%(name)s``, ``%(time)s``, ``%(gz)s`` …)."""
    when = when or datetime.now(tz=timezone.utc)
    params: dict[str, Any] = {
        "name": spider_name,
        "time": when.replace(microsecond=0).isoformat().replace(":", "-"),
        "batch_time": when.isoformat().replace(":", "-"),
        "batch_id": 1,
        "gz": ".gz" if settings.getbool("GAZETTE_EXPORT_GZIP") else "",
    }
    from gazette.crawl.exporters import job_id

    job = job_id(None)
    if job:
        params["time"] = f"{params['time']}_{job}"  # as gazette.crawl.exporters.uri_params
    paths = []
    for uri in settings.getdict("FEEDS"):
        try:
            filled = str(uri) % params
        except (KeyError, ValueError, TypeError):
            filled = str(uri)
        path = local_path(filled)
        if path is not None:
            paths.append(str(path))
    return paths


def _writable_folder(folder: str) -> str | None:
    """None when ``folder`` exists (or can be made) and takes a new file, else why not."""
    try:
        os.makedirs(folder, exist_ok=True)
        fd, probe = tempfile.mkstemp(prefix=".gazette-probe-", dir=folder)
    except OSError as exc:
        return exc.strerror or str(exc)
    os.close(fd)
    os.unlink(probe)
    return None


def preflight(settings: Any, spidercls: type, spargs: dict[str, Any]) -> None:
    """Raise :class:`PreflightError` when the crawl must not start (see module doc)."""
    name = str(getattr(spidercls, "name", "") or "")
    from gazette.spiders.base import NoticeSpider, check_arguments

    if isinstance(spidercls, type) and issubclass(spidercls, NoticeSpider):
        try:
            check_arguments(spidercls, spargs)
        except ValueError as exc:
            raise PreflightError("arguments", f"spider {name!r}: {exc}", EXIT_USAGE) from None
    for path in feed_paths(settings, name):
        why = _writable_folder(os.path.dirname(os.path.abspath(path)) or ".")
        if why is not None:
            raise PreflightError(
                "export",
                f"cannot write the export {path} ({why}): make its folder writable by the "
                "crawl's user, or give another one with -o FILE",
            )
    from gazette.state.check import StateProblem, check_state

    try:
        check_state(settings, name)
    except StateProblem as exc:
        raise PreflightError("state", str(exc)) from None


class Command(ScrapyCrawl):
    def short_desc(self) -> str:
        return "Run a spider; exit non-zero when it cannot start, failed or a monitor failed"

    def process_options(self, args: list[str], opts: argparse.Namespace) -> None:
        assert self.settings is not None
        project_feeds = dict(self.settings.getdict("FEEDS"))
        super().process_options(args, opts)
        if opts.output or opts.overwrite_output:
            # Scrapy merges -o into the project's FEEDS: keep the command line's only
            feeds = self.settings.getdict("FEEDS")
            cli = {k: v for k, v in feeds.items() if k not in project_feeds}
            self.settings.set("FEEDS", {}, priority="cmdline")
            held = self.settings["FEEDS"]
            for key in list(held):
                if key not in cli:
                    del held[key]
            for key, value in cli.items():
                held.set(key, value, priority="cmdline")

    def run(self, args: list[str], opts: argparse.Namespace) -> None:
        if len(args) < 1:
            raise UsageError
        if len(args) > 1:
            raise UsageError("running 'scrapy crawl' with more than one spider is not supported")
        assert self.crawler_process
        try:
            spidercls = self.crawler_process.spider_loader.load(args[0])
        except KeyError:
            self._refuse(
                None,
                args[0],
                opts,
                PreflightError(
                    "arguments", f"no spider named {args[0]!r} (scrapy list names them)", EXIT_USAGE
                ),
            )
            return
        crawler = self._create_crawler(args[0])
        try:
            preflight(crawler.settings, spidercls, dict(opts.spargs))
        except PreflightError as exc:
            self._refuse(crawler.settings, args[0], opts, exc)
            return
        self.crawler_process.crawl(crawler, **opts.spargs)
        self.crawler_process.start()
        if self.crawler_process.bootstrap_failed:
            self.exitcode = 1
            stats = getattr(crawler, "stats", None)
            if stats is None or not stats.get_value("gazette/summary_path"):
                # failed before its summary could be written: still leave a verdict
                write_failed_summary(
                    crawler.settings,
                    args[0],
                    dict(opts.spargs),
                    "bootstrap",
                    "the crawler failed to start (the log has the traceback)",
                )
        elif monitors_failed(crawler):
            self.exitcode = crawler.settings.getint("GAZETTE_MONITOR_EXIT_CODE", EXIT_CODE)

    def _refuse(
        self, settings: Any, name: str, opts: argparse.Namespace, exc: PreflightError
    ) -> None:
        """One line on stderr, a failing summary where the export would be, the exit status."""
        written = None
        if settings is not None:
            written = write_failed_summary(
                settings, name, dict(opts.spargs), exc.reason, exc.message
            )
        print(f"gazette: error: {exc.message}", file=sys.stderr, flush=True)
        if written is not None:
            print(f"gazette: failing run summary: {written}", file=sys.stderr, flush=True)
        self.exitcode = exc.exitcode
