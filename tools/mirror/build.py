"""Build the offline mirror's article pages: new pages from the stories, furniture on all.

    .venv/bin/python tools/mirror/build.py [OUTLET...]     # write crawler/mirror/pages
    .venv/bin/python tools/mirror/build.py --check          # exit 1 when a page is not current

Two passes, both deterministic:

1. Pages of ``tools/mirror/stories/OUTLET.toml`` (texts written for this project) are
   written in the outlet's own markup: ``kind = "page"`` follows a saved article page of the
   outlet (``base``), whose headline, byline, dates, image, tags, body and structured data are
   replaced, with the layout's own parts (opinion label and author note, live-blog
   updates, photo gallery, video player); ``kind = "amp"`` and ``kind = "print"`` are the
   AMP and printer-friendly variants of another page, from ``templates/``.
2. Furniture (``chrome.py``): every saved article page of the outlet gets the site's
   menus, consent dialog, most-read and more-from lists, newsletter and ad slots, footer,
   page-state scripts, inline CSS and icon sprite, between ``<!-- mirror:NAME -->`` markers,
   so the pass can be run again and gives the same bytes.

Routes and their hand labels stay in ``routes.toml``, written by hand: this tool never
touches them.  Listing pages, feeds and sitemaps are saved by hand too.
"""

from __future__ import annotations

import argparse
import copy
import html as htmlmod
import json
import re
import sys
import tomllib
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlsplit

import lxml.html
from jinja2 import Environment, FileSystemLoader, StrictUndefined

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
PAGES = ROOT / "crawler" / "mirror" / "pages"
sys.path.insert(0, str(HERE))

import chrome  # noqa: E402
import listings  # noqa: E402
from fmt import ARABIC_INDIC, date_fields  # noqa: E402

LABELS = {
    "en": {"opinion": "Opinion", "analysis": "Analysis", "live": "Live", "feature": "Feature",
           "gallery": "In Pictures", "video": "Video"},
    "ar": {"opinion": "رأي", "analysis": "تحليل", "live": "مباشر", "feature": "تقرير",
           "gallery": "صور", "video": "فيديو"},
}
LD_TYPES = {"opinion": "OpinionNewsArticle", "analysis": "AnalysisNewsArticle",
            "live": "LiveBlogPosting", "gallery": "ImageGallery", "video": "VideoObject"}
ARTICLE_LD = {"NewsArticle", "ReportageNewsArticle", "AnalysisNewsArticle", "OpinionNewsArticle",
              "Article", "BlogPosting", "LiveBlogPosting", "ImageGallery", "VideoObject"}


class BuildError(ValueError):
    pass


def load_sites() -> dict[str, dict[str, Any]]:
    return tomllib.loads((HERE / "sites.toml").read_text(encoding="utf-8"))


def load_stories(outlet: str) -> list[dict[str, Any]]:
    path = HERE / "stories" / f"{outlet}.toml"
    if not path.is_file():
        return []
    pages = tomllib.loads(path.read_text(encoding="utf-8")).get("page", [])
    for p in pages:
        p.setdefault("kind", "page")
        p["_where"] = f"{path.relative_to(ROOT)}: {p.get('file')}"
    return pages


# -- reading a saved page -------------------------------------------------------

def parse(html: str) -> Any:
    return lxml.html.document_fromstring(html)


def serialize(root: Any, original: str) -> str:
    doctype = re.match(r"\s*(<!doctype[^>]*>)", original, re.I)
    out = lxml.html.tostring(root, encoding="unicode")
    return (doctype.group(1) + "\n" if doctype else "") + out + "\n"


def one(root: Any, css: str | None) -> Any:
    if not css:
        return None
    found = root.cssselect(css)
    return found[0] if found else None


def text_of(el: Any) -> str:
    return re.sub(r"\s+", " ", el.text_content()).strip() if el is not None else ""


