"""Monitors that fail loudly, and the run summary written beside the export.

At spider close, spidermon runs :class:`CrawlMonitorSuite` (listed in
``SPIDERMON_SPIDER_CLOSE_MONITORS``, see :mod:`gazette.settings_server`):

* **notices**: at least ``GAZETTE_MONITOR_MIN_ITEMS`` notices exported, **or a
  quiet night**: the lists held entries (``gazette/entries/found``) and the
  crawl knew them (detail pages skipped as seen, duplicates, entries older
  than ``since``). Zero entries on every list page fails;
* **coverage**: judged only over at least ``GAZETTE_MONITOR_COVERAGE_MIN_NOTICES``
  (10) notices: for each field of ``GAZETTE_MONITOR_COVERAGE`` (``doc_number``,
  ``issuer``, ``date``, ``body``), the share of exported notices that have it
  is at least its threshold (per spider overrides in
  ``GAZETTE_MONITOR_COVERAGE_BY_SPIDER``, ``{"site": {"doc_number": 0.2}}``, or
  in a spider's ``custom_settings``), and no lower than the site's usual share
  minus ``GAZETTE_MONITOR_COVERAGE_MAX_DROP`` (0.25); the usual share is kept in
  the state (meta ``coverage_history``: the last
  :data:`HISTORY_RUNS` good runs with notices, see :func:`record_history`);
* **export**: every line was written (``gazette/export/failed`` unset, see
  :mod:`gazette.crawl.exporters`);
* **http**: 4xx/5xx answers per answer at most
  ``GAZETTE_MONITOR_MAX_HTTP_ERROR_RATE`` (0.5: dead links are common, a site
  answering errors to half the requests is broken; ``robots.txt`` not counted;
  judged over at least ``GAZETTE_MONITOR_HTTP_MIN_ANSWERS``, 10, answers);
* **error rate**: ``log_count/ERROR`` per page fetched at most
  ``GAZETTE_MONITOR_MAX_ERROR_RATE``;
* **validation failures**: records dropped as ``gazette/dropped/invalid/*``
  per record reaching validation at most ``GAZETTE_MONITOR_MAX_INVALID_RATE``;
* **finish reason**: one of ``GAZETTE_MONITOR_FINISH_REASONS``;
* **lists**: at most ``GAZETTE_MONITOR_MAX_EMPTY_LISTS`` (0) list or API answers
  that should hold entries held none (``gazette/list/empty``, counted by the
  spiders, each logged with its URL): a platform that changed its answers. A
  list that was empty in the last run too (``gazette/list/still_empty``, see
  :mod:`gazette.spiders.listhistory`) does not fail it again.

:class:`RecordOutcome` stores the outcome in the stats
(``gazette/monitors/passed``, ``gazette/monitors/failed``). The extension
:class:`RunSummary` then writes the run summary (pages, notices, dropped,
duplicates, errors, coverage, monitors; spider arguments, host, job id, HTTP
status counts, what was skipped, the accounting of every request, the top
errors) as JSON beside the export (``<export>.summary.json``, or
``GAZETTE_SUMMARY_PATH``), logs it and prints it (``GAZETTE_SUMMARY_PRINT``:
``auto`` prints unless ``LOG_FILE`` is set and the run passed: under cron,
nothing on stdout unless it failed). A crawl refused before it starts
(:mod:`gazette.commands.crawl`) writes a failing summary with
:func:`write_failed_summary`. :mod:`gazette.commands.crawl` turns a failed
monitor into the exit status ``GAZETTE_MONITOR_EXIT_CODE`` (3) of ``scrapy crawl``.
"""

from __future__ import annotations

import json
import logging
import os
import socket
import sys
import warnings
from collections import Counter
from datetime import datetime, timezone
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

from itemadapter import ItemAdapter
from scrapy import signals
from scrapy.exceptions import NotConfigured, ScrapyDeprecationWarning
from spidermon import Monitor, MonitorSuite, monitors
from spidermon.core.actions import Action

from gazette.items import FIELDS

logger = logging.getLogger(__name__)

# spidermon 1.27 logs through Spider.log(), deprecated in Scrapy 2.13+: harmless
warnings.filterwarnings(
    "ignore", r"Spider\.log\(\) is deprecated", ScrapyDeprecationWarning, r"spidermon\."
)

