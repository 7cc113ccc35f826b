"""Per-outlet selector classes: code for an outlet only where data cannot say it.

A registry entry names its parser as ``parser = "crawler.parsers.aawsat:AawsatParser"``.
A parser is a small class of CSS selectors; each one left as ``None`` means
"the generic extractor is right here".  A redesign of an outlet's pages is a
new subclass (``AawsatParserV2``), never an ``if date < X``.
"""

from __future__ import annotations

from importlib import import_module
from typing import ClassVar


class ArticleParser:
    """The generic parser: every field comes from the generic extractor."""

    #: elements removed before anything is read (duplicated mobile headers, widgets)
    remove: ClassVar[tuple[str, ...]] = ()
    #: the article body's container; its paragraphs are taken in reading order
    body: ClassVar[str | None] = None
    title: ClassVar[str | None] = None
    authors: ClassVar[str | None] = None
    published: ClassVar[str | None] = None
    captions: ClassVar[str | None] = None
    credits: ClassVar[str | None] = None
    #: short strings the outlet prints on its pages that are no part of any
    #: article (font-size toggles and the like), removed by the clean pipeline
    markers: ClassVar[tuple[str, ...]] = ()


class ParserError(ValueError):
    """A parser reference does not name an :class:`ArticleParser` subclass."""


def load_parser(ref: str) -> type[ArticleParser]:
    """Import ``"package.module:ClassName"`` and check it is an ArticleParser."""
    module_name, sep, class_name = ref.partition(":")
    if not sep or not module_name or not class_name:
        raise ParserError(f"must be 'package.module:ClassName', not {ref!r}")
    try:
        module = import_module(module_name)
    except ImportError as exc:
        raise ParserError(f"cannot import {module_name!r}: {exc}") from None
    cls = getattr(module, class_name, None)
    if not (isinstance(cls, type) and issubclass(cls, ArticleParser)):
        raise ParserError(f"{ref!r} is not an ArticleParser subclass")
    return cls
