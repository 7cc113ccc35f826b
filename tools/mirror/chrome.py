"""Site furniture for the mirror's article pages: what surrounds an article on the real sites.

Menus and mega-menus, a consent dialog, trending and breaking bars, more-from and most-read
lists, a newsletter box, ad slots and a sponsored-links widget, footers, and the head's
preconnects, inline critical CSS, analytics data layer, ad and consent configuration and the
publishing system's page state (which, as on Arc and Al Jazeera's sites, repeats the story
itself inside a script).  All of it is written between ``<!-- mirror:NAME -->`` markers, so
running the pass again replaces it instead of adding to it.  The texts come from
``filler.toml``; the choices are seeded by the page's path, so a build gives the same bytes.
"""

from __future__ import annotations

import hashlib
import html as htmlmod
import json
import random
import re
import tomllib
from pathlib import Path
from typing import Any
from urllib.parse import quote

HERE = Path(__file__).resolve().parent
FILLER = tomllib.loads((HERE / "filler.toml").read_text(encoding="utf-8"))
REGIONS = ("head", "consent", "menu", "more", "footer", "scripts")
ARABIC = re.compile("[\u0600-\u06ff]")


def esc(s: str) -> str:
    return htmlmod.escape(s, quote=True)


def slugify(s: str) -> str:
    s = re.sub(r"[^\w\s-]", "", s.lower(), flags=re.U)
    return quote(re.sub(r"[\s_]+", "-", s).strip("-"), safe="-")


def hexid(rng: random.Random, n: int = 8) -> str:
    return "".join(rng.choice("0123456789abcdef") for _ in range(n))


def text(lang: str, key: str) -> Any:
    return FILLER[lang][key]


# -- the head ------------------------------------------------------------------------

CSS_PROPS = [
    "display:flex", "display:block", "display:grid", "display:inline-block", "position:relative",
    "margin:0", "margin:0 auto", "margin-bottom:{n}px", "padding:{n}px", "padding:{n}px {m}px",
    "color:#{c}", "background:#{c}", "border-bottom:1px solid #{c}", "font-size:{f}px",
    "font-weight:{w}", "line-height:{l}", "gap:{n}px", "align-items:center",
    "justify-content:space-between", "max-width:{x}px", "width:100%", "overflow:hidden",
    "text-transform:uppercase", "letter-spacing:.{n}em", "border-radius:{n}px",
    "grid-template-columns:repeat({k},1fr)", "transition:opacity .{n}s ease", "z-index:{k}",
    "font-family:var(--font-{v})", "text-decoration:none", "list-style:none", "opacity:.{k}",
]


def critical_css(page: str, rng: random.Random, brand: str) -> str:
    classes = sorted(set(c for attr in re.findall(r'class="([^"]+)"', page) for c in attr.split()
                         if re.match(r"^[A-Za-z][\w-]*$", c)))
    rules = [f":root{{--brand:{brand};--font-body:'Source Sans',system-ui,sans-serif;"
             f"--font-head:'Merriweather',Georgia,serif;--font-v:inherit}}",
             "*,*::before,*::after{box-sizing:border-box}html{-webkit-text-size-adjust:100%}"]
    for cls in classes:
        props = ";".join(
            p.format(n=rng.randint(1, 32), m=rng.randint(1, 24), c=hexid(rng, 6),
                     f=rng.randint(11, 34), w=rng.choice((400, 500, 600, 700)),
                     l=rng.choice(("1.2", "1.35", "1.5", "1.6")), x=rng.choice((680, 960, 1200,
                                                                                 1320)),
                     k=rng.randint(1, 9), v=rng.choice(("body", "head")))
            for p in rng.sample(CSS_PROPS, rng.randint(2, 6)))
        rules.append(f".{cls}{{{props}}}")
        if rng.random() < 0.3:
            rules.append(f"@media (min-width:{rng.choice((768, 992, 1200))}px){{.{cls}"
                         f"{{{rng.choice(CSS_PROPS).format(n=8, m=12, c='222', f=16, w=600, l='1.4', x=1200, k=3, v='head')}}}}}")
    return "".join(rules)


