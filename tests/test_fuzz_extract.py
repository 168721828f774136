"""Fuzzing the parsers and the whole extraction path (issue 6, part 4).

* Hypothesis properties for what ``test_text_properties.py`` does not cover:
  metadata labels, the page model, charset decoding, bodies, URLs, and
  :func:`gazette.extract.extract_html` on arbitrary text and bytes.
* A seeded mutation run over real-looking pages (the fault server's notices,
  UTF-8 and GBK, and the spider fixtures): byte flips, cut-offs, 10k-level
  nesting, huge attributes, unclosed comments, stray ``</html>``, NUL bytes.
  No exception may escape and each page must extract within a time bound.
"""

from __future__ import annotations

import random
import subprocess
import sys
import time
from pathlib import Path

import pytest
from faultserver import ROOT, ChaosSite, notice_html
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from gazette.extract import extract_html
from gazette.items import FIELDS
from gazette.text.canon import canonical_body, canonical_url, url_fingerprint
from gazette.text.docno import canonical as canonical_docno
from gazette.text.encoding import declared_encoding, decode, normalise_label
from gazette.text.metadata import LABELS, parse_lines, split_labels
from gazette.text.normalize import clean_line
from gazette.text.page import build_page

SETTINGS = settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
#: seconds one fuzzed page may take (the real budget is far lower: ~10 ms a page)
PAGE_BUDGET = 2.0
URL = "http://127.0.0.1:8000/zwgk/tzgg/202403/t20240315_1000123.htm"

_LABEL_WORDS = [x for labels in LABELS.values() for x in labels]
_META_ALPHABET = st.sampled_from(
    list("：:\t 　|【】[]-0123456789年月日号〔〕") + _LABEL_WORDS + list("广东省人民政府办公厅国发")
)
_META_LINE = st.one_of(
    st.text(max_size=80),
    st.lists(_META_ALPHABET, max_size=30).map("".join),
)
_HTML_BITS = st.sampled_from(
    [
        "<p>",
        "</p>",
        "<div>",
        "</div>",
        "<table><tr><td>",
        "</td><td>",
        "</td></tr></table>",
        "<br>",
        "<!--",
        "-->",
        "</html>",
        "</body>",
        "<script>",
        "</script>",
        "<style>",
        '<a href="x">',
        "</a>",
        "<h1>",
        "</h1>",
        "<title>",
        "&nbsp;",
        "&#x4e2d;",
        "&amp",
        "<![CDATA[",
        "]]>",
        "<?xml version='1.0'?>",
        '<meta charset="gbk">',
        "发文字号：",
        "岚综管办〔2024〕3号",
        "关于做好防汛工作的通知",
        "各区人民政府：",
        "现将有关事项通知如下。",
        "2024年3月15日",
        "平潭综合实验区管理委员会",
        "\n",
        " ",
        "\u3000",
        "\x00",
    ]
)
_HTML = st.one_of(st.text(max_size=300), st.lists(_HTML_BITS, max_size=60).map("".join))
_CTYPES = st.one_of(
    st.none(),
    st.text(max_size=40),
    st.sampled_from(
        [
            "text/html",
            "text/html; charset=utf-8",
            "text/html; charset=GBK",
            "text/html; charset=gb2312",
            "text/html; charset=big5",
            "text/html; charset=nonsense",
            "text/html; charset=utf-16",
            'text/html; charset="',
            "application/octet-stream",
        ]
    ),
)


# -- metadata ------------------------------------------------------------------------------


@SETTINGS
@given(_META_LINE)
def test_split_labels_never_raises_and_values_come_from_the_line(line: str) -> None:
    for field, value in split_labels(line):
        assert field in LABELS
        assert value in line


@SETTINGS
@given(st.lists(_META_LINE, max_size=8))
def test_parse_lines_never_raises_and_points_at_its_lines(lines: list[str]) -> None:
    for f in parse_lines(lines):
        assert f.field in LABELS
        assert 0 <= f.line < len(lines)
        assert f.value.strip()


@SETTINGS
@given(
    label=st.sampled_from(sorted({x for labels in LABELS.values() for x in labels})),
    sep=st.sampled_from(["：", ":", "\t", "： ", " ：\u3000"]),
    value=st.sampled_from(
        ["广东省人民政府办公厅", "粤府办〔2013〕52号", "2013年11月23日", "PZ00101-2024-00143"]
    ),
)
def test_a_label_and_its_value_round_trip(label: str, sep: str, value: str) -> None:
    from gazette.text.metadata import _LABEL_TO_FIELD

    assert split_labels(f"{label}{sep}{value}") == [(_LABEL_TO_FIELD[label], value)]


