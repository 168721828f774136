"""A fault-injecting web server for the robustness tests (127.0.0.1 only).

:class:`ChaosSite` generates a small government site: numbered list pages
(``/zwgk/tzgg/index.html``, ``index_1.html`` …, with a ``下一页`` link) linking to
notice detail pages (``/zwgk/tzgg/202403/t20240315_1000123.htm``) written from a
template with invented notice text: a title ``关于…的通知``, a 文号 line
(``岚综管办〔2024〕3号``), a 主送 line, paragraphs and a signature (office and
date). Each detail page (and some list pages) gets a *behaviour* from
:data:`BEHAVIOURS`; the server plays it:

* recoverable faults (the notice must still be exported): 500/502/503 for the
  first hits then 200, 429 with ``Retry-After``, one response slower than the
  crawl's timeout, one connection reset, one truncated body, a charset header
  that contradicts the bytes (both ways), a wrong ``Content-Type``, malformed
  HTML (unclosed tags and comment, a stray ``</html>`` before the content), a
  same-site redirect;
* terminal faults (the notice is not reachable, the fault must be counted):
  a 500 that never recovers, a page that always times out or always resets
  the connection, 404, a gzip bomb, a page over the size limit
  (with and without ``Content-Length``), a redirect loop, a redirect chain
  longer than ``REDIRECT_MAX_TIMES``, a redirect to another host, a path
  ``robots.txt`` disallows, an empty 200, a JS-only shell, a cleared
  placeholder.

List pages also link to another host (:class:`FaultServer` ``offsite``), which
must never be fetched. :meth:`ChaosSite.expected` is the set of notices a
crawl must export (the reachable ones), :meth:`ChaosSite.fault_reasons` the
``gazette/faults/<reason>`` stats it must show.

With ``faults=False`` the same site is served clean (every notice plainly at
its URL): the reference crawl.

The server is bounded: at most ``max_requests`` requests (then 503 without
retry hints), each slow response at most ``slow`` seconds, every thread a
daemon; ``stop()`` ends it.
"""

from __future__ import annotations

import contextlib
import gzip
import http.server
import json
import os
import random
import socket
import struct
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parent.parent

# -- behaviours ------------------------------------------------------------------------


@dataclass(frozen=True)
class Behaviour:
    """How the server answers one URL. ``reason``: the fault stat it must cause."""

    name: str
    reachable: bool  # the notice must be exported despite the fault
    reason: str | None  # gazette/faults/<reason> (None: not a fault)


BEHAVIOURS: dict[str, Behaviour] = {
    b.name: b
    for b in (
        Behaviour("ok", True, None),
        Behaviour("http_500_then_ok", True, "http_500"),
        Behaviour("http_502_then_ok", True, "http_502"),
        Behaviour("http_503_then_ok", True, "http_503"),
        Behaviour("http_429_retry_after", True, "http_429"),
        Behaviour("slow_once", True, "timeout"),
        Behaviour("reset_once", True, "connection_lost"),
        Behaviour("truncated_once", True, "truncated"),
        Behaviour("gbk_labelled_utf8", True, "encoding_mismatch"),
        Behaviour("utf8_labelled_gbk", True, "encoding_mismatch"),
        Behaviour("wrong_content_type", True, "content_type"),
        Behaviour("text_plain", True, "content_type"),
        Behaviour("malformed_html", True, "malformed_html"),
        Behaviour("gzip_ok", True, None),
        Behaviour("redirect_same_site", True, None),
        Behaviour("http_500_forever", False, "http_500"),
        Behaviour("slow_forever", False, "timeout"),
        Behaviour("reset_forever", False, "connection_lost"),
        Behaviour("http_404", False, "http_404"),
        Behaviour("gzip_bomb", False, "too_large"),
        Behaviour("too_large", False, "too_large"),
        Behaviour("too_large_streamed", False, "too_large"),
        Behaviour("redirect_loop", False, "redirect_loop"),
        Behaviour("redirect_chain", False, "max_redirects"),
        Behaviour("redirect_offsite", False, "offsite"),
        Behaviour("robots_disallowed", False, "robots_disallowed"),
        Behaviour("empty_200", False, "empty"),
        Behaviour("js_shell", False, "js_shell"),
        Behaviour("placeholder", False, "placeholder"),
    )
}
FAULTY = tuple(name for name in BEHAVIOURS if name not in ("ok", "gzip_ok"))
#: faults a list page may have (all recoverable)
LIST_FAULTS = ("http_503_then_ok", "truncated_once", "slow_once", "http_429_retry_after")

# -- invented notices -------------------------------------------------------------------

OFFICES = (
    ("平潭综合实验区管理委员会办公室", "岚综管办"),
    ("平潭综合实验区管理委员会", "岚综管"),
    ("福州市人民政府办公厅", "榕政办"),
    ("泉州市人民政府", "泉政"),
    ("厦门市人民政府办公厅", "厦府办"),
    ("莆田市人民政府", "莆政"),
    ("宁德市人民政府办公室", "宁政办"),
    ("三明市人民政府", "明政"),
)
RECIPIENTS = (
    "各片区管理局，区直各部门，各直属企业",
    "各县（市、区）人民政府，市直各委、办、局",
    "各乡镇人民政府、街道办事处，市直有关单位",
    "各区人民政府，市直各单位",
)
SUBJECTS = (
    "安全生产",
    "防汛防台风",
    "森林防火",
    "春节期间值班",
    "耕地保护",
    "城乡环境整治",
    "优化营商环境",
    "农村生活污水治理",
    "义务教育招生",
    "医疗保障",
    "消防安全检查",
    "重大项目建设",
    "政务公开",
    "稳就业",
    "海洋渔业",
    "文物保护",
)
TITLE_FORMS = (
    "关于做好{year}年{subject}工作的通知",
    "关于进一步加强{subject}工作的通知",
    "关于开展{subject}专项行动的通知",
    "关于印发{subject}工作方案的通知",
    "关于{subject}有关事项的通知",
)
PHRASES = (
    "各地各部门要提高思想认识",
    "切实加强组织领导",
    "严格落实属地管理责任",
    "建立健全工作协调机制",
    "加强督促检查和考核评估",
    "及时研究解决工作中遇到的困难和问题",
    "确保各项工作措施落到实处",
    "加大资金投入和政策支持力度",
    "做好宣传引导和舆论监督工作",
    "强化部门协作和信息共享",
    "认真排查整治各类风险隐患",
    "按照属地管理和分级负责的原则",
    "完善应急预案并组织开展演练",
    "加快推进项目建设进度",
    "统筹做好疫情防控和经济社会发展",
    "落实二十四小时值班和领导带班制度",
    "对工作不力的单位予以通报批评",
    "有关情况请于每月五日前报送",
    "进一步规范审批流程和办理时限",
    "鼓励社会力量积极参与",
    "加强基层队伍建设和业务培训",
    "严肃查处违法违规行为",
)