def meta(root: Any, name: str) -> str | None:
    for el in root.xpath(f'//meta[@property="{name}" or @name="{name}"]'):
        return el.get("content")
    return None


def ld_objects(root: Any) -> list[tuple[Any, Any]]:
    out = []
    for script in root.xpath('//script[@type="application/ld+json"]'):
        try:
            out.append((script, json.loads(script.text or "")))
        except ValueError:
            continue
    return out


def walk_ld(data: Any) -> Any:
    if isinstance(data, list):
        for x in data:
            yield from walk_ld(x)
    elif isinstance(data, dict):
        yield data
        for key in ("@graph", "mainEntity"):
            if isinstance(data.get(key), list | dict):
                yield from walk_ld(data[key])


def is_article_ld(obj: dict[str, Any]) -> bool:
    t = obj.get("@type")
    types = {t} if isinstance(t, str) else set(t or [])
    return bool(types & ARTICLE_LD)


def read_page(site: dict[str, Any], html: str) -> dict[str, Any]:
    """What a saved article page of the outlet says: enough to follow it or to print it."""
    root = parse(html)
    body = one(root, site["body"])
    paras = []
    if body is not None:
        skip = set()
        for inline in body.cssselect(site["body_inline"]) if site.get("body_inline") else []:
            skip |= set(inline.iter())
        for el in body.iter("p", "h2", "h3", "blockquote"):
            if el in skip or (el.getparent() is not None and el.getparent().tag == "blockquote"):
                continue
            t = text_of(el)
            if t:
                paras.append(("## " if el.tag in ("h2", "h3") else "") + t)
    canonical = root.xpath('//link[@rel="canonical"]/@href')
    authors: list[str] = []
    for _, data in ld_objects(root):
        for obj in walk_ld(data):
            if is_article_ld(obj):
                a = obj.get("author")
                for x in a if isinstance(a, list) else [a]:
                    if isinstance(x, dict) and x.get("@type") == "Person" and x.get("name"):
                        authors.append(x["name"])
                break
    return {
        "title": text_of(one(root, site["title"])),
        "description": meta(root, "description") or meta(root, "og:description") or "",
        "url": canonical[0] if canonical else meta(root, "og:url") or "",
        "image": meta(root, "og:image") or "",
        "caption": text_of(one(root, site.get("caption"))),
        "published": meta(root, "article:published_time") or "",
        "modified": meta(root, "article:modified_time") or "",
        "authors": authors,
        "paragraphs": paras,
    }


# -- writing a page that follows a saved one --------------------------------------

def fragments(html: str) -> list[Any]:
    return lxml.html.fragments_fromstring(html) if html.strip() else []


def set_inner(el: Any, html: str) -> None:
    for child in list(el):
        el.remove(child)
    el.text = None
    last = None
    for frag in fragments(html):
        if isinstance(frag, str):
            if last is None:
                el.text = (el.text or "") + frag
            else:
                last.tail = (last.tail or "") + frag
        else:
            el.append(frag)
            last = frag


def set_text(el: Any, text: str) -> None:
    """The element's text, kept inside its innermost single wrapper (<span>, <em>, <p>)."""
    while len(el) == 1 and not (el.text or "").strip() and not (el[0].tail or "").strip():
        el = el[0]
    for child in list(el):
        el.remove(child)
    el.text = text


def slug(name: str) -> str:
    s = re.sub(r"[^\w\s-]", "", name.lower(), flags=re.U)
    return re.sub(r"[\s_]+", "-", s).strip("-")


def slug_url(name: str) -> str:
    return quote(slug(name), safe="-")


def fmt_date(template: str, iso: str, digits: str = "latin") -> str:
    fields = date_fields(iso)
    if digits == "arabic":
        fields = {k: (v if k == "iso" else v.translate(ARABIC_INDIC)) for k, v in fields.items()}
    return template.format(**fields)


