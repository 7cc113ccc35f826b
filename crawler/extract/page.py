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
from w3lib.encoding import (
    html_body_declared_encoding,
    html_to_unicode,
    http_content_type_encoding,
    read_bom,
    resolve_encoding,
)

logger = logging.getLogger(__name__)

#: pages larger than this (decoded characters) are refused: ``item_dropped/too_large``
MAX_HTML_CHARS = 8 * 1024 * 1024

ARABIC = re.compile("[\u0600-\u06ff]")
_LATIN1_LETTERS = re.compile("[\u00c0-\u00ff]")


def _html_parser(**options: Any) -> Any:
    """lxml.html's parser, with every element an ``HtmlElement`` chosen in C: its own
    lookup calls Python for each element proxy made (only to give forms their own
    class): about 5 % of extraction time on the Zyte pages."""
    parser = lxml.html.HTMLParser(remove_comments=True, remove_pis=True, collect_ids=False,
                                  **options)
    parser.set_element_class_lookup(etree.ElementDefaultClassLookup(
        element=lxml.html.HtmlElement, comment=lxml.html.HtmlComment,
        pi=lxml.html.HtmlProcessingInstruction, entity=lxml.html.HtmlEntity))
    return parser


_HTML_PARSER = _html_parser()
_HTML_PARSER_UTF8 = _html_parser(encoding="utf-8")


# Control characters that text never holds (tab, newlines, form feed and CR excepted).
_CONTROL_BYTES = bytes(b for b in range(32) if b < 9 or 13 < b)


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
    controls = len(head) - len(head.translate(None, _CONTROL_BYTES))
    return controls / len(head) > 0.05



def decode_html(body: bytes, content_type: str | None = None) -> str:
    """HTML bytes to text (:func:`read_html` without its note on the label)."""
    return read_html(body, content_type)[0]


def _declared(body: bytes, content_type: str | None) -> str | None:
    """The charset the page says it is in: the HTTP header's, else ``<meta charset>``."""
    label = http_content_type_encoding(content_type) or html_body_declared_encoding(body)
    return resolve_encoding(label) if label else None


def read_html(body: bytes, content_type: str | None = None) -> tuple[str, str | None]:
    """HTML bytes to text: BOM, then HTTP header, then ``<meta charset>``, checked.

    A label is not trusted blindly: bytes that are valid UTF-8 are UTF-8 whatever
    the label says (the commonest mislabelling), and an Arabic page (``lang="ar"``
    or ``dir="rtl"``) that decodes to Latin-1 letters and no Arabic is read as
    windows-1256.  The second value says how a lying label was overruled
    ("labelled cp1252, read as utf-8"); None when the label was right or absent.
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
            text = body.decode("utf-8")
        except UnicodeDecodeError:
            pass
        else:
            label = _declared(body, content_type)
            return text, (f"labelled {label}, read as utf-8"
                          if label not in (None, "utf-8") else None)
    encoding, text = html_to_unicode(content_type, body)
    # Not UTF-8 (checked above) yet read as UTF-8: the label lies; replacement
    # characters instead of letters mean the page is in a legacy charset.
    mislabelled = encoding in ("utf-8", "utf8") and text.count("\ufffd") > 20
    if mislabelled or (not ARABIC.search(text) and len(_LATIN1_LETTERS.findall(text)) > 20):
        head = body[:4096].lower()
        if re.search(rb'<html[^>]*(?:lang=["\']?ar|dir=["\']?rtl)', head):
            label = _declared(body, content_type)
            return (body.decode("cp1256", errors="replace"),
                    f"labelled {label}, read as cp1256" if label not in (None, "cp1256")
                    else None)
    return text, None


def parse_html(html: str) -> Any:
    """One lxml tree for every reader of the page."""
    try:
        root = lxml.html.document_fromstring(html, parser=_HTML_PARSER)
    except ValueError:  # an XML declaration in a str
        root = lxml.html.document_fromstring(html.encode("utf-8"), parser=_HTML_PARSER_UTF8)
    except etree.ParserError:
        raise ExtractionError("not_html", "no HTML document in the page") from None
    return root

