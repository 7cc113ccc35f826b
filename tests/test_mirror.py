"""The mirror: a real proxy on 127.0.0.1 serving saved pages under the outlets' URLs."""

from __future__ import annotations

import gzip
import ssl
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from conftest import load_routes, start_mirror
from w3lib.url import safe_url_string

from crawler.mirror.server import MirrorError
from crawler.mirror.server import load_routes as mirror_routes
from crawler.registry import Registry


def opener(proxy: str) -> urllib.request.OpenerDirector:
    context = ssl.create_default_context()
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE  # the mirror's certificate is self-signed
    return urllib.request.build_opener(
        urllib.request.ProxyHandler({"http": proxy, "https": proxy}),
        urllib.request.HTTPSHandler(context=context))


def test_serves_outlet_urls_over_https_through_connect(mirror) -> None:
    outlet = Registry.load()["aawsat-en"]
    with opener(mirror.proxy).open(outlet.sections[0].url, timeout=30) as resp:
        assert resp.status == 200
        assert "text/html" in resp.headers["Content-Type"]
        assert b"<html" in resp.read().lower()


def test_windows_1256_pages_are_served_in_that_charset(mirror) -> None:
    outlet = next(o for o in Registry.load() if o.language == "ar")
    route = next(r for r in load_routes(outlet.id) if r.get("charset") == "windows-1256")
    with opener(mirror.proxy).open(safe_url_string(route["url"]), timeout=30) as resp:
        assert "charset=windows-1256" in resp.headers["Content-Type"]
        body = resp.read()
    with pytest.raises(UnicodeDecodeError):
        body.decode("utf-8")
    assert "dir=\"rtl\"" in body.decode("cp1256")


def test_gzip_content_encoding_when_accepted(mirror) -> None:
    outlet = Registry.load()["aawsat-en"]
    request = urllib.request.Request(outlet.sections[0].url, headers={"Accept-Encoding": "gzip"})
    with opener(mirror.proxy).open(request, timeout=30) as resp:
        assert resp.headers["Content-Encoding"] == "gzip"
        assert b"<html" in gzip.decompress(resp.read()).lower()


def test_unknown_url_is_404_and_http_redirects_to_https(mirror) -> None:
    outlet = Registry.load()["aawsat-en"]
    with pytest.raises(urllib.error.HTTPError) as err:
        opener(mirror.proxy).open(outlet.base_url + "no/such/page-here", timeout=30)
    assert err.value.code == 404
    plain = outlet.sections[0].url.replace("https://", "http://", 1)
    with opener(mirror.proxy).open(plain, timeout=30) as resp:
        assert resp.geturl() == outlet.sections[0].url


def test_routes_file_errors_name_the_route(tmp_path: Path) -> None:
    (tmp_path / "x").mkdir()
    (tmp_path / "x" / "routes.toml").write_text(
        '[[route]]\nurl = "https://example.org/a"\nfile = "missing.html"\n')
    with pytest.raises(MirrorError, match=r"routes.toml: route 0 \(https://example.org/a\).*"
                                          r"missing.html does not exist"):
        mirror_routes(tmp_path)


def test_mirror_command_prints_proxy_url_first(tmp_path: Path) -> None:
    (tmp_path / "x").mkdir()
    (tmp_path / "x" / "page.html").write_text("<html><body>hello</body></html>")
    (tmp_path / "x" / "routes.toml").write_text(
        '[[route]]\nurl = "https://example.org/a"\nfile = "page.html"\n')
    m = start_mirror(tmp_path, tmp_path / "log.jsonl")
    try:
        with opener(m.proxy).open("https://example.org/a", timeout=30) as resp:
            assert b"hello" in resp.read()
        assert m.requested()[0]["url"] == "https://example.org/a"
    finally:
        m.process.terminate()
        m.process.wait(timeout=30)
