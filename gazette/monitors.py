"""Monitors that fail loudly, and the run summary written beside the export.

At spider close, spidermon runs :class:`CrawlMonitorSuite` (listed in
``SPIDERMON_SPIDER_CLOSE_MONITORS``, see :mod:`gazette.settings_server`):

* **notices**: at least ``GAZETTE_MONITOR_MIN_ITEMS`` notices exported;
* **coverage**: for each field of ``GAZETTE_MONITOR_COVERAGE`` (``doc_number``,
  ``issuer``, ``date``, ``body``), the share of exported notices that have it
  is at least its threshold; per spider overrides in
  ``GAZETTE_MONITOR_COVERAGE_BY_SPIDER`` (``{"site": {"doc_number": 0.2}}``) or
  in a spider's ``custom_settings``;
* **error rate**: ``log_count/ERROR`` per page fetched at most
  ``GAZETTE_MONITOR_MAX_ERROR_RATE``;
* **validation failures**: records dropped as ``gazette/dropped/invalid/*``
  per record reaching validation at most ``GAZETTE_MONITOR_MAX_INVALID_RATE``;
* **finish reason**: one of ``GAZETTE_MONITOR_FINISH_REASONS``;
* **lists**: at most ``GAZETTE_MONITOR_MAX_EMPTY_LISTS`` (0) list or API answers
  that should hold entries held none (``gazette/list/empty``, counted by the
  spiders, each logged with its URL): a platform that changed its answers.

:class:`RecordOutcome` stores the outcome in the stats
(``gazette/monitors/passed``, ``gazette/monitors/failed``). The extension
:class:`RunSummary` then writes the run summary (pages, notices, dropped,
duplicates, errors, coverage, monitors) as JSON beside the export
(``<export>.summary.json``, or ``GAZETTE_SUMMARY_PATH``), logs it and prints
it. :mod:`gazette.commands.crawl` turns a failed monitor into the exit status
``GAZETTE_MONITOR_EXIT_CODE`` (3) of ``scrapy crawl``.
"""

from __future__ import annotations

import json
import logging
import sys
import warnings
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
_OUTCOME = "_gazette_monitor_outcome"


# -- numbers from the stats ------------------------------------------------------
def _int(stats: dict[str, Any], key: str) -> int:
    value = stats.get(key, 0)
    return int(value) if isinstance(value, (int, float)) else 0


def _prefix_total(stats: dict[str, Any], prefix: str) -> int:
    return sum(
        int(v) for k, v in stats.items() if k.startswith(prefix) and isinstance(v, (int, float))
    )


def notices(stats: dict[str, Any]) -> int:
    """Notices exported: ``item_scraped_count`` (written to the feed)."""
    return _int(stats, "item_scraped_count")


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
    }


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
    """At least GAZETTE_MONITOR_MIN_ITEMS notices were exported."""

    @monitors.name("notices exported")
    def test_notices_exported(self) -> None:
        minimum = self.settings.getint("GAZETTE_MONITOR_MIN_ITEMS", 1)
        count = notices(self.stats)
        pages = _int(self.stats, "response_received_count")
        self.check(
            count >= minimum,
            f"{count} notices exported, expected at least {minimum} ({pages} pages fetched)",
        )


@monitors.name("coverage")
class CoverageMonitor(_GazetteMonitor):
    """Each monitored field is filled in at least its share of the exported notices."""

    @monitors.name("field coverage")
    def test_field_coverage(self) -> None:
        count = notices(self.stats)
        if count == 0:
            self.skipTest("no notices")
        rules = coverage_thresholds(self.settings, self.spider_name)
        low = []
        for field, minimum in sorted(rules.items()):
            share = _int(self.stats, f"gazette/coverage/{field}") / count
            if share + 1e-9 < minimum:
                low.append(f"{field} {share:.0%} < {minimum:.0%}")
        self.check(not low, f"low coverage over {count} notices: " + ", ".join(low))


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


class RunSummary:
    """Extension: count field coverage per exported item; at close write,
    log and print the run summary, monitors' verdict included.

    Settings: ``GAZETTE_SUMMARY`` (on), ``GAZETTE_SUMMARY_PATH`` (explicit
    path, ``{spider}`` filled in; default beside the first local feed),
    ``GAZETTE_SUMMARY_PRINT`` (print to stdout, on).
    """

    def __init__(self, crawler: Any) -> None:
        if not crawler.settings.getbool("GAZETTE_SUMMARY", True):
            raise NotConfigured
        self.crawler = crawler
        self.started = datetime.now(timezone.utc)
        self.written: Path | None = None
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
        explicit = self.crawler.settings.get("GAZETTE_SUMMARY_PATH")
        if explicit:
            return Path(
                str(explicit).replace("{spider}", spider_name).replace("%(name)s", spider_name)
            )
        for uri in self.exports():
            path = local_path(uri)
            if path is not None:
                return summary_path(path)
        return None

    def spider_closed(self, spider: Any, reason: str = "") -> None:
        stats = dict(self.crawler.stats.get_stats())
        name = str(getattr(spider, "name", "") or "")
        summary: dict[str, Any] = {
            "spider": name,
            "finish_reason": stats.get("finish_reason", reason),
        }
        summary.update(summarize(stats))
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
        if path is not None:
            try:
                path.parent.mkdir(parents=True, exist_ok=True)
                text = json.dumps(summary, ensure_ascii=False, indent=2, default=str)
                path.write_text(text + "\n", encoding="utf-8")
                self.written = path
                self.crawler.stats.set_value("gazette/summary_path", str(path))
            except OSError as exc:
                logger.error("could not write the run summary to %s: %s", path, exc)
        text = format_summary(summary, exports[0] if exports else "-")
        if path is not None:
            text += f"\nsummary     {path}"
        level = logging.ERROR if outcome is not None and not outcome.get("ok") else logging.INFO
        logger.log(level, "run summary of %s:\n%s", name, text)
        if self.crawler.settings.getbool("GAZETTE_SUMMARY_PRINT", True):
            print(text, file=sys.stdout, flush=True)
