"""gazette.crawl.retry: Retry-After on 429/503 (capped) and exponential back-off."""

from __future__ import annotations

import http.server
import threading
import time

from gazette.crawl.retry import backoff_delay, parse_retry_after


def test_parse_and_backoff():
    assert parse_retry_after(b"3") == 3.0
    assert parse_retry_after(b"") is None
    assert backoff_delay(3, 0.5, 10) == 4.0


class Flaky(http.server.BaseHTTPRequestHandler):
    hits: dict[str, int] = {}

    def log_message(self, *args):
        pass

    def do_GET(self):  # noqa: N802
        n = self.hits[self.path] = self.hits.get(self.path, 0) + 1
        if self.path == "/robots.txt":
            self._send(200, b"User-agent: *\nAllow: /\n")
        elif self.path == "/slow.html" and n == 1:
            self._send(429, b"busy", {"Retry-After": "1"})
        elif self.path == "/huge-wait.html" and n == 1:
            self._send(503, b"down", {"Retry-After": "3600"})
        elif self.path == "/plain-500.html" and n == 1:
            self._send(500, b"oops")
        else:
            body = "<html><head><meta charset='utf-8'><title>页</title></head><body><p>正文</p></body></html>"
            self._send(200, body.encode("utf-8"), {"Content-Type": "text/html; charset=utf-8"})

    def _send(self, status, body, headers=None):
        self.send_response(status)
        for k, v in (headers or {}).items():
            self.send_header(k, v)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


def test_retry_after_is_honoured_and_capped(run_crawl):
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Flaky)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{server.server_address[1]}"
    try:
        started = time.monotonic()
        items, stats = run_crawl(
            "urls",
            {"urls": f"{base}/slow.html,{base}/huge-wait.html,{base}/plain-500.html"},
            {"RETRY_AFTER_MAX": 1.5, "RETRY_BACKOFF_BASE": 0.2, "RETRY_BACKOFF_MAX": 1},
        )
        elapsed = time.monotonic() - started
    finally:
        server.shutdown()
        server.server_close()
    assert stats.get("retry/count") == 3
    # 1 s (Retry-After) + 1.5 s (3600 s capped) + 0.2 s (500: back-off)
    assert abs(stats.get("retry/backoff_seconds", 0) - 2.7) < 0.01
    assert elapsed >= 1.5
    assert len(items) == 3
