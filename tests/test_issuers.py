"""Issuer (发文机关) rules: office names, signature lines, title prefixes, 机关代字."""

from __future__ import annotations

import pytest

from gazette.text import issuers

OFFICES = [
    "国务院办公厅",
    "广东省人民政府办公厅",
    "平潭综合实验区管委会办公室",
    "平潭县人民政府",
    "国家税务总局甘肃省税务局",
    "国家金融监督管理总局甘肃监管局",
    "中国人民银行甘肃省分行",
    "全国人民代表大会常务委员会",
    "某县森林防灭火指挥部办公室",
    "甘肃省发展和改革委员会",
    "广州市人民政府",
    "市财政局",
]
NOT_OFFICES = [
    "各地级以上市人民政府，各县（市、区）人民政府：",
    "现将有关事项通知如下",
    "2013年11月23日",
    "关于做好防汛工作的通知",
    "特此公告",
    "",
    "局",
]


@pytest.mark.parametrize("name", OFFICES)
def test_is_office(name):
    assert issuers.is_office(name)


@pytest.mark.parametrize("text", NOT_OFFICES)
def test_is_not_office(text):
    assert not issuers.is_office(text)


@pytest.mark.parametrize(
    "line, offices",
    [
        (
            "甘肃省发展和改革委员会 甘肃省工业和信息化厅",
            ["甘肃省发展和改革委员会", "甘肃省工业和信息化厅"],
        ),
        ("甘肃省财政厅\u2002家税务总局甘肃省税务局", ["甘肃省财政厅", "家税务总局甘肃省税务局"]),
        ("国务院办公厅", ["国务院办公厅"]),
        ("中共某市委办公室\u3000某市人民政府办公室", ["中共某市委办公室", "某市人民政府办公室"]),
    ],
)
def test_signature_lines(line, offices):
    assert issuers.is_office_line(line)
    assert issuers.split_offices(line) == offices


@pytest.mark.parametrize(
    "title, office",
    [
        ("广东省人民政府办公厅转发国务院办公厅关于…意见的通知", "广东省人民政府办公厅"),
        ("甘肃省发展和改革委员会等部门关于印发《若干措施》的通知", "甘肃省发展和改革委员会"),
        ("国务院关于促进服务消费高质量发展的意见", "国务院"),
        ("平潭综合实验区管委会办公室关于印发《办法》的通知", "平潭综合实验区管委会办公室"),
        ("某市财政局 某市税务局联合印发《办法》的通知", None),
        ("关于做好2024年春节期间有关工作的通知", None),
        ("全国人民代表大会常务委员会关于批准…的决议", "全国人民代表大会常务委员会"),
        ("某省教育厅等5个部门关于加强学生心理健康工作的通知", "某省教育厅"),
        (None, None),
    ],
)
def test_from_title(title, office):
    assert issuers.from_title(title) == office


@pytest.mark.parametrize(
    "docno, office",
    [
        ("穗府〔2011〕15号", "广州市人民政府"),
        ("粤府办〔2013〕52号", "广东省人民政府办公厅"),
        ("国办发〔2013〕100号", "国务院办公厅"),
        ("国发〔2015〕4号", "国务院"),
        ("岚综管办规〔2024〕3号", "平潭综合实验区管委会办公室"),
        ("沪府发〔2017〕92号", "上海市人民政府"),
        ("京政办发〔2020〕3号", "北京市人民政府办公厅"),
        ("鄂政发〔2019〕1号", "湖北省人民政府"),
        ("无此代字〔2019〕1号", None),
        (None, None),
    ],
)
def test_office_for_code(docno, office):
    assert issuers.office_for_code(docno) == office
