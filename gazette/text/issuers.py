"""Issuing offices (发文机关): office-name shapes, signatures, 机关代字 lookup.

>>> is_office("广东省人民政府办公厅")
True
>>> is_office("各地级以上市人民政府，各县（市、区）人民政府：")
False
>>> split_offices("甘肃省财政厅\\u2002家税务总局甘肃省税务局")
['甘肃省财政厅', '家税务总局甘肃省税务局']
>>> office_for_code("穗府〔2011〕15号")
'广州市人民政府'
>>> from_title("广东省人民政府办公厅转发国务院办公厅关于…意见的通知")
'广东省人民政府办公厅'
>>> from_title("甘肃省发展和改革委员会等部门关于印发《若干措施》的通知")
'甘肃省发展和改革委员会'
"""

from __future__ import annotations

import re
from functools import lru_cache
from importlib import resources

#: how office names end
OFFICE_SUFFIX = (
    r"(?:人民政府|政府|办公厅|办公室|委员会|管委会|管理委员会|常务委员会|常委会|人大常委会|"
    r"代表大会|领导小组|指挥部|联席会议|总局|总署|监管局|税务局|分局|分行|支行|银行|法院|检察院|"
    r"研究院|学院|大学|中心|集团|公司|联合会|协会|学会|商会|工会|妇联|团委|党委|党组|纪委|监委|"
    r"厅|局|委|部|署|院|会|办|处|所|站|队|行|社|馆|台)"
)
_OFFICE = re.compile(rf"^[\u3400-\u9fff（）()·]{{2,40}}?{OFFICE_SUFFIX}$")
_PROSE = re.compile(r"[。，,；;：:！!？?“”\"《》、]|关于|通知|如下")
_SEP = re.compile(r"[\s\u2002\u2003\u3000\u00a0]+")
_TITLE_LEAD = re.compile(
    rf"^(?P<office>[\u3400-\u9fff（）()]{{2,60}}?{OFFICE_SUFFIX})"
    r"(?:等\d*个?(?:部门|单位|机关))?(?:联合)?(?:关于|转发|印发|批转|发布|公布)"
)


def is_office(text: str) -> bool:
    """Does ``text`` read as one office name (no prose, office-like ending)?"""
    text = text.strip()
    if not text or len(text) > 40 or _PROSE.search(text):
        return False
    return bool(_OFFICE.match(text))


def split_offices(line: str) -> list[str]:
    """Office names of one signature line (joint signatures: spaces, ``&ensp;``)."""
    parts = [p for p in _SEP.split(line.strip()) if p]
    return parts


def is_office_line(line: str) -> bool:
    """A signature line: one or more office names and nothing else.

    >>> is_office_line("国家金融监督管理总局甘肃监管局 中国人民银行甘肃省分行")
    True
    >>> is_office_line("现将有关事项通知如下")
    False
    """
    parts = split_offices(line)
    return bool(parts) and len(parts) <= 6 and all(is_office(p) for p in parts)


def offices_in_title(title: str | None) -> list[str]:
    """The offices a title names before 关于/转发/印发, in printed order: one
    (``XX关于…的通知``) or, for a joint document, several parted by spaces.

    >>> offices_in_title("成都市发展和改革委员会 成都市住房和城乡建设局 关于印发某方案的通知")
    ['成都市发展和改革委员会', '成都市住房和城乡建设局']
    """
    if not title:
        return []
    m = _JOINT_LEAD.search(title.strip())
    if m and len(split_offices(head := title.strip()[: m.start()])) > 1 and is_office_line(head):
        return split_offices(head)
    one = from_title(title)
    return [one] if one else []


_JOINT_LEAD = re.compile(r"\s+(?:联合)?(?:关于|转发|印发|批转)")


def split_cell(value: str) -> list[str]:
    """The offices of a metadata cell: ``国务院、中央军委`` → both; [] when any part
    is not an office name.

    >>> split_cell("国务院、中央军委"), split_cell("广东省人民政府办公厅"), split_cell("见附件")
    (['国务院', '中央军委'], ['广东省人民政府办公厅'], [])
    """
    parts = [p for p in _CELL_SEP.split(value.strip()) if p]
    if not parts or len(parts) > 8 or not all(is_office(p) for p in parts):
        return []
    return parts


_CELL_SEP = re.compile(r"[\s\u2002\u2003\u3000\u00a0、，,；;]+")


def from_title(title: str | None) -> str | None:
    """The office a title names before 关于/转发/印发 (``XX关于…的通知``)."""
    if not title:
        return None
    m = _TITLE_LEAD.match(title.strip())
    if not m:
        return None
    office = m.group("office")
    return office if is_office(office) else None


@lru_cache(maxsize=1)
def _codes() -> dict[str, str]:
    text = resources.files("gazette").joinpath("data/issuer_codes.tsv").read_text("utf-8")
    out: dict[str, str] = {}
    for line in text.splitlines():
        if line and not line.startswith("#") and "\t" in line:
            code, office = line.split("\t", 1)
            out[code.strip()] = office.strip()
    return out


_CODE = re.compile(r"^([\u3400-\u9fff]+)")


_SERIAL = re.compile(r"^([\u3400-\u9fff]{2,})(?:公告|令)(?:\d{4}年)?第\d+号$")


def office_for_code(doc_number: str | None) -> str | None:
    """The office a canonical 文号's 机关代字 stands for (longest known prefix);
    a 公告 or 令 number names its office itself.

    >>> office_for_code("国家税务总局公告2023年第1号")
    '国家税务总局'
    """
    if not doc_number:
        return None
    serial = _SERIAL.match(doc_number)
    if serial:
        return serial.group(1)
    m = _CODE.match(doc_number)
    if not m:
        return None
    code = m.group(1)
    codes = _codes()
    for n in range(len(code), 1, -1):
        office = codes.get(code[:n])
        if office and (n == len(code) or n >= 2):
            return office
    return None
