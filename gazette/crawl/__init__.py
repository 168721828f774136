"""Crawl plumbing: downloader and scheduler middlewares, retries, user agent,
the duplicate-request filter, fault accounting and the crash-safe feed exporter."""