#: fields whose coverage is reported in the summary (the demo's list)
SUMMARY_FIELDS = tuple(f for f in FIELDS if f not in ("id", "url", "site", "spider", "fetched_at"))
DEFAULT_COVERAGE = {"doc_number": 0.3, "issuer": 0.6, "date": 0.6, "body": 0.95}
EXIT_CODE = 3
#: counted by the spiders (gazette.spiders.base.EMPTY_LIST_STAT)
EMPTY_LISTS = "gazette/list/empty"
#: empty in the last run too (gazette.spiders.listhistory): logged, not failed
STILL_EMPTY_LISTS = "gazette/list/still_empty"
_OUTCOME = "_gazette_monitor_outcome"
#: good runs kept in the state's coverage history
HISTORY_RUNS = 20
HISTORY_KEY = "coverage_history"
#: stats of entries the crawl found but did not need to fetch (known or out of range)
KNOWN_ENTRIES = (
    "gazette/skipped/seen_detail",
    "gazette/details_before_since",
    "gazette/details_over_limit",
)


# -- numbers from the stats ------------------------------------------------------
def _int(stats: dict[str, Any], key: str) -> int:
    value = stats.get(key, 0)
    return int(value) if isinstance(value, (int, float)) else 0


def _prefix_total(stats: dict[str, Any], prefix: str) -> int:
    return sum(
        int(v) for k, v in stats.items() if k.startswith(prefix) and isinstance(v, (int, float))
    )


def notices(stats: dict[str, Any]) -> int:
    """Notices exported: ``item_scraped_count`` less the lines a failed export
    never wrote (``gazette/export/lines_not_written``)."""
    return max(
        0, _int(stats, "item_scraped_count") - _int(stats, "gazette/export/lines_not_written")
    )


def entries(stats: dict[str, Any]) -> dict[str, int]:
    """What the lists showed: list pages parsed, entries (detail links) found, and
    how many of those the crawl already knew or left out on purpose.

    >>> entries({"gazette/lists/parsed": 3, "gazette/entries/found": 20,
    ...          "gazette/skipped/seen_detail": 18, "gazette/details_before_since": 2})
    {'list_pages': 3, 'found': 20, 'known': 20, 'empty_lists': 0, 'still_empty_lists': 0}
    """
    return {
        "list_pages": _int(stats, "gazette/lists/parsed"),
        "found": _int(stats, "gazette/entries/found"),
        "known": sum(_int(stats, k) for k in KNOWN_ENTRIES) + duplicates(stats),
        "empty_lists": _int(stats, EMPTY_LISTS),
        "still_empty_lists": _int(stats, STILL_EMPTY_LISTS),
    }


def http_statuses(stats: dict[str, Any]) -> dict[str, int]:
    """HTTP status counts of every answer (``downloader/response_status_count/*``)."""
    prefix = "downloader/response_status_count/"
    return {
        k[len(prefix) :]: int(v)
        for k, v in sorted(stats.items())
        if k.startswith(prefix) and isinstance(v, (int, float))
    }


def http_error_rate(stats: dict[str, Any]) -> tuple[int, int]:
    """(4xx/5xx answers, answers), ``robots.txt`` answers left out."""
    answers = bad = 0
    for status, n in http_statuses(stats).items():
        robots = _int(stats, f"robotstxt/response_status_count/{status}")
        n = max(0, n - robots)
        answers += n
        if status[:1] in ("4", "5"):
            bad += n
    return bad, answers


def skipped(stats: dict[str, Any]) -> dict[str, int]:
    """Requests and entries left out, by reason (seen, before ``since``, over a limit…)."""
    out = {
        k.split("/", 2)[2]: int(v)
        for k, v in stats.items()
        if k.startswith("gazette/skipped/") and isinstance(v, (int, float))
    }
    for key, name in (
        ("gazette/details_before_since", "before_since"),
        ("gazette/details_over_limit", "over_max_notices"),
        ("gazette/list_pages_over_limit", "over_max_pages"),
        ("gazette/lists_stopped_by_since", "lists_stopped_by_since"),
    ):
        if _int(stats, key):
            out[name] = _int(stats, key)
    return dict(sorted(out.items()))


