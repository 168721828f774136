"""Which copy of a notice is the best, and how copies complement each other.

The ranking (:func:`rank_key`, higher is better), field by field in this order:

1. **own 文号** over none (``doc_number`` present);
2. **unmasked** over masked (``masked`` false);
3. the **issuing government's own site** over a repost (a ``*.gov.cn`` host);
4. **more complete**: more of the export fields hold a value;
5. **clean**: read whole (no ``cut``), printed in simplified characters;
6. **longer body** (the canonical body: masks, glosses and punctuation left out);
7. then the **earliest fetched**, then the copy stored first (a tie never
   replaces the incumbent).

:func:`merge` starts from the best copy and fills what it lacks from the
others, best first: the notice's own fields (文号 with its printed form, issuer,
co-issuers, 成文日期, 主送, 索引号, 主题分类, 有效性) where the best copy has none;
``attachments`` and ``references`` are the union over all copies (attachments by
URL, else by title). What belongs to the page (``url``, ``site``, ``spider``,
``published``, ``fetched_at``, ``masked``, ``body``, ``title``) stays the best copy's.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from typing import Any

from gazette.dedup.compact import completeness, is_official
from gazette.text.canon import canonical_body, t2s

#: filled from another copy when the best copy has none (doc_number_raw goes with doc_number)
FILL_FIELDS = (
    "doc_number",
    "issuer",
    "co_issuers",
    "date",
    "recipients",
    "index_number",
    "topic",
    "validity",
)
#: the union over every copy
UNION_FIELDS = ("attachments", "references")


def _simplified(record: dict[str, Any]) -> bool:
    title = record.get("title") or ""
    return t2s(title) == title


def rank_key(
    record: dict[str, Any], body_len: int | None = None, order: int = 0
) -> tuple[Any, ...]:
    """Sort key of a copy, higher is better (see the module doc).

    >>> a = {"doc_number": "粤府办〔2013〕52号", "masked": True, "body": "x"}
    >>> b = {"doc_number": None, "masked": False, "body": "x" * 50}
    >>> c = {"doc_number": "粤府办〔2013〕52号", "masked": False, "body": "x"}
    >>> [r is c for r in sorted([a, b, c], key=rank_key, reverse=True)]
    [True, False, False]
    >>> rank_key(a) > rank_key(b)
    True
    """
    stamp = str(record.get("fetched_at") or "9999")
    return (
        int(bool(record.get("doc_number"))),
        int(not record.get("masked")),
        int(is_official(record)),
        completeness(record),
        int(not record.get("cut")),
        int(_simplified(record)),
        len(canonical_body(record.get("body"))) if body_len is None else body_len,
        _Reverse(stamp),
        -order,
    )


class _Reverse:
    """Orders strings backwards (earlier first in a key where higher is better)."""

    __slots__ = ("s",)

    def __init__(self, s: str) -> None:
        self.s = s

    def __lt__(self, other: _Reverse) -> bool:
        return self.s > other.s

    def __gt__(self, other: _Reverse) -> bool:
        return self.s < other.s

    def __eq__(self, other: object) -> bool:
        return isinstance(other, _Reverse) and self.s == other.s

    def __le__(self, other: _Reverse) -> bool:
        return self.s >= other.s

    def __ge__(self, other: _Reverse) -> bool:
        return self.s <= other.s

    def __hash__(self) -> int:
        return hash(self.s)


def best_first(
    copies: Iterable[dict[str, Any]], key: Callable[[dict[str, Any]], Any] = rank_key
) -> list[dict[str, Any]]:
    """The copies, best first (``key``: :func:`rank_key` or one with the body lengths known)."""
    return sorted(copies, key=key, reverse=True)


def _empty(value: Any) -> bool:
    return value is None or value == "" or value == []


def _attachment_key(att: Any) -> str:
    if isinstance(att, dict):
        return str(att.get("url") or att.get("title") or "")
    return str(att)


def merge(
    copies: Sequence[dict[str, Any]], key: Callable[[dict[str, Any]], Any] = rank_key
) -> dict[str, Any]:
    """The best copy with what it lacks filled in from the others (see the module doc).

    >>> masked = {"title": "关于***的通知", "doc_number": None, "masked": True,
    ...           "attachments": [{"title": "附件1", "url": "http://a/1.doc"}], "references": []}
    >>> clean = {"title": "关于X的通知", "doc_number": None, "masked": False, "date": None,
    ...          "attachments": [], "references": ["国办发〔2013〕100号"]}
    >>> numbered = {"title": "关于***的通知", "doc_number": "粤府办〔2013〕52号",
    ...             "doc_number_raw": "粤府办[2013]52号", "masked": True, "date": "2013-11-23"}
    >>> m = merge([masked, clean])
    >>> m["title"], m["attachments"][0]["url"], m["references"]
    ('关于X的通知', 'http://a/1.doc', ['国办发〔2013〕100号'])
    >>> m = merge([masked, clean, numbered])
    >>> m["title"], m["doc_number"], m["doc_number_raw"], m["date"], m["masked"]
    ('关于***的通知', '粤府办〔2013〕52号', '粤府办[2013]52号', '2013-11-23', True)
    """
    ordered = best_first(copies, key)
    out = dict(ordered[0])
    for name in FILL_FIELDS:
        if not _empty(out.get(name)):
            continue
        for other in ordered[1:]:
            if not _empty(other.get(name)):
                out[name] = other[name]
                if name == "doc_number":
                    out["doc_number_raw"] = other.get("doc_number_raw")
                break
    for name in UNION_FIELDS:
        seen: dict[str, Any] = {}
        for copy in ordered:
            for value in copy.get(name) or []:
                k = _attachment_key(value) if name == "attachments" else str(value)
                if k and k not in seen:
                    seen[k] = value
        out[name] = list(seen.values())
    return out