@dataclass
class SiteNotice:
    """One invented notice and where/how the site serves it."""

    index: int
    title: str
    doc_number: str
    issuer: str
    recipients: str
    paragraphs: list[str]
    date: str  # ISO
    path: str
    behaviour: str = "ok"

    @property
    def date_cn(self) -> str:
        y, m, d = (int(x) for x in self.date.split("-"))
        return f"{y}年{m}月{d}日"


def make_notice(index: int, rng: random.Random) -> SiteNotice:
    """The ``index``-th notice of a site (deterministic for a seeded ``rng``)."""
    issuer, code = OFFICES[index % len(OFFICES)]
    year = 2019 + index % 6
    month, day = 1 + (index * 7) % 12, 1 + (index * 11) % 28
    subject = SUBJECTS[rng.randrange(len(SUBJECTS))]
    title = TITLE_FORMS[rng.randrange(len(TITLE_FORMS))].format(year=year, subject=subject)
    paragraphs = []
    for p in range(rng.randint(3, 5)):
        picks = rng.sample(PHRASES, rng.randint(3, 6))
        lead = f"（{'一二三四五六'[p]}）" if p else f"为切实做好{subject}工作，第{index + 1}号事项"
        paragraphs.append(lead + "，".join(picks) + "。")
    paragraphs.append(f"本通知自印发之日起施行，联系电话：0591-{8800000 + index}。")
    return SiteNotice(
        index=index,
        title=title,
        doc_number=f"{code}〔{year}〕{index + 1}号",
        issuer=issuer,
        recipients=RECIPIENTS[index % len(RECIPIENTS)],
        paragraphs=paragraphs,
        date=f"{year}-{month:02d}-{day:02d}",
        path=f"/zwgk/tzgg/{year}{month:02d}/t{year}{month:02d}{day:02d}_{1000000 + index}.htm",
    )


def notice_html(n: SiteNotice, charset: str = "utf-8", malformed: bool = False) -> str:
    """A detail page for ``n`` (``malformed``: broken markup around the same text)."""
    paras = "\n".join(f"<p>{p}</p>" for p in n.paragraphs)
    head = (
        f'<head><meta http-equiv="Content-Type" content="text/html; charset={charset}">'
        f"<title>{n.title}_平潭政务网</title></head>"
    )
    nav = '<div class="nav"><a href="/">首页</a> &gt; <a href="/zwgk/tzgg/">通知公告</a></div>'
    article = (
        f'<div class="article"><h1>{n.title}</h1>\n'
        f'<p class="docno" style="text-align:center">{n.doc_number}</p>\n'
        f"<p>{n.recipients}：</p>\n{paras}\n"
        f'<p style="text-align:right">{n.issuer}</p>\n'
        f'<p style="text-align:right">{n.date_cn}</p></div>'
    )
    footer = '<div class="footer">主办：平潭综合实验区管理委员会办公室</div>'
    if not malformed:
        return f"<!DOCTYPE html>\n<html>{head}<body>{nav}\n{article}\n{footer}</body></html>\n"
    # a stray </html> from a server-side include before the content, unclosed
    # <div>/<span>/<font>, an unclosed comment at the very end
    return (
        f"<html>{head}<body>{nav}<div class='inc'><span>include</div></html>\n"
        f"<div><font>{article.replace('</p>', '', 3)}\n<div>{footer}\n"
        "<!-- [if lt IE 9]><script src='html5.js'></script>"
    )


def list_html(site: ChaosSite, page: int) -> str:
    """List page ``page`` (0-based): its notices, off-site links, a 下一页 link."""
    items = []
    for n in site.notices_on(page):
        items.append(
            f'<li><a href="{n.path}" title="{n.title}">{n.title}</a><span>{n.date}</span></li>'
        )
    for extra in site.extras_on(page):
        items.append(f'<li><a href="{extra[0]}">{extra[1]}</a><span>2024-01-01</span></li>')
    if page == 0 and site.offsite_base:
        # links to another host: the spider must never follow them
        off = site.offsite_base
        items.append(
            f'<li><a href="{off}/zwgk/tzgg/202401/t20240101_9999999.htm">外站通知</a></li>'
        )
        items.append(f'<li><a href="{off}/zwgk/tzgg/index_1.html">下一页</a></li>')
    nxt = ""
    if page + 1 < site.list_pages:
        nxt = f'<a class="next" href="/zwgk/tzgg/index_{page + 1}.html">下一页</a>'
    return (
        '<!DOCTYPE html><html><head><meta charset="utf-8"><title>通知公告</title></head>'
        f'<body><div class="list"><ul>\n{chr(10).join(items)}\n</ul></div>'
        f'<div class="page">{nxt}</div>'
        # TRS-style pagination script: every list page is known from the first
        f'<script>createPageHTML({site.list_pages}, {page}, "index", "html");</script>'
        "</body></html>"
    )