def names_html(site: dict[str, Any], story: dict[str, Any]) -> str:
    parts = []
    for a in story.get("authors", []):
        name = a if isinstance(a, str) else a["name"]
        aslug = (a.get("slug") if isinstance(a, dict) else None) or slug_url(name)
        parts.append(site["author_html"].format(name=htmlmod.escape(name), slug=aslug))
    return site["author_sep"].join(parts)


def paragraphs_html(text: str) -> str:
    out = []
    for block in re.split(r"\n\s*\n", text.strip()):
        block = " ".join(block.split())
        if not block:
            continue
        if block.startswith("## "):
            out.append(f"<h2>{block[3:]}</h2>")
        elif block.startswith("> "):
            out.append(f"<blockquote><p>{block[2:]}</p></blockquote>")
        else:
            out.append(f"<p>{block}</p>")
    return "\n".join(out)


def live_html(story: dict[str, Any], site: dict[str, Any]) -> str:
    out = ['<div class="liveblog" data-live="true">']
    for i, e in enumerate(story["entries"]):
        when = fmt_date(story.get("entry_time", "{HH}:{MM} GMT"), e["time"], story.get("digits", "latin"))
        out.append(f'<article class="liveblog__update" id="update-{len(story["entries"]) - i}">'
                   f'<div class="liveblog__time"><time datetime="{e["time"]}">{when}</time></div>'
                   f'<h2 class="liveblog__title">{e["title"]}</h2>'
                   f'<div class="liveblog__body">{paragraphs_html(e["text"])}</div></article>')
    out.append("</div>")
    return "\n".join(out)


def gallery_html(story: dict[str, Any]) -> str:
    out = ['<div class="photo-gallery" data-gallery="true">']
    n = len(story["photos"])
    for i, p in enumerate(story["photos"], 1):
        src = story["image"].rsplit(".", 1)[0] + f"-{i:02d}.jpg"
        out.append(f'<figure class="photo-gallery__item"><img src="{src}" alt="" loading="lazy" '
                   f'width="1200" height="800"><figcaption><span class="photo-gallery__count">'
                   f'{i}/{n}</span> {p}</figcaption></figure>')
    out.append("</div>")
    return "\n".join(out)


def video_html(story: dict[str, Any]) -> str:
    v = story["video"]
    return (f'<div class="video-player" data-video-id="{v["id"]}"><div class="video-player__frame">'
            f'<iframe src="https://www.youtube.com/embed/{v["id"]}?rel=0" title="{htmlmod.escape(story["title"])}" '
            f'allow="autoplay; encrypted-media; picture-in-picture" allowfullscreen loading="lazy" '
            f'width="1280" height="720"></iframe></div><div class="video-player__duration">'
            f'{v["duration_text"]}</div></div>')


def person(site: dict[str, Any], a: Any) -> dict[str, Any]:
    name = a if isinstance(a, str) else a["name"]
    aslug = (a.get("slug") if isinstance(a, dict) else None) or slug_url(name)
    return {"@type": "Person", "name": name, "url": f"https://{site['host']}/author/{aslug}"}


