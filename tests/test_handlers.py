"""The download handler closes without an AlreadyCalledError when connections are slow
to close (the CRITICAL line that `make demo` printed on some runs).

The race is forced: a connection pool whose close takes longer than the handler's
disconnect timeout.  Scrapy's own handler then fires one Deferred twice; ours does not,
and aborts the connection left open.  Each run is a process of its own (a reactor runs
once per process).
"""

from __future__ import annotations

import subprocess
import sys

import pytest
from conftest import ROOT

SCRIPT = r"""
import sys
from twisted.internet import asyncioreactor
asyncioreactor.install()
from twisted.internet import reactor
from twisted.internet.defer import Deferred
from twisted.python import log
from scrapy.utils.defer import deferred_from_coro
from scrapy.utils.test import get_crawler
from scrapy.core.downloader.handlers.http11 import HTTP11DownloadHandler
from crawler.handlers import HTTPDownloadHandler

errors = []
log.addObserver(lambda e: e.get("isError") and errors.append(e))

class Transport:
    connected = True
    aborted = False
    def abortConnection(self):
        self.aborted = True
        self.connected = False

class Protocol:
    transport = Transport()

class SlowPool:
    # closes its connections 1.5 s after being asked: longer than the 1 s timeout
    def __init__(self):
        self._connections = {("https", "example.com", 443): [Protocol()]}
    def closeCachedConnections(self):
        d = Deferred()
        reactor.callLater(1.5, d.callback, None)
        return d

cls = {"scrapy": HTTP11DownloadHandler, "ours": HTTPDownloadHandler}[sys.argv[1]]
handler = cls(get_crawler(settings_dict={"TWISTED_REACTOR":
    "twisted.internet.asyncioreactor.AsyncioSelectorReactor"}))
handler._pool = SlowPool()
protocol = handler._pool._connections[("https", "example.com", 443)][0]
closed = []
d = deferred_from_coro(handler.close())
d.addBoth(lambda r: closed.append(r))
reactor.callLater(2.5, reactor.stop)  # after the slow close has fired too
reactor.run()
import gc; gc.collect()
print("closed" if closed else "open", "aborted" if protocol.transport.aborted else "-",
      "errors", len(errors), "|".join(str(e.get("failure") and e["failure"].type) for e in errors))
"""


def run(which: str) -> str:
    out = subprocess.run([sys.executable, "-c", SCRIPT, which], cwd=ROOT, capture_output=True,
                         text=True, timeout=120)
    assert out.returncode == 0, out.stderr[-2000:]
    return out.stdout.strip()


@pytest.mark.parametrize("which", ["scrapy", "ours"])
def test_a_slow_close_fires_nothing_twice(which: str) -> None:
    result = run(which)
    if which == "scrapy":  # the race is real: Scrapy's handler fires its Deferred twice
        assert "AlreadyCalledError" in result, result
    else:
        assert result.startswith("closed aborted errors 0"), result