JS_SHELL = (
    '<!DOCTYPE html><html><head><meta charset="utf-8"><title></title>'
    '<script src="/static/js/chunk-vendors.js"></script><script src="/static/js/app.js"></script>'
    '</head><body><noscript>请开启JavaScript</noscript><div id="app"></div></body></html>'
)
PLACEHOLDER = (
    '<!DOCTYPE html><html><head><meta charset="utf-8"><title>标题和内容已经清空</title></head>'
    "<body><div class='article'><h1>标题和内容已经清空</h1><p>2023-05-13 23:52:28</p></div>"
    "</body></html>"
)


class ChaosSite:
    """A generated site: ``notices`` notices, ``per_page`` per list page, faults.

    ``fault_ratio`` of the notices get a fault behaviour (cycling through
    :data:`FAULTY`, so every kind occurs once the site is big enough);
    ``behaviours={index: name}`` forces some. Terminal faults of kinds that
    are not notices (empty, JS shell, placeholder, redirect loops …) are
    *extra* URLs on the list pages, so every notice has a clean twin.
    """

    def __init__(
        self,
        notices: int = 40,
        per_page: int = 20,
        fault_ratio: float = 0.5,
        seed: int = 6,
        faults: bool = True,
        list_faults: bool = True,
        behaviours: dict[int, str] | None = None,
        kinds: tuple[str, ...] = FAULTY,
    ) -> None:
        rng = random.Random(seed)
        self.faults = faults
        self.notices = [make_notice(i, rng) for i in range(notices)]
        self.per_page = per_page
        self.list_pages = max(1, -(-notices // per_page))
        self.offsite_base = ""
        pick = random.Random(seed + 1)
        k = 0
        for n in self.notices:
            if pick.random() < fault_ratio and kinds:
                n.behaviour = kinds[k % len(kinds)]
                k += 1
        for index, name in (behaviours or {}).items():
            self.notices[index].behaviour = name
        if not faults:
            for n in self.notices:
                n.behaviour = "ok"
        for n in self.notices:
            if n.behaviour == "robots_disallowed":
                n.path = n.path.replace("/zwgk/tzgg/", "/private/tzgg/")
        self.by_path = {n.path: n for n in self.notices}
        self.list_behaviour: dict[int, str] = {}
        if faults and list_faults:
            for page in range(1, self.list_pages):
                self.list_behaviour[page] = LIST_FAULTS[page % len(LIST_FAULTS)]

    # -- structure ------------------------------------------------------------------
    def notices_on(self, page: int) -> list[SiteNotice]:
        return self.notices[page * self.per_page : (page + 1) * self.per_page]

    def extras_on(self, page: int) -> list[tuple[str, str]]:
        """Non-notice fault URLs on list page 0 (path, anchor text)."""
        if page != 0 or not self.faults:
            return []
        return [
            ("/zwgk/tzgg/202401/t20240102_2000001.htm", "关于空白页面的通知"),
            ("/zwgk/tzgg/202401/t20240102_2000002.htm", "关于脚本页面的通知"),
            ("/zwgk/tzgg/202401/t20240102_2000003.htm", "标题和内容已经清空"),
        ]

    def list_path(self, page: int) -> str:
        return "/zwgk/tzgg/index.html" if page == 0 else f"/zwgk/tzgg/index_{page}.html"

    @property
    def start_path(self) -> str:
        return self.list_path(0)

    # -- expectations ---------------------------------------------------------------
    def expected(self) -> list[SiteNotice]:
        """Notices a crawl must export (reachable despite their faults)."""
        return [n for n in self.notices if BEHAVIOURS[n.behaviour].reachable]

    def lost_by_design(self) -> list[SiteNotice]:
        return [n for n in self.notices if not BEHAVIOURS[n.behaviour].reachable]

    def fault_reasons(self) -> Counter[str]:
        """``reason -> number of notices (or extra pages) showing it`` (at least)."""
        out: Counter[str] = Counter()
        for n in self.notices:
            reason = BEHAVIOURS[n.behaviour].reason
            if reason:
                out[reason] += 1
        for page, name in self.list_behaviour.items():
            reason = BEHAVIOURS[name].reason
            if reason and page < self.list_pages:
                out[reason] += 1
        if self.faults:
            out.update({"empty": 1, "js_shell": 1, "placeholder": 1})
        return out

    def behaviour_of(self, path: str) -> tuple[str, SiteNotice | None, int | None]:
        """``(behaviour, notice, list page)`` for a request path."""
        notice = self.by_path.get(path)
        if notice is not None:
            return notice.behaviour, notice, None
        if path in ("/zwgk/tzgg/", "/zwgk/tzgg/index.html"):
            return "ok", None, 0
        if path.startswith("/zwgk/tzgg/index_") and path.endswith(".html"):
            try:
                page = int(path[len("/zwgk/tzgg/index_") : -len(".html")])
            except ValueError:
                return "http_404", None, None
            if 0 < page < self.list_pages:
                return self.list_behaviour.get(page, "ok"), None, page
        return "http_404", None, None


# -- the server -----------------------------------------------------------------------


class _Handler(http.server.BaseHTTPRequestHandler):
    server: FaultServer  # type: ignore[assignment]
    protocol_version = "HTTP/1.0"
    server_version = "gazette-faults/1"

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
        pass

    def do_HEAD(self) -> None:  # noqa: N802
        self.do_GET()

    def do_GET(self) -> None:  # noqa: N802
        try:
            self.server.route(self)
        except (BrokenPipeError, ConnectionResetError, ConnectionAbortedError, OSError):
            self.close_connection = True

    # helpers used by FaultServer.route
    def send(
        self,
        status: int,
        body: bytes = b"",
        ctype: str | None = "text/html; charset=utf-8",
        headers: dict[str, str] | None = None,
        length: int | None = None,
    ) -> None:
        self.send_response(status)
        if ctype:
            self.send_header("Content-Type", ctype)
        for key, value in (headers or {}).items():
            self.send_header(key, value)
        self.send_header("Content-Length", str(len(body) if length is None else length))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def reset(self) -> None:
        """Abort the connection with a TCP RST (SO_LINGER 0)."""
        self.close_connection = True
        with contextlib.suppress(OSError):
            self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            self.connection.close()


class _OffsiteHandler(http.server.BaseHTTPRequestHandler):
    """Another host: counts and answers every request (it must get none)."""

    server: Any

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
        pass

    def do_GET(self) -> None:  # noqa: N802
        with self.server.lock:
            self.server.hits.append(self.path)
        body = "<html><body><a href='/x/t20240101_1.htm'>外站</a></body></html>".encode()
        self.send_response(200)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


class _ThreadingServer(http.server.ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 256


class FaultServer(_ThreadingServer):
    """Serve a :class:`ChaosSite` on 127.0.0.1 (ephemeral port) with its faults.

    ``timeout`` is the crawl's ``DOWNLOAD_TIMEOUT``: slow responses take
    ``timeout + 1`` s (at most ``slow``); ``fail_times`` is how many 5xx a
    recovering page answers first; ``maxsize`` the crawl's ``DOWNLOAD_MAXSIZE``
    (too-large pages and the gzip bomb exceed it).
    """

    def __init__(
        self,
        site: ChaosSite,
        timeout: float = 2.0,
        fail_times: int = 2,
        maxsize: int = 1 << 20,
        max_requests: int = 200_000,
        max_seconds: float = 3600.0,
        slow: float = 10.0,
        delay: float = 0.0,
    ) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.delay = delay
        self.site = site
        self.timeout_s = timeout
        self.slow_s = min(slow, timeout + 1.0)
        self.fail_times = fail_times
        self.maxsize = maxsize
        self.max_requests = max_requests
        self.deadline = time.monotonic() + max_seconds
        self.stop_event = threading.Event()
        self.lock = threading.Lock()
        self.hits: Counter[str] = Counter()
        self.requests = 0
        self.robots_fetches = 0
        self._bomb: bytes | None = None
        self._thread: threading.Thread | None = None
        self.offsite: _ThreadingServer = _ThreadingServer(("127.0.0.1", 0), _OffsiteHandler)
        self.offsite.hits = []  # type: ignore[attr-defined]
        self.offsite.lock = threading.Lock()  # type: ignore[attr-defined]
        self._offsite_thread: threading.Thread | None = None
        site.offsite_base = self.offsite_base

    # -- lifecycle ---------------------------------------------------------------
    @property
    def base(self) -> str:
        host, port = self.server_address[:2]
        return f"http://{host!s}:{port}"

    @property
    def offsite_base(self) -> str:
        # another host *name* on the loopback interface: a different site, as a
        # redirect to another domain would be (the crawl itself runs on 127.0.0.1)
        port = self.offsite.server_address[1]
        return f"http://localhost:{port}"

    @property
    def start_url(self) -> str:
        return self.base + self.site.start_path

    @property
    def offsite_hits(self) -> list[str]:
        return list(self.offsite.hits)  # type: ignore[attr-defined]

    def start(self) -> FaultServer:
        self._thread = threading.Thread(target=self.serve_forever, daemon=True)
        self._thread.start()
        self._offsite_thread = threading.Thread(target=self.offsite.serve_forever, daemon=True)
        self._offsite_thread.start()
        return self

    def stop(self) -> None:
        self.stop_event.set()
        self.shutdown()
        self.server_close()
        self.offsite.shutdown()
        self.offsite.server_close()

    def __enter__(self) -> FaultServer:
        return self.start()

    def __exit__(self, *exc: Any) -> None:
        self.stop()

    # -- routing -------------------------------------------------------------------
    def _hit(self, key: str) -> int:
        """Count a request for ``key``; → how many came before it."""
        with self.lock:
            before = self.hits[key]
            self.hits[key] += 1
            self.requests += 1
            return before

    def route(self, h: _Handler) -> None:
        path = urlsplit(h.path).path
        before = self._hit(path)
        if self.requests > self.max_requests or time.monotonic() > self.deadline:
            h.send(503, b"over the test server's budget", headers={"Connection": "close"})
            return
        if path == "/robots.txt":
            self.robots_fetches += 1
            h.send(200, b"User-agent: *\nDisallow: /private/\n", "text/plain")
            return
        if path == "/":
            h.send(301, b"", headers={"Location": self.site.start_path})
            return
        extra = self._extra(path)
        if extra is not None:
            extra(h, before)
            return
        if path.startswith("/loop/"):  # /loop/<n>/a.htm <-> /loop/<n>/b.htm
            stem = path.rsplit("/", 1)[0]
            nxt = f"{stem}/b.htm" if path.endswith("a.htm") else f"{stem}/a.htm"
            h.send(302, b"", headers={"Location": nxt})
            return
        if path.startswith("/chain/"):  # /chain/<n>/hop_<k>.htm -> hop_<k+1>
            stem, _, last = path.rpartition("/hop_")
            step = int(last.split(".")[0]) if last.split(".")[0].isdigit() else 0
            h.send(302, b"", headers={"Location": f"{stem}/hop_{step + 1}.htm"})
            return
        if path.startswith("/moved/"):
            notice = self.site.by_path.get(path[len("/moved") :])
            if notice is None:
                h.send(404, b"not found")
                return
            h.send(200, self.detail_bytes(notice), "text/html; charset=utf-8")
            return
        name, notice, page = self.site.behaviour_of(path)
        if self.delay and notice is not None:
            self.stop_event.wait(self.delay)
        body = b""
        if notice is not None:
            body = self.detail_bytes(notice)
        elif page is not None:
            body = list_html(self.site, page).encode("utf-8")
        self.play(h, name, before, body, notice)

    def _extra(self, path: str) -> Any:
        if not self.site.faults:
            return None
        if path.endswith("_2000001.htm"):
            return lambda h, before: h.send(200, b"")
        if path.endswith("_2000002.htm"):
            return lambda h, before: h.send(200, JS_SHELL.encode())
        if path.endswith("_2000003.htm"):
            return lambda h, before: h.send(200, PLACEHOLDER.encode())
        return None

    def detail_bytes(self, n: SiteNotice) -> bytes:
        return notice_html(n).encode("utf-8")

    def play(
        self, h: _Handler, name: str, before: int, body: bytes, notice: SiteNotice | None
    ) -> None:
        html = "text/html; charset=utf-8"
        if name == "ok":
            h.send(200, body, html)
        elif name.endswith("_then_ok"):
            status = int(name.split("_")[1])
            if before < self.fail_times:
                h.send(status, f"<html><body>{status} busy</body></html>".encode(), html)
            else:
                h.send(200, body, html)
        elif name == "http_429_retry_after":
            if before < 1:
                h.send(429, b"slow down", "text/plain", headers={"Retry-After": "1"})
            else:
                h.send(200, body, html)
        elif name == "http_500_forever":
            h.send(500, b"<html><body>Internal Server Error</body></html>", html)
        elif name == "http_404":
            h.send(404, b"<html><body>404 Not Found</body></html>", html)
        elif name == "slow_once":
            if before < 1:
                self.stop_event.wait(self.slow_s)
            h.send(200, body, html)
        elif name == "slow_forever":
            self.stop_event.wait(self.slow_s)
            h.send(200, body, html)
        elif name == "reset_forever":
            h.reset()
        elif name == "reset_once":
            if before < 1:
                h.rfile.read(0)
                h.reset()
            else:
                h.send(200, body, html)
        elif name == "truncated_once":
            if before < 1:
                h.send(200, body[: len(body) // 2], html, length=len(body))
                h.close_connection = True
            else:
                h.send(200, body, html)
        elif name == "gbk_labelled_utf8":
            assert notice is not None
            data = notice_html(notice, charset="utf-8").encode("gbk")
            h.send(200, data, "text/html; charset=UTF-8")
        elif name == "utf8_labelled_gbk":
            assert notice is not None
            h.send(
                200, notice_html(notice, charset="gbk").encode("utf-8"), "text/html; charset=GBK"
            )
        elif name == "wrong_content_type":
            h.send(200, body, "application/octet-stream")
        elif name == "text_plain":
            h.send(200, body, "text/plain; charset=utf-8")
        elif name == "malformed_html":
            assert notice is not None
            h.send(200, notice_html(notice, malformed=True).encode("utf-8"), html)
        elif name == "gzip_ok":
            h.send(200, gzip.compress(body, mtime=0), html, headers={"Content-Encoding": "gzip"})
        elif name == "redirect_same_site":
            assert notice is not None
            h.send(302, b"", headers={"Location": "/moved" + notice.path})
        elif name == "gzip_bomb":
            h.send(200, self.bomb(), html, headers={"Content-Encoding": "gzip"})
        elif name == "too_large":
            pad = b"<!-- " + b"x" * (self.maxsize + 1024) + b" -->"
            h.send(200, body.replace(b"</body>", pad + b"</body>"), html)
        elif name == "too_large_streamed":
            h.send_response(200)
            h.send_header("Content-Type", html)
            h.end_headers()
            h.close_connection = True
            chunk = b"<p>" + "很长的页面".encode() * 2000 + b"</p>\n"
            sent = 0
            while sent <= self.maxsize + len(chunk) and not self.stop_event.is_set():
                h.wfile.write(chunk)
                sent += len(chunk)
        elif name == "redirect_loop":
            key = notice.index if notice else 0
            h.send(302, b"", headers={"Location": f"/loop/{key}/a.htm"})
        elif name == "redirect_chain":
            key = notice.index if notice else 0
            h.send(302, b"", headers={"Location": f"/chain/{key}/hop_1.htm"})
        elif name == "redirect_offsite":
            h.send(302, b"", headers={"Location": self.offsite_base + "/landing/t20240101_1.htm"})
        elif name == "robots_disallowed":
            h.send(200, body, html)  # only reached by a crawler ignoring robots.txt
        elif name == "empty_200":
            h.send(200, b"", html)
        elif name == "js_shell":
            h.send(200, JS_SHELL.encode(), html)
        elif name == "placeholder":
            h.send(200, PLACEHOLDER.encode(), html)
        else:  # pragma: no cover
            h.send(500, f"unknown behaviour {name}".encode(), "text/plain")

    def bomb(self) -> bytes:
        """gzip of ``maxsize * 4`` zero bytes (a few KiB on the wire)."""
        if self._bomb is None:
            self._bomb = gzip.compress(b"\0" * (self.maxsize * 4), compresslevel=9, mtime=0)
        return self._bomb


# -- running crawls (subprocess, fresh reactor) -------------------------------------------


def crawl_command(
    start_url: str,
    feed: Path,
    state: Path,
    stats: Path | None = None,
    jobdir: Path | None = None,
    spider: str = "site",
    settings: dict[str, Any] | None = None,
) -> list[str]:
    """``python -m scrapy crawl`` with the robust-test overrides."""
    cmd = [sys.executable, "-m", "scrapy", "crawl", spider, "-a", f"start_url={start_url}"]
    base: dict[str, Any] = {
        "LOG_LEVEL": "INFO",
        "AUTOTHROTTLE_ENABLED": False,
        "DOWNLOAD_DELAY": 0,
        "CONCURRENT_REQUESTS": 32,
        "CONCURRENT_REQUESTS_PER_DOMAIN": 32,
        "DOWNLOAD_TIMEOUT": 2,
        "RETRY_TIMES": 3,
        # no back-off (BackoffRetryMiddleware also slows the whole host by it, for
        # good with AutoThrottle off), Retry-After honoured up to 0.5 s
        "RETRY_BACKOFF_BASE": 0.0,
        "RETRY_BACKOFF_MAX": 0.0,
        "RETRY_AFTER_MAX": 0.5,
        "DOWNLOAD_MAXSIZE": 1 << 20,
        "DOWNLOAD_WARNSIZE": 0,
        "HTTPCACHE_ENABLED": False,
        "TELNETCONSOLE_ENABLED": False,
        "GAZETTE_STATE_PATH": str(state),
        "FEEDS": {str(feed): {"format": "jsonlines", "encoding": "utf-8"}},
        "DEPTH_LIMIT": 0,
    }
    if stats is not None:
        base["EXTENSIONS"] = {"gazette.demo.StatsToFile": 900}
        base["GAZETTE_STATS_FILE"] = str(stats)
    if jobdir is not None:
        base["JOBDIR"] = str(jobdir)
    base.update(settings or {})
    for key, value in base.items():
        if isinstance(value, (dict, list)):
            value = json.dumps(value)
        elif isinstance(value, bool):
            value = "1" if value else "0"
        cmd += ["-s", f"{key}={value}"]
    return cmd


def crawl_env() -> dict[str, str]:
    """The environment for crawl subprocesses: project settings, no proxies."""
    env = {**os.environ, "SCRAPY_SETTINGS_MODULE": "gazette.settings"}
    env["PYTHONPATH"] = str(ROOT) + os.pathsep + env.get("PYTHONPATH", "")
    for key in ("http_proxy", "https_proxy", "HTTP_PROXY", "HTTPS_PROXY", "all_proxy"):
        env.pop(key, None)
    env["no_proxy"] = "*"
    return env


def run_crawl(
    start_url: str,
    workdir: Path,
    name: str = "crawl",
    timeout: float = 60.0,
    **kwargs: Any,
) -> tuple[list[dict[str, Any]], dict[str, Any], str]:
    """Run one crawl to its end; → (records, stats, log). Raises on failure/timeout."""
    feed = workdir / f"{name}.jsonl"
    stats = workdir / f"{name}-stats.json"
    state = kwargs.pop("state", workdir / f"{name}-state.sqlite3")
    cmd = crawl_command(start_url, feed, state, stats, **kwargs)
    proc = subprocess.run(
        cmd, cwd=str(ROOT), env=crawl_env(), capture_output=True, text=True, timeout=timeout
    )
    if proc.returncode != 0:
        raise AssertionError(f"crawl failed ({proc.returncode}):\n{proc.stderr[-4000:]}")
    records = read_jsonl(feed)
    data = json.loads(stats.read_text("utf-8")) if stats.exists() else {}
    return records, data, proc.stderr


def read_jsonl(path: Path, strict: bool = True) -> list[dict[str, Any]]:
    """Records of a JSON-lines file; ``strict``: every line must be one whole record."""
    if not path.exists():
        return []
    out = []
    data = path.read_bytes()
    if strict and data and not data.endswith(b"\n"):
        raise AssertionError(f"{path}: last line is partial: {data[-200:]!r}")
    for number, line in enumerate(data.decode("utf-8").splitlines(), 1):
        if not line.strip():
            continue
        try:
            out.append(json.loads(line))
        except ValueError as exc:
            raise AssertionError(
                f"{path}:{number}: not a whole JSON record: {line[:200]!r}"
            ) from exc
    return out


def faults_in(stats: dict[str, Any]) -> dict[str, int]:
    """``{reason: count}`` from a crawl's ``gazette/faults/<reason>`` stats."""
    prefix = "gazette/faults/"
    return {k[len(prefix) :]: int(v) for k, v in stats.items() if k.startswith(prefix)}


@contextlib.contextmanager
def serving(site: ChaosSite, **kwargs: Any) -> Iterator[FaultServer]:
    server = FaultServer(site, **kwargs).start()
    try:
        yield server
    finally:
        server.stop()


__all__ = [
    "BEHAVIOURS",
    "FAULTY",
    "JS_SHELL",
    "PLACEHOLDER",
    "Behaviour",
    "ChaosSite",
    "FaultServer",
    "SiteNotice",
    "crawl_command",
    "crawl_env",
    "faults_in",
    "make_notice",
    "notice_html",
    "read_jsonl",
    "run_crawl",
    "serving",
]


# == hostile lists (issue 17, points 3 and 5) ==============================================
# A separate block: lists that never end, lists reached by 下一页 links only, and one list
# page with a very large number of links. Served by :class:`PagingServer` under /paging/
# (everything else falls through to :class:`FaultServer`). Modelled on TRS column lists
# (``index.html``, ``index_1.html`` …, ``t20240315_…htm`` details) as in the pingtan and
# gov.cn list fixtures of ``tests/fixtures``.

#: ids of the notices of each paging list start here (disjoint ranges, one per list)
PAGING_ID_BASE = {
    "soft404": 0,
    "softjs": 20_000,
    "nextonly": 10_000,
    "huge": 100_000,
    "api": 900_000,
}


class PagingSite:
    """The lists :class:`PagingServer` serves under ``/paging/``.

    * ``/paging/soft404/index.html``: ``soft404_pages`` real pages of ``per_page``
      notices; every ``index_N.html`` past the last answers 200 with the last page's
      entries and a 下一页 link to ``index_{N+1}.html`` (the soft 404 that pages a
      crawler forever);
    * ``/paging/softjs/index.html``: the same soft 404, paged by a script that claims
      500 pages (``createPageHTML(500, …)``) instead of a 下一页 link;
    * ``/paging/nextonly/index.html``: ``nextonly_pages`` pages linked by 下一页 only
      (no page count, no numbered links);
    * ``/paging/huge/index.html``: one list page with ``huge_links`` detail links;
    * ``/paging/api/list?page=N``: a JSON list API (``{"articles": [{url, title,
      date}]}``, no total) that answers every page past ``soft404_pages`` with the
      last page's entries.

    Every detail page is a generated notice (:func:`make_notice`), ``/paging/<list>/
    t<date>_<id>.htm``.
    """

    def __init__(
        self,
        soft404_pages: int = 3,
        nextonly_pages: int = 30,
        per_page: int = 5,
        huge_links: int = 2_000,
    ) -> None:
        self.soft404_pages = soft404_pages
        self.nextonly_pages = nextonly_pages
        self.per_page = per_page
        self.huge_links = huge_links
        self._huge: bytes | None = None

    def notice(self, index: int, kind: str) -> SiteNotice:
        n = make_notice(index, random.Random(index))
        n.path = f"/paging/{kind}/" + n.path.rsplit("/", 1)[1]
        return n

    def list_notices(self, kind: str, page: int) -> list[SiteNotice]:
        first = PAGING_ID_BASE[kind] + page * self.per_page
        return [self.notice(i, kind) for i in range(first, first + self.per_page)]

    def expected(self, kind: str) -> list[SiteNotice]:
        """The notices a crawl of list ``kind`` must export."""
        if kind == "huge":
            base = PAGING_ID_BASE[kind]
            return [self.notice(i, kind) for i in range(base, base + self.huge_links)]
        pages = self.nextonly_pages if kind == "nextonly" else self.soft404_pages
        return [n for p in range(pages) for n in self.list_notices(kind, p)]

    def start_url(self, base: str, kind: str) -> str:
        if kind == "api":
            return f"{base}/paging/api/list?page=1"
        return f"{base}/paging/{kind}/index.html"

    @staticmethod
    def _page(title: str, items: list[str], nxt: str) -> bytes:
        return (
            '<!DOCTYPE html><html><head><meta charset="utf-8">'
            f"<title>{title}</title></head><body><div class='list'><ul>\n"
            + "\n".join(items)
            + f"\n</ul></div><div class='page'>{nxt}</div></body></html>"
        ).encode("utf-8")

    def list_page(self, kind: str, page: int) -> bytes:
        if kind == "huge":
            if self._huge is None:
                base = PAGING_ID_BASE[kind]
                # short relative links (a 100,000-link page stays under DOWNLOAD_MAXSIZE)
                rows = [
                    f'<li><a href="{self.notice(i, kind).path.rsplit("/", 1)[1]}">通知{i}</a></li>'
                    for i in range(base, base + self.huge_links)
                ]
                self._huge = self._page("大列表", rows, "")
            return self._huge
        last = (self.nextonly_pages if kind == "nextonly" else self.soft404_pages) - 1
        shown = min(page, last)  # soft404: every page past the last shows the last one
        rows = [
            f'<li><a href="{n.path}">{n.title}</a><span>{n.date}</span></li>'
            for n in self.list_notices(kind, shown)
        ]
        nxt = ""
        if kind == "soft404" or (kind == "nextonly" and page < last):
            nxt = f'<a href="index_{page + 1}.html">下一页</a>'
        if kind == "softjs":
            nxt = f'<script>createPageHTML(500, {page}, "index", "html");</script>'
        return self._page("通知公告", rows, nxt)

    def api_page(self, page: int) -> bytes:
        shown = min(max(page, 1), self.soft404_pages) - 1
        articles = [
            {"url": n.path, "title": n.title, "date": n.date}
            for n in self.list_notices("api", shown)
        ]
        return json.dumps({"articles": articles}, ensure_ascii=False).encode("utf-8")

    def detail(self, path: str) -> SiteNotice | None:
        parts = path.split("/")
        if len(parts) != 4 or parts[2] not in PAGING_ID_BASE or "_" not in parts[3]:
            return None
        try:
            index = int(parts[3].rsplit("_", 1)[1].split(".")[0]) - 1_000_000
        except ValueError:
            return None
        if index < 0:
            return None
        notice = self.notice(index, parts[2])
        return notice if notice.path == path else None


class PagingServer(FaultServer):
    """:class:`FaultServer` plus the hostile lists of a :class:`PagingSite` under ``/paging/``.

    ``list_hits(kind)`` counts the list pages (or API pages) of one list requested.
    """

    def __init__(self, lists: PagingSite | None = None, **kwargs: Any) -> None:
        super().__init__(ChaosSite(notices=1, faults=False), **kwargs)
        self.lists = lists or PagingSite()

    def list_hits(self, kind: str) -> int:
        with self.lock:
            if kind == "api":
                api = ("/paging/api/list", "/paging/gkmlpt/api/all/0")
                return sum(v for k, v in self.hits.items() if k in api)
            prefix = f"/paging/{kind}/index"
            return sum(v for k, v in self.hits.items() if k.startswith(prefix))

    def detail_hits(self, kind: str) -> int:
        with self.lock:
            prefix = f"/paging/{kind}/t"
            return sum(v for k, v in self.hits.items() if k.startswith(prefix))

    def route(self, h: _Handler) -> None:
        parts = urlsplit(h.path)
        path = parts.path
        if not path.startswith("/paging/"):
            super().route(h)
            return
        self._hit(path)
        html = "text/html; charset=utf-8"
        if path in ("/paging/api/list", "/paging/gkmlpt/api/all/0"):  # the gkmlpt API's path too
            query = dict(q.split("=", 1) for q in parts.query.split("&") if "=" in q)
            page = int(query["page"]) if query.get("page", "").isdigit() else 1
            h.send(200, self.lists.api_page(page), "application/json; charset=utf-8")
            return
        kind = path.split("/")[2]
        name = path.rsplit("/", 1)[1]
        if kind in ("soft404", "softjs", "nextonly", "huge") and name.startswith("index"):
            stem = name[len("index") :].split(".")[0]
            page = int(stem[1:]) if stem.startswith("_") and stem[1:].isdigit() else 0
            last = self.lists.nextonly_pages - 1 if kind == "nextonly" else None
            if (stem and not stem[1:].isdigit()) or (last is not None and page > last):
                h.send(404, b"<html><body>404</body></html>", html)
                return
            if kind == "huge" and page:
                h.send(404, b"<html><body>404</body></html>", html)
                return
            h.send(200, self.lists.list_page(kind, page), html)
            return
        notice = self.lists.detail(path)
        if notice is None:
            h.send(404, b"<html><body>404</body></html>", html)
            return
        h.send(200, notice_html(notice).encode("utf-8"), html)


@contextlib.contextmanager
def serving_lists(lists: PagingSite | None = None, **kwargs: Any) -> Iterator[PagingServer]:
    server = PagingServer(lists, **kwargs).start()
    try:
        yield server
    finally:
        server.stop()


__all__ += ["PAGING_ID_BASE", "PagingServer", "PagingSite", "serving_lists"]


# == the operator's night (issues 16 and 17.4) ==============================================
# A separate block: one small site whose list can be changed between runs (new notices,
# a changed template with no detail links) on the same port, so that a second run knows
# the first run's pages; and detail pages that fail in every way a request can (404, a
# timeout, over DOWNLOAD_MAXSIZE, a gzip-inside-gzip bomb, a brotli bomb), for the
# summary's accounting of every request. Modelled on a TRS column list and its
# ``t<date>_<id>.htm`` details, as the pingtan fixtures of ``tests/fixtures``.


class OperatorServer(FaultServer):
    """:class:`FaultServer` plus ``/ops/index.html``: ``ops_notices`` notices, and with
    ``ops_faults`` five failing details (404, slow, too large, gzip-in-gzip, brotli).

    ``ops_broken = True`` serves the list without any detail link (a changed template);
    ``ops_no_recipients = True`` serves detail pages without their 主送 line;
    ``ops_dead`` more detail links answer 404.
    """

    FAULTS = ("http_404", "slow", "too_large", "gzip_in_gzip", "brotli")

    def __init__(self, ops_notices: int = 4, ops_faults: bool = False, **kwargs: Any) -> None:
        super().__init__(ChaosSite(notices=1, faults=False), **kwargs)
        self.ops_notices = ops_notices
        self.ops_faults = ops_faults
        self.ops_broken = False
        self.ops_no_recipients = False  # detail pages lose their 主送 line (a template change)
        self.ops_dead = 0  # detail links that answer 404
        rng = random.Random(16)
        # indices past the ChaosSite's own notice: no two notices share a 文号
        self.ops_pool = [make_notice(100 + i, rng) for i in range(200)]
        self._ops_bombs: dict[str, bytes] = {}

    def ops_path(self, i: int) -> str:
        return f"/ops/t20240301_{9100 + i}.htm"

    def ops_fault_path(self, name: str) -> str:
        return f"/ops/t20240302_{9000 + self.FAULTS.index(name)}.htm"

    def ops_bomb(self, kind: str) -> bytes:
        """``maxsize * 4`` bytes of spaces, gzip-in-gzip or brotli (a few KiB on the wire)."""
        if kind not in self._ops_bombs:
            raw = b" " * (self.maxsize * 4)
            if kind == "gzip_in_gzip":
                inner = gzip.compress(raw, compresslevel=9, mtime=0)
                self._ops_bombs[kind] = gzip.compress(inner, compresslevel=9, mtime=0)
            else:
                import brotli

                self._ops_bombs[kind] = brotli.compress(raw, quality=11)
        return self._ops_bombs[kind]

    def ops_list(self) -> bytes:
        links = []
        if not self.ops_broken:
            links = [
                f'<li><a href="{self.ops_path(i)}">{self.ops_pool[i].title}</a></li>'
                for i in range(self.ops_notices)
            ]
            links += [
                f'<li><a href="/ops/t20240303_{9500 + i}.htm">已删除{i}</a></li>'
                for i in range(self.ops_dead)
            ]
            if self.ops_faults:
                links += [
                    f'<li><a href="{self.ops_fault_path(n)}">通知{n}</a></li>' for n in self.FAULTS
                ]
        body = "\n".join(links) or "<p>栏目改版中</p>"
        return (
            "<html><head><meta charset='utf-8'><title>通知公告</title></head><body>"
            f"<ul class='list'>{body}</ul></body></html>"
        ).encode()

    def route(self, h: _Handler) -> None:
        path = urlsplit(h.path).path
        if not path.startswith("/ops/"):
            super().route(h)
            return
        self._hit(path)
        html = "text/html; charset=utf-8"
        if path == "/ops/index.html":
            h.send(200, self.ops_list(), html)
            return
        stem = path.rsplit("_", 1)[-1].split(".")[0]
        number = int(stem) if stem.isdigit() else -1
        if 9100 <= number < 9100 + len(self.ops_pool):
            notice = self.ops_pool[number - 9100]
            page = notice_html(notice)
            nav = page.find('<div class="nav">')
            if nav >= 0:  # no links to the ChaosSite behind (home, its list)
                page = page[:nav] + page[page.index("</div>", nav) + len("</div>") :]
            if self.ops_no_recipients:
                page = page.replace(f"<p>{notice.recipients}：</p>", "")
            h.send(200, page.encode("utf-8"), html)
            return
        fault = self.FAULTS[number - 9000] if 9000 <= number < 9000 + len(self.FAULTS) else None
        if fault == "slow":
            self.stop_event.wait(self.slow_s)
            h.send(200, b"<html><body>late</body></html>", html)
        elif fault == "too_large":
            h.send(200, b"x" * 1024, html, length=self.maxsize * 2)
        elif fault == "gzip_in_gzip":
            h.send(200, self.ops_bomb(fault), html, headers={"Content-Encoding": "gzip, gzip"})
        elif fault == "brotli":
            h.send(200, self.ops_bomb(fault), html, headers={"Content-Encoding": "br"})
        else:
            h.send(404, b"<html><body>404</body></html>", html)


@contextlib.contextmanager
def serving_operator(**kwargs: Any) -> Iterator[OperatorServer]:
    server = OperatorServer(**kwargs).start()
    try:
        yield server
    finally:
        server.stop()


__all__ += ["OperatorServer", "serving_operator"]
