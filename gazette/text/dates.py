"""Date recognition for Chinese government notices.

Pure module (standard library only).  Recognised forms::

    2013年11月23日   2013 年 11 月 23 日   ２０１３年１１月２３日
    二〇一三年十一月二十三日 (〇 ○ О 零 o O Ｏ for zero)
    2013-11-23  2013/11/23  2013.11.23  2013-1-3  2013-11-23 10:30:00
    2013-11-23T10:30  2007-08-20-23:59:59

Years are limited to 1949..2100; impossible dates are rejected.  Bare 8-digit
runs (``20131123``) are deliberately *not* treated as dates.

>>> parse_date('成文日期：2013年11月23日')
'2013-11-23'
>>> parse_date('二〇一三年十一月二十三日')
'2013-11-23'
>>> [d.iso for d in find_dates('2013-1-3 至 2013/02/30 至 2014.2.1')]
['2013-01-03', '2014-02-01']
"""

from __future__ import annotations

import datetime as _dt
import re
from typing import NamedTuple

__all__ = ["FoundDate", "chinese_numeral_to_int", "find_dates", "parse_date", "to_iso"]

MIN_YEAR = 1949
MAX_YEAR = 2100


class FoundDate(NamedTuple):
    iso: str
    raw: str
    start: int
    end: int


_D = "0-9０-９"  # ASCII + full-width digits (inside a character class)
_FULLWIDTH_DIGITS = str.maketrans("０１２３４５６７８９", "0123456789")

# Characters used for zero in Chinese-numeral years.
_ZERO_CHARS = "〇○◯零oOＯО0０"
_CN_DIGITS = {
    **dict.fromkeys(_ZERO_CHARS, 0),
    "一": 1,
    "壹": 1,
    "二": 2,
    "贰": 2,
    "两": 2,
    "三": 3,
    "叁": 3,
    "四": 4,
    "肆": 4,
    "五": 5,
    "伍": 5,
    "六": 6,
    "陆": 6,
    "七": 7,
    "柒": 7,
    "八": 8,
    "捌": 8,
    "九": 9,
    "玖": 9,
}
_CN_UNITS = {"十": 10, "拾": 10, "百": 100, "佰": 100, "千": 1000, "仟": 1000}
_CN_SPECIAL = {"廿": 20, "卅": 30}

_CN_YEAR_CH = "〇○◯零oOＯО0０一二三四五六七八九"
_CN_MD_CH = "〇零一二三四五六七八九十廿卅"
_SP = r"[ \t\u3000\xa0]*"

_DATE_RE = re.compile(
    # 1) 2013年11月23日 (ASCII or full-width digits, optional spaces)
    rf"(?<![{_D}])(?P<y1>[{_D}]{{4}}){_SP}年{_SP}(?P<m1>[{_D}]{{1,2}}){_SP}月"
    rf"{_SP}(?P<d1>[{_D}]{{1,2}}){_SP}日"
    # 2) 二〇一三年十一月二十三日
    rf"|(?<![{_CN_YEAR_CH}])(?P<y2>[{_CN_YEAR_CH}]{{4}}){_SP}年{_SP}(?P<m2>[{_CN_MD_CH}]{{1,3}})"
    rf"{_SP}月{_SP}(?P<d2>[{_CN_MD_CH}]{{1,4}}){_SP}日"
    # 3) 2013-11-23, 2013/11/23, 2013.11.23 (same separator twice)
    rf"|(?<![{_D}])(?<![{_D}][-/.－／．])(?P<y3>[{_D}]{{4}})(?P<sep>[-/.－／．])(?P<m3>[{_D}]{{1,2}})(?P=sep)"
    rf"(?P<d3>[{_D}]{{1,2}})(?![{_D}])"
)