def requests_accounted(stats: dict[str, Any]) -> dict[str, Any]:
    """Every request that reached the downloader, and how it ended
    (:class:`gazette.crawl.middlewares.RequestAccountingMiddleware`): pages parsed +
    redirects + failures by reason (+ unfinished at close) = requests made.

    A 2xx answer that never reached the spider was dropped after download by
    the decompression limit (a bomb, any encoding) or the size limit: ``bomb``.

    >>> r = requests_accounted({"gazette/requests/made": 7, "gazette/requests/wire_2xx": 4,
    ...     "gazette/requests/page": 3, "gazette/requests/timeout": 2,
    ...     "gazette/requests/http_status": 1})
    >>> r["pages"], r["failed"], r["balanced"]
    (3, {'bomb': 1, 'http_status': 1, 'timeout': 2}, True)
    """
    made = _int(stats, "gazette/requests/made")
    pages = _int(stats, "gazette/requests/page")
    failed = {
        reason: _int(stats, f"gazette/requests/{reason}")
        for reason in REQUEST_FAILURES
        if _int(stats, f"gazette/requests/{reason}")
    }
    bomb = max(0, _int(stats, "gazette/requests/wire_2xx") - pages)
    if bomb:
        failed["bomb"] = bomb
    failed = dict(sorted(failed.items()))
    redirected = _int(stats, "gazette/requests/redirected")
    unfinished = _int(stats, "gazette/requests/unfinished")
    total = pages + redirected + unfinished + sum(failed.values())
    not_sent = {
        reason: _int(stats, key)
        for reason, key in (
            ("robots", "robotstxt/forbidden"),
            ("offsite", "gazette/faults/offsite"),
            ("seen", "gazette/skipped/seen_detail"),
        )
        if _int(stats, key)
    }
    return {
        "made": made,
        "pages": pages,
        "redirected": redirected,
        "failed": failed,
        "unfinished": unfinished,
        "balanced": total == made,
        # requests the crawl refused to send (never made): robots.txt, off-site, known pages
        "not_sent": not_sent,
    }


#: failure reasons of a request (besides ``bomb``, derived)
REQUEST_FAILURES = (
    "http_status",
    "timeout",
    "too_large",
    "refused",
    "connection",
    "other",
)


def duplicates(stats: dict[str, Any]) -> int:
    return _prefix_total(stats, "gazette/duplicates/")


def invalid(stats: dict[str, Any]) -> int:
    return _prefix_total(stats, "gazette/dropped/invalid/")


def coverage_thresholds(settings: Any, spider_name: str) -> dict[str, float]:
    """The coverage thresholds for ``spider_name`` (global, then per spider)."""
    rules = dict(DEFAULT_COVERAGE)
    rules.update({k: float(v) for k, v in settings.getdict("GAZETTE_MONITOR_COVERAGE").items()})
    by_spider = settings.getdict("GAZETTE_MONITOR_COVERAGE_BY_SPIDER").get(spider_name) or {}
    rules.update({k: float(v) for k, v in dict(by_spider).items()})
    return {k: v for k, v in rules.items() if v > 0}


def summarize(stats: dict[str, Any]) -> dict[str, Any]:
    """Pages, notices, dropped, duplicates, errors and coverage of one crawl,
    with the same keys (and words) as :func:`gazette.demo.summarize`."""
    count = notices(stats)
    coverage = {
        field: (_int(stats, f"gazette/coverage/{field}"), count) for field in SUMMARY_FIELDS
    }
    return {
        "pages": _int(stats, "response_received_count"),
        "notices": count,
        "dropped": _int(stats, "item_dropped_count") + _int(stats, "gazette/non_notices_skipped"),
        "dropped_reasons": {
            k.split("/", 1)[1]: int(v)
            for k, v in stats.items()
            if k.startswith("item_dropped_reasons_count/") and isinstance(v, (int, float))
        },
        "duplicates": duplicates(stats),
        "errors": _int(stats, "log_count/ERROR"),
        "coverage": coverage,
        "lists": entries(stats),
        "http_status": http_statuses(stats),
        "skipped": skipped(stats),
        "requests": requests_accounted(stats),
        "export_failed": bool(_int(stats, "gazette/export/failed")),
    }


