"""The outlet registry: one TOML file per outlet, validated when loaded.

An outlet is data: ``crawler/outlets/<id>.toml`` (the id is the file name).
Extra registry folders or files can be added with the ``OUTLETS_PATHS``
setting (or the ``SYRIA_ARCHIVE_OUTLETS`` environment variable, paths
separated by ``os.pathsep``); an entry there with the id of a bundled outlet
replaces it.  Every error names the file, the outlet and the field at fault.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from parsel.csstranslator import HTMLTranslator
from scrapy.utils.url import url_is_from_any_domain

LANGUAGES = ("en", "ar")
DEFAULT_MAX_PAGES = 3
ID_RE = re.compile(r"^[a-z0-9][a-z0-9-]{1,40}$")
DEFAULT_NEXT = "link[rel=next]::attr(href), a[rel=next]::attr(href)"
# How often `syria-archive schedule` has cron crawl an outlet: most news sites are read
# well once a night; a site whose feed holds only its latest few stories needs more.
CADENCES = ("hourly", "nightly", "weekly")
DEFAULT_CADENCE = "nightly"


class RegistryError(ValueError):
    """A registry entry is malformed; the message names file, outlet and field."""


@dataclass(frozen=True)
class Source:
    """A feed or sitemap that lists article URLs."""

    url: str
    syria: bool = False


@dataclass(frozen=True)
class More:
    """The JSON endpoint a section page's "show more" button calls for further stories.

    ``url`` holds ``{offset}`` (and/or ``{page}``); ``items`` is the dotted path to the list
    of stories in the response, ``link``, ``title`` and ``date`` the dotted paths to a
    story's URL (relative ones are joined to the section's), headline and date.
    """

    url: str
    items: str
    link: str
    title: str | None = None
    date: str | None = None
    headers: tuple[tuple[str, str], ...] = ()
    offset: int = 0
    step: int = 10


@dataclass(frozen=True)
class Section:
    """A Syria section or tag page, followed through its pagination."""

    url: str
    next: str = DEFAULT_NEXT
    links: str | None = None
    max_pages: int | None = None
    more: More | None = None


@dataclass(frozen=True)
class Outlet:
    id: str
    name: str
    language: str
    base_url: str
    allowed_domains: tuple[str, ...]
    article_pattern: re.Pattern[str]
    exclude_pattern: re.Pattern[str] | None = None
    all_syria: bool = False
    # Outlets of one media group in several languages (translations are linked, not merged).
    group: str | None = None
    download_delay: float | None = None
    timezone: str = "UTC"
    feeds: tuple[Source, ...] = ()
    sitemaps: tuple[Source, ...] = ()
    sections: tuple[Section, ...] = ()
    path: Path | None = field(default=None, compare=False)
    enabled: bool = True
    cadence: str = DEFAULT_CADENCE

    def is_article(self, url: str) -> bool:
        if self.exclude_pattern is not None and self.exclude_pattern.search(url):
            return False
        return bool(self.article_pattern.search(url))

    @property
    def discovery(self) -> list[str]:
        """Short labels of the discovery sources, for listings."""
        kinds = []
        if self.feeds:
            kinds.append(f"feeds:{len(self.feeds)}")
        if self.sitemaps:
            kinds.append(f"sitemaps:{len(self.sitemaps)}")
        if self.sections:
            kinds.append(f"sections:{len(self.sections)}")
        return kinds


_TOP_KEYS = {
    "name", "language", "base_url", "allowed_domains", "article_pattern", "exclude_pattern",
    "all_syria", "download_delay", "timezone", "feeds", "sitemaps", "sections", "group",
    "enabled", "cadence",
}
_SOURCE_KEYS = {"url", "syria"}
_SECTION_KEYS = {"url", "next", "links", "max_pages", "more"}
_MORE_KEYS = {"url", "items", "link", "title", "date", "headers", "offset", "step"}


class _Checker:
    """Reads one entry's fields, raising errors that say where the problem is."""

    def __init__(self, path: str, outlet_id: str) -> None:
        self.where = f"{path}: outlet {outlet_id!r}"

    def fail(self, fieldname: str, message: str) -> RegistryError:
        return RegistryError(f"{self.where}: field {fieldname!r}: {message}")

    def keys(self, data: dict[str, Any], allowed: set[str], prefix: str = "") -> None:
        for key in data:
            if key not in allowed:
                known = ", ".join(sorted(allowed))
                raise self.fail(prefix + key, f"unknown field (allowed: {known})")

    def string(self, data: dict[str, Any], key: str, *, required: bool = True,
               prefix: str = "") -> str | None:
        value = data.get(key)
        if value is None:
            if required:
                raise self.fail(prefix + key, "is required")
            return None
        if not isinstance(value, str) or not value.strip():
            raise self.fail(prefix + key, f"must be a non-empty string, not {value!r}")
        return value.strip()

    def boolean(self, data: dict[str, Any], key: str, prefix: str = "",
                default: bool = False) -> bool:
        value = data.get(key, default)
        if not isinstance(value, bool):
            raise self.fail(prefix + key, f"must be true or false, not {value!r}")
        return value

    def regex(self, data: dict[str, Any], key: str, *, required: bool) -> re.Pattern[str] | None:
        text = self.string(data, key, required=required)
        if text is None:
            return None
        try:
            return re.compile(text)
        except re.error as exc:
            raise self.fail(key, f"invalid regular expression: {exc}") from None

    def css(self, value: str, fieldname: str) -> str:
        try:
            for part in value.split(","):
                HTMLTranslator().css_to_xpath(part.strip())
        except Exception as exc:  # cssselect raises several error types
            raise self.fail(fieldname, f"invalid CSS selector {value!r}: {exc}") from None
        return value

    def url(self, value: str, fieldname: str, domains: Iterable[str]) -> str:
        parts = urlsplit(value)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise self.fail(fieldname, f"must be an absolute http(s) URL, not {value!r}")
        if not url_is_from_any_domain(value, list(domains)):
            raise self.fail(fieldname, f"host {parts.hostname!r} is not in allowed_domains")
        return value


