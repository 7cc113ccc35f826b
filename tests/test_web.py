"""``syria-archive serve`` over HTTP on 127.0.0.1: search (Arabic and English, facets,
exports), article pages with their citation, replay by pywb, WACZ packages, charts, bad
input, its options, new WARCs while it runs, a killed serve, and an archive on S3."""

from __future__ import annotations

import csv
import hashlib
import html
import io
import json
import os
import re
import shutil
import signal
import socket
import sqlite3
import subprocess
import time
import urllib.parse
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from conftest import CrawlResult, run_cli
from warcio.archiveiterator import ArchiveIterator
from webserve import Served, fetch, start_serve

from archive.catalog import Catalog
from archive.s3 import CATALOG_KEY, cdxj_key, warc_key
from archive.text import fold
from archive.wacz import validate_wacz
from crawler.web.replay import IndexSync, replay_lines
from crawler.web.search import COUNT_SQL, SEARCH_SQL, Query, facet_sql, fts_match


@pytest.fixture(scope="module")
def served(full_crawl: CrawlResult, tmp_path_factory: pytest.TempPathFactory
           ) -> Iterator[Served]:
    s = start_serve("--data", str(full_crawl.data),
                    stderr=tmp_path_factory.mktemp("serve") / "stderr.txt")
    yield s
    s.stop()


def page(served: Served, path: str) -> str:
    status, _headers, body = served.get(path)
    assert status == 200, (path, status, body[:500])
    return body.decode("utf-8")


def listed_ids(text: str) -> list[int]:
    return [int(i) for i in re.findall(r'class="syria-title" href="/article/(\d+)"', text)]


def catalog_rows(data: Path) -> dict[int, dict[str, Any]]:
    db = sqlite3.connect(data / "state" / "catalog.sqlite3")
    db.row_factory = sqlite3.Row
    rows = {r["id"]: dict(r) for r in db.execute("SELECT * FROM articles")}
    db.close()
    return rows


def mentions(item: dict[str, Any], word: str) -> bool:
    return fold(word) in fold(f"{item['title']} {item['text']}")


# -- the search SQL, without a server ------------------------------------------------


def test_search_sql_folds_like_the_catalog_and_filters(tmp_path: Path) -> None:
    catalog = Catalog(tmp_path / "catalog.sqlite3")
    base = {"outlet": "x-ar", "language": "ar", "published": "2026-11-20T10:00:00+03:00"}
    catalog.add({**base, "url": "https://a.test/1", "title": "قصف على ريف إدلب",
                 "text": "وصلت المساعدات وبدمشق ازدحام"})
    catalog.add({**base, "url": "https://a.test/2", "title": "مباراة في حلبة المصارعة",
                 "text": "جمهور", "published": "2026-10-02T08:00:00+03:00"})
    catalog.add({**base, "url": "https://a.test/3", "title": "Refugees return to Aleppo",
                 "text": "Syrian families", "language": "en", "outlet": "x-en",
                 "dedup": "near", "duplicate_of": "https://a.test/9"})
    catalog.close()
    db = sqlite3.connect(tmp_path / "catalog.sqlite3")
    db.row_factory = sqlite3.Row
    db.create_function("fts_match", 1, fts_match, deterministic=True)

    def urls(**filters: str) -> list[str]:
        params = Query(**filters).params()
        rows = [r["url"] for r in db.execute(SEARCH_SQL, params)]
        assert db.execute(COUNT_SQL, params).fetchone()[0] == len(rows)
        return rows

    assert urls(q="دمشق") == ["https://a.test/1"]            # under wa- and bi-
    assert urls(q="ادلب") == urls(q="إدلب") == ["https://a.test/1"]
    assert urls(q="حلب") == []                                # not the arena, حلبة
    assert urls(q="refugee aleppo") == ["https://a.test/3"]   # stemmed, every word
    assert urls(q='" ( * : -') == urls()                       # no FTS syntax gets through
    assert urls(q="refugee OR nothing") == []                  # OR is a word like any
    assert urls() == ["https://a.test/3", "https://a.test/1", "https://a.test/2"]  # newest
    assert urls(month="2026-10") == ["https://a.test/2"]
    assert urls(lang="en") == urls(outlet="x-en") == urls(dedup="near") == ["https://a.test/3"]
    assert urls(since="2026-11-01", until="2026-11-20", lang="ar") == ["https://a.test/1"]
    counts = {name: {r["value"]: r["n"] for r in db.execute(facet_sql(name),
                                                            Query().params())}
              for name in ("outlet", "lang", "month", "dedup")}
    assert counts == {"outlet": {"x-ar": 2, "x-en": 1}, "lang": {"ar": 2, "en": 1},
                      "month": {"2026-11": 2, "2026-10": 1}, "dedup": {"new": 2, "near": 1}}
    db.close()


