"""Is a text about Syria?  English and Arabic terms, Arabic normalised for matching.

Matching runs on a normalised copy of the text (never on the stored text):
NFKC, lower case, Arabic diacritics and tatweel removed, alef forms, alef
maqsura and taa marbuta folded, invisible and directional marks dropped.
A term matches only as a whole word; Arabic terms may carry the clitics a
word takes in front (wa-, fa-, bi-, li-, ka-, al-) and the Syrian adjective
its endings, so "وبدمشق" and "السوريين" match, "حلبة" (an arena) does not.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable

# Arabic harakat, Quranic marks, superscript alef; tatweel.
_ARABIC_MARKS = re.compile("[\u0610-\u061a\u064b-\u065f\u0670\u06d6-\u06ed\u0640]")
_INVISIBLE = re.compile("[\u00ad\u200b-\u200f\u202a-\u202e\u2060-\u2069\ufeff]")
_FOLD = str.maketrans({
    "أ": "ا", "إ": "ا", "آ": "ا", "ٱ": "ا",
    "ى": "ي", "ئ": "ي", "ؤ": "و", "ة": "ه",
    # Persian/Urdu look-alikes that turn up in Arabic pages
    "ی": "ي", "ک": "ك", "ە": "ه",
})


def normalise_arabic(text: str) -> str:
    """Fold a text for matching; the result is never stored."""
    text = unicodedata.normalize("NFKC", text)
    text = _INVISIBLE.sub("", text)
    text = _ARABIC_MARKS.sub("", text)
    return text.translate(_FOLD).lower()


ENGLISH_TERMS = (
    r"syria", r"syrians?", r"syria's", r"damascus", r"aleppo", r"idlib", r"homs", r"hama",
    r"latakia", r"tartus", r"deir[ -]?ez[ -]?zor", r"deir al-zor", r"raqqa", r"hasakah?",
    r"qamishli", r"daraa", r"deraa", r"sweida", r"suwayda", r"suwaida", r"kobani", r"afrin",
    r"manbij", r"palmyra", r"quneitra", r"golan", r"assad", r"hts",
    r"hayat tahrir al-sham", r"hay'at tahrir al-sham",
)

# Written normalised (see normalise_arabic): ة as ه, ى as ي, no hamza on alef.
# Terms that may stand without the article.
ARABIC_TERMS = (
    r"سوري(?:ا|ه|ين|ون|ات|يين|يون)?", r"دمشق", r"حلب", r"ادلب", r"حمص", r"حماه",
    r"لاذقيه", r"طرطوس", r"درعا", r"منبج", r"عفرين", r"كوباني", r"تدمر", r"قنيطره",
    r"قسد", r"هييه تحرير الشام", r"دير الزور", r"بشار الاسد",
)
# Terms that are names only with the article (رقه alone is "thinness").
ARABIC_TERMS_WITH_ARTICLE = (
    r"رقه", r"حسكه", r"سويداء", r"قامشلي", r"جولان",
)

_WB_BEFORE = r"(?<![\w])"
_WB_AFTER = r"(?![\w])"
_EN_RE = re.compile(_WB_BEFORE + "(?:" + "|".join(ENGLISH_TERMS) + ")" + _WB_AFTER)
_AR_PREFIX = r"(?:[وف]?[بكل]?(?:ال|ل)?)"
_AR_ARTICLE = r"(?:[وف]?[بك]?(?:ال|لل))"
_AR_RE = re.compile(
    _WB_BEFORE + "(?:"
    + _AR_PREFIX + "(?:" + "|".join(ARABIC_TERMS) + ")"
    + "|" + _AR_ARTICLE + "(?:" + "|".join(ARABIC_TERMS_WITH_ARTICLE) + ")"
    + ")" + _WB_AFTER
)


def mentions(text: str | None) -> int:
    """How many times Syria terms occur in ``text`` (both languages)."""
    if not text:
        return 0
    norm = normalise_arabic(text)
    return len(_EN_RE.findall(norm)) + len(_AR_RE.findall(norm))


def matched_terms(text: str | None) -> list[str]:
    """The terms found, as they appear in the normalised text (for logs and tests)."""
    if not text:
        return []
    norm = normalise_arabic(text)
    return [m.group(0) for m in _EN_RE.finditer(norm)] + [m.group(0) for m in _AR_RE.finditer(norm)]


def about_syria(
    headline: Iterable[str | None], body: str | None, min_body_mentions: int = 2
) -> bool:
    """An article is about Syria when its headline fields name it, or its body
    does at least ``min_body_mentions`` times (one passing mention is not enough)."""
    if any(mentions(h) for h in headline):
        return True
    return mentions(body) >= min_body_mentions
