"""Scrapy settings of syria-archive.

Environment: ``SYRIA_ARCHIVE_DATA`` (data directory, default ``./data``),
``SYRIA_ARCHIVE_CONTACT`` (contact URL in the User-Agent),
``SYRIA_ARCHIVE_OUTLETS`` (extra registry folders or files, ``os.pathsep``-separated).
Every setting can be overridden with ``-s NAME=VALUE``.
"""

from __future__ import annotations

import os

from crawler import __version__

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
CONCURRENT_REQUESTS = 16
CONCURRENT_REQUESTS_PER_DOMAIN = 2
# Outputs of one response handled at once. An article page yields one item and a listing
# a few dozen requests; Scrapy starts this many asyncio tasks for every response of an
# async callback, so its default of 100 costs more than the items it would overlap.
CONCURRENT_ITEMS = 4
AUTOTHROTTLE_ENABLED = True
AUTOTHROTTLE_START_DELAY = 2.0
AUTOTHROTTLE_MAX_DELAY = 30.0
AUTOTHROTTLE_TARGET_CONCURRENCY = 1.0
RETRY_TIMES = 2
DOWNLOAD_TIMEOUT = 60
DOWNLOAD_MAXSIZE = 32 * 1024 * 1024
DOWNLOAD_WARNSIZE = 8 * 1024 * 1024
# A body cut short is archived as received (WARC-Truncated: disconnect) and counted,
# instead of being thrown away; an article cut short is not extracted.
DOWNLOAD_FAIL_ON_DATALOSS = False
COOKIES_ENABLED = False
# Scrapy's HTTP/1.1 handler, closed without firing a Deferred twice (crawler/handlers.py)
DOWNLOAD_HANDLERS = {
    "http": "crawler.handlers.HTTPDownloadHandler",
    "https": "crawler.handlers.HTTPDownloadHandler",
}
TELNETCONSOLE_ENABLED = False

# -- data directory -------------------------------------------------------
DATA_DIR = os.environ.get("SYRIA_ARCHIVE_DATA", "data")

# -- incremental crawls: article pages archived before are not fetched again --
SPIDER_MIDDLEWARES = {
    "spiders.incremental.IncrementalFetchMiddleware": 600,
    "spiders.frontier.FrontierSpiderMiddleware": 20,  # distributed crawls only
}
INCREMENTAL_ENABLED = True
INCREMENTAL_STATE = ""  # default: DATA_DIR/state/fetched.sqlite3

# -- WARC capture: every response, next to the downloader -------------------
DOWNLOADER_MIDDLEWARES = {
    # Scrapy's own, but every request that waited for robots.txt obeys it (spiders/robots.py)
    "scrapy.downloadermiddlewares.robotstxt.RobotsTxtMiddleware": None,
    "spiders.robots.SharedRobotsTxtMiddleware": 100,
    "spiders.retryafter.RetryAfterMiddleware": 560,  # waits, then RetryMiddleware (550)
    "archive.recorder.WarcRecorder": 990,
    "spiders.politeness.SharedPolitenessMiddleware": 985,  # distributed crawls only
    "spiders.frontier.FrontierDownloaderMiddleware": 50,  # distributed crawls only
}
RETRY_AFTER_ENABLED = True
RETRY_AFTER_MAX = 60.0  # seconds: a longer Retry-After is not waited for in this run
CRAWL_ID = ""
WARC_ENABLED = True
WARC_DIR = ""  # default: DATA_DIR/warc
WARC_PREFIX = "syria-archive"
WARC_MAX_SIZE = 1024**3
WARC_GZIP_LEVEL = 6
WARC_REVISITS = True
WARC_DIGESTS = ""  # default: DATA_DIR/state/digests.sqlite3
WARC_OPERATOR = os.environ.get("SYRIA_ARCHIVE_OPERATOR", "")
WARC_SOFTWARE = f"syria-archive/{__version__}"  # named in each warcinfo record

