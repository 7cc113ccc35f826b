"""Hostile and broken content, served by the mirror under an outlet's real URLs.

One crawl of Middle East Eye whose mirror (a test-only copy of its pages) also
serves: a body over DOWNLOAD_MAXSIZE, gzip and deflate bombs, a body cut
mid-stream, a reset connection, charset lies both ways, a redirect loop and a
redirect to another host, 429 and 503 with Retry-After, a slow drip, a PDF and
an image under article URLs, a 5 MB page of 200k nodes, and sitemaps and feeds
that are malformed, 60 MB, or declare external entities and billion laughs.
Each must give a counted reason in the stats and the report, a log line, an
archive of what was received, a crawl that goes on, and exit code 3."""

from __future__ import annotations

import gzip
import json
import shutil
import zlib
from pathlib import Path
from typing import Any

import pytest
from conftest import MIRROR_PAGES, ROOT, load_routes, start_mirror
from warcio.archiveiterator import ArchiveIterator

from crawler.mirror.server import url_key

SITE = "https://www.middleeasteye.net"
MAXSIZE = 6 * 1024 * 1024


def _route(url: str, **fields: Any) -> str:
    def value(v: Any) -> str:
        if isinstance(v, dict):
            return "{ " + ", ".join(f'"{k}" = {value(x)}' for k, x in v.items()) + " }"
        return json.dumps(v)
    return "\n[[route]]\n" + f"url = {json.dumps(url)}\n" + "".join(
        f"{k} = {value(v)}\n" for k, v in fields.items())