# -- the site's own history (kept in the state) ------------------------------------
def _state(crawler: Any) -> Any:
    """The crawler's open state, or None (never opens one)."""
    from gazette.state import get_recorder

    recorder = get_recorder(crawler)
    if recorder is None or recorder.closed:
        return None
    return recorder.state


def read_history(state: Any) -> list[dict[str, Any]]:
    """The good runs recorded in ``state`` (oldest first), [] when none or unreadable."""
    if state is None:
        return []
    try:
        raw = state.get_meta(HISTORY_KEY)
        runs = json.loads(raw) if raw else []
    except Exception:  # noqa: BLE001 - a history is a help, never a reason to fail
        return []
    return [r for r in runs if isinstance(r, dict)] if isinstance(runs, list) else []


def usual_coverage(history: list[dict[str, Any]], minimum: int) -> dict[str, float]:
    """Each field's share over the recent good runs, once they hold ``minimum`` notices.

    >>> usual_coverage([{"notices": 8, "fields": {"date": 8}},
    ...                 {"notices": 4, "fields": {"date": 2}}], 10)
    {'date': 0.8333333333333334}
    >>> usual_coverage([{"notices": 4, "fields": {"date": 2}}], 10)
    {}
    """
    total = sum(int(r.get("notices") or 0) for r in history)
    if total < max(1, minimum):
        return {}
    fields: Counter[str] = Counter()
    for r in history:
        fields.update({k: int(v) for k, v in (r.get("fields") or {}).items()})
    return {k: v / total for k, v in sorted(fields.items())}


def low_coverage(
    stats: dict[str, Any], rules: dict[str, float], usual: dict[str, float], drop: float
) -> list[str]:
    """The fields below their threshold, or more than ``drop`` below the site's usual share.

    >>> stats = {"item_scraped_count": 20, "gazette/coverage/date": 4,
    ...          "gazette/coverage/doc_number": 19, "gazette/coverage/topic": 2}
    >>> low_coverage(stats, {"date": 0.6, "doc_number": 0.3}, {"topic": 0.9, "doc_number": 1.0}, 0.25)
    ['date 20% < 60%', 'topic 10%, usually 90%']
    >>> low_coverage(stats, {"date": 0.1}, {"date": 0.3}, 0.25)   # 20% is within 25 points
    []
    """
    count = notices(stats)
    low = []
    for field in sorted(set(rules) | set(usual)):
        share = _int(stats, f"gazette/coverage/{field}") / max(count, 1)
        minimum = rules.get(field, 0.0)
        if field in rules and share + 1e-9 < minimum:
            low.append(f"{field} {share:.0%} < {minimum:.0%}")
        elif drop > 0 and field in usual and share + 1e-9 < usual[field] - drop:
            low.append(f"{field} {share:.0%}, usually {usual[field]:.0%}")
    return low


def record_history(crawler: Any, stats: dict[str, Any]) -> None:
    """Add this (good) run's notices and field counts to the state's history."""
    state = _state(crawler)
    count = notices(stats)
    if state is None or count == 0:
        return
    history = read_history(state)
    history.append(
        {
            "at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
            "notices": count,
            "entries": _int(stats, "gazette/entries/found"),
            "fields": {f: _int(stats, f"gazette/coverage/{f}") for f in SUMMARY_FIELDS},
        }
    )
    try:
        state.set_meta(HISTORY_KEY, json.dumps(history[-HISTORY_RUNS:]))
    except Exception as exc:  # noqa: BLE001
        logger.warning("could not record the coverage history: %s", exc)


def format_summary(summary: dict[str, Any], output: Any) -> str:
    """The demo's summary lines, then the monitors' verdict."""
    try:
        from gazette.demo import format_summary as demo_format

        text = demo_format(summary, output)
    except Exception:  # noqa: BLE001 - the demo's printer changed: fall back to ours
        text = "\n".join(
            [f"export      {output}"]
            + [
                f"{k:<11} {summary[k]}"
                for k in ("pages", "notices", "dropped", "duplicates", "errors")
            ]
        )
    mon = summary.get("monitors") or {}
    if mon:
        verdict = "OK" if mon.get("ok") else "FAILED"
        lines = [
            f"monitors    {verdict} ({mon.get('passed', 0)} passed, {len(mon.get('failed', []))} failed)"
        ]
        for failure in mon.get("failed", []):
            lines.append(f"  FAILED {failure['monitor']}: {failure['error']}")
        text += "\n" + "\n".join(lines)
    return text


