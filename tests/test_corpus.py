"""Extraction against the shared real-page corpus and its gold labels.

The corpus lives outside the repository (``../shared`` next to the repo root:
``corpus/pages``, ``corpus/labels.jsonl``, ``tools/score_extraction.py``).
Every labelled page goes through :func:`gazette.extract.extract_html` and the
scorer is run as a separate process on the resulting PRED.jsonl, exactly as an
analyst would run it. Skipped when the shared folder is absent.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

from gazette.extract import extract_html

ROOT = Path(__file__).resolve().parent.parent
SHARED = ROOT.parent / "shared"
CORPUS = SHARED / "corpus"
LABELS = CORPUS / "labels.jsonl"
SCORER = SHARED / "tools" / "score_extraction.py"

MIN_FIELD_ACCURACY = 0.95
MIN_BODY_F1 = 0.95

pytestmark = pytest.mark.skipif(
    not (LABELS.is_file() and SCORER.is_file()),
    reason=f"shared corpus not found at {SHARED}",
)


def load_labels() -> list[dict]:
    with LABELS.open(encoding="utf-8") as fh:
        return [json.loads(line) for line in fh if line.strip()]


@pytest.fixture(scope="module")
def scored(tmp_path_factory) -> tuple[dict, str]:
    pred = tmp_path_factory.mktemp("corpus") / "PRED.jsonl"
    with pred.open("w", encoding="utf-8") as fh:
        for label in load_labels():
            page = (CORPUS / label["file"]).read_bytes()
            record = extract_html(page, url=label.get("url"))
            record["file"] = label["file"]
            fh.write(json.dumps(record, ensure_ascii=False) + "\n")
    proc = subprocess.run(
        [sys.executable, str(SCORER), str(pred), "--labels", str(LABELS), "--verbose"],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode == 0, proc.stderr
    m = re.search(r"^SUMMARY (\{.*\})$", proc.stdout, re.M)
    assert m, f"no SUMMARY line in scorer output:\n{proc.stdout}"
    return json.loads(m.group(1)), proc.stdout


def test_every_labelled_page_was_scored(scored):
    summary, _ = scored
    assert summary["pages"] == len(load_labels())


def test_field_accuracy(scored):
    summary, report = scored
    assert summary["field_accuracy"] >= MIN_FIELD_ACCURACY, report


def test_body_f1(scored):
    summary, report = scored
    assert summary["body_f1"] >= MIN_BODY_F1, report