def hostile_site(root: Path) -> tuple[Path, Path, dict[str, Any]]:
    """A mirror pages folder (MEE and its hostile twins) and a registry folder whose
    ``mee`` entry adds the hostile feeds and sitemaps."""
    pages = root / "pages"
    shutil.copytree(MIRROR_PAGES / "mee", pages / "mee")
    h = pages / "mee" / "hostile"
    h.mkdir()
    arabic = next(r for r in load_routes("aljazeera-ar") if r.get("article")
                  and r["about_syria"] and not r.get("robots_blocked"))
    arabic_html = (MIRROR_PAGES / "aljazeera-ar" / arabic["file"]).read_bytes()
    english = next(r for r in load_routes("mee") if r.get("article") and r["about_syria"])
    english_html = (MIRROR_PAGES / "mee" / english["file"]).read_bytes()
    (h / "arabic.html").write_bytes(arabic_html)
    (h / "arabic-1256.html").write_bytes(arabic_html.decode("utf-8").encode("cp1256",
                                                                            "replace"))
    (h / "english.html").write_bytes(english_html)
    (h / "big.html").write_bytes(b"<html><body><p>" + b"Syria " * (MAXSIZE // 6 + 50000)
                                 + b"</p></body></html>")
    (h / "bomb.gzip").write_bytes(gzip.compress(b" " * (20 * 1024 * 1024)))
    (h / "bomb.deflate").write_bytes(zlib.compress(b" " * (20 * 1024 * 1024), 9))
    (h / "doc.pdf").write_bytes(b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\n%%EOF\n")
    (h / "pixel.png").write_bytes(bytes.fromhex(
        "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
        "1f15c4890000000d49444154789c6360000002000100e221bc330000000049454e44ae426082"))
    nodes = "".join(f"<div><span>Item {i} on Aleppo</span></div>" for i in range(100000))
    (h / "huge-dom.html").write_text(
        f"<html><head><title>A huge page about Syria</title></head><body><article>"
        f"<h1>A huge page about Syria</h1><p>{'Damascus and Aleppo. ' * 300}</p>{nodes}"
        f"</article></body></html>", encoding="utf-8")
    articles = {
        "too-large": {"file": "hostile/big.html", "headers": {"Content-Encoding": "identity"}},
        "gzip-bomb": {"file": "hostile/bomb.gzip", "content_type": "text/html",
                      "headers": {"Content-Encoding": "gzip"}},
        "deflate-bomb": {"file": "hostile/bomb.deflate", "content_type": "text/html",
                         "headers": {"Content-Encoding": "deflate"}},
        "cut-short": {"file": "hostile/english.html", "cut_at": 900},
        "reset": {"reset": True, "status": 200},
        "labelled-utf8-sent-1256": {"file": "hostile/arabic-1256.html",
                                    "content_type": "text/html; charset=utf-8"},
        "labelled-1256-sent-utf8": {"file": "hostile/arabic.html",
                                    "content_type": "text/html; charset=windows-1256"},
        # A loop longer than REDIRECT_MAX_TIMES (20): every hop a new URL.
        **{f"loop-{n}": {"redirect": f"{SITE}/news/hostile-loop-{(n + 1) % 25}"}
           for n in range(25)},
        "elsewhere": {"redirect": "https://collector.invalid/take"},
        "rate-limited": {"file": "hostile/english.html", "status": 429,
                         "headers": {"Retry-After": "1"}},
        "come-back-tomorrow": {"file": "hostile/english.html", "status": 503,
                               "headers": {"Retry-After": "86400"}},
        "slow-drip": {"file": "hostile/english.html", "drip": 0.2},
        "a-pdf": {"file": "hostile/doc.pdf", "content_type": "application/pdf"},
        "an-image": {"file": "hostile/pixel.png", "content_type": "image/png"},
        "huge-dom": {"file": "hostile/huge-dom.html"},
    }
    entity = '<!DOCTYPE urlset [<!ENTITY e SYSTEM "file:///etc/passwd">]>'
    laughs = ('<!DOCTYPE lolz [<!ENTITY lol "lol">' + "".join(
        f'<!ENTITY lol{i} "{("&lol" + str(i - 1) + ";") * 10 if i > 1 else "&lol;" * 10}">'
        for i in range(1, 10)) + "]>")
    loc = "".join(f"<url><loc>{SITE}/news/hostile-{slug}</loc></url>" for slug in articles
                  if not slug.startswith("loop-") or slug == "loop-0")
    sitemaps = {
        "articles.xml": f'<?xml version="1.0"?><urlset xmlns="http://www.sitemaps.org/'
                        f'schemas/sitemap/0.9">{loc}</urlset>',
        "malformed.xml": "this is { not, a sitemap ]",
        "xxe.xml": f'<?xml version="1.0"?>{entity}<urlset><url><loc>{SITE}/news/x-&e;</loc>'
                   f"</url></urlset>",
        "laughs.xml": f'<?xml version="1.0"?>{laughs}<urlset><url><loc>{SITE}/news/'
                      f"lol-&lol9;</loc></url></urlset>",
    }
    for name, text in sitemaps.items():
        (h / name).write_text(text, encoding="utf-8")
    one = f"<url><loc>{SITE}/news/hostile-sixty-megabytes</loc></url>"
    with (h / "sixty.xml").open("w", encoding="utf-8") as fh:
        fh.write('<?xml version="1.0"?><urlset>')
        fh.write(one * (60 * 1024 * 1024 // len(one) + 1))
        fh.write("</urlset>")
    feeds = {
        "xxe.rss": f'<?xml version="1.0"?>{entity.replace("urlset", "rss")}<rss><channel>'
                   f"<item><title>Syria &e;</title><link>{SITE}/news/x-feed</link></item>"
                   "</channel></rss>",
        "laughs.rss": f'<?xml version="1.0"?>{laughs.replace("lolz", "rss")}<rss><channel>'
                      f"<item><title>Syria &lol9;</title><link>{SITE}/news/y-feed</link>"
                      "</item></channel></rss>",
    }
    for name, text in feeds.items():
        (h / name).write_text(text, encoding="utf-8")
    routes = "".join(_route(f"{SITE}/news/hostile-{slug}", **fields)
                     for slug, fields in articles.items())
    routes += "".join(_route(f"{SITE}/hostile/{name}", file=f"hostile/{name}",
                             content_type="application/xml") for name in [*sitemaps, *feeds])
    routes += _route(f"{SITE}/hostile/sixty.xml.gz", file="hostile/sixty.xml", gzip=True)
    with (pages / "mee" / "routes.toml").open("a", encoding="utf-8") as fh:
        fh.write(routes)
    registry = root / "outlets"
    registry.mkdir()
    toml = (ROOT / "crawler" / "outlets" / "mee.toml").read_text(encoding="utf-8")
    toml += "".join(f'\n[[sitemaps]]\nurl = "{SITE}/hostile/{n}"\n'
                    for n in [*sitemaps, "sixty.xml.gz"])
    toml += "".join(f'\n[[feeds]]\nurl = "{SITE}/hostile/{n}"\nsyria = true\n' for n in feeds)
    (registry / "mee.toml").write_text(toml, encoding="utf-8")
    return pages, registry, {"arabic": arabic}


def warc_records(data: Path) -> dict[str, list[Any]]:
    by_url: dict[str, list[Any]] = {}
    for warc in sorted((data / "warc").glob("*.warc.gz")):
        with warc.open("rb") as fh:
            for record in ArchiveIterator(fh):
                if record.rec_type in ("response", "revisit"):
                    url = record.rec_headers.get_header("WARC-Target-URI")
                    by_url.setdefault(url_key(url), []).append(
                        (record.rec_headers, record.http_headers.get_statuscode()
                         if record.http_headers else None, record.raw_stream.read()))
    return by_url


@pytest.mark.timeout(600)
def test_hostile_and_broken_content(tmp_path: Path) -> None:
    pages, registry, known = hostile_site(tmp_path)
    m = start_mirror(pages, tmp_path / "requests.jsonl")
    try:
        m_env = m.env(SYRIA_ARCHIVE_OUTLETS=str(registry))
        data = tmp_path / "data"
        import subprocess
        import sys
        proc = subprocess.run(
            [sys.executable, "-m", "crawler.cli", "crawl", "mee", "--data", str(data),
             "-s", "DOWNLOAD_DELAY=0", "-s", "AUTOTHROTTLE_ENABLED=False",
             "-s", f"DOWNLOAD_MAXSIZE={MAXSIZE}", "-s", "DOWNLOAD_TIMEOUT=3",
             "-s", "RETRY_TIMES=1", "-s", "EXTRACT_TIMEOUT=4", "-s", "RETRY_AFTER_MAX=30"],
            cwd=ROOT, env=m_env, capture_output=True, text=True, timeout=500)
    finally:
        m.process.terminate()
        m.process.wait(timeout=30)
    assert proc.returncode == 3, proc.stderr[-3000:]
    report = json.loads(next((data / "reports").glob("crawl-*.json")).read_text())
    row = report["outlets"]["mee"]
    assert row["finish_reason"] == "finished"
    fetch, log = row["fetch"], next((data / "logs").glob("*.log")).read_text()
    expected = {"too_large": "too-large", "decompressed_too_large": "gzip-bomb",
                "connection_lost": "cut-short",
                "redirect_loop": "loop-0", "redirect_offsite": "elsewhere",
                "rate_limited": "rate-limited",
                "retry_after_too_long": "come-back-tomorrow", "timeout": "slow-drip"}
    for reason, slug in expected.items():
        assert fetch.get(f"failed/{reason}"), (reason, fetch)
        assert f"hostile-{slug}" in log, slug  # a log line names the URL
    assert fetch["failed/decompressed_too_large"] == 2  # gzip and deflate
    # The mirror drops these TLS connections with an abort, which throws away the bytes
    # not yet sent: the client sees a lost connection and nothing arrived to archive. A
    # server that sends part of a body and closes: the cut-mid-stream test below.
    assert fetch["failed/connection_lost"] == 2 and "hostile-reset" in log
    assert row["offsite"] == 1  # Scrapy's own count of the redirect elsewhere
    assert fetch["retry_after/waits"] >= 1 and fetch["retry_after/seconds"] >= 1
    # The PDF and the image: no HTML, archived only.
    assert row["dropped"].get("not_html", 0) + row["dropped"].get("binary", 0) == 2
    assert row["extract"]["failed/timeout"] == 1  # 200k nodes over EXTRACT_TIMEOUT
    assert row["discovery"]["sitemap/malformed"] == 4  # malformed, 60 MB, XXE, laughs
    assert row["discovery"]["feed/malformed"] == 2  # XXE, laughs
    alerts = " ".join(report["alerts"])
    assert row["extract"]["charset_mislabelled"] == 2  # both lies, counted and read right
    assert "hostile-labelled-utf8-sent-1256" in log and "labelled utf-8, read as cp1256" in log
    for words in ("fetch failed", "served no HTML", "could not be extracted", "malformed",
                  "2 page(s) with a wrong charset label"):
        assert words in alerts, (words, alerts)
    # The crawl went on: the outlet's own articles are there, and both charset lies
    # were read right.
    items = [json.loads(line) for f in (data / "items").glob("*.jsonl")
             for line in f.read_text(encoding="utf-8").splitlines()]
    titles = {url_key(i["url"]): i["title"] for i in items}
    for slug in ("labelled-utf8-sent-1256", "labelled-1256-sent-utf8"):
        assert titles[url_key(f"{SITE}/news/hostile-{slug}")] == known["arabic"]["title"]
    assert len(items) >= 6
    # What was received is archived as it came.
    records = warc_records(data)
    bomb = records[url_key(f"{SITE}/news/hostile-gzip-bomb")][0]
    assert bomb[2] == (pages / "mee" / "hostile" / "bomb.gzip").read_bytes()
    assert [r[1] for r in records[url_key(f"{SITE}/news/hostile-rate-limited")]] == ["429"] * 2
    pdf = records[url_key(f"{SITE}/news/hostile-a-pdf")][0][2]  # as sent: gzip-encoded
    assert gzip.decompress(pdf).startswith(b"%PDF")
    assert records[url_key(f"{SITE}/news/hostile-elsewhere")][0][1] == "301"
    # Entities were never expanded, anywhere.
    everything = b"".join(p.read_bytes() for p in data.rglob("*") if p.is_file()
                          and not p.name.endswith(".gz"))
    everything += b"".join(gzip.decompress(p.read_bytes()) for p in data.rglob("*.warc.gz"))
    assert b"root:x:0:0" not in everything and b"lollollollollol" not in everything
    assert "Traceback" not in proc.stderr


def test_a_body_cut_short_is_archived_as_received_and_marked(tmp_path: Path) -> None:
    """When the connection closes cleanly before the whole body came (Scrapy's data
    loss flag), what came is archived, marked WARC-Truncated, and not extracted."""
    from scrapy.http import HtmlResponse, Request
    from scrapy.utils.test import get_crawler

    from archive.recorder import WarcRecorder

    recorder = WarcRecorder.from_crawler(get_crawler(settings_dict={
        "DATA_DIR": str(tmp_path), "WARC_REVISITS": False}))
    request = Request(f"{SITE}/news/cut")
    response = HtmlResponse(request.url, body=b"<html><body><p>Half of", request=request,
                            flags=["dataloss"])
    recorder.process_response(request, response)
    recorder.writer.close()
    with next((tmp_path / "warc").glob("*.warc.gz")).open("rb") as fh:
        record = next(r for r in ArchiveIterator(fh) if r.rec_type == "response")
        assert record.rec_headers.get_header("WARC-Truncated") == "disconnect"
        assert record.content_stream().read() == b"<html><body><p>Half of"


def _cut_server(body: bytes, announced: int) -> tuple[Any, int]:
    """A server on 127.0.0.1 that announces ``announced`` bytes, sends ``body`` and
    closes: a body cut mid-stream, over a real socket."""
    import socket
    import threading

    listener = socket.create_server(("127.0.0.1", 0))

    def serve() -> None:
        while True:
            try:
                conn, _ = listener.accept()
            except OSError:
                return
            with conn:
                conn.recv(65536)
                conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: text/html; charset=utf-8\r\n"
                             + f"Content-Length: {announced}\r\n\r\n".encode() + body)
                conn.shutdown(socket.SHUT_WR)

    threading.Thread(target=serve, daemon=True).start()
    return listener, listener.getsockname()[1]


def test_a_body_cut_mid_stream_by_a_server_is_archived_as_it_came(tmp_path: Path) -> None:
    """End to end through Scrapy's downloader and the WARC recorder: the server closes
    after 900 of 5,000 announced bytes; the 900 are archived, marked WARC-Truncated."""
    import subprocess
    import sys

    sent = (MIRROR_PAGES / "mee" / "countries-syria.html").read_bytes()[:900]
    listener, port = _cut_server(sent, 5000)
    spider = tmp_path / "cut.py"
    spider.write_text(
        "import scrapy\n\n\nclass Cut(scrapy.Spider):\n    name = 'cut'\n"
        f"    start_urls = ['http://127.0.0.1:{port}/news/cut']\n\n"
        "    def parse(self, response):\n"
        "        self.logger.info('FLAGS %s %d', response.flags, len(response.body))\n")
    try:
        proc = subprocess.run(
            [sys.executable, "-m", "scrapy", "runspider", str(spider),
             "-s", f"DATA_DIR={tmp_path / 'data'}", "-s", "ROBOTSTXT_OBEY=False",
             "-s", "RETRY_ENABLED=False", "-s", "WARC_REVISITS=False"],
            cwd=ROOT, capture_output=True, text=True, timeout=120)
    finally:
        listener.close()
    assert "FLAGS ['dataloss'] 900" in proc.stderr, proc.stderr[-3000:]
    records = warc_records(tmp_path / "data")
    assert list(records) == [url_key(f"http://127.0.0.1:{port}/news/cut")], proc.stderr[-3000:]
    assert [(head.get_header("WARC-Type"), head.get_header("WARC-Truncated"), body)
            for head, _, body in records.popitem()[1]] == [("response", "disconnect", sent)]