def test_replay_index_keeps_captures_and_follows_the_folder(tmp_path: Path) -> None:
    source, target = tmp_path / "warc", tmp_path / "replay"
    source.mkdir()
    response = 'com,x)/a 20261120100000 {"url": "https://x.com/a", "mime": "text/html", ' \
               '"status": "200", "offset": "10", "length": "5", "filename": "a.warc.gz"}\n'
    article = 'com,x)/a 20261120100000 {"url": "https://x.com/a", "mime": ' \
              '"application/json", "offset": "99", "length": "5", "filename": "a.warc.gz"}\n'
    assert replay_lines(article + response) == response
    (source / "a.cdxj").write_text(article + response)
    sync = IndexSync(source, target)
    assert sync.sync() == 1 and (target / "a.cdxj").read_text() == response
    assert sync.sync() == 0  # nothing changed, nothing written
    (source / "b.cdxj").write_text(response.replace("a.warc.gz", "b.warc.gz"))
    (source / "b.warc.gz.open").write_bytes(b"")  # still being written: not an index
    assert sync.sync() == 1 and sorted(p.name for p in target.iterdir()) == ["a.cdxj",
                                                                             "b.cdxj"]
    (source / "a.cdxj").unlink()  # its WARC went to S3 and was deleted here
    assert sync.sync() == 1 and [p.name for p in target.iterdir()] == ["b.cdxj"]


# -- search ------------------------------------------------------------------------


def test_serve_prints_its_url_first_and_search_finds_arabic_and_english(
        served: Served, full_crawl: CrawlResult) -> None:
    assert re.fullmatch(r"http://127\.0\.0\.1:\d+/", served.url)
    rows = catalog_rows(full_crawl.data)
    for word in ("دمشق", "wheat"):
        text = page(served, "/search?q=" + urllib.parse.quote(word))
        ids = listed_ids(text)
        expected = {i["url"] for i in full_crawl.items if mentions(i, word)}
        assert expected and expected <= {rows[i]["url"] for i in ids}
        assert f'id="total">{len(ids)}<' in text
        dates = [rows[i]["published"] or "" for i in ids]
        assert dates == sorted(dates, reverse=True)  # newest first
    arabic = page(served, "/search?q=" + urllib.parse.quote("دمشق"))
    assert all(rows[i]["language"] == "ar" for i in listed_ids(arabic))


def test_a_facet_narrows_the_result(served: Served) -> None:
    text = page(served, "/search?q=Syria")
    total = int(re.search(r'id="total">(\d+)<', text)[1])  # type: ignore[index]
    for facet in ("outlet", "lang", "month", "dedup"):
        section = text.split(f'data-facet="{facet}"')[1].split("</section>")[0]
        counts = [int(n) for n in re.findall(r"</a> (\d+)", section)]
        assert sum(counts) == total, facet
    section = text.split('data-facet="outlet"')[1].split("</section>")[0]
    href, outlet, count = re.search(r'<a href="([^"]+)" data-value="([^"]+)">[^<]*</a> (\d+)',
                                    section).groups()  # type: ignore[union-attr]
    narrowed = page(served, html.unescape(href))
    assert f'id="total">{count}<' in narrowed and int(count) < total
    assert f"outlet: <bdi>{outlet}</bdi>" in narrowed
    assert len(listed_ids(narrowed)) == int(count)


