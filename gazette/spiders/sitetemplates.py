"""The crawl's side of :mod:`gazette.text.template`: one table per spider run,
loaded from the state (``templates`` meta key) when the run starts and written
back every ``SAVE_EVERY`` detail pages and when the spider closes, so the next
run of the site knows its template from its first page.

Stats: ``gazette/template/lines_dropped`` (lines dropped as template),
``gazette/template/sites`` (sites with a table).
"""

from __future__ import annotations

import json
import logging
from typing import Any

from gazette.text.template import SiteTemplates

logger = logging.getLogger(__name__)

META_KEY = "templates"
SAVE_EVERY = 200


def crawl_state(spider: Any) -> Any:
    """The crawl's state, when one is open (never opens one)."""
    crawler = getattr(spider, "crawler", None)
    return getattr(crawler, "_gazette_state", None) if crawler is not None else None


def load(spider: Any) -> SiteTemplates:
    state = crawl_state(spider)
    if state is not None:
        try:
            raw = state.get_meta(META_KEY)
            if raw:
                return SiteTemplates.from_json(json.loads(raw))
        except Exception as e:  # a damaged table is relearnt, never fatal
            logger.warning("gazette: site template table unreadable (%s); learning anew", e)
    return SiteTemplates()


def save(spider: Any, templates: SiteTemplates) -> None:
    state = crawl_state(spider)
    crawler = getattr(spider, "crawler", None)
    if crawler is not None and crawler.stats is not None:
        dropped = sum(t.dropped for t in templates.sites.values())
        crawler.stats.set_value("gazette/template/lines_dropped", dropped)
        crawler.stats.set_value("gazette/template/sites", len(templates.sites))
    if state is None:
        return
    try:
        state.set_meta(META_KEY, json.dumps(templates.to_json(), ensure_ascii=False))
    except Exception as e:
        logger.warning("gazette: site template table not saved (%s)", e)
