"""Count every fault a crawl meets, and keep the crawl on its own sites.

Government sites time out, answer 5xx and 429, truncate pages, lie about
their charset, redirect in loops or to other hosts and serve JS shells and
cleared placeholders. Two downloader middlewares (enabled by
:mod:`gazette.settings_robust`) make each of these visible in the crawl stats as
``gazette/faults/<reason>``, counted once per response or failed attempt:

=====================  ====================================================
reason                 when
=====================  ====================================================
``http_<status>``      a 4xx/5xx answer (each attempt: 500 then 200 counts one)
``timeout``            ``DOWNLOAD_TIMEOUT`` passed
``connection_lost``    connection reset or closed before a whole response
``connection_refused`` nothing listening / connection failed
``dns``                host name did not resolve
``truncated``          body shorter than ``Content-Length`` (data loss), or a
                       response flagged ``partial`` / ``dataloss``
``too_large``          over ``DOWNLOAD_MAXSIZE``, announced, streamed or after
                       decompression (gzip bomb)
``redirect_loop``      a redirect back to a URL of its own chain
``max_redirects``      a chain longer than ``REDIRECT_MAX_TIMES``
``offsite``            a request or redirect to a host the spider does not
                       crawl (dropped: never fetched)
``robots_disallowed``  ``robots.txt`` forbids the URL
``empty``              a 200 with no body or no visible text at all
``js_shell``           a 200 whose only content is scripts (a JS app shell)
``placeholder``        a cleared / deleted page (``标题和内容已经清空`` …)
``encoding_mismatch``  the header charset contradicts the bytes
``content_type``       an HTML page labelled as something else
``malformed_html``     a stray ``</html>``/``</body>`` before content, or an
                       unclosed comment
``other_<exception>``  any other download failure
=====================  ====================================================

:class:`FaultStatsMiddleware` sits next to the network (priority 610, between
``RedirectMiddleware`` and ``CookiesMiddleware``): it sees every failed attempt
before the retry middleware, raw status codes, redirects before they are
followed and compressed bodies. :class:`PageFaultMiddleware` (560) sees the
final, decompressed 200 responses. Neither changes a response; the only
requests they stop are off-site ones (``GAZETTE_OFFSITE_GUARD``, default on):
a spider's ``allowed_hosts`` (``host[:port]``, :class:`gazette.spiders.base.NoticeSpider`)
or Scrapy's ``allowed_domains`` decide, and a spider with neither is not
restricted.
"""

from __future__ import annotations

import html
import logging
import re
import zlib
from typing import Any
from urllib.parse import urljoin, urlsplit

from scrapy import signals
from scrapy.exceptions import IgnoreRequest
from scrapy.http import Request, Response
from scrapy.utils.url import url_is_from_any_domain

from gazette.text.classify import PLACEHOLDER
from gazette.text.encoding import decode, normalise_label

logger = logging.getLogger(__name__)

PREFIX = "gazette/faults/"
#: statuses RedirectMiddleware follows
REDIRECT_STATUSES = frozenset((301, 302, 303, 307, 308))
#: bytes of a page examined for visible text
SCAN_LIMIT = 256 * 1024
#: fewer visible characters than this: an empty page or a JS shell
MIN_VISIBLE = 20
#: a page with at most this many visible characters may be a placeholder
#: (a longer one only if its <title> says so: lists link to cleared pages)
PLACEHOLDER_MAX = 80

_TAG = re.compile(r"<(/?)([A-Za-z][A-Za-z0-9]*)\b[^<>]{0,4096}>")
_SKIP = frozenset(("script", "style", "noscript", "template", "title"))
_SPACE = re.compile(r"[\s\u3000\xa0]+")
_HTML_START = re.compile(
    rb"^\s*(?:<!--.*?-->\s*)*<(?:!doctype\s+html|html|head|body)\b", re.I | re.S
)
_TITLE = re.compile(r"<title[^<>]{0,200}>([^<]{0,500})", re.I)
_STRAY_END = re.compile(r"</\s*(?:html|body)\s*>", re.I)


def _count(stats: Any, reason: str, n: int = 1) -> None:
    if stats is not None:
        stats.inc_value(PREFIX + reason, n)


# -- classification helpers (pure functions, no Scrapy) -------------------------------------


