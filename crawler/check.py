"""``syria-archive check``: what works of each outlet's setup, against its site.

Runs :class:`spiders.check.CheckSpider` for each outlet named (all by default) in
one Scrapy process with the project's settings (robots.txt obeyed, the outlets'
download delays, proxies from ``http_proxy``/``https_proxy``, so the offline mirror
works as the real sites do), with the archive switched off: no WARC, no items, no
state, no upload.  Each outlet's report lists robots.txt, every feed, sitemap and
section page, and the article tried; an outlet is broken when any of them failed.

Settings read: those of the project; ``CHECK_*`` of :mod:`spiders.check`.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Any

from crawler.registry import Registry
from spiders.check import FAIL, OK, WARN, CheckSpider, Finding

# The archive stays untouched: a check writes nothing under the data directory.
CHECK_SETTINGS = {
    "WARC_ENABLED": False, "INCREMENTAL_ENABLED": False, "S3_UPLOAD_DURING_CRAWL": False,
    "ITEM_PIPELINES": {}, "FEEDS": {}, "EXTRACT_WORKERS": 0, "LOG_LEVEL": "WARNING",
    "LOGSTATS_INTERVAL": 0,
}
# ...and the components that would write are left out, not just told to refuse.
LEFT_OUT = {
    "DOWNLOADER_MIDDLEWARES": ("archive.recorder.WarcRecorder",),
    "SPIDER_MIDDLEWARES": ("spiders.incremental.IncrementalFetchMiddleware",),
    "EXTENSIONS": ("archive.upload.UploadExtension",),
}


@dataclass
class OutletCheck:
    outlet: str
    name: str
    findings: list[Finding]

    @property
    def healthy(self) -> bool:
        return bool(self.findings) and all(f.status != FAIL for f in self.findings)

    def as_dict(self) -> dict[str, Any]:
        return {"outlet": self.outlet, "name": self.name, "healthy": self.healthy,
                "findings": [f.as_dict() for f in self.findings]}


def robots_finding(outlet_url: str, stats: dict[str, Any], findings: list[Finding]) -> Finding:
    """robots.txt as Scrapy's RobotsTxtMiddleware met it."""
    from urllib.parse import urljoin

    url = urljoin(outlet_url, "/robots.txt")
    forbidden = [f.url for f in findings
                 if "forbidden by robots.txt" in f.detail and f.kind != "article"]
    articles = [f.url for f in findings
                if "forbidden by robots.txt" in f.detail and f.kind == "article"]
    statuses = {k.rsplit("/", 1)[-1]: v for k, v in stats.items()
                if k.startswith("robotstxt/response_status_count/")}
    errors = {k.rsplit("/", 1)[-1]: v for k, v in stats.items()
              if k.startswith("robotstxt/exception_count/")}
    if forbidden:
        return Finding("robots.txt", url, FAIL,
                       f"forbids {len(forbidden)} of the outlet's URLs: {', '.join(forbidden)}")
    if articles:  # the sources are fine; some listed articles are off limits
        return Finding("robots.txt", url, WARN,
                       f"forbids {len(articles)} listed article(s): {', '.join(articles)}")
    if statuses:
        codes = ", ".join(f"HTTP {c}" for c in sorted(statuses))
        note = ("allows every URL checked" if "200" in statuses
                else "no robots.txt: everything allowed")
        return Finding("robots.txt", url, OK, f"{codes}, {note}")
    if errors:
        return Finding("robots.txt", url, WARN, "could not be fetched ("
                       + ", ".join(errors) + "): Scrapy then allows everything")
    return Finding("robots.txt", url, WARN, "not fetched (ROBOTSTXT_OBEY is off?)")


def check_outlets(outlet_ids: list[str] | None = None,
                  overrides: dict[str, Any] | None = None) -> list[OutletCheck]:
    """Check the outlets; ValueError names an unknown outlet."""
    from scrapy.crawler import CrawlerProcess
    from scrapy.utils.project import get_project_settings

    os.environ.setdefault("SCRAPY_SETTINGS_MODULE", "crawler.settings")
    settings = get_project_settings()
    for name, components in LEFT_OUT.items():
        wired = settings.getdict(name)
        wired.update(dict.fromkeys(components))
        settings.set(name, wired, priority="cmdline")
    for name, value in {**CHECK_SETTINGS, **(overrides or {})}.items():
        settings.set(name, value, priority="cmdline")
    registry = Registry.load(settings.getlist("OUTLETS_PATHS"))
    ids = outlet_ids or registry.ids()
    unknown = [i for i in ids if i not in registry]
    if unknown:
        raise ValueError(f"unknown outlet(s): {', '.join(unknown)} "
                         f"(known: {', '.join(registry.ids())})")
    process = CrawlerProcess(settings)
    crawlers = {}
    for outlet_id in ids:
        crawler = process.create_crawler(CheckSpider.for_outlet(registry[outlet_id]))
        crawlers[outlet_id] = crawler
        process.crawl(crawler)
    process.start()
    out = []
    for outlet_id, crawler in crawlers.items():
        outlet = registry[outlet_id]
        spider = crawler.spider
        findings: list[Finding] = list(getattr(spider, "findings", []))
        stats = crawler.stats.get_stats() if crawler.stats else {}
        if stats.get("finish_reason") not in ("finished", None) or spider is None:
            findings.append(Finding("check", outlet.base_url, FAIL,
                                    f"the check ended with {stats.get('finish_reason')!r}"))
        findings.insert(0, robots_finding(outlet.base_url, stats, findings))
        out.append(OutletCheck(outlet_id, outlet.name, findings))
    return out


def render(checks: list[OutletCheck]) -> str:
    """The report as text: per outlet a headline, then one line per finding."""
    lines = []
    for c in checks:
        lines.append(f"{c.outlet}  {c.name}  {'healthy' if c.healthy else 'BROKEN'}")
        for f in c.findings:
            where = f"{f.url}: " if f.url else ""
            lines.append(f"  {f.status:<4}  {f.kind:<10}  {where}{f.detail}")
    broken = [c.outlet for c in checks if not c.healthy]
    lines.append(f"{len(checks)} outlet(s) checked: {len(checks) - len(broken)} healthy"
                 + (f", {len(broken)} broken: {', '.join(broken)}" if broken else ""))
    return "\n".join(lines)


__all__ = ["OK", "WARN", "FAIL", "OutletCheck", "check_outlets", "render"]
