"""Scrapy settings of syria-archive.

Environment: ``SYRIA_ARCHIVE_DATA`` (data directory, default ``./data``),
``SYRIA_ARCHIVE_CONTACT`` (contact URL in the User-Agent),
``SYRIA_ARCHIVE_OUTLETS`` (extra registry folders or files, ``os.pathsep``-separated).
Every setting can be overridden with ``-s NAME=VALUE``.
"""

from __future__ import annotations

import os
from pathlib import Path

BOT_NAME = "syria-archive"
SPIDER_MODULES = ["spiders"]
NEWSPIDER_MODULE = "spiders"
SPIDER_LOADER_CLASS = "crawler.spiderloader.OutletSpiderLoader"

# -- the outlet registry and discovery ------------------------------------
OUTLETS_PATHS = [p for p in os.environ.get("SYRIA_ARCHIVE_OUTLETS", "").split(os.pathsep) if p]
SECTION_MAX_PAGES = 3
DISCOVERY_SKIP_UNRELATED = True
SITEMAP_MAX_SIZE = 50 * 1024 * 1024

# -- politeness: robots.txt, a named User-Agent with a contact, throttling ---
ROBOTSTXT_OBEY = True
CONTACT_URL = os.environ.get("SYRIA_ARCHIVE_CONTACT", "https://github.com/syria-archive/syria-archive")
USER_AGENT_TEMPLATE = "syria-archive/{version} (+{contact}; archiving news coverage of Syria)"
DOWNLOAD_DELAY = 1.0
RANDOMIZE_DOWNLOAD_DELAY = True
CONCURRENT_REQUESTS = 16
CONCURRENT_REQUESTS_PER_DOMAIN = 2
AUTOTHROTTLE_ENABLED = True
AUTOTHROTTLE_START_DELAY = 2.0
AUTOTHROTTLE_MAX_DELAY = 30.0
AUTOTHROTTLE_TARGET_CONCURRENCY = 1.0
RETRY_TIMES = 2
DOWNLOAD_TIMEOUT = 60
DOWNLOAD_MAXSIZE = 32 * 1024 * 1024
DOWNLOAD_WARNSIZE = 8 * 1024 * 1024
COOKIES_ENABLED = False
TELNETCONSOLE_ENABLED = False

# -- data directory -------------------------------------------------------
DATA_DIR = os.environ.get("SYRIA_ARCHIVE_DATA", "data")

# -- incremental crawls: article pages archived before are not fetched again --
SPIDER_MIDDLEWARES = {
    "crawler.incremental.IncrementalFetchMiddleware": 600,
}
INCREMENTAL_ENABLED = True
INCREMENTAL_STATE = ""  # default: DATA_DIR/state/fetched.sqlite3

# -- WARC capture: every response, next to the downloader -------------------
DOWNLOADER_MIDDLEWARES = {
    "archive.recorder.WarcRecorder": 990,
}
CRAWL_ID = ""
WARC_ENABLED = True
WARC_DIR = ""  # default: DATA_DIR/warc
WARC_PREFIX = "syria-archive"
WARC_MAX_SIZE = 1024**3
WARC_GZIP_LEVEL = 6
WARC_REVISITS = True
WARC_DIGESTS = ""  # default: DATA_DIR/state/digests.sqlite3
WARC_OPERATOR = os.environ.get("SYRIA_ARCHIVE_OPERATOR", "")

# -- item pipelines, in order ---------------------------------------------
ITEM_PIPELINES = {
    "pipelines.window.DateWindowPipeline": 200,
    "pipelines.relevance.RelevancePipeline": 300,
}
RELEVANCE_MIN_BODY_MENTIONS = 2

# -- article export: JSON Lines through Scrapy's feed exports ---------------
FEEDS = {
    str(Path(DATA_DIR) / "items" / "%(name)s-%(time)s.jsonl"): {
        "format": "jsonlines",
        "encoding": "utf8",
        "store_empty": False,
    },
}
FEED_EXPORT_ENCODING = "utf-8"

LOG_LEVEL = "INFO"
LOGSTATS_INTERVAL = 30.0
