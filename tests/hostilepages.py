"""Hostile and broken pages served on 127.0.0.1: a page of one metadata label
repeated (sent gzip-compressed, tens of KB on the wire for megabytes of page), a
Word export with an unclosed ``<span>`` per paragraph, an unclosed ``<div>``
ladder, amid ordinary notice pages linked from one list page.

Used by ``tests/test_hostile_pages.py`` (small sizes) and ``benchmarks/hostile.py``
(the sizes that hurt).
"""

from __future__ import annotations

import gzip
import http.server
import threading
from collections.abc import Iterator
from contextlib import contextmanager

HEAD = "<html><head><meta charset='utf-8'><title>关于印发测试办法的通知</title></head><body><div>"
TAIL = "</div></body></html>"
#: the repeated unit of each hostile shape
SHAPES = {
    "label": "发文机关：",
    "labels3": "发文机关：文号：成文日期：",
    "br": "<br>",
    "recipients_br": "主送：各区人民政府<br>",
    "signatures": "<p>某县人民政府</p><p>2024年3月6日</p>",
    "unclosed_spans": "<span><p>第一条 为了规范管理，制定本办法。</p>",
    "div_ladder": "<div>第一段文字，内容。",
}


def shape_page(unit: str, mb: float) -> bytes:
    """``unit`` repeated to about ``mb`` MB inside a page."""
    n = int(mb * 1_000_000) // len(unit.encode())
    return (HEAD + unit * n + TAIL).encode()


def notice_page(i: int) -> bytes:
    return (
        f"<html><head><meta charset='utf-8'><title>某市人民政府关于第{i}项工作的通知</title></head>"
        f"<body><div class='TRS_Editor'><h1>某市人民政府关于第{i}项工作的通知</h1>"
        f"<p>某府〔2024〕{i}号</p><p>各区人民政府，市政府各部门：</p>"
        f"<p>为做好第{i}项工作，现将有关事项通知如下，请认真贯彻执行。</p>"
        f"<p>一、加强组织领导，明确责任分工，确保第{i}项工作落到实处。</p>"
        "<p>某市人民政府</p><p>2024年3月6日</p></div></body></html>"
    ).encode()


def word_export(paragraphs: int) -> bytes:
    """A 办法 exported from Word: one ``<span>`` left open per paragraph."""
    arts = "".join(
        f"<span><p>第{i}条 为了规范管理，制定本办法。</p>" for i in range(1, paragraphs + 1)
    )
    return (
        "<html><head><meta charset='utf-8'><title>某市某某管理办法</title></head><body>"
        f"<h1>某市某某管理办法</h1>{arts}<p>某市人民政府</p><p>2024年3月6日</p></body></html>"
    ).encode()


class _Server(http.server.ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, pages: dict[str, tuple[bytes, dict[str, str]]]) -> None:
        self.pages = pages
        super().__init__(("127.0.0.1", 0), _Handler)


class _Handler(http.server.BaseHTTPRequestHandler):
    server: _Server

    def do_GET(self) -> None:  # noqa: N802
        found = self.path in self.server.pages
        body, headers = self.server.pages.get(self.path, (b"not found", {}))
        self.send_response(200 if found else 404)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        for k, v in headers.items():
            self.send_header(k, v)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


def site(hostile: dict[int, bytes], notices: int = 10) -> dict[str, tuple[bytes, dict[str, str]]]:
    """``notices`` notice pages and the ``hostile`` pages (number → page, sent gzip),
    all linked from ``/list.html``."""
    pages: dict[str, tuple[bytes, dict[str, str]]] = {"/robots.txt": (b"", {})}
    links = []
    for i in range(1, notices + 1):
        pages[f"/n/{i}.html"] = (notice_page(i), {})
        links.append(i)
    for i, page in hostile.items():
        pages[f"/n/{i}.html"] = (gzip.compress(page, 6), {"Content-Encoding": "gzip"})
        links.insert(len(links) // 2, i)
    items = "".join(
        f"<li><a href='/n/{i}.html'>某市人民政府关于第{i}项工作的通知</a></li>" for i in links
    )
    pages["/list.html"] = (
        "<html><head><meta charset='utf-8'><title>通知公告</title></head>"
        f"<body><ul>{items}</ul></body></html>".encode(),
        {},
    )
    return pages


@contextmanager
def serving(pages: dict[str, tuple[bytes, dict[str, str]]]) -> Iterator[str]:
    """Serve ``pages``; yields the list page's URL."""
    server = _Server(pages)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/list.html"
    finally:
        server.shutdown()
        server.server_close()
