"""gazette's Scrapy commands (``COMMANDS_MODULE = "gazette.commands"``)."""
