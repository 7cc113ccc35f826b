"""Spiders: the generic outlet spider; one spider per registry outlet.

The per-outlet classes are made by :class:`crawler.spiderloader.OutletSpiderLoader`
from the registry, so ``scrapy list`` shows every outlet.
"""
