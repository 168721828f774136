"""The dataset's fields: one list, one type per field, for every file format.

:data:`COLUMNS` is the order of the fields in every file (JSONL keys, Parquet
and DuckDB columns, CSV columns) and their types; ``gazette schema`` prints
the JSON Schema (``gazette/data/notice.schema.json``) that documents them
(see ``DATA_FORMAT.md``).
"""

from __future__ import annotations

import json
from importlib import resources
from typing import Any

from gazette.items import FIELDS

#: the notice fields (the export contract), then the dataset's own
#: type names: str, date, timestamp, bool, int, list[str], attachments, sources
COLUMNS: dict[str, str] = {
    "id": "str",
    "url": "str",
    "site": "str",
    "spider": "str",
    "title": "str",
    "doc_number": "str",
    "doc_number_raw": "str",
    "issuer": "str",
    "co_issuers": "list[str]",
    "date": "date",
    "published": "date",
    "recipients": "list[str]",
    "references": "list[str]",
    "attachments": "attachments",
    "index_number": "str",
    "topic": "str",
    "body": "str",
    "is_notice": "bool",
    "masked": "bool",
    "fetched_at": "timestamp",
    "cut": "str",
    # the dataset's fields
    "revision": "int",
    "first_seen": "timestamp",
    "last_seen": "timestamp",
    "genre": "str",
    "issuer_level": "str",
    "issuer_region": "str",
    "validity": "str",
    "body_hash": "str",
    "cites": "list[str]",
    "cited_by": "list[str]",
    "sources": "sources",
}
assert all(f in COLUMNS for f in FIELDS)

#: derived fields carried by every change-feed line (with ``revision`` and ``first_seen``)
DERIVED = ("genre", "issuer_level", "issuer_region", "validity", "body_hash")
#: fields only the dataset files carry (provenance and relations; not in the change feed)
DATASET_ONLY = ("last_seen", "cites", "cited_by", "sources")
#: what a copy loses before it is stored (it is derived again from the copies)
NOT_COPY = ("revision", "first_seen", *DERIVED[:3], "body_hash", *DATASET_ONLY)
#: the keys of one entry of ``sources`` (also the DuckDB ``sources`` table, with ``id``)
SOURCE_KEYS = ("url", "site", "fetched_at", "masked", "spider", "run")
#: the separator CSV uses to join a list in one cell
CSV_SEPARATOR = " | "


def json_schema() -> dict[str, Any]:
    """The JSON Schema of a record (export line, dataset line, ``gazette extract`` output)."""
    text = resources.files("gazette").joinpath("data/notice.schema.json").read_text("utf-8")
    schema: dict[str, Any] = json.loads(text)
    return schema
