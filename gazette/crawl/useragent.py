"""An honest User-Agent that names who runs the crawl.

``USER_AGENT`` may hold ``{contact}``; it is filled from ``GAZETTE_CONTACT``
when the crawler starts, so ``-s GAZETTE_CONTACT=mailto:data@example.org`` is
all an operator sets.

>>> from scrapy.utils.test import get_crawler
>>> mw = ContactUserAgentMiddleware.from_crawler(get_crawler(settings_dict={
...     "USER_AGENT": "gazette/0.1 (+{contact})", "GAZETTE_CONTACT": "mailto:a@b.org"}))
>>> mw.user_agent
'gazette/0.1 (+mailto:a@b.org)'
"""

from __future__ import annotations

from typing import Any

from scrapy import signals
from scrapy.downloadermiddlewares.useragent import UserAgentMiddleware


class ContactUserAgentMiddleware(UserAgentMiddleware):
    """Scrapy's ``UserAgentMiddleware`` with ``{contact}`` filled in."""

    @classmethod
    def from_crawler(cls, crawler: Any) -> ContactUserAgentMiddleware:
        ua = crawler.settings.get("USER_AGENT") or ""
        contact = crawler.settings.get("GAZETTE_CONTACT") or "no contact given"
        mw = cls(ua.replace("{contact}", contact))
        crawler.signals.connect(mw.spider_opened, signal=signals.spider_opened)
        return mw
