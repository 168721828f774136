"""Stage 40: cross-source deduplication against the persistent state.

Each record passing this stage is a notice not seen in any earlier run or
earlier in this run; it gets its stable ``id`` and goes on to the export.
A copy of a known notice is counted as ``gazette/duplicates/<kind>``
(``url``, ``docno``, ``body``, ``near``) and recorded as another source of
that ``id``; it is dropped, unless it changed its notice's best record in the
dataset (:mod:`gazette.dataset.feed`): then the notice's new record (same
``id``, higher ``revision``) goes to the export, which is so a change feed.
See :mod:`gazette.dedup.rules` for the rules.

A new notice is stored *pending* in the state's run and committed before its
line can reach a file: by the gazette exporter, before each batch of lines it
writes, or here, per notice, when some feed uses another exporter (see
:mod:`gazette.state`). The export line can then never exist without the state
knowing the notice. The
drop of a copy carries ``notice_id`` (the known notice), so that the copy's
page is recorded as seen depending on it.

The body's hashes may be computed by a helper process (:mod:`gazette.dedup.hashing`,
``GAZETTE_HASHING_HELPER``); the decision and the state writes are made
here, in the order the items arrived.
"""

from __future__ import annotations

import logging
from typing import Any

from gazette.dataset.feed import ChangeFeed
from gazette.dedup.hashing import START_AFTER, HashingWorker, helper_wanted
from gazette.dedup.rules import BodyPrints, Deduplicator
from gazette.items import complete
from gazette.pipelines import as_dict, drop
from gazette.state import get_recorder, get_state

logger = logging.getLogger(__name__)


class DedupPipeline:
    """Give new notices their ``id``; drop (and record) copies of known ones."""

    def __init__(
        self,
        crawler: Any,
        dedup: Deduplicator,
        helper: bool = False,
        helper_after: int = START_AFTER,
        feed: ChangeFeed | None = None,
    ) -> None:
        self.crawler = crawler
        self.dedup = dedup
        self.state = dedup.state
        self.hashing = HashingWorker(dedup.hasher, helper_after) if helper else None
        self._helper = self.hashing  # closed at the end, even after a failure
        self.feed = feed

    @classmethod
    def from_crawler(cls, crawler: Any) -> DedupPipeline:
        settings = crawler.settings
        return cls(
            crawler,
            Deduplicator(get_state(crawler)),
            helper_wanted(settings.get("GAZETTE_HASHING_HELPER")),
            settings.getint("GAZETTE_HASHING_AFTER", START_AFTER),
            ChangeFeed.from_crawler(crawler),
        )

    def process_item(self, item: Any) -> Any:
        """The record with its ``id`` (or, with the hashing helper, a coroutine of it)."""
        record = complete(item if isinstance(item, dict) else as_dict(item))
        hashing = self.hashing
        if hashing is not None:
            if hashing.ready():
                return self._decide_later(record, hashing)
            if hashing.error is not None:
                self._helper_failed()
        return self._decide(record, None)

    def _helper_failed(self) -> None:
        self.crawler.stats.set_value("gazette/hashing/failed", 1)
        self.hashing = None  # hashed here from now on

    async def _decide_later(self, record: dict[str, Any], hashing: HashingWorker) -> Any:
        try:
            prints: BodyPrints | None = await hashing.prints(record.get("body"))
        except RuntimeError:  # the helper failed: hashed here
            prints = None
            self._helper_failed()
        else:
            self.crawler.stats.inc_value("gazette/hashing/helper")
        return self._decide(record, prints)

    async def close_spider(self) -> None:
        try:
            if self._helper is not None:
                await self._helper.close()
        finally:
            if self.feed is not None:
                self.feed.close()  # the dataset's files brought up to date

    def _decide(self, record: dict[str, Any], prints: BodyPrints | None) -> dict[str, Any]:
        verdict = self.dedup.check(record, prints)
        if verdict.duplicate and self.feed is not None:
            revised = self.feed.copy(record, verdict.id, self.state.run)
            if revised is not None:  # a better copy: its notice's new record goes out
                self.crawler.stats.inc_value(f"gazette/duplicates/{verdict.kind}")
                return revised
        if verdict.duplicate:
            exc = drop(
                self.crawler,
                f"duplicates/{verdict.kind}",
                f"copy of {verdict.id} (similarity {verdict.similarity:.2f})",
                final=True,
                item=record,
            )
            exc.notice_id = verdict.id  # type: ignore[attr-defined]
            raise exc
        # durable (pending) before any exporter can write the line
        recorder = get_recorder(self.crawler)
        if recorder is None or recorder.commit_each_notice():
            self.state.commit()
        record["id"] = verdict.id
        if self.feed is not None:
            return self.feed.new(record, self.state.run)
        return record