# -- extraction in worker processes, off the reactor (crawler.extract.pool) --------
EXTRACT_WORKERS = -1  # -1: one per core beyond the first; 0: in the crawling process
EXTRACT_TIMEOUT = 60.0  # seconds one page may take in a worker; then it is retried next run
EXTRACT_RETRIES = 2  # attempts again after a worker died under a page

# -- item pipelines, in order ---------------------------------------------
ITEM_PIPELINES = {
    "pipelines.clean.CleanPipeline": 100,
    "pipelines.window.DateWindowPipeline": 200,
    "pipelines.relevance.RelevancePipeline": 300,
    "archive.catalog.CatalogPipeline": 500,
    "pipelines.dedup.DedupPipeline": 400,
}
RELEVANCE_MIN_BODY_MENTIONS = 2
DEDUP_ENABLED = True
# Thresholds chosen on the labelled syndication set (tests/data/syndication.toml): each
# sits in the middle of the gap between its cases (rounded to 0.05); `make bench-dedup`
# prints the gaps, and tests/test_syndication.py checks these values.
DEDUP_THRESHOLD = 0.8  # estimated Jaccard similarity of word 3-shingles
DEDUP_CONTAINMENT = 0.65  # share of the shorter text found in the other (wire copies)
DEDUP_FACTS_CONFLICT = 0.25  # at most this share of either text's figures and places missing
DEDUP_FACTS_MIN = 2.0  # weight of facts below which they are no evidence either way
DEDUP_MIN_WORDS = 50  # shorter texts are matched exactly only
DEDUP_TRANSLATIONS = True  # link translations between editions of one outlet group
DEDUP_TRANSLATION_DAYS = 2  # published at most this many days apart
DEDUP_TRANSLATION_OVERLAP = 0.75  # share of the smaller side's facts in common
DEDUP_TRANSLATION_MIN_FACTS = 3.0  # weight of facts in common, at least
DEDUP_STATE = ""  # default: DATA_DIR/state/dedup.sqlite3
DEDUP_EXPORT = "all"  # "all": duplicates exported, flagged; "originals": originals only

# -- syria-archive check (spiders.check) --------------------------------------
CHECK_SITEMAP_CHILDREN = 2  # the newest sitemaps of an index that are followed
CHECK_ARTICLE_TRIES = 3  # listed articles tried before the article check fails
CHECK_MIN_WORDS = 50  # an extracted body shorter than this fails

CATALOG_ENABLED = True
CATALOG_PATH = ""  # default: DATA_DIR/state/catalog.sqlite3

# -- S3: the outbox and upload (archive.upload, archive.s3) -----------------
# Endpoint and credentials only through the standard AWS chain (AWS_ENDPOINT_URL,
# AWS_PROFILE, environment, instance role), never here.
EXTENSIONS = {
    "archive.upload.UploadExtension": 500,
    "spiders.frontier.WorkerExtension": 600,  # distributed crawls only
    # the health report's counts, and a progress line per outlet (crawler.health)
    "crawler.health.ArticleQualityStats": 510,
    "scrapy.extensions.logstats.LogStats": None,
    "crawler.health.OutletLogStats": 0,
}
S3_URI = os.environ.get("SYRIA_ARCHIVE_S3", "")  # s3://bucket/prefix
S3_STORAGE_CLASS = os.environ.get("SYRIA_ARCHIVE_S3_STORAGE_CLASS", "")  # e.g. STANDARD_IA
S3_SSE = os.environ.get("SYRIA_ARCHIVE_S3_SSE", "")  # "AES256" or "aws:kms"
S3_SSE_KMS_KEY_ID = os.environ.get("SYRIA_ARCHIVE_S3_KMS_KEY", "")
S3_MULTIPART_THRESHOLD = 32 * 1024 * 1024
S3_MULTIPART_CHUNKSIZE = 32 * 1024 * 1024
S3_MAX_CONCURRENCY = 10
S3_MAX_ATTEMPTS = 5  # botocore's standard retry mode
S3_CONNECT_TIMEOUT = 5.0
S3_READ_TIMEOUT = 60.0
S3_UPLOAD_DURING_CRAWL = True  # upload WARCs as they rotate, not only at the end
S3_DELETE_UPLOADED = False  # delete local WARC/CDXJ once S3 holds them intact
S3_RESTORE_STATE = True  # bring the local state up to the snapshot S3's pointer names
S3_FRESH_STATE = False  # True (--fresh-state): go on when the state cannot be read from S3

