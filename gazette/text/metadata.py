"""Metadata tables (索引号 / 发文机关 / 成文日期 / 发文字号 / 发布日期 ...).

Government disclosure pages print a label/value box above the document. The
labels vary (发文机关, 发布机构, 发文单位 ...), are padded with spaces
(``发 文 机 关``) and sit with their values in one line (``发文机关：X``), in
table cells of one row (``索引号<TAB>X<TAB>主题分类<TAB>Y``) or in the next
block. :func:`parse_lines` reads them all from a page's text lines.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import NamedTuple

#: field -> label variants, most specific first
LABELS: dict[str, tuple[str, ...]] = {
    "index_number": ("索引号", "索取号", "信息索引号"),
    "topic": ("主题分类", "主题类别", "信息分类", "分类"),
    "issuer": (
        "发文机关",
        "发文单位",
        "发文机构",
        "发布机构",
        "发布机关",
        "发布单位",
        "发布部门",
        "制定机关",
        "制发机关",
        "成文单位",
        "公开主体",
        "信息来源单位",
    ),
    "date": ("成文日期", "成文时间", "发文日期", "发文时间", "印发日期", "签发日期", "制发日期"),
    "doc_number": ("发文字号", "发文文号", "文件编号", "文件字号", "文件文号", "文号", "字号"),
    "published": (
        "发布日期",
        "发布时间",
        "公开日期",
        "公开时间",
        "发表时间",
        "发表日期",
        "上传时间",
        "发表于",
        "日期",
        "时间",
    ),
    "title": ("标题", "文件名称", "名称"),
    "validity": ("有效性", "时效性", "效力状态"),
    "source": ("来源", "信息来源", "文章来源"),
    # labels we do not export but must recognise, so that they end the value before them
    "other": (
        "公开方式",
        "公开形式",
        "公开范围",
        "公开时限",
        "生成日期",
        "时效",
        "体裁分类",
        "组配分类",
        "服务对象分类",
        "主题词",
        "关键词",
        "内容概述",
        "责任部门",
        "废止日期",
        "实施日期",
        "施行日期",
        "所属机构",
        "浏览次数",
        "访问次数",
        "作者",
        "编辑",
        "发布者",
        "发布人",
        "上传者",
        "页数",
        "格式",
        "大小",
    ),
}

_LABEL_TO_FIELD: dict[str, str] = {}
for _field, _labels in LABELS.items():
    for _label in _labels:
        _LABEL_TO_FIELD[_label] = _field


def _spaced(label: str) -> str:
    return r"[ \u3000\u00a0]*".join(re.escape(c) for c in label)


# longest labels first so that 发布日期 wins over 日期
_ALL = sorted(_LABEL_TO_FIELD, key=len, reverse=True)
LABEL_RE = re.compile(
    r"(?P<label>"
    + "|".join(_spaced(x) for x in _ALL)
    + r")[ \u3000\u00a0]*(?P<colon>[】\]]?[ \u3000\u00a0]*[:：]|[】\]]|\t|(?=\s)|$)"
)
_SPACES = re.compile(r"[ \u3000\u00a0]+")
_BEFORE_LABEL = frozenset(" \t|【[\u3000\u00a0\r\n\f\v")
#: an unknown label cell first: "发布者：教务处 发布时间：…", "上传者：x 上传时间：…"
_OTHER_LABEL = re.compile(r"^[\u4e00-\u9fff]{1,5}[ \u3000]*[:：]")
_NEXT_CELL_LABEL = re.compile(r"\t[^\t:：]{1,10}[:：]")
#: a label alone at the start of a line, then a space and a value
_BARE_LEAD = re.compile(r"^(?:" + "|".join(_spaced(x) for x in _ALL) + r") +(?![:：])\S")


class Field(NamedTuple):
    field: str
    value: str
    line: int  # index of the line (in the sequence given) holding the label


def _field_of(label: str) -> str:
    return _LABEL_TO_FIELD[_SPACES.sub("", label)]


def split_labels(line: str) -> list[tuple[str, str]]:
    """``(field, value)`` pairs of one line; ``[]`` when it holds no label.

    >>> split_labels("索 引 号： PZ00101-0200-2024-00143")
    [('index_number', 'PZ00101-0200-2024-00143')]
    >>> split_labels("发文机关\\t广东省人民政府办公厅\\t成文日期\\t2013年11月23日")
    [('issuer', '广东省人民政府办公厅'), ('date', '2013年11月23日')]
    >>> split_labels("来源：平潭县人民政府 时间：2024-02-05 10:30")
    [('source', '平潭县人民政府'), ('published', '2024-02-05 10:30')]
    >>> split_labels("各地要加强组织领导，按照时间节点推进。")
    []
    >>> split_labels(chr(9).join(["索引号：", "0000/2019-00123", "信息分级：", "主动公开"]))
    [('index_number', '0000/2019-00123')]
    >>> split_labels("【发文字号】京政办发〔2023〕14号 【发布日期】2023.06.15")
    [('doc_number', '京政办发〔2023〕14号'), ('published', '2023.06.15')]
    >>> split_labels("发布者：教务处 课程建设科发布时间：2023-03-17浏览次数：1,236")
    [('other', '教务处 课程建设科'), ('published', '2023-03-17'), ('other', '1,236')]
    >>> split_labels("本办法自发布之日起施行，发布时间以文件为准。")
    []
    >>> split_labels("文号 浙政办发〔2021〕37号 主题分类 城乡建设")
    [('doc_number', '浙政办发〔2021〕37号'), ('topic', '城乡建设')]
    """
    return _split(line, 0)


def has_labels(line: str) -> bool:
    """``bool(split_labels(line))``, reading only as far as the first pair.

    >>> has_labels("发文机关：" * 100_000), has_labels("各地要按照时间节点推进。")
    (True, False)
    """
    return bool(_split(line, 1))


def _split(line: str, limit: int) -> list[tuple[str, str]]:
    """The pairs of :func:`split_labels`, the first ``limit`` of them (0: all).

    One pass over the label matches with one match of look-ahead (a value ends
    at the next label): linear in the line.
    """
    # a label starts the line or a cell, or follows text when a colon follows it
    # ("课程建设科发布时间：2023-03-17"); it needs a colon or tab, or must start
    # the line and be followed by a value
    # a table row flattened to one line keeps its cells parted by spaces only
    # (``文号 浙政办发〔2021〕37号 主题分类 其他``): when a bare label starts a short
    # line, a bare label after a space starts the next cell
    bare_row = len(line) <= 200 and bool(_BARE_LEAD.match(line))

    def bare_cell(m: re.Match[str]) -> bool:
        return (
            bare_row and not m.group("colon") and line[m.start() - 1] == " " and m.end() < len(line)
        )

    matches = (
        m
        for m in LABEL_RE.finditer(line)
        if (
            (
                m.start() == 0
                or line[m.start() - 1] in _BEFORE_LABEL
                or m.group("colon")[-1:] in ":："
            )
            and (m.group("colon") or m.start() == 0)
        )
        or (m.start() > 0 and bare_cell(m))
    )
    out: list[tuple[str, str]] = []
    m = next(matches, None)
    i = 0
    while m is not None:
        nxt = next(matches, None)
        colon = m.group("colon")
        if not (not colon or colon.isspace() and colon != "\t") or m.start() == 0 or bare_cell(m):
            end = nxt.start() if nxt is not None else len(line)
            cell = _NEXT_CELL_LABEL.search(line, m.end(), end)
            if cell:  # another (unknown) label cell of the same table row ends the value
                end = cell.start()
            value = line[m.end() : end].strip(" \t\u3000|").rstrip(" \u3000【[")
            if i == 0:  # (only the first: a slice per label would cost the square of the line)
                head = line[: m.start()].strip(" \t\u3000【[|")
                if head and not _OTHER_LABEL.match(head):
                    # prose before the first label: not a metadata line
                    return []
            out.append((_field_of(m.group("label")), value))
            if limit and len(out) >= limit:
                return out
        m = nxt
        i += 1
    return out


def parse_lines(lines: Sequence[str], max_len: int = 160) -> list[Field]:
    """All label/value fields in ``lines`` (first occurrence per field first).

    A label whose value is empty takes the next line as value, unless that
    line holds labels itself.

    >>> fs = parse_lines(["发文机关：", "国务院办公厅", "发文字号：国办发〔2013〕100号"])
    >>> [(f.field, f.value) for f in fs]
    [('issuer', '国务院办公厅'), ('doc_number', '国办发〔2013〕100号')]
    """
    out: list[Field] = []
    for i, line in enumerate(lines):
        if len(line) > max_len:
            continue
        pairs = split_labels(line)
        for j, (name, value) in enumerate(pairs):
            if not value and j == len(pairs) - 1 and i + 1 < len(lines):
                nxt = lines[i + 1]
                if len(nxt) <= max_len and not has_labels(nxt):
                    value = nxt.strip()
            if value:
                out.append(Field(name, value, i))
    return out


def first(fields: Sequence[Field], name: str) -> Field | None:
    """The first field called ``name``."""
    for f in fields:
        if f.field == name:
            return f
    return None
