"""The export contract: one :class:`Notice` per notice page.

Every exported record carries every key below (``None`` or ``[]`` when the
page shows nothing for it). Field meanings follow the analysts' data
dictionary in docs/data-format.md (and ``gazette/data/notice.schema.json``).
"""

from __future__ import annotations

from typing import Any

import scrapy

#: fields whose empty value is ``[]`` rather than ``None``
LIST_FIELDS = ("co_issuers", "recipients", "references", "attachments")

#: every exported key, in export order
FIELDS = (
    "id",
    "url",
    "site",
    "spider",
    "title",
    "doc_number",
    "doc_number_raw",
    "issuer",
    "co_issuers",
    "date",
    "published",
    "recipients",
    "references",
    "attachments",
    "index_number",
    "topic",
    "body",
    "is_notice",
    "masked",
    "fetched_at",
)


class Notice(scrapy.Item):
    """One official document (公文) as found on one page."""

    id = scrapy.Field()  # stable notice id, set by the dedup stage
    url = scrapy.Field()  # the page's URL (absolute) or None
    site = scrapy.Field()  # host name of the page
    spider = scrapy.Field()  # name of the spider (or "cli")
    title = scrapy.Field()  # the document's own title as printed
    doc_number = scrapy.Field()  # canonical 发文字号: 粤府办〔2013〕52号
    doc_number_raw = scrapy.Field()  # 发文字号 as printed on the page
    issuer = scrapy.Field()  # lead 发文机关
    co_issuers = scrapy.Field()  # other offices of a joint document
    date = scrapy.Field()  # 成文日期, ISO
    published = scrapy.Field()  # the page's own publication date, ISO
    recipients = scrapy.Field()  # 主送机关, list of str
    references = scrapy.Field()  # canonical 文号 the notice cites
    attachments = scrapy.Field()  # list of {"title", "url"}
    index_number = scrapy.Field()  # 索引号
    topic = scrapy.Field()  # 主题分类
    body = scrapy.Field()  # clean text, one paragraph per line
    is_notice = scrapy.Field()  # an official document, not news/list/portal
    masked = scrapy.Field()  # the page hides words behind *** or similar
    fetched_at = scrapy.Field()  # ISO timestamp of the fetch (UTC)
    # only on a page that was not read whole: "lines"/"text"/"nodes" (past the page budget
    # of gazette.text.page) or "depth" (nesting past the parser's limit)
    cut = scrapy.Field()
    # 有效性 as the page's metadata table prints it (有效, 失效, 已废止 ...), only when printed
    validity = scrapy.Field()


def complete(record: dict[str, Any]) -> dict[str, Any]:
    """Return ``record`` with every contract key present, in contract order.

    Extra keys (``source_path``, ``error``, ``sources`` ...) are kept after them.

    >>> r = complete({"title": "关于…的通知"})
    >>> r["co_issuers"], r["doc_number"], list(r)[:3]
    ([], None, ['id', 'url', 'site'])
    """
    out: dict[str, Any] = {}
    for key in FIELDS:
        value = record.get(key)
        if value is None and key in LIST_FIELDS:
            value = []
        out[key] = value
    for key, value in record.items():
        if key not in out:
            out[key] = value
    return out