# -- page model ----------------------------------------------------------------------------


@SETTINGS
@given(_HTML)
def test_build_page_never_raises_and_lines_are_clean(text: str) -> None:
    page = build_page(text, url=URL)
    for i, line in enumerate(page.lines):
        assert line.index == i
        assert line.text and line.text == line.text.strip()
        assert "\n" not in line.text
        assert 0 <= line.link <= len(line.text)


@SETTINGS
@given(st.text(max_size=200))
def test_clean_line_is_idempotent(text: str) -> None:
    once = clean_line(text)
    assert clean_line(once) == once


@SETTINGS
@given(
    st.lists(
        st.sampled_from(["甲", "乙", "丙", "通知", "。", "，", "2024", "号"]),
        min_size=1,
        max_size=30,
    )
)
def test_paragraph_text_survives_the_page_model(words: list[str]) -> None:
    para = "".join(words)
    page = build_page(f"<html><body><div><p>{para}</p></div></body></html>")
    assert [ln.text for ln in page.lines] == [clean_line(para)] if clean_line(para) else []


# -- encoding ------------------------------------------------------------------------------


@SETTINGS
@given(st.binary(max_size=400), _CTYPES)
def test_decode_never_raises(body: bytes, ctype: str | None) -> None:
    text, encoding = decode(body, ctype)
    assert isinstance(text, str) and isinstance(encoding, str)
    declared_encoding(body, ctype)


@SETTINGS
@given(st.text(max_size=40).filter(lambda s: "\x00" not in s))
def test_normalise_label_never_raises(label: str) -> None:
    out = normalise_label(label)
    assert out is None or normalise_label(out) == out


def test_normalise_label_with_nul() -> None:
    assert normalise_label("utf\x008") is None


@SETTINGS
@given(st.text(max_size=200), _CTYPES)
def test_utf8_bytes_round_trip_whatever_the_label(text: str, ctype: str | None) -> None:
    body = text.encode("utf-8")
    if body.startswith(b"\xef\xbb\xbf"):
        return
    assert decode(body, ctype) == (text, "utf-8")


_CJK = st.text(
    alphabet=st.characters(min_codepoint=0x4E00, max_codepoint=0x9FA5), min_size=1, max_size=80
)


@SETTINGS
@given(_CJK, st.sampled_from(["gbk", "gb2312", "GB18030", "utf-8", None]))
def test_gbk_bytes_round_trip_when_they_are_not_utf8(text: str, label: str | None) -> None:
    body = text.encode("gb18030")
    try:
        body.decode("utf-8")
    except UnicodeDecodeError:
        pass
    else:
        return  # bytes valid as both: UTF-8 wins by design (documented)
    ctype = f"text/html; charset={label}" if label else None
    assert decode(body, ctype) == (text, "gb18030")


@SETTINGS
@given(st.text(max_size=100), st.sampled_from(["utf-8-sig", "utf-16", "utf-16-be"]))
def test_bom_decides(text: str, codec: str) -> None:
    import codecs

    body = text.encode(codec)
    if codec == "utf-16-be":
        body = codecs.BOM_UTF16_BE + body
    assert decode(body, "text/html; charset=gbk")[0] == text


# -- content and canonical forms ---------------------------------------------------------------


@SETTINGS
@given(st.one_of(st.none(), st.text(max_size=300), _HTML))
def test_canonical_body_never_raises_and_is_idempotent(text: str | None) -> None:
    once = canonical_body(text)
    assert canonical_body(once) == once


@SETTINGS
@given(
    host=st.sampled_from(["www.gov.cn", "WWW.PINGTAN.GOV.CN", "127.0.0.1:8000"]),
    path=st.text(alphabet="abc/_.-0123456789", max_size=30),
    query=st.dictionaries(
        st.sampled_from(["a", "b", "utm_source", "spm", "page", "from"]),
        st.text(alphabet="xyz019", max_size=4),
        max_size=4,
    ),
    scheme=st.sampled_from(["http", "https"]),
)
def test_canonical_url_is_idempotent_and_scheme_blind(
    host: str, path: str, query: dict[str, str], scheme: str
) -> None:
    q = "&".join(f"{k}={v}" for k, v in query.items())
    url = f"{scheme}://{host}/{path}" + (f"?{q}" if q else "")
    c = canonical_url(url)
    assert c is not None
    assert canonical_url("http:" + c) == c
    assert url_fingerprint(url) == url_fingerprint(url.replace(scheme + "://", "https://", 1))


