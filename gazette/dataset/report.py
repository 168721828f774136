"""A short profile of the dataset (printed by ``gazette dataset``) and a static HTML report.

The profile counts records per spider, per year (成文日期, else the page's
publication date), per genre, per issuer level and province, and the
coverage of every field (how many records hold a value). The report
(``gazette dataset --report report.html``) shows the same tables, the
counts per issuer and year, and the newest notices, in one self-contained
page (no script, no external resource).
"""

from __future__ import annotations

import html
from collections import Counter
from collections.abc import Iterable
from typing import Any

from gazette.dataset.schema import COLUMNS

NEWEST = 20
TOP_ISSUERS = 15


def _year(record: dict[str, Any]) -> str:
    for key in ("date", "published"):
        value = record.get(key)
        if value:
            return str(value)[:4]
    return "unknown"


def profile(records: Iterable[dict[str, Any]]) -> dict[str, Any]:
    """Counts and coverage of ``records`` (dataset records).

    >>> p = profile([{"spider": "a", "date": "2013-11-23", "genre": "通知", "title": "t"},
    ...              {"spider": "a", "published": "2020-01-02", "title": "u", "cites": ["g1"]}])
    >>> p["records"], p["per_spider"], p["per_year"], p["coverage"]["title"], p["coverage"]["cites"]
    (2, {'a': 2}, {'2013': 1, '2020': 1}, 2, 1)
    """
    total = 0
    spiders: Counter[str] = Counter()
    years: Counter[str] = Counter()
    genres: Counter[str] = Counter()
    levels: Counter[str] = Counter()
    regions: Counter[str] = Counter()
    issuer_year: Counter[tuple[str, str]] = Counter()
    coverage: Counter[str] = Counter()
    newest: list[tuple[str, str, dict[str, Any]]] = []
    for record in records:
        total += 1
        spiders[str(record.get("spider") or "unknown")] += 1
        year = _year(record)
        years[year] += 1
        genres[str(record.get("genre") or "unknown")] += 1
        levels[str(record.get("issuer_level") or "unknown")] += 1
        regions[str(record.get("issuer_region") or "unknown")] += 1
        issuer_year[(str(record.get("issuer") or "unknown"), year)] += 1
        for key in COLUMNS:
            value = record.get(key)
            if key in ("is_notice", "masked"):
                filled = value is True
            else:
                filled = value not in (None, "", [], {})
            if filled:
                coverage[key] += 1
        when = str(record.get("date") or record.get("published") or "")
        newest.append((when, str(record.get("id") or ""), _brief(record)))
        if len(newest) > 4 * NEWEST:
            newest = sorted(newest, key=lambda t: (t[0], t[1]), reverse=True)[:NEWEST]
    newest = sorted(newest, key=lambda t: (t[0], t[1]), reverse=True)[:NEWEST]
    return {
        "records": total,
        "per_spider": dict(sorted(spiders.items())),
        "per_year": dict(sorted(years.items())),
        "per_genre": dict(genres.most_common()),
        "per_level": dict(levels.most_common()),
        "per_region": dict(regions.most_common()),
        "per_issuer_year": [
            {"issuer": issuer, "year": year, "records": n}
            for (issuer, year), n in sorted(issuer_year.items(), key=lambda kv: (-kv[1], kv[0]))
        ],
        "coverage": {key: coverage.get(key, 0) for key in COLUMNS},
        "newest": [b for _w, _i, b in newest],
    }


def _brief(record: dict[str, Any]) -> dict[str, Any]:
    return {
        k: record.get(k)
        for k in ("id", "title", "doc_number", "issuer", "date", "published", "url", "revision")
    }


def format_profile(p: dict[str, Any]) -> str:
    """The profile as a few lines of text."""

    def line(label: str, counts: dict[str, int], top: int = 12) -> str:
        items = list(counts.items())
        shown = ", ".join(f"{k} {v}" for k, v in items[:top])
        more = f", … ({len(items) - top} more)" if len(items) > top else ""
        return f"{label:<12}{shown}{more}"

    n = p["records"] or 1
    cov = ", ".join(
        f"{k} {100 * v // n}%"
        for k, v in p["coverage"].items()
        if k not in ("id", "is_notice", "sources")
    )
    return "\n".join(
        [
            f"{'records':<12}{p['records']}",
            line("per spider", p["per_spider"]),
            line("per year", p["per_year"], 20),
            line("per genre", p["per_genre"]),
            line("per level", p["per_level"]),
            line("per region", p["per_region"]),
            f"{'coverage':<12}{cov}",
        ]
    )


