"""Listing a new page where the outlet lists its stories: RSS/Atom feeds, sitemaps, section pages.

A story's ``listed = ["feed.xml", "section/tags-syria.html", ...]`` names the saved listing
files that carry it.  Each is edited only when the story's URL is missing from it, in the
file's own form: an RSS ``<item>`` or Atom ``<entry>`` copied from the newest one, a sitemap
``<url>`` (with its ``news:`` fields), or a section page's card copied from the first
article card and given the new link and headline.  Listings are newest first, so the entry
goes where the story's date puts it.
"""

from __future__ import annotations

import copy
import re
from datetime import UTC, datetime
from email.utils import format_datetime
from pathlib import Path
from typing import Any
from urllib.parse import quote, urljoin

import lxml.html
from fmt import visible_date
from lxml import etree

NS = {"sm": "http://www.sitemaps.org/schemas/sitemap/0.9",
      "news": "http://www.google.com/schemas/sitemap-news/0.9",
      "atom": "http://www.w3.org/2005/Atom", "dc": "http://purl.org/dc/elements/1.1/"}


def _variants(url: str) -> set[str]:
    return {url, quote(url, safe=":/?=&%#"), url.replace("&", "&amp;"),
            quote(url, safe=":/?=&%#").replace("&", "&amp;")}


def listed(text: str, url: str) -> bool:
    return any(v in text for v in _variants(url))


def _xml(path: Path) -> Any:
    parser = etree.XMLParser(remove_blank_text=False, strip_cdata=False)
    return etree.parse(str(path), parser)


def _when(story: dict[str, Any]) -> datetime:
    when = datetime.fromisoformat(_listed_date(story))
    return when if when.tzinfo else when.replace(tzinfo=UTC)


def _listed_date(story: dict[str, Any]) -> str:
    """The date a listing gives: ``list_date`` when the page itself gives only the day."""
    return story.get("list_date") or story.get("modified") or story["published"]


def _set(el: Any, tag: str, value: str, ns: dict[str, str] | None = None) -> None:
    found = el.find(tag, ns)
    if found is not None:
        found.text = value


def add_to_feed(path: Path, story: dict[str, Any]) -> str:
    tree = _xml(path)
    root = tree.getroot()
    items = root.findall("./channel/item")
    if items:
        new = copy.deepcopy(items[0])
        _set(new, "title", story.get("list_title", story["title"]))
        _set(new, "link", story.get("list_url", story["url"]))
        _set(new, "description", story["description"])
        _set(new, "pubDate", format_datetime(datetime.fromisoformat(story.get("list_date") or story["published"])))
        _set(new, "guid", story.get("guid", story.get("list_url", story["url"])))
        _set(new, "dc:creator", ", ".join(a if isinstance(a, str) else a["name"]
                                          for a in story.get("authors", [])) or story.get(
            "feed_author", ""), NS)
        for cat in new.findall("category"):
            new.remove(cat)
        anchor = new.find("pubDate")
        for t in story.get("tags", []):
            c = etree.SubElement(new, "category")
            c.text = t
            if anchor is not None:
                anchor.addprevious(c)
                c.tail = "\n      "
        for m in new.findall("{http://search.yahoo.com/mrss/}content") + new.findall(
                "enclosure"):
            m.set("url", story["image"])
        _insert_by_date(items, new, story, lambda i: i.findtext("pubDate"))
    else:
        entries = root.findall("atom:entry", NS)
        new = copy.deepcopy(entries[0])
        _set(new, "atom:title", story.get("list_title", story["title"]), NS)
        link = new.find("atom:link", NS)
        if link is not None:
            link.set("href", story.get("list_url", story["url"]))
        _set(new, "atom:id", story.get("list_url", story["url"]), NS)
        _set(new, "atom:published", story["published"], NS)
        _set(new, "atom:updated", story.get("modified", story["published"]), NS)
        _set(new, "atom:summary", story["description"], NS)
        _insert_by_date(entries, new, story, lambda e: e.findtext("atom:updated", None, NS))
    return _dump(tree)


def _parse_when(value: str | None) -> datetime | None:
    from email.utils import parsedate_to_datetime
    if not value:
        return None
    try:
        return datetime.fromisoformat(value.strip())
    except ValueError:
        try:
            return parsedate_to_datetime(value.strip())
        except (TypeError, ValueError):
            return None


def _insert_by_date(siblings: list[Any], new: Any, story: dict[str, Any], date_of: Any) -> None:
    when = _when(story)
    for el in siblings:
        other = _parse_when(date_of(el))
        if other is None or other.tzinfo is None or other <= when:
            el.addprevious(new)
            new.tail = el.getprevious().tail if el.getprevious() is not None else el.tail
            return
    siblings[-1].addnext(new)
    new.tail = siblings[-1].tail


