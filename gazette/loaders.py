"""NoticeLoader: field rules and processors for the :class:`~gazette.items.Notice`.

Raw values come from :func:`gazette.text.notice.analyse` (as printed); the
loader's processors canonicalise them: 文号 to ``代字〔YYYY〕N号`` (or a 公告/令
serial number), dates to ISO, whitespace and ``nbsp`` debris cleaned, pinyin
glosses removed, lists kept as lists.
"""

from __future__ import annotations

from typing import Any

from itemloaders.processors import Identity, MapCompose, TakeFirst
from scrapy.loader import ItemLoader

from gazette.items import LIST_FIELDS, Notice
from gazette.text.dates import parse_date
from gazette.text.docno import canonical
from gazette.text.normalize import clean_line


def _clean_text_block(value: str) -> str | None:
    lines = [clean_line(x) for x in value.split("\n")]
    text = "\n".join(x for x in lines if x)
    return text or None


def _none_if_empty(value: Any) -> Any:
    if value in ("", None):
        return None
    return value


def _clean_str(value: str) -> str | None:
    return clean_line(value) or None


def _unique(values: list[Any]) -> list[Any]:
    out: list[Any] = []
    for v in values:
        if v not in out:
            out.append(v)
    return out


class NoticeLoader(ItemLoader):
    """Build a :class:`Notice` from raw field values."""

    default_item_class = Notice
    default_input_processor = MapCompose(_none_if_empty)
    default_output_processor = TakeFirst()

    title_in = MapCompose(_clean_str)
    doc_number_in = MapCompose(canonical)
    doc_number_raw_in = MapCompose(_clean_str)
    issuer_in = MapCompose(_clean_str)
    date_in = MapCompose(parse_date)
    published_in = MapCompose(parse_date)
    body_in = MapCompose(_clean_text_block)
    index_number_in = MapCompose(_clean_str)
    topic_in = MapCompose(_clean_str)

    co_issuers_in = MapCompose(_clean_str)
    co_issuers_out = _unique
    recipients_in = MapCompose(_clean_str)
    recipients_out = _unique
    references_in = MapCompose(canonical)
    references_out = _unique
    attachments_in = Identity()
    attachments_out = Identity()

    is_notice_in = Identity()
    masked_in = Identity()


def load_notice(raw: dict[str, Any]) -> dict[str, Any]:
    """Run raw values through the loader; return a plain dict with every key."""
    loader = NoticeLoader()
    for key, value in raw.items():
        if key not in Notice.fields:
            continue
        if key in LIST_FIELDS:
            loader.add_value(key, list(value or []))
        elif key == "doc_number_raw" and value:
            loader.add_value("doc_number_raw", value)
            loader.add_value("doc_number", value)
        elif value is not None:
            loader.add_value(key, value)
    item = dict(loader.load_item())
    for key in LIST_FIELDS:
        item.setdefault(key, [])
    return item
