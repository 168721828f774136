"""The one extraction path: page bytes (or a Scrapy response) -> Notice record.

Spiders call :func:`extract_response`; ``gazette extract`` calls
:func:`extract_html` on files. Both decode the bytes the same way, parse the
page once (:mod:`gazette.text.page`), analyse it (:mod:`gazette.text.notice`)
and canonicalise the values through :class:`gazette.loaders.NoticeLoader`.
"""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any
from urllib.parse import urlsplit

from gazette.items import Notice, complete
from gazette.loaders import load_notice
from gazette.text.embedded import expand_embedded
from gazette.text.encoding import decode
from gazette.text.notice import analyse
from gazette.text.page import build_page
from gazette.text.template import SiteTemplate, SiteTemplates, drop_recurring


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
        keys = [ln.key for ln in page.lines]
        page.lines, dropped = drop_recurring(page.lines, template)
        template.dropped += dropped
        template.learn(keys)
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
    return Notice(**record)
