"""Text normalisation for English and Arabic: the stored form and the matching form.

* **Stored form** (:func:`tidy`): Unicode NFC, invisible formatting characters
  (directional marks, zero-width spaces, BOMs, soft hyphens) removed, runs of
  whitespace made one space.  Nothing else changes: Arabic letters, diacritics,
  tatweel and joiners stay as the outlet printed them.
* **Matching form** (:func:`fold`): NFKC, every invisible mark dropped, Arabic
  diacritics and tatweel removed, alef forms, alef maqsura, hamza carriers and
  taa marbuta folded, Persian look-alike letters folded, case folded.  It is
  never stored; :func:`words` and :func:`match_key` cut it into words.
* **Arabic clitics**: the letters Arabic writes in front of a word
  (conjunctions wa-/fa-, prepositions bi-/ka-/li-, the article al-), as regular
  expression parts for matching (:data:`CLITICS`, :data:`ARTICLE`, :data:`PROCLITICS`)
  and removed
  from a word by :func:`strip_clitics`.
* **Digits**: :func:`ascii_digits` turns Arabic-Indic and Persian digits and the
  Arabic decimal and thousands separators into ASCII.

One module for every reader of text: cleaning (repeated blocks), relevance
(Syria terms), dedup (fingerprints and shingles), date parsing (digits) and the
catalog's word index.  It sits at the bottom of the house, beside the catalog,
so that all of them share one definition.
"""

from __future__ import annotations

import re
import unicodedata

# Formatting characters that are never part of the text (stored form).
_INVISIBLE_STORED = re.compile("[\u00ad\u061c\u200b\u200e\u200f\u202a-\u202e\u2066-\u2069\ufeff]")
# For matching, joiners and word joiners go too.
_INVISIBLE = re.compile("[\u00ad\u061c\u200b-\u200f\u202a-\u202e\u2060-\u2069\ufeff]")
_SPACES = re.compile(r"[\s\u00a0\u2000-\u200a\u202f\u205f\u3000]+")
# Arabic harakat, Quranic marks, superscript alef, tatweel.
_ARABIC_MARKS = re.compile("[\u0610-\u061a\u064b-\u065f\u0670\u06d6-\u06ed\u0640]")
_FOLD = str.maketrans({
    "أ": "ا", "إ": "ا", "آ": "ا", "ٱ": "ا",
    "ى": "ي", "ئ": "ي", "ؤ": "و", "ة": "ه",
    # Persian/Urdu look-alikes that turn up in Arabic pages
    "ی": "ي", "ک": "ك", "ە": "ه",
})
_DIGITS = str.maketrans({**{chr(0x660 + i): str(i) for i in range(10)},
                         **{chr(0x6F0 + i): str(i) for i in range(10)},
                         "\u066b": ".", "\u066c": ","})
_WORD = re.compile(r"\w+")
_ARABIC_WORD = re.compile(r"[\u0621-\u064a]+")

#: Optional clitics in front of an Arabic word, in the matching form:
#: conjunction, preposition, article ("وبالـ", "فلـ", "كـ").
CLITICS = r"(?:[وف]?[بكل]?(?:ال|ل)?)"
#: The article with what may stand before it ("والـ", "بالـ", "للـ").
ARTICLE = r"(?:[وف]?[بك]?(?:ال|لل))"
#: Conjunction and preposition without the article ("وبـ", "لـ"): for names that never
#: take the article (حمص is Homs, الحمص chickpeas).
PROCLITICS = r"(?:[وف]?[بكل]?)"
_STRIP_CLITICS = re.compile(r"^(?:[وف]?[بكل]?(?:ال|ل)|[وف][بكل]?|[بكل])")


def tidy(text: object) -> str:
    """The stored form of a text (see the module docstring); ``""`` for None."""
    if text is None:
        return ""
    text = unicodedata.normalize("NFC", str(text))
    return _SPACES.sub(" ", _INVISIBLE_STORED.sub("", text)).strip()


def fold(text: str) -> str:
    """The matching form of a text; never stored."""
    text = unicodedata.normalize("NFKC", text)
    text = _INVISIBLE.sub("", text)
    text = _ARABIC_MARKS.sub("", text)
    return text.translate(_FOLD).casefold()


def words(text: str) -> list[str]:
    """The words of a text's matching form."""
    return _WORD.findall(fold(text))


def match_key(text: str | None) -> str:
    """A text reduced to its words for comparison: spacing, punctuation, case,
    diacritics and letter forms do not make two texts differ."""
    return " ".join(words(text)) if text else ""


def ascii_digits(text: str) -> str:
    """Arabic-Indic and Persian digits (and the Arabic separators) as ASCII."""
    return text.translate(_DIGITS)


def strip_clitics(word: str) -> str:
    """An Arabic word in matching form without the clitics written in front of it
    (at least three letters are left; a shorter rest means they were the word's own)."""
    bare = _STRIP_CLITICS.sub("", word)
    return bare if len(bare) >= 3 else word


def arabic_stems(text: str) -> str:
    """The Arabic words of a matching-form text that carry clitics, without them."""
    out = []
    for word in _ARABIC_WORD.findall(text):
        bare = strip_clitics(word)
        if bare != word:
            out.append(bare)
    return " ".join(out)
