"""gazette's spiders: they decide which pages to fetch; extraction does the rest.

``scrapy list`` shows them; the README ("Spiders") describes their arguments.
"""