# -- monitors ------------------------------------------------------------------
class _GazetteMonitor(Monitor):
    __test__ = False  # a spidermon monitor, not a test of this repository

    @property
    def stats(self) -> dict[str, Any]:
        return dict(self.data.stats)

    @property
    def settings(self) -> Any:
        return self.data.crawler.settings

    @property
    def spider_name(self) -> str:
        return str(getattr(self.data.spider, "name", "") or "")

    def check(self, ok: bool, message: str) -> None:
        if not ok:
            self.fail(message)


@monitors.name("notices")
class NoticesMonitor(_GazetteMonitor):
    """At least GAZETTE_MONITOR_MIN_ITEMS notices were exported, or the night was
    quiet: the lists held entries, and the crawl already knew them."""

    @monitors.name("notices exported")
    def test_notices_exported(self) -> None:
        minimum = self.settings.getint("GAZETTE_MONITOR_MIN_ITEMS", 1)
        count = notices(self.stats)
        if count >= minimum:
            return
        seen = entries(self.stats)
        if seen["found"] > 0 and seen["known"] > 0:
            return  # a quiet night: entries listed, all known (or out of range)
        pages = _int(self.stats, "response_received_count")
        if seen["found"] == 0:
            why = f"no entries found on {seen['list_pages']} list pages"
        else:
            why = f"{seen['found']} entries found, none exported nor known"
        self.check(
            False,
            f"{count} notices exported, expected at least {minimum}: {why} ({pages} pages fetched)",
        )


@monitors.name("coverage")
class CoverageMonitor(_GazetteMonitor):
    """Over enough notices, each monitored field is filled in at least its share of
    the exported notices, and not far below the site's usual share."""

    @monitors.name("field coverage")
    def test_field_coverage(self) -> None:
        count = notices(self.stats)
        least = self.settings.getint("GAZETTE_MONITOR_COVERAGE_MIN_NOTICES", 10)
        if count == 0 or count < least:
            self.skipTest(f"{count} notices: coverage is judged over at least {least}")
        rules = coverage_thresholds(self.settings, self.spider_name)
        usual = usual_coverage(read_history(_state(self.data.crawler)), least)
        drop = self.settings.getfloat("GAZETTE_MONITOR_COVERAGE_MAX_DROP", 0.25)
        low = low_coverage(self.stats, rules, usual, drop)
        self.check(not low, f"low coverage over {count} notices: " + ", ".join(low))


@monitors.name("export")
class ExportMonitor(_GazetteMonitor):
    """Every notice's line reached the export (see gazette.crawl.exporters)."""

    @monitors.name("export written")
    def test_export_written(self) -> None:
        lost = _int(self.stats, "gazette/export/lines_not_written")
        self.check(
            not _int(self.stats, "gazette/export/failed"),
            f"the export could not be written: {lost} notices left pending for the next run "
            "(the log names the file)",
        )


@monitors.name("http")
class HttpStatusMonitor(_GazetteMonitor):
    """4xx/5xx answers per answer stay under GAZETTE_MONITOR_MAX_HTTP_ERROR_RATE."""

    @monitors.name("http error rate")
    def test_http_error_rate(self) -> None:
        bad, answers = http_error_rate(self.stats)
        least = self.settings.getint("GAZETTE_MONITOR_HTTP_MIN_ANSWERS", 10)
        if answers < least:
            self.skipTest(f"{answers} answers: the HTTP error rate is judged over at least {least}")
        limit = self.settings.getfloat("GAZETTE_MONITOR_MAX_HTTP_ERROR_RATE", 0.5)
        rate = bad / max(answers, 1)
        statuses = ", ".join(
            f"{k}: {v}" for k, v in http_statuses(self.stats).items() if k[:1] in "45"
        )
        self.check(
            rate <= limit,
            f"{bad} of {answers} answers were HTTP errors ({statuses}; {rate:.0%} > {limit:.0%})",
        )