@SETTINGS
@given(st.text(max_size=60))
def test_canonical_docno_shape(text: str) -> None:
    import re

    c = canonical_docno(text)
    if c is not None:
        assert re.fullmatch(r".+〔\d{4}〕\d+号", c), c


# -- the whole extraction path on arbitrary input --------------------------------------------


@SETTINGS
@given(_HTML, _CTYPES)
def test_extract_html_never_raises_on_text(text: str, ctype: str | None) -> None:
    record = extract_html(
        text.encode("utf-8", "surrogatepass"), url=URL, headers={"content-type": ctype or ""}
    )
    assert list(record)[: len(FIELDS)] == list(FIELDS)
    assert isinstance(record["is_notice"], bool)
    assert record["body"] is None or isinstance(record["body"], str)


@SETTINGS
@given(st.binary(max_size=2000))
def test_extract_html_never_raises_on_bytes(body: bytes) -> None:
    extract_html(body, url=URL)
    extract_html(body, url=None)


# -- mutation run over real pages ---------------------------------------------------------------


def _seed_pages() -> list[bytes]:
    site = ChaosSite(notices=4, faults=False)
    pages = [notice_html(n).encode("utf-8") for n in site.notices]
    pages += [notice_html(n, charset="gbk").encode("gbk") for n in site.notices[:2]]
    pages.append(notice_html(site.notices[0], malformed=True).encode())
    fixtures = sorted((ROOT / "tests" / "fixtures").rglob("*.htm*"))
    rng = random.Random(6)
    for path in rng.sample(fixtures, min(12, len(fixtures))):
        pages.append(path.read_bytes()[:300_000])
    return pages


def _mutate(page: bytes, rng: random.Random) -> tuple[str, bytes]:
    kind = rng.choice(
        [
            "flip",
            "cut",
            "deep",
            "deep_inside",
            "huge_attr",
            "many_attrs",
            "comment",
            "stray_end",
            "nul",
            "splice",
            "repeat",
            "entity",
        ]
    )
    n = len(page)
    at = rng.randrange(n + 1)
    if kind == "flip":
        data = bytearray(page)
        for _ in range(rng.randint(1, 64)):
            if data:
                data[rng.randrange(len(data))] = rng.randrange(256)
        return kind, bytes(data)
    if kind == "cut":
        return kind, page[:at]
    if kind == "deep":
        depth = 10_000
        tag = rng.choice([b"div", b"span", b"table", b"font", b"b"])
        return kind, b"<" + tag + b">" * 1 + (b"<" + tag + b">") * depth + page + (
            b"</" + tag + b">"
        ) * depth
    if kind == "deep_inside":
        return kind, page[:at] + b"<div><span>" * 5_000 + page[at:]
    if kind == "huge_attr":
        return kind, page[:at] + b'<p title="' + b"x" * 2_000_000 + b'">' + page[at:]
    if kind == "many_attrs":
        attrs = b" ".join(b"a%d=1" % i for i in range(3000))
        return kind, page[:at] + b"<p " + attrs + b">" + page[at:]
    if kind == "comment":
        return kind, page[:at] + b"<!-- unclosed " + page[at:]
    if kind == "stray_end":
        return kind, page[:at] + b"</html></body>" + page[at:]
    if kind == "nul":
        return kind, page[:at] + b"\x00" * rng.randint(1, 1000) + page[at:]
    if kind == "splice":
        other = rng.randrange(n + 1)
        return kind, page[:at] + page[other:]
    if kind == "repeat":
        return kind, page[:at] + page[at : at + 2000] * 50 + page[at:]
    return kind, page[:at] + b"&#xFFFFFFFF;&#0;&#55296;&bogus;&" * 100 + page[at:]


