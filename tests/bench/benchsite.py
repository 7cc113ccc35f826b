"""The benchmark's site: thousands of article pages across the outlets' own hosts, served by
nginx on 127.0.0.1.

Pages are written in each outlet's markup by the mirror's own tool
(``tools/mirror/build.py``: a saved article page of the outlet with a story put in,
then the site's furniture by ``chrome.py``), with texts from :mod:`corpus` (real word
frequencies).  A page per outlet, date and layout is built that way with markers in
place of the headline, text, URL and id; each article is that page with the markers
replaced, so twenty thousand pages take a minute, not an hour.  Each outlet gets the
feeds, sitemaps and section page its registry entry names (feeds list the newest
fifty articles, or all where the outlet has no sitemap; sitemaps list all; the
section page's article cards point at the newest), its saved ``robots.txt``, and a
``bench-sitemap.xml`` listing all its articles for the plain Scrapy spiders.  A few
per cent of the articles are republished copies of another outlet's (as wire stories
are), so dedup has work.

Files are stored as nginx serves them: ``SITE/<host>/<path>`` (``index.html`` for a
path ending in ``/``; ``__q/<path>/<query>`` for a URL with a query, see the nginx
configuration), each beside its gzip (``gzip_static``), as the outlets send pages
compressed.  :func:`build` keeps a built site while its parameters are the same.
"""

from __future__ import annotations

import datetime as dt
import gzip
import hashlib
import html
import json
import os
import pwd
import random
import shutil
import socket
import subprocess
import sys
import time
import tomllib
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urljoin, urlsplit

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
PAGES = ROOT / "crawler" / "mirror" / "pages"
TOOLS = ROOT / "tools" / "mirror"
sys.path[:0] = [str(ROOT), str(TOOLS), str(HERE)]

import corpus  # noqa: E402

FORMAT = 3  # bumped when the layout of a built site changes
LAYOUTS = ("news", "analysis", "feature", "opinion")
DATES = 12  # publication days (one built page each per outlet and layout)
SENTINEL_ID = "8642097"
MARK = {"title": "Zqxtitlexq", "description": "Zqxdescxq", "slug": "zqxslugxq"}
PARAS = [f"Zqxpara{i}xq" for i in range(5)]
SYNDICATED = 0.03  # share of articles that are another outlet's article republished
# Scrapy's DNS_RESOLVER for a crawl of the site: every host name is 127.0.0.1 (loopback.py,
# importable in the crawl as ``bench.loopback`` through child_env's PYTHONPATH).
RESOLVER = "bench.loopback.LoopbackResolver"


class SiteError(RuntimeError):
    pass


@dataclass
class Article:
    outlet: str
    url: str
    title: str
    published: str
    language: str
    file: str
    republished_from: str | None = None


# -- URLs and files ---------------------------------------------------------------------

def file_of(url: str) -> str:
    """Where nginx finds a URL's file under the site (see :func:`nginx_conf`)."""
    parts = urlsplit(url)
    path = unquote(parts.path) or "/"
    if parts.query:
        return f"{parts.hostname}/__q{path}/{parts.query}"
    if path.endswith("/"):
        path += "index.html"
    return f"{parts.hostname}{path}"


def new_url(template: str, story_id: str | None, slug: str, new_id: str) -> str:
    """The template article's URL with its slug (and id) replaced."""
    parts = urlsplit(template)
    if parts.query:  # ?p=386702
        return template.replace(str(story_id), new_id) if story_id else template + new_id
    segments = parts.path.split("/")
    last = max(i for i, s in enumerate(segments) if s)
    seg = unquote(segments[last])
    if story_id and seg == str(story_id):  # /en/372590/
        segments[last] = new_id
    elif story_id and seg.startswith(f"{story_id}-"):  # /5490126-slug
        segments[last] = f"{new_id}-{slug}"
    else:
        segments[last] = slug
    path = "/".join(segments)
    if story_id:
        path = path.replace(str(story_id), new_id)
    return f"{parts.scheme}://{parts.netloc}{path}"


# -- pages --------------------------------------------------------------------------------

def templates(outlet: str) -> list[dict[str, Any]]:
    import build as mirror_build

    stories = [s for s in mirror_build.load_stories(outlet) if s["kind"] == "page"
               and s.get("layout", "news") in LAYOUTS and (PAGES / outlet / s["base"]).is_file()]
    if not stories:
        raise SiteError(f"{outlet}: no page story to build the bench's pages from")
    return stories


