"""``scrapy crawl`` that exits non-zero when a monitor failed.

Scrapy's own ``crawl`` exits 1 only when the crawler failed to start
(``bootstrap_failed``); a crawl whose spidermon monitors failed exits 0, so
cron and scrapyd would report a quiet night. This command (found through
``COMMANDS_MODULE = "gazette.commands"``, which overrides the built-in command
of the same name) keeps a reference to its crawler and, once the reactor has
stopped, exits with ``GAZETTE_MONITOR_EXIT_CODE`` (default 3) when
:func:`gazette.monitors.monitors_failed` says a monitor failed. scrapyd runs
``scrapy crawl`` too (``scrapyd.runner``), so its log shows the job as
``Process died: exitstatus=3``.
"""

from __future__ import annotations

import argparse

from scrapy.commands.crawl import Command as ScrapyCrawl
from scrapy.exceptions import UsageError

from gazette.monitors import EXIT_CODE, monitors_failed


class Command(ScrapyCrawl):
    def short_desc(self) -> str:
        return "Run a spider; exit non-zero when it failed to start or a monitor failed"

    def run(self, args: list[str], opts: argparse.Namespace) -> None:
        if len(args) < 1:
            raise UsageError
        if len(args) > 1:
            raise UsageError("running 'scrapy crawl' with more than one spider is not supported")
        assert self.crawler_process
        crawler = self._create_crawler(args[0])
        self.crawler_process.crawl(crawler, **opts.spargs)
        self.crawler_process.start()
        if self.crawler_process.bootstrap_failed:
            self.exitcode = 1
        elif monitors_failed(crawler):
            self.exitcode = crawler.settings.getint("GAZETTE_MONITOR_EXIT_CODE", EXIT_CODE)