def data_layer(outlet: str, site: dict[str, Any], info: dict[str, Any], rel: str) -> str:
    words = sum(len(p.split()) for p in info["paragraphs"])
    layer = {"event": "page_view", "site": site["host"], "language": site["lang"],
             "page_type": "article", "content_id": hashlib.sha1(rel.encode()).hexdigest()[:10],
             "content_title": info["title"], "content_authors": info["authors"],
             "content_publish_date": info["published"], "content_word_count": words,
             "platform": site["family"], "login_status": "anonymous"}
    return ("<script>window.dataLayer=window.dataLayer||[];window.dataLayer.push("
            + json.dumps(layer, ensure_ascii=False).replace("</", "<\\/") + ");</script>")


def tag_loader(rng: random.Random) -> str:
    cid = "GTM-" + "".join(rng.choice("ABCDEFGHJKLMNPQRSTUVWXYZ23456789") for _ in range(7))
    return ("<script>(function(){var l=document.createElement('script');l.async=true;"
            f"l.src='https://www.googletagmanager.com/gtm.js?id={cid}';"
            "document.head.appendChild(l);window.dataLayer.push({'gtm.start':Date.now(),"
            "event:'gtm.js'});})();</script>")


def ad_config(site: dict[str, Any], rng: random.Random) -> str:
    network = rng.randint(10000000, 99999999)
    slots = [("top_leaderboard", "[[970,250],[728,90]]"), ("mpu_1", "[[300,250],[300,600]]"),
             ("mpu_2", "[[300,250]]"), ("in_article", "[[300,250],[336,280],'fluid']"),
             ("sticky_footer", "[[320,50],[728,90]]"), ("billboard", "[[970,250]]")]
    lines = [f"googletag.defineSlot('/{network}/{site['host']}/article/{name}',{sizes},"
             f"'div-gpt-ad-{name}').addService(googletag.pubads());" for name, sizes in slots]
    return ("<script async src=\"https://securepubads.g.doubleclick.net/tag/js/gpt.js\"></script>"
            "<script>window.googletag=window.googletag||{cmd:[]};googletag.cmd.push(function(){"
            + "".join(lines) + "googletag.pubads().enableSingleRequest();"
            "googletag.pubads().setTargeting('lang','" + site["lang"] + "');"
            "googletag.pubads().enableLazyLoad({fetchMarginPercent:200,renderMarginPercent:100});"
            "googletag.enableServices();});</script>")


def cmp_stub(site: dict[str, Any], rng: random.Random) -> str:
    kind = site["cmp"]
    if kind == "none":
        return ""
    key = hexid(rng, 8) + "-" + hexid(rng, 4) + "-" + hexid(rng, 4) + "-" + hexid(rng, 12)
    src = {"onetrust": f"https://cdn.cookielaw.org/scripttemplates/otSDKStub.js\" data-domain-script=\"{key}",
           "didomi": f"https://sdk.privacy-center.org/{key}/loader.js?target={site['host']}",
           "quantcast": f"https://cmp.inmobi.com/choice/{hexid(rng, 12)}/{site['host']}/choice.js",
           "complianz": f"https://{site['host']}/wp-content/plugins/complianz-gdpr/cookiebanner/js/complianz.min.js"}[kind]
    return (f"<script src=\"{src}\" charset=\"UTF-8\" async></script><script>window.__cmpConfig="
            + json.dumps({"vendor": kind, "gdprApplies": True, "language": site["lang"],
                          "purposes": [1, 2, 3, 4, 7, 9, 10], "version": rng.randint(40, 90)})
            + ";</script>")


