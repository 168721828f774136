"""发文字号 (document number) recognition and canonicalisation.

Canonical form: 机关代字 + 〔YYYY〕 + number + 号, simplified characters, ASCII
digits, no spaces, no leading zeros::

    >>> canonical('粤府办 〔 2013 〕 052 号')
    '粤府办〔2013〕52号'
    >>> canonical('滬府發［2017］92號')
    '沪府发〔2017〕92号'
    >>> canonical('广东省人民政府办公厅粤府办〔2013〕52号')
    '粤府办〔2013〕52号'
    >>> [d.raw for d in find_all('现将《意见》(国办发〔2013〕100号)转发，根据粤府[2012]10号文件')]
    ['国办发〔2013〕100号', '粤府[2012]10号']

Pure module: standard library plus (optionally) ``opencc`` for
traditional -> simplified conversion of the 代字.
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import NamedTuple

from gazette.text.normalize import simplified

__all__ = ["DocNo", "canonical", "find_all", "is_docno_line", "split_serial"]

MIN_YEAR = 1949
MAX_YEAR = 2100
MAX_NUMBER = 99999
MAX_DAIZI = 10  # longest 机关代字 kept
_SCAN = 24  # how many CJK chars to look at left of the bracket


class DocNo(NamedTuple):
    raw: str
    canonical: str
    start: int
    end: int


_D = "0-9０-９"
_FULLWIDTH_DIGITS = str.maketrans("０１２３４５６７８９", "0123456789")
_CJK = "\u3400-\u4dbf\u4e00-\u9fff"
_WS = r"[\s\u3000\xa0]*"
_OPEN = "〔\\[［【（(〈《〚｛{〖"
_CLOSE = "〕\\]］】）)〉》〛｝}〗"

# The part after the 代字: bracketed year, optional 第, number, optional 号.
_TAIL_RE = re.compile(
    rf"[{_OPEN}]{_WS}(?P<year>[{_D}](?:{_WS}[{_D}]){{3}}){_WS}[{_CLOSE}]{_WS}"
    rf"(?:第{_WS})?(?P<num>[{_D}]{{1,6}})(?![{_D}])(?:{_WS}(?P<hao>[号號]))?"
)
_CJK_RE = re.compile(f"[{_CJK}]")
_SPACE_CHARS = frozenset(" \t\r\n\f\v\u3000\xa0")

# Words that cannot be part of a 代字: cut everything up to their last
# occurrence.  Longest alternatives first.
_STOP_WORDS = (
    "贯彻落实",
    "发文字号",
    "文件编号",
    "根据",
    "按照",
    "依据",
    "依照",
    "遵照",
    "参照",
    "对照",
    "详见",
    "参见",
    "贯彻",
    "废止",
    "撤销",
    "修订",
    "修改",
    "取代",
    "替代",
    "同时",
    "其中",
    "包括",
    "以及",
    "落实",
    "执行",
    "印发",
    "转发",
    "下发",
    "发布",
    "通过",
    "文件",
    "精神",
    "要求",
    "规定",
    "通知",
    "意见",
    "办法",
    "决定",
    "公告",
    "通告",
    "批复",
    "关于",
    "字号",
    "文号",
    "编号",
    "附件",
    "的",
    "和",
    "与",
    "及",
    "或",
    "等",
    "号",
    "號",
    "即",
    "将",
    "是",
    "了",
    "把",
    "被",
    "在",
    "对",
    "从",
    "学习",
    "认真",
    "要",
    "已",
    "请",
    "并",
    "均",
    "也",
    "还",
    "须",
    "需",
    "则",
    "向",
    "给",
)
_STOP_RE = re.compile("|".join(sorted(_STOP_WORDS, key=len, reverse=True)))
# Single-character lead-ins, only stripped at the very start of the run.
_LEAD_CHARS = frozenset("经见按据依")
# Typical endings of an agency name glued in front of the 代字.
_AGENCY_END_RE = re.compile("办公厅|办公室|委员会|人民政府|政府|中心|厅|局|委|会|院|部|处|署|行")


class _Hit(NamedTuple):
    start: int  # start of the kept 代字
    end: int  # end of the whole number
    run_start: int  # start of the CJK run before trimming
    canonical: str


def _t2s_raw(s: str) -> str:
    return simplified(s)


@lru_cache(maxsize=4096)
def _t2s(s: str) -> str:
    """Traditional -> simplified, iterated to a fixpoint (idempotent)."""
    for _ in range(3):
        out = _t2s_raw(s)
        if out == s or len(out) != len(s):
            return out if len(out) == len(s) else s
        s = out
    return s


def _prose_end(s: str, cut: int = 0) -> int:
    """Where the prose and lead-in words before a 代字 or office name end in ``s``
    (from ``cut`` on): after the last stop word, and a single-character lead-in
    (经/见/按/据/依) after it."""
    for m in _STOP_RE.finditer(s, cut):
        cut = max(cut, m.end())
    if len(s) - cut >= 3 and s[cut] in _LEAD_CHARS:
        cut += 1
    return cut


def _trim_daizi(chars: list[tuple[str, int]]) -> list[tuple[str, int]]:
    """Strip prose, lead-in words and glued agency names from a 代字 run."""
    s = "".join(c for c, _ in chars)
    cut = _prose_end(s)
    rest = s[cut:]
    # Agency name glued in front: keep the part after the rightmost office
    # ending that leaves a plausible 2..8 char 代字 and a >=4 char name.
    best = None
    for m in _AGENCY_END_RE.finditer(rest):
        remainder = len(rest) - m.end()
        if m.end() >= 4 and 2 <= remainder <= 8:
            best = m.end() if best is None else max(best, m.end())
    if best is not None:
        cut += best
    if len(s) - cut > MAX_DAIZI:
        cut = len(s) - MAX_DAIZI
    return chars[cut:]


def _scan(text: str) -> list[_Hit]:
    hits: list[_Hit] = []
    if not text:
        return hits
    limit = 0
    n = len(text)
    for m in _TAIL_RE.finditer(text):
        if m.start() < limit:
            continue
        year = int(re.sub(r"\D", "", m["year"].translate(_FULLWIDTH_DIGITS)))
        num = int(m["num"].translate(_FULLWIDTH_DIGITS))
        if not (MIN_YEAR <= year <= MAX_YEAR and 1 <= num <= MAX_NUMBER):
            continue
        end = m.end()
        if m["hao"] is None:
            # Without 号 the number must not run into prose (e.g. 12个).
            end = m.end("num")
            if end < n and _CJK_RE.match(text, end):
                continue
        chars = _run_before(text, m.start(), limit)
        if not chars:
            continue
        run_start = chars[0][1]
        kept = _trim_daizi(chars)
        if kept:
            daizi = _t2s("".join(c for c, _ in kept))
            at = kept[0][1]
        else:  # 公告 and 令 are stop words: 海关总署公告〔2024〕3号
            kind = "".join(c for c, _ in chars[-2:])
            kind = kind if kind == "公告" else kind[-1:]
            found = _office(chars[: -len(kind)]) if kind in ("公告", "令") else None
            if found is None:
                continue
            at, daizi = found[0], found[1] + kind
        hits.append(_Hit(at, end, run_start, f"{daizi}〔{year}〕{num}号"))
        limit = end
    if "第" in text and ("公告" in text or "令" in text):
        hits = _merge(hits, _scan_serial(text))
    return hits


def _run_before(text: str, at: int, limit: int) -> list[tuple[str, int]]:
    """The CJK characters (spaces allowed between them) right before ``at``."""
    chars: list[tuple[str, int]] = []
    i = at
    while i > limit and len(chars) < _SCAN:
        j = i
        while j > limit and text[j - 1] in _SPACE_CHARS:
            j -= 1
        if j > limit and _CJK_RE.match(text, j - 1):
            chars.append((text[j - 1], j - 1))
            i = j - 1
        else:
            break
    chars.reverse()
    return chars


# 公告 and 令 numbered by year (``国家税务总局公告2023年第1号``,
# ``交通运输部令2024年第5号``) or, for 令, by a running number (``国务院令第708号``)
_SERIAL_RE = re.compile(
    rf"(?P<kind>公告|令){_WS}(?:(?P<year>[{_D}]{{4}}){_WS}年{_WS})?"
    rf"第{_WS}(?P<num>[{_D}]{{1,5}}){_WS}[号號]"
)
_STATE = "中华人民共和国"
_OFFICE_END_RE = re.compile(f"(?:{_AGENCY_END_RE.pattern})$")


def _scan_serial(text: str) -> list[_Hit]:
    """Numbers of 公告 and 令 in their serial form; canonical: the issuing office
    as printed (without 中华人民共和国, no spaces, simplified) + the number as
    printed with ASCII digits.

    >>> [h.canonical for h in _scan_serial("根据财政部 税务总局公告2023年第12号和国务院令第708号")]
    ['财政部税务总局公告2023年第12号', '国务院令第708号']
    >>> _scan_serial("中华人民共和国交通运输部令 2024年第5号")[0].canonical
    '交通运输部令2024年第5号'
    >>> _scan_serial("2023年第5号台风"), _scan_serial("公告2023年第12号")
    ([], [])
    """
    hits: list[_Hit] = []
    limit = 0
    for m in _SERIAL_RE.finditer(text):
        if m["year"] is None and m["kind"] != "令":
            continue
        year = int(m["year"].translate(_FULLWIDTH_DIGITS)) if m["year"] else None
        num = int(m["num"].translate(_FULLWIDTH_DIGITS))
        if year is not None and not MIN_YEAR <= year <= MAX_YEAR or not 1 <= num <= MAX_NUMBER:
            continue
        chars = _run_before(text, m.start(), limit)
        if not chars:
            continue
        found = _office(chars)
        if found is None:
            continue
        start, office = found
        number = f"{year}年第{num}号" if year is not None else f"第{num}号"
        hits.append(_Hit(start, m.end(), chars[0][1], f"{office}{m['kind']}{number}"))
        limit = m.end()
    return hits


def _office(chars: list[tuple[str, int]]) -> tuple[int, str] | None:
    """``(start, name)`` of the office that ends a CJK run (``根据国家税务总局``),
    without 中华人民共和国 and lead-in words; None when the run ends in no office
    name (总局, 部, 委员会, 署, 银行, 院, 人民政府 ...)."""
    s = "".join(c for c, _ in chars)
    state = s.rfind(_STATE)  # its 和 is no stop word
    after_state = state + len(_STATE) if state >= 0 else 0
    cut = _prose_end(s, after_state)
    kept = chars[cut:]
    if not kept:
        return None
    office = _t2s("".join(c for c, _ in kept))
    if len(office) < 2 or not _OFFICE_END_RE.search(office):
        return None
    start = chars[state][1] if state >= 0 and cut == after_state else kept[0][1]
    return start, office


def _merge(a: list[_Hit], b: list[_Hit]) -> list[_Hit]:
    """Both lists of hits in text order, without overlaps (the first wins)."""
    if not b:
        return a
    out: list[_Hit] = []
    for h in sorted(a + b, key=lambda h: h.start):
        if out and h.start < out[-1].end:
            continue
        out.append(h)
    return out


def find_all(text: str) -> list[DocNo]:
    """Every document number in *text*, in order.

    >>> find_all('按照岚综管规〔2022〕11号要求')
    [DocNo(raw='岚综管规〔2022〕11号', canonical='岚综管规〔2022〕11号', start=2, end=15)]
    >>> [d.canonical for d in find_all('岚综管办 〔 2021 〕 86 号和国发〔2015〕4号')]
    ['岚综管办〔2021〕86号', '国发〔2015〕4号']
    """
    return [DocNo(text[h.start : h.end], h.canonical, h.start, h.end) for h in _scan(text)]


# Whatever may surround a single number: whitespace, punctuation, labels.
_EDGE_RE = re.compile(
    r"[\s\u3000\xa0:：,，.。;；、!！?？()（）\[\]［］【】《》〈〉「」『』\"'“”‘’]*"
)
_LABEL_RE = re.compile(
    rf"^[\s\u3000\xa0]*(?:发文字号|文件编号|文件字号|文号|字号|编号){_WS}[:：]?{_WS}"
)


def _only_edges(s: str) -> bool:
    return _EDGE_RE.fullmatch(s) is not None


@lru_cache(maxsize=4096)  # the same 文号 is canonicalised by the loader, normalize, copies
def canonical(raw: str) -> str | None:
    """Canonicalise one printed document number, or None.

    >>> canonical('国发〔2015〕第4号'), canonical('国发〔2015〕4')
    ('国发〔2015〕4号', '国发〔2015〕4号')
    >>> canonical('〔2013〕52号') is None, canonical('2013年11月23日') is None
    (True, True)
    """
    if not raw:
        return None
    raw = _LABEL_RE.sub("", raw, count=1)
    hits = _scan(raw)
    if len(hits) != 1:
        return None
    h = hits[0]
    if not _only_edges(raw[: h.run_start]) or not _only_edges(raw[h.end :]):
        return None
    return h.canonical


def is_docno_line(line: str) -> bool:
    """True when a whole line is just a document number (maybe labelled).

    >>> is_docno_line('  发文字号：岚综管规〔2025〕2号 ')
    True
    >>> is_docno_line('根据粤府〔2012〕10号文件精神')
    False
    """
    if not line:
        return False
    s = _LABEL_RE.sub("", line, count=1).strip()
    hits = _scan(s)
    if len(hits) != 1:
        return False
    h = hits[0]
    return _only_edges(s[: h.start]) and _only_edges(s[h.end :])


#: the number half of a 令 or 公告 number printed on a line of its own
_SERIAL_NUMBER = re.compile(
    rf"^{_WS}(?:[{_D}]{{4}}{_WS}年{_WS})?第{_WS}[{_D}]{{1,5}}{_WS}[号號]{_WS}$"
)


def split_serial(head: str, number: str) -> bool:
    """True when ``head`` and ``number`` are a 令 or 公告 number printed over two
    lines (``中华人民共和国交通运输部令`` / ``2024年第5号``); ``number`` alone may
    be given as ``""`` to ask whether ``head`` is such a first line.

    >>> split_serial("中华人民共和国交通运输部令", "2024年第5号")
    True
    >>> split_serial("国家税务总局公告", ""), split_serial("各地要发布公告", "")
    (True, False)
    """
    head = head.strip(" \t\u3000\xa0")
    if number and not is_serial_number(number):
        return False
    for kind in ("公告", "令"):
        if head.endswith(kind) and len(head) <= 30:
            chars = [(c, i) for i, c in enumerate(head[: -len(kind)]) if c not in _SPACE_CHARS]
            found = _office(chars)
            return found is not None and found[0] == 0
    return False


def is_serial_number(line: str) -> bool:
    """A line that is only ``2024年第5号`` or ``第708号``.

    >>> is_serial_number("2024年第5号"), is_serial_number("2024年第5号台风")
    (True, False)
    """
    return _SERIAL_NUMBER.match(line) is not None