def exception_reason(exc: BaseException) -> str | None:
    """The fault reason of a download exception, or None for deliberate drops.

    >>> from scrapy.exceptions import DownloadTimeoutError, ResponseDataLossError
    >>> exception_reason(DownloadTimeoutError()), exception_reason(ResponseDataLossError())
    ('timeout', 'truncated')
    >>> exception_reason(IgnoreRequest("Forbidden by robots.txt"))
    'robots_disallowed'
    >>> exception_reason(IgnoreRequest("seen detail page: http://x/")) is None
    True
    """
    name = type(exc).__name__
    text = str(exc)
    if isinstance(exc, IgnoreRequest):
        return "robots_disallowed" if "robots.txt" in text else None
    if name in ("DownloadTimeoutError", "TimeoutError", "TCPTimedOutError", "UserTimeoutError"):
        return "timeout"
    if name in ("ResponseDataLossError", "_DataLoss", "PotentialDataLoss"):
        return "truncated"
    if name in ("DownloadCancelledError", "CancelledError"):
        low = text.lower()
        if not text or "size" in low or "maxsize" in low:
            return "too_large"
        return "cancelled"
    if name in ("DownloadConnectionRefusedError", "ConnectionRefusedError", "ConnectError"):
        return "connection_refused"
    if name in ("CannotResolveHostError", "DNSLookupError"):
        return "dns"
    if name in (
        "DownloadFailedError",
        "ConnectionLost",
        "ConnectionDone",
        "ConnectionAborted",
        "ConnectionResetError",
        "ResponseFailed",
        "ResponseNeverReceived",
        "BrokenPipeError",
    ):
        # Scrapy wraps Twisted's failures: look at the cause for data loss
        cause = exc.__cause__ or exc.__context__
        reasons = getattr(exc, "reasons", None) or []
        inner = [cause] if cause is not None else []
        inner += [getattr(r, "value", r) for r in reasons]
        if any(type(i).__name__ == "_DataLoss" for i in inner):
            return "truncated"
        return "connection_lost"
    if isinstance(exc, OSError):
        return "connection_lost"
    return "other_" + re.sub(r"\W+", "_", name).strip("_").lower()


def visible_text(text: str, limit: int = SCAN_LIMIT, enough: int | None = None) -> str:
    """The text a reader would see in (the first ``limit`` characters of) HTML.

    Linear time on any input (no backtracking regex over the whole page).

    >>> visible_text("<html><head><title>t</title><script>var a='<p>x</p>';</script></head>"
    ...              "<body><!-- c --><p>正文 &amp; 附件</p></body></html>")
    '正文&附件'
    """
    data = text[:limit]
    low = data.lower()
    out: list[str] = []
    pos, n = 0, len(data)
    raw, check_at = 0, enough
    while pos < n:
        if check_at is not None and raw > check_at:
            # callers that only ask "at least this much?" stop early (amortised linear)
            if len(_SPACE.sub("", html.unescape("".join(out)))) > (enough or 0):
                break
            check_at = raw * 2
        lt = data.find("<", pos)
        if lt < 0:
            out.append(data[pos:])
            break
        out.append(data[pos:lt])
        raw += lt - pos
        if data.startswith("<!--", lt):
            end = data.find("-->", lt + 4)
            pos = n if end < 0 else end + 3
            continue
        m = _TAG.match(data, lt)
        if m is None:
            out.append("<")
            pos = lt + 1
            continue
        pos = m.end()
        name = m.group(2).lower()
        if not m.group(1) and name in _SKIP:
            end = low.find(f"</{name}", pos)
            pos = n if end < 0 else end
    return _SPACE.sub("", html.unescape("".join(out)))


def header_charset(content_type: str | None) -> str | None:
    """The codec a ``Content-Type`` header's charset names (normalised), if any."""
    if not content_type:
        return None
    m = re.search(r"charset\s*=\s*[\"']?([A-Za-z0-9_\-:.]+)", content_type, re.I)
    return normalise_label(m.group(1)) if m else None


def encoding_mismatch(body: bytes, content_type: str | None) -> bool:
    """Does the header's charset contradict the bytes?

    >>> encoding_mismatch("政府".encode("gbk"), "text/html; charset=utf-8")
    True
    >>> encoding_mismatch("政府".encode("utf-8"), "text/html; charset=GBK")
    True
    >>> encoding_mismatch("政府".encode("utf-8"), "text/html; charset=utf-8")
    False
    """
    declared = header_charset(content_type)
    if declared is None or body.isascii():
        return False
    sample = body[:SCAN_LIMIT]
    try:
        sample.decode("utf-8")
        is_utf8 = True
    except UnicodeDecodeError as exc:
        # a cut at the sample's end is not a mismatch
        is_utf8 = exc.start >= len(sample) - 4 and len(sample) == SCAN_LIMIT
    if declared == "utf-8":
        return not is_utf8
    if declared == "gb18030":
        return is_utf8
    try:
        sample.decode(declared)
    except UnicodeDecodeError:
        return True
    except LookupError:
        return False
    return False


