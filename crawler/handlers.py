"""Scrapy's HTTP/1.1 download handler, closed without firing a Deferred twice.

Scrapy's ``HTTP11DownloadHandler.close`` waits for the connection pool's
``closeCachedConnections()`` and, so that a server which never answers the
close cannot hang the crawl, fires *that same* Deferred itself after
``_disconnect_timeout`` (1 s).  When closing takes longer than that (a TLS
tunnel through a proxy, the reactor busy closing sixteen spiders at once), the
pool fires it again once the connections are gone, and Twisted reports an
``AlreadyCalledError`` at CRITICAL level although nothing went wrong.

Here the wait has a Deferred of its own, fired by whichever comes first; on the
timeout, the connections still open are aborted (as scrapy/scrapy#2653 asks)
instead of being left to close in the background.  Wired in ``DOWNLOAD_HANDLERS``
for ``http`` and ``https``; it reads no setting of its own.
"""

from __future__ import annotations

import logging
from typing import Any

from scrapy.core.downloader.handlers.http11 import HTTP11DownloadHandler
from scrapy.utils.defer import maybe_deferred_to_future
from twisted.internet.defer import Deferred

logger = logging.getLogger(__name__)


class HTTPDownloadHandler(HTTP11DownloadHandler):
    async def close(self) -> None:
        from twisted.internet import reactor as installed

        reactor: Any = installed  # the installed reactor; its interface types confuse mypy
        # The pool forgets its connections once asked to close them: keep them to abort.
        protocols = [p for group in getattr(self._pool, "_connections", {}).values()
                     for p in group]
        closing = self._pool.closeCachedConnections()
        done: Deferred[None] = Deferred()

        def finish(_: Any = None) -> None:
            if not done.called:
                done.callback(None)

        def give_up() -> None:
            still_open = [p for p in protocols
                          if getattr(p, "transport", None) is not None
                          and getattr(p.transport, "connected", False)]
            for protocol in still_open:
                protocol.transport.abortConnection()
            if still_open:
                logger.debug("Aborted %d connection(s) that did not close within %s s",
                             len(still_open), self._disconnect_timeout)
            finish()

        closing.addBoth(finish)
        timer = reactor.callLater(self._disconnect_timeout, give_up)
        try:
            await maybe_deferred_to_future(done)
        finally:
            if timer.active():
                timer.cancel()
