"""Settings for running gazette on servers: monitors, run summary, progress,
the non-zero exit, and the Redis switch. Imported at the end of
:mod:`gazette.settings`; every value can be overridden there, with ``-s`` or in
a spider's ``custom_settings``. See docs/operations.md, "Run it on a server".
"""

from __future__ import annotations

import os as _os
import sys as _sys

_base = _sys.modules.get("gazette.settings")

# -- from the environment (/etc/gazette/gazette.env on a server) -------------------
# who runs the crawl, for the User-Agent: GAZETTE_CONTACT=mailto:ops@example.org
GAZETTE_CONTACT = _os.environ.get("GAZETTE_CONTACT") or getattr(
    _base, "GAZETTE_CONTACT", "https://github.com/gazette-project/gazette"
)

# -- `scrapy crawl` exits GAZETTE_MONITOR_EXIT_CODE when a monitor failed --------
COMMANDS_MODULE = "gazette.commands"
GAZETTE_MONITOR_EXIT_CODE = 3

# -- extensions: spidermon, the run summary (after spidermon), progress lines -----
EXTENSIONS = {
    **dict(getattr(_base, "EXTENSIONS", None) or {}),
    "spidermon.contrib.scrapy.extensions.Spidermon": 500,
    "gazette.ops.monitors.RunSummary": 510,
    "gazette.ops.progress.Progress": 520,
    "gazette.ops.memory.FreezeStartupHeap": 900,
}
GAZETTE_GC_FREEZE = True  # keep the collector off the start-up heap (gazette.ops.memory)

# -- distributed mode: set GAZETTE_REDIS_URL (redis://host:6379/0) ----------------
ADDONS = {
    **dict(getattr(_base, "ADDONS", None) or {}),
    "gazette.ops.distributed.RedisAddon": 0,
}
GAZETTE_REDIS_URL = _os.environ.get("GAZETTE_REDIS_URL") or None
GAZETTE_REDIS_STATE_KEY = "gazette:{spider}:state"
GAZETTE_REDIS_HEARTBEAT = 2.0  # seconds between worker heartbeats
GAZETTE_REDIS_WORKER_TIMEOUT = 30.0  # a worker silent this long is gone
GAZETTE_REDIS_MAX_IDLE_WAIT = 0.0  # 0: an idle worker waits while others are busy

# -- monitors (spidermon, at spider close) ----------------------------------------
SPIDERMON_ENABLED = True
SPIDERMON_SPIDER_CLOSE_MONITORS = ["gazette.ops.monitors.CrawlMonitorSuite"]
GAZETTE_MONITOR_MIN_ITEMS = 1  # ... unless the lists held entries the crawl knew (quiet)
#: coverage is judged over at least this many notices (fewer: not judged)
GAZETTE_MONITOR_COVERAGE_MIN_NOTICES = 10
#: a field's share may fall this far below the site's usual share (state history)
GAZETTE_MONITOR_COVERAGE_MAX_DROP = 0.25
#: 4xx/5xx answers per answer (robots.txt not counted)
GAZETTE_MONITOR_MAX_HTTP_ERROR_RATE = 0.5
GAZETTE_MONITOR_HTTP_MIN_ANSWERS = 10  # ... judged over at least this many answers
#: share of exported notices that must have each field
GAZETTE_MONITOR_COVERAGE = {"doc_number": 0.3, "issuer": 0.6, "date": 0.6, "body": 0.95}
#: per spider overrides of GAZETTE_MONITOR_COVERAGE
GAZETTE_MONITOR_COVERAGE_BY_SPIDER = {
    "gov_cn": {"doc_number": 0.6, "issuer": 0.8, "date": 0.8},
    "gd_gkmlpt": {"doc_number": 0.5, "issuer": 0.8, "date": 0.8},
    "pingtan": {"doc_number": 0.3, "issuer": 0.6, "date": 0.6},
    "site": {"doc_number": 0.2, "issuer": 0.4, "date": 0.4},
    "urls": {"doc_number": 0.0, "issuer": 0.0, "date": 0.0, "body": 0.8},
}
GAZETTE_MONITOR_MAX_ERROR_RATE = 0.05  # ERROR log lines per page
GAZETTE_MONITOR_MAX_INVALID_RATE = 0.2  # invalid records per record validated
GAZETTE_MONITOR_FINISH_REASONS = [
    "finished",
    "closespider_itemcount",
    "closespider_pagecount",
    "closespider_timeout",
]

# -- run summary and progress -----------------------------------------------------
GAZETTE_SUMMARY = True
GAZETTE_SUMMARY_PATH = None  # default: <export>.summary.json beside the first local feed
# auto: print unless LOG_FILE is set and the run passed (cron mails only failures)
GAZETTE_SUMMARY_PRINT = "auto"
GAZETTE_EXPORT_FSYNC = True  # fsync each written batch before its notices count as exported
GAZETTE_PROGRESS_INTERVAL = 60.0

del _base, _os, _sys

__all__ = [_name for _name in dir() if _name.isupper()]
