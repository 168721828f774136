"""``gazette extract``: files, manifests, output file, errors, odd inputs."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from gazette.cli import main

FIXTURES = Path(__file__).parent / "fixtures" / "extract"
GOVCN = FIXTURES / "govcn_zhengceku.html"
GKMLPT = FIXTURES / "gkmlpt_detail.html"
SEED = FIXTURES / "seed_repost.html"
GBK = FIXTURES / "gbk_gb2312.html"
TRAD = FIXTURES / "traditional_repost.html"
NEWS = FIXTURES / "neg_gov_news.html"


def run(capsys, *argv: str) -> tuple[int, str, str]:
    rc = main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return rc, out, err


def records(text: str) -> list[dict]:
    return [json.loads(line) for line in text.splitlines() if line.strip()]


# -- files ---------------------------------------------------------------------


def test_files_one_record_each_in_input_order(capsys):
    order = [SEED, GOVCN, NEWS, GKMLPT]
    rc, out, err = run(capsys, "extract", *order)
    assert rc == 0, err
    recs = records(out)
    assert [r["source_path"] for r in recs] == [str(p) for p in order]
    assert [r["doc_number"] for r in recs] == [
        "惠府办〔2019〕17号",
        "国办发〔2023〕41号",
        None,
        "粤办函〔2021〕148号",
    ]
    assert [r["is_notice"] for r in recs] == [True, True, False, True]
    assert all(r["spider"] == "cli" for r in recs)


def test_output_is_utf8_not_unicode_escapes(capsys):
    rc, out, _ = run(capsys, "extract", GOVCN)
    assert rc == 0
    assert "国务院办公厅" in out
    assert "\\u" not in out
    assert out.endswith("\n") and out.count("\n") == 1


def test_every_contract_key_present(capsys):
    from gazette.items import FIELDS

    _, out, _ = run(capsys, "extract", GKMLPT)
    (rec,) = records(out)
    assert set(FIELDS) <= set(rec)
    assert rec["title"] == "广东省人民政府办公厅关于开展2021年全省海岸线保护专项督查的通知"


def test_url_option_applies_to_the_single_file(capsys):
    url = "https://www.gov.cn/zhengce/zhengceku/202311/content_6915388.htm"
    rc, out, _ = run(capsys, "extract", "--url", url, GOVCN)
    assert rc == 0
    (rec,) = records(out)
    assert rec["url"] == url
    assert rec["site"] == "www.gov.cn"


def test_url_option_with_several_files_is_a_usage_error(capsys):
    rc, out, err = run(capsys, "extract", "--url", "http://x.example/", GOVCN, SEED)
    assert rc == 2
    assert out == ""
    assert "--url" in err


# -- manifest ------------------------------------------------------------------


def test_manifest_keeps_order_resolves_relative_paths_and_urls(tmp_path, capsys):
    manifest = tmp_path / "pages.tsv"
    rel = os.path.relpath(FIXTURES, tmp_path)
    manifest.write_text(
        "# path<TAB>url\n"
        f"{rel}/gkmlpt_detail.html\thttp://www.gd.gov.cn/gkmlpt/content/3/3311/post_3311987.html\n"
        "\n"
        f"{rel}/seed_flat.html\t\n"
        f"{GBK}\n",
        encoding="utf-8",
    )
    rc, out, err = run(capsys, "extract", "--manifest", manifest)
    assert rc == 0, err
    recs = records(out)
    assert [Path(r["source_path"]).name for r in recs] == [
        "gkmlpt_detail.html",
        "seed_flat.html",
        "gbk_gb2312.html",
    ]
    assert all(Path(r["source_path"]).resolve().is_file() for r in recs)
    assert recs[0]["url"].startswith("http://www.gd.gov.cn/")
    assert recs[0]["site"] == "www.gd.gov.cn"
    assert recs[1]["url"] is None and recs[2]["url"] is None
    assert recs[1]["doc_number"] == "惠府办〔2019〕17号"


def test_manifest_and_files_together(tmp_path, capsys):
    manifest = tmp_path / "m.tsv"
    manifest.write_text(f"{TRAD}\n", encoding="utf-8")
    rc, out, _ = run(capsys, "extract", "--manifest", manifest, NEWS)
    assert rc == 0
    assert [Path(r["source_path"]).name for r in records(out)] == [TRAD.name, NEWS.name]


def test_output_option_writes_a_file(tmp_path, capsys):
    dest = tmp_path / "out.jsonl"
    rc, out, err = run(capsys, "extract", GOVCN, SEED, "-o", dest)
    assert rc == 0, err
    assert out == ""
    text = dest.read_text(encoding="utf-8")
    assert "\\u" not in text
    assert [r["title"][:6] for r in records(text)] == ["国务院办公厅", "惠州市人民政"]
    assert not list(tmp_path.glob("*.part"))


# -- errors --------------------------------------------------------------------


def test_missing_file_exits_2_with_a_clear_message(tmp_path, capsys):
    missing = tmp_path / "nope.html"
    dest = tmp_path / "out.jsonl"
    rc, out, err = run(capsys, "extract", GOVCN, missing, "-o", dest)
    assert rc == 2
    assert out == ""
    assert "no such file" in err and str(missing) in err
    assert err.startswith("gazette: error:")
    assert not dest.exists()


def test_missing_manifest_exits_2(tmp_path, capsys):
    rc, _, err = run(capsys, "extract", "--manifest", tmp_path / "absent.tsv")
    assert rc == 2
    assert "manifest" in err and "absent.tsv" in err


def test_manifest_naming_a_missing_page_exits_2(tmp_path, capsys):
    manifest = tmp_path / "m.tsv"
    manifest.write_text("gone.html\thttp://x.example/a\n", encoding="utf-8")
    rc, out, err = run(capsys, "extract", "--manifest", manifest)
    assert rc == 2
    assert out == ""
    assert "gone.html" in err


def test_nothing_to_extract_exits_2(capsys):
    rc, _, err = run(capsys, "extract")
    assert rc == 2
    assert "nothing to extract" in err


# -- odd inputs: a record with is_notice false, never a crash --------------------


@pytest.mark.parametrize(
    "content",
    [
        pytest.param(b"", id="empty"),
        pytest.param(b"   \n\t\n", id="blank"),
        pytest.param(bytes(range(256)) * 40, id="binary-garbage"),
        pytest.param(b"\x89PNG\r\n\x1a\n" + b"\x00" * 200, id="png-bytes"),
        pytest.param(b"<html><body><div><p>unclosed <b>tags <table><tr><td>", id="broken-html"),
        pytest.param("<<<>>> 关于 〔 号 ]]> <!-- <p>".encode(), id="tag-soup"),
        pytest.param(
            b"\xef\xbb\xbf<html><head><meta charset=utf-16></head></html>", id="bom-lying-meta"
        ),
        pytest.param("纯文本，没有任何标记。".encode("utf-16"), id="utf16-text"),
    ],
)
def test_unparsable_input_gives_a_non_notice_record(tmp_path, capsys, content):
    page = tmp_path / "odd.html"
    page.write_bytes(content)
    rc, out, err = run(capsys, "extract", page)
    assert rc == 0, err
    (rec,) = records(out)
    assert rec["is_notice"] is False
    assert rec["source_path"] == str(page)
    assert rec["doc_number"] is None


def test_odd_input_does_not_stop_the_run(tmp_path, capsys):
    bad = tmp_path / "bad.html"
    bad.write_bytes(bytes(range(256)))
    rc, out, _ = run(capsys, "extract", bad, GOVCN)
    assert rc == 0
    recs = records(out)
    assert [r["is_notice"] for r in recs] == [False, True]


# -- encodings and scripts -------------------------------------------------------


def test_gbk_page(capsys):
    _, out, _ = run(capsys, "extract", GBK)
    (rec,) = records(out)
    assert rec["title"] == "崇义县人民政府办公室关于切实做好2019年春季森林防火工作的通知"
    assert rec["doc_number"] == "崇府办字〔2019〕8号"
    assert "刘镕" in rec["body"]  # a GBK-only character: decoded as GBK, not gb2312


def test_utf8_page_declaring_gb2312(capsys):
    _, out, _ = run(capsys, "extract", FIXTURES / "utf8_declared_gb2312.html")
    (rec,) = records(out)
    assert rec["title"] == "北京市卫生健康委员会关于加强医疗美容机构执业行为监督检查的通知"
    assert rec["doc_number"] == "京卫医〔2023〕45号"


def test_traditional_page(capsys):
    _, out, _ = run(capsys, "extract", TRAD)
    (rec,) = records(out)
    assert rec["doc_number"] == "穗府〔2011〕15号"
    assert rec["issuer"] == "广州市人民政府"
    assert "(fā)" not in (rec["title"] or "")
    assert "發展" in rec["title"]


# -- the installed entry point -----------------------------------------------------


def test_console_entry_point(tmp_path):
    dest = tmp_path / "o.jsonl"
    proc = subprocess.run(
        [sys.executable, "-m", "gazette.cli", "extract", str(GKMLPT), str(GBK), "-o", str(dest)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stderr
    recs = records(dest.read_text(encoding="utf-8"))
    assert [r["doc_number"] for r in recs] == ["粤办函〔2021〕148号", "崇府办字〔2019〕8号"]


def test_console_entry_point_missing_file(tmp_path):
    proc = subprocess.run(
        [sys.executable, "-m", "gazette.cli", "extract", str(tmp_path / "x.html")],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 2
    assert proc.stdout == ""
    assert "no such file" in proc.stderr


# -- a gkmlpt page carrying its document only in window._CONFIG.DETAIL ------------


def test_gkmlpt_config_detail_page_extracts_a_body(capsys):
    # fixture modelled on the real zhaoqing post_3255421 page (tests/fixtures/gd_gkmlpt/SOURCES.txt)
    page = (
        Path(__file__).parent / "fixtures/gd_gkmlpt/zqhjj/gkmlpt/content/3/3255/post_3255501.html"
    )
    rc, out, err = run(capsys, "extract", page)
    assert rc == 0, err
    (rec,) = records(out)
    assert rec["title"].endswith("环境影响报告表受理的公告")
    assert "公告期限" in rec["body"]
    assert rec["issuer"] == "肇庆市生态环境局"
    assert rec["is_notice"] is True


# -- the output is valid against the documented schema (DATA_FORMAT.md) -----------------


def test_output_validates_against_the_schema_notices_and_non_notices(tmp_path, capsys):
    import jsonschema

    from gazette.dataset.schema import json_schema

    validator = jsonschema.Draft202012Validator(json_schema())
    odd = tmp_path / "odd.html"
    odd.write_bytes(bytes(range(256)) * 4)
    pages = sorted(FIXTURES.glob("*.html")) + [odd]
    rc, out, err = run(capsys, "extract", *pages)
    assert rc == 0, err
    got = records(out)
    assert len(got) == len(pages)
    assert any(r["is_notice"] is False and r["title"] is None for r in got)  # NEWS, odd
    for record in got:
        errors = [e.message for e in validator.iter_errors(record)]
        assert not errors, (record["source_path"], errors)


def test_schema_still_requires_a_title_of_a_notice():
    import jsonschema

    from gazette.dataset.schema import json_schema
    from gazette.items import complete

    validator = jsonschema.Draft202012Validator(json_schema())
    record = complete({"title": None, "body": "正文", "is_notice": True, "masked": False})
    assert not validator.is_valid(record)
    assert validator.is_valid({**record, "title": "关于X的通知"})
