"""Page bytes to one parsed tree: charset, binary and size checks, one lxml parse.

:func:`decode_html` finds the charset (BOM, HTTP header, ``<meta charset>``) and
checks it against the bytes; :func:`parse_html` builds the one lxml tree that
every reader of the page shares.  Bad input raises :class:`ExtractionError`
with a short ``reason`` that callers count (``item_dropped/<reason>``).
"""

from __future__ import annotations

import gzip
import logging
import re
import zlib
from typing import Any

import lxml.html
from lxml import etree
from w3lib.encoding import html_to_unicode, read_bom

logger = logging.getLogger(__name__)

#: pages larger than this (decoded characters) are refused: ``item_dropped/too_large``
MAX_HTML_CHARS = 8 * 1024 * 1024

ARABIC = re.compile("[\u0600-\u06ff]")
_LATIN1_LETTERS = re.compile("[\u00c0-\u00ff]")
_HTML_PARSER = lxml.html.HTMLParser(remove_comments=True, remove_pis=True, collect_ids=False)


class ExtractionError(ValueError):
    """The page cannot give an article; ``reason`` is counted as ``item_dropped/<reason>``."""

    def __init__(self, reason: str, message: str) -> None:
        super().__init__(message)
        self.reason = reason


# -- bytes to text ----------------------------------------------------------

def _looks_binary(body: bytes) -> bool:
    head = body[:4096]
    if not head:
        return False
    if head.startswith((b"%PDF", b"\x89PNG", b"GIF8", b"\xff\xd8\xff", b"PK\x03\x04",
                        b"\x00\x00\x01\x00", b"RIFF", b"\x1f\x8b")):
        return True
    controls = sum(1 for b in head if b < 9 or 13 < b < 32)
    return controls / len(head) > 0.05



def decode_html(body: bytes, content_type: str | None = None) -> str:
    """HTML bytes to text: BOM, then HTTP header, then ``<meta charset>``, checked.

    A label is not trusted blindly: bytes that are valid UTF-8 are UTF-8 whatever
    the label says (the commonest mislabelling), and an Arabic page (``lang="ar"``
    or ``dir="rtl"``) that decodes to Latin-1 letters and no Arabic is read as
    windows-1256.
    """
    if not body.strip():
        raise ExtractionError("empty", "empty page")
    if body[:2] == b"\x1f\x8b":
        try:
            body = gzip.decompress(body)
        except (OSError, EOFError, zlib.error):
            raise ExtractionError("truncated", "truncated gzip body") from None
    if _looks_binary(body):
        raise ExtractionError("binary", "not HTML: binary content")
    bom_encoding, _ = read_bom(body)
    if bom_encoding is None and not body.isascii():
        try:
            return body.decode("utf-8")
        except UnicodeDecodeError:
            pass
    encoding, text = html_to_unicode(content_type, body)
    # Not UTF-8 (checked above) yet read as UTF-8: the label lies; replacement
    # characters instead of letters mean the page is in a legacy charset.
    mislabelled = encoding in ("utf-8", "utf8") and text.count("\ufffd") > 20
    if mislabelled or (not ARABIC.search(text) and len(_LATIN1_LETTERS.findall(text)) > 20):
        head = body[:4096].lower()
        if re.search(rb'<html[^>]*(?:lang=["\']?ar|dir=["\']?rtl)', head):
            logger.debug("Arabic page labelled %s, read as windows-1256", encoding)
            return body.decode("cp1256", errors="replace")
    return text



def parse_html(html: str) -> Any:
    """One lxml tree for every reader of the page."""
    try:
        root = lxml.html.document_fromstring(html, parser=_HTML_PARSER)
    except ValueError:  # an XML declaration in a str
        root = lxml.html.document_fromstring(html.encode("utf-8"), parser=lxml.html.HTMLParser(
            remove_comments=True, remove_pis=True, collect_ids=False, encoding="utf-8"))
    except etree.ParserError:
        raise ExtractionError("not_html", "no HTML document in the page") from None
    return root

