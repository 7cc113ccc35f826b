"""A DNS resolver for the benchmark: every host name is 127.0.0.1.

Set as Scrapy's own ``DNS_RESOLVER`` setting, it sends the crawl of the outlets' real
URLs to the bench's nginx on loopback: the requests, and the URLs archived, stay the
outlets' own (``https://www.aljazeera.com/...``), TLS and ``Host`` included, and no
request can leave the machine.  A proxy would do the same for plain HTTP only: nginx
speaks no ``CONNECT``.
"""

from __future__ import annotations

from typing import Any

from twisted.internet import defer
from twisted.internet.interfaces import IResolverSimple
from zope.interface import implementer

LOOPBACK = "127.0.0.1"


@implementer(IResolverSimple)
class LoopbackResolver:
    def __init__(self, reactor: Any) -> None:
        self.reactor = reactor

    @classmethod
    def from_crawler(cls, crawler: Any, reactor: Any) -> LoopbackResolver:
        return cls(reactor)

    def install_on_reactor(self) -> None:
        self.reactor.installResolver(self)

    def getHostByName(self, name: str, timeout: Any = ()) -> defer.Deferred[str]:  # noqa: N802
        return defer.succeed(LOOPBACK)
