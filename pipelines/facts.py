"""The facts of a news text: its figures and the places and parties it names.

Words alone mislead deduplication twice.  Daily reports cut from one template (a
casualty toll, the day's exchange rates) share most of their words and differ only
in their figures and places, so they look like copies; and an English article and
its Arabic translation share no word at all, though they report the same figures
about the same places.  The facts are what such texts agree or disagree on:

* **figures**: every number written with digits (Arabic-Indic digits and separators
  read as ASCII through :func:`archive.text.ascii_digits`), thousands separators
  dropped, and the multiplier words of both languages applied, so "412,000",
  "412 ألف" and "٤١٢ ألفاً" are one fact, and "1.3 million" is "1.3 مليون";
* **places and parties**: Syria's names from the relevance gazetteer
  (:mod:`pipelines.gazetteer`: governorates, towns, armed groups, leaders) and a short
  list of what lies beyond it (neighbouring states, UN agencies, currencies), so that
  "Aleppo" and "حلب" (with its clitics: "وبحلب") are one fact.

Facts are compared by weight: a day of the month or a year says little (every
story of the day shares them), a four-digit toll says much.  :func:`missing` is the
weighted share of one text's facts that the other lacks (how the dedup rules tell
a templated report from a copy), :func:`overlap` the weighted share two texts
have in common (how they find a translation).  Text goes through
:mod:`archive.text` only.  No settings are read here.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from decimal import Decimal, InvalidOperation
from functools import lru_cache

from archive.text import ARTICLE, CLITICS, ascii_digits, fold
from pipelines.gazetteer import gazetteer

# A number as written in news copy: 14500, 14,500, 1.3, ١٤٬٥٠٠ (after ascii_digits).
# Arabic writes clitics onto numbers ("و1200", "بـ300"), so no word boundary is asked
# for in front; the pattern starts with a digit so that the scan skips to digits fast.
_NUMBER = re.compile(
    r"(\d{1,3}(?:,\d{3})+|\d+)(?:\.(\d+))?(?![\d])"
    r"(?:\s?(thousand|million|billion|bn|الف|الاف|الفا|مليون|ملايين|مليونا|مليار|مليارات|مليارا)"
    r"(?!\w))?")
_MULTIPLIER = {
    "thousand": 10**3, "الف": 10**3, "الاف": 10**3, "الفا": 10**3,
    "million": 10**6, "مليون": 10**6, "ملايين": 10**6, "مليونا": 10**6,
    "billion": 10**9, "bn": 10**9, "مليار": 10**9, "مليارات": 10**9, "مليارا": 10**9,
}

# Syria's own names (governorates, towns, regions, armed groups, leaders) come from the
# relevance gazetteer (pipelines/gazetteer.toml), Syria itself left out: every article
# here names it.  What a Syria story names beyond them, here: neighbouring states, the
# agencies that publish figures, currencies.  Concept -> (English forms, Arabic forms,
# Arabic forms only ever written with the article), in the matching form of
# archive.text.fold (ة as ه, ى as ي, hamza carriers folded); a name written with the
# article goes in the third list, which also finds it after "لل" ("للأمم المتحدة").
PARTIES: dict[str, tuple[tuple[str, ...], tuple[str, ...], tuple[str, ...]]] = {
    "lebanon": (("lebanon", "lebanese"), ("لبنان", "لبناني(?:ه|ين|ون)?"), ()),
    "bekaa": (("bekaa", "beqaa"), (), ("بقاع",)),
    "turkey": (("turkey", "turkish", "turkiye", "türkiye"), ("تركيا", "تركي(?:ه)?"), ()),
    "iraq": (("iraq", "iraqi"), ("عراق", "عراقي(?:ه|ين|ون)?"), ()),
    "jordan": (("jordan", "jordanian"), ("اردن", "اردني(?:ه|ين|ون)?"), ()),
    "israel": (("israel", "israeli"), ("اسراييل", "اسراييلي(?:ه|ين|ون)?"), ()),
    "iran": (("iran", "iranian"), ("ايران", "ايراني(?:ه|ين|ون)?"), ()),
    "russia": (("russia", "russian"), ("روسيا", "روسي(?:ه)?"), ()),
    "united-states": (("united states", "washington", "american"),
                      ("واشنطن", "امريكي(?:ه)?", "اميركي(?:ه)?"), ("ولايات المتحده",)),
    "united-nations": (("united nations", "un"), ("اممي(?:ه)?",), ("امم المتحده",)),
    "unhcr": (("unhcr", "un refugee agency"), ("مفوضيه",), ()),
    "unicef": (("unicef",), ("يونيسف",), ()),
    "wfp": (("world food programme", "wfp"), ("برنامج الاغذيه العالمي",), ()),
    "red-crescent": (("red crescent",), (), ("هلال الاحمر",)),
    "sohr": (("sohr", "syrian observatory"), (), ("مرصد السوري",)),
    "central-bank": (("central bank",), ("مصرف سوريا المركزي",), ("مصرف المركزي",)),
    "dollar": (("dollars?", "usd"), ("دولار(?:ا|ات)?",), ()),
    "euro": (("euros?",), ("يورو",), ()),
}


_CLITIC_PREFIX = re.compile(CLITICS)
_ARTICLE_PREFIX = re.compile(ARTICLE)


def _literal(form: str) -> str:
    """The plain letters a form's every match starts with ("dollars?" -> "dollar")."""
    head = re.match(r"[^\\\[\]().*+?{}|^$]*", form)
    lit = head.group(0) if head else ""
    if lit and form[len(lit):len(lit) + 1] in ("?", "*", "{"):
        lit = lit[:-1]  # a quantifier applies to the last letter
    return lit