def rewrite_ld(site: dict[str, Any], story: dict[str, Any], obj: dict[str, Any]) -> None:
    layout = story.get("layout", "news")
    if layout in LD_TYPES:
        obj["@type"] = LD_TYPES[layout]
    title = story.get("seo_title", story["title"])
    for key in ("headline", "name"):
        if key in obj or key == "headline":
            obj[key] = title
    obj["description"] = story["description"]
    obj["datePublished"] = story["published"]
    obj["dateModified"] = story.get("modified", story["published"])
    authors = story.get("authors", [])
    publisher = obj.get("publisher") if isinstance(obj.get("publisher"), dict) else {
        "@type": "NewsMediaOrganization", "name": site["name"], "url": f"https://{site['host']}/"}
    obj["author"] = ([person(site, a) for a in authors] if authors
                     else [{"@type": "Organization", "name": publisher.get("name", site["name"])}])
    if "image" in obj:
        img = obj["image"]
        if isinstance(img, dict):
            img["url"] = story["image"]
        else:
            obj["image"] = [story["image"]]
    if "articleSection" in obj and story.get("section"):
        obj["articleSection"] = story["section"][0]
    if "keywords" in obj:
        obj["keywords"] = story.get("tags", [])
    if isinstance(obj.get("about"), list):
        obj["about"] = [{"@type": "Thing", "name": t} for t in story.get("tags", [])]
    if "mainEntityOfPage" in obj:
        obj["mainEntityOfPage"] = {"@type": "WebPage", "@id": story["url"]}
    if "url" in obj:
        obj["url"] = story["url"]
    if layout == "live":
        obj["coverageStartTime"] = story["published"]
        obj["coverageEndTime"] = story["entries"][0]["time"]
        obj["liveBlogUpdate"] = [{"@type": "BlogPosting", "headline": e["title"],
                                  "datePublished": e["time"],
                                  "url": f"{story['url']}?update={len(story['entries']) - i}"}
                                 for i, e in enumerate(story["entries"])]
        obj.pop("articleBody", None)
    if layout == "gallery":
        obj.pop("headline", None)
        obj["name"] = title
        obj["associatedMedia"] = [{"@type": "ImageObject", "caption": p,
                                   "contentUrl": story["image"].rsplit(".", 1)[0] + f"-{i:02d}.jpg"}
                                  for i, p in enumerate(story["photos"], 1)]
    if layout == "video":
        v = story["video"]
        for key in ("headline", "articleSection", "keywords", "about", "isAccessibleForFree"):
            obj.pop(key, None)
        obj["name"] = title
        obj["uploadDate"] = story["published"]
        obj["duration"] = v["duration"]
        obj["thumbnailUrl"] = [story["image"]]
        obj["embedUrl"] = f"https://www.youtube.com/embed/{v['id']}"
    for key, value in story.get("ld", {}).items():  # structured data that disagrees with the page
        if key == "author" and value == "organization":
            obj["author"] = {"@type": "Organization", "name": site["name"],
                             "url": f"https://{site['host']}/"}
        elif value == "":
            obj.pop(key, None)
        else:
            obj[key] = value


