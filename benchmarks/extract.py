"""Benchmark page extraction: our extractor against trafilatura, GNE and bare lxml.

    .venv/bin/python benchmarks/extract.py                 # 5 repetitions
    .venv/bin/python benchmarks/extract.py --repeat 20
    .venv/bin/python benchmarks/extract.py --fixtures      # own fixtures only

Pages: the shared real-page corpus (``../shared/corpus``, every ``pages/*.html``
plus the labelled seed pages) when it sits next to the repository, else the
project's fixtures (``tests/fixtures/extract``). Each repetition runs every
tool once over every page, in one process; the best and the median pass are
reported as pages/s, with the ratio to GNE.

Tools and what each gets:

* ``gazette``: :func:`gazette.extract.extract_html` on the raw bytes (decoding
  included), the path the spiders use;
* ``trafilatura``: ``bare_extraction(bytes, with_metadata=True)``;
* ``gne``: ``GeneralNewsExtractor().extract(html)`` on text decoded beforehand
  (GNE takes ``str``; decoding is not timed);
* ``lxml``: ``lxml.html.document_fromstring(bytes)``, parsing only: the floor.

Accuracy, on the labelled notice pages (labels: corpus ``labels.jsonl`` or the
fixtures' JSON): title, date, published, doc_number, issuer compared as the
corpus scorer does. The others have no 发文字号 or 发文机关 (scored as None, so
right only where the label is null) and one page date, used for both date and
published. ``is_notice`` is ours only. Body F1 uses the scorer's sentence
measure when ``../shared/tools/score_extraction.py`` is present. Figures
only: no pass/fail.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import re
import statistics
import sys
import time
import unicodedata
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
SHARED = ROOT.parent / "shared"
CORPUS = SHARED / "corpus"
SCORER = SHARED / "tools" / "score_extraction.py"
FIXTURES = ROOT / "tests" / "fixtures" / "extract"

sys.path.insert(0, str(ROOT))

PINYIN_GLOSS = re.compile(r"(?<=[\u4e00-\u9fff])\([a-zāáǎàēéěèīíǐìōóǒòūúǔùǖǘǚǜü]{1,6}\)")
FIELDS = ("title", "date", "published", "doc_number", "issuer")


def squeeze(text: str | None) -> str:
    text = unicodedata.normalize("NFKC", text or "")
    return re.sub(r"\s+", "", PINYIN_GLOSS.sub("", text))


def bare_title(text: str | None) -> str:
    text = squeeze(text)
    return text[1:-1] if text.startswith("《") and text.endswith("》") else text


def decode_text(raw: bytes) -> str:
    for enc in ("utf-8", "gb18030"):
        try:
            return raw.decode(enc)
        except UnicodeDecodeError:
            continue
    return raw.decode("utf-8", "replace")


# -- pages and labels ---------------------------------------------------------------


class Page:
    def __init__(self, name: str, path: Path, label: dict | None, base: Path | None):
        self.name, self.path, self.label, self.base = name, path, label, base
        self.raw = path.read_bytes()
        self.text = decode_text(self.raw)
        self.url = (label or {}).get("url")


def corpus_pages() -> list[Page]:
    labels = {}
    for line in (CORPUS / "labels.jsonl").read_text(encoding="utf-8").splitlines():
        if line.strip():
            rec = json.loads(line)
            labels[rec["file"]] = rec
    files = sorted(f"pages/{p.name}" for p in (CORPUS / "pages").glob("*.html"))
    files += sorted(f for f in labels if f not in files)  # e.g. ../seed/seed-page.html
    return [Page(f, (CORPUS / f).resolve(), labels.get(f), CORPUS) for f in files]


def fixture_pages() -> list[Page]:
    pages = []
    for js in sorted(FIXTURES.glob("*.json")):
        label = json.loads(js.read_text(encoding="utf-8"))
        label["file"] = js.stem + ".html"
        pages.append(Page(js.stem, FIXTURES / label["file"], label, FIXTURES))
    return pages


# -- tools --------------------------------------------------------------------------


def load_tools() -> dict[str, tuple[Callable[[Page], Any], Callable[[Any], dict]]]:
    """name -> (run(page) -> raw result, to_record(raw) -> comparable dict)."""
    import lxml.html

    from gazette.extract import extract_html
    from gazette.text.dates import parse_date

    tools: dict[str, tuple[Callable[[Page], Any], Callable[[Any], dict]]] = {}
    tools["gazette"] = (lambda p: extract_html(p.raw, url=p.url), lambda r: r)

    try:
        import trafilatura

        def traf(p: Page):
            return trafilatura.bare_extraction(p.raw, url=p.url, with_metadata=True, as_dict=True)

        def traf_rec(r):
            r = r or {}
            d = r.get("date")
            return {"title": r.get("title"), "date": d, "published": d, "body": r.get("text") or ""}

        tools["trafilatura"] = (traf, traf_rec)
    except ImportError:
        print("trafilatura not installed: skipped", file=sys.stderr)

    try:
        from gne import GeneralNewsExtractor

        gne = GeneralNewsExtractor()

        def gne_run(p: Page):
            try:
                return gne.extract(p.text)
            except Exception as e:  # noqa: BLE001 - GNE gives up on some pages
                return {"error": repr(e)}

        def gne_rec(r):
            d = parse_date(r.get("publish_time") or "") if r.get("publish_time") else None
            return {
                "title": r.get("title"),
                "date": d,
                "published": d,
                "body": r.get("content") or "",
            }

        tools["gne"] = (gne_run, gne_rec)
    except ImportError:
        print("gne not installed: skipped", file=sys.stderr)

    tools["lxml"] = (lambda p: lxml.html.document_fromstring(p.raw or b"<html/>"), None)
    return tools


# -- scoring ------------------------------------------------------------------------


def field_hit(field: str, want, got) -> bool:
    if field == "title":
        return bare_title(want) == bare_title(got) and (want is None) == (not got)
    if field in ("date", "published"):
        return squeeze(want) == squeeze(got) and (want is None) == (not got)
    if field == "doc_number":
        return squeeze(want) == squeeze(got)
    if field == "issuer":
        wants = {squeeze(w) for w in (want or [])}
        got = got[0] if isinstance(got, list) and got else got
        return (not wants and not got) or squeeze(got) in wants
    raise ValueError(field)


def load_scorer():
    if not SCORER.is_file():
        return None
    spec = importlib.util.spec_from_file_location("score_extraction", SCORER)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def accuracy(records: dict[str, dict], pages: list[Page], scorer) -> dict[str, float | None]:
    notices = [p for p in pages if p.label and p.label.get("is_notice")]
    labelled = [p for p in pages if p.label]
    out: dict[str, float | None] = {}
    for f in FIELDS:
        hits = sum(field_hit(f, p.label.get(f), records[p.name].get(f)) for p in notices)
        out[f] = hits / len(notices) if notices else None
    if all("is_notice" in r for r in records.values()):
        ok = sum(bool(records[p.name]["is_notice"]) == p.label["is_notice"] for p in labelled)
        out["is_notice"] = ok / len(labelled) if labelled else None
    else:
        out["is_notice"] = None
    out["body_f1"] = None
    if scorer is not None and notices:
        f1s = []
        for p in notices:
            try:
                gold = scorer.gold_body(p.label, str(p.base))
            except ValueError:
                continue
            _, _, f1, leaked = scorer.body_score(
                records[p.name].get("body") or "", gold, p.label.get("body_excludes") or []
            )
            f1s.append(0.0 if leaked else f1)
        out["body_f1"] = sum(f1s) / len(f1s) if f1s else None
    return out


# -- main ---------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeat", type=int, default=5, help="timed passes per tool (default 5)")
    ap.add_argument(
        "--fixtures",
        action="store_true",
        help="use tests/fixtures/extract even if the corpus exists",
    )
    args = ap.parse_args(argv)
    warnings.filterwarnings("ignore")
    import logging

    logging.disable(logging.WARNING)  # trafilatura/htmldate chatter

    use_corpus = not args.fixtures and (CORPUS / "labels.jsonl").is_file()
    pages = corpus_pages() if use_corpus else fixture_pages()
    scorer = load_scorer()  # the fixtures carry body_start/body_end/body_excludes too
    tools = load_tools()
    size = sum(len(p.raw) for p in pages)
    src = CORPUS if use_corpus else FIXTURES
    n_lab = sum(1 for p in pages if p.label)
    n_not = sum(1 for p in pages if p.label and p.label.get("is_notice"))
    print(
        f"pages: {len(pages)} from {src} ({size / 1e6:.2f} MB), {n_lab} labelled, {n_not} notices"
    )
    print(
        f"python {sys.version.split()[0]}, {args.repeat} repetitions (+1 warm-up pass that also collects results)"
    )

    results: dict[str, dict[str, dict]] = {}
    times: dict[str, list[float]] = {name: [] for name in tools}
    for name, (run, to_rec) in tools.items():  # warm-up, results for accuracy
        recs = {}
        for p in pages:
            raw = run(p)
            if to_rec is not None:
                recs[p.name] = to_rec(raw)
        if to_rec is not None:
            results[name] = recs
    for _ in range(args.repeat):
        for name, (run, _) in tools.items():  # interleaved: drift hits every tool alike
            t0 = time.perf_counter()
            for p in pages:
                run(p)
            times[name].append(time.perf_counter() - t0)

    def rate(t: float) -> float:
        return len(pages) / t

    gne_best = rate(min(times["gne"])) if "gne" in times else None
    print()
    print(f"{'tool':<12} {'best p/s':>9} {'median p/s':>11} {'ms/page':>8} {'vs GNE':>7}")
    for name, ts in times.items():
        best, med = rate(min(ts)), rate(statistics.median(ts))
        ratio = f"{best / gne_best:6.2f}x" if gne_best else "    -"
        print(f"{name:<12} {best:9.1f} {med:11.1f} {1000 / best:8.2f} {ratio:>7}")

    print()
    cols = (*FIELDS, "is_notice", "body_f1")
    print(f"{'accuracy':<12} " + " ".join(f"{c:>10}" for c in cols))
    for name, recs in results.items():
        acc = accuracy(recs, pages, scorer)
        cells = [f"{acc[c]:10.3f}" if acc[c] is not None else f"{'-':>10}" for c in cols]
        print(f"{name:<12} " + " ".join(cells))
    print("(doc_number/issuer: the others output none, right only where the label is null;")
    print(
        " date/published: the others' single page date is used for both; body_f1: scorer's measure)"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