def parse_outlet(outlet_id: str, data: dict[str, Any], path: str = "<registry>") -> Outlet:
    """Validate one registry entry and build its :class:`Outlet`."""
    check = _Checker(path, outlet_id)
    if not ID_RE.match(outlet_id):
        raise RegistryError(
            f"{path}: outlet id {outlet_id!r} must be 2-41 lowercase letters, digits or '-'"
        )
    check.keys(data, _TOP_KEYS)
    name = check.string(data, "name")
    language = check.string(data, "language")
    if language not in LANGUAGES:
        raise check.fail("language", f"must be one of {', '.join(LANGUAGES)}, not {language!r}")
    domains = data.get("allowed_domains")
    if (not isinstance(domains, list) or not domains
            or not all(isinstance(d, str) and d and "/" not in d for d in domains)):
        raise check.fail("allowed_domains", "must be a non-empty list of host names")
    base_url = check.url(check.string(data, "base_url") or "", "base_url", domains)
    article_pattern = check.regex(data, "article_pattern", required=True)
    assert article_pattern is not None
    exclude_pattern = check.regex(data, "exclude_pattern", required=False)
    delay = data.get("download_delay")
    if delay is not None and (isinstance(delay, bool) or not isinstance(delay, int | float)
                              or delay < 0):
        raise check.fail("download_delay", f"must be a number of seconds >= 0, not {delay!r}")
    group = check.string(data, "group", required=False)
    if group is not None and not ID_RE.match(group):
        raise check.fail("group", f"must be 2-41 lowercase letters, digits or '-', not {group!r}")
    timezone = check.string(data, "timezone", required=False) or "UTC"
    try:
        ZoneInfo(timezone)
    except (ZoneInfoNotFoundError, ValueError):
        raise check.fail("timezone", f"unknown time zone {timezone!r}") from None

    def sources(kind: str) -> tuple[Source, ...]:
        items = data.get(kind, [])
        if not isinstance(items, list):
            raise check.fail(kind, f"must be a list of tables ([[{kind}]])")
        out = []
        for i, item in enumerate(items):
            prefix = f"{kind}[{i}]."
            if not isinstance(item, dict):
                raise check.fail(f"{kind}[{i}]", "must be a table with a url")
            check.keys(item, _SOURCE_KEYS, prefix)
            url = check.url(check.string(item, "url", prefix=prefix) or "", prefix + "url", domains)
            out.append(Source(url=url, syria=check.boolean(item, "syria", prefix)))
        return tuple(out)

    sections = []
    raw_sections = data.get("sections", [])
    if not isinstance(raw_sections, list):
        raise check.fail("sections", "must be a list of tables ([[sections]])")
    for i, item in enumerate(raw_sections):
        prefix = f"sections[{i}]."
        if not isinstance(item, dict):
            raise check.fail(f"sections[{i}]", "must be a table with a url")
        check.keys(item, _SECTION_KEYS, prefix)
        url = check.url(check.string(item, "url", prefix=prefix) or "", prefix + "url", domains)
        nxt = check.css(check.string(item, "next", required=False, prefix=prefix)
                        or DEFAULT_NEXT, prefix + "next")
        links = check.string(item, "links", required=False, prefix=prefix)
        if links is not None:
            check.css(links, prefix + "links")
        max_pages = item.get("max_pages")
        if max_pages is not None and (isinstance(max_pages, bool)
                                      or not isinstance(max_pages, int) or max_pages < 1):
            raise check.fail(prefix + "max_pages",
                             f"must be a whole number >= 1, not {max_pages!r}")
        sections.append(Section(url=url, next=nxt, links=links, max_pages=max_pages,
                                more=parse_more(check, item.get("more"), prefix + "more.",
                                                domains)))

    feeds, sitemaps = sources("feeds"), sources("sitemaps")
    cadence = check.string(data, "cadence", required=False) or DEFAULT_CADENCE
    if cadence not in CADENCES:
        raise check.fail("cadence", f"must be one of {', '.join(CADENCES)}, not {cadence!r}")
    if not (feeds or sitemaps or sections):
        raise check.fail("feeds", "an outlet needs at least one feed, sitemap or section")
    return Outlet(
        id=outlet_id, name=name or outlet_id, language=language, base_url=base_url,
        allowed_domains=tuple(domains), article_pattern=article_pattern,
        exclude_pattern=exclude_pattern, all_syria=check.boolean(data, "all_syria"), group=group,
        download_delay=float(delay) if delay is not None else None, timezone=timezone,
        feeds=feeds, sitemaps=sitemaps, sections=tuple(sections),
        path=Path(path) if path != "<registry>" else None,
        enabled=check.boolean(data, "enabled", default=True), cadence=cadence,
    )


