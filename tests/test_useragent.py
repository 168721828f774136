"""The User-Agent names whoever runs the crawl (GAZETTE_CONTACT)."""

from __future__ import annotations

from scrapy import Request, Spider
from scrapy.utils.project import get_project_settings
from scrapy.utils.test import get_crawler

from gazette.crawl.useragent import ContactUserAgentMiddleware


def test_project_settings_swap_in_the_contact_middleware():
    settings = get_project_settings()
    base = settings.getdict("DOWNLOADER_MIDDLEWARES_BASE")
    assert "gazette.crawl.useragent.ContactUserAgentMiddleware" in base
    assert not any(k.endswith(".useragent.UserAgentMiddleware") for k in base)


def test_contact_fills_the_user_agent_header():
    settings = {
        "USER_AGENT": get_project_settings().get("USER_AGENT"),
        "GAZETTE_CONTACT": "mailto:data@example.org",
    }
    crawler = get_crawler(Spider, settings_dict=settings)
    mw = ContactUserAgentMiddleware.from_crawler(crawler)
    request = Request("http://127.0.0.1/")
    mw.process_request(request)
    ua = request.headers[b"User-Agent"].decode()
    assert ua == "gazette/0.1 (+mailto:data@example.org; notice crawler)"
