"""One canonical URL per article.

Built on w3lib's ``canonicalize_url`` (percent-encoding, query order,
fragments) with what news sites add on top: tracking parameters (``utm_*``,
``fbclid``, ``gclid``...), AMP and print variants (``/amp/`` paths, ``.amp``
suffixes, ``?amp``, ``?output=amp``), mobile hosts (``m.``, ``mobile.``,
``amp.``), ``http`` for ``https``; :func:`url_key` also folds trailing slashes.  A page's declared
``rel=canonical`` (or ``og:url``) is preferred unless it is clearly wrong
(another site's home page, a relative fragment).
"""

from __future__ import annotations

import re
from urllib.parse import parse_qsl, urlencode, urljoin, urlsplit, urlunsplit

from w3lib.url import canonicalize_url

TRACKING_PARAM = re.compile(
    r"^(?:utm_[a-z_]+|fbclid|gclid|dclid|gbraid|wbraid|msclkid|yclid|igshid|mc_cid|mc_eid"
    r"|_ga|_gl|ocid|cmpid|ito|xtor|at_[a-z_]+|ref_src|ref|share|src|via|amp|output|outputtype"
    r"|__twitter_impression|s_cid|ncid|rss|from|traffic_source)$",
    re.I,
)
MOBILE_HOST = re.compile(r"^(?:m|mobile|amp|www\.m)\.", re.I)
AMP_PATH = re.compile(r"(?:/amp/?$|^/amp(?=/)|/amp(?=/)|\.amp$|/print/?$|^/print(?=/))", re.I)


def _clean(url: str) -> str:
    parts = urlsplit(url.strip())
    host = (parts.hostname or "").lower().rstrip(".")
    host = MOBILE_HOST.sub("", host) if host.count(".") >= 2 else host
    netloc = host if parts.port in (None, 80, 443) else f"{host}:{parts.port}"
    path = AMP_PATH.sub("", parts.path) or "/"
    query = urlencode([(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True)
                       if not TRACKING_PARAM.match(k)])
    return canonicalize_url(urlunsplit(("https", netloc, path, query, "")))


def _usable(declared: str, page_url: str) -> bool:
    target = urlsplit(declared)
    if target.scheme not in ("http", "https") or not target.hostname:
        return False
    page = urlsplit(page_url)
    # A canonical pointing at a home page from an article is a template error.
    return not (target.path in ("", "/") and page.path not in ("", "/"))


def url_key(canonical: str) -> str:
    """The lookup key of a canonical URL: trailing slashes do not make another article
    (the canonical URL itself keeps the form the outlet uses)."""
    parts = urlsplit(canonical)
    path = parts.path.rstrip("/") or "/"
    return urlunsplit((parts.scheme, parts.netloc, path, parts.query, ""))


def canonical_url(url: str, declared: str | None = None) -> str:
    """The canonical form of an article URL, using the page's declared canonical if sound."""
    if declared:
        absolute = urljoin(url, declared.strip())
        if _usable(absolute, url):
            return _clean(absolute)
    return _clean(url)