def parse_more(check: _Checker, data: Any, prefix: str, domains: list[str]) -> More | None:
    """A section's ``[sections.more]`` table (see :class:`More`), validated."""
    if data is None:
        return None
    if not isinstance(data, dict):
        raise check.fail(prefix.rstrip("."), "must be a table ([sections.more])")
    check.keys(data, _MORE_KEYS, prefix)
    url = check.url(check.string(data, "url", prefix=prefix) or "", prefix + "url", domains)
    if "{offset}" not in url and "{page}" not in url:
        raise check.fail(prefix + "url", "must hold {offset} or {page}, where the next "
                                         "batch is asked for")
    numbers = {}
    for name, low, default in (("offset", 0, 0), ("step", 1, 10)):
        value = data.get(name, default)
        if isinstance(value, bool) or not isinstance(value, int) or value < low:
            raise check.fail(prefix + name, f"must be a whole number >= {low}, not {value!r}")
        numbers[name] = value
    headers = data.get("headers", {})
    if not isinstance(headers, dict) or not all(
            isinstance(k, str) and isinstance(v, str) for k, v in headers.items()):
        raise check.fail(prefix + "headers", "must be a table of header names to strings")
    return More(url=url, items=check.string(data, "items", prefix=prefix) or "",
                link=check.string(data, "link", prefix=prefix) or "",
                title=check.string(data, "title", required=False, prefix=prefix),
                date=check.string(data, "date", required=False, prefix=prefix),
                headers=tuple(sorted(headers.items())), offset=numbers["offset"],
                step=numbers["step"])


def load_text(outlet_id: str, text: str, where: str) -> Outlet:
    """One registry entry from its TOML text; ``where`` names it in errors."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise RegistryError(f"{where}: not valid TOML: {exc}") from None
    return parse_outlet(outlet_id, data, where)


def load_file(path: Path) -> Outlet:
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise RegistryError(f"{path}: cannot read: {exc}") from None
    return load_text(path.stem, text, str(path))


class Registry:
    """All outlets, by id, in the order of their ids."""

    def __init__(self, outlets: Iterable[Outlet]) -> None:
        self._outlets = {o.id: o for o in sorted(outlets, key=lambda o: o.id)}

    @classmethod
    def load(cls, extra_paths: Iterable[str | Path] = ()) -> Registry:
        outlets: dict[str, Outlet] = {}
        bundled = resources.files("crawler") / "outlets"
        for entry in sorted(bundled.iterdir(), key=lambda e: e.name):
            if entry.name.endswith(".toml"):
                # read through importlib.resources: works from an egg (scrapyd) too
                outlets[entry.name[:-5]] = load_text(
                    entry.name[:-5], entry.read_text(encoding="utf-8"),
                    f"crawler/outlets/{entry.name}")
        for extra in extra_paths:
            p = Path(extra)
            if p.is_dir():
                files = sorted(p.glob("*.toml"))
            elif p.is_file():
                files = [p]
            else:
                raise RegistryError(f"{p}: registry path does not exist (OUTLETS_PATHS)")
            for f in files:
                outlet = load_file(f)
                outlets[outlet.id] = outlet
        return cls(outlets.values())

    def __iter__(self) -> Iterator[Outlet]:
        return iter(self._outlets.values())

    def __len__(self) -> int:
        return len(self._outlets)

    def __contains__(self, outlet_id: object) -> bool:
        return outlet_id in self._outlets

    def __getitem__(self, outlet_id: str) -> Outlet:
        try:
            return self._outlets[outlet_id]
        except KeyError:
            known = ", ".join(self.ids())
            raise KeyError(f"unknown outlet {outlet_id!r} (known: {known})") from None

    def ids(self) -> list[str]:
        return list(self._outlets)

    def enabled(self, cadence: str | None = None) -> list[Outlet]:
        """The outlets crawled when none is named: those not switched off with
        ``enabled = false``, of one cadence when ``cadence`` is given."""
        return [o for o in self if o.enabled and cadence in (None, o.cadence)]
