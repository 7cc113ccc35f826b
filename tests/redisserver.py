"""Debian's redis-server on a free port of 127.0.0.1, for tests and benchmarks.

Started with an append-only file in its own folder, as the README asks of a
production Redis, so that a restart keeps the frontier (``appendfsync always``
unless asked otherwise).
Waited for by its "Ready to accept connections" line, never by sleeping.
"""

from __future__ import annotations

import shutil
import socket
import subprocess
from dataclasses import dataclass
from pathlib import Path

READY = "Ready to accept connections"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class RedisServer:
    folder: Path
    port: int
    fsync: str = "always"  # the tests: nothing lost to a restart; "everysec" is faster
    process: subprocess.Popen[str] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> RedisServer:
        binary = shutil.which("redis-server") or "/usr/bin/redis-server"
        self.folder.mkdir(parents=True, exist_ok=True)
        self.process = subprocess.Popen(
            [binary, "--port", str(self.port), "--bind", "127.0.0.1", "--dir", str(self.folder),
             "--appendonly", "yes", "--appendfsync", self.fsync, "--save", "",
             "--protected-mode", "yes", "--loglevel", "notice"],
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        assert self.process.stdout is not None
        seen = []
        for line in self.process.stdout:
            seen.append(line)
            if READY in line:
                return self
        raise RuntimeError("redis-server did not start:\n" + "".join(seen[-20:]))

    def stop(self) -> None:
        """SIGTERM: Redis finishes its append-only file and exits."""
        if self.process is not None:
            self.process.terminate()
            self.process.wait(timeout=60)
            if self.process.stdout is not None:
                self.process.stdout.close()
            self.process = None

    def restart(self) -> None:
        self.stop()
        self.start()


def start_redis(folder: Path, attempts: int = 5, fsync: str = "always") -> RedisServer:
    """A server on a port found free (tried again should another process take it first)."""
    last: Exception | None = None
    for _ in range(attempts):
        try:
            return RedisServer(folder, free_port(), fsync).start()
        except RuntimeError as exc:
            last = exc
    raise RuntimeError(f"no redis-server could start: {last}")
