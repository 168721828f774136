"""Stage 10: drop cleared placeholders and non-notices before any work."""

from __future__ import annotations

from typing import Any

from itemadapter import ItemAdapter

from gazette.pipelines import drop

#: what reposting sites leave when a notice was taken down
PLACEHOLDER_MARKS = ("标题和内容已经清空", "標題和內容已經清空", "该内容已被删除", "内容已被清空")


def is_placeholder(title: Any, body: Any) -> bool:
    """True for a cleared page: its title (or its whole body) is a clearing mark.

    >>> is_placeholder("标题和内容已经清空2023-05-13 23:52:28", None)
    True
    >>> is_placeholder("关于标题的通知", "正文")
    False
    """
    t = title if isinstance(title, str) else ""
    b = body if isinstance(body, str) else ""
    if any(m in t for m in PLACEHOLDER_MARKS):
        return True
    return bool(b) and len(b.strip()) <= 60 and any(m in b for m in PLACEHOLDER_MARKS)


class FilterPipeline:
    """Drop placeholders (``gazette/dropped/placeholder``) and items with
    ``is_notice`` false (``gazette/dropped/not_notice``)."""

    def __init__(self, crawler: Any = None) -> None:
        self.crawler = crawler

    @classmethod
    def from_crawler(cls, crawler: Any) -> FilterPipeline:
        return cls(crawler)

    def process_item(self, item: Any) -> Any:
        try:
            adapter = ItemAdapter(item)
        except TypeError:
            return item  # not an item: validation counts it
        if is_placeholder(adapter.get("title"), adapter.get("body")):
            raise drop(self.crawler, "dropped/placeholder", "cleared page", final=True, item=item)
        if adapter.get("is_notice") is False:
            raise drop(self.crawler, "dropped/not_notice", "not a notice", final=True, item=item)
        return item