def derive(site: dict[str, Any], story: dict[str, Any], base_html: str) -> str:
    """A new page in the markup of a saved page of the outlet (see the module docstring)."""
    old = read_page(site, base_html)
    layout = story.get("layout", "news")
    digits = story.get("digits", "latin")
    html = base_html
    swaps = []
    if old["url"]:
        for enc in (lambda u: u, lambda u: quote(u, safe=":/?=&%"), lambda u: quote(u, safe=""),
                    lambda u: quote(quote(u, safe=":/?=&%"), safe="")):
            swaps.append((enc(old["url"]), enc(story["url"])))
        old_path, new_path = urlsplit(old["url"]).path, urlsplit(story["url"]).path
        if len(old_path) > 8:
            swaps.append((old_path, new_path))
            swaps.append((quote(old_path, safe="/%"), quote(new_path, safe="/%")))
    for field, new in (("title", story["title"]), ("description", story["description"]),
                       ("image", story["image"])):
        if old[field]:
            for enc in (lambda s: s, htmlmod.escape, lambda s: htmlmod.escape(s, quote=False),
                        lambda s: htmlmod.escape(s).replace("&#x27;", "&#39;")):
                swaps.append((enc(old[field]), enc(new)))
    if story.get("base_id") and story.get("id"):
        swaps.append((str(story["base_id"]), str(story["id"])))
    for a, b in swaps:
        if a and a != b:
            html = html.replace(a, b)
    root = parse(html)

    # head: meta tags and structured data
    title = story["title"]
    seo = story.get("seo_title", title)
    for name, value in (("og:title", seo), ("twitter:title", seo),
                        ("article:published_time", story["published"]),
                        ("article:modified_time", story.get("modified", story["published"])),
                        ("og:updated_time", story.get("modified", story["published"]))):
        for el in root.xpath(f'//meta[@property="{name}" or @name="{name}"]'):
            el.set("content", value)
    for el in root.xpath('//meta[@property="article:section"]'):
        if story.get("section"):
            el.set("content", story["section"][0])
    tag_metas = root.xpath('//meta[@property="article:tag"]')
    if tag_metas:
        anchor = tag_metas[0]
        for t in story.get("tags", []):
            new = copy.deepcopy(anchor)
            new.set("content", t)
            new.tail = "\n"
            anchor.addprevious(new)
        for el in tag_metas:
            el.getparent().remove(el)
    for el in root.xpath('//meta[@name="author" or @property="article:author"]'):
        names = [a if isinstance(a, str) else a["name"] for a in story.get("authors", [])]
        el.set("content", ", ".join(names) or story.get("byline_text") or site["name"])
    if story.get("og_type"):
        for el in root.xpath('//meta[@property="og:type"]'):
            el.set("content", story["og_type"])
    titles = root.xpath("//head/title")
    if titles and old["title"] and old["title"] in (titles[0].text or ""):
        titles[0].text = titles[0].text.replace(old["title"], seo)
    for script, data in ld_objects(root):
        for obj in walk_ld(data):
            if is_article_ld(obj):
                rewrite_ld(site, story, obj)
                break
        script.text = json.dumps(data, ensure_ascii=False, indent=1)
    strip = set(story.get("strip", []))
    if "jsonld" in strip:
        for script, _ in ld_objects(root):
            script.getparent().remove(script)
    if "article-meta" in strip:
        for el in root.xpath('//meta[starts-with(@property, "article:") or '
                             'starts-with(@name, "article:") or @property="og:updated_time"]'):
            el.getparent().remove(el)

    # the visible page
    h1 = one(root, site["title"])
    if h1 is None:
        raise BuildError(f"{story['_where']}: base page has no {site['title']}")
    set_text(h1, title)
    summary = one(root, site.get("summary"))
    if summary is not None:
        set_inner(summary, site.get("summary_html", "{text}").format(
            text=htmlmod.escape(story.get("summary", story["description"]))))
    byline = one(root, site.get("byline"))
    if byline is not None:
        if story.get("authors"):
            form = site["byline_html"] if story.get("place") else site["byline_noplace_html"]
            set_inner(byline, form.format(names=names_html(site, story),
                                          place=htmlmod.escape(story.get("place", ""))))
        elif story.get("byline_text"):
            set_inner(byline, htmlmod.escape(story["byline_text"]))
        else:
            byline.getparent().remove(byline)
    for which in ("published", "modified"):
        el = one(root, site.get(which))
        if el is None:
            continue
        iso = story.get(which) or story["published"]
        if story.get("hide_time") and which == "published":
            el.set("data-hidden", "true")
        if site.get(f"{which}_attr"):
            el.set("datetime", iso)
            el.text = fmt_date(site[f"{which}_text"], iso, digits)
        else:
            set_inner(el, fmt_date(site[f"{which}_html"], iso, digits))
        if "visible-date-only" in strip:
            for t in [el, *el.iter()]:
                if t.get("datetime"):
                    del t.attrib["datetime"]
    sec = one(root, site.get("section"))
    if sec is None:
        sec = one(root, site.get("breadcrumb"))
    if sec is not None and story.get("section"):
        sec.text = story["section"][0]
        sec.set("href", story["section"][1])
    img = one(root, site.get("image"))
    if img is not None:
        img.set("src", story["image"])
        img.set("alt", story.get("caption", title))
    cap = one(root, site.get("caption"))
    if cap is not None:
        set_text(cap, story.get("caption", ""))
    tags = one(root, site.get("tags"))
    if tags is not None:
        set_inner(tags, site.get("tags_prefix", "") + "".join(
            site["tag_html"].format(name=htmlmod.escape(t), slug=slug_url(t))
            for t in story.get("tags", [])))
    if layout in ("opinion", "analysis", "live", "gallery", "video", "feature"):
        label = story.get("label", LABELS[site["lang"]][layout])
        heading = h1 if h1.tag == "h1" else next(h1.iterancestors("h1"), h1)
        for frag in fragments(site["kicker"].format(label=label)):
            if not isinstance(frag, str):
                frag.tail = "\n"
                heading.addprevious(frag)

    if layout == "video":
        fig = img
        while fig is not None and fig.tag != "figure":
            fig = fig.getparent()
        target = fig if fig is not None else one(root, site["body"])
        player = fragments(video_html(story))[0]
        player.tail = "\n"
        target.addprevious(player)
        if fig is not None:
            fig.getparent().remove(fig)
    # the body
    body = one(root, site["body"])
    if body is None:
        raise BuildError(f"{story['_where']}: base page has no {site['body']}")
    keep = [copy.deepcopy(c) for c in body.cssselect(site["body_keep"])] if site.get(
        "body_keep") else []
    inline = one(body, site.get("body_inline"))
    inline = copy.deepcopy(inline) if inline is not None else None
    parts = [paragraphs_html(story.get("body", ""))]
    if layout == "live":
        parts.append(live_html(story, site))
    elif layout == "gallery":
        parts.append(gallery_html(story))
    if story.get("bio"):
        parts.append(f'<p class="author-note"><em>{story["bio"]}</em></p>')
    set_inner(body, "\n".join(p for p in parts if p))
    body.text = "\n"
    for i, k in enumerate(keep):
        k.tail = "\n"
        body.insert(i, k)
    if inline is not None and layout in ("news", "analysis", "feature"):
        paras = body.findall("p")
        if len(paras) > 4:
            inline.tail = "\n"
            paras[2].addnext(inline)
    if layout in ("gallery", "video") and site["family"] == "wordpress":
        fmt = "format-" + layout
        for el in root.xpath('//*[contains(@class, "format-standard")]'):
            el.set("class", el.get("class").replace("format-standard", fmt))
    return serialize(root, base_html)


