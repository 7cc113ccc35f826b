"""The offline mirror: saved outlet pages served on 127.0.0.1 as an HTTP(S) proxy.

A crawler that sets ``http_proxy``/``https_proxy`` to the mirror's address
reaches the outlets' real URLs, so everything it archives carries the
outlets' own URLs.  Plain ``http://`` requests arrive in proxy form (absolute
URI); ``https://`` ones arrive through ``CONNECT``, after which the mirror
speaks TLS with a self-signed certificate made at start-up and serves the
tunnelled requests by their ``Host`` header.  HTTP itself is Twisted's
(``twisted.web``), with gzip content-encoding when the client accepts it.

Pages live in ``<pages>/<outlet>/routes.toml`` (see the README): each route
maps a URL to a file, a redirect or a status; a route may ask for a charset
(the file is transcoded when served) or a gzip-compressed body.

For the fault-injection tests, a route can also ask for what a hostile or
broken server does (none of the shipped pages does): ``headers`` (extra
response headers, e.g. ``Retry-After`` or a ``Content-Encoding`` the file
already has: the file is then sent byte for byte), ``cut_at`` (announce the
whole length, send that many bytes, close), ``reset`` (abort the connection
before answering), ``drip`` (send the body one byte every ``drip`` seconds).
"""

from __future__ import annotations

import datetime as dt
import gzip
import json
import logging
import mimetypes
import sys
import tomllib
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import IO, Any
from urllib.parse import urlsplit

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from twisted.internet import protocol, ssl
from twisted.internet.interfaces import IAddress
from twisted.web import http, resource, server
from w3lib.url import canonicalize_url

logger = logging.getLogger(__name__)

CONTENT_TYPES = {
    ".html": "text/html", ".htm": "text/html", ".xml": "application/xml",
    ".rss": "application/rss+xml", ".atom": "application/atom+xml", ".txt": "text/plain",
    ".json": "application/json", ".gz": "application/x-gzip",
}
TEXT_TYPES = ("text/", "application/xml", "application/rss+xml", "application/atom+xml",
              "application/json")
MAX_REQUEST_HEAD = 64 * 1024


class MirrorError(ValueError):
    """A routes file is malformed; the message names the file and route."""


@dataclass(frozen=True)
class Route:
    url: str
    file: Path | None = None
    content_type: str | None = None
    charset: str | None = None
    gzip: bool = False
    status: int = 200
    redirect: str | None = None
    meta: dict[str, Any] | None = None
    extra_headers: dict[str, str] | None = None
    cut_at: int | None = None
    reset: bool = False
    drip: float | None = None

    @property
    def raw(self) -> bool:
        """Sent exactly as given: never gzip-encoded again by the mirror."""
        return bool(self.cut_at is not None or self.reset or self.drip
                    or "Content-Encoding" in (self.extra_headers or {}))

    def body(self) -> bytes:
        if self.file is None:
            return b""
        data = self.file.read_bytes()
        if self.file.suffix == ".gz" and not self.gzip:
            data = gzip.decompress(data)
        if self.charset and self.charset.lower() not in ("utf-8", "utf8"):
            # as a site in a legacy charset does: what it cannot encode becomes &#NNNN;
            data = data.decode("utf-8").encode(self.charset, errors="xmlcharrefreplace")
        if self.gzip:
            data = gzip.compress(data, mtime=0)
        return data

    def headers(self) -> dict[str, str]:
        return {**self._headers(), **(self.extra_headers or {})}

    def _headers(self) -> dict[str, str]:
        if self.redirect:
            return {"Location": self.redirect}
        ctype = self.content_type
        if ctype is None and self.file is not None:
            name = self.file.name.removesuffix(".gz") if not self.gzip else self.file.name
            ctype = CONTENT_TYPES.get(Path(name).suffix) or mimetypes.guess_type(name)[0]
        ctype = ctype or "application/octet-stream"
        if self.gzip:
            return {"Content-Type": "application/x-gzip"}
        if ctype.startswith(TEXT_TYPES) and "charset=" not in ctype:
            ctype += f"; charset={self.charset or 'utf-8'}"
        return {"Content-Type": ctype}


def url_key(url: str) -> str:
    """The lookup form of a URL: percent-encoded, query sorted, no fragment."""
    return canonicalize_url(url.strip(), keep_fragments=False)


_ROUTE_KEYS = {"url", "file", "shared", "content_type", "charset", "gzip", "status",
               "redirect", "headers", "cut_at", "reset", "drip"}


def default_shared() -> Path | None:
    """``../shared`` beside a source checkout, where the real third-party test pages
    live; None for an installed package or when it is missing."""
    shared = Path(__file__).resolve().parents[3] / "shared"
    return shared if shared.is_dir() else None


