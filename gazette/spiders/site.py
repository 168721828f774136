"""Any site: follow in-domain list and detail links, keep notices only."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

from scrapy.http import Response

from gazette.spiders.base import NEXT_TEXTS, SKIP_EXTENSIONS, NoticeSpider, is_detail_url

_NOTICE_WORDS = re.compile(
    r"(通知|通告|公告|决定|意见|办法|规定|批复|通报|函|方案|规划|细则|命令|令|公报|决议|条例|指引|纲要|议案)"
)
_DETAILISH = re.compile(r"/[^/]*\d[^/]*\.(?:s?html?|jsp|aspx?|php)$", re.I)
_LISTISH = re.compile(
    r"(?:/|/(?:index|list|default)(?:_\d+)?\.s?html?|/list[_-]?\d+\.s?html?)$", re.I
)


class SiteSpider(NoticeSpider):
    """Any site (``-a start_url=URL``): portals, departments, repost aggregators.

    Issuing body: any; the site need not be a government one (reposting sites
    such as job agencies' "资讯" columns carry government notices too).

    Start URLs: given with ``-a start_url=URL`` (or ``start_urls=A,B``).

    Follows, on the start URLs' hosts only: pagination (next links, ``下一页``,
    ``index_N.html``, ``list_N.html``, JS page counts), list-like links (paths
    ending in ``/`` or ``index.html``) and detail-like links (known CMS detail
    shapes, or a numbered ``.html`` page whose anchor text reads like a title);
    also from detail pages (related lists), within ``DEPTH_LIMIT`` (default 4).
    Next-page links do not count as depth: a list is followed to its end
    (:mod:`gazette.spiders.paging`: barren lists end, a ceiling per start URL);
    column links and links on detail pages count one level each.
    Keeps notices only: items whose extraction says ``is_notice`` is false are
    counted (``gazette/non_notices_skipped``) and not exported.

    Caveats: on big sites set ``-a max_pages=`` / ``-a max_notices=``; title-like
    anchors are a heuristic, so news pages get fetched and then dropped.
    """

    name = "site"
    start_urls: list[str] = []
    follow_from_detail = True
    keep_non_notices = False
    custom_settings = {"DEPTH_LIMIT": 4}

    def is_detail(self, url: str, text: str = "") -> bool:
        if is_detail_url(url):
            return True
        path = urlsplit(url).path
        if not _DETAILISH.search(path) or _LISTISH.search(path):
            return False
        return len(text.strip()) >= 6

    def is_page_link(self, url: str, text: str, response: Response) -> bool:
        if super().is_page_link(url, text, response):
            return True
        text = text.strip()
        return text in NEXT_TEXTS or text.startswith(("下一页", "上一页", "尾页", "末页"))

    def is_list_link(self, url: str, text: str, response: Response) -> bool:
        """Next pages, and column links (``/``, ``index.html``: a new list, one level deeper)."""
        if self.is_page_link(url, text, response):
            return True
        path = urlsplit(url).path or "/"
        if SKIP_EXTENSIONS.search(path):
            return False
        return bool(_LISTISH.search(path)) and bool(text) and (urlsplit(url).query == "")
