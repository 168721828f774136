"""The one extraction path: page bytes (or a Scrapy response) -> Notice record.

Spiders call :func:`extract_response`; ``gazette extract`` calls
:func:`extract_page`. Both end in :func:`extract_html`.
"""

from __future__ import annotations

from typing import Any

from gazette.items import Notice, complete


def extract_html(
    body: bytes | str,
    url: str | None = None,
    headers: dict[str, Any] | None = None,
    spider: str | None = None,
) -> dict[str, Any]:
    """Extract one notice record (a dict with every contract key) from a page."""
    raise NotImplementedError  # filled in by the extraction core


def extract_response(response: Any, spider: str | None = None) -> Notice:
    """Scrapy response -> :class:`Notice` (the path every spider uses)."""
    headers = {k.decode("latin-1").lower(): v[0] for k, v in response.headers.items() if v}
    record = extract_html(response.body, url=response.url, headers=headers, spider=spider)
    return Notice(**complete(record))
