"""Fields analysts filter on, derived from a record (pure functions, no I/O).

* ``genre``: the document type the title ends with (通知, 意见, 决定, 公告 …),
  compound types folded to their base (实施意见 → 意见, 暂行办法 → 办法, 复函 → 函);
* ``issuer_level`` (``central``, ``provincial``, ``municipal``, ``county``) and
  ``issuer_region`` (the province, e.g. ``广东``) from the issuing office's
  name, else from the office the 机关代字 of the 文号 stands for
  (``gazette/data/issuer_codes.tsv``), else from a one-character province
  abbreviation leading the 代字 (``粤``, ``闽`` …);
* ``validity`` (有效性) where the record or its text prints it
  (``有效性：有效``, ``（已废止）`` in the title);
* ``body_hash``: the hash of the canonical body (the one deduplication uses).
"""

from __future__ import annotations

import re
from typing import Any

from gazette.text.canon import body_hash as _hash
from gazette.text.canon import canonical_body, t2s
from gazette.text.classify import GENRE_END
from gazette.text.issuers import office_for_code

#: province-level divisions: short name -> the names and abbreviations that mark them
PROVINCES: dict[str, tuple[str, ...]] = {
    "北京": ("北京", "京"),
    "天津": ("天津", "津"),
    "上海": ("上海", "沪"),
    "重庆": ("重庆", "渝"),
    "河北": ("河北", "冀"),
    "山西": ("山西", "晋"),
    "辽宁": ("辽宁", "辽"),
    "吉林": ("吉林", "吉"),
    "黑龙江": ("黑龙江", "黑"),
    "江苏": ("江苏", "苏"),
    "浙江": ("浙江", "浙"),
    "安徽": ("安徽", "皖"),
    "福建": ("福建", "闽"),
    "江西": ("江西", "赣"),
    "山东": ("山东", "鲁"),
    "河南": ("河南", "豫"),
    "湖北": ("湖北", "鄂"),
    "湖南": ("湖南", "湘"),
    "广东": ("广东", "粤"),
    "海南": ("海南", "琼"),
    "四川": ("四川", "川"),
    "贵州": ("贵州", "黔"),
    "云南": ("云南", "滇"),
    "陕西": ("陕西", "陕"),
    "甘肃": ("甘肃", "甘"),
    "青海": ("青海", "青"),
    "内蒙古": ("内蒙古", "蒙"),
    "广西": ("广西", "桂"),
    "西藏": ("西藏", "藏"),
    "宁夏": ("宁夏", "宁"),
    "新疆": ("新疆", "新"),
    "香港": ("香港", "港"),
    "澳门": ("澳门", "澳"),
    "台湾": ("台湾", "台"),
}
MUNICIPALITIES = ("北京", "天津", "上海", "重庆")

#: prefecture-level cities -> province (the provincial capitals, sub-provincial
#: cities and every city of 广东 and 福建, the provinces the project's spiders
#: crawl); a city not listed gives a level but no region
CITIES: dict[str, str] = {
    **dict.fromkeys(
        "广州 深圳 珠海 汕头 佛山 韶关 湛江 肇庆 江门 茂名 惠州 梅州 汕尾 河源 阳江 清远 "
        "东莞 中山 潮州 揭阳 云浮".split(),
        "广东",
    ),
    **dict.fromkeys("福州 厦门 莆田 三明 泉州 漳州 南平 龙岩 宁德 平潭".split(), "福建"),
    "石家庄": "河北",
    "太原": "山西",
    "沈阳": "辽宁",
    "大连": "辽宁",
    "长春": "吉林",
    "哈尔滨": "黑龙江",
    "南京": "江苏",
    "苏州": "江苏",
    "杭州": "浙江",
    "宁波": "浙江",
    "合肥": "安徽",
    "南昌": "江西",
    "济南": "山东",
    "青岛": "山东",
    "郑州": "河南",
    "武汉": "湖北",
    "长沙": "湖南",
    "海口": "海南",
    "三亚": "海南",
    "成都": "四川",
    "贵阳": "贵州",
    "昆明": "云南",
    "西安": "陕西",
    "兰州": "甘肃",
    "西宁": "青海",
    "呼和浩特": "内蒙古",
    "南宁": "广西",
    "拉萨": "西藏",
    "银川": "宁夏",
    "乌鲁木齐": "新疆",
}

_GENRE_BASE = {
    "实施意见": "意见",
    "指导意见": "意见",
    "实施方案": "方案",
    "工作方案": "方案",
    "实施细则": "细则",
    "管理办法": "办法",
    "暂行办法": "办法",
    "若干措施": "措施",
    "若干规定": "规定",
    "复函": "函",
}
_TRAILER = re.compile(
    r"[（(【\[](?:已废止|已失效|失效|废止|已修订|修订|试行|暂行|征求意见稿)[）)】\]]$"
)


def genre(title: str | None) -> str | None:
    """The document type the title names (its last genre word), simplified.

    >>> genre("广东省人民政府办公厅转发国务院办公厅关于进一步加强政府信息公开回应社会关切提升政府公信力意见的通知")
    '通知'
    >>> genre("关于促进消费的若干措施（试行）"), genre("國務院關於加強安全生產工作的決定")
    ('措施', '决定')
    >>> genre("关于印发实施意见的通知》"), genre("2024年工作动态"), genre(None)
    ('通知', None, None)
    """
    if not title:
        return None
    text = t2s(title).strip()
    for _ in range(2):
        text = _TRAILER.sub("", text).strip()
    m = GENRE_END.search(text)
    if not m:
        return None
    g = m.group("genre")
    return _GENRE_BASE.get(g, g)


