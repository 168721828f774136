"""Whitespace, ``nbsp`` debris, pinyin glosses: pure text normalisation.

>>> clean_line("\\u3000\\u3000现将有关事项通知如下：&nbsp;")
'现将有关事项通知如下：'
>>> strip_pinyin("南(nán)沙區發(fā)展")
'南沙區發展'
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache
from importlib.resources import files
from typing import Any

#: a pinyin gloss injected after a Han character: 發(fā), 南(nán), 沙（shā）
PINYIN_GLOSS = re.compile(r"(?<=[\u3400-\u9fff])[(（][a-zāáǎàēéěèīíǐìōóǒòūúǔùǖǘǚǜüńňǹḿ]{1,6}[)）]")
#: literal entity debris left by sloppy reposting: "&nbsp;", "nbsp;", "&ensp"
NBSP_DEBRIS = re.compile(r"&?(?:nbsp|ensp|emsp|thinsp|amp;nbsp);?", re.IGNORECASE)
_SPACES = re.compile(r"[\s\u00a0\u1680\u2000-\u200b\u202f\u205f\u3000\ufeff]+")
_DROP_ZERO_WIDTH = dict.fromkeys([*range(0x200B, 0x2010), 0x2028, 0x2029, 0x2060, 0xFEFF], None)
_ZERO_WIDTH = re.compile("[\u200b-\u200f\u2028\u2029\u2060\ufeff]")
_CJK = r"\u3400-\u9fff\uf900-\ufaff"
_CJK_GAP = re.compile(
    rf"(?<=[{_CJK}，。、；：！？“”《》（）〔〕])\s+(?=[{_CJK}，。、；：！？“”《》（）〔〕])"
)


def strip_pinyin(text: str) -> str:
    """Remove pinyin glosses that reposting sites inject after characters."""
    if "(" not in text and "（" not in text:
        return text
    return PINYIN_GLOSS.sub("", text)


def clean_line(text: str) -> str:
    """One line as printed: entity debris gone, spaces collapsed, trimmed.

    >>> clean_line(" 2013年 11月 23日 ")
    '2013年 11月 23日'
    """
    if _ZERO_WIDTH.search(text):  # (a scan is cheaper than a translation of every line)
        text = text.translate(_DROP_ZERO_WIDTH)
    if "sp" in text or "SP" in text or "Sp" in text:
        text = NBSP_DEBRIS.sub(" ", text)
    text = strip_pinyin(text)
    return _SPACES.sub(" ", text).strip()


def tight(text: str) -> str:
    """Remove spaces between CJK characters (``粤 府 办`` → ``粤府办``).

    >>> tight("发 文 机 关：广东省 人民政府")
    '发文机关：广东省人民政府'
    """
    return _CJK_GAP.sub("", text)


def squeeze(text: str) -> str:
    """NFKC, pinyin glosses and all whitespace removed: a comparison key.

    >>> squeeze("粤府办 〔2013〕 52号") == squeeze("粤府办〔2013〕52号")
    True
    """
    text = unicodedata.normalize("NFKC", text or "")
    return re.sub(r"\s+", "", strip_pinyin(text))


def nfkc(text: str) -> str:
    """Unicode NFKC (full-width digits and letters to ASCII)."""
    return unicodedata.normalize("NFKC", text)


_T2S = None
#: shorter texts are converted at once; longer ones are first checked for characters t2s changes
_T2S_CHECK_FROM = 128


@lru_cache(maxsize=1)
def _t2s_table() -> Any:
    """Which BMP code points OpenCC's t2s may change (numpy bool array), or None.

    From ``gazette/data/opencc_t2s_chars.txt`` (``scripts/opencc_t2s_chars.py``);
    None when the installed OpenCC is not the version the file was made from.
    """
    import numpy as np
    import opencc

    lines = (files("gazette") / "data" / "opencc_t2s_chars.txt").read_text("utf-8").splitlines()
    if lines[0].split()[:3] != ["#", "opencc", str(opencc.__version__)]:
        return None
    table = np.zeros(0x10000, dtype=bool)
    codes = [ord(c) for c in "".join(lines[1:])]
    table[[c for c in codes if c < 0x10000]] = True
    return table


def simplified(text: str) -> str:
    """Traditional -> simplified characters (OpenCC ``t2s``, built on first use).

    A long text with none of the characters t2s changes (the usual notice)
    is returned as it is, without the conversion.

    >>> simplified("滬府發〔2017〕92號 關於")
    '沪府发〔2017〕92号 关于'
    >>> long = "关于进一步加强政府信息公开工作的通知。" * 20
    >>> simplified(long) is long, simplified(long + "發") == long + "发"
    (True, True)
    """
    global _T2S
    if _T2S is None:
        import opencc

        _T2S = opencc.OpenCC("t2s")
    if len(text) >= _T2S_CHECK_FROM and (table := _t2s_table()) is not None:
        import numpy as np

        codes = np.frombuffer(text.encode("utf-32-le"), dtype=np.uint32)
        # beyond the BMP (rare) the conversion runs
        if int(codes.max()) < 0x10000 and not table[codes].any():
            return text
    return str(_T2S.convert(text))


#: full-width letters and digits to ASCII; ASCII clause punctuation to the full-width
#: forms of printed 公文; bracket variants reposts use around a 文号 year to 〔〕.
#: One character for one, so positions in a line's view are positions in its text.
_VIEW = str.maketrans(
    {
        **{chr(c): chr(c - 0xFEE0) for c in range(0xFF10, 0xFF1A)},
        **{chr(c): chr(c - 0xFEE0) for c in range(0xFF21, 0xFF3B)},
        **{chr(c): chr(c - 0xFEE0) for c in range(0xFF41, 0xFF5B)},
        ",": "，",
        ";": "；",
        ":": "：",
        "!": "！",
        "?": "？",
        "(": "（",
        ")": "）",
        "［": "〔",
        "］": "〕",
        "﹝": "〔",
        "﹞": "〕",
        "„": "〔",
        "‟": "〕",
        "\u3000": " ",
        "\xa0": " ",
        # Kangxi radicals and CJK compatibility ideographs that look like the plain
        # characters (a repost's ``⼈民政府``): their NFKC form, one for one
        **{
            chr(c): unicodedata.normalize("NFKC", chr(c))
            for r in ((0x2E80, 0x2FE0), (0xF900, 0xFB00))
            for c in range(*r)
            if len(unicodedata.normalize("NFKC", chr(c))) == 1
            and unicodedata.normalize("NFKC", chr(c)) != chr(c)
        },
    }
)


def view(text: str) -> str:
    """The normalised view of a line that every rule reads: simplified characters,
    ASCII letters and digits, full-width clause punctuation, one bracket form, and
    the same length as ``text`` (so a position in the view is a position in the text).

    >>> view("滬府發［２０１７］92號 關於,各區:")
    '沪府发〔2017〕92号 关于，各区：'
    >>> len(view("關於印發《辦法》的通知")) == len("關於印發《辦法》的通知")
    True
    >>> view("某市⼈民政府")
    '某市人民政府'

    """
    simple = simplified(text)
    if len(simple) != len(text):  # a phrase conversion changed the length: by character
        simple = "".join(c if len(s := simplified(c)) != 1 else s for c in text)
    return simple.translate(_VIEW)