def page_state(outlet: str, site: dict[str, Any], info: dict[str, Any], rel: str,
               rng: random.Random) -> str:
    family = site["family"]
    paras = [p for p in info["paragraphs"] if not p.startswith("## ")]
    if family == "drupal":
        libs = ",".join(f"{site['host'].split('.')[-2]}/{name}" for name in (
            "global", "article", "gallery", "share", "newsletter", "ads", "lazyload",
            "consent", "analytics", "video", "most_read", "related")) + ",core/drupal," \
            "core/once,core/drupalSettings,system/base,views/views.module,paragraphs/drupal." \
            "paragraphs.unpublished,image_captcha/base,ckeditor5/internal.drupal.ckeditor5"
        state = {"path": {"baseUrl": "/", "pathPrefix": "", "currentPath": f"node/{rng.randint(10**6, 10**7)}",
                          "currentPathIsAdmin": False, "isFront": False,
                          "currentLanguage": site["lang"]},
                 "pluralDelimiter": "\u0003", "suppressDeprecationErrors": True,
                 "ajaxPageState": {"libraries": libs, "theme": outlet.replace("-", "_"),
                                   "theme_token": None},
                 "ajaxTrustedUrl": {"/search": True, "/newsletter/subscribe": True},
                 "dataLayer": {"defaultLang": site["lang"]},
                 "user": {"uid": 0, "permissionsHash": hexid(rng, 64)}}
        return ('<script type="application/json" data-drupal-selector="drupal-settings-json">'
                + json.dumps(state, ensure_ascii=False) + "</script>")
    if family == "wordpress":
        state = {"ajaxurl": f"https://{site['host']}/wp-admin/admin-ajax.php",
                 "nonce": hexid(rng, 10), "is_rtl": site["lang"] == "ar",
                 "lazy_load": True, "sticky_sidebar": True,
                 "i18n": text(site["lang"], "ui"), "post_views": rng.randint(200, 40000),
                 "theme": {"version": f"{rng.randint(9, 12)}.{rng.randint(0, 9)}", "mobile": False}}
        return ("<script id=\"theme-js-extra\">var themeConfig = "
                + json.dumps(state, ensure_ascii=False) + ";</script>"
                "<script>window._wpemojiSettings={\"baseUrl\":\"https://s.w.org/images/core/emoji/15.0.3/72x72/\","
                "\"ext\":\".png\",\"svgUrl\":\"https://s.w.org/images/core/emoji/15.0.3/svg/\","
                "\"svgExt\":\".svg\",\"source\":{\"concatemoji\":\"https://" + site["host"]
                + "/wp-includes/js/wp-emoji-release.min.js\"}};</script>")
    if family == "arc":
        ans = {"_id": hexid(rng, 26).upper(), "type": "story", "version": "0.10.9",
               "canonical_url": info["url"].split(site["host"], 1)[-1],
               "headlines": {"basic": info["title"]}, "description": {"basic": info["description"]},
               "display_date": info["published"], "first_publish_date": info["published"],
               "credits": {"by": [{"type": "author", "name": a} for a in info["authors"]]},
               "content_elements": [{"_id": hexid(rng, 26).upper(), "type": "text",
                                     "content": p} for p in paras],
               "taxonomy": {"primary_section": {"_id": "/news/mena", "name": "MENA"}}}
        return ("<script id=\"fusion-metadata\" type=\"application/javascript\">window.Fusion="
                "window.Fusion||{};Fusion.arcSite=\"the-national\";Fusion.deployment=\""
                + str(rng.randint(900, 1400)) + "\";Fusion.globalContent="
                + json.dumps(ans, ensure_ascii=False).replace("</", "<\\/")
                + ";Fusion.globalContentConfig={\"source\":\"content-api\",\"query\":{\"uri\":\""
                + ans["canonical_url"] + "\"}};</script>")
    if family == "archipelago":
        key = f"Post:{rng.randint(10**6, 10**7)}"
        state = {key: {"__typename": "Post", "title": info["title"],
                       "excerpt": info["description"], "date": info["published"],
                       "content": "".join(f"<p>{esc(p)}</p>" for p in paras),
                       "author": [{"__typename": "Author", "name": a} for a in info["authors"]]},
                 "ROOT_QUERY": {"article({\"name\":\"" + rel.rsplit("/", 1)[-1] + "\"})":
                                {"__ref": key}}}
        return ("<script>window.__APOLLO_STATE__="
                + json.dumps(state, ensure_ascii=False).replace("</", "<\\/") + ";</script>")
    state = {"article": {"id": rng.randint(10**6, 10**7), "title": info["title"],
                         "summary": info["description"], "publishDate": info["published"],
                         "body": "\n".join(paras)},
             "config": {"edition": site["lang"], "adsEnabled": True}}
    return ("<script>window.__INITIAL_STATE__="
            + json.dumps(state, ensure_ascii=False).replace("</", "<\\/") + ";</script>")


