"""Stage 40: cross-source deduplication against the persistent state.

Each record passing this stage is a notice not seen in any earlier run or
earlier in this run; it gets its stable ``id`` and goes on to the export.
A copy of a known notice is dropped as ``gazette/duplicates/<kind>``
(``url``, ``docno``, ``body``, ``near``) after being recorded as another source of
that ``id``. See :mod:`gazette.dedup` for the rules.

A new notice is stored *pending* in the state's run and committed before its
line can reach a file: by the gazette exporter, before each batch of lines it
writes, or here, per notice, when some feed uses another exporter (see
:mod:`gazette.state`). The export line can then never exist without the state
knowing the notice. The
drop of a copy carries ``notice_id`` (the known notice), so that the copy's
page is recorded as seen depending on it.
"""

from __future__ import annotations

import logging
from typing import Any

from gazette.dedup import Deduplicator
from gazette.items import complete
from gazette.pipelines import as_dict, drop
from gazette.state import get_recorder, get_state

logger = logging.getLogger(__name__)


class DedupPipeline:
    """Give new notices their ``id``; drop (and record) copies of known ones."""

    def __init__(self, crawler: Any, dedup: Deduplicator) -> None:
        self.crawler = crawler
        self.dedup = dedup
        self.state = dedup.state

    @classmethod
    def from_crawler(cls, crawler: Any) -> DedupPipeline:
        return cls(crawler, Deduplicator(get_state(crawler)))

    def process_item(self, item: Any) -> dict[str, Any]:
        record = complete(item if isinstance(item, dict) else as_dict(item))
        verdict = self.dedup.check(record)
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
        return record
