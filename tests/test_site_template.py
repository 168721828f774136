"""Chrome by repetition: lines that recur on many pages of one site are its template."""

from __future__ import annotations

import json
from types import SimpleNamespace

from gazette.extract import extract_html
from gazette.spiders import sitetemplates
from gazette.text.template import SiteTemplate, SiteTemplates
from tests.fakes import MetaState

# a line no word list or shape rule knows, printed inside the content block of every page
PROMO = "欢迎关注某某服务号获取更多政策资讯"


def notice(i: int) -> bytes:
    return (
        "<html><head><meta charset='utf-8'><title>x</title></head><body><div class='c'>"
        f"<h1>某市人民政府办公室关于做好第{i}项工作的通知</h1>"
        f"<p>某府办〔2024〕{i}号</p><p>各区人民政府，市政府各部门：</p>"
        f"<p>为做好第{i}项工作，经市政府同意，现将有关事项通知如下，请认真贯彻执行。</p>"
        f"<p>一、加强组织领导，明确责任分工，确保第{i}项工作按时完成。</p>"
        f"<p>{PROMO}</p>"
        "</div></body></html>"
    ).encode()


def test_a_crawl_of_one_site_learns_its_template_and_drops_it():
    templates = SiteTemplates()
    bodies = [
        extract_html(notice(i), url=f"http://gov.example/c/{i}.html", templates=templates)["body"]
        for i in range(1, SiteTemplate.MIN_PAGES + 6)
    ]
    assert all(PROMO in b for b in bodies[: SiteTemplate.MIN_PAGES])  # not yet learnt
    assert all(PROMO not in b for b in bodies[SiteTemplate.MIN_PAGES :])
    # the document's own recurring lines stay: 主送, headings
    assert all(b.startswith("各区人民政府，市政府各部门：") for b in bodies)
    assert templates.for_site("gov.example").dropped == 5


def test_another_site_has_its_own_table():
    templates = SiteTemplates()
    for i in range(1, SiteTemplate.MIN_PAGES + 1):
        extract_html(notice(i), url=f"http://a.example/{i}.html", templates=templates)
    r = extract_html(notice(99), url="http://b.example/99.html", templates=templates)
    assert PROMO in r["body"]


def test_table_is_bounded():
    t = SiteTemplate()
    for i in range(SiteTemplate.MAX_KEYS * 2):
        t.learn([f"行{i}", "首页"])
    assert len(t.counts) <= SiteTemplate.MAX_KEYS
    assert t.counts["首页"] == SiteTemplate.MAX_KEYS * 2


def test_the_table_is_kept_in_the_state_for_the_next_run():
    state = MetaState()
    stats: dict[str, int] = {}
    crawler = SimpleNamespace(
        _gazette_state=state, stats=SimpleNamespace(set_value=stats.__setitem__)
    )
    spider = SimpleNamespace(crawler=crawler)
    first = sitetemplates.load(spider)
    for i in range(1, SiteTemplate.MIN_PAGES + 1):
        extract_html(notice(i), url=f"http://gov.example/{i}.html", templates=first)
    sitetemplates.save(spider, first)
    assert stats["gazette/template/sites"] == 1
    second = sitetemplates.load(spider)  # the next run: learnt from its first page on
    r = extract_html(notice(100), url="http://gov.example/100.html", templates=second)
    assert PROMO not in r["body"]


def test_a_damaged_table_is_relearnt():
    state = MetaState()
    state.meta["templates"] = "{not json"
    spider = SimpleNamespace(crawler=SimpleNamespace(_gazette_state=state, stats=None))
    assert sitetemplates.load(spider).sites == {}
    assert json.loads(json.dumps(SiteTemplates().to_json())) == {}


def test_gazette_extract_over_a_manifest_of_one_site_uses_its_template(tmp_path):
    from gazette.cli import main

    rows = []
    for i in range(1, SiteTemplate.MIN_PAGES + 2):
        path = tmp_path / f"{i}.html"
        path.write_bytes(notice(i))
        rows.append(f"{path}\thttp://gov.example/c/{i}.html")
    manifest = tmp_path / "m.tsv"
    manifest.write_text("\n".join(rows) + "\n", encoding="utf-8")
    out = tmp_path / "out.jsonl"
    assert main(["extract", "--manifest", str(manifest), "-o", str(out)]) == 0
    records = [json.loads(line) for line in out.read_text("utf-8").splitlines()]
    assert len(records) == SiteTemplate.MIN_PAGES + 1
    assert all(PROMO not in r["body"] for r in records)  # the first pages too
