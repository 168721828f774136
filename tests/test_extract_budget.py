"""A hostile or broken page costs a bounded reading, and every cut is said on the record.

Small sizes only: the speed and the scaling are measured by ``benchmarks/hostile.py``.
"""

from __future__ import annotations

import pytest

from gazette.extract import extract_html
from gazette.text import page as page_mod
from gazette.text.metadata import has_labels, split_labels

HEAD = "<html><head><meta charset='utf-8'><title>某市某某管理办法</title></head><body>"


def html(body: str) -> bytes:
    return (HEAD + body + "</body></html>").encode()


ARTICLES = "".join(f"第{i}条 为了规范管理，根据有关规定，制定本办法。" for i in range(1, 4))


def test_unclosed_spans_of_a_word_export_are_read_to_the_end():
    # one <span> left open per paragraph: past libxml2's depth every later line was lost
    paras = "".join(f"<span><p>第{i}条 为了规范管理，制定本办法。</p>" for i in range(1, 2601))
    r = extract_html(
        html("<h1>某市某某管理办法</h1>" + paras + "<p>某市人民政府</p><p>2024年3月6日</p>")
    )
    assert r["body"].rstrip().endswith("第2600条 为了规范管理，制定本办法。")
    assert r["date"] == "2024-03-06"
    assert "cut" not in r


def test_unclosed_div_ladder_is_read_to_the_end():
    paras = "".join(f"<div>第{i}条 为了规范管理，制定本办法。" for i in range(1, 3001))
    r = extract_html(html("<h1>某市某某管理办法</h1>" + paras))
    assert "第3000条" in r["body"]
    assert "cut" not in r


def test_nesting_past_the_parser_depth_is_recorded_as_a_cut():
    # many different tags, each under the flattening threshold, nest past the limit
    tags = "nav header footer main aside figure details fieldset form address div span".split()
    opens = "".join(f"<{tags[i % len(tags)]}>" for i in range(page_mod.MAX_DEPTH + 50))
    r = extract_html(html(opens + "<p>深处的文字，一句。</p>"))
    assert r["cut"] == "depth"


def test_a_page_past_its_line_budget_is_cut_and_says_so(monkeypatch):
    monkeypatch.setattr(page_mod, "MAX_LINES", 50)
    body = "<h1>某市某某管理办法</h1>" + "".join(f"<p>第{i}条 规定，内容。</p>" for i in range(200))
    r = extract_html(html(body))
    assert r["cut"] == "lines"
    assert "第199条" not in (r["body"] or "")


def test_a_page_past_its_text_budget_is_cut_and_says_so(monkeypatch):
    monkeypatch.setattr(page_mod, "MAX_TEXT", 2_000)
    r = extract_html(html("<div>" + "发文机关：" * 5_000 + "</div>"))
    assert r["cut"] == "text"
    assert r["is_notice"] is False


def test_a_page_of_bare_elements_is_cut_at_the_node_budget(monkeypatch):
    monkeypatch.setattr(page_mod, "MAX_NODES", 1_000)
    r = extract_html(html("<p>" + "<br>" * 5_000 + "第一条 正文。</p>"))
    assert r["cut"] == "nodes"


def test_a_whole_page_carries_no_cut():
    r = extract_html(html("<h1>某市某某管理办法</h1><p>" + ARTICLES + "</p>"))
    assert "cut" not in r


@pytest.mark.parametrize("n", [1, 10, 1_000])
def test_repeated_labels_split_as_before(n):
    line = "发文机关：" * n
    assert len(split_labels(line)) == n
    assert has_labels(line)


def test_label_split_reads_prose_before_a_label_as_no_table():
    assert split_labels("各地要加强组织领导，发布时间：以文件为准") == []
    assert not has_labels("各地要加强组织领导，发布时间：以文件为准")
