"""A request dupefilter that keeps nothing in ``JOBDIR``.

Scrapy's :class:`~scrapy.dupefilters.RFPDupeFilter` appends every scheduled
request's fingerprint to ``JOBDIR/requests.seen`` at once, while the
scheduler's disk queue records which requests are still to do only at a
clean close. After a SIGKILL, a resumed crawl therefore holds as seen the
requests that were scheduled but never done, and filters them (the start
page first): whatever was not yet fetched is lost.

:class:`RunDupeFilter` filters duplicate requests within a run only. Across
runs, the crawl state already skips detail pages that were fully processed
(:class:`gazette.crawl.middlewares.SkipSeenDetailMiddleware`), and list pages are
meant to be fetched again on every run. With ``JOBDIR`` a resumed run
fetches its start and list pages again and the state skips the known
details; a request restored from the disk queue (after a clean stop) may be
scheduled a second time, the state then skips it once processed.

``DUPEFILTER_CLASS = "gazette.crawl.dupefilter.RunDupeFilter"`` (``gazette.settings``);
:class:`gazette.ops.distributed.RedisAddon` replaces it with scrapy-redis's in
Redis mode.
"""

from __future__ import annotations

from typing import Any

from scrapy.dupefilters import RFPDupeFilter


class RunDupeFilter(RFPDupeFilter):
    """:class:`~scrapy.dupefilters.RFPDupeFilter` that never reads nor writes
    ``JOBDIR/requests.seen`` (fingerprints in memory, for one run)."""

    @classmethod
    def from_crawler(cls, crawler: Any) -> RunDupeFilter:
        return cls(
            None,
            crawler.settings.getbool("DUPEFILTER_DEBUG"),
            fingerprinter=crawler.request_fingerprinter,
        )