def test_csv_and_json_exports_hold_the_search_result(served: Served,
                                                     full_crawl: CrawlResult) -> None:
    query = "q=" + urllib.parse.quote("Syria") + "&lang=en"
    ids = listed_ids(page(served, f"/search?{query}"))
    text = page(served, f"/search?{query}")
    csv_url = html.unescape(re.search(r'href="([^"]+)" id="export-csv"', text)[1])  # type: ignore[index]
    json_url = html.unescape(re.search(r'href="([^"]+)" id="export-json"', text)[1])  # type: ignore[index]
    status, headers, body = served.get(csv_url)
    assert status == 200 and "attachment" in headers.get("content-disposition", "")
    rows = list(csv.DictReader(io.StringIO(body.decode("utf-8"))))
    assert [int(r["id"]) for r in rows][: len(ids)] == ids
    assert all(r["language"] == "en" and r["warc_file"] for r in rows)
    data = json.loads(page(served, json_url))
    assert [r["id"] for r in data] == [int(r["id"]) for r in rows]
    # The canned query is Datasette's JSON API: Arabic is folded there too.
    api = json.loads(page(served, "/catalog/search.json?_shape=array&q="
                          + urllib.parse.quote("إدلب")))
    expected = {i["url"] for i in full_crawl.items if mentions(i, "ادلب")}
    assert expected and expected <= {r["url"] for r in api}


# -- the article page ----------------------------------------------------------------


def arabic_article(full_crawl: CrawlResult) -> dict[str, Any]:
    return next(i for i in full_crawl.items if i["language"] == "ar"
                and not i.get("duplicate_of") and i.get("authors") and i.get("captions"))


def test_article_page_shows_clean_text_and_citation(served: Served,
                                                    full_crawl: CrawlResult) -> None:
    item = arabic_article(full_crawl)
    text = html.unescape(page(served, "/article?url=" + urllib.parse.quote(item["url"])))
    assert 'dir="rtl"' in text and f"<h1 id=\"title\">{item['title']}</h1>" in text
    for paragraph in item["body"]:
        assert f"<p>{paragraph}</p>" in text
    assert all(name in text for name in item["authors"])
    assert all(caption in text for caption in item["captions"])
    warc = item["warc"]
    for field, value in (("file", warc["file"]), ("offset", warc["offset"]),
                         ("length", warc["length"]), ("record", warc["record_id"])):
        assert f'id="cite-{field}">{value}<' in text
    with (full_crawl.data / "warc" / warc["file"]).open("rb") as fh:
        fh.seek(warc["offset"])
        digest = hashlib.sha256(fh.read(warc["length"])).hexdigest()
    assert f'id="cite-sha256">{digest}<' in text
    assert item["discovery"]["source"] in text  # how the crawler found it


def test_replay_link_returns_the_archived_page(served: Served, full_crawl: CrawlResult) -> None:
    for item in (arabic_article(full_crawl),
                 next(i for i in full_crawl.items if i["language"] == "en")):
        text = page(served, "/article?url=" + urllib.parse.quote(item["url"]))
        link = html.unescape(re.search(r'href="([^"]+)" id="replay-link"', text)[1])  # type: ignore[index]
        assert link.startswith(served.replay) and re.search(r"/syria/\d{14}/", link)
        status, headers, body = fetch(link)
        assert status == 200 and "text/html" in headers["Content-Type"]
        assert "Memento-Datetime" in headers
        assert html.escape(item["title"], quote=False) in body.decode("utf-8", "replace")


def test_duplicates_link_to_their_original_and_back(served: Served,
                                                   full_crawl: CrawlResult) -> None:
    dup = next(i for i in full_crawl.items if i.get("duplicate_of")
               and i["dedup"] in ("exact", "near"))
    rows = catalog_rows(full_crawl.data)
    by_url = {r["url"]: r["id"] for r in rows.values()}
    text = page(served, f"/article/{by_url[dup['url']]}").split('id="duplicates"')[1]
    links = {urllib.parse.unquote(html.unescape(u))
             for u in re.findall(r'href="/article\?url=([^"]+)"', text)}
    assert dup["duplicate_of"] in links
    original = page(served, "/article?url=" + urllib.parse.quote(dup["duplicate_of"]))
    cluster = original.split('id="duplicates"')[1]
    assert f'href="/article/{by_url[dup["url"]]}"' in cluster