def page_faults(body: bytes, content_type: str | None) -> list[str]:
    """Fault reasons of a 200 page's (decompressed) body.

    >>> page_faults(b"", "text/html")
    ['empty']
    >>> page_faults(b"<html><body><div id=app></div><script src=a.js></script></body></html>", "text/html")
    ['js_shell']
    >>> page_faults("<html><title>标题和内容已经清空</title><body>标题和内容已经清空</body></html>".encode(),
    ...             "text/html; charset=utf-8")
    ['placeholder']
    """
    if not body.strip():
        return ["empty"]
    reasons: list[str] = []
    ctype = (content_type or "").lower()
    looks_html = bool(_HTML_START.match(body[:4096]))
    if looks_html and not any(t in ctype for t in ("html", "xml")):
        reasons.append("content_type")
    if encoding_mismatch(body, content_type):
        reasons.append("encoding_mismatch")
    head = body[:SCAN_LIMIT]
    if not looks_html and not (b"<body" in head.lower() or b"<div" in head.lower()):
        return reasons  # not an HTML page (JSON, text, files): no page checks
    text, _ = decode(head, content_type)
    seen = visible_text(text, enough=max(MIN_VISIBLE, PLACEHOLDER_MAX))
    if len(seen) < MIN_VISIBLE and not PLACEHOLDER.search(seen):
        reasons.append("js_shell" if "<script" in text.lower() else "empty")
        return reasons
    title = _TITLE.search(text)
    if (title and PLACEHOLDER.search(visible_text(title.group(1)))) or (
        len(seen) <= PLACEHOLDER_MAX and PLACEHOLDER.search(seen)
    ):
        reasons.append("placeholder")
        return reasons
    if _malformed(text):
        reasons.append("malformed_html")
    return reasons


def _malformed(text: str) -> bool:
    """A stray ``</html>``/``</body>`` with content after it, or an unclosed comment."""
    opened, closed = text.rfind("<!--"), text.rfind("-->")
    if opened > closed and opened >= 0:
        return True
    m = _STRAY_END.search(text)
    return m is not None and len(visible_text(text[m.end() :], enough=MIN_VISIBLE)) >= MIN_VISIBLE


def gunzip_exceeds(body: bytes, encodings: list[bytes], maxsize: int) -> bool:
    """Would decompressing ``body`` (gzip/deflate) exceed ``maxsize`` bytes?

    Bounded: never produces more than ``maxsize + 1`` bytes.
    """
    if not maxsize or not body:
        return False
    size = 0
    data = body
    for enc in reversed([e.strip().lower() for e in encodings]):
        if enc in (b"gzip", b"x-gzip"):
            d = zlib.decompressobj(16 + zlib.MAX_WBITS)
        elif enc == b"deflate":
            d = zlib.decompressobj()
        else:
            return False
        try:
            out = d.decompress(data, maxsize + 1)
        except zlib.error:
            return False
        size = len(out)
        if size > maxsize:
            return True
        data = out
    return False


def _is_robots(url: str) -> bool:
    return urlsplit(url).path == "/robots.txt"


# -- middlewares ---------------------------------------------------------------------


class _Base:
    def __init__(self, crawler: Any) -> None:
        self.crawler = crawler
        self.stats = crawler.stats

    @property
    def spider(self) -> Any:
        return getattr(self.crawler, "spider", None)


