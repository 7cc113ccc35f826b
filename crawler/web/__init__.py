"""The researchers' web page: ``syria-archive serve``.

Datasette over the catalog (its table pages, facets, CSV/JSON export and JSON
API) with a plugin of ours (:mod:`crawler.web.plugin`) for the search, article,
chart and WACZ pages, and pywb beside it for replay (:mod:`crawler.web.replay`).
The web page drives ``archive/`` code, so it lives at the top of the house.
"""
