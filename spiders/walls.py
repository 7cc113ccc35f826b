"""Pages that stand where an article should be: bot challenges, consent walls, paywalls.

A listed article URL that answers 200 with a page in which no article is found is
looked at once more (:func:`find_wall`): the interstitials that anti-bot services,
consent platforms and paywalls serve carry recognisable markers.  Such a page is
archived as it came, counted under ``wall/<kind>`` (``challenge``, ``consent``,
``paywall``), logged with its URL, and not recorded as done: the next run fetches
the article again.  Only pages without an article are looked at, and pages whose
"article" is a few dozen words (an interstitial's text can pass for a short article;
for those, consent banners do not count: ordinary article pages carry them too).

Reads no settings.
"""

from __future__ import annotations

import re

# (kind, what it is, pattern) - first match wins; challenges before paywalls before
# consent dialogs, since paywalls and challenges often show a consent banner as well.
WALL_MARKERS: tuple[tuple[str, str, re.Pattern[str]], ...] = tuple(
    (kind, name, re.compile(pattern, re.I)) for kind, name, pattern in (
        ("challenge", "Cloudflare challenge",
         r"<title>\s*Just a moment\.\.\.\s*</title>|cf-chl-|cf_chl_opt|"
         r"challenges\.cloudflare\.com|Attention Required! \| Cloudflare"),
        ("challenge", "Imperva/Incapsula", r"_Incapsula_Resource|Incapsula incident ID"),
        ("challenge", "DataDome", r"captcha-delivery\.com"),
        ("challenge", "PerimeterX/HUMAN", r"px-captcha|_pxCaptcha"),
        ("challenge", "Akamai", r"errors\.edgesuite\.net|Access Denied.{0,400}Reference #"),
        ("challenge", "Sucuri", r"Sucuri WebSite Firewall"),
        ("challenge", "AWS WAF", r"awswaf\.com|AwsWafIntegration"),
        ("challenge", "CAPTCHA",
         r"verify (?:that )?you are (?:a )?human|are you a robot|checking your browser|"
         r"unusual traffic from your|enable JavaScript and cookies to continue"),
        ("paywall", "isAccessibleForFree false",
         r"\"isAccessibleForFree\"\s*:\s*\"?false"),
        ("paywall", "Piano", r"tinypass\.com|piano\.io/|\btp-modal\b"),
        ("paywall", "subscriber wall",
         r"subscribe (?:now )?to (?:continue|keep) reading|for subscribers only|"
         r"already a subscriber\?|للمشتركين فقط"),
        ("consent", "consent platform",
         r"sp_message_container|didomi-popup|qc-cmp2|fc-consent-root|"
         r"onetrust-consent-sdk|consent\.google\.|consent\.yahoo\.com"),
        ("consent", "consent wall",
         r"we value your privacy|before you continue to|accept all cookies"),
    ))


# An interstitial says a few dozen words; a real article, even a brief, says more.
WALL_MAX_WORDS = 100


def find_wall(text: str, kinds: tuple[str, ...] = ("challenge", "paywall", "consent")
              ) -> tuple[str, str] | None:
    """``(kind, what)`` of the wall this page (its decoded text, which gave no article
    or a very short one) shows, or None."""
    head = text[:512 * 1024]  # interstitials are small; a marker sits near the top
    for kind, name, pattern in WALL_MARKERS:
        if kind in kinds and pattern.search(head):
            return kind, name
    return None
