"""Scrapy settings for gazette: polite, robust defaults.

Every value can be overridden with ``-s NAME=VALUE`` or a spider's
``custom_settings``.
"""

from scrapy.settings import default_settings as _default

BOT_NAME = "gazette"
SPIDER_MODULES = ["gazette.spiders"]
NEWSPIDER_MODULE = "gazette.spiders"

# -- identity and politeness -------------------------------------------------
# who runs the crawl: a URL or mailto: for site operators (-s GAZETTE_CONTACT=...)
GAZETTE_CONTACT = "https://github.com/gazette-project/gazette"
USER_AGENT = "gazette/0.1 (+{contact}; notice crawler)"  # {contact}: GAZETTE_CONTACT
ROBOTSTXT_OBEY = True
CONCURRENT_REQUESTS = 16
CONCURRENT_REQUESTS_PER_DOMAIN = 4
# outputs of one response processed at once: Scrapy starts this many asyncio tasks for
# every response (default 100); our pages yield one item or a few dozen requests
CONCURRENT_ITEMS = 16
DOWNLOAD_DELAY = 0.25
AUTOTHROTTLE_ENABLED = True
AUTOTHROTTLE_START_DELAY = 0.5
AUTOTHROTTLE_MAX_DELAY = 30.0
AUTOTHROTTLE_TARGET_CONCURRENCY = 2.0

# -- robustness ----------------------------------------------------------------
RETRY_ENABLED = True
RETRY_TIMES = 3
RETRY_HTTP_CODES = [429, 500, 502, 503, 504, 522, 524, 408]
# gazette.crawl.retry: wait Retry-After (429/503, capped) or exponential back-off
RETRY_AFTER_MAX = 120.0
RETRY_BACKOFF_BASE = 1.0
RETRY_BACKOFF_MAX = 60.0
# swapped in the *_BASE dict so that DOWNLOADER_MIDDLEWARES stays free for project/users
DOWNLOADER_MIDDLEWARES_BASE = {
    **{
        k: v
        for k, v in _default.DOWNLOADER_MIDDLEWARES_BASE.items()
        if not k.endswith((".RetryMiddleware", ".UserAgentMiddleware"))
    },
    "gazette.crawl.retry.BackoffRetryMiddleware": 550,
    "gazette.crawl.useragent.ContactUserAgentMiddleware": 500,
}
DOWNLOAD_TIMEOUT = 30
DOWNLOAD_MAXSIZE = 16 * 1024 * 1024
DOWNLOAD_WARNSIZE = 4 * 1024 * 1024
REDIRECT_MAX_TIMES = 10
DNS_TIMEOUT = 20

# -- development: opt-in HTTP cache (-s HTTPCACHE_ENABLED=1) --------------------
HTTPCACHE_ENABLED = False
HTTPCACHE_DIR = "httpcache"
HTTPCACHE_EXPIRATION_SECS = 0

# -- items -----------------------------------------------------------------------
ITEM_PIPELINES: dict[str, int] = {
    "gazette.pipelines.p10_filter.FilterPipeline": 100,
    "gazette.pipelines.p20_normalize.NormalizePipeline": 200,
    "gazette.pipelines.p30_validate.ValidatePipeline": 300,
    "gazette.pipelines.p40_dedup.DedupPipeline": 400,
}
DOWNLOADER_MIDDLEWARES: dict[str, int | None] = {
    "gazette.crawl.middlewares.SkipSeenDetailMiddleware": 50,
}
DUPEFILTER_CLASS = "gazette.crawl.dupefilter.RunDupeFilter"  # per run: no JOBDIR/requests.seen

# -- pagination and frontier (gazette.spiders.paging; docs/crawling.md, "Pagination that ends") --
# DepthMiddleware swapped for one where next-page hops keep their depth, barren lists end
# and list pages per start URL have a ceiling; the frontier parks requests on disk while
# the scheduler is full
SPIDER_MIDDLEWARES_BASE = {
    **{
        k: v
        for k, v in _default.SPIDER_MIDDLEWARES_BASE.items()
        if not k.endswith(".DepthMiddleware")
    },
    "gazette.spiders.paging.PaginationMiddleware": 900,
    "gazette.spiders.paging.FrontierMiddleware": 30,
}
GAZETTE_LIST_PATIENCE = 2  # list pages in a row without a new detail link that end a list
GAZETTE_MAX_LIST_PAGES = 1000  # list pages per start URL (0: no ceiling)
GAZETTE_LIST_WINDOW = 4  # next pages of one list requested at once
GAZETTE_FRONTIER_SCHEDULED = 2000  # requests scheduled before more wait on disk (0: off)
GAZETTE_FRONTIER_BATCH = 200  # parked requests fed back each time the scheduler runs empty

# persistent state (seen detail pages, notice ids, LSH index): docs/how-it-works.md, "Persistent state"
GAZETTE_STATE_BACKEND = "gazette.state.sqlite.SQLiteState"
GAZETTE_STATE_PATH = "data/state/{spider}.sqlite3"
GAZETTE_STATE_RESET = False  # -s GAZETTE_STATE_RESET=1 starts over
GAZETTE_STATE_COMMIT_EVERY = 50  # outcomes per commit (new notices: before their lines)
GAZETTE_SKIP_SEEN_DETAIL = True

# one JSON-lines file per run, written in committed batches of up to 100 lines or 1 s;
# -s GAZETTE_EXPORT_GZIP=1 for .jsonl.gz
GAZETTE_EXPORT_GZIP = False
GAZETTE_EXPORT_FLUSH_EVERY = 100
GAZETTE_EXPORT_FLUSH_SECONDS = 1.0
FEED_EXPORTERS = {
    "jsonlines": "gazette.crawl.exporters.FlushingJsonLinesItemExporter",
    "jsonl": "gazette.crawl.exporters.FlushingJsonLinesItemExporter",
    "jl": "gazette.crawl.exporters.FlushingJsonLinesItemExporter",
}
FEEDS = {
    "data/exports/%(name)s/%(time)s.jsonl%(gz)s": {
        "format": "jsonlines",
        "encoding": "utf-8",
        "uri_params": "gazette.crawl.exporters.uri_params",
    },
}
FEED_EXPORT_ENCODING = "utf-8"

TELNETCONSOLE_ENABLED = False
LOG_LEVEL = "INFO"
REQUEST_FINGERPRINTER_IMPLEMENTATION = "2.7"

# monitors, summary, progress, Redis (docs/operations.md); fault stats, caps
from gazette.settings_robust import *  # noqa: E402,F403,I001
from gazette.settings_server import *  # noqa: E402,F401,F403
