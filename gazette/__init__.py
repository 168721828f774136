"""gazette: crawl and clean Chinese government notices (公文)."""

__version__ = "0.1.0"
