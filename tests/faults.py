"""Fault injection for the data-safety tests and ``make soak``: an S3 fault proxy, crawls
killed with SIGKILL at seeded random moments, and the checks an archive must pass after.

Real servers on 127.0.0.1 only; nothing of the project's own code is mocked.
"""

from __future__ import annotations

import json
import random
import signal
import socket
import sqlite3
import subprocess
import sys
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from fastwarc.warc import ArchiveIterator as FastIterator
from fastwarc.warc import WarcRecordType
from warcio.archiveiterator import ArchiveIterator

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
FAST = ["-s", "DOWNLOAD_DELAY=0", "-s", "AUTOTHROTTLE_ENABLED=False"]


# -- the S3 fault proxy ------------------------------------------------------------------

class S3FaultProxy:
    """A TCP proxy on 127.0.0.1 in front of an S3 endpoint that misbehaves on demand:
    ``down()`` refuses connections, ``errors`` requests are answered 500, ``truncate``
    PUT bodies are cut in half and the connection dropped, ``delay`` holds each answer.
    One request per connection (``Connection: close``), so each fault hits one request."""

    def __init__(self, upstream: str, port: int = 0) -> None:
        host, _, upstream_port = upstream.removeprefix("http://").partition(":")
        self.upstream = (host, int(upstream_port))
        self.errors = 0
        self.truncate = 0
        self.delay = 0.0
        self.served: Counter[str] = Counter()
        self._port = port
        self._sock: socket.socket | None = None
        self.up()

    @property
    def endpoint(self) -> str:
        return f"http://127.0.0.1:{self._port}"

    def up(self) -> None:
        sock = socket.socket()
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(("127.0.0.1", self._port))
        sock.listen(64)
        self._port = sock.getsockname()[1]
        self._sock = sock
        threading.Thread(target=self._accept, args=(sock,), daemon=True).start()

    def down(self) -> None:
        if self._sock is not None:
            try:
                self._sock.shutdown(socket.SHUT_RDWR)  # wakes the thread blocked in accept
            except OSError:
                pass
            self._sock.close()
            self._sock = None

    def _accept(self, sock: socket.socket) -> None:
        while True:
            try:
                conn, _ = sock.accept()
            except OSError:
                return
            threading.Thread(target=self._serve, args=(conn,), daemon=True).start()

    def _serve(self, conn: socket.socket) -> None:
        try:
            head, body = _read_request(conn)
            if head is None:
                return
            method = head.split(b" ", 1)[0].decode()
            if self.errors > 0:
                self.errors -= 1
                self.served["500"] += 1
                conn.sendall(b"HTTP/1.1 500 Internal Server Error\r\nContent-Type: "
                             b"application/xml\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
                return
            upstream = socket.create_connection(self.upstream, timeout=60)
            with upstream:
                head = _with_header(head, b"Connection", b"close")
                if method == "PUT" and self.truncate > 0 and len(body) > 1:
                    self.truncate -= 1
                    self.served["truncated"] += 1
                    upstream.sendall(head + body[: len(body) // 2])
                    return  # both connections dropped mid-body
                upstream.sendall(head + body)
                answer = b""
                while chunk := upstream.recv(65536):
                    answer += chunk
            if self.delay:
                time.sleep(self.delay)
            end = answer.find(b"\r\n\r\n")
            if end > 0:
                answer = _with_header(answer[:end + 4], b"Connection", b"close") + \
                    answer[end + 4:]
            self.served["passed"] += 1
            conn.sendall(answer)
        except OSError:
            pass
        finally:
            conn.close()


def _read_request(conn: socket.socket) -> tuple[bytes | None, bytes]:
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = conn.recv(65536)
        if not chunk:
            return None, b""
        data += chunk
    end = data.index(b"\r\n\r\n") + 4
    head, body = data[:end], data[end:]
    length = 0
    for line in head.split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            length = int(value.strip())
    while len(body) < length:
        chunk = conn.recv(min(1 << 20, length - len(body)))
        if not chunk:
            break
        body += chunk
    return head, body


def _with_header(head: bytes, name: bytes, value: bytes) -> bytes:
    lines = [line for line in head[:-4].split(b"\r\n")
             if line.split(b":", 1)[0].strip().lower() != name.lower()]
    return b"\r\n".join([*lines, name + b": " + value]) + b"\r\n\r\n"


# -- reading an archive back ----------------------------------------------------------------

def complete_records(warc_dir: Path) -> set[str]:
    """Record ids of every complete record in every WARC, finished or still ``.open``
    (what a kill at this moment must not lose)."""
    ids: set[str] = set()
    for path in sorted(warc_dir.glob("*.warc.gz*")) if warc_dir.is_dir() else []:
        with path.open("rb") as fh:
            try:
                for record in ArchiveIterator(fh):
                    record.content_stream().read()
                    ids.add(record.rec_headers.get_header("WARC-Record-ID"))
            except Exception:  # a record cut by the kill, and what follows it
                pass
    return ids


def items(data: Path) -> list[dict[str, Any]]:
    out = []
    for f in sorted((data / "items").glob("*.jsonl")):
        out += [json.loads(line) for line in f.read_text(encoding="utf-8").splitlines() if line]
    return out


@dataclass
class Check:
    records: int = 0
    lost: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)


def check_archive(data: Path, reference_urls: set[str], before: set[str]) -> Check:
    """Everything the issue asks of an archive after a crash and a rerun."""
    from crawler.mirror.server import url_key

    out = Check()
    warcs = sorted((data / "warc").glob("*.warc.gz"))
    if list((data / "warc").glob("*.open")):
        out.problems.append(f"*.open left: {list((data / 'warc').glob('*.open'))}")
    if warcs:
        check = subprocess.run([BIN / "warcio", "check", *map(str, warcs)],
                               capture_output=True, text=True)
        if check.returncode != 0:
            out.problems.append(f"warcio check: {check.stdout[-500:]}")
    after: set[str] = set()
    for warc in warcs:
        with warc.open("rb") as fh:
            for record in FastIterator(fh, parse_http=False):
                out.records += 1
                after.add(record.headers["WARC-Record-ID"])
                if not record.verify_block_digest():
                    out.problems.append(f"block digest wrong in {warc.name}")
        with warc.open("rb") as fh:
            for record in FastIterator(fh, parse_http=True,
                                       record_types=WarcRecordType.response):
                if "WARC-Payload-Digest" in record.headers and not \
                        record.verify_payload_digest():
                    out.problems.append(f"payload digest wrong in {warc.name}")
        if not warc.with_name(warc.name.replace(".warc.gz", ".cdxj")).is_file():
            out.problems.append(f"no CDXJ beside {warc.name}")
    out.lost = sorted(before - after)
    exported = [url_key(i["url"]) for i in items(data)]
    twice = [u for u, n in Counter(exported).items() if n > 1]
    if twice:
        out.problems.append(f"exported twice: {twice}")
    if set(exported) != reference_urls:
        out.problems.append(f"articles differ from an uninterrupted run: missing "
                            f"{sorted(reference_urls - set(exported))}, extra "
                            f"{sorted(set(exported) - reference_urls)}")
    for db_path in sorted((data / "state").glob("*.sqlite3")):
        db = sqlite3.connect(db_path)
        try:
            if db.execute("PRAGMA integrity_check").fetchone()[0] != "ok":
                out.problems.append(f"{db_path.name} fails its integrity check")
        finally:
            db.close()
    catalog = sqlite3.connect(data / "state" / "catalog.sqlite3")
    try:
        catalogued = {url_key(r[0]) for r in catalog.execute("SELECT url FROM articles")}
    finally:
        catalog.close()
    if not set(exported) <= catalogued:
        out.problems.append(f"exported but not catalogued: {sorted(set(exported) - catalogued)}")
    return out


# -- kill anywhere ----------------------------------------------------------------------

@dataclass
class Trial:
    seed: int
    moment: float
    killed: bool
    records_at_kill: int
    check: Check


def crawl_cmd(data: Path, outlets: list[str], *extra: str) -> list[str]:
    return [sys.executable, "-m", "crawler.cli", "crawl", *outlets, "--data", str(data),
            *FAST, *extra]


def timed_crawl(data: Path, outlets: list[str], env: dict[str, str],
                *extra: str) -> tuple[subprocess.CompletedProcess[str], float]:
    started = time.monotonic()
    proc = subprocess.run(crawl_cmd(data, outlets, *extra), cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=600)
    return proc, time.monotonic() - started


def kill_trial(data: Path, outlets: list[str], env: dict[str, str], rng: random.Random,
               longest: float, reference_urls: set[str], seed: int, *extra: str) -> Trial:
    """One crawl killed with SIGKILL at a random moment, then run again to the end."""
    moment = rng.uniform(0.0, longest)
    proc = subprocess.Popen(crawl_cmd(data, outlets, *extra), cwd=ROOT, env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        proc.wait(timeout=moment)
        killed = False
    except subprocess.TimeoutExpired:
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        killed = True
    _wait_for_lock(data)
    before = complete_records(data / "warc")
    rerun = subprocess.run(crawl_cmd(data, outlets, *extra), cwd=ROOT, env=env,
                           capture_output=True, text=True, timeout=600)
    check = check_archive(data, reference_urls, before)
    if rerun.returncode not in (0, 3):
        check.problems.append(f"rerun exited {rerun.returncode}: {rerun.stderr[-1500:]}")
    return Trial(seed, round(moment, 3), killed, len(before), check)


def _wait_for_lock(data: Path) -> None:
    """A SIGKILLed crawl may take a moment to let go of its files: wait until the data
    directory's lock is free (the next run would otherwise exit 75)."""
    import fcntl

    lock = data / "state" / "crawl.lock"
    end = time.monotonic() + 30
    while lock.exists() and time.monotonic() < end:
        with lock.open("a") as fh:
            try:
                fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
                return
            except BlockingIOError:
                time.sleep(0.05)
