"""Canonical text for deduplication: one form for every copy of a notice.

Reposting sites change a notice's surface without changing the document:
traditional characters, ``***`` masks over sensitive words, pinyin glosses
(``南(nán)沙``), ``[2013]`` for ``〔2013〕``, ``二〇一三年`` for ``2013年``,
hotline/byline/disclaimer lines around the text. :func:`canonical_body`
maps all of them to one string of letters and digits that is hashed for exact
duplicates and shingled for near duplicates.

Pure functions, no Scrapy. ``opencc`` is loaded lazily once per process.

>>> canonical_body("關於進一步加強(jiā qiáng)***工作的通知\\n客服热线:0755-8882 8155")
'关于进一步加强工作的通知'
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from functools import lru_cache
from typing import Any

from gazette.text.normalize import simplified

__all__ = [
    "MASK_RE",
    "canonical_body",
    "canonical_issuer",
    "canonical_numerals",
    "canonical_url",
    "url_fingerprint",
    "body_hash",
    "canon_brackets",
    "is_chrome_line",
    "is_masked",
    "strip_chrome",
    "strip_masks",
    "strip_pinyin",
    "t2s",
]

# -- traditional -> simplified ------------------------------------------------


def t2s(text: str) -> str:
    """Traditional -> simplified Chinese (the shared OpenCC converter).

    >>> t2s("滬府發〔2017〕92號")
    '沪府发〔2017〕92号'
    """
    return simplified(text)


# -- masks -------------------------------------------------------------------

#: runs of mask characters reposting sites put over words (after NFKC ``＊`` is ``*``)
MASK_RE = re.compile(r"\*+|＊+|[■□▇█◼◻▢●]+|×{2,}|X{2,}|Ｘ{2,}")
_MASK_ANY_RE = re.compile(r"[*＊■□▇█◼◻▢●×XＸ]")
_MASK_FIND_RE = re.compile(r"\*{2,}|＊{2,}|[■□▇█◼◻]+|×{2,}")


def is_masked(text: str | None) -> bool:
    """True when ``text`` hides words behind ``***``, ``＊＊``, ``■``, ``□``, ``××``.

    >>> is_masked("按照***部署"), is_masked("按照国务院部署"), is_masked("■■办法")
    (True, False, True)
    >>> is_masked(None)
    False
    """
    return bool(text) and _MASK_FIND_RE.search(text or "") is not None


def strip_masks(text: str) -> str:
    """Remove mask runs.

    >>> strip_masks("按照***部署，会同××和■■单位")
    '按照部署，会同和单位'
    """
    if _MASK_ANY_RE.search(text) is None:
        return text
    return MASK_RE.sub("", text)


# -- pinyin glosses ----------------------------------------------------------

_TONED = "āáǎàēéěèīíǐìōóǒòūúǔùǖǘǚǜüńňǹḿ"
_SYL = rf"[a-z]{{0,3}}[aeiouv{_TONED}][a-z{_TONED}]{{0,4}}[1-5]?"
_PINYIN_RE = re.compile(rf"(?<=[\u3400-\u9fff])[(（]\s*{_SYL}(?:\s+{_SYL}){{0,5}}\s*[)）]")


def strip_pinyin(text: str) -> str:
    """Remove pinyin glosses injected after Chinese characters.

    >>> strip_pinyin("南(nán)沙 發(fā)展 加强（jiā qiáng）")
    '南沙 發展 加强'
    >>> strip_pinyin("附件(PDF)")
    '附件(PDF)'
    >>> strip_pinyin("2013(a) stays")
    '2013(a) stays'
    """
    if "(" not in text and "（" not in text:  # no gloss without a bracket
        return text
    return _PINYIN_RE.sub("", text)


# -- brackets and numerals ---------------------------------------------------

_YEAR_BRACKET_RE = re.compile(r"[\[［【(（〔﹝〖{｛]\s*(\d{4})\s*[\]］】)）〕﹞〗}｝]")


def canon_brackets(text: str) -> str:
    """Write a bracketed year as ``〔YYYY〕`` whatever bracket the page used.

    >>> canon_brackets("粤府办[2013]52号 国办发（2013）100号 〔2014〕")
    '粤府办〔2013〕52号 国办发〔2013〕100号 〔2014〕'
    """
    return _YEAR_BRACKET_RE.sub(r"〔\1〕", text)


_DIGIT = {"〇": "0", "零": "0", "○": "0", "Ｏ": "0", "O": "0"}
_DIGIT.update({c: str(i) for i, c in enumerate("零一二三四五六七八九") if i})
_YEAR_DIGITS = frozenset("〇零○一二三四五六七八九")
# a month or day number: 1-3 numerals before 月/日/号, not preceded by another numeral
_SMALL_DIGITS = frozenset("一二三四五六七八九十")
_NUMERAL_BEFORE = frozenset("一二三四五六七八九十百千万亿")
_DAY_ANCHOR_RE = re.compile("[月日号號]")


def _small_int(s: str) -> str:
    """``十二`` -> ``12``, ``二十一`` -> ``21`` (1..99); not a number (``十一一``): as is.

    >>> _small_int("十二"), _small_int("二十一"), _small_int("三"), _small_int("十一一"), _small_int("十十")
    ('12', '21', '3', '十一一', '十十')
    """
    if "十" not in s:
        return "".join(_DIGIT.get(c, c) for c in s)
    tens, _, units = s.partition("十")
    if len(tens) > 1 or len(units) > 1 or "十" in units:
        return s
    t = int(_DIGIT[tens]) if tens else 1
    u = int(_DIGIT[units]) if units else 0
    return str(t * 10 + u)


def canonical_numerals(text: str) -> str:
    """Chinese numerals of years, months and days as ASCII digits.

    Years: four numerals right before 年; months and days: one to three numerals
    right before 月, 日, 号 or 號 that do not continue a longer number. Found
    from the few 年/月/日/号 of a text rather than by a regex tried at every
    position.

    >>> canonical_numerals("二〇一三年十一月二十三日")
    '2013年11月23日'
    >>> canonical_numerals("第一条 统一 一百二十日 十一一日")
    '第一条 统一 一百二十日 十一一日'
    """
    parts: list[str] = []
    last = 0
    if "年" in text:
        i = text.find("年")
        while i != -1:
            if i >= 4 and all(c in _YEAR_DIGITS for c in text[i - 4 : i]):
                parts += (text[last : i - 4], "".join(_DIGIT.get(c, c) for c in text[i - 4 : i]))
                last = i
            i = text.find("年", i + 1)
        if parts:
            text = "".join(parts) + text[last:]
            parts, last = [], 0
    for m in _DAY_ANCHOR_RE.finditer(text):
        i = m.start()
        start = i
        while start > i - 4 and start > 0 and text[start - 1] in _SMALL_DIGITS:
            start -= 1
        if start == i or i - start > 3:  # no numeral, or a run too long for a day
            continue
        if start and text[start - 1] in _NUMERAL_BEFORE:
            continue  # part of a longer number (百二十日...): left alone
        parts += (text[last:start], _small_int(text[start:i]))
        last = i
    return "".join(parts) + text[last:] if parts else text


# -- chrome lines ------------------------------------------------------------

_CHROME_RE = re.compile(
    r"客服热线|服务热线|咨询热线|联系电话[:：]|来源[:：]|稿源|作者[:：]|编辑[:：]|责任编辑|责编"
    r"|发布时间|发表时间|发布日期[:：]|浏览次数|阅读次数|点击数|访问量|打印本页|关闭窗口|打印此页"
    r"|分享到|扫一扫|字体[:：]?\s*[【\[]?\s*大|字号[:：]|上一篇|下一篇|相关文章|相关阅读|相关链接"
    r"|免责声明|仅供参考|版权所有|网站地图|联系我们|关于我们|返回顶部|于\d{4}年\d{1,2}月\d{1,2}日发表"
    r"|本文章内容来源于|本文来源|转载请注明|原文链接|[Aa]dmin\b|[Cc]opyright|[Ii][Cc][Pp]备"
)
_CHROME_MAX = 80  # a longer line is text, whatever words it contains


def is_chrome_line(line: str) -> bool:
    """True for a short line of site chrome (hotline, byline, share, disclaimer...).

    >>> is_chrome_line("客服热线:0755-8882 8155"), is_chrome_line("Admin - admin 于2022年05月27日发表")
    (True, True)
    >>> is_chrome_line("各地级以上市人民政府,各县(市、区)人民政府:")
    False
    """
    s = line.strip()
    return bool(s) and len(s) <= _CHROME_MAX and _CHROME_RE.search(s) is not None


def strip_chrome(text: str) -> str:
    """Drop chrome lines (see :func:`is_chrome_line`).

    >>> strip_chrome("来源：某某网\\n正文第一段\\n【打印本页】【关闭窗口】")
    '正文第一段'
    """
    # only short lines can be chrome: long paragraphs are never searched
    lines = text.splitlines()
    kept = [line for line in lines if not is_chrome_line(line)]
    return text if len(kept) == len(lines) else "\n".join(kept)


# -- the canonical body ------------------------------------------------------

_NON_ALNUM_RE = re.compile(r"[\W_]+")  # [\W_] is exactly "not str.isalnum()"
_TABLE_FROM = 256  # shorter texts: the regex is quicker than the table lookup


@lru_cache(maxsize=1)
def _alnum_table() -> Any:
    """``str.isalnum`` of every BMP code point, as a numpy bool array (built once)."""
    import numpy as np

    return np.fromiter((chr(i).isalnum() for i in range(0x10000)), dtype=bool, count=0x10000)


def alnum_only(text: str) -> str:
    """``text`` without the characters that are not letters or digits.

    Long texts go through a table lookup over their code points (a regex pass
    costs about 20 ns a character; this, a few).

    >>> alnum_only("粤府办〔2013〕52号：各地_级 Ab!") == _NON_ALNUM_RE.sub("", "粤府办〔2013〕52号：各地_级 Ab!")
    True
    >>> long = "第一条　总则。" * 100 + "𠀀x"
    >>> alnum_only(long) == _NON_ALNUM_RE.sub("", long)
    True
    """
    if len(text) < _TABLE_FROM:
        return _NON_ALNUM_RE.sub("", text)
    import numpy as np

    codes = np.frombuffer(text.encode("utf-32-le"), dtype=np.uint32)
    if int(codes.max()) >= 0x10000:  # beyond the BMP (rare): the regex
        return _NON_ALNUM_RE.sub("", text)
    kept: bytes = codes[_alnum_table()[codes]].tobytes()
    return kept.decode("utf-32-le")


def canonical_body(text: str | None) -> str:
    """The dedup form of a notice body: letters and digits only.

    NFKC; traditional -> simplified; chrome lines, pinyin glosses and masks
    removed; bracketed years and Chinese date numerals canonical; lower case;
    whitespace and punctuation dropped.

    >>> a = canonical_body("粤府办〔2013〕52号\\n各地级以上市人民政府：\\n  二〇一三年十一月二十三日")
    >>> b = canonical_body("粵府辦[2013]52號\\n客服热线:0755-8882 8155\\n各地級(jí)以上市人民政府:\\n2013年11月23日")
    >>> a == b, a
    (True, '粤府办201352号各地级以上市人民政府2013年11月23日')
    >>> canonical_body(None)
    ''
    """
    if not text:
        return ""
    return _canonical(text)


@lru_cache(maxsize=8)
def _canonical(text: str) -> str:
    # cached: the dedup rules and the dataset store ask for the same body in turn
    # (a few entries: items pass the two one after the other)
    s = strip_chrome(text)
    s = strip_pinyin(s)
    s = strip_masks(s)
    s = canonical_numerals(s)
    # brackets and punctuation go with everything that is not a letter or digit;
    # NFKC (full-width digits and letters) then runs on the much shorter rest
    s = alnum_only(s)
    if not unicodedata.is_normalized("NFKC", s):
        s = alnum_only(unicodedata.normalize("NFKC", s))
    return t2s(s).lower()


def body_hash(canon: str) -> str:
    """A short stable hash of a canonical body.

    >>> body_hash("abc")
    'a9993e364706816aba3e25717850c26c'
    """
    return hashlib.sha1(canon.encode("utf-8")).hexdigest()[:32]


@lru_cache(maxsize=4096)
def canonical_issuer(issuer: str | None) -> str:
    """Issuer for keys: NFKC, simplified, no spaces or punctuation.

    >>> canonical_issuer(" 廣東省人民政府辦公廳 ")
    '广东省人民政府办公厅'
    >>> canonical_issuer(None)
    ''
    """
    if not issuer:
        return ""
    return _NON_ALNUM_RE.sub("", t2s(unicodedata.normalize("NFKC", issuer))).lower()


# -- URLs --------------------------------------------------------------------

_TRACKING = frozenset(
    "spm from from_source fromsource source_from share_token sharer_shareid isappinstalled"
    " scene clicktime enterid wxfrom wxshare share_from ref refer referer _hsenc _hsmi"
    " gclid fbclid msclkid yclid mc_cid mc_eid bd_vid timestamp _t t_from sessionid".split()
)
_JSESSION_RE = re.compile(r";jsessionid=[^?#/]*", re.IGNORECASE)


@lru_cache(maxsize=8192)  # one URL is keyed by the middleware, the dedup and the recorder
def canonical_url(url: str | None) -> str | None:
    """URL for exact-duplicate keys and detail fingerprints.

    w3lib ``canonicalize_url`` (sorted query, no fragment), tracking
    parameters (``utm_*``, ``spm``, ``from`` ...) and ``;jsessionid``
    removed, lower-case host, scheme dropped (http and https copies are one).

    >>> canonical_url("https://WWW.Gov.cn/zhengce/content/2013-10/15/content_2507.htm?utm_source=wx&b=2&spm=a.b&a=1#top")
    '//www.gov.cn/zhengce/content/2013-10/15/content_2507.htm?a=1&b=2'
    >>> canonical_url("http://www.gov.cn/a;jsessionid=ABC?from=timeline") == canonical_url("https://www.gov.cn/a")
    True
    >>> canonical_url(None) is None
    True
    """
    if not url:
        return None
    from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

    from w3lib.url import canonicalize_url

    url = _JSESSION_RE.sub("", url.strip())
    try:
        parts = urlsplit(canonicalize_url(url))
    except ValueError:
        return url
    query = [
        (k, v)
        for k, v in parse_qsl(parts.query, keep_blank_values=True)
        if not (k.lower() in _TRACKING or k.lower().startswith("utm_"))
    ]
    host = parts.netloc.lower()
    if host.endswith(":80") or host.endswith(":443"):
        host = host.rsplit(":", 1)[0]
    return urlunsplit(("", host, parts.path or "/", urlencode(query), ""))


@lru_cache(maxsize=8192)
def url_fingerprint(url: str) -> str:
    """The fingerprint of a detail page: a hash of its canonical URL.

    >>> url_fingerprint("https://a.gov.cn/x?utm_medium=1") == url_fingerprint("http://a.gov.cn/x")
    True
    """
    return hashlib.sha1((canonical_url(url) or url).encode("utf-8")).hexdigest()