def add_to_sitemap(path: Path, story: dict[str, Any]) -> str:
    tree = _xml(path)
    urls = tree.getroot().findall("sm:url", NS)
    new = copy.deepcopy(urls[0])
    _set(new, "sm:loc", story.get("list_url", story["url"]), NS)
    _set(new, "sm:lastmod", _listed_date(story), NS)
    _set(new, ".//news:title", story.get("list_title", story["title"]), NS)
    _set(new, ".//news:publication_date", story["published"], NS)
    _set(new, ".//news:keywords", ", ".join(story.get("tags", [])), NS)
    for img in new.iter("{http://www.google.com/schemas/sitemap-image/1.1}loc"):
        img.text = story["image"]
    _insert_by_date(urls, new, story, lambda u: u.findtext("sm:lastmod", None, NS))
    return _dump(tree)


def _dump(tree: Any) -> str:
    head = '<?xml version="1.0" encoding="{}"?>\n'.format(tree.docinfo.encoding or "UTF-8")
    return head + etree.tostring(tree.getroot(), encoding="unicode") + "\n"


def add_to_section(path: Path, story: dict[str, Any], pattern: re.Pattern[str],
                   region: str | None) -> str:
    text = path.read_text(encoding="utf-8")
    root = lxml.html.document_fromstring(text)
    scope = root.cssselect(region)[0] if region and root.cssselect(region) else root
    base = story["url"]
    link = card = None
    for a in scope.iter("a"):  # the first article link that sits in a list of like cards
        if not (a.get("href") and pattern.search(quote(urljoin(base, a.get("href")),
                                                       safe=":/?=&%#"))):
            continue
        el = a
        while el.getparent() is not None and el.getparent().tag != "body":
            parent = el.getparent()
            if sum(1 for c in parent if c.tag == el.tag and _kind(c) & _kind(el)) > 1:
                link, card = a, el
                break
            el = parent
        if card is not None:
            break
    if link is None or card is None:
        raise ValueError(f"{path}: no list of article cards to copy a card from")
    old_href = link.get("href")
    new = copy.deepcopy(card)
    for a in new.iter("a"):
        if a.get("href") == old_href:
            a.set("href", story.get("list_url", story["url"]))
    heading = next((el for el in new.iter("h2", "h3", "h4", "span", "div", "a")
                    if _has(el, "title", "headline") or el.tag in ("h2", "h3", "h4")), None)
    link_copy = next(a for a in new.iter("a") if a.get("href") == story.get("list_url",
                                                                            story["url"]))
    target = heading if heading is not None else link_copy
    while len(target) == 1 and not (target.text or "").strip():
        target = target[0]
    for child in list(target):
        target.remove(child)
    target.text = story.get("list_title", story["title"])
    lang = "ar" if re.search("[\u0600-\u06ff]", story["title"]) else "en"
    for el in new.iter():
        if not isinstance(el.tag, str):
            continue
        if (_has(el, "desc", "excerpt", "summary", "teaser", "dek") and el.find(".//a") is None
                and el.find(".//img") is None and target not in el.iter()):
            for child in list(el):
                el.remove(child)
            el.text = story["description"]
        if el.get("datetime"):
            el.set("datetime", story.get("list_date") or story["published"])
            if el.text and el.text.strip():
                el.text = visible_date(story["published"], "{day} {month_ar} {year}"
                                       if lang == "ar" else "{day} {month} {year}")
        if el.tag == "img":
            el.set("src", story["image"])
            el.set("alt", story.get("list_title", story["title"]))
    new.tail = card.tail
    card.addprevious(new)
    doctype = re.match(r"\s*(<!doctype[^>]*>)", text, re.I)
    return (doctype.group(1) + "\n" if doctype else "") + lxml.html.tostring(
        root, encoding="unicode") + "\n"


def _kind(el: Any) -> set[str]:
    return set((el.get("class") or "").split()) or {""}


def _has(el: Any, *words: str) -> bool:
    cls = (el.get("class") or "").lower()
    return any(w in cls for w in words)


def add(folder: Path, listing: str, story: dict[str, Any], pattern: re.Pattern[str],
        region: str | None, current: str) -> str | None:
    """The listing file's new text, or None when it lists the story already."""
    if listed(current, story.get("list_url", story["url"])):
        return None
    path = folder / listing
    tmp = path.with_suffix(path.suffix + ".tmp")
    tmp.write_text(current, encoding="utf-8")
    try:
        if listing.endswith(".html"):
            return add_to_section(tmp, story, pattern, region)
        head = current[:600]
        if "<urlset" in head:
            return add_to_sitemap(tmp, story)
        return add_to_feed(tmp, story)
    finally:
        tmp.unlink()
