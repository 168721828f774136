"""The start-up heap is frozen out of the garbage collector for the crawl."""

from __future__ import annotations

import gc

import pytest
import scrapy
from scrapy.exceptions import NotConfigured
from scrapy.utils.test import get_crawler

from gazette.ops.memory import FreezeStartupHeap


class _Spider(scrapy.Spider):
    name = "memory"


def test_freezes_at_engine_start_and_unfreezes_at_stop():
    ext = FreezeStartupHeap.from_crawler(get_crawler(_Spider))
    try:
        ext.engine_started()
        assert gc.get_freeze_count() > 1000
        garbage = []
        garbage.append(garbage)  # new cycles are still collected while frozen
        del garbage
        assert gc.collect() >= 1
    finally:
        ext.engine_stopped()
    assert gc.get_freeze_count() == 0


def test_can_be_switched_off():
    with pytest.raises(NotConfigured):
        FreezeStartupHeap.from_crawler(get_crawler(_Spider, {"GAZETTE_GC_FREEZE": False}))


def test_is_enabled_by_the_project_settings():
    from scrapy.utils.project import get_project_settings

    assert "gazette.ops.memory.FreezeStartupHeap" in get_project_settings().getdict("EXTENSIONS")