def skeleton(outlet: str, site: dict[str, Any], story: dict[str, Any], day: str) -> str:
    """A page of the outlet with markers in place of what changes per article."""
    import chrome

    import build as mirror_build

    marked = dict(story)
    sid = str(story.get("id") or "")
    marked.update(
        title=MARK["title"], description=MARK["description"], summary=MARK["description"],
        seo_title=MARK["title"], published=day, modified=day, listed=[],
        body="\n\n".join(PARAS),
        url=new_url(story["url"], sid or None, MARK["slug"], SENTINEL_ID))
    if sid:
        marked["id"] = int(SENTINEL_ID)
    base = (PAGES / outlet / story["base"]).read_text(encoding="utf-8")
    text = mirror_build.derive(site, marked, base)
    text = chrome.furnish(outlet, site, f"bench/{MARK['slug']}.html", text,
                          mirror_build.read_page(site, text), mirror_build.siblings(PAGES / outlet))
    for mark in (MARK["title"], PARAS[0], PARAS[4]):
        if mark not in text:
            raise SiteError(f"{outlet}: {story['_where']}: marker {mark} lost in the page")
    return text


def fill(page: str, title: str, description: str, slug: str, new_id: str,
         body: list[str]) -> str:
    """One article from a marked page.  The texts are words, figures and full stops only,
    so they need no escaping in HTML, attributes or JSON."""
    head, middle, tail = body[:3], body[3:-1], body[-1:]
    while len(head) < 3:
        head.append("")
    values = [*head, "</p><p>".join(middle), tail[0] if tail else ""]
    for mark, value in zip(PARAS, values, strict=True):
        page = page.replace(mark, value)
    return (page.replace(MARK["title"], title).replace(MARK["description"], description)
            .replace(MARK["slug"], slug).replace(SENTINEL_ID, new_id))


# -- listings -----------------------------------------------------------------------------

def _xml(text: str) -> str:
    return html.escape(text, quote=False)


def rss(articles: list[Article], link: str) -> str:
    items = "".join(
        f"<item><title>{_xml(a.title)}</title><link>{_xml(a.url)}</link>"
        f"<guid>{_xml(a.url)}</guid><pubDate>"
        f"{dt.datetime.fromisoformat(a.published).strftime('%a, %d %b %Y %H:%M:%S +0000')}"
        "</pubDate></item>\n" for a in articles)
    return ('<?xml version="1.0" encoding="UTF-8"?>\n<rss version="2.0"><channel>'
            f"<title>bench</title><link>{_xml(link)}</link><description>bench</description>\n"
            f"{items}</channel></rss>\n")


def urlset(articles: list[Article]) -> str:
    entries = "".join(
        f"<url><loc>{_xml(a.url)}</loc><lastmod>{a.published}</lastmod><news:news>"
        "<news:publication><news:name>bench</news:name>"
        f"<news:language>{a.language}</news:language></news:publication>"
        f"<news:publication_date>{a.published}</news:publication_date>"
        f"<news:title>{_xml(a.title)}</news:title></news:news></url>\n" for a in articles)
    return ('<?xml version="1.0" encoding="UTF-8"?>\n'
            '<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9" '
            'xmlns:news="http://www.google.com/schemas/sitemap-news/0.9">\n'
            f"{entries}</urlset>\n")


def sitemap_index(children: list[str]) -> str:
    entries = "".join(f"<sitemap><loc>{_xml(u)}</loc></sitemap>\n" for u in children)
    return ('<?xml version="1.0" encoding="UTF-8"?>\n'
            '<sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">\n'
            f"{entries}</sitemapindex>\n")


def section_page(outlet: str, entry: Any, section: Any, articles: list[Article]) -> str | None:
    """The outlet's saved section page with its article cards pointing at ``articles``."""
    import lxml.html
    from w3lib.url import canonicalize_url

    routes = tomllib.loads((PAGES / outlet / "routes.toml").read_text(encoding="utf-8"))
    want = canonicalize_url(section.url)
    route = next((r for r in routes["route"] if "file" in r
                  and canonicalize_url(r["url"]) == want), None)
    if route is None:
        return None
    raw = (PAGES / outlet / route["file"]).read_bytes()
    root = lxml.html.document_fromstring(raw.decode(route.get("source_charset", "utf-8"),
                                                     errors="replace"))
    regions = root.cssselect(section.links) if section.links else [root]
    n = 0
    for region in regions:
        for a in region.iter("a"):
            href = a.get("href")
            if not href or not entry.is_article(urljoin(section.url, href)):
                continue
            article = articles[n % len(articles)]
            a.set("href", article.url)
            if (a.text or "").strip():
                a.text = article.title
            n += 1
    return lxml.html.tostring(root, encoding="unicode", doctype="<!DOCTYPE html>")


