"""Every option that `--help` shows works, and a test uses it (this file takes the ones
no other test needed)."""

from __future__ import annotations

import argparse
import json
import shutil
import socket
import subprocess
import sys
import zipfile
from pathlib import Path

from conftest import MIRROR_PAGES, ROOT, CrawlResult, load_routes, run_cli

from crawler.cli import build_parser

TESTS = Path(__file__).resolve().parent


def test_every_option_of_every_command_is_used_by_a_test() -> None:
    parser = build_parser()
    text = "".join(p.read_text(encoding="utf-8") for p in TESTS.glob("*.py"))
    sub = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    unused = [f"{name} {'/'.join(a.option_strings)}" for name, p in sub.choices.items()
              for a in p._actions if a.option_strings and a.option_strings[0] != "-h"
              and not any(f'"{o}"' in text for o in a.option_strings)]
    assert not unused, unused


def test_mirror_port_host_log_and_shared(tmp_path: Path) -> None:
    from test_warc_runs import free_port

    port = free_port()
    empty = tmp_path / "shared"
    empty.mkdir()
    proc = subprocess.Popen(
        [sys.executable, "-m", "crawler.cli", "mirror", "--port", str(port), "--host",
         "127.0.0.1", "--log", str(tmp_path / "log.jsonl"), "--shared", str(empty)],
        cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        assert proc.stdout is not None and proc.stderr is not None
        assert proc.stdout.readline().strip() == f"http://127.0.0.1:{port}"
        said = []
        while not said or not said[-1].startswith("# serving"):
            said.append(proc.stderr.readline())
        served = said[-1]
        url = next(r["url"] for r in load_routes("mee") if r["url"].endswith("/robots.txt"))
        plain = url.replace("https://", "http://")
        with socket.create_connection(("127.0.0.1", port), timeout=30) as conn:
            host = plain.split("/")[2]
            conn.sendall(f"GET {plain} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n"
                         .encode())
            assert conn.recv(64).split(b"\r\n")[0].split()[1] in (b"200", b"301")
    finally:
        proc.terminate()
        proc.wait(timeout=30)
    assert json.loads((tmp_path / "log.jsonl").read_text().splitlines()[0])["url"]
    # Routes of real pages from the shared data are left out when --shared has none.
    real = sum(1 for o in MIRROR_PAGES.iterdir() if (o / "routes.toml").is_file()
               for r in load_routes(o.name) if r.get("shared"))
    total = sum(len(load_routes(o.name)) for o in MIRROR_PAGES.iterdir()
                if (o / "routes.toml").is_file())
    assert f"serving {total - real} saved URLs" in served, served
    assert real and sum("not in the shared data" in line for line in said) == real


def test_wacz_title_and_output(full_crawl: CrawlResult, tmp_path: Path) -> None:
    out = tmp_path / "mee.wacz"
    proc = run_cli("wacz", "--data", str(full_crawl.data), "--outlet", "mee", "--output",
                   str(out), "--title", "Middle East Eye on Syria")
    assert proc.returncode == 0, proc.stderr
    with zipfile.ZipFile(out) as z:
        assert json.loads(z.read("datapackage.json"))["title"] == "Middle East Eye on Syria"


def test_upload_status_lists_the_outbox_without_sending(full_crawl: CrawlResult,
                                                        tmp_path: Path) -> None:
    data = tmp_path / "data"
    shutil.copytree(full_crawl.data, data)
    env = {"SYRIA_ARCHIVE_S3": "s3://nowhere/x", "AWS_ENDPOINT_URL": "http://127.0.0.1:9",
           "PATH": "/usr/bin:/bin"}
    proc = run_cli("upload", "--status", "--data", str(data), env=env)
    assert proc.returncode == 0, proc.stderr
    pending = [line for line in proc.stdout.splitlines() if line.startswith("pending")]
    assert pending and proc.stdout.splitlines()[-1] == f"{len(pending)} pending, 0 uploaded"


def test_until_limits_ls_search_get_and_export(full_crawl: CrawlResult, tmp_path: Path) -> None:
    data = str(full_crawl.data)
    old = ["--since", "2000-01-01", "--until", "2000-12-31"]
    ls = run_cli("ls", "--local", "--data", data, *old)
    assert ls.returncode == 0 and ls.stdout.splitlines()[-1].split(": ", 1)[1].startswith(
        "0 file(s)"), ls.stdout
    search = run_cli("search", "Syria", "--local", "--data", data, "--until", "2000-12-31")
    assert search.returncode == 0 and search.stderr.strip() == "0 article(s)"
    export = run_cli("export", "--local", "--data", data, "--until", "2000-12-31", "--output",
                     str(tmp_path / "old.jsonl"))
    assert export.returncode == 0 and "0 article(s)" in export.stdout
    every = run_cli("export", "--local", "--data", data, "--until", "2100-01-01", "--output",
                    str(tmp_path / "all.jsonl"))
    assert every.returncode == 0 and not every.stdout.split(": ")[1].startswith("0 ")
    got = run_cli("get", "--local", "--data", data, "--outlet", "mee", "--kind", "warc",
                  "--until", "2100-01-01", "--output", str(tmp_path / "dl"), "--no-progress")
    assert got.returncode == 0, got.stderr
    assert list((tmp_path / "dl" / "warc" / "mee").rglob("*.warc.gz"))


def test_extract_content_type_names_the_charset(tmp_path: Path) -> None:
    route = next(r for r in load_routes("aljazeera-ar") if r.get("article")
                 and r["about_syria"])
    page = tmp_path / "page.html"
    page.write_bytes((MIRROR_PAGES / "aljazeera-ar" / route["file"]).read_text(
        encoding="utf-8").encode("cp1256", "replace"))
    proc = run_cli("extract", str(page), "--url", route["url"], "--content-type",
                   "text/html; charset=windows-1256")
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)["title"] == route["title"]