def test_wacz_of_an_article_and_of_a_search_validate(served: Served, full_crawl: CrawlResult,
                                                     tmp_path: Path) -> None:
    item = arabic_article(full_crawl)
    rows = catalog_rows(full_crawl.data)
    article_id = next(i for i, r in rows.items() if r["url"] == item["url"])
    status, headers, body = served.get(f"/article/{article_id}.wacz")
    assert status == 200 and headers["Content-Type"].startswith("application/wacz")
    path = tmp_path / "one.wacz"
    path.write_bytes(body)
    validate_wacz(path)
    with zipfile.ZipFile(path) as z:
        pages = [json.loads(line) for line in z.read("pages/pages.jsonl").splitlines()[1:]]
        warcs = [z.read(n) for n in z.namelist() if n.startswith("archive/")]
    assert [(p["url"], p["title"]) for p in pages] == [(item["url"], item["title"])]
    records = [(r.rec_type, r.rec_headers.get_header("WARC-Target-URI"))
               for w in warcs for r in ArchiveIterator(io.BytesIO(w))]
    assert ("response", item["url"]) in records and ("metadata", item["url"]) in records
    query = "q=Syria&outlet=sohr-en"
    ids = listed_ids(page(served, f"/search?{query}"))
    status, _headers, body = served.get(f"/search.wacz?{query}")
    assert status == 200
    path = tmp_path / "search.wacz"
    path.write_bytes(body)
    validate_wacz(path)
    with zipfile.ZipFile(path) as z:
        urls = {json.loads(line)["url"] for line in z.read("pages/pages.jsonl").splitlines()[1:]}
    assert urls == {rows[i]["url"] for i in ids}


# -- the home page, bad input --------------------------------------------------------


def test_home_page_draws_charts_inline_and_loads_nothing_from_outside(served: Served) -> None:
    text = page(served, "/")
    assert len(re.findall(r"<figure><svg\b", text)) == 3  # drawn into the page, no <img>
    for title in ("Articles per outlet per week", "Articles per language per week",
                  "Share of duplicates"):
        assert title in text
    for tag in re.findall(r"<(?:script|link|img)\b[^>]*>", text):
        assert not re.search(r'(?:src|href)="(?:https?:)?//', tag), tag


def test_bad_input_gets_a_clear_answer(served: Served) -> None:
    status, _h, body = served.get("/search?since=yesterday")
    assert status == 400 and b"since" in body and b"YYYY-MM-DD" in body
    status, _h, body = served.get("/search?month=11-2026")
    assert status == 400 and b"month" in body
    assert served.get("/search?page=x")[0] == 400
    assert served.get("/article/999999")[0] == 404
    status, _h, body = served.get("/article?url=https%3A%2F%2Fnowhere.test%2F")
    assert status == 404 and b"nowhere.test" in body
    assert served.get("/warc/..%2F..%2Fstate%2Fcatalog.sqlite3")[0] == 404
    assert served.get("/warc/passwd")[0] == 404
    assert served.get("/search.wacz?q=zzzzunfindable")[0] == 404


def test_warc_route_serves_byte_ranges(served: Served, full_crawl: CrawlResult) -> None:
    warc = full_crawl.items[0]["warc"]
    start, end = warc["offset"], warc["offset"] + warc["length"] - 1
    status, headers, body = served.get(f"/warc/{warc['file']}",
                                       headers={"Range": f"bytes={start}-{end}"})
    with (full_crawl.data / "warc" / warc["file"]).open("rb") as fh:
        fh.seek(start)
        assert status == 206 and body == fh.read(warc["length"])
    assert headers["Content-Range"].startswith(f"bytes {start}-{end}/")
    assert served.get(f"/warc/{warc['file']}")[0] == 416  # no range: refused


