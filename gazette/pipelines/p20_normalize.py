"""Stage 20: one shape for every record (types, whitespace, dates, 文号).

Text keeps the page's characters (traditional stays traditional); pinyin
glosses (``發(fā)``) are removed from title and body, whitespace is tidied,
dates become ISO ``YYYY-MM-DD``, 文号 become canonical, list fields become
lists, ``masked`` is filled in when the extractor left it empty. A value
that cannot be read (a date that is no date) drops the item as
``gazette/dropped/invalid/<field>``.
"""

from __future__ import annotations

import datetime as dt
import logging
import re
import unicodedata
from typing import Any
from urllib.parse import urlsplit

from gazette.items import complete
from gazette.pipelines import as_dict, drop
from gazette.text.canon import canonical_numerals, is_masked, strip_pinyin

logger = logging.getLogger(__name__)

_WS_RE = re.compile(r"[ \t\u3000\xa0\u2002\u2003\u200b\ufeff]+")
_DATE_RE = re.compile(r"(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})")
_TIME_RE = re.compile(r"(\d{1,2}):(\d{2})(?::(\d{2}))?")


class Unparsable(ValueError):
    """A field value that cannot be normalised; ``field`` names it."""

    def __init__(self, field: str, value: Any):
        super().__init__(f"{field}: cannot read {value!r}"[:200])
        self.field = field


def _docno(raw: str) -> str | None:
    try:
        from gazette.text.docno import canonical
    except ImportError:  # pragma: no cover - the module ships with the package
        return raw
    return canonical(raw)


def tidy(value: Any) -> str | None:
    """One-line text: trimmed, inner whitespace runs as one space, None when empty.

    >>> tidy("  广东省人民政府\\u3000办公厅 "), tidy("  "), tidy(None)
    ('广东省人民政府 办公厅', None, None)
    """
    if value is None:
        return None
    if not isinstance(value, str):
        if isinstance(value, int | float):
            value = str(value)
        else:
            raise Unparsable("text", value)
    s = _WS_RE.sub(" ", unicodedata.normalize("NFC", value).replace("\n", " ")).strip()
    return s or None


def tidy_body(value: Any) -> str | None:
    """Body text: one paragraph per line, lines trimmed, blank lines and pinyin glosses gone.

    >>> tidy_body("  一、总则\\r\\n\\n\\u3000\\u3000各地(dì)要……  \\n")
    '一、总则\\n各地要……'
    """
    if value is None:
        return None
    if isinstance(value, list):
        value = "\n".join(str(v) for v in value)
    if not isinstance(value, str):
        raise Unparsable("body", value)
    value = value.replace("\r\n", "\n")
    if _WS_RE.search(value) is None:  # the common case: nothing to squeeze
        lines = (line.strip() for line in value.split("\n"))
    else:
        lines = (_WS_RE.sub(" ", line).strip() for line in value.split("\n"))
    text = "\n".join(strip_pinyin(line) for line in lines if line)
    return text or None


def iso_date(value: Any, field: str = "date") -> str | None:
    """ISO ``YYYY-MM-DD`` from the usual page forms; None stays None.

    >>> iso_date("2013年11月23日"), iso_date("2013/1/5 10:00"), iso_date("二〇一三年十一月二十三日")
    ('2013-11-23', '2013-01-05', '2013-11-23')
    >>> iso_date("明天")
    Traceback (most recent call last):
    ...
    gazette.pipelines.p20_normalize.Unparsable: date: cannot read '明天'
    """
    if value is None or value == "":
        return None
    if isinstance(value, dt.datetime):
        return value.date().isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    if not isinstance(value, str):
        raise Unparsable(field, value)
    m = _DATE_RE.search(canonical_numerals(unicodedata.normalize("NFKC", value)))
    if m is None:
        raise Unparsable(field, value)
    try:
        return dt.date(int(m[1]), int(m[2]), int(m[3])).isoformat()
    except ValueError:
        raise Unparsable(field, value) from None


def iso_timestamp(value: Any) -> str:
    """ISO timestamp (UTC) for ``fetched_at``; now when missing.

    >>> iso_timestamp("2024-05-01T08:00:00+00:00"), iso_timestamp("2024-05-01 08:00")
    ('2024-05-01T08:00:00+00:00', '2024-05-01T08:00:00+00:00')
    """
    if value is None or value == "":
        return dt.datetime.now(dt.timezone.utc).replace(microsecond=0).isoformat()
    if isinstance(value, int | float):
        return dt.datetime.fromtimestamp(value, dt.timezone.utc).replace(microsecond=0).isoformat()
    if isinstance(value, dt.datetime):
        stamp = value
    elif isinstance(value, str):
        try:
            stamp = dt.datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
        except ValueError:
            raise Unparsable("fetched_at", value) from None
    else:
        raise Unparsable("fetched_at", value)
    if stamp.tzinfo is None:
        stamp = stamp.replace(tzinfo=dt.timezone.utc)
    return stamp.astimezone(dt.timezone.utc).isoformat()


def as_bool(value: Any, field: str) -> bool | None:
    """Booleans from the forms extractors and JSON produce.

    >>> as_bool("true", "x"), as_bool(0, "x"), as_bool(None, "x")
    (True, False, None)
    """
    if value is None or isinstance(value, bool):
        return value
    if isinstance(value, int) and value in (0, 1):
        return bool(value)
    if isinstance(value, str) and value.strip().lower() in ("true", "1", "yes", "false", "0", "no"):
        return value.strip().lower() in ("true", "1", "yes")
    raise Unparsable(field, value)