def head(outlet: str, site: dict[str, Any], info: dict[str, Any], rel: str, page: str,
         rng: random.Random) -> str:
    hosts = ["https://securepubads.g.doubleclick.net", "https://www.googletagmanager.com",
             "https://fonts.gstatic.com", "https://cdn.ampproject.org",
             f"https://static.{site['host'].split('.', 1)[-1]}", "https://www.google-analytics.com"]
    parts = [f'<link rel="preconnect" href="{h}" crossorigin>' for h in hosts]
    parts += [f'<link rel="preload" href="/assets/fonts/{f}.{hexid(rng)}.woff2" as="font" '
              f'type="font/woff2" crossorigin>' for f in ("body-regular", "body-bold", "head-bold")]
    parts.append(f'<style id="critical-css">{critical_css(page, rng, site["color"])}</style>')
    parts += [data_layer(outlet, site, info, rel), tag_loader(rng), ad_config(site, rng),
              cmp_stub(site, rng), page_state(outlet, site, info, rel, rng)]
    return "\n".join(p for p in parts if p)


# -- the body's furniture --------------------------------------------------------------

def consent(site: dict[str, Any], rng: random.Random) -> str:
    lang = site["lang"]
    c = text(lang, "consent")
    noscript = (f'<noscript><iframe src="https://www.googletagmanager.com/ns.html?id=GTM-'
                f'{hexid(rng, 7).upper()}" height="0" width="0" style="display:none;'
                f'visibility:hidden"></iframe></noscript>')
    kind = site["cmp"]
    if kind == "none":
        return noscript
    paras = "".join(f"<p>{esc(p)}</p>" for p in c["text"])
    purposes = "".join(
        f'<div class="cmp-purpose"><h3 class="cmp-purpose__title">{esc(t)}</h3>'
        f'<p class="cmp-purpose__text">{esc(d)}</p><label class="cmp-switch"><input type="checkbox"'
        f' name="purpose-{i}"{" checked disabled" if i == 0 else ""}><span class="cmp-switch__slider">'
        f'</span></label></div>' for i, (t, d) in enumerate(c["purposes"]))
    buttons = (f'<button type="button" class="cmp-btn cmp-btn--accept">{esc(c["accept"])}</button>'
               f'<button type="button" class="cmp-btn cmp-btn--reject">{esc(c["reject"])}</button>'
               f'<button type="button" class="cmp-btn cmp-btn--settings">{esc(c["settings"])}</button>')
    if kind == "onetrust":
        return (noscript + f'<div id="onetrust-consent-sdk"><div id="onetrust-banner-sdk" class="otFlat"'
                f' tabindex="0" role="region" aria-label="{esc(c["title"])}"><div class="ot-sdk-container"'
                f' role="alertdialog" aria-describedby="onetrust-policy-text"><div id="onetrust-policy">'
                f'<h2 id="onetrust-policy-title">{esc(c["title"])}</h2><div id="onetrust-policy-text">'
                f'{paras}</div></div><div id="onetrust-button-group">{buttons}</div></div></div>'
                f'<div id="onetrust-pc-sdk" class="otPcCenter ot-hide" role="dialog" aria-modal="true">'
                f'<div class="ot-pc-header"><h2>{esc(c["settings"])}</h2></div>'
                f'<div class="ot-pc-content">{purposes}</div></div></div>')
    if kind == "didomi":
        return (noscript + f'<div id="didomi-host" data-nosnippet="true"><div class="didomi-popup-backdrop">'
                f'<div class="didomi-popup-container"><div class="didomi-consent-popup-body">'
                f'<h1 class="didomi-popup-title">{esc(c["title"])}</h1><div class="didomi-popup-notice-text">'
                f'{paras}</div></div><div class="didomi-consent-popup-footer">{buttons}</div>'
                f'<div class="didomi-consent-popup-preferences">{purposes}</div></div></div></div>')
    if kind == "quantcast":
        return (noscript + f'<div id="qc-cmp2-container" data-nosnippet=""><div class="qc-cmp2-container">'
                f'<div class="qc-cmp2-summary-section"><h2 class="qc-cmp2-title">{esc(c["title"])}</h2>'
                f'<div class="qc-cmp2-summary-info">{paras}</div></div><div class="qc-cmp2-footer">'
                f'{buttons}</div><div class="qc-cmp2-scrollable-section">{purposes}</div></div></div>')
    return (noscript + f'<div class="cmplz-cookiebanner cmplz-hidden banner-1 optin cmplz-bottom-right"'
            f' aria-modal="true" data-nosnippet="true" role="dialog"><div class="cmplz-header">'
            f'<div class="cmplz-title">{esc(c["title"])}</div></div><div class="cmplz-body">'
            f'<div class="cmplz-message">{paras}</div><div class="cmplz-categories">{purposes}</div>'
            f'</div><div class="cmplz-buttons">{buttons}</div></div>')