# -- the whole site -----------------------------------------------------------------------

def _write(site_dir: Path, rel: str, text: str) -> str:
    """Write a file and its gzip; a path that is also a folder (a section page above its
    articles) is stored as its ``index.html``, which nginx's ``try_files`` finds too.
    Returns where it was written."""
    path = site_dir / rel
    for parent in reversed(path.parents):
        if parent.is_file():  # a page written earlier where a folder is needed now
            moved = parent.with_name(parent.name + ".moving")
            parent.rename(moved)
            parent.mkdir()
            moved.rename(parent / "index.html")
            gz = parent.with_name(parent.name + ".gz")
            if gz.is_file():
                gz.rename(parent / "index.html.gz")
    if path.is_dir():
        path = path / "index.html"
    path.parent.mkdir(parents=True, exist_ok=True)
    data = text.encode("utf-8")
    path.write_bytes(data)
    path.with_name(path.name + ".gz").write_bytes(gzip.compress(data, 6, mtime=0))
    return str(path.relative_to(site_dir))


def build(site_dir: Path, articles: int, seed: int = 20261129,
          progress: bool = True) -> dict[str, Any]:
    """Build the site (kept when already built with the same parameters); its manifest."""
    import build as mirror_build
    from crawler.registry import Registry

    params = {"format": FORMAT, "articles": articles, "seed": seed,
              "pages": _tree_digest(PAGES), "tools": _tree_digest(TOOLS)}
    manifest_path = site_dir / "manifest.json"
    if manifest_path.is_file():
        manifest = json.loads(manifest_path.read_text())
        if manifest["params"] == params:
            return manifest
    if site_dir.exists():
        shutil.rmtree(site_dir)
    site_dir.mkdir(parents=True)
    started = time.monotonic()
    registry = Registry.load()
    sites = mirror_build.load_sites()
    outlets = [o for o in registry if o.id in sites]
    rng = random.Random(seed)
    per_outlet = [articles // len(outlets) + (i < articles % len(outlets))
                  for i in range(len(outlets))]
    days = [(dt.datetime(2026, 1, 5, 8, 30, tzinfo=dt.UTC) + dt.timedelta(days=27 * i))
            .isoformat() for i in range(DATES)]
    written: list[Article] = []
    by_language: dict[str, list[tuple[Article, list[str]]]] = {}
    plain: list[str] = []
    types: dict[str, str] = {}
    next_id = 7_000_000
    for outlet, count in zip(outlets, per_outlet, strict=True):
        site = sites[outlet.id]
        stories = templates(outlet.id)
        pages = {(i, d): skeleton(outlet.id, site, s, day)
                 for i, s in enumerate(stories) for d, day in enumerate(days)}
        writer = corpus.Writer(outlet.language, rng.randrange(1 << 30))
        mine: list[Article] = []
        for n in range(count):
            i, d = n % len(stories), rng.randrange(DATES)
            story = stories[i]
            next_id += 1
            new_id = str(next_id)
            slug = f"syria-bench-{new_id}"
            url = new_url(story["url"], str(story.get("id") or "") or None, slug, new_id)
            if not outlet.is_article(url):
                raise SiteError(f"{outlet.id}: generated URL {url} is not an article URL")
            source = None
            pool = [c for c in by_language.get(outlet.language, []) if c[0].outlet != outlet.id]
            if pool and rng.random() < SYNDICATED:
                original, original_body = rng.choice(pool)
                body = writer.republished(original_body)
                source = original.url
            else:
                body = writer.body()
            title = writer.title()
            article = Article(outlet.id, url, title,
                              (dt.datetime.fromisoformat(days[d])
                               + dt.timedelta(minutes=rng.randrange(600))).isoformat(),
                              outlet.language, file_of(url), source)
            page = fill(pages[(i, d)], title, body[0][:200].rsplit(" ", 1)[0], slug, new_id,
                        body)
            article.file = _write(site_dir, article.file, page)
            mine.append(article)
            by_language.setdefault(outlet.language, []).append((article, body))
            if progress and len(written) + len(mine) & 1023 == 0:
                print(f"\rbench site: {len(written) + len(mine)} of {articles} pages",
                      end="", file=sys.stderr, flush=True)
        written += mine
        plain.append(_listings(site_dir, outlet, mine, types))
    if progress:
        print(f"\rbench site: {len(written)} pages in {time.monotonic() - started:.0f} s",
              file=sys.stderr)
    sizes = sorted((site_dir / a.file).stat().st_size for a in written)
    manifest = {"params": params, "articles": [asdict(a) for a in written],
                "hosts": sorted({urlsplit(a.url).hostname or "" for a in written}),
                "bench_sitemaps": plain, "types": types,
                "page_bytes": {"min": sizes[0], "median": sizes[len(sizes) // 2],
                               "max": sizes[-1], "mean": sum(sizes) // len(sizes)}}
    manifest_path.write_text(json.dumps(manifest, ensure_ascii=False))
    return manifest


def _listings(site_dir: Path, outlet: Any, mine: list[Article], types: dict[str, str]) -> str:
    """Feeds, sitemaps, section page and robots.txt of one outlet (content types of files
    without an extension that says it into ``types``); the plain spiders' sitemap URL."""
    newest = sorted(mine, key=lambda a: a.published, reverse=True)
    for feed in outlet.feeds:
        listed = newest if not outlet.sitemaps else newest[:50]
        _write(site_dir, file_of(feed.url), rss(listed, outlet.base_url))
        types[file_of(feed.url)] = "application/rss+xml"
    for sitemap in outlet.sitemaps:
        if "index" in sitemap.url:
            child = f"{outlet.base_url.rstrip('/')}/bench-articles-sitemap.xml"
            _write(site_dir, file_of(sitemap.url), sitemap_index([child]))
            _write(site_dir, file_of(child), urlset(mine))
        else:
            _write(site_dir, file_of(sitemap.url), urlset(mine))
        types[file_of(sitemap.url)] = "application/xml"
    for section in outlet.sections:
        page = section_page(outlet.id, outlet, section, newest[:30])
        if page is not None:
            _write(site_dir, file_of(section.url), page)
    host = urlsplit(mine[0].url).hostname or ""
    robots = PAGES / outlet.id / "robots.txt"
    if robots.is_file():
        _check_robots(robots.read_text(encoding="utf-8"), mine)
        _write(site_dir, f"{host}/robots.txt", robots.read_text(encoding="utf-8"))
        types[f"{host}/robots.txt"] = "text/plain"
    plain = f"https://{host}/bench-sitemap.xml"
    _write(site_dir, file_of(plain), urlset(mine))
    return plain


def _check_robots(text: str, articles: list[Article]) -> None:
    from protego import Protego

    rules = Protego.parse(text)
    blocked = [a.url for a in articles if not rules.can_fetch(a.url, "syria-archive")]
    if blocked:
        raise SiteError(f"robots.txt disallows generated pages, e.g. {blocked[0]}")


def _tree_digest(folder: Path) -> str:
    h = hashlib.sha256()
    for p in sorted(folder.rglob("*")):
        if p.is_file() and "__pycache__" not in p.parts:
            h.update(str(p.relative_to(folder)).encode())
            h.update(str(p.stat().st_size).encode())
    return h.hexdigest()[:16]


# -- nginx ----------------------------------------------------------------------------------

def child_env() -> dict[str, str]:
    """The environment of a crawl of the site: no proxy, the loopback resolver importable,
    no S3 upload, no Scrapy project forced on the spiders run with ``scrapy runspider``."""
    env = {k: v for k, v in os.environ.items()
           if k.lower() not in ("http_proxy", "https_proxy", "all_proxy")}
    env["PYTHONPATH"] = os.pathsep.join([str(ROOT / "tests"), str(ROOT)])
    env.pop("SYRIA_ARCHIVE_S3", None)
    env.pop("SCRAPY_SETTINGS_MODULE", None)
    return env


def nginx_conf(site_dir: Path, run_dir: Path, types: dict[str, str]) -> str:
    """One server per host (its exact locations give feeds and sitemaps without a telling
    extension their type), all on 127.0.0.1:80 and :443 with a self-signed certificate
    (Scrapy, like most crawlers, does not verify it)."""
    names = sorted(p.name for p in site_dir.iterdir() if p.is_dir())
    cert, key = _certificate(run_dir, names)
    hosts: dict[str, list[str]] = {}
    for rel, kind in sorted(types.items()):
        host = rel.partition("/")[0]
        uris = {_nginx_uri(rel), "/" + rel.partition("/")[2]}  # "/feed/" and its index.html
        hosts.setdefault(host, []).extend(
            f'        location = "{uri}" {{ types {{ }} default_type {kind}; }}\n'
            for uri in sorted(uris))
    for host in names:
        hosts.setdefault(host, [])
    servers = "".join(f"""
    server {{
        listen 127.0.0.1:80;
        listen 127.0.0.1:443 ssl;
        server_name {host};
        root {site_dir}/{host};
        location / {{
            # a query names a file of its own: /en/?p=1 -> /__q/en//p=1
            if ($args) {{ rewrite ^ /__q$uri/$args? last; }}
            try_files $uri $uri/index.html =404;
        }}
{"".join(exact)}    }}
""" for host, exact in sorted(hosts.items()))
    # Started as root, nginx hands its worker to www-data, who cannot read a private
    # work folder (pytest's are 0700): the worker runs as the user who started the bench.
    user = f"user {pwd.getpwuid(os.getuid()).pw_name};" if os.getuid() == 0 else ""
    return f"""
{user}
worker_processes 1;
pid {run_dir}/nginx.pid;
error_log {run_dir}/error.log warn;
daemon off;
events {{ worker_connections 4096; }}
http {{
    access_log off;
    sendfile on;
    tcp_nopush on;
    keepalive_requests 1000000;
    keepalive_timeout 120s;
    client_body_temp_path {run_dir}/body;
    proxy_temp_path {run_dir}/proxy;
    fastcgi_temp_path {run_dir}/fastcgi;
    uwsgi_temp_path {run_dir}/uwsgi;
    scgi_temp_path {run_dir}/scgi;
    server_names_hash_bucket_size 128;
    types {{ text/html html; application/xml xml; application/rss+xml rss; text/plain txt; }}
    default_type text/html;
    charset utf-8;
    charset_types application/xml application/rss+xml text/plain;
    ssl_certificate {cert};
    ssl_certificate_key {key};
    # pages are stored with their gzip beside them, as outlets send them compressed
    gzip_static on;
{servers}
}}
"""


def _nginx_uri(rel: str) -> str:
    host, _, path = rel.partition("/")
    return "/" + path.removesuffix("index.html") if not path.startswith("__q/") else "/" + path


def _certificate(run_dir: Path, hosts: list[str]) -> tuple[Path, Path]:
    """A self-signed certificate naming every host (Scrapy then warns of none)."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "bench")])
    now = dt.datetime.now(dt.UTC)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name)
            .public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now - dt.timedelta(days=1))
            .not_valid_after(now + dt.timedelta(days=30))
            .add_extension(x509.SubjectAlternativeName([x509.DNSName(h) for h in hosts]),
                           critical=False).sign(key, hashes.SHA256()))
    cert_path, key_path = run_dir / "bench.crt", run_dir / "bench.key"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(key.private_bytes(serialization.Encoding.PEM,
                                           serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    return cert_path, key_path


def nginx_binary() -> str:
    found = shutil.which("nginx") or ("/usr/sbin/nginx" if os.access("/usr/sbin/nginx", os.X_OK)
                                      else None)
    if found is None:
        raise SiteError("nginx not found: `make system-deps` installs Debian's nginx-light")
    return found


class Nginx:
    """nginx serving the site on 127.0.0.1:80 and :443 (the outlets' own ports: the crawl
    resolves every host to 127.0.0.1, so the URLs it archives are the outlets')."""

    def __init__(self, site_dir: Path, run_dir: Path, types: dict[str, str]) -> None:
        self.site_dir, self.run_dir, self.types = site_dir, run_dir, types
        self.proc: subprocess.Popen[bytes] | None = None

    def __enter__(self) -> Nginx:
        for port in (80, 443):
            with socket.socket() as s:
                if s.connect_ex(("127.0.0.1", port)) == 0:
                    raise SiteError(f"127.0.0.1:{port} is taken: the bench's nginx serves the "
                                    "outlets' hosts on their own ports")
        self.run_dir.mkdir(parents=True, exist_ok=True)
        conf = self.run_dir / "nginx.conf"
        conf.write_text(nginx_conf(self.site_dir.resolve(), self.run_dir.resolve(), self.types))
        self.proc = subprocess.Popen([nginx_binary(), "-c", str(conf), "-p", str(self.run_dir)],
                                     stderr=subprocess.PIPE)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise SiteError(f"nginx did not start: {self.proc.stderr.read().decode()[-500:]}"
                                if self.proc.stderr else "nginx did not start")
            with socket.socket() as s:
                if s.connect_ex(("127.0.0.1", 443)) == 0:
                    return self
            time.sleep(0.05)
        raise SiteError("nginx did not open 127.0.0.1:443 within 30 s")

    def pids(self) -> list[int]:
        if self.proc is None:
            return []
        children = Path(f"/proc/{self.proc.pid}/task/{self.proc.pid}/children")
        kids = [int(x) for x in children.read_text().split()] if children.exists() else []
        return [self.proc.pid, *kids]

    def __exit__(self, *exc: object) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait(timeout=30)
