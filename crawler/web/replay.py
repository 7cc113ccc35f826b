"""Replay of the archived pages by pywb, started beside ``serve``.

pywb's ``wayback`` runs as a child process on a free port of 127.0.0.1 with
two collections over the same WARCs: :data:`COLLECTION` replays the captures
(responses and revisits), and :data:`RECORDS` indexes every record, the
articles' ``metadata`` records too, for lookups through its CDX server.  Locally
the WARCs are the data directory's ``warc/``, each finished one with its
``.cdxj`` beside it.  On S3, :func:`sync_cdxj` copies the CDXJ indexes into the
cache and pywb reads the WARCs' records through ``serve``'s own ``/warc/NAME``
route (HTTP Range requests that ``serve`` answers from S3).

The replay collection's index is a filtered copy of those CDXJ files
(:func:`replay_lines`): a metadata record of an article often bears the same
second as its response, and pywb would then replay the article's JSON instead of
the page.  :class:`IndexSync` keeps the copy in step with the folder (a thread
that looks every ``interval`` seconds), so a WARC finished while ``serve`` runs
is replayable within seconds, and one deleted is no longer offered.

Replay is frameless (pywb's banner sits inside the archived page) with
Memento headers, at ``/syria/TIMESTAMP/URL``.

pywb runs in a Python environment of its own (:func:`pywb_python`): it pins an
old ``redis`` client that cannot share an environment with scrapy-redis.
``make install`` puts it in ``.venv/pywb``; ``SYRIA_ARCHIVE_PYWB`` names another
(a Python interpreter that can import pywb, or the folder of such a virtual
environment).
"""

from __future__ import annotations

import importlib.util
import json
import logging
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
import urllib.request
from pathlib import Path
from typing import Any

logger = logging.getLogger(__name__)

COLLECTION = "syria"
RECORDS = "records"


class ReplayError(RuntimeError):
    """pywb did not start or does not answer."""