def menu(site: dict[str, Any], rng: random.Random) -> str:
    lang = site["lang"]
    subs = text(lang, "subsections")
    cols = []
    for sec in site["menu"]:
        items = "".join(f'<li class="mega-menu__item"><a href="/{slugify(sec)}/{slugify(s)}">'
                        f'{esc(s)}</a></li>' for s in rng.sample(subs, rng.randint(5, 9)))
        cols.append(f'<div class="mega-menu__col"><a class="mega-menu__heading" href="/{slugify(sec)}">'
                    f'{esc(sec)}</a><ul class="mega-menu__list">{items}</ul></div>')
    trending = "".join(f'<li class="trending-bar__item"><a href="/tags/{slugify(t)}">{esc(t)}</a></li>'
                       for t in rng.sample(text(lang, "trending"), 10))
    ticker = "".join(f"<li class=\"breaking-ticker__item\">{esc(h)}</li>"
                     for h in rng.sample(text(lang, "headlines"), 3))
    ui = text(lang, "ui")
    return (f'<div class="mega-menu" id="mega-menu" role="dialog" aria-label="{esc(ui["menu"])}" '
            f'hidden><div class="mega-menu__inner">{"".join(cols)}</div>'
            f'<form class="mega-menu__search" action="/search" role="search"><input type="search" '
            f'name="q" placeholder="{esc(ui["search"])}"><button type="submit">{esc(ui["search"])}'
            f'</button></form></div>\n<div class="trending-bar"><span class="trending-bar__label">'
            f'{esc(ui["trending"])}</span><ul class="trending-bar__list">{trending}</ul></div>\n'
            f'<div class="breaking-ticker" role="marquee" aria-live="off"><span class="breaking-ticker'
            f'__label">{esc(ui["breaking"])}</span><ul class="breaking-ticker__list">{ticker}</ul></div>')


def card(title: str, url: str, teaser: str, rng: random.Random, site: dict[str, Any]) -> str:
    img = f"https://{site['host']}/images/{hexid(rng, 12)}.jpg"
    return (f'<li class="teaser-card"><a class="teaser-card__link" href="{esc(url)}">'
            f'<img class="teaser-card__img" src="{img}" alt="" loading="lazy" width="400" '
            f'height="225"><h3 class="teaser-card__title">{esc(title)}</h3></a>'
            f'<p class="teaser-card__teaser">{esc(teaser)}</p></li>')