class FaultStatsMiddleware(_Base):
    """Network side: statuses, failures, redirects, size; the off-site guard."""

    def __init__(self, crawler: Any) -> None:
        super().__init__(crawler)
        settings = crawler.settings
        self.guard = settings.getbool("GAZETTE_OFFSITE_GUARD", True)
        self.max_redirects = settings.getint("REDIRECT_MAX_TIMES", 20)
        self.maxsize = settings.getint("DOWNLOAD_MAXSIZE", 0)
        self._hosts: frozenset[str] | None = None

    @classmethod
    def from_crawler(cls, crawler: Any) -> FaultStatsMiddleware:
        mw = cls(crawler)
        crawler.signals.connect(mw.spider_closed, signal=signals.spider_closed)
        return mw

    # -- the off-site guard --------------------------------------------------------
    def allowed(self, url: str) -> bool:
        """May the crawl fetch ``url``? (see module doc)"""
        if not self.guard:
            return True
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https"):
            return True  # data:, file: … are not network requests to other hosts
        spider = self.spider
        if self._hosts is None:
            hosts = getattr(spider, "allowed_hosts", None)
            self._hosts = frozenset(hosts) if hosts else frozenset()
        if self._hosts:
            from gazette.spiders.base import host_of

            return host_of(url) in self._hosts
        domains = [d for d in (getattr(spider, "allowed_domains", None) or []) if d]
        if domains:
            return url_is_from_any_domain(url, domains)
        return True

    def process_request(self, request: Request, spider: Any = None) -> None:
        if not self.allowed(request.url):
            _count(self.stats, "offsite")
            logger.info("gazette faults: dropped off-site request %s", request.url)
            raise IgnoreRequest(f"off-site request: {request.url}")
        return None

    def process_response(
        self, request: Request, response: Response, spider: Any = None
    ) -> Request | Response:
        status = response.status
        if status in REDIRECT_STATUSES and b"Location" in response.headers:
            self._redirect(request, response)
            return response
        if status >= 400 and not (status in (404, 410) and _is_robots(request.url)):
            _count(self.stats, f"http_{status}")  # (no robots.txt is no fault)
        if "partial" in response.flags or "dataloss" in response.flags:
            _count(self.stats, "truncated")
        encodings = response.headers.getlist(b"Content-Encoding")
        if encodings and request.method != "HEAD":
            maxsize = int(request.meta.get("download_maxsize", self.maxsize) or 0)
            if gunzip_exceeds(response.body, encodings, maxsize):
                _count(self.stats, "too_large")
                logger.info("gazette faults: decompression over %d B: %s", maxsize, request.url)
        return response

    def _redirect(self, request: Request, response: Response) -> None:
        if request.meta.get("dont_redirect"):
            return
        location = (response.headers.get(b"Location") or b"").decode("latin-1").strip()
        if not location:
            return
        target = urljoin(request.url, location).split("#", 1)[0]
        if not self.allowed(target):
            _count(self.stats, "offsite")
            logger.info("gazette faults: dropped off-site redirect %s -> %s", request.url, target)
            raise IgnoreRequest(f"off-site redirect: {request.url} -> {target}")
        chain = [u.split("#", 1)[0] for u in request.meta.get("redirect_urls", [])]
        chain.append(request.url.split("#", 1)[0])
        if target in chain:
            _count(self.stats, "redirect_loop")
            logger.info("gazette faults: redirect loop %s -> %s", request.url, target)
        elif int(request.meta.get("redirect_times", 0)) + 1 > self.max_redirects:
            _count(self.stats, "max_redirects")

    def process_exception(self, request: Request, exception: Exception, spider: Any = None) -> None:
        reason = exception_reason(exception)
        if reason is not None:
            _count(self.stats, reason)
            logger.debug("gazette faults: %s on %s (%r)", reason, request.url, exception)
        return None

    def spider_closed(self, spider: Any = None, reason: str | None = None) -> None:
        stats = self.stats.get_stats() if self.stats is not None else {}
        faults = {k[len(PREFIX) :]: v for k, v in stats.items() if k.startswith(PREFIX)}
        if faults:
            logger.info(
                "gazette faults: %s",
                ", ".join(f"{k}={v}" for k, v in sorted(faults.items())),
            )


class PageFaultMiddleware(_Base):
    """Page side: empty pages, JS shells, placeholders, charset and markup faults."""

    @classmethod
    def from_crawler(cls, crawler: Any) -> PageFaultMiddleware:
        return cls(crawler)

    def process_response(
        self, request: Request, response: Response, spider: Any = None
    ) -> Request | Response:
        if response.status != 200 or request.method == "HEAD":
            return response
        if _is_robots(response.url):
            return response
        ctype = response.headers.get(b"Content-Type")
        try:
            reasons = page_faults(response.body, ctype.decode("latin-1") if ctype else None)
        except Exception:  # never let a statistic break the crawl
            logger.exception("gazette faults: classifying %s failed", response.url)
            return response
        for reason in reasons:
            _count(self.stats, reason)
            logger.debug("gazette faults: %s on %s", reason, response.url)
        return response
