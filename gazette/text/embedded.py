"""Documents a page carries in a script: gkmlpt's ``window._CONFIG.DETAIL``.

Pure module (standard library only). Guangdong's 政府信息公开目录 (gkmlpt)
detail pages set ``window._CONFIG = {ACTION: 'content', DETAIL: {...}, TREE:
[...]}``; ``DETAIL`` is JSON with the document's ``title``, its ``content``
(HTML) and metadata (``publisher``, ``classify_main_name`` … in the real page
of ``../shared/conformance/gkmlpt/zhaoqing_post_3255421.trimmed.html``). Some
pages carry the document *only* there, and the site's script renders it; others
(server-rendered) carry it in the DOM too (``h1.title``,
``div.article-content``), and open with ``<body style='visibility: hidden'>``
which the script lifts after load.

:func:`expand_embedded` turns such a page into one that holds the document as
HTML, so the one extraction path (:func:`gazette.extract.extract_html`) reads
it like any other page:

* the ``visibility: hidden`` / ``display: none`` style of a ``<body>`` of a page
  with ``window._CONFIG`` is dropped (the reader sees the page; a rule that
  drops hidden elements would drop everything);
* when the DOM does not already show the document's text, the document is
  written at the start of ``<body>``: an ``<h1>`` title, a label table of the
  metadata (发布机构：…, the labels of gkmlpt's own table) and the content HTML.

Any other page comes back unchanged (the same string object).

>>> page = '''<html><head><title>t</title></head><body><script>
... window._CONFIG = {
...     ACTION: 'content',
...     DETAIL: {"id":1,"title":"关于某事的通知","content":"<p>各单位：</p><p>现将有关事项通知如下。</p>",
...              "publisher":"某市生态环境局","classify_main_name":"受理公告"},
...     TREE: [{"id":2,"name":"x","parent":0}]
... };
... </script></body></html>'''
>>> out = expand_embedded(page)
>>> print(out[out.index("<body>"):out.index("<script>")])  # doctest: +NORMALIZE_WHITESPACE
<body><div class="gazette-embedded"><h1>关于某事的通知</h1>
<table class="gazette-embedded-meta"><tr><td>分类：</td><td>受理公告</td></tr>
<tr><td>发布机构：</td><td>某市生态环境局</td></tr></table>
<div class="article-content"><p>各单位：</p><p>现将有关事项通知如下。</p></div></div>
>>> expand_embedded("<html><body><p>plain</p></body></html>") == "<html><body><p>plain</p></body></html>"
True
"""

from __future__ import annotations

import html
import json
import re
from datetime import datetime, timedelta, timezone, tzinfo
from typing import Any

__all__ = ["embedded_detail", "expand_embedded"]

_CONFIG = re.compile(r"window\s*\.\s*_CONFIG\s*=\s*\{")
_DETAIL = re.compile(r"""["']?\bDETAIL\b["']?\s*:\s*\{""")
_BODY = re.compile(r"<body\b[^>]*>", re.I)
_HIDDEN_STYLE = re.compile(
    r"""(\sstyle\s*=\s*)(["'])([^"']*?)(?:visibility\s*:\s*hidden|display\s*:\s*none)\s*;?([^"']*)\2""",
    re.I,
)
_SCRIPTS = re.compile(r"<(script|style|noscript|template)\b.*?</\1\s*>", re.I | re.S)
_TAGS = re.compile(r"<[^>]*>")
_SPACE = re.compile(r"[\s\u3000\xa0]+")
#: characters of the document's text looked for in the page's own text
PROBE = 40
#: at most this many characters of the page are searched for the script
SCAN_LIMIT = 4 << 20

#: DETAIL / list-API keys shown as gkmlpt's own metadata labels (the first four
#: are in the real DETAIL sample or the real list answer; others are not shown)
META_LABELS = (
    ("identifier", "索引号："),
    ("classify_main_name", "分类："),
    ("publisher", "发布机构："),
    ("date", "发布日期："),
)


def _beijing() -> tzinfo:
    try:
        from zoneinfo import ZoneInfo

        return ZoneInfo("Asia/Shanghai")
    except Exception:  # noqa: BLE001 - no tz database: China keeps +08:00 all year
        return timezone(timedelta(hours=8), "CST")


BEIJING = _beijing()


def epoch_date(value: Any) -> str | None:
    """A Unix time (seconds or milliseconds) as a Beijing-time ISO date.

    >>> epoch_date(1783353600), epoch_date(1783353600000), epoch_date("x")
    ('2026-07-07', '2026-07-07', None)
    """
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    ts = float(value) / 1000 if value > 1e11 else float(value)
    try:
        return datetime.fromtimestamp(ts, tz=BEIJING).date().isoformat()
    except (OverflowError, OSError, ValueError):
        return None