def more(site: dict[str, Any], info: dict[str, Any], siblings: list[tuple[str, str]],
         rng: random.Random) -> str:
    lang = site["lang"]
    ui = text(lang, "ui")
    own = [(t, u) for t, u in siblings if t != info["title"]]
    rng.shuffle(own)
    fill = [(h, f"https://{site['host']}/{slugify(h)[:60]}") for h in
            rng.sample(text(lang, "headlines"), 14)]
    teasers = text(lang, "teasers")
    cards = "".join(card(t, u, rng.choice(teasers), rng, site) for t, u in (own[:4] + fill[:6]))
    ranked = (own[4:7] + fill[6:])[:10]
    latest = "".join(
        f'<li class="latest-news__item"><time class="latest-news__time">{rng.randint(6, 23):02d}:'
        f'{rng.randint(0, 59):02d}</time><a href="https://{site["host"]}/{slugify(h)[:60]}">'
        f'{esc(h)}</a></li>' for h in rng.sample(text(lang, "headlines"), 12))
    most = "".join(f'<li class="most-read__item"><span class="most-read__rank">{i}</span>'
                   f'<a href="{esc(u)}">{esc(t)}</a></li>' for i, (t, u) in enumerate(ranked, 1))
    sponsored = "".join(
        f'<li class="rec-widget__item"><a href="https://{rng.choice(("trc", "paid", "rec"))}.'
        f'example-ads.net/c/{hexid(rng, 16)}" rel="sponsored nofollow"><img src="https://img.'
        f'example-ads.net/{hexid(rng, 20)}.jpg" alt="" loading="lazy"><span class="rec-widget__title">'
        f'{esc(t)}</span><span class="rec-widget__source">{esc(s)}</span></a></li>'
        for t, s in rng.sample([tuple(x) for x in text(lang, "sponsored")], 6))
    nl = text(lang, "newsletter")
    return (f'<section class="more-from" aria-labelledby="more-from-title"><h2 id="more-from-title" '
            f'class="more-from__title">{esc(ui["more"])}</h2><ul class="more-from__list">{cards}</ul>'
            f'</section>\n<div class="ad-slot ad-slot--billboard" id="div-gpt-ad-billboard" '
            f'data-ad-size="970x250"><span class="ad-slot__label">{esc(ui["ad"])}</span></div>\n'
            f'<section class="most-read" aria-labelledby="most-read-title"><h2 id="most-read-title" '
            f'class="most-read__title">{esc(ui["most_read"])}</h2><ol class="most-read__list">{most}'
            f'</ol></section>\n<section class="latest-news"><h2 class="latest-news__title">'
            f'{esc(ui["latest"])}</h2><ul class="latest-news__list">{latest}</ul></section>\n'
            f'<section class="newsletter-promo"><h2 class="newsletter-promo__title">'
            f'{esc(nl[0])}</h2><p class="newsletter-promo__text">{esc(nl[1])}</p><form class="'
            f'newsletter-promo__form" action="/newsletter/subscribe" method="post"><input type="email"'
            f' name="email" placeholder="{esc(nl[2])}" required><button type="submit">{esc(nl[3])}'
            f'</button><p class="newsletter-promo__legal">{esc(nl[4])}</p></form></section>\n'
            f'<div class="ad-slot ad-slot--mpu" id="div-gpt-ad-mpu_2" data-ad-size="300x250"><span '
            f'class="ad-slot__label">{esc(ui["ad"])}</span></div>\n<div class="rec-widget" '
            f'data-widget-id="AR_{rng.randint(1, 9)}" data-src="{esc(info["url"])}"><div class='
            f'"rec-widget__header"><span>{esc(ui["recommended"])}</span><a href="https://www.'
            f'example-ads.net/what-is" rel="nofollow">{esc(ui["sponsored"])}</a></div><ul class='
            f'"rec-widget__list">{sponsored}</ul></div>')


def footer(site: dict[str, Any], rng: random.Random) -> str:
    lang = site["lang"]
    f = text(lang, "footer")
    cols = [(f["sections"], site["menu"])] + [(h, items) for h, items in f["columns"]]
    html = "".join(
        f'<div class="footer-sitemap__col"><h3 class="footer-sitemap__title">{esc(h)}</h3><ul>'
        + "".join(f'<li><a href="/{slugify(i)}">{esc(i)}</a></li>' for i in items) + "</ul></div>"
        for h, items in cols)
    apps = "".join(f'<a class="app-badge app-badge--{k}" href="https://{k}.example/app/'
                   f'{rng.randint(10**8, 10**9)}"><img src="/assets/badges/{k}-{lang}.svg" '
                   f'alt="{esc(n)}" width="135" height="40"></a>' for k, n in f["apps"])
    return (f'<div class="footer-sitemap">{html}</div>\n<div class="footer-apps">{apps}</div>\n'
            f'<div class="footer-legal"><p>{esc(f["legal"].format(name=site["name"]))}</p></div>')


def sprite(rng: random.Random) -> str:
    def path() -> str:
        cmds = [f"M{rng.randint(0, 24)} {rng.randint(0, 24)}"]
        for _ in range(rng.randint(6, 14)):
            op = rng.choice("LCQAHV")
            nums = {"L": 2, "C": 6, "Q": 4, "A": 7, "H": 1, "V": 1}[op]
            cmds.append(op + " ".join(f"{rng.uniform(0, 24):.2f}".rstrip("0").rstrip(".")
                                      for _ in range(nums)))
        return "".join(cmds) + "z"
    icons = ("search", "menu", "close", "x", "facebook", "whatsapp", "telegram", "instagram",
             "youtube", "linkedin", "email", "copy", "print", "bookmark", "play", "camera",
             "chevron-left", "chevron-right", "clock", "user", "share", "live", "comment", "rss")
    symbols = "".join(f'<symbol id="icon-{i}" viewBox="0 0 24 24"><path d="{path()}"/></symbol>'
                      for i in icons)
    return (f'<svg xmlns="http://www.w3.org/2000/svg" style="display:none" aria-hidden="true">'
            f'{symbols}</svg>')