@monitors.name("errors")
class ErrorRateMonitor(_GazetteMonitor):
    """ERROR log lines per page fetched stay under GAZETTE_MONITOR_MAX_ERROR_RATE."""

    @monitors.name("error rate")
    def test_error_rate(self) -> None:
        errors = _int(self.stats, "log_count/ERROR")
        pages = _int(self.stats, "response_received_count")
        limit = self.settings.getfloat("GAZETTE_MONITOR_MAX_ERROR_RATE", 0.1)
        rate = errors / max(pages, 1)
        self.check(rate <= limit, f"{errors} errors over {pages} pages ({rate:.1%} > {limit:.1%})")


@monitors.name("validation")
class ValidationMonitor(_GazetteMonitor):
    """Records failing validation stay under GAZETTE_MONITOR_MAX_INVALID_RATE."""

    @monitors.name("validation failure rate")
    def test_validation_failure_rate(self) -> None:
        bad = invalid(self.stats)
        total = bad + notices(self.stats) + duplicates(self.stats)
        limit = self.settings.getfloat("GAZETTE_MONITOR_MAX_INVALID_RATE", 0.2)
        rate = bad / max(total, 1)
        self.check(rate <= limit, f"{bad} of {total} records invalid ({rate:.1%} > {limit:.1%})")


@monitors.name("finish")
class FinishReasonMonitor(_GazetteMonitor):
    """The crawl ended for one of GAZETTE_MONITOR_FINISH_REASONS."""

    @monitors.name("finish reason")
    def test_finish_reason(self) -> None:
        allowed = self.settings.getlist("GAZETTE_MONITOR_FINISH_REASONS") or ["finished"]
        reason = self.stats.get("finish_reason")
        self.check(reason in allowed, f"finish reason {reason!r} not in {allowed}")


@monitors.name("lists")
class EmptyListsMonitor(_GazetteMonitor):
    """No list or API answer that should hold entries came back without any."""

    @monitors.name("empty list answers")
    def test_empty_list_answers(self) -> None:
        empty = _int(self.stats, EMPTY_LISTS)
        limit = self.settings.getint("GAZETTE_MONITOR_MAX_EMPTY_LISTS", 0)
        self.check(
            empty <= limit,
            f"{empty} list/API answers held no entries ({EMPTY_LISTS}; the log names the URLs)",
        )


class RecordOutcome(Action):
    """Store the monitors' verdict on the crawler and in its stats."""

    def run_action(self) -> None:
        crawler = self.data.crawler
        passed = [r.item.name for r in self.result.monitors_passed_results]
        failed = []
        for r in self.result.monitors_failed_results:
            error = str(r.error or "").strip().splitlines()
            message = error[-1] if error else str(r.status)
            if message.startswith("AssertionError: "):
                message = message[len("AssertionError: ") :]
            failed.append({"monitor": r.item.name, "error": message})
        outcome = getattr(crawler, _OUTCOME, None) or {"passed": 0, "failed": []}
        outcome["passed"] += len(passed)
        outcome["failed"] += failed
        outcome["ok"] = not outcome["failed"]
        setattr(crawler, _OUTCOME, outcome)
        crawler.stats.set_value("gazette/monitors/passed", outcome["passed"])
        crawler.stats.set_value("gazette/monitors/failed", len(outcome["failed"]))


class CrawlMonitorSuite(MonitorSuite):
    """gazette's spider-close checks (see module doc)."""

    monitors = [
        NoticesMonitor,
        CoverageMonitor,
        ErrorRateMonitor,
        ValidationMonitor,
        FinishReasonMonitor,
        EmptyListsMonitor,
        ExportMonitor,
        HttpStatusMonitor,
    ]
    monitors_finished_actions = [RecordOutcome]


def monitors_failed(crawler: Any) -> bool:
    """True when a spidermon monitor of this crawler failed."""
    outcome = getattr(crawler, _OUTCOME, None)
    if outcome is not None:
        return not outcome.get("ok", True)
    stats = getattr(crawler, "stats", None)
    return bool(stats is not None and stats.get_value("gazette/monitors/failed"))


