"""Stage 30: validate every record against the shipped JSON Schema.

``gazette/data/notice.schema.json`` is the analysts' data dictionary in
machine form. A record without a title or a body is dropped as
``gazette/dropped/invalid/missing_title`` / ``missing_body``; any other
schema failure as ``gazette/dropped/invalid/<field>`` (with a warning that
says why).

The schema is compiled to Python code once (fastjsonschema) for the check
every record goes through; jsonschema reports the first problem of the few
records that fail it. ``tests/test_pipelines.py`` holds the two to the same
verdicts.
"""

from __future__ import annotations

import json
import logging
from functools import lru_cache
from importlib import resources
from typing import Any

import fastjsonschema
from jsonschema import Draft202012Validator

from gazette.pipelines import as_dict, drop

logger = logging.getLogger(__name__)


@lru_cache(maxsize=1)
def schema() -> dict[str, Any]:
    """The Notice JSON Schema shipped in the package."""
    text = resources.files("gazette").joinpath("data", "notice.schema.json").read_text("utf-8")
    value: dict[str, Any] = json.loads(text)
    return value


@lru_cache(maxsize=1)
def validator() -> Draft202012Validator:
    """The reference validator (full error reports)."""
    return Draft202012Validator(schema())


@lru_cache(maxsize=1)
def fast_check() -> Any:
    """The schema compiled to a function that raises on the first failure.

    The schema only uses keywords whose meaning is the same in draft 7 (which
    fastjsonschema compiles) and in draft 2020-12 (which it declares).
    """
    draft7 = {**schema(), "$schema": "http://json-schema.org/draft-07/schema#"}
    return fastjsonschema.compile(draft7)


def is_valid(record: dict[str, Any]) -> bool:
    """True when ``record`` satisfies the Notice schema (the compiled check).

    >>> is_valid({"title": "t"})
    False
    """
    try:
        fast_check()(record)
    except fastjsonschema.JsonSchemaException:
        return False
    return True


def problem(record: dict[str, Any]) -> tuple[str, str] | None:
    """``(reason, message)`` for the first problem of ``record``, or None.

    >>> problem({"title": "t"})[0]
    'missing_body'
    >>> from gazette.items import complete
    >>> r = complete({"title": "t", "body": "b", "is_notice": True, "masked": False,
    ...               "fetched_at": "2024-05-01T08:00:00+00:00", "date": "2013-11-23"})
    >>> problem(r) is None
    True
    >>> problem({**r, "date": "23.11.2013"})[0]
    'date'
    """
    for key in ("title", "body"):
        value = record.get(key)
        if value is None or (isinstance(value, str) and not value.strip()):
            return f"missing_{key}", f"no {key}"
    if is_valid(record):  # the common case, without collecting errors
        return None
    errors = sorted(validator().iter_errors(record), key=lambda e: list(e.absolute_path))
    if not errors:
        return None
    err = errors[0]
    if err.absolute_path:
        field = str(err.absolute_path[0])
    elif err.validator == "required":
        missing = [k for k in err.validator_value if k not in record]
        field = f"missing_{missing[0]}" if missing else "record"
    else:
        field = "record"
    return field, err.message[:200]


class ValidatePipeline:
    """Drop records that break the Notice schema (counted, logged, never raised)."""

    def __init__(self, crawler: Any = None) -> None:
        self.crawler = crawler
        fast_check()  # compile now: a broken package fails at start, not per item

    @classmethod
    def from_crawler(cls, crawler: Any) -> ValidatePipeline:
        return cls(crawler)

    def process_item(self, item: Any) -> Any:
        try:
            record = item if isinstance(item, dict) else as_dict(item)
        except TypeError:
            raise drop(
                self.crawler,
                "dropped/invalid/not_a_record",
                type(item).__name__,
                final=False,
                level=logging.WARNING,
            ) from None
        found = problem(record)
        if found is not None:
            reason, message = found
            raise drop(
                self.crawler,
                f"dropped/invalid/{reason}",
                message,
                final=False,
                item=record,
                level=logging.WARNING,
            )
        return item