def scripts(site: dict[str, Any], rng: random.Random) -> str:
    names = ("runtime", "vendors", "main", "article", "ads", "consent", "video", "analytics")
    tags = "".join(f'<script src="https://{site["host"]}/assets/js/{n}.{hexid(rng, 10)}.js" defer>'
                   f'</script>' for n in names)
    config = {"refresh": {"enabled": True, "seconds": rng.choice((30, 45, 60))},
              "lazy": {"rootMargin": "400px"}, "video": {"autoplay": False, "muted": True},
              "sticky": {"footerAd": True}, "abTests": {hexid(rng, 6): rng.choice("AB")
                                                        for _ in range(4)}}
    return (sprite(rng) + "\n" + tags + "\n<script>window.__siteConfig="
            + json.dumps(config) + ";</script>\n<noscript><img src=\"https://sb.scorecardresearch."
            f"com/p?c1=2&amp;c2={rng.randint(10**6, 10**7)}&amp;cv=4.4.0&amp;cj=1\" alt=\"\">"
            "</noscript>")


# -- the pass ------------------------------------------------------------------------

def _region(name: str, content: str) -> str:
    return f"<!-- mirror:{name} -->\n{content}\n<!-- /mirror:{name} -->"


def _place(page: str, name: str, anchor: str, last: bool = False) -> str:
    if f"<!-- mirror:{name} -->" in page:
        return page
    where = page.rfind(anchor) if last else page.find(anchor)
    if where < 0:
        raise ValueError(f"no {anchor!r} in the page for the {name} region")
    return page[:where] + _region(name, "") + "\n" + page[where:]


def furnish(outlet: str, site: dict[str, Any], rel: str, page: str, info: dict[str, Any],
            siblings: list[tuple[str, str]]) -> str:
    """The page with its furniture regions (re)written."""
    page = _place(page, "head", "</head>")
    body_open = re.search(r"<body[^>]*>", page)
    if body_open is None:
        raise ValueError("no <body>")
    if "<!-- mirror:consent -->" not in page:
        page = page[:body_open.end()] + "\n" + _region("consent", "") + page[body_open.end():]
    page = _place(page, "menu", site["anchor_menu"])
    page = _place(page, "more", site["anchor_more"])
    page = _place(page, "footer", site["anchor_footer"], last=True)
    page = _place(page, "scripts", "</body>", last=True)
    bare = re.sub(r"<!-- mirror:(\w+) -->.*?<!-- /mirror:\1 -->", "", page, flags=re.S)
    rng = random.Random(f"{outlet}/{rel}")
    content = {"head": head(outlet, site, info, rel, bare, rng), "consent": consent(site, rng),
               "menu": menu(site, rng), "more": more(site, info, siblings, rng),
               "footer": footer(site, rng), "scripts": scripts(site, rng)}
    for name in REGIONS:
        page = re.sub(rf"<!-- mirror:{name} -->.*?<!-- /mirror:{name} -->",
                      lambda _m, n=name: _region(n, content[n]), page, count=1, flags=re.S)
    return page


def amp_css(outlet: str, rel: str) -> str:
    rng = random.Random(f"amp/{outlet}/{rel}")
    classes = [f"amp-{a}__{b}" for a in ("header", "article", "sidebar", "footer", "related",
                                         "share", "ad", "consent", "nav", "hero", "byline",
                                         "tags", "newsletter", "video", "gallery", "live",
                                         "promo", "ticker", "search", "menu") for b in (
        "inner", "title", "meta", "body", "list", "item", "link", "img", "caption", "label",
        "button", "wrap")]
    page = " ".join(f'class="{c}"' for c in classes)
    return critical_css(page, rng, "#333333")
