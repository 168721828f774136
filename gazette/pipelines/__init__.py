"""The item pipeline chain (numbered by position in ``ITEM_PIPELINES``).

=====  ==================================================  ==========================
order  stage                                               drops (``gazette/...`` stat)
=====  ==================================================  ==========================
100    :class:`~gazette.pipelines.p10_filter.FilterPipeline`     ``dropped/placeholder``, ``dropped/not_notice``
200    :class:`~gazette.pipelines.p20_normalize.NormalizePipeline`  ``dropped/invalid/<reason>``
300    :class:`~gazette.pipelines.p30_validate.ValidatePipeline`   ``dropped/invalid/<reason>``
400    :class:`~gazette.pipelines.p40_dedup.DedupPipeline`       ``duplicates/{url,docno,body,near}``
=====  ==================================================  ==========================

Items that pass every stage are written by Scrapy's feed exports
(``FEEDS``, see :mod:`gazette.crawl.exporters`) and counted as ``gazette/exported``.
"""

from __future__ import annotations

import logging
from typing import Any

from itemadapter import ItemAdapter
from scrapy import Item
from scrapy.exceptions import DropItem

__all__ = ["GazetteDrop", "as_dict", "drop"]

logger = logging.getLogger("gazette.pipelines")


class GazetteDrop(DropItem):
    """A counted drop. ``final`` drops mark the detail page as processed."""

    def __init__(self, message: str, stat: str, final: bool, log_level: str | None = None):
        super().__init__(message, log_level=log_level)
        self.stat = stat
        self.final = final


def as_dict(item: Any) -> dict[str, Any]:
    """Any item (Notice, dict, dataclass...) as a plain dict."""
    if isinstance(item, dict | Item):  # the common case: a shallow copy is enough
        return dict(item)
    return ItemAdapter(item).asdict()


def drop(
    crawler: Any,
    stat: str,
    message: str,
    *,
    final: bool,
    item: Any = None,
    level: int = logging.DEBUG,
) -> GazetteDrop:
    """Count ``gazette/<stat>``, log one line, and return the exception to raise."""
    if crawler is not None and getattr(crawler, "stats", None) is not None:
        crawler.stats.inc_value(f"gazette/{stat}")
    url = None
    if item is not None:
        try:
            url = ItemAdapter(item).get("url")
        except TypeError:
            url = None
    logger.log(level, "gazette drop %s: %s <%s>", stat, message, url)
    # Scrapy logs DropItem itself (with the whole item); keep that line quiet
    # for expected drops and visible for invalid ones.
    log_level = "WARNING" if level >= logging.WARNING else "DEBUG"
    return GazetteDrop(f"{stat}: {message}", stat, final, log_level=log_level)
