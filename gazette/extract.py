"""The one extraction path: page bytes (or a Scrapy response) -> Notice record.

Spiders call :func:`extract_response`; ``gazette extract`` calls
:func:`extract_html` on files. Both decode the bytes the same way, parse the
page once (:mod:`gazette.text.page`), analyse it (:mod:`gazette.text.notice`)
and canonicalise the values through :class:`gazette.loaders.NoticeLoader`.
"""

from __future__ import annotations

import re
from datetime import datetime, timezone
from typing import Any
from urllib.parse import urlsplit

from gazette.items import Notice, complete
from gazette.loaders import load_notice
from gazette.text.docno import canonical
from gazette.text.embedded import expand_embedded
from gazette.text.encoding import decode
from gazette.text.notice import analyse
from gazette.text.page import build_page
from gazette.text.template import SiteTemplate, SiteTemplates, drop_recurring

_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


def extract_html(
    body: bytes | str,
    url: str | None = None,
    headers: dict[str, Any] | None = None,
    spider: str | None = None,
    templates: SiteTemplates | None = None,
) -> dict[str, Any]:
    """Extract one notice record (a dict with every contract key) from a page.

    ``templates``: what the crawl has learnt of each site's template
    (:mod:`gazette.text.template`); the page's recurring chrome lines are dropped
    before the analysis, and the page teaches its site's table in turn.
    """
    content_type = None
    if headers:
        ct = headers.get("content-type") or headers.get("Content-Type")
        if isinstance(ct, bytes):
            ct = ct.decode("latin-1")
        content_type = ct
    text, _encoding = decode(body, content_type)
    text = expand_embedded(text)  # gkmlpt: the document inside window._CONFIG.DETAIL
    page = build_page(text, url=url)
    site = urlsplit(url).hostname if url else None
    template: SiteTemplate | None = templates.for_site(site) if templates is not None else None
    if template is not None:
        page.lines, dropped = drop_recurring(page.lines, template)
        template.dropped += dropped
    raw = analyse(page)
    record = load_notice(raw)
    record["is_notice"] = bool(raw.get("is_notice"))
    record["masked"] = bool(raw.get("masked"))
    record["url"] = url
    record["site"] = site
    record["spider"] = spider
    record["fetched_at"] = datetime.now(timezone.utc).isoformat(timespec="seconds")
    if page.cut:  # the page was not read whole (its budget, or the parser's depth)
        record["cut"] = page.cut
    return complete(record)


def extract_response(
    response: Any, spider: str | None = None, templates: SiteTemplates | None = None
) -> Notice:
    """Scrapy response -> :class:`Notice` (the path every spider uses)."""
    headers = {}
    ct = response.headers.get(b"Content-Type")
    if ct:
        headers["content-type"] = ct.decode("latin-1")
    record = extract_html(
        response.body, url=response.url, headers=headers, spider=spider, templates=templates
    )
    request = getattr(response, "request", None)
    hints = request.meta.get("gazette_hints") if request is not None else None
    if hints:
        apply_hints(record, hints)
    return Notice(**record)


def apply_hints(record: dict[str, Any], hints: dict[str, Any]) -> dict[str, Any]:
    """Fill what the page did not print from its list entry (``gazette_hints``).

    The page is the authority: a hint never replaces a value read on it. Only the
    list metadata a platform keeps for the document itself are used: its 文号
    (gov.cn ``pcode``, Fujian TRS ``fileno`` …), when it is a canonical 文号, and its
    publication date. Never on a page that is not a notice.

    >>> r = {"is_notice": True, "doc_number": None, "doc_number_raw": None, "published": None}
    >>> apply_hints(r, {"doc_number": "岚综管规[2026]1号", "date": "2026-01-05"})["doc_number"]
    '岚综管规〔2026〕1号'
    >>> r["published"], r["doc_number_raw"]
    ('2026-01-05', '岚综管规[2026]1号')
    >>> apply_hints({"is_notice": True, "doc_number": "闽政〔2026〕2号"}, {"doc_number": "闽政〔2026〕9号"})["doc_number"]
    '闽政〔2026〕2号'
    >>> apply_hints({"is_notice": True, "doc_number": None}, {"doc_number": "无"})["doc_number"] is None
    True
    >>> apply_hints({"is_notice": False, "doc_number": None}, {"doc_number": "闽政〔2026〕9号"})["doc_number"] is None
    True
    """
    if not record.get("is_notice"):
        return record
    raw = hints.get("doc_number")
    if not record.get("doc_number") and isinstance(raw, str):
        number = canonical(raw)
        if number:
            record["doc_number"] = number
            record["doc_number_raw"] = raw.strip()
    when = hints.get("date")
    if not record.get("published") and isinstance(when, str) and _ISO_DATE.fullmatch(when):
        record["published"] = when
    return record