# -- options and faults --------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_help_names_every_option() -> None:
    proc = run_cli("serve", "--help")
    assert proc.returncode == 0 and "usage: syria-archive serve" in proc.stdout
    for option in ("--port", "--local", "--data", "--s3"):
        assert option in proc.stdout  # each one is used by a test in this file


def test_port_option_a_port_in_use_and_no_catalog(full_crawl: CrawlResult,
                                                  tmp_path: Path) -> None:
    port = free_port()
    s = start_serve("--data", str(full_crawl.data), "--port", str(port),
                    stderr=tmp_path / "a.txt")
    try:
        assert s.url == f"http://127.0.0.1:{port}/" and s.get("/")[0] == 200
        proc = run_cli("serve", "--data", str(full_crawl.data), "--port", str(port),
                       timeout=120)
        assert proc.returncode == 1 and f"--port {port}" in proc.stderr
    finally:
        s.stop()
    proc = run_cli("serve", "--data", str(tmp_path / "empty"), timeout=120)
    assert proc.returncode == 1
    assert str(tmp_path / "empty" / "state" / "catalog.sqlite3") in proc.stderr
    assert proc.stdout == ""


def test_an_unreachable_s3_is_a_clear_error(tmp_path: Path) -> None:
    from test_s3 import aws_env

    endpoint = f"http://127.0.0.1:{free_port()}"  # nothing listens there
    env = aws_env(endpoint, "s3://syria-test/web")
    proc = run_cli("serve", "--data", str(tmp_path / "r"), env=env, timeout=120)
    assert proc.returncode == 1 and proc.stdout == ""
    assert "s3://syria-test/web" in proc.stderr and "Traceback" not in proc.stderr