def pywb_python() -> str:
    """The Python interpreter that runs pywb: ``SYRIA_ARCHIVE_PYWB``, else the
    ``pywb`` environment inside this one's (``make install`` makes it), else this
    interpreter when it can import pywb itself."""
    named = os.environ.get("SYRIA_ARCHIVE_PYWB")
    if named:
        path = Path(named)
        python = path / "bin" / "python" if path.is_dir() else path
        if not python.is_file():
            raise ReplayError(f"SYRIA_ARCHIVE_PYWB: {named} is neither a Python interpreter "
                              "nor a virtual environment's folder")
        return str(python)
    beside = Path(sys.prefix) / "pywb" / "bin" / "python"
    if beside.is_file():
        return str(beside)
    if importlib.util.find_spec("pywb") is not None:
        return sys.executable
    raise ReplayError("pywb is not installed: `make install` puts it in .venv/pywb; or "
                      "install pywb in an environment of its own (it pins an old redis client) "
                      "and set SYRIA_ARCHIVE_PYWB to its Python")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_for_port(port: int, proc: subprocess.Popen[Any], timeout: float) -> None:
    """Return once something accepts connections on ``port``; fail when ``proc`` dies."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise ReplayError(f"pywb exited with code {proc.returncode} before listening")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.05)  # between connection attempts, not a wait for readiness
    raise ReplayError(f"pywb did not listen on port {port} within {timeout:.0f} s")


def _die_with_parent() -> None:  # pragma: no cover - runs in the child
    # A serve killed outright must not leave pywb holding its port.
    if sys.platform.startswith("linux"):
        import ctypes

        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG


def _loopback_env() -> dict[str, str]:
    # pywb reads WARCs from serve on 127.0.0.1: never through a proxy set for crawls.
    env = dict(os.environ)
    for name in ("no_proxy", "NO_PROXY"):
        env[name] = ",".join(filter(None, [env.get(name), "127.0.0.1", "localhost"]))
    return env


#: For pywb's index on 127.0.0.1, whatever proxy the environment names.
_OPENER = urllib.request.build_opener(urllib.request.ProxyHandler({}))


def sync_cdxj(archive: Any, target: Path, progress: bool = True) -> int:
    """Copy the archive's CDXJ indexes from S3 into ``target`` (those not there yet:
    an index never changes once its WARC is finished); returns how many it fetched."""
    from tqdm import tqdm

    target.mkdir(parents=True, exist_ok=True)
    missing = [f for f in archive.files(("cdxj",))
               if not (target / f.key.rsplit("/", 1)[-1]).is_file()]
    for f in tqdm(missing, desc="CDXJ indexes", unit="file", disable=not progress or not missing,
                  file=sys.stderr, leave=False):
        name = f.key.rsplit("/", 1)[-1]
        partial = target / (name + ".part")
        partial.write_bytes(archive.read(f.key))
        partial.replace(target / name)
    return len(missing)


def replay_lines(text: str) -> str:
    """The CDXJ lines of captures: an entry with an HTTP status (a response or a
    revisit); ``metadata`` and ``resource`` records have none."""
    out = []
    for line in text.splitlines(keepends=True):
        parts = line.split(" ", 2)
        if len(parts) == 3 and '"status"' in parts[2]:
            out.append(line)
    return "".join(out)


class IndexSync:
    """Keeps ``target`` holding the replayable lines of every CDXJ file in ``source``."""

    def __init__(self, source: Path, target: Path, interval: float = 2.0) -> None:
        self.source = source
        self.target = target
        self.interval = interval
        self._seen: dict[str, tuple[int, int]] = {}
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def sync(self) -> int:
        """Copy what changed; returns the number of index files written or removed."""
        self.target.mkdir(parents=True, exist_ok=True)
        changed = 0
        present = set()
        for path in sorted(self.source.glob("*.cdxj")):
            try:
                stat = path.stat()
                mark = (stat.st_mtime_ns, stat.st_size)
                if self._seen.get(path.name) == mark:
                    present.add(path.name)
                    continue
                text = path.read_text(encoding="utf-8")
            except FileNotFoundError:  # deleted meanwhile (uploaded and removed)
                continue
            partial = self.target / (path.name + ".part")
            partial.write_text(replay_lines(text), encoding="utf-8")
            partial.replace(self.target / path.name)
            self._seen[path.name] = mark
            present.add(path.name)
            changed += 1
        for old in self.target.glob("*.cdxj"):
            if old.name not in present:
                old.unlink(missing_ok=True)
                self._seen.pop(old.name, None)
                changed += 1
        return changed

    def _run(self) -> None:
        while not self._stop.wait(self.interval):
            try:
                self.sync()
            except OSError as exc:  # a full disk or a vanished folder: say so, go on
                logger.warning("Replay index of %s not updated: %s", self.source, exc)

    def start(self) -> None:
        self.sync()
        self._thread = threading.Thread(target=self._run, name="replay-index", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=10)


class Replay:
    """A pywb ``wayback`` process serving the archive's captures and records."""

    def __init__(self, index_dir: Path, archive_prefix: str, workdir: Path | None = None,
                 interval: float = 2.0) -> None:
        self.index_dir = index_dir
        self.archive_prefix = archive_prefix
        self._own_workdir = workdir is None
        self.workdir = workdir or Path(tempfile.mkdtemp(prefix="syria-archive-pywb-"))
        self.sync = IndexSync(index_dir, self.workdir / "replay-index", interval)
        self.proc: subprocess.Popen[bytes] | None = None
        self.port = 0

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/"

    def write_config(self) -> Path:
        # pywb reads YAML; JSON is YAML too, and needs no extra library here.
        config = {
            "collections": {
                COLLECTION: {"index_paths": str(self.sync.target) + os.sep,
                             "archive_paths": self.archive_prefix},
                RECORDS: {"index_paths": str(self.index_dir) + os.sep,
                          "archive_paths": self.archive_prefix},
            },
            "framed_replay": False,
            "enable_memento": True,
        }
        path = self.workdir / "config.yaml"
        path.write_text(json.dumps(config, indent=2), encoding="utf-8")
        return path

    def start(self, timeout: float = 60) -> Replay:
        python = pywb_python()
        self.sync.start()
        self.write_config()
        error: ReplayError | None = None
        with (self.workdir / "pywb.log").open("ab") as log:
            for _attempt in range(3):
                self.port = free_port()
                self.proc = subprocess.Popen(
                    [python, "-m", "pywb.apps.cli", "-b", "127.0.0.1", "-p",
                     str(self.port)], cwd=self.workdir, stdin=subprocess.DEVNULL, stdout=log,
                    stderr=log, env=_loopback_env(), preexec_fn=_die_with_parent)
                try:
                    wait_for_port(self.port, self.proc, timeout)
                    error = None
                    break
                except ReplayError as exc:
                    error = exc
                    if self.proc.poll() is None:
                        break  # running but not listening: another port would not help
                    # It exited: another program may have taken the free port first.
        if error is not None:
            tail = (self.workdir / "pywb.log").read_text(errors="replace").strip()[-800:]
            self.stop()
            raise ReplayError(f"{error}: {tail}")
        logger.info("pywb replays %s from %s on %s", self.index_dir, self.archive_prefix,
                    self.base_url)
        return self

    def stop(self) -> None:
        self.sync.stop()
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.proc = None
        if self._own_workdir:
            shutil.rmtree(self.workdir, ignore_errors=True)

    def url(self, timestamp: str, url: str) -> str:
        """The replay URL of the capture of ``url`` at ``timestamp`` (14 digits)."""
        return f"{self.base_url}{COLLECTION}/{timestamp}/{url}"

    def records(self, url: str, timeout: float = 30) -> list[dict[str, Any]]:
        """Every index entry of ``url`` (responses, revisits, metadata), oldest first."""
        query = urllib.parse.urlencode({"url": url, "output": "json"})
        with _OPENER.open(f"{self.base_url}{RECORDS}/cdx?{query}", timeout=timeout) as resp:
            lines = resp.read().decode("utf-8").splitlines()
        return [json.loads(line) for line in lines if line.strip()]