# -- AMP and print variants ----------------------------------------------------------

def templates() -> Environment:
    env = Environment(loader=FileSystemLoader(HERE / "templates"), undefined=StrictUndefined,
                      autoescape=True, keep_trailing_newline=True)
    env.filters["date"] = lambda iso, template, digits="latin": fmt_date(template, iso, digits)
    env.filters["paragraphs"] = lambda text: paragraphs_html(text)
    return env


def variant(site: dict[str, Any], outlet: str, story: dict[str, Any], source: dict[str, Any],
            env: Environment) -> str:
    from markupsafe import Markup

    body = story.get("body") or "\n\n".join(source["paragraphs"])
    context = {
        "site": site, "outlet": outlet, "story": story, "source": source,
        "title": source["title"], "description": source["description"],
        "canonical": source["url"], "image": source["image"], "caption": source["caption"],
        "authors": story.get("authors", source["authors"]),
        "published": story.get("published") or source["published"],
        "modified": story.get("modified") or source["modified"] or source["published"],
        "body_html": Markup(paragraphs_html(body)),
        "dir": "rtl" if site["lang"] == "ar" else "ltr",
        "css": Markup(chrome.amp_css(outlet, story["file"])),
        "menu": site["menu"], "jsonld": None,
    }
    if story["kind"] == "amp" and story.get("jsonld", True):
        ld = {"@context": "https://schema.org", "@type": "NewsArticle",
              "headline": context["title"], "description": context["description"],
              "datePublished": context["published"], "dateModified": context["modified"],
              "author": [person(site, a) for a in context["authors"]] or [
                  {"@type": "Organization", "name": site["name"]}],
              "publisher": {"@type": "NewsMediaOrganization", "name": site["name"],
                            "logo": {"@type": "ImageObject",
                                     "url": f"https://{site['host']}/logo-amp.png"}},
              "image": [context["image"]], "mainEntityOfPage": context["canonical"]}
        context["jsonld"] = Markup(json.dumps(ld, ensure_ascii=False, indent=1)
                                   .replace("</", "<\\/"))
    return env.get_template(f"{story['kind']}.html.j2").render(**context)


