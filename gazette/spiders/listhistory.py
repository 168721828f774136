"""Which list answers were empty in the last run, so that an empty answer is news.

A list page or API answer that should hold entries and holds none is a platform
that changed (``gazette/list/empty``: the ``lists`` monitor fails the run). But
a column that is empty on purpose would fail every night and teach the operator
to ignore the alarm. So the state keeps the lists that were empty in the last run
(meta ``empty_lists``: keys of the first-page requests, at most :data:`MAX_KEYS`):

* empty now, not empty last time (it had entries, or it is new): ``empty``, the
  run fails, the first night;
* empty now and last time: ``gazette/list/still_empty``, logged, the run passes.

At the end of a run that finished, the set is replaced by the lists found empty
in it; a run cut short (timeout, ``max_pages`` …) adds them to it, since it may not
have visited the others.
"""

from __future__ import annotations

import hashlib
import json
import logging
from typing import Any

from gazette.spiders.sitetemplates import crawl_state

logger = logging.getLogger(__name__)

META_KEY = "empty_lists"
MAX_KEYS = 10_000


def list_key(method: str, url: str, body: bytes = b"") -> str:
    """A stable key of a list request (a POSTed search differs by its form).

    >>> list_key("GET", "https://a.gov.cn/list/") == list_key("GET", "https://a.gov.cn/list/")
    True
    >>> list_key("POST", "https://a.gov.cn/s", b"page=1&classsql=chnlid=1") == list_key(
    ...     "POST", "https://a.gov.cn/s", b"page=1&classsql=chnlid=2")
    False
    """
    digest = hashlib.sha1(f"{method.upper()} {url}\n".encode() + body)
    return digest.hexdigest()[:20]


def load(spider: Any) -> set[str]:
    """The lists that were empty in the last run (empty without a state)."""
    state = crawl_state(spider)
    if state is None:
        return set()
    try:
        raw = state.get_meta(META_KEY)
        keys = json.loads(raw) if raw else []
        return {k for k in keys if isinstance(k, str)}
    except Exception as e:  # unreadable: every empty list is news again
        logger.warning("gazette: the last run's empty lists unreadable (%s)", e)
        return set()


def save(spider: Any, keys: set[str], finished: bool = True) -> None:
    """Store this run's empty lists (with the last run's, if this one was cut short)."""
    state = crawl_state(spider)
    if state is None:
        return
    if not finished:
        keys = keys | load(spider)
    try:
        state.set_meta(META_KEY, json.dumps(sorted(keys)[:MAX_KEYS]))
    except Exception as e:
        logger.warning("gazette: the empty lists not saved (%s)", e)
