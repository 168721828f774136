"""Robustness settings (issue 6), imported at the end of :mod:`gazette.settings`.

* :mod:`gazette.crawl.faults` middlewares count every fault as ``gazette/faults/<reason>``
  and keep requests and redirects on the spider's own hosts
  (``GAZETTE_OFFSITE_GUARD``);
* a body shorter than its ``Content-Length`` is an error (retried), never a
  page: ``DOWNLOAD_FAIL_ON_DATALOSS``;
* size and redirect limits stay bounded.

``DOWNLOADER_MIDDLEWARES`` is extended, not replaced: the entries
:mod:`gazette.settings` defined before this module is imported are kept.
"""

from __future__ import annotations

import sys
from typing import Any

_base: Any = sys.modules.get("gazette.settings")
_middlewares: dict[str, int | None] = dict(getattr(_base, "DOWNLOADER_MIDDLEWARES", None) or {})
_middlewares.update(
    {
        # network side: sees every failed attempt before the retry middleware (550),
        # 3xx before RedirectMiddleware (600), compressed bodies before HttpCompression (590)
        "gazette.crawl.faults.FaultStatsMiddleware": 610,
        # page side: decompressed, final 200 responses
        "gazette.crawl.faults.PageFaultMiddleware": 560,
        # next to the downloader: every request made and how it ended (gazette.crawl.middlewares)
        "gazette.crawl.middlewares.RequestAccountingMiddleware": 990,
    }
)
DOWNLOADER_MIDDLEWARES = _middlewares

GAZETTE_OFFSITE_GUARD = True
DOWNLOAD_FAIL_ON_DATALOSS = True
DOWNLOAD_MAXSIZE = min(int(getattr(_base, "DOWNLOAD_MAXSIZE", 16 << 20)), 16 << 20)
REDIRECT_MAX_TIMES = min(int(getattr(_base, "REDIRECT_MAX_TIMES", 10)), 10)
METAREFRESH_MAXDELAY = 10

__all__ = [
    "DOWNLOADER_MIDDLEWARES",
    "DOWNLOAD_FAIL_ON_DATALOSS",
    "DOWNLOAD_MAXSIZE",
    "GAZETTE_OFFSITE_GUARD",
    "METAREFRESH_MAXDELAY",
    "REDIRECT_MAX_TIMES",
]