_COUNTY = re.compile(
    r"(?:[\u4e00-\u9fff]{1,8}?(?:县|旗|区)|[\u4e00-\u9fff]{2,4}市(?=[\u4e00-\u9fff]{1,4}(?:县|区)))"
)
_CITY = re.compile(r"^([\u4e00-\u9fff]{2,4}?)(?:市|自治州|地区|盟)")
_CENTRAL = re.compile(r"^(?:中华人民共和国|国务院|中共中央|全国|国家|中国|中央|最高人民)")
_MINISTRY = re.compile(r"^[\u4e00-\u9fff]{2,12}?(?:部|总局|总署|委员会|银行|办公厅)")


def _after(name: str, prefix: str) -> str:
    return name[len(prefix) :]


def issuer_place(
    issuer: str | None, doc_number: str | None = None
) -> tuple[str | None, str | None]:
    """``(issuer_level, issuer_region)`` of an issuing office.

    >>> issuer_place("广东省人民政府办公厅")
    ('provincial', '广东')
    >>> issuer_place("广州市人民政府"), issuer_place("肇庆市端州区人民政府")
    (('municipal', '广东'), ('county', '广东'))
    >>> issuer_place("福建省平潭综合实验区管理委员会")
    ('provincial', '福建')
    >>> issuer_place("国务院办公厅"), issuer_place("财政部")
    (('central', None), ('central', None))
    >>> issuer_place("北京市人民政府"), issuer_place("上海市浦东新区人民政府")
    (('provincial', '北京'), ('county', '上海'))
    >>> issuer_place(None, "粤府办〔2013〕52号"), issuer_place(None, "粤人社发〔2020〕1号")
    (('provincial', '广东'), (None, '广东'))
    >>> issuer_place("某某县人民政府"), issuer_place(None, None)
    (('county', None), (None, None))
    """
    name = t2s(issuer or "").strip()
    if not name and doc_number:
        name = t2s(office_for_code(doc_number) or "")
    if not name:
        return None, _region_of_code(doc_number)
    for short, marks in PROVINCES.items():
        full = marks[0]
        if not name.startswith(full):
            continue
        rest = _after(name, full)
        rest = re.sub(r"^(?:省|市|壮族自治区|回族自治区|维吾尔自治区|自治区|特别行政区)", "", rest)
        if short in MUNICIPALITIES:
            return ("county" if _COUNTY.match(rest) else "provincial"), short
        if _CITY.match(rest) and not rest.startswith(("市场", "市政")):
            tail = _CITY.sub("", rest)
            return ("county" if _COUNTY.match(tail) else "municipal"), short
        if re.match(r"^[\u4e00-\u9fff]{1,6}?(?:县|旗)", rest):
            return "county", short
        return "provincial", short
    city = _CITY.match(name)
    if city and not name.startswith(("市场", "市政")):
        region = CITIES.get(city.group(1))
        tail = _CITY.sub("", name)
        return ("county" if _COUNTY.match(tail) else "municipal"), region
    if re.match(r"^[\u4e00-\u9fff]{1,8}?(?:县|旗)", name):
        return "county", None
    if _CENTRAL.match(name) or _MINISTRY.match(name):
        return "central", None
    return None, _region_of_code(doc_number)


def _region_of_code(doc_number: str | None) -> str | None:
    """The province a one-character abbreviation leading the 代字 names."""
    if not doc_number:
        return None
    first = t2s(doc_number[:1])
    for short, marks in PROVINCES.items():
        if first in marks[1:]:
            return short
    return None


VALIDITY_VALUES = (
    "部分失效",
    "已失效",
    "失效",
    "已废止",
    "废止",
    "已修订",
    "修订",
    "有效",
    "现行有效",
)
_VALIDITY_LINE = re.compile(
    r"(?:有效性|时效性|效力状态)[ \u3000]*[:：]?[ \u3000]*(" + "|".join(VALIDITY_VALUES) + ")"
)
_VALIDITY_TITLE = re.compile(r"[（(【\[](已废止|已失效|失效|废止)[）)】\]]\s*$")


def validity(record: dict[str, Any]) -> str | None:
    """有效性 where printed: the record's own ``validity``, a ``有效性：…`` line of
    its text, or a ``（已废止）`` mark ending its title; None elsewhere.

    >>> validity({"body": "索引号：1\\n有效性：失效\\n正文"}), validity({"title": "关于X的通知（已废止）"})
    ('失效', '已废止')
    >>> validity({"validity": "有效"}), validity({"title": "关于X的通知", "body": "正文"})
    ('有效', None)
    """
    own = record.get("validity")
    if isinstance(own, str) and own.strip():
        return own.strip()
    title = record.get("title") or ""
    m = _VALIDITY_TITLE.search(t2s(title))
    if m:
        return m.group(1)
    body = record.get("body") or ""
    m = _VALIDITY_LINE.search(t2s(body[:2000]))
    return m.group(1) if m else None


def body_hash(body: str | None) -> str | None:
    """Hash of the canonical body (masks, pinyin, chrome and punctuation removed), as dedup keys it.

    >>> body_hash("各地级以上市人民政府：") == body_hash("各地級以上市人民政府:"), body_hash("")
    (True, None)
    """
    canon = canonical_body(body)
    return _hash(canon) if canon else None


def derived(record: dict[str, Any]) -> dict[str, Any]:
    """Every derived field of ``record`` (``cites``/``cited_by`` are the dataset's, not here)."""
    level, region = issuer_place(record.get("issuer"), record.get("doc_number"))
    return {
        "genre": genre(record.get("title")),
        "issuer_level": level,
        "issuer_region": region,
        "validity": validity(record),
        "body_hash": body_hash(record.get("body")),
    }