def test_mutated_pages_extract_without_error_in_bounded_time() -> None:
    rng = random.Random(20240315)
    seeds = _seed_pages()
    slow: list[tuple[str, float]] = []
    failures: list[tuple[str, str]] = []
    started = time.monotonic()
    count = 0
    for seed_index, page in enumerate(seeds):
        for _ in range(12):
            kind, data = _mutate(page, rng)
            t = time.monotonic()
            try:
                record = extract_html(data, url=URL, headers={"content-type": "text/html"})
                assert isinstance(record["is_notice"], bool)
            except Exception as exc:  # noqa: BLE001 - collected and reported below
                failures.append((f"{seed_index}/{kind}", repr(exc)[:300]))
            took = time.monotonic() - t
            if took > PAGE_BUDGET:
                slow.append((f"{seed_index}/{kind}", round(took, 2)))
            count += 1
    assert count >= 200
    assert not failures, failures
    assert not slow, slow
    assert time.monotonic() - started < 60


def test_mutated_pages_through_the_spider_and_the_fault_checks() -> None:
    """The crawl path: fault classification, detail parsing and link following."""
    from scrapy.http import HtmlResponse, Request

    from gazette.crawl.faults import page_faults
    from gazette.spiders.site import SiteSpider

    list_url = "http://127.0.0.1:8000/zwgk/tzgg/index.html"
    spider = SiteSpider(start_url=list_url)
    rng = random.Random(6)
    for page in _seed_pages():
        for _ in range(6):
            kind, data = _mutate(page, rng)
            t = time.monotonic()
            page_faults(data, "text/html")
            detail = HtmlResponse(
                URL, body=data, request=Request(URL, meta={"gazette_detail": True})
            )
            items = list(spider.parse_detail(detail))
            listing = HtmlResponse(list_url, body=data, request=Request(list_url))
            requests = list(spider.parse_list(listing))
            for r in [*items, *requests]:
                if isinstance(r, Request):
                    assert spider.in_domain(r.url), (kind, r.url)
            assert time.monotonic() - t < PAGE_BUDGET * 2, kind


def test_ten_thousand_levels_of_nesting() -> None:
    page = notice_html(ChaosSite(notices=1, faults=False).notices[0])
    for tag in ("div", "span", "table", "li"):
        data = f"<{tag}>" * 10_000 + page + f"</{tag}>" * 10_000
        t = time.monotonic()
        record = extract_html(data.encode(), url=URL)
        assert time.monotonic() - t < PAGE_BUDGET
        assert isinstance(record["is_notice"], bool)


def test_xml_external_entities_are_not_resolved(tmp_path: Path) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text("TOP-SECRET-CONTENT", "utf-8")
    page = notice_html(ChaosSite(notices=1, faults=False).notices[0])
    doctype = (
        f'<?xml version="1.0"?><!DOCTYPE html [<!ENTITY xxe SYSTEM "file://{secret}">'
        '<!ENTITY lol "lollollollollol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;">]>'
    )
    data = doctype + page.replace("<h1>", "<h1>&xxe;&lol2;", 1)
    t = time.monotonic()
    record = extract_html(data.encode(), url=URL)
    assert time.monotonic() - t < PAGE_BUDGET
    assert "TOP-SECRET" not in repr(record)


# -- regressions of bugs found by fuzzing -------------------------------------------------------------


def test_long_unpunctuated_line_extracts_in_bounded_time() -> None:
    code = (
        "import sys; sys.path.insert(0, 'tests')\n"
        "from faultserver import ChaosSite, notice_html\n"
        "from gazette.extract import extract_html\n"
        "page = notice_html(ChaosSite(notices=1, faults=False).notices[0])\n"
        "page = page.replace('</h1>', '</h1><p>' + '字' * 60000 + '</p>')\n"
        "extract_html(page.encode(), url='http://x/t20240101_1.htm')\n"
    )
    try:
        subprocess.run([sys.executable, "-c", code], cwd=str(ROOT), timeout=3, check=True)
    except subprocess.TimeoutExpired:
        pytest.fail("extract_html took more than 3 s on a 60,000-character line")


def test_many_unclosed_font_tags_keep_the_whole_body() -> None:
    notice = ChaosSite(notices=1, faults=False).notices[0]
    page = notice_html(notice)
    paras = "".join(f"<p><font face='仿宋'>第{i}段，现将有关事项通知如下。" for i in range(400))
    page = page.replace(f"<p>{notice.recipients}：</p>", f"<p>{notice.recipients}：</p>" + paras)
    record = extract_html(page.encode(), url=URL)
    assert "第399段" in (record["body"] or "")
    assert record["date"] == notice.date
