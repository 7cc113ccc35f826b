"""A spider loader that adds one spider per registry outlet.

Settings read: ``SPIDER_MODULES`` (through Scrapy's own loader, for any
hand-written spider), ``OUTLETS_PATHS`` (extra registry folders or files).
"""

from __future__ import annotations

import builtins
from typing import Self

from scrapy import Request, Spider
from scrapy.settings import BaseSettings
from scrapy.spiderloader import SpiderLoader

from crawler.registry import Registry
from spiders.outlet import OutletSpider


class OutletSpiderLoader:
    """Scrapy's SpiderLoader, plus a spider class per outlet of the registry."""

    def __init__(self, settings: BaseSettings) -> None:
        self._modules = SpiderLoader.from_settings(settings)
        self.registry = Registry.load(settings.getlist("OUTLETS_PATHS"))
        self._outlets = {o.id: OutletSpider.for_outlet(o) for o in self.registry}
        clash = set(self._outlets) & set(self._modules.list())
        if clash:
            raise ValueError(f"spider names used both by outlets and by spider modules: "
                             f"{', '.join(sorted(clash))}")

    @classmethod
    def from_settings(cls, settings: BaseSettings) -> Self:
        return cls(settings)

    def load(self, spider_name: str) -> type[Spider]:
        if spider_name in self._outlets:
            return self._outlets[spider_name]
        return self._modules.load(spider_name)

    def list(self) -> builtins.list[str]:
        return sorted([*self._outlets, *self._modules.list()])

    def find_by_request(self, request: Request) -> builtins.list[str]:
        found = [name for name, cls in self._outlets.items() if cls.handles_request(request)]
        return found + self._modules.find_by_request(request)