_CSS = """
body{font-family:"Noto Sans CJK SC","WenQuanYi Micro Hei",sans-serif;margin:2em;color:#222}
h1{font-size:1.6em}h2{font-size:1.2em;margin-top:1.6em;border-bottom:1px solid #ccc}
table{border-collapse:collapse;margin:.5em 0}td,th{border:1px solid #ccc;padding:.25em .6em;
text-align:left}th{background:#eef}td.n{text-align:right}.bar{background:#4a7ebb;height:.8em;
display:inline-block}.grid{display:flex;flex-wrap:wrap;gap:2em}
"""


def _table(headers: list[str], rows: list[list[Any]], bars: int | None = None) -> str:
    top = max((r[bars] for r in rows), default=0) if bars is not None else 0
    out = ["<table><tr>" + "".join(f"<th>{html.escape(h)}</th>" for h in headers) + "</tr>"]
    for row in rows:
        cells = []
        for i, value in enumerate(row):
            if isinstance(value, int):
                bar = ""
                if i == bars and top and value:
                    bar = f' <span class="bar" style="width:{max(1, 120 * value // top)}px"></span>'
                cells.append(f'<td class="n">{value}{bar}</td>')
            else:
                cells.append(f"<td>{html.escape('' if value is None else str(value))}</td>")
        out.append("<tr>" + "".join(cells) + "</tr>")
    out.append("</table>")
    return "\n".join(out)


def render_html(p: dict[str, Any], title: str = "gazette dataset") -> str:
    """The report page of profile ``p`` (self-contained HTML)."""
    n = p["records"]
    parts = [
        "<!DOCTYPE html>",
        '<html lang="zh-CN"><head><meta charset="utf-8">',
        f"<title>{html.escape(title)}</title><style>{_CSS}</style></head><body>",
        f"<h1>{html.escape(title)}</h1>",
        f'<p id="total"><b>{n}</b> notices</p>',
        '<div class="grid"><section id="per-year"><h2>Per year</h2>',
        _table(["year", "notices"], [[k, v] for k, v in p["per_year"].items()], 1),
        '</section><section id="per-genre"><h2>Per genre</h2>',
        _table(["genre", "notices"], [[k, v] for k, v in p["per_genre"].items()], 1),
        '</section><section id="per-spider"><h2>Per spider</h2>',
        _table(["spider", "notices"], [[k, v] for k, v in p["per_spider"].items()], 1),
        '</section><section id="per-level"><h2>Per issuer level and province</h2>',
        _table(["level", "notices"], [[k, v] for k, v in p["per_level"].items()], 1),
        _table(["province", "notices"], [[k, v] for k, v in p["per_region"].items()], 1),
        "</section></div>",
        '<section id="per-issuer"><h2>Per issuer and year</h2>',
        _table(
            ["issuer", "year", "notices"],
            [[r["issuer"], r["year"], r["records"]] for r in p["per_issuer_year"][:TOP_ISSUERS]],
            2,
        ),
        '</section><section id="coverage"><h2>Field coverage</h2>',
        _table(
            ["field", "records with a value", "%"],
            [[k, v, f"{100 * v / n:.0f}%" if n else "-"] for k, v in p["coverage"].items()],
            1,
        ),
        '</section><section id="newest"><h2>Newest notices</h2>',
        _table(
            ["date", "title", "文号", "issuer", "revision"],
            [
                [
                    r.get("date") or r.get("published"),
                    r.get("title"),
                    r.get("doc_number"),
                    r.get("issuer"),
                    r.get("revision") or 0,
                ]
                for r in p["newest"]
            ],
        ),
        "</section></body></html>",
    ]
    return "\n".join(parts) + "\n"
