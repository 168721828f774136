"""Hostile pages: does extraction cost grow with the page, and is it bounded?

    python benchmarks/hostile.py                 # every shape, 0.5 to 4 MB, and the crawl
    python benchmarks/hostile.py --shapes label br --no-crawl

Part 1 runs :func:`gazette.extract.extract_html` in this process on pages made of
one repeated unit (the shapes a broken or hostile site sends: one metadata label
repeated, three labels, bare ``<br>``, ``主送：…<br>``, signature blocks, a Word
export's unclosed ``<span>`` per paragraph, an unclosed ``<div>`` ladder) at
0.5, 1, 2 and 4 MB, and prints per shape the MB/s at 4 MB, the time ratio from
0.5 to 4 MB (linear is 8; below 8 means the page budget cut the reading), and
the ``cut`` the record carries.

Part 2 serves ten notice pages and one 16 MB page of repeated labels (sent
gzip-compressed, about 30 KB on the wire) on 127.0.0.1 and crawls them with
``scrapy crawl site`` and the project's pipelines: the wall time of the crawl,
and of the same crawl without the hostile page.

Figures of the final code of this change are in ``benchmarks/README.md``.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))

from hostilepages import SHAPES, shape_page, site  # noqa: E402
from hostilepages import serving as serve_site  # noqa: E402

from gazette.extract import extract_html  # noqa: E402

SIZES_MB = (0.5, 1, 2, 4)


def time_extract(page: bytes, repeat: int) -> tuple[float, str | None]:
    best = float("inf")
    cut = None
    for _ in range(repeat):
        t = time.perf_counter()
        record = extract_html(page)
        best = min(best, time.perf_counter() - t)
        cut = record.get("cut")
    return best, cut


def part1(shapes: list[str], repeat: int) -> None:
    print(
        "shape            "
        + "  ".join(f"{mb:>5} MB" for mb in SIZES_MB)
        + "   MB/s@4  4/0.5  cut@4"
    )
    for name in shapes:
        times = []
        cut = None
        for mb in SIZES_MB:
            t, cut = time_extract(shape_page(SHAPES[name], mb), repeat)
            times.append(t)
        cols = "  ".join(f"{t:7.2f}s" for t in times)
        print(
            f"{name:16} {cols}   {SIZES_MB[-1] / times[-1]:6.2f}  {times[-1] / times[0]:5.1f}  {cut}"
        )


def crawl(with_hostile: bool, workdir: Path) -> tuple[float, int, int]:
    from faultserver import run_crawl

    hostile = {99: shape_page(SHAPES["label"], 16)} if with_hostile else {}
    with serve_site(site(hostile)) as url:
        name = "hostile" if with_hostile else "plain"
        t = time.perf_counter()
        records, stats, _log = run_crawl(
            url,
            workdir,
            name=name,
            timeout=600,
            settings={"DOWNLOAD_MAXSIZE": 32 << 20, "DOWNLOAD_WARNSIZE": 0},
        )
        return time.perf_counter() - t, len(records), int(stats.get("response_received_count", 0))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--shapes", nargs="*", default=list(SHAPES), choices=list(SHAPES))
    parser.add_argument("--repeat", type=int, default=2, help="best of N per size (2)")
    parser.add_argument("--no-crawl", action="store_true", help="skip part 2")
    args = parser.parse_args(argv)
    part1(args.shapes, args.repeat)
    if not args.no_crawl:
        with tempfile.TemporaryDirectory() as tmp:
            plain = crawl(False, Path(tmp))
            hostile = crawl(True, Path(tmp))
        print(
            f"\ncrawl of 10 notices: {plain[0]:.1f} s ({plain[1]} exported, {plain[2]} responses); "
            f"with a 16 MB label page among them: {hostile[0]:.1f} s "
            f"({hostile[1]} exported, {hostile[2]} responses)"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
