"""Progress lines: periodic, in the demo's words, with per-minute rates."""

from __future__ import annotations

import re
from pathlib import Path

from test_monitors import scrapy_crawl  # tests/ is on sys.path (rootdir conftest)

from gazette.demo import DEMO_SITE, serve
from gazette.ops.progress import counters, progress_line

LINE = re.compile(
    r"progress: pages (\d+) \([\d.]+/min\), notices (\d+) \([\d.]+/min\), "
    r"duplicates (\d+) \([\d.]+/min\), errors (\d+) \([\d.]+/min\)"
)


def test_counters_and_line() -> None:
    stats = {
        "response_received_count": 30,
        "item_scraped_count": 12,
        "gazette/duplicates/docno": 2,
        "gazette/duplicates/near": 1,
        "log_count/ERROR": 1,
    }
    now = counters(stats)
    assert now == {"pages": 30, "notices": 12, "duplicates": 3, "errors": 1}
    line = progress_line(now, {"pages": 0, "notices": 0, "duplicates": 0, "errors": 0}, 0.5)
    assert line == "pages 30 (60/min), notices 12 (24/min), duplicates 3 (6/min), errors 1 (2/min)"
    assert progress_line(now, now, 2.0).endswith("errors 1 (0/min)")
    assert "(1.5/min)" in progress_line({**now, "errors": 3}, now, 4 / 3)


def test_periodic_and_final_lines(tmp_path: Path) -> None:
    settings = {
        "GAZETTE_PROGRESS_INTERVAL": 0.3,
        "DOWNLOAD_DELAY": 0.25,
        "GAZETTE_SUMMARY_PRINT": 0,
    }
    with serve(DEMO_SITE / "govcn") as base:
        proc, _ = scrapy_crawl(
            tmp_path,
            "gov_cn",
            {"start_url": f"{base}/search-gov/data?t=zhengcelibrary_gw&p=1&n=3"},
            settings,
        )
    assert proc.returncode == 0, proc.stderr[-3000:]
    periodic = LINE.findall(proc.stderr)
    assert len(periodic) >= 2, proc.stderr[-3000:]
    pages = [int(p) for p, *_ in periodic]
    assert pages == sorted(pages)  # totals only grow
    final = re.search(r"progress \(finished after [\d.]+ min\): (pages \d+ .*)", proc.stderr)
    assert final is not None
    assert re.search(r"notices [1-9]\d* ", final.group(1))
