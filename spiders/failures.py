"""Why a request got no usable response: one short reason per failure, for the stats.

The spider's errback (:meth:`spiders.outlet.OutletSpider.fetch_failed`) counts
each failed request under ``fetch/failed/<reason>`` and logs one line naming the
URL; the run's report lists the reasons and raises an alert for them.  Requests
that Scrapy declines on purpose (robots.txt) are not failures and give None.
"""

from __future__ import annotations

from scrapy import exceptions as scrapy_errors
from scrapy.exceptions import DownloadCancelledError, IgnoreRequest
from scrapy.spidermiddlewares.httperror import HttpError
from twisted.internet import defer
from twisted.internet import error as net
from twisted.python.failure import Failure
from twisted.web import _newclient


# Exception type -> reason, first match wins.
def _scrapy(*names: str) -> tuple[type[BaseException], ...]:
    """Scrapy's own download errors (2.14+), where this Scrapy has them."""
    return tuple(getattr(scrapy_errors, n) for n in names if hasattr(scrapy_errors, n))


_REASONS: tuple[tuple[tuple[type[BaseException], ...], str], ...] = (
    ((DownloadCancelledError,), "too_large"),
    (_scrapy("DownloadTimeoutError"), "timeout"),
    (_scrapy("DownloadConnectionRefusedError"), "connection_refused"),
    (_scrapy("CannotResolveHostError"), "dns"),
    (_scrapy("ResponseDataLossError"), "body_cut_short"),
    (_scrapy("DownloadFailedError"), "connection_lost"),
    ((net.TimeoutError, defer.TimeoutError), "timeout"),
    ((net.ConnectionRefusedError,), "connection_refused"),
    ((net.DNSLookupError,), "dns"),
    ((_newclient.ResponseFailed, _newclient.ResponseNeverReceived, net.ConnectionLost,
      net.ConnectionDone), "connection_lost"),
)


def failure_reason(failure: Failure) -> str | None:
    """The reason a request failed, or None when Scrapy declined it on purpose."""
    exc = failure.value
    if isinstance(exc, HttpError):
        # 5xx answers are counted by status already; a 404 is an answer, not a failure.
        return "rate_limited" if exc.response.status == 429 else None
    if isinstance(exc, IgnoreRequest):
        message = str(exc)
        if "robots.txt" in message:
            return None
        if "max redirections" in message:
            return "redirect_loop"
        if "offsite" in message:
            return "redirect_offsite"
        if "DOWNLOAD_MAXSIZE" in message or "decompression" in message:
            return "decompressed_too_large"
        return "ignored"
    for types, reason in _REASONS:
        if isinstance(exc, types):
            return reason
    return "error"