def load_routes(pages: Path, shared: Path | None = None) -> dict[str, Route]:
    """Every route of every outlet folder below ``pages``.

    A route with ``shared = "data/..."`` serves a real page from the shared test data
    (gunzipped when it ends in ``.gz``); it is left out when ``shared`` is None.
    """
    routes: dict[str, Route] = {}
    for routes_file in sorted(pages.glob("*/routes.toml")):
        try:
            data = tomllib.loads(routes_file.read_text(encoding="utf-8"))
        except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
            raise MirrorError(f"{routes_file}: not valid TOML: {exc}") from None
        for i, raw in enumerate(data.get("route", [])):
            where = f"{routes_file}: route {i} ({raw.get('url', 'no url')})"
            if "url" not in raw:
                raise MirrorError(f"{where}: field 'url' is required")
            if "shared" in raw:
                if shared is None:
                    continue
                if not (shared / raw["shared"]).is_file():
                    logger.warning("%s: %s is not in the shared data; route left out", where,
                                   raw["shared"])
                    continue
                raw = {**raw, "file": str(shared / raw["shared"])}
            if ("file" in raw) == ("redirect" in raw) and raw.get("status", 200) == 200 \
                    and not raw.get("reset"):
                raise MirrorError(f"{where}: give exactly one of 'file' or 'redirect'")
            file = routes_file.parent / raw["file"] if "file" in raw else None
            if file is not None and not file.is_file():
                raise MirrorError(f"{where}: field 'file': {file} does not exist")
            route = Route(
                url=raw["url"], file=file, content_type=raw.get("content_type"),
                charset=raw.get("charset"), gzip=bool(raw.get("gzip", False)),
                status=int(raw.get("status", 301 if "redirect" in raw else 200)),
                redirect=raw.get("redirect"),
                meta={k: v for k, v in raw.items() if k not in _ROUTE_KEYS},
                extra_headers={str(k): str(v) for k, v in raw.get("headers", {}).items()},
                cut_at=raw.get("cut_at"), reset=bool(raw.get("reset", False)),
                drip=raw.get("drip"),
            )
            key = url_key(route.url)
            if key in routes:
                raise MirrorError(f"{where}: URL already routed by another entry")
            routes[key] = route
    return routes


class MirrorResource(resource.Resource):
    """Answers every request from the routes; logs each request as a JSON line."""

    isLeaf = True

    def __init__(self, routes: dict[str, Route], log: IO[str] | None = None) -> None:
        super().__init__()
        self.routes = routes
        self.log = log

    def _url(self, request: server.Request) -> str:
        uri = request.uri.decode("latin-1")
        if uri.startswith(("http://", "https://")):
            return uri
        host = (request.getHeader("host") or "").split(":")[0]
        scheme = "https" if request.isSecure() else "http"
        return f"{scheme}://{host}{uri}"

    def route(self, request: server.Request) -> Route | None:
        return self.routes.get(url_key(self._url(request)))

    def render(self, request: server.Request) -> Any:
        url = self._url(request)
        route = self.routes.get(url_key(url))
        if route is None and url.startswith("http://"):
            secure = "https://" + url[len("http://"):]
            if url_key(secure) in self.routes:
                route = Route(url=url, redirect=secure, status=301)
        if route is None:
            status, headers, body = 404, {"Content-Type": "text/plain"}, b"not in the mirror\n"
        else:
            status, headers, body = route.status, route.headers(), route.body()
        request.setResponseCode(status)
        for name, value in headers.items():
            request.setHeader(name, value)
        request.setHeader("Server", "syria-archive-mirror")
        if self.log is not None:
            self.log.write(json.dumps({
                "url": url, "status": status, "method": request.method.decode("latin-1"),
                "user_agent": (request.getHeader("user-agent") or ""),
            }) + "\n")
            self.log.flush()
        if route is not None and route.raw and request.method != b"HEAD":
            return self._misbehave(request, route, body)
        return body if request.method != b"HEAD" else b""

    def _misbehave(self, request: server.Request, route: Route, body: bytes) -> Any:
        """What a broken or hostile server does, as the route asks (tests only)."""
        from twisted.internet import reactor as _reactor

        reactor: Any = _reactor
        transport: Any = request.channel.transport
        if route.reset:
            transport.abortConnection()
            return server.NOT_DONE_YET
        request.setHeader("Content-Length", str(len(body)))
        if route.cut_at is not None:
            # Short of its Content-Length, the connection is dropped.
            request.write(body[:route.cut_at])
            reactor.callLater(0, transport.abortConnection)
            return server.NOT_DONE_YET
        if route.drip:
            def drip(rest: bytes) -> None:
                if request.finished or request._disconnected:
                    return
                if not rest:
                    request.finish()
                    return
                request.write(rest[:1])
                reactor.callLater(route.drip, drip, rest[1:])

            drip(body)
            return server.NOT_DONE_YET
        return body


