"""Property-based tests for gazette.text (docno and dates)."""

import datetime

from hypothesis import given, settings
from hypothesis import strategies as st

from gazette.text.dates import find_dates, parse_date, to_iso
from gazette.text.docno import canonical, find_all, is_docno_line

SETTINGS = settings(max_examples=200, deadline=None)

# Text biased towards the characters these parsers care about.
_ALPHABET = st.sampled_from(
    list("0123456789０１２３４５６７８９〔〕[]［］【】（）()〈〉《》〚〛｛｝ 　\n:：-/.T")
    + list("年月日号號第字〇○零一二三四五六七八九十")
    + list("国办发粤府京政沪滬發穗岚综管规根据按照经见厅局委会院部的和与及")
)
_TEXT = st.one_of(st.text(), st.text(alphabet=_ALPHABET, max_size=60))


@SETTINGS
@given(_TEXT)
def test_never_raise(text):
    parse_date(text)
    find_dates(text)
    canonical(text)
    find_all(text)
    is_docno_line(text)


@SETTINGS
@given(_TEXT)
def test_canonical_idempotent(text):
    c = canonical(text)
    if c is not None:
        assert canonical(c) == c


@SETTINGS
@given(_TEXT)
def test_find_all_consistent(text):
    last_end = 0
    for hit in find_all(text):
        assert last_end <= hit.start < hit.end <= len(text)
        assert text[hit.start : hit.end] == hit.raw
        assert canonical(hit.raw) == hit.canonical
        assert canonical(hit.canonical) == hit.canonical
        last_end = hit.end


@SETTINGS
@given(_TEXT)
def test_parse_date_idempotent(text):
    iso = parse_date(text)
    if iso is not None:
        assert parse_date(iso) == iso


@SETTINGS
@given(_TEXT)
def test_find_dates_consistent(text):
    for f in find_dates(text):
        assert text[f.start : f.end] == f.raw
        assert parse_date(f.raw) == f.iso


_DAIZI = st.sampled_from(
    [
        "国发",
        "国办发",
        "粤府办",
        "京政发",
        "湘政办发",
        "财税",
        "金罚决字",
        "岚土征告",
        "闽政地",
        "中发",
        "国函",
        "岚综管规",
        "人社部发",
        "国土资厅发",
        "粤经信",
    ]
)
_BRACKETS = st.sampled_from(
    ["〔〕", "[]", "［］", "【】", "（）", "()", "〈〉", "《》", "〚〛", "｛｝", "[〕", "〔]"]
)
_SPACE = st.sampled_from(["", "", " ", "  ", "\u3000", "\n"])
_FW = str.maketrans("0123456789", "０１２３４５６７８９")


@SETTINGS
@given(
    daizi=_DAIZI,
    year=st.integers(1949, 2100),
    number=st.integers(1, 99999),
    brackets=_BRACKETS,
    fullwidth=st.booleans(),
    zeros=st.integers(0, 1),
    di=st.booleans(),
    hao=st.sampled_from(["号", "號", ""]),
    sp=st.lists(_SPACE, min_size=6, max_size=6),
    lead=st.sampled_from(["", "根据", "按照", "发文字号：", "文号:", "广东省人民政府办公厅"]),
)
def test_generated_roundtrip(daizi, year, number, brackets, fullwidth, zeros, di, hao, sp, lead):
    y, n = str(year), "0" * zeros + str(number)
    if len(n) > 6:
        n = str(number)
    if fullwidth:
        y, n = y.translate(_FW), n.translate(_FW)
    o, c = brackets
    raw = (
        f"{lead}{daizi}{sp[0]}{o}{sp[1]}{y}{sp[2]}{c}{sp[3]}"
        f"{'第' if di else ''}{sp[4]}{n}{sp[5] if hao else ''}{hao}"
    )
    expected = f"{daizi}〔{year}〕{number}号"
    assert canonical(raw) == expected
    hits = find_all(f"请参阅《某某通知》（{raw}）。")
    assert [h.canonical for h in hits] == [expected]
    assert is_docno_line(raw) == (lead in ("", "发文字号：", "文号:"))


@SETTINGS
@given(st.dates(min_value=datetime.date(1949, 1, 1)))
def test_generated_dates(d):
    iso = d.isoformat()
    expected = iso if d.year <= 2100 else None
    assert to_iso(d.year, d.month, d.day) == expected
    for text in (
        iso,
        f"{d.year}年{d.month}月{d.day}日",
        f"{d.year}/{d.month}/{d.day}",
        f"{d.year}.{d.month:02d}.{d.day}",
    ):
        assert parse_date(text) == expected


_CN = "〇一二三四五六七八九"


def _cn_small(n: int) -> str:
    """1..31 as written in dates: 一, 十, 十一, 二十, 二十三, 三十一."""
    tens, ones = divmod(n, 10)
    out = "" if tens == 0 else ("十" if tens == 1 else _CN[tens] + "十")
    return out + (_CN[ones] if ones else "")


@SETTINGS
@given(
    st.dates(min_value=datetime.date(1949, 1, 1)),
    st.sampled_from(["〇", "○", "О", "零", "o", "O", "Ｏ"]),
)
def test_generated_chinese_dates(d, zero):
    year = "".join(_CN[int(c)] for c in str(d.year)).replace("〇", zero)
    text = f"{year}年{_cn_small(d.month)}月{_cn_small(d.day)}日"
    expected = d.isoformat() if d.year <= 2100 else None
    assert parse_date(text) == expected