def embedded_detail(text: str) -> dict[str, Any] | None:
    """The ``window._CONFIG.DETAIL`` object of a page, or None.

    >>> embedded_detail('<script>window._CONFIG = {DETAIL: {"title": "甲", "content": "<p>乙</p>"}};</script>')
    {'title': '甲', 'content': '<p>乙</p>'}
    >>> embedded_detail("<script>window._CONFIG = {SID: '2'};</script>") is None
    True
    >>> embedded_detail("<script>window._CONFIG = {DETAIL: {title: 'js, not json'}};</script>") is None
    True
    """
    head = text[:SCAN_LIMIT]
    m = _CONFIG.search(head)
    if not m:
        return None
    d = _DETAIL.search(head, m.end() - 1)
    if not d:
        return None
    try:
        value, _end = json.JSONDecoder().raw_decode(head, d.end() - 1)
    except ValueError:
        return None
    if not isinstance(value, dict):
        return None
    if not isinstance(value.get("content"), str) and not isinstance(value.get("title"), str):
        return None
    return value


def _find_body(text: str) -> re.Match[str] | None:
    """The ``<body>`` start tag, not one quoted inside a comment.

    >>> _find_body("<!-- <body x> --><body y>").group(0)
    '<body y>'
    """
    for m in _BODY.finditer(text):
        if text.rfind("<!--", 0, m.start()) <= text.rfind("-->", 0, m.start()):
            return m
    return None


def _plain(fragment: str) -> str:
    return _SPACE.sub("", html.unescape(_TAGS.sub(" ", _SCRIPTS.sub(" ", fragment))))


def _render(detail: dict[str, Any]) -> str:
    parts = ['<div class="gazette-embedded">']
    title = detail.get("title")
    if isinstance(title, str) and title.strip():
        parts.append(f"<h1>{html.escape(title.strip(), quote=False)}</h1>\n")
    rows = []
    for key, label in META_LABELS:
        value = detail.get(key)
        if key == "date":
            value = epoch_date(value) if not isinstance(value, str) else value
        if isinstance(value, (str, int)) and not isinstance(value, bool) and str(value).strip():
            cell = html.escape(str(value).strip(), quote=False)
            rows.append(f"<tr><td>{label}</td><td>{cell}</td></tr>")
    if rows:
        parts.append('<table class="gazette-embedded-meta">' + "\n".join(rows) + "</table>\n")
    content = detail.get("content")
    if isinstance(content, str) and content.strip():
        parts.append(f'<div class="article-content">{content}</div>')
    parts.append("</div>")
    return "".join(parts)


def expand_embedded(text: str) -> str:
    """The page with its ``window._CONFIG.DETAIL`` document readable as HTML (see module doc).

    A server-rendered page that already shows the document keeps its DOM (only
    its hidden ``<body>`` is revealed):

    >>> page = ('<body style="visibility: hidden"><h1 class="title">通知</h1><div class="article-content">'
    ...         '<p>现将有关事项通知如下。</p></div><script>window._CONFIG = {DETAIL: {"title": "通知",'
    ...         ' "content": "<p>现将有关事项通知如下。</p>"}};</script></body>')
    >>> expand_embedded(page)[:60]
    '<body><h1 class="title">通知</h1><div class="article-content">'
    """
    if "_CONFIG" not in text or "DETAIL" not in text:
        return text
    detail = embedded_detail(text)
    if detail is None:
        return text
    body = _find_body(text)
    if body is not None:
        tag = _HIDDEN_STYLE.sub(
            lambda m: (
                f"{m.group(1)}{m.group(2)}{m.group(3)}{m.group(4)}{m.group(2)}"
                if (m.group(3) + m.group(4)).strip()
                else ""
            ),
            body.group(0),
        )
        text = text[: body.start()] + tag + text[body.end() :]
        body = _find_body(text)
    content = detail.get("content")
    probe = _plain(content)[:PROBE] if isinstance(content, str) else ""
    if not probe:  # a title without content: show the title only if missing
        title = detail.get("title")
        probe = _SPACE.sub("", title) if isinstance(title, str) else ""
    if probe and probe in _plain(text):
        return text
    block = _render(detail)
    if body is None:
        return f"<html><body>{block}</body></html>" if not text.strip() else text + block
    return text[: body.end()] + block + text[body.end() :]
