"""Starting ``syria-archive serve`` for the web tests: waits for its first line (the URL),
never sleeps; requests go straight to 127.0.0.1 whatever proxy the environment names, and
answer with headers read case-insensitively."""

from __future__ import annotations

import subprocess
import sys
import urllib.error
import urllib.request
from dataclasses import dataclass
from email.message import Message
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
OPENER = urllib.request.build_opener(urllib.request.ProxyHandler({}))


@dataclass
class Served:
    url: str
    replay: str
    info: str
    proc: subprocess.Popen[str]
    stderr: Path

    def get(self, path: str, headers: dict[str, str] | None = None,
            timeout: float = 120) -> tuple[int, Message, bytes]:
        return fetch(self.url + path.lstrip("/"), headers, timeout)

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait(timeout=30)


def fetch(url: str, headers: dict[str, str] | None = None,
          timeout: float = 120) -> tuple[int, Message, bytes]:
    request = urllib.request.Request(url, headers=headers or {})
    try:
        with OPENER.open(request, timeout=timeout) as resp:
            return resp.status, resp.headers, resp.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.headers, exc.read()


def start_serve(*args: str, stderr: Path, env: dict[str, str] | None = None) -> Served:
    proc = subprocess.Popen([sys.executable, "-m", "crawler.cli", "serve", *args], cwd=ROOT,
                            env=env, stdout=subprocess.PIPE, stderr=stderr.open("w"), text=True)
    assert proc.stdout is not None
    url = proc.stdout.readline().strip()  # printed once the page can be served
    if not url.startswith("http://127.0.0.1:"):
        proc.kill()
        raise AssertionError(f"serve printed {url!r} first; stderr:\n"
                             f"{stderr.read_text()[-3000:]}")
    info = proc.stdout.readline().strip()  # "replay (pywb): URL ; catalog PATH"
    return Served(url=url, replay=info.split()[2], info=info, proc=proc, stderr=stderr)