# -- distributed crawls: scrapy-redis and shared state (crawler.distributed) -----------
# REDIS_URL (`--redis`, env SYRIA_ARCHIVE_REDIS) switches them on: crawler.distributed then
# sets scrapy-redis' SCHEDULER, DUPEFILTER_CLASS and queue; without it nothing needs Redis.
REDIS_URL = ""
REDIS_PREFIX = "syria-archive"  # every key starts with it
REDIS_WORKER_ID = ""  # default: host-pid
REDIS_HEARTBEAT_INTERVAL = 5.0
REDIS_HEARTBEAT_TTL = 30.0  # a worker silent this long is dead: its requests go back
REDIS_UNTIL_EMPTY = False  # `worker --until-empty`: stop once the shared queue stays empty
REDIS_IDLE_TIMEOUT = 30.0  # ... for this long
REDIS_POLITENESS = True  # one DOWNLOAD_DELAY per outlet across all workers

# -- article export: JSON Lines through Scrapy's feed exports ---------------
# The path is resolved from the crawler's own DATA_DIR (crawler.feeds.uri_params), so
# `scrapy crawl OUTLET -s DATA_DIR=...` and scrapyd write where they are told to.
FEED_URI_PARAMS = "crawler.feeds.uri_params"
FEED_STORAGES = {"": "crawler.feeds.LineFileFeedStorage",
                 "file": "crawler.feeds.LineFileFeedStorage"}
FEEDS = {
    "%(data_dir)s/items/%(name)s-%(time)s.jsonl": {
        "format": "jsonlines",
        "encoding": "utf8",
        "store_empty": False,
    },
}
FEED_EXPORT_ENCODING = "utf-8"

LOG_LEVEL = "INFO"
# Dropped articles are logged as one line with the reason, not as a whole item.
LOG_FORMATTER = "crawler.logformatter.ArchiveLogFormatter"
LOGSTATS_INTERVAL = 30.0

# -- nightly runs and their health report (crawler.nightly, crawler.alerts, crawler.report) --
NIGHTLY_LOOKBACK_DAYS = 3.0  # an outlet's first nightly run looks back this far
NIGHTLY_OVERLAP_HOURS = 24.0  # later runs: since the last good run's start, less this
NIGHTLY_LOG_MAX_BYTES = 10 * 1024 * 1024  # DATA/logs/nightly.log rotates at this size
NIGHTLY_LOG_BACKUPS = 10
HEALTH_ENABLED = True
HEALTH_HISTORY_RUNS = 30  # the runs the charts show and the alerts compare with
HEALTH_BODY_MIN_WORDS = 80  # a body of normal length, for the completeness figures
HEALTH_BODY_MAX_WORDS = 20000
HEALTH_JUMP_FACTOR = 2.0  # errors or 403/429/503 at this many times the outlet's usual rate
HEALTH_JUMP_MIN_RATE = 0.1  # ... and at least this share of its requests
HEALTH_JUMP_MIN_COUNT = 3
HEALTH_QUALITY_DROP = 0.25  # dates, titles, authors, bodies: this far under the median
HEALTH_QUALITY_MIN_ARTICLES = 3
HEALTH_NO_ARTICLE_SHARE = 0.25  # listed article pages that answered 200 without one
HEALTH_DISK_MIN_FREE_MB = 2048
# The webhook: the variable that holds its URL (a URL may hold a token: it is never
# logged, and a setting's name saying WEBHOOK would have its value masked in logs).
HEALTH_NOTIFY_ENV = "SYRIA_ARCHIVE_WEBHOOK"
HEALTH_NOTIFY_TIMEOUT = 10.0