def wait_until(check: Any, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            raise AssertionError(f"{what} within {timeout} s")
        time.sleep(0.2)  # between checks of a condition, not a wait for readiness


def test_a_warc_finished_while_serving_is_replayable(full_crawl: CrawlResult,
                                                    tmp_path: Path) -> None:
    data = tmp_path / "data"
    (data / "warc").mkdir(parents=True)
    shutil.copytree(full_crawl.data / "state", data / "state")
    item = next(i for i in full_crawl.items if i["outlet"] == "sohr-en")
    held_back = item["warc"]["file"]
    for warc in (full_crawl.data / "warc").iterdir():
        if not warc.name.startswith(held_back.removesuffix(".warc.gz")):
            shutil.copy(warc, data / "warc" / warc.name)
    s = start_serve("--data", str(data), stderr=tmp_path / "stderr.txt")
    try:
        text = page(s, "/article?url=" + urllib.parse.quote(item["url"]))
        assert "could not be read" in text  # the catalog knows it, its WARC is not here
        link = f"{s.replay}20261231000000/{item['url']}"
        assert fetch(link)[0] == 404
        for suffix in (".warc.gz", ".cdxj"):  # the crawl finishes the file, then indexes it
            name = held_back.removesuffix(".warc.gz") + suffix
            shutil.copy(full_crawl.data / "warc" / name, data / "warc" / (name + ".tmp"))
            (data / "warc" / (name + ".tmp")).rename(data / "warc" / name)
        wait_until(lambda: fetch(link)[0] == 200, 30, "the new WARC replayed")
        assert html.escape(item["title"], quote=False) in fetch(link)[2].decode()
        assert 'id="cite-sha256"' in page(s, "/article?url=" + urllib.parse.quote(item["url"]))
    finally:
        s.stop()


def test_a_killed_serve_takes_pywb_with_it(full_crawl: CrawlResult, tmp_path: Path) -> None:
    s = start_serve("--data", str(full_crawl.data), stderr=tmp_path / "stderr.txt")
    replay_port = int(urllib.parse.urlsplit(s.replay).port or 0)
    assert fetch(s.replay.removesuffix("syria/") + "syria/cdx?url=x")[0] in (200, 404)
    os.kill(s.proc.pid, signal.SIGKILL)
    s.proc.wait(timeout=30)

    def closed() -> bool:
        try:
            socket.create_connection(("127.0.0.1", replay_port), timeout=1).close()
            return False
        except OSError:
            return True

    wait_until(closed, 30, "pywb stopped with serve")


# -- S3 ----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def on_s3(full_crawl: CrawlResult) -> Iterator[dict[str, Any]]:
    from test_s3 import FaultyS3, aws_env, client

    server = FaultyS3()
    server.start()  # returns once the socket is bound
    client(server.endpoint).create_bucket(Bucket="syria-test")
    # The archive's layout, put there directly: the upload itself is test_s3's concern, and
    # the crawl's outbox points at snapshots that other tests' uploads may have sent away.
    s3 = client(server.endpoint)
    warcs = full_crawl.data / "warc"
    objects = {CATALOG_KEY: full_crawl.data / "state" / "catalog.sqlite3"}
    for warc in warcs.glob("*.warc.gz"):
        objects[warc_key(warc.name)] = warc
        objects[cdxj_key(warc.name)] = warcs / (warc.name.removesuffix(".warc.gz") + ".cdxj")
    for key, path in objects.items():
        s3.upload_file(str(path), "syria-test", f"web/{key}")
    yield {"server": server, "env": aws_env(server.endpoint, "s3://syria-test/web")}
    server.stop()


def test_serve_reads_an_archive_on_s3(on_s3: dict[str, Any], full_crawl: CrawlResult,
                                      tmp_path: Path) -> None:
    researcher = tmp_path / "researcher"  # an empty folder: everything comes from S3
    env = {k: v for k, v in on_s3["env"].items() if k != "SYRIA_ARCHIVE_S3"}
    s = start_serve("--data", str(researcher), "--s3", "s3://syria-test/web",
                    stderr=tmp_path / "stderr.txt", env=env)
    try:
        assert s.info.endswith(f"catalog {researcher / 'cache' / 'catalog.sqlite3'}")
        assert (researcher / "cache" / "catalog.sqlite3").is_file()
        assert not (researcher / "warc").exists()
        item = arabic_article(full_crawl)
        ids = listed_ids(page(s, "/search?q=" + urllib.parse.quote(item["title"].split()[0])))
        assert ids
        text = html.unescape(page(s, "/article?url=" + urllib.parse.quote(item["url"])))
        assert item["body"][0] in text and f'id="cite-offset">{item["warc"]["offset"]}<' in text
        link = html.unescape(re.search(r'href="([^"]+)" id="replay-link"', text)[1])  # type: ignore[index]
        status, _h, body = fetch(link)  # pywb -> serve's /warc/ -> S3 range request
        assert status == 200 and html.escape(item["title"], quote=False) in body.decode()
        ranged = [r for r in on_s3["server"].requests if r[2] and "/warc/" in r[1]]
        assert ranged and all(r[3] == 206 for r in ranged)
    finally:
        s.stop()
    # --local: the data directory, even with SYRIA_ARCHIVE_S3 set
    s = start_serve("--data", str(full_crawl.data), "--local",
                    stderr=tmp_path / "local.txt", env=on_s3["env"])
    try:
        assert s.info.endswith(f"catalog {full_crawl.data / 'state' / 'catalog.sqlite3'}")
        assert listed_ids(page(s, "/search?q=Syria"))
    finally:
        s.stop()


def test_pywb_environment_is_found_or_named(tmp_path, monkeypatch) -> None:
    """pywb runs in an environment of its own; a wrong SYRIA_ARCHIVE_PYWB is a clear error."""
    from crawler.web.replay import ReplayError, pywb_python

    monkeypatch.delenv("SYRIA_ARCHIVE_PYWB", raising=False)
    found = pywb_python()
    check = subprocess.run([found, "-c", "import pywb"], capture_output=True)
    assert check.returncode == 0
    monkeypatch.setenv("SYRIA_ARCHIVE_PYWB", str(tmp_path / "nowhere"))
    with pytest.raises(ReplayError, match="SYRIA_ARCHIVE_PYWB"):
        pywb_python()
    monkeypatch.setenv("SYRIA_ARCHIVE_PYWB", str(Path(found).parent.parent))
    assert pywb_python() == str(Path(found).parent.parent / "bin" / "python")
