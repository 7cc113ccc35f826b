"""The offline mirror: the saved outlet pages (``pages/``) and the proxy that serves them.

``pages/OUTLET/`` holds one outlet's saved pages, written for this project to
match the outlet's real markup, and a ``routes.toml`` mapping each real URL to
a file; :mod:`.server` serves them on 127.0.0.1 as an HTTP(S) proxy, so a crawl
reaches the outlets' real URLs offline.  They ship with the package: ``make
demo``, ``syria-archive mirror`` and the tests use them.
"""
