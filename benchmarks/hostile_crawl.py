"""Hostile lists, crawled for real: list pages requested and the frontier's peak memory.

    python benchmarks/hostile_crawl.py                    # all three, 100,000 links
    python benchmarks/hostile_crawl.py --links 20000 --details 1000 --only huge

Serves :class:`tests.faultserver.PagingServer` on 127.0.0.1 and runs ``scrapy crawl``
in subprocesses with the project's settings (issue 17, points 3 and 5):

* **soft 404**: a 3-page list whose server answers every ``index_N.html`` past the
  end with the last page and a 下一页 link: list pages requested per spider (the
  issue measured 3,143 in 30 s for gov_cn; now 3 + ``GAZETTE_LIST_PATIENCE``); and
  the same list paged by a script claiming 500 pages (``GAZETTE_LIST_WINDOW``);
* **next links only**: a 30-page list reached by 下一页 only, site spider with its
  ``DEPTH_LIMIT`` of 4: list pages requested and notices exported (was 5 and 20);
* **100,000 links**: one list page with that many detail links; the crawl stops
  after ``--details`` detail pages (``CLOSESPIDER_PAGECOUNT``) and the peak RSS of
  the crawl process (``wait4``'s ``ru_maxrss``) is printed with the frontier on
  (default settings), off (``GAZETTE_FRONTIER_SCHEDULED=0``) and off with
  ``JOBDIR`` (Scrapy's disk queues).

Figures (2026-12, 2 CPUs, server and crawl on one box, Scrapy 2.19; two runs of the
memory figures agreed within 3 MB):

===================================  ===============================================
soft 404, list pages requested       site 5, gov_cn 5, pingtan 5, fujian_trs 5
                                     (3 real + patience 2)
same, createPageHTML(500) paging     site 8 (3 real + 2 + what was on its way)
next links only (30 pages x 5)       30 list pages, 150 of 150 notices exported
100,000 links, 500 details crawled   frontier on (default) 264 MB (97,984 parked,
                                     2,021 scheduled); frontier off 520 MB (100,005
                                     scheduled); frontier off + JOBDIR 272 MB
crawl process at start               about 150 MB
===================================  ===============================================

Before issue 17 (same page, same 500 details): 529 MB, and 542 MB with ``JOBDIR``
(the spider gathered the page's 100,000 requests and selectors in lists first).
What is left in the frontier-on figure is the page itself: its body and text (about
20 MB for 5.8 MB of HTML), lxml's tree (about 70 MB) and the run's seen-URL sets
(about 25 MB for 100,000 URLs); the parked requests are on disk.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))

from faultserver import (  # noqa: E402
    PagingServer,
    PagingSite,
    crawl_command,
    crawl_env,
    read_jsonl,
    serving_lists,
)


def crawl(
    server: PagingServer,
    kind: str,
    workdir: Path,
    name: str,
    spider: str = "site",
    settings: dict[str, Any] | None = None,
    timeout: float = 1800,
) -> dict[str, Any]:
    """One crawl of list ``kind``; → stats plus ``_peak_mb``, ``_seconds``, ``_records``."""
    feed, stats = workdir / f"{name}.jsonl", workdir / f"{name}-stats.json"
    base = {"DOWNLOAD_MAXSIZE": 16 << 20, "DOWNLOAD_TIMEOUT": 60, "LOG_LEVEL": "INFO"}
    base.update(settings or {})
    cmd = crawl_command(
        server.lists.start_url(server.base, kind),
        feed,
        workdir / f"{name}.sqlite3",
        stats,
        spider=spider,
        settings=base,
    )
    started = time.monotonic()
    with open(workdir / f"{name}.log", "w") as log:
        proc = subprocess.Popen(
            cmd, cwd=str(ROOT), env=crawl_env(), stdout=subprocess.DEVNULL, stderr=log
        )
        try:
            _, status, usage = os.wait4(proc.pid, 0)
        except BaseException:
            proc.kill()
            raise
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode != 0:
        raise SystemExit(f"{name}: crawl failed ({proc.returncode}), see {workdir / name}.log")
    data = json.loads(stats.read_text("utf-8")) if stats.exists() else {}
    data["_peak_mb"] = usage.ru_maxrss / 1024
    data["_seconds"] = time.monotonic() - started
    data["_records"] = len(read_jsonl(feed, strict=False))
    return data


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--links", type=int, default=100_000, help="links on the big page")
    parser.add_argument("--details", type=int, default=500, help="detail pages to crawl")
    parser.add_argument("--only", choices=("soft404", "nextonly", "huge"), action="append")
    parser.add_argument("--workdir", help="keep exports, stats and logs here")
    args = parser.parse_args(argv)
    shapes = args.only or ["soft404", "nextonly", "huge"]
    workdir = Path(args.workdir or tempfile.mkdtemp(prefix="gazette-hostile-"))
    workdir.mkdir(parents=True, exist_ok=True)
    lists = PagingSite(soft404_pages=3, nextonly_pages=30, per_page=5, huge_links=args.links)
    lists.list_page("huge", 0)  # built once, before the clock runs
    print(f"workdir {workdir}", flush=True)
    with serving_lists(lists, timeout=60) as server:
        if "soft404" in shapes:
            print("\nsoft-404 list (3 real pages, every index_N.html answers)")
            for kind, spider in (
                ("soft404", "site"),
                ("soft404", "gov_cn"),
                ("soft404", "pingtan"),
                ("soft404", "fujian_trs"),
                ("softjs", "site"),
            ):
                before = server.list_hits(kind)
                stats = crawl(server, kind, workdir, f"{kind}-{spider}", spider)
                how = "createPageHTML(500)" if kind == "softjs" else "下一页"
                print(
                    f"  {spider:<10} {how:<19} list pages requested "
                    f"{server.list_hits(kind) - before:>4}"
                    f"  lists ended barren {stats.get('gazette/pagination/lists_ended_barren', 0)}"
                    f"  records {stats['_records']}  ({stats['_seconds']:.1f} s)",
                    flush=True,
                )
        if "nextonly" in shapes:
            print("\nnext-link-only list (30 pages x 5 notices), site spider, DEPTH_LIMIT 4")
            stats = crawl(server, "nextonly", workdir, "nextonly", "site", {"DEPTH_LIMIT": 4})
            mine = [
                r
                for r in read_jsonl(workdir / "nextonly.jsonl", strict=False)
                if "/paging/nextonly/" in str(r.get("url"))
            ]
            near = stats.get("gazette/duplicates/near", 0)
            print(
                f"  list pages requested {server.list_hits('nextonly')}, notices exported "
                f"{len(mine)} (+{near} near duplicates) of {len(lists.expected('nextonly'))}",
                flush=True,
            )
        if "huge" in shapes:
            print(f"\none list page with {args.links:,} links, {args.details} detail pages crawled")
            variants = (
                ("on", "frontier on (default)", {}),
                ("off", "frontier off", {"GAZETTE_FRONTIER_SCHEDULED": 0}),
                (
                    "jobdir",
                    "frontier off, JOBDIR",
                    {"GAZETTE_FRONTIER_SCHEDULED": 0, "JOBDIR": str(workdir / "jobdir")},
                ),
            )
            for name, label, extra in variants:
                settings = {"CLOSESPIDER_PAGECOUNT": args.details, **extra}
                stats = crawl(server, "huge", workdir, f"huge-{name}", "site", settings)
                print(
                    f"  {label:<22} peak {stats['_peak_mb']:6.0f} MB"
                    f"  parked {stats.get('gazette/frontier/max_parked', 0):>7}"
                    f"  scheduled {stats.get('scheduler/enqueued', 0):>7}"
                    f"  ({stats['_seconds']:.0f} s)",
                    flush=True,
                )
    return 0


if __name__ == "__main__":
    sys.exit(main())