def _forms() -> list[tuple[str, re.Pattern[str], re.Pattern[str] | None, str]]:
    """Per form: its concept, its pattern (starting with its first letter, so that the
    scan jumps to where it can match), what may stand in front of it in its word
    (nothing (English), Arabic clitics, or the Arabic article with its clitics) and the
    letters it starts with (a text without them is not scanned)."""
    out: list[tuple[str, re.Pattern[str], re.Pattern[str] | None, str]] = []
    for concept, (en, ar, ar_article) in PARTIES.items():
        for forms, prefix in ((en, None), (ar, _CLITIC_PREFIX), (ar_article, _ARTICLE_PREFIX)):
            out += [(concept, re.compile(f"(?:{f})(?!\\w)"), prefix, _literal(f)) for f in forms]
    return out


# One alternation of every form, tried at every position, cost ~4 ms per article; a
# pattern per form that starts with a letter is searched for like a plain string.
_FORMS = _forms()


def _names(text: str, pattern: re.Pattern[str], prefix: re.Pattern[str] | None) -> bool:
    for m in pattern.finditer(text):
        start = begin = m.start()
        while begin and (text[begin - 1].isalnum() or text[begin - 1] == "_"):
            begin -= 1
        before = text[begin:start]
        if (not before) if prefix is None else bool(prefix.fullmatch(before)):
            return True
    return False


# English writes the sign ("$212m"), Arabic the word ("212 مليون دولار").
_CURRENCY_SIGNS = {"$": "p:dollar", "€": "p:euro"}


def _number(integer: str, fraction: str | None, multiplier: str | None) -> str | None:
    try:
        value = Decimal(integer.replace(",", "") + (f".{fraction}" if fraction else ""))
    except InvalidOperation:
        return None
    if multiplier:
        value *= _MULTIPLIER[multiplier]
    # 1.30 and 1.3 are one figure; 1.3e6 is written out.
    return format(value.normalize(), "f")


def facts(text: str | None, names: Iterable[str] | None = None, *,
          folded: str | None = None) -> frozenset[str]:
    """The figures (``n:412000``) and places or parties (``p:Aleppo``, ``p:lebanon``) of a
    text.  ``names`` are the gazetteer names the article mentions when they are known
    already (the relevance verdict's ``terms``); otherwise the gazetteer reads the text.
    ``folded`` is the text's matching form when the caller has it (folding and ASCII
    digits commute)."""
    if not text:
        return frozenset()
    folded = ascii_digits(folded if folded is not None else fold(text))
    out = set()
    for m in _NUMBER.finditer(folded):
        value = _number(m.group(1), m.group(2), m.group(3))
        if value is not None:
            out.add("n:" + value)
    for concept, pattern, prefix, literal in _FORMS:
        if literal in folded and "p:" + concept not in out and _names(folded, pattern, prefix):
            out.add("p:" + concept)
    if names is None:
        names = [m.name for m in gazetteer().find(text)]
    # Stored space-separated: a name's spaces become underscores.
    out.update("p:" + name.replace(" ", "_") for name in names if name != "Syria")
    out.update(fact for sign, fact in _CURRENCY_SIGNS.items() if sign in folded)
    return frozenset(out)


@lru_cache(maxsize=1 << 16)  # a crawl's facts repeat: Decimal parsing was its costliest step
def weight(fact: str) -> float:
    """How much a fact tells two stories apart: a place 0.5; a year or a number up to
    31 (a day of the month, a small count) little; any other figure 1."""
    if fact.startswith("p:"):
        return 0.5
    value = Decimal(fact[2:])
    if value == value.to_integral_value():
        if 1900 <= value <= 2100:
            return 0.25
        if value <= 31:
            return 0.5
    return 1.0


def total(fs: Iterable[str]) -> float:
    return sum(weight(f) for f in fs)


def missing(a: frozenset[str], b: frozenset[str]) -> float:
    """The weighted share of ``a``'s facts that ``b`` does not have (0 when ``a`` has none)."""
    whole = total(a)
    return total(a - b) / whole if whole else 0.0


@lru_cache(maxsize=1 << 12)
def _whole(fs: frozenset[str]) -> float:
    """:func:`total` of a stored article's facts, asked again for every candidate pair."""
    return total(fs)


def overlap(a: frozenset[str], b: frozenset[str]) -> tuple[float, float]:
    """The weight of the facts ``a`` and ``b`` share, and its share of the smaller side."""
    both = a & b
    if not both:
        return 0.0, 0.0
    shared = total(both)
    smaller = min(_whole(a), _whole(b))
    return shared, (shared / smaller if smaller else 0.0)


def to_text(fs: frozenset[str]) -> str:
    """Facts as stored: sorted, one space between."""
    return " ".join(sorted(fs))


def from_text(value: str | None) -> frozenset[str] | None:
    """Stored facts back; None when none were stored (an index from an older version)."""
    if value is None:
        return None
    return frozenset(value.split())
