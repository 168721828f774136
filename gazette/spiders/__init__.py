"""gazette's spiders: they decide which pages to fetch; extraction does the rest.

``scrapy list`` shows them; docs/crawling.md describes their arguments, docs/spiders/ each one.
"""
