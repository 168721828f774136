"""Given pages only: ``-a urls=URL,URL`` or ``-a urls_file=FILE``."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

from gazette.spiders.base import NoticeSpider, split_urls


class UrlsSpider(NoticeSpider):
    """Given notice pages, fetched once each, no link following.

    Issuing body: any.

    Arguments: ``-a urls=URL,URL`` and/or ``-a urls_file=FILE`` (one URL a line;
    blank lines and ``#`` comments ignored). Every URL is a detail request
    (``gazette_detail``) and yields one item, notice or not.

    Caveats: robots.txt still applies; pages already seen by an incremental run
    are skipped by the state middleware like any detail page.
    """

    name = "urls"

    def __init__(
        self, *args: Any, urls: str | None = None, urls_file: str | None = None, **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        given = split_urls(urls)
        if urls_file:
            for line in Path(urls_file).read_text(encoding="utf-8-sig").splitlines():
                line = line.strip()
                if line and not line.startswith("#"):
                    given.append(line)
        self.given_urls = given

    async def start(self) -> AsyncIterator[Any]:
        if not self.given_urls:
            raise ValueError("spider 'urls' needs -a urls=URL,URL or -a urls_file=FILE")
        for url in self.given_urls:
            request = self.detail_request(url)
            if request is not None:
                yield request