# -- the build -----------------------------------------------------------------------

def build_outlet(outlet: str, site: dict[str, Any]) -> dict[Path, str]:
    """Every page this tool writes for one outlet, path -> text, nothing written yet."""
    folder = PAGES / outlet
    out: dict[Path, str] = {}
    stories = load_stories(outlet)
    env = templates()

    def current(rel: str) -> str:
        path = folder / rel
        if path in out:
            return out[path]
        if not path.is_file():
            raise BuildError(f"{outlet}: {rel} does not exist")
        return path.read_text(encoding="utf-8")

    for story in [s for s in stories if s["kind"] == "page"]:
        out[folder / story["file"]] = derive(site, story, current(story["base"]))
    for story in [s for s in stories if s["kind"] in ("amp", "print")]:
        src = current(story["of"])
        out[folder / story["file"]] = variant(site, outlet, story, read_page(site, src), env)
    sys.path.insert(0, str(ROOT))
    from crawler.registry import Registry

    entry = Registry.load()[outlet]
    # a section page's cards are copied from its article-link region, as the spider reads it
    region = entry.sections[0].links if entry.sections else None
    for story in stories:
        for name in story.get("listed", []):
            new = listings.add(folder, name, story, entry.article_pattern, region, current(name))
            if new is not None:
                out[folder / name] = new
    variants = {folder / s["file"] for s in stories if s["kind"] in ("amp", "print")}
    for path in sorted(article_files(folder)):
        if path in variants:
            continue
        text = out.get(path) or path.read_text(encoding="utf-8")
        if re.search(r"<html[^>]*\s(?:amp|⚡)[\s>]", text[:500]):
            continue  # AMP pages allow no scripts of their own: no furniture
        out[path] = chrome.furnish(outlet, site, str(path.relative_to(folder)), text,
                                   read_page(site, text), siblings(folder))
    return out


def article_files(folder: Path) -> set[Path]:
    routes = tomllib.loads((folder / "routes.toml").read_text(encoding="utf-8"))["route"]
    files = {folder / r["file"] for r in routes
             if "file" in r and (r.get("article") or r.get("page") in ("gallery", "video"))}
    return {f for f in files if f.suffix == ".html"}


def siblings(folder: Path) -> list[tuple[str, str]]:
    """(title, url) of the outlet's article routes, for the furniture's lists."""
    routes = tomllib.loads((folder / "routes.toml").read_text(encoding="utf-8"))["route"]
    seen, out = set(), []
    for r in routes:
        if r.get("article") and r.get("title") and not r.get("same_as") and not r.get(
                "robots_blocked") and r["title"] not in seen:
            seen.add(r["title"])
            out.append((r["title"], r["url"]))
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("outlets", nargs="*")
    parser.add_argument("--check", action="store_true",
                        help="write nothing; exit 1 when a saved page differs from the build")
    args = parser.parse_args(argv)
    sites = load_sites()
    stale = []
    for outlet in args.outlets or sorted(sites):
        if outlet not in sites:
            parser.error(f"unknown outlet {outlet!r} (sites.toml has {', '.join(sorted(sites))})")
        for path, text in build_outlet(outlet, sites[outlet]).items():
            old = path.read_text(encoding="utf-8") if path.is_file() else None
            if old == text:
                continue
            stale.append(path)
            if not args.check:
                path.parent.mkdir(parents=True, exist_ok=True)
                path.write_text(text, encoding="utf-8")
    for path in stale:
        print(("stale: " if args.check else "wrote: ") + str(path.relative_to(ROOT)))
    return 1 if args.check and stale else 0


if __name__ == "__main__":
    sys.exit(main())
