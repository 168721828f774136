"""``gazette health``: when did each spider last run well?

    gazette health [PATH...] [--spider NAME]... [--max-age HOURS]

Reads the run summaries (``*.summary.json``, written beside every export by
:class:`gazette.ops.monitors.RunSummary`, and by a crawl refused before it started)
under each PATH (default ``data/exports``) and prints one line per spider: its
latest run, its verdict (with the first failure) and when its last *good* run
(every monitor passed) finished. It exits 1 when a spider's last good run is
older than ``--max-age`` hours (default 36), or when a spider named with
``--spider`` has no good run at all (a crawl that never ran, or never started,
is caught); 0 otherwise. Nothing on stdout but those lines.

>>> import json, os, tempfile
>>> d = tempfile.mkdtemp(); os.makedirs(f"{d}/site")
>>> _ = open(f"{d}/site/a.summary.json", "w").write(json.dumps({"spider": "site",
...     "finished": "2026-01-01T01:00:00+00:00", "monitors": {"ok": True}}))
>>> main([d, "--spider", "site", "--spider", "gov_cn", "--now", "2026-01-01T12:00:00+00:00"])
site      OK     last run 2026-01-01T01:00:00+00:00 ok; last good run 11 h ago
gov_cn    STALE  no run found
1
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any


@dataclass
class Run:
    spider: str
    finished: datetime
    ok: bool
    why: str  # the first failure ("" when ok)
    path: Path


def _when(value: Any) -> datetime | None:
    try:
        when = datetime.fromisoformat(str(value))
    except (TypeError, ValueError):
        return None
    return when if when.tzinfo else when.replace(tzinfo=timezone.utc)


def read_runs(paths: Sequence[str]) -> Iterator[Run]:
    """Every readable run summary under ``paths`` (files or folders, recursively)."""
    for root in paths:
        base = Path(root)
        files = [base] if base.is_file() else sorted(base.rglob("*.summary.json"))
        for path in files:
            try:
                data = json.loads(path.read_text("utf-8"))
            except (OSError, ValueError):
                continue
            if not isinstance(data, dict) or not data.get("spider"):
                continue
            finished = _when(data.get("finished") or data.get("started"))
            if finished is None:
                continue
            monitors = data.get("monitors") or {}
            ok = monitors.get("ok") is True
            failed = monitors.get("failed") or []
            why = ""
            if not ok:
                first = failed[0] if failed else {}
                why = (
                    f"{first.get('monitor', '?')}: {first.get('error', '')}"
                    if first
                    else f"finish reason {data.get('finish_reason')!r}"
                )
            yield Run(str(data["spider"]), finished, ok, why, path)


def _ago(delta_hours: float) -> str:
    if delta_hours < 48:
        return f"{delta_hours:.0f} h ago"
    return f"{delta_hours / 24:.0f} days ago"


def report(
    runs: list[Run], spiders: Sequence[str], max_age: float, now: datetime
) -> tuple[list[str], bool]:
    """→ (one line per spider, every spider healthy)."""
    by_spider: dict[str, list[Run]] = {name: [] for name in spiders}
    for run in runs:
        by_spider.setdefault(run.spider, []).append(run)
    lines, healthy = [], True
    for name in list(dict.fromkeys([*spiders, *sorted(by_spider)])):
        history = sorted(by_spider.get(name, []), key=lambda r: r.finished)
        if not history:
            lines.append(f"{name:<9} STALE  no run found")
            healthy = False
            continue
        last = history[-1]
        good = [r for r in history if r.ok]
        verdict = "ok" if last.ok else f"FAILED ({last.why})"
        if good:
            hours = (now - good[-1].finished).total_seconds() / 3600
            since = f"last good run {_ago(hours)}"
            stale = hours > max_age
        else:
            since, stale = "no good run", True
        healthy = healthy and not stale
        state = "STALE" if stale else ("OK" if last.ok else "FAILED")
        lines.append(
            f"{name:<9} {state:<6} last run {last.finished.isoformat(timespec='seconds')} "
            f"{verdict}; {since}"
        )
    return lines, healthy


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="gazette health", description="when did each spider last run well"
    )
    parser.add_argument("paths", nargs="*", metavar="PATH", help="summaries (default data/exports)")
    parser.add_argument(
        "--spider", action="append", default=[], help="a spider that must have run (repeatable)"
    )
    parser.add_argument(
        "--max-age", type=float, default=36.0, help="hours since the last good run (36)"
    )
    parser.add_argument("--now", help=argparse.SUPPRESS)  # tests
    args = parser.parse_args(list(sys.argv[1:] if argv is None else argv))
    now = _when(args.now) if args.now else datetime.now(timezone.utc)
    assert now is not None
    runs = list(read_runs(args.paths or ["data/exports"]))
    lines, healthy = report(runs, args.spider, args.max_age, now)
    if not lines:
        print("no run summaries found under " + ", ".join(args.paths or ["data/exports"]))
        return 1
    print("\n".join(lines))
    return 0 if healthy else 1


if __name__ == "__main__":
    sys.exit(main())