def str_list(value: Any, field: str) -> list[str]:
    """A list of distinct non-empty strings.

    >>> str_list(["省教育厅", " 省财政厅 ", "省教育厅", ""], "co_issuers"), str_list("省教育厅", "x")
    (['省教育厅', '省财政厅'], ['省教育厅'])
    """
    if value is None:
        return []
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list | tuple):
        raise Unparsable(field, value)
    out: list[str] = []
    for v in value:
        s = tidy(v) if isinstance(v, str) else None
        if v is not None and not isinstance(v, str):
            raise Unparsable(field, value)
        if s and s not in out:
            out.append(s)
    return out


def attachments(value: Any) -> list[dict[str, str | None]]:
    """``[{"title", "url"}]`` from dicts, (title, url) pairs or bare URLs.

    >>> attachments([{"title": "附件1", "url": "a.pdf", "size": 1}, "b.doc", ("附件3", "c.xls")])
    [{'title': '附件1', 'url': 'a.pdf'}, {'title': None, 'url': 'b.doc'}, {'title': '附件3', 'url': 'c.xls'}]
    """
    if value is None:
        return []
    if not isinstance(value, list | tuple):
        raise Unparsable("attachments", value)
    out: list[dict[str, str | None]] = []
    for v in value:
        if isinstance(v, dict):
            entry = {
                "title": tidy(v.get("title", v.get("name"))),
                "url": tidy(v.get("url", v.get("href"))),
            }
        elif isinstance(v, str):
            entry = {"title": None, "url": tidy(v)}
        elif isinstance(v, list | tuple) and len(v) == 2:
            entry = {"title": tidy(v[0]), "url": tidy(v[1])}
        else:
            raise Unparsable("attachments", value)
        if (entry["title"] or entry["url"]) and entry not in out:
            out.append(entry)
    return out


def normalize(record: dict[str, Any], spider: str | None = None) -> dict[str, Any]:
    """Normalise one record (a new dict with every contract key, in order)."""
    r = complete(record)
    for key in ("url", "site", "spider", "index_number", "topic", "doc_number_raw"):
        r[key] = tidy(r[key])
    r["title"] = tidy(r["title"])
    if r["title"]:
        title = strip_pinyin(r["title"])
        if title.startswith("《") and title.endswith("》") and title.count("《") == 1:
            title = title[1:-1].strip()
        r["title"] = title or None
    r["body"] = tidy_body(r["body"])
    if not r["site"] and r["url"]:
        r["site"] = (urlsplit(r["url"]).hostname or None) if "//" in r["url"] else None
    if not r["spider"] and spider:
        r["spider"] = spider

    issuer = r["issuer"]
    co = str_list(r["co_issuers"], "co_issuers")
    if isinstance(issuer, list | tuple):
        names = str_list(list(issuer), "issuer")
        issuer, co = (names[0] if names else None), names[1:] + [c for c in co if c not in names]
    r["issuer"] = tidy(issuer)
    r["co_issuers"] = [c for c in co if c != r["issuer"]]
    r["recipients"] = str_list(r["recipients"], "recipients")

    raw_no = tidy(r["doc_number"])
    docno = _docno(raw_no) if raw_no else None
    if docno is None and r["doc_number_raw"]:
        docno = _docno(r["doc_number_raw"])
    if raw_no and docno is None:
        logger.debug("unreadable 文号 %r on %s", raw_no, r["url"])
        r["doc_number_raw"] = r["doc_number_raw"] or raw_no
    r["doc_number"] = docno
    refs: list[str] = []
    for ref in str_list(r["references"], "references"):
        c = _docno(ref)
        if c and c != docno and c not in refs:
            refs.append(c)
    r["references"] = refs
    r["attachments"] = attachments(r["attachments"])

    r["date"] = iso_date(r["date"], "date")
    r["published"] = iso_date(r["published"], "published")
    r["fetched_at"] = iso_timestamp(r["fetched_at"])
    r["is_notice"] = as_bool(r["is_notice"], "is_notice")
    masked = as_bool(r["masked"], "masked")
    if masked is None:
        masked = is_masked(r["title"]) or is_masked(r["body"])
    r["masked"] = masked
    return r


class NormalizePipeline:
    """Normalise every field; unreadable values drop the item
    (``gazette/dropped/invalid/<field>``, logged as a warning)."""

    def __init__(self, crawler: Any = None) -> None:
        self.crawler = crawler

    @classmethod
    def from_crawler(cls, crawler: Any) -> NormalizePipeline:
        return cls(crawler)

    def process_item(self, item: Any) -> dict[str, Any]:
        try:
            record = as_dict(item)
        except TypeError:
            raise drop(
                self.crawler,
                "dropped/invalid/not_a_record",
                f"{type(item).__name__}",
                final=False,
                level=logging.WARNING,
            ) from None
        spider = getattr(getattr(self.crawler, "spider", None), "name", None)
        try:
            return normalize(record, spider)
        except Unparsable as exc:
            raise drop(
                self.crawler,
                f"dropped/invalid/{exc.field}",
                str(exc),
                final=False,
                item=record,
                level=logging.WARNING,
            ) from None
        except Exception as exc:  # never crash the crawl on one bad item
            logger.exception("normalising %r failed", record.get("url"))
            raise drop(
                self.crawler,
                "dropped/invalid/normalize_error",
                repr(exc)[:200],
                final=False,
                item=record,
                level=logging.WARNING,
            ) from None