def to_iso(y: int, m: int, d: int) -> str | None:
    """Validate a (year, month, day) triple and format it as ISO.

    >>> to_iso(2013, 1, 3)
    '2013-01-03'
    >>> to_iso(2013, 2, 29) is None, to_iso(1900, 1, 1) is None
    (True, True)
    """
    try:
        y, m, d = int(y), int(m), int(d)
    except (TypeError, ValueError):
        return None
    if not MIN_YEAR <= y <= MAX_YEAR:
        return None
    try:
        return _dt.date(y, m, d).isoformat()
    except ValueError:
        return None


def chinese_numeral_to_int(s: str) -> int | None:
    """Convert a Chinese numeral to an int.

    Digit-by-digit forms (years) and positional forms with 十/百/千 are
    supported; returns None when *s* is not a well-formed numeral.

    >>> [chinese_numeral_to_int(x) for x in ('二〇一三', '二十三', '十一', '三十一', '十')]
    [2013, 23, 11, 31, 10]
    >>> chinese_numeral_to_int('一九四九'), chinese_numeral_to_int('abc')
    (1949, None)
    """
    if not s:
        return None
    s = s.strip()
    if not s:
        return None
    if all(c in _CN_DIGITS for c in s):
        # Digit-by-digit: 二〇一三 -> 2013
        n = 0
        for c in s:
            n = n * 10 + _CN_DIGITS[c]
        return n
    if len(s) <= 2 and s[0] in _CN_SPECIAL:
        # 廿 / 廿三 / 卅一
        base = _CN_SPECIAL[s[0]]
        if len(s) == 1:
            return base
        digit = _CN_DIGITS.get(s[1])
        return None if digit is None or digit == 0 else base + digit
    total = 0
    pending: int | None = None
    last_unit = 10**9
    for c in s:
        if c in _CN_DIGITS:
            if pending is not None and pending != 0:
                return None  # two digits in a row in a positional numeral
            pending = _CN_DIGITS[c]
        elif c in _CN_UNITS:
            unit = _CN_UNITS[c]
            if unit >= last_unit:
                return None
            total += (1 if pending is None else pending) * unit
            if pending == 0:
                return None
            pending = None
            last_unit = unit
        else:
            return None
    if pending is not None:
        total += pending
    return total


def _to_int(s: str) -> int:
    return int(s.translate(_FULLWIDTH_DIGITS))


def _candidates(text: str):
    """Yield (iso_or_None, match) for every date-shaped substring."""
    for m in _DATE_RE.finditer(text):
        if m.group("y1") is not None:
            iso = to_iso(_to_int(m["y1"]), _to_int(m["m1"]), _to_int(m["d1"]))
        elif m.group("y2") is not None:
            y = chinese_numeral_to_int(m["y2"])
            mo = chinese_numeral_to_int(m["m2"])
            d = chinese_numeral_to_int(m["d2"])
            iso = None if y is None or mo is None or d is None else to_iso(y, mo, d)
        else:
            iso = to_iso(_to_int(m["y3"]), _to_int(m["m3"]), _to_int(m["d3"]))
        yield iso, m


def find_dates(text: str) -> list[FoundDate]:
    """Every valid date in *text*, in order.

    >>> find_dates('于2013年11月23日印发')
    [FoundDate(iso='2013-11-23', raw='2013年11月23日', start=1, end=12)]
    >>> find_dates('编号2013052，版本1.2.3')
    []
    """
    if not text:
        return []
    return [FoundDate(iso, m.group(), m.start(), m.end()) for iso, m in _candidates(text) if iso]


def parse_date(text: str) -> str | None:
    """ISO date for a string that is, starts with, or contains exactly one date.

    >>> parse_date('2007-08-20-23:59:59')
    '2007-08-20'
    >>> parse_date('2013-02-30') is None
    True
    >>> parse_date('2013年1月3日至2013年2月1日')
    '2013-01-03'
    >>> parse_date('自2013年1月3日起至2013年2月1日') is None
    True
    """
    if not text:
        return None
    cands = list(_candidates(text))
    if not cands:
        return None
    lead = len(text) - len(text.lstrip())
    first_iso, first = cands[0]
    if first.start() == lead:
        return first_iso
    if len(cands) == 1:
        return first_iso
    return None
