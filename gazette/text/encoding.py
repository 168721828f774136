"""Decode page bytes to text: BOM, bytes, HTTP header and ``<meta charset>``.

Government pages lie about their encoding in both directions (a page that
declares gb2312 but is UTF-8, a header that says UTF-8 over GBK bytes), so
the bytes themselves decide when they are valid UTF-8; GB2312/GBK labels are
always decoded as GB18030, their superset.
"""

from __future__ import annotations

import codecs
import re

_META_CHARSET = re.compile(
    rb"""<meta[^>]+charset\s*=\s*["']?\s*([A-Za-z0-9_\-:.]+)""", re.IGNORECASE
)
_HEADER_CHARSET = re.compile(r"charset\s*=\s*[\"']?([A-Za-z0-9_\-:.]+)", re.IGNORECASE)

_ALIASES = {
    "gb2312": "gb18030",
    "gbk": "gb18030",
    "gb_2312-80": "gb18030",
    "x-gbk": "gb18030",
    "cp936": "gb18030",
    "euc-cn": "gb18030",
    "hz-gb-2312": "gb18030",
    "utf8": "utf-8",
    "big5": "big5hkscs",
}


def normalise_label(label: str | None) -> str | None:
    """Map a declared charset label to the codec we decode it with.

    >>> normalise_label("GB2312"), normalise_label("utf8"), normalise_label("nonsense")
    ('gb18030', 'utf-8', None)
    """
    if not label:
        return None
    label = label.strip().strip("\"'").lower()
    label = _ALIASES.get(label, label)
    try:
        return codecs.lookup(label).name.replace("_", "-") if label else None
    except (LookupError, ValueError):  # unknown label, NUL bytes in it
        return None


def declared_encoding(body: bytes, content_type: str | None = None) -> str | None:
    """The encoding the HTTP header or the page's ``<meta>`` declares, if any.

    >>> declared_encoding(b'<meta charset="gb2312">')
    'gb18030'
    >>> declared_encoding(b"", "text/html; charset=UTF-8")
    'utf-8'
    """
    if content_type:
        m = _HEADER_CHARSET.search(content_type)
        if m and normalise_label(m.group(1)):
            return normalise_label(m.group(1))
    meta = _META_CHARSET.search(body[:4096])
    if meta:
        return normalise_label(meta.group(1).decode("ascii", "ignore"))
    return None


def decode(body: bytes | str, content_type: str | None = None) -> tuple[str, str]:
    """Return ``(text, encoding)`` for page bytes.

    Order: BOM; valid UTF-8 bytes (whatever is declared: UTF-8 is
    self-validating, a GBK page almost never decodes as UTF-8); the declared
    charset; GB18030; UTF-8 with replacement.

    >>> decode("政府".encode("gbk"), "text/html; charset=utf-8")
    ('政府', 'gb18030')
    >>> decode('<meta charset="gb2312">政府'.encode("utf-8"))[1]
    'utf-8'
    >>> decode(codecs.BOM_UTF8 + "文".encode())[0]
    '文'
    """
    if isinstance(body, str):
        return body, "unicode"
    for bom, enc in (
        (codecs.BOM_UTF8, "utf-8"),
        (codecs.BOM_UTF16_LE, "utf-16-le"),
        (codecs.BOM_UTF16_BE, "utf-16-be"),
    ):
        if body.startswith(bom):
            return body[len(bom) :].decode(enc, "replace"), enc
    try:
        return body.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        pass
    declared = declared_encoding(body, content_type)
    candidates = [declared] if declared and declared != "utf-8" else []
    candidates.append("gb18030")
    for enc in candidates:
        try:
            return body.decode(enc), enc
        except (UnicodeDecodeError, LookupError):
            continue
    # mostly one encoding with a few broken bytes (a truncated page, say)
    utf8 = body.decode("utf-8", "replace")
    gbk = body.decode("gb18030", "replace")
    if utf8.count("\ufffd") <= gbk.count("\ufffd"):
        return utf8, "utf-8"
    return gbk, "gb18030"