def self_signed_tls(hosts: list[str] | None = None) -> ssl.CertificateOptions:
    """TLS options with a fresh self-signed certificate naming the mirrored hosts
    (so clients that check the name, as Scrapy does in its logs, find it)."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "syria-archive mirror")])
    now = dt.datetime.now(dt.UTC)
    builder = (x509.CertificateBuilder().subject_name(name).issuer_name(name)
               .public_key(key.public_key()).serial_number(x509.random_serial_number())
               .not_valid_before(now - dt.timedelta(days=1))
               .not_valid_after(now + dt.timedelta(days=365)))
    if hosts:
        builder = builder.add_extension(
            x509.SubjectAlternativeName([x509.DNSName(h) for h in sorted(set(hosts))]),
            critical=False)
    cert = builder.sign(key, hashes.SHA256())
    pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                            serialization.NoEncryption())
    pem += cert.public_bytes(serialization.Encoding.PEM)
    return ssl.PrivateCertificate.loadPEM(pem).options()


class ProxyEntry(protocol.Protocol):
    """The first request head of a connection decides: ``CONNECT`` opens a TLS
    tunnel to the mirror itself; anything else is plain HTTP.  Either way the
    connection is then handed to Twisted's HTTP channel."""

    transport: Any  # a TCP transport: ITransport and ITLSTransport, which mypy cannot join

    def __init__(self, site: server.Site, tls: ssl.CertificateOptions,
                 addr: IAddress | None) -> None:
        self.site, self.tls, self.addr = site, tls, addr
        self.buffer = b""

    def dataReceived(self, data: bytes) -> None:
        self.buffer += data
        end = self.buffer.find(b"\r\n\r\n")
        if end < 0:
            if len(self.buffer) > MAX_REQUEST_HEAD:
                self.transport.loseConnection()
            return
        if self.buffer[:8].upper() == b"CONNECT ":
            self.transport.write(b"HTTP/1.1 200 Connection established\r\n\r\n")
            self._hand_over(b"")
            self.transport.startTLS(self.tls)
        else:
            self._hand_over(self.buffer)

    def _hand_over(self, data: bytes) -> None:
        channel = self.site.buildProtocol(self.addr)
        self.transport.protocol = channel
        channel.makeConnection(self.transport)
        if data:
            channel.dataReceived(data)


class ProxyFactory(protocol.Factory):
    def __init__(self, site: server.Site, hosts: list[str] | None = None) -> None:
        self.site = site
        self.tls = self_signed_tls(hosts)

    def buildProtocol(self, addr: IAddress | None) -> ProxyEntry:
        return ProxyEntry(self.site, self.tls, addr)


def default_pages() -> Path:
    """The saved outlet pages shipped with the package (``crawler/mirror/pages``)."""
    pages = resources.files("crawler.mirror") / "pages"
    if not isinstance(pages, Path):  # a zipped install (an egg): not servable as files
        raise MirrorError(f"the saved pages are inside an archive ({pages}); give --pages DIR")
    return pages


class _GzipUnlessRaw(server.GzipEncoderFactory):
    """gzip content-encoding when the client accepts it, except for routes that must
    go out byte for byte."""

    def __init__(self, mirror: MirrorResource) -> None:
        super().__init__()
        self.mirror = mirror

    def encoderForRequest(self, request: Any) -> Any:
        route = self.mirror.route(request)
        if route is not None and route.raw:
            return None
        return super().encoderForRequest(request)


def make_site(routes: dict[str, Route], log: IO[str] | None = None) -> server.Site:
    mirror = MirrorResource(routes, log)
    wrapped = resource.EncodingResourceWrapper(mirror, [_GzipUnlessRaw(mirror)])
    site = server.Site(wrapped)
    site.displayTracebacks = False
    site.noisy = False
    return site


def serve(pages: Path, port: int = 0, host: str = "127.0.0.1",
          log_path: Path | None = None, shared: Path | None = None) -> None:
    """Serve until stopped; print the proxy URL as the first line of output."""
    from twisted.internet import reactor as _reactor

    reactor: Any = _reactor  # the installed reactor provides far more than its type says

    routes = load_routes(pages, shared)
    log = log_path.open("a", encoding="utf-8") if log_path else None
    site = make_site(routes, log)
    http.HTTPFactory.noisy = False
    hosts = [urlsplit(r.url).hostname or "" for r in routes.values()]
    listening = reactor.listenTCP(port, ProxyFactory(site, [h for h in hosts if h]),
                                  interface=host)
    address = listening.getHost()
    print(f"http://{address.host}:{address.port}", flush=True)
    print(f"# serving {len(routes)} saved URLs from {pages}; "
          f"set http_proxy and https_proxy to the URL above; Ctrl-C stops",
          file=sys.stderr, flush=True)
    reactor.run()
    if log:
        log.close()