# -- the run summary -----------------------------------------------------------
def local_path(uri: str) -> Path | None:
    """The file behind a feed URI, or None when it is not a local file.

    >>> str(local_path("file:///tmp/x%20y.jl")), str(local_path("out/a.jsonl")), local_path("s3://b/k")
    ('/tmp/x y.jl', 'out/a.jsonl', None)
    """
    parts = urlsplit(uri)
    if parts.scheme == "file":
        return Path(unquote(parts.path))
    if len(parts.scheme) <= 1:  # no scheme, or a Windows drive letter
        return Path(uri)
    return None


def summary_path(export: Path) -> Path:
    """``data/x.jsonl`` → ``data/x.summary.json``."""
    return export.with_name(export.stem + ".summary.json")


class _ErrorLog(logging.Handler):
    """Counts the crawl's ERROR log lines by their first line (for "top errors")."""

    def __init__(self) -> None:
        super().__init__(level=logging.ERROR)
        self.counts: Counter[str] = Counter()

    def emit(self, record: logging.LogRecord) -> None:
        try:
            text = record.getMessage().strip().splitlines()
        except Exception:  # noqa: BLE001 - a broken log call
            return
        if text and not text[0].startswith("run summary of "):
            self.counts[text[0][:300]] += 1


def run_identity(crawler: Any = None, args: dict[str, Any] | None = None) -> dict[str, Any]:
    """Spider arguments, host, job id (scrapyd's ``_job`` / ``SCRAPY_JOB``) and contact."""
    spider = getattr(crawler, "spider", None) if crawler is not None else None
    arguments = dict(args if args is not None else getattr(spider, "arguments", None) or {})
    job = arguments.pop("_job", None) or os.environ.get("SCRAPY_JOB") or None
    out = {"arguments": arguments, "host": socket.gethostname(), "job": job}
    settings = getattr(crawler, "settings", None)
    if settings is not None:  # who ran it (the User-Agent's contact)
        out["contact"] = settings.get("GAZETTE_CONTACT")
    return out


def print_summary(settings: Any, failed: bool) -> bool:
    """``GAZETTE_SUMMARY_PRINT``: on, off, or ``auto`` (default): print unless
    ``LOG_FILE`` is set and the run passed (cron mails stdout only when it failed).

    >>> from scrapy.settings import Settings
    >>> print_summary(Settings({"LOG_FILE": "x.log"}), False), print_summary(Settings({"LOG_FILE": "x.log"}), True)
    (False, True)
    >>> print_summary(Settings({}), False), print_summary(Settings({"GAZETTE_SUMMARY_PRINT": "0"}), True)
    (True, False)
    """
    value = str(settings.get("GAZETTE_SUMMARY_PRINT", "auto")).strip().lower()
    if value == "auto":
        return failed or not settings.get("LOG_FILE")
    return value in ("1", "true", "yes", "on")


def summary_target(settings: Any, spider_name: str, exports: list[str]) -> Path | None:
    """``GAZETTE_SUMMARY_PATH`` (``{spider}`` filled in), else beside the first local export."""
    explicit = settings.get("GAZETTE_SUMMARY_PATH")
    if explicit:
        return Path(str(explicit).replace("{spider}", spider_name).replace("%(name)s", spider_name))
    for uri in exports:
        path = local_path(uri)
        if path is not None:
            return summary_path(path)
    return None


def _write_json(path: Path, summary: dict[str, Any]) -> bool:
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(path.name + ".part")
        tmp.write_text(
            json.dumps(summary, ensure_ascii=False, indent=2, default=str) + "\n", encoding="utf-8"
        )
        os.replace(tmp, path)
        return True
    except OSError as exc:
        logger.error("could not write the run summary to %s: %s", path, exc)
        return False


def write_failed_summary(
    settings: Any, spider_name: str, args: dict[str, Any], reason: str, message: str
) -> Path | None:
    """The verdict of a crawl refused before its first request (arguments, export
    folder, state, Redis): a failing summary where the run's summary would be.
    → its path, or None when it could not be written."""
    from gazette.commands.crawl import feed_paths

    now = datetime.now(timezone.utc)
    target = summary_target(settings, spider_name, feed_paths(settings, spider_name, now))
    summary: dict[str, Any] = {
        "spider": spider_name,
        "finish_reason": "failed_to_start",
        "failed_before_start": {"reason": reason, "message": message},
        **run_identity(None, args),
        "pages": 0,
        "notices": 0,
        "errors": 1,
        "monitors": {
            "passed": 0,
            "failed": [{"monitor": f"start/{reason}", "error": message}],
            "ok": False,
        },
        "started": now.isoformat(timespec="seconds"),
        "finished": now.isoformat(timespec="seconds"),
        "elapsed_seconds": 0.0,
        "exports": [],
    }
    if target is None or not _write_json(target, summary):
        return None
    return target


