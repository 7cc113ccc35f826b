"""Extraction: a page's bytes in, an article's fields out, off the reactor.

``page`` (charset, one parse), ``metadata`` (JSON-LD, meta tags, bylines),
``body`` (trafilatura), ``dates`` (the one date parser), ``article`` (the
fields together, and the Article item), ``pool`` (worker processes).  Nothing
is imported here, so that reading one module does not load them all.
"""
