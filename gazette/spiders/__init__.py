"""gazette's spiders: they decide which pages to fetch; extraction does the rest.

``scrapy list`` shows them; ``docs/spiders.md`` describes their arguments.
"""