class RunSummary:
    """Extension: count field coverage per exported item; at close write,
    log and print the run summary, monitors' verdict included; record a good
    run's coverage in the state's history (:func:`record_history`).

    Settings: ``GAZETTE_SUMMARY`` (on), ``GAZETTE_SUMMARY_PATH`` (explicit
    path, ``{spider}`` filled in; default beside the first local feed),
    ``GAZETTE_SUMMARY_PRINT`` (``auto``: see :func:`print_summary`).
    """

    def __init__(self, crawler: Any) -> None:
        if not crawler.settings.getbool("GAZETTE_SUMMARY", True):
            raise NotConfigured
        self.crawler = crawler
        self.started = datetime.now(timezone.utc)
        self.written: Path | None = None
        self.errors = _ErrorLog()
        logging.getLogger().addHandler(self.errors)
        crawler.signals.connect(self.item_scraped, signal=signals.item_scraped)
        crawler.signals.connect(self.spider_closed, signal=signals.spider_closed)

    @classmethod
    def from_crawler(cls, crawler: Any) -> RunSummary:
        return cls(crawler)

    def item_scraped(self, item: Any, response: Any = None, spider: Any = None) -> None:
        try:
            adapter = ItemAdapter(item)
        except TypeError:
            return
        stats = self.crawler.stats
        for field in SUMMARY_FIELDS:
            value = adapter.get(field)
            if value not in (None, "", [], {}):
                stats.inc_value(f"gazette/coverage/{field}")

    def exports(self) -> list[str]:
        from scrapy.extensions.feedexport import FeedExporter

        exporter = self.crawler.get_extension(FeedExporter)
        return [str(slot.uri) for slot in getattr(exporter, "slots", None) or []]

    def target(self, spider_name: str) -> Path | None:
        return summary_target(self.crawler.settings, spider_name, self.exports())

    def spider_closed(self, spider: Any, reason: str = "") -> None:
        logging.getLogger().removeHandler(self.errors)
        stats = dict(self.crawler.stats.get_stats())
        name = str(getattr(spider, "name", "") or "")
        summary: dict[str, Any] = {
            "spider": name,
            "finish_reason": stats.get("finish_reason", reason),
            **run_identity(self.crawler),
        }
        summary.update(summarize(stats))
        summary["top_errors"] = [
            {"error": text, "count": n} for text, n in self.errors.counts.most_common(5)
        ]
        outcome = getattr(self.crawler, _OUTCOME, None)
        summary["monitors"] = (
            outcome if outcome is not None else {"passed": 0, "failed": [], "ok": None}
        )
        finished = datetime.now(timezone.utc)
        summary["started"] = self.started.isoformat(timespec="seconds")
        summary["finished"] = finished.isoformat(timespec="seconds")
        summary["elapsed_seconds"] = round((finished - self.started).total_seconds(), 1)
        exports = self.exports()
        summary["exports"] = exports
        path = self.target(name)
        if path is not None and _write_json(path, summary):
            self.written = path
            self.crawler.stats.set_value("gazette/summary_path", str(path))
        failed = outcome is not None and not outcome.get("ok")
        if outcome is not None and outcome.get("ok"):
            record_history(self.crawler, stats)
        text = format_summary(summary, exports[0] if exports else "-")
        if path is not None:
            text += f"\nsummary     {path}"
        level = logging.ERROR if failed else logging.INFO
        printed = print_summary(self.crawler.settings, failed)
        if printed and not self.crawler.settings.get("LOG_FILE"):
            # the log shares the terminal with stdout: the summary once, not twice
            where = f" (and in {path})" if path is not None else ""
            logger.log(level, "run summary of %s: printed on stdout%s", name, where)
        else:
            logger.log(level, "run summary of %s:\n%s", name, text)
        if printed:
            print(text, file=sys.stdout, flush=True)
