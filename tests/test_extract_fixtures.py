"""Extraction on hand-written fixture pages, one test per (page, field).

Each ``tests/fixtures/extract/<name>.html`` (raw bytes, any encoding) sits
beside ``<name>.json``: the fields a careful analyst expects (meanings as in
the corpus LABELS.md: the export contract). The JSON carries ``url`` (passed
to the extractor) and ``notes``; every other key is one assertion, so pytest
ids read ``govcn_zhengceku-doc_number``.

Comparisons follow the corpus scorer: text is compared after NFKC, pinyin
glosses (``發(fā)``) and white space are dropped; ``issuer`` lists the
acceptable strings; ``recipients`` are the 主送 groups as the page separates
them with ，/；/, (a 、 inside a group stays: ``各省、自治区、直辖市人民政府``
shares one suffix); the body is checked by its start, its end and strings
that must not leak into it.
"""

from __future__ import annotations

import json
import re
import unicodedata
from functools import cache
from pathlib import Path

import pytest

from gazette.extract import extract_html

FIXTURES = Path(__file__).parent / "fixtures" / "extract"

#: JSON keys that are not assertions
META_KEYS = ("notes", "url")

#: (fixture, field) -> reason: known extraction faults, reported to the owner
#: of gazette/text. strict: the test turns red once the rule is fixed, so the
#: entry gets removed then.
KNOWN_FAILURES: dict[tuple[str, str], str] = {}

PINYIN_GLOSS = re.compile(r"(?<=[\u4e00-\u9fff])\([a-zāáǎàēéěèīíǐìōóǒòūúǔùǖǘǚǜü]{1,6}\)")


def squeeze(text: str | None) -> str:
    """NFKC, pinyin glosses dropped, all white space dropped (the scorer's form)."""
    text = unicodedata.normalize("NFKC", text or "")
    return re.sub(r"\s+", "", PINYIN_GLOSS.sub("", text))


def bare_title(text: str | None) -> str:
    text = squeeze(text)
    if text.startswith("《") and text.endswith("》"):
        text = text[1:-1]
    return text


def load_expected(name: str) -> dict:
    return json.loads((FIXTURES / f"{name}.json").read_text(encoding="utf-8"))


@cache
def _extract(name: str) -> str:
    """Extract once per fixture (JSON text, so callers cannot mutate the cache)."""
    expected = load_expected(name)
    body = (FIXTURES / f"{name}.html").read_bytes()
    return json.dumps(extract_html(body, url=expected.get("url")), ensure_ascii=False)


def extracted(name: str) -> dict:
    return json.loads(_extract(name))


def fixture_names() -> list[str]:
    return sorted(p.stem for p in FIXTURES.glob("*.json") if (FIXTURES / f"{p.stem}.html").exists())


def cases() -> list:
    out = []
    for name in fixture_names():
        for field in load_expected(name):
            if field in META_KEYS:
                continue
            marks = []
            reason = KNOWN_FAILURES.get((name, field))
            if reason:
                marks.append(pytest.mark.xfail(strict=True, reason=reason))
            out.append(pytest.param(name, field, id=f"{name}-{field}", marks=marks))
    return out


def _text_list(values) -> list[str]:
    return [squeeze(v) for v in values or []]


def check(field: str, want, rec: dict) -> None:
    got = rec.get(field)
    if field == "title":
        assert (got is None) == (want is None), f"title {got!r} != {want!r}"
        assert bare_title(got) == bare_title(want), f"title {got!r} != {want!r}"
    elif field in ("date", "published", "doc_number"):
        assert got == want, f"{field} {got!r} != {want!r}"
    elif field == "issuer":
        got = got[0] if isinstance(got, list) and got else got
        if not want:
            assert not got, f"issuer {got!r}, expected none"
        else:
            assert squeeze(got) in {squeeze(w) for w in want}, f"issuer {got!r} not in {want!r}"
    elif field in ("co_issuers", "recipients", "references"):
        assert _text_list(got) == _text_list(want), f"{field} {got!r} != {want!r}"
    elif field in ("is_notice", "masked"):
        assert bool(got) is want, f"{field} {got!r} != {want!r}"
    elif field == "body_start":
        body = squeeze(rec.get("body"))
        assert body.startswith(squeeze(want)), (
            f"body starts {rec.get('body', '')[:60]!r}, expected {want!r}"
        )
    elif field == "body_end":
        body = squeeze(rec.get("body"))
        assert body.endswith(squeeze(want)), (
            f"body ends {(rec.get('body') or '')[-60:]!r}, expected {want!r}"
        )
    elif field == "body_excludes":
        body = squeeze(rec.get("body"))
        leaked = [x for x in want if squeeze(x) and squeeze(x) in body]
        assert not leaked, f"boilerplate leaked into the body: {leaked}"
    else:  # pragma: no cover - a typo in a fixture's JSON
        raise AssertionError(f"unknown expected field {field!r}")


@pytest.mark.parametrize(("name", "field"), cases())
def test_fixture_field(name: str, field: str) -> None:
    check(field, load_expected(name)[field], extracted(name))


def test_fixture_set_is_complete() -> None:
    """Every page has its expectations and every notice states the core fields."""
    pages = {p.stem for p in FIXTURES.glob("*.html")}
    assert pages == set(fixture_names()), "an .html fixture lacks its .json"
    assert len(pages) >= 16
    core = {
        "title",
        "doc_number",
        "issuer",
        "date",
        "published",
        "body_start",
        "body_end",
        "body_excludes",
    }
    for name in fixture_names():
        expected = load_expected(name)
        assert "is_notice" in expected, name
        if expected["is_notice"]:
            assert core <= set(expected), f"{name}: missing {core - set(expected)}"


def test_gbk_fixture_is_really_gbk() -> None:
    """The GBK page must stay GBK bytes (not valid UTF-8) and need more than gb2312."""
    raw = (FIXTURES / "gbk_gb2312.html").read_bytes()
    with pytest.raises(UnicodeDecodeError):
        raw.decode("utf-8")
    with pytest.raises(UnicodeDecodeError):
        raw.decode("gb2312")
    assert b"charset=gb2312" in raw
    raw.decode("gbk")


def test_utf8_fixture_declares_gb2312() -> None:
    raw = (FIXTURES / "utf8_declared_gb2312.html").read_bytes()
    raw.decode("utf-8")
    assert b"charset=gb2312" in raw
