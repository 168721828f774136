"""Metamorphic tests: what reposting sites do to a page must not change its record.

Every transformation of :mod:`metamorphic` (traditional characters, pinyin
glosses, another site's chrome, flattened markup, the headline printed twice,
bracket and width swaps in the 文号) runs over every extraction fixture, and
over every labelled page of ``../shared/corpus`` when it is there. The share of
(page, transformation) pairs that keep every field must stay at 99 % or more;
the table is printed (``pytest -s``) and given in full when the share falls.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from metamorphic import corpus_pages, fixture_pages, format_table, run

CORPUS = Path(__file__).resolve().parent.parent.parent / "shared" / "corpus"
MIN_SHARE = 0.99


def _check(pages: list) -> None:
    table, misses = run(pages)
    kept = sum(k for k, _ in table.values())
    total = sum(n for _, n in table.values())
    report = format_table(table) + "".join(f"\nmiss: {p} {t} {f}" for p, t, f in misses)
    print("\n" + report)
    assert total > 0
    assert kept / total >= MIN_SHARE, report
    for name, (_kept, n) in table.items():
        assert n > 0, f"{name} changed no page"


def test_fixture_pages_keep_their_records():
    _check(fixture_pages())


@pytest.mark.skipif(not (CORPUS / "labels.jsonl").is_file(), reason=f"no corpus at {CORPUS}")
def test_corpus_pages_keep_their_records():
    _check(corpus_pages(CORPUS))
