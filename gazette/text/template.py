"""A site's template, learnt by repetition: lines that recur on many pages of one
site are its chrome (navigation, bylines, widgets, footers), whatever their words.

A single page cannot tell its template from its text; a crawl can. Every page
of a site teaches :class:`SiteTemplate` which short lines it printed; once
``MIN_PAGES`` pages of the site have been seen, a line printed on at least
``SHARE`` of them is template and is dropped before the page is analysed,
unless it has the shape of a document's structural line (a title, 文号, 主送,
heading, signature or date line, or a sentence): those recur across one
office's notices and stay.

Bounded: at most ``MAX_KEYS`` distinct lines are counted per site (lines seen
once are pruned first) and ``MAX_SITES`` sites are kept.

>>> t = SiteTemplate()
>>> chrome = ["首页", "政务公开", "本文来源：某市政府网", "视力保护色："]
>>> for i in range(SiteTemplate.MIN_PAGES):
...     t.learn(chrome + [f"关于第{i}项工作的通知", "各区人民政府：", "某市人民政府"])
>>> sorted(k for k in t.recurring() if eligible(k))
['政务公开', '本文来源:某市政府网', '视力保护色:', '首页']
"""

from __future__ import annotations

import re
from collections import Counter, OrderedDict
from collections.abc import Iterable
from functools import lru_cache
from typing import Any

from gazette.text import classify, issuers
from gazette.text.content import is_date_line, is_recipient
from gazette.text.docno import is_docno_line
from gazette.text.normalize import squeeze

#: longest line counted (template lines are short; text lines are not counted at all)
MAX_LEN = 60
#: a heading of the document's own structure: 一、 （一） 1. 第一条 附件
_STRUCTURE = re.compile(
    r"^(?:[一二三四五六七八九十百]+、|[（(][一二三四五六七八九十]+[）)]|\d{1,3}[.、．]|"
    r"第[一二三四五六七八九十百零\d]+[章条节款]|附件)"
)
_SENTENCE = re.compile(r"[。！？；!?;]")


def eligible(key: str) -> bool:
    """May this line (its normalised view) be dropped as template when it recurs?

    >>> eligible("视力保护色："), eligible("各区人民政府，市政府各部门："), eligible("一、总体要求")
    (True, False, False)
    >>> eligible("某市人民政府办公厅"), eligible("2024年3月6日"), eligible("请认真贯彻执行。")
    (False, False, False)
    """
    if not key or len(key) > MAX_LEN or _SENTENCE.search(key):
        return False
    return not (
        _STRUCTURE.match(key)
        or is_recipient(key)
        or issuers.is_office_line(key)
        or is_date_line(key)
        or is_docno_line(key)
        or classify.genre_of(key)
    )


#: the same few template lines come back on every page of a site: judge each once
_eligible = lru_cache(maxsize=4096)(eligible)


class SiteTemplate:
    """The line-frequency table of one site."""

    MIN_PAGES = 20
    SHARE = 0.5
    MAX_KEYS = 5_000

    def __init__(self) -> None:
        self.pages = 0
        self.counts: Counter[str] = Counter()
        self.dropped = 0  # template lines dropped from pages so far (this process)

    def learn(self, keys: Iterable[str]) -> None:
        """One page's lines (normalised views): each distinct short line counts once."""
        self._learn({squeeze(k) for k in keys if k and len(k) <= MAX_LEN})

    def _learn(self, seen: set[str]) -> None:
        self.pages += 1
        self.counts.update(seen)
        if len(self.counts) > self.MAX_KEYS:
            # lines seen once are not template (yet): forget them first
            for key in [k for k, n in self.counts.items() if n <= 1]:
                del self.counts[key]
            if len(self.counts) > self.MAX_KEYS:
                for key, _ in self.counts.most_common()[self.MAX_KEYS // 2 :]:
                    del self.counts[key]

    def recurring(self) -> set[str]:
        """Squeezed keys of the lines that are template (empty before ``MIN_PAGES``)."""
        if self.pages < self.MIN_PAGES:
            return set()
        floor = self.SHARE * self.pages
        return {k for k, n in self.counts.items() if n >= floor}

    def to_json(self) -> dict[str, Any]:
        """The lines worth keeping for the next run (seen at least twice)."""
        return {"pages": self.pages, "counts": {k: n for k, n in self.counts.items() if n > 1}}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> SiteTemplate:
        t = cls()
        t.pages = int(data.get("pages") or 0)
        t.counts = Counter({str(k): int(n) for k, n in (data.get("counts") or {}).items()})
        return t


class SiteTemplates:
    """One :class:`SiteTemplate` per site (host), the least recently used dropped
    past ``MAX_SITES``."""

    MAX_SITES = 1_000

    def __init__(self) -> None:
        self.sites: OrderedDict[str, SiteTemplate] = OrderedDict()

    def for_site(self, site: str | None) -> SiteTemplate | None:
        if not site:
            return None
        t = self.sites.get(site)
        if t is None:
            t = self.sites[site] = SiteTemplate()
            while len(self.sites) > self.MAX_SITES:
                self.sites.popitem(last=False)
        else:
            self.sites.move_to_end(site)
        return t

    def to_json(self) -> dict[str, Any]:
        return {site: t.to_json() for site, t in self.sites.items() if t.counts}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> SiteTemplates:
        out = cls()
        for site, value in (data or {}).items():
            if isinstance(value, dict):
                out.sites[site] = SiteTemplate.from_json(value)
        return out


def drop_recurring(lines: list[Any], template: SiteTemplate | None) -> tuple[list[Any], int]:
    """``lines`` without the site's template lines, then the page teaches the
    template → (kept lines, how many dropped).

    Linear in the page: each short line is squeezed once and looked up in the
    counts (no table-wide pass per page); the verdict on a recurring line's shape
    is cached.
    """
    if template is None:
        return lines, 0
    keys = [squeeze(ln.key) if ln.key and len(ln.key) <= MAX_LEN else "" for ln in lines]
    kept = lines
    if template.pages >= template.MIN_PAGES:
        floor, counts = template.SHARE * template.pages, template.counts
        kept = [
            ln
            for ln, k in zip(lines, keys, strict=True)
            if not (k and counts.get(k, 0) >= floor and _eligible(ln.key))
        ]
        if len(kept) < len(lines):
            for i, ln in enumerate(kept):
                ln.index = i
    template._learn({k for k in keys if k})
    return kept, len(lines) - len(kept)
