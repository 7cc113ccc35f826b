"""``syria-archive serve``: the web page and the replay, on 127.0.0.1.

Binds the port first (a port in use is a clear error, and nothing is lost),
opens the catalog (local, or fetched from S3 into ``DATA/cache/``), starts
pywb (:class:`crawler.web.replay.Replay`) over the WARCs, prints the page's URL
``http://127.0.0.1:PORT/`` as the first line of its output, and serves Datasette
with our plugin through uvicorn until stopped (SIGINT or SIGTERM); pywb stops
with it.

Local archive: the catalog and ``DATA/warc/`` are read where the crawl writes
them, so new articles and finished WARCs show while ``serve`` runs.  S3: the
catalog and the CDXJ indexes are copied into ``DATA/cache/`` at start, and
records are read by byte range from S3 (a local copy of a WARC is used first).
"""

from __future__ import annotations

import logging
import os
import socket
import sys
from pathlib import Path
from typing import TextIO

from archive.download import Archive
from crawler.web.app import build_datasette
from crawler.web.plugin import Site, WebPlugin
from crawler.web.replay import Replay, ReplayError, sync_cdxj

logger = logging.getLogger(__name__)


class ServeError(RuntimeError):
    """serve cannot start: the message names the port, folder or setting at fault."""


def bind(port: int) -> socket.socket:
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind(("127.0.0.1", port))
    except OSError as exc:
        sock.close()
        raise ServeError(f"--port {port}: cannot listen on 127.0.0.1:{port} ({exc.strerror})"
                         ) from None
    sock.listen(128)
    return sock


def open_site(archive: Archive, port: int, outlets: dict[str, str],
              progress: bool = True) -> tuple[Path, Site]:
    """The catalog's path and the site around it, pywb started."""
    from botocore.exceptions import BotoCoreError, ClientError

    where = archive.store.config.uri if archive.store is not None else None
    try:
        catalog = archive.catalog()
        path = catalog.path
        catalog.close()
        if archive.store is None:
            index_dir = archive.data_dir / "warc"
            index_dir.mkdir(parents=True, exist_ok=True)
            prefix = str(index_dir) + "/"
        else:
            index_dir = archive.data_dir / "cache" / "cdxj"
            fetched = sync_cdxj(archive, index_dir, progress)
            logger.info("%d CDXJ index(es) fetched from %s", fetched, where)
            prefix = f"http://127.0.0.1:{port}/warc/"
    except FileNotFoundError as exc:
        raise ServeError(str(exc)) from None
    except (BotoCoreError, ClientError) as exc:
        raise ServeError(f"the S3 archive {where} cannot be read: {exc}") from None
    try:
        replay = Replay(index_dir, prefix).start()
    except ReplayError as exc:
        raise ServeError(f"replay: {exc}") from None
    # WACZ packages made on request live as long as this serve, beside pywb's files.
    return path, Site(archive=archive, replay=replay, outlets=outlets,
                      cache=replay.workdir / "wacz")


def serve(archive: Archive, port: int = 0, outlets: dict[str, str] | None = None,
          out: TextIO = sys.stdout) -> None:
    import uvicorn

    sock = bind(port)
    port = int(sock.getsockname()[1])
    site: Site | None = None
    try:
        catalog, site = open_site(archive, port, outlets or {})
        app = build_datasette(catalog, WebPlugin(site)).app()
        print(f"http://127.0.0.1:{port}/", file=out, flush=True)
        assert site.replay is not None
        print(f"replay (pywb): {site.replay.base_url}syria/ ; catalog {catalog}", file=out,
              flush=True)
        if out is sys.stdout:
            # Whoever started serve reads its first lines; anything libraries print later
            # (Datasette's tracebacks, py-wacz) goes to stderr, never into a pipe nobody reads.
            os.dup2(sys.stderr.fileno(), sys.stdout.fileno())
        config = uvicorn.Config(app, log_level="warning", access_log=False, lifespan="on")
        uvicorn.Server(config).run(sockets=[sock])
    finally:
        if site is not None and site.replay is not None:
            site.replay.stop()
        sock.close()
