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
import gzip
import http.server
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))

from gazette.extract import extract_html  # noqa: E402

HEAD = "<html><head><meta charset='utf-8'><title>关于印发测试办法的通知</title></head><body><div>"
TAIL = "</div></body></html>"
SHAPES = {
    "label": "发文机关：",
    "labels3": "发文机关：文号：成文日期：",
    "br": "<br>",
    "recipients_br": "主送：各区人民政府<br>",
    "signatures": "<p>某县人民政府</p><p>2024年3月6日</p>",
    "unclosed_spans": "<span><p>第一条 为了规范管理，制定本办法。</p>",
    "div_ladder": "<div>第一段文字，内容。",
}
SIZES_MB = (0.5, 1, 2, 4)


def shape_page(unit: str, mb: float) -> bytes:
    n = int(mb * 1_000_000) // len(unit.encode())
    return (HEAD + unit * n + TAIL).encode()


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


def notice_page(i: int) -> bytes:
    return (
        f"<html><head><meta charset='utf-8'><title>某市人民政府关于第{i}项工作的通知</title></head>"
        f"<body><div class='TRS_Editor'><h1>某市人民政府关于第{i}项工作的通知</h1>"
        f"<p>某府〔2024〕{i}号</p><p>各区人民政府，市政府各部门：</p>"
        f"<p>为做好第{i}项工作，现将有关事项通知如下，请认真贯彻执行。</p>"
        f"<p>一、加强组织领导，明确责任分工，确保第{i}项工作落到实处。</p>"
        "<p>某市人民政府</p><p>2024年3月6日</p></div></body></html>"
    ).encode()


class Site(http.server.ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, pages: dict[str, tuple[bytes, dict[str, str]]]) -> None:
        self.pages = pages
        super().__init__(("127.0.0.1", 0), Handler)


class Handler(http.server.BaseHTTPRequestHandler):
    server: Site

    def do_GET(self) -> None:  # noqa: N802
        body, headers = self.server.pages.get(self.path, (b"not found", {}))
        self.send_response(200 if self.path in self.server.pages else 404)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        for k, v in headers.items():
            self.send_header(k, v)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


def crawl(with_hostile: bool, workdir: Path) -> tuple[float, int, int]:
    from faultserver import run_crawl

    pages: dict[str, tuple[bytes, dict[str, str]]] = {"/robots.txt": (b"", {})}
    links = [f"/n/{i}.html" for i in range(1, 11)]
    for i, link in enumerate(links, 1):
        pages[link] = (notice_page(i), {})
    if with_hostile:
        big = shape_page(SHAPES["label"], 16)
        pages["/n/99.html"] = (gzip.compress(big, 9), {"Content-Encoding": "gzip"})
        links.insert(5, "/n/99.html")
    items = "".join(
        f"<li><a href='{u}'>某市人民政府关于第{u.rsplit('/', 1)[-1][:-5]}项工作的通知</a></li>"
        for u in links
    )
    pages["/list.html"] = (
        f"<html><head><meta charset='utf-8'><title>通知公告</title></head><body><ul>{items}</ul></body></html>".encode(),
        {},
    )
    server = Site(pages)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        url = f"http://127.0.0.1:{server.server_address[1]}/list.html"
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
    finally:
        server.shutdown()


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
