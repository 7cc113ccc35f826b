"""The Syria gazetteer (``gazetteer.toml``, package data) compiled into one matcher.

Entries are names of Syrian governorates, cities, towns, regions, landmarks, parties,
armed groups and leaders, each with the spellings outlets print in English and Arabic;
``[[negative]]`` rows and ``[us_homonyms]`` are hard negatives (a name inside one of
their phrases is no mention).  The file's header says how a variant is written.

Matching is on the text's matching form (:func:`archive.text.fold`): case, Arabic
diacritics, tatweel, hamza carriers, alef forms and taa marbuta do not matter.  Arabic
names carry the clitics Arabic writes in front of them (:data:`archive.text.CLITICS`,
:data:`~archive.text.ARTICLE`, :data:`~archive.text.PROCLITICS`).  Names match as whole
words and the longest name at a place wins ("Syrian Democratic Forces" is the SDF, not
Syria).  Reads no settings.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from functools import cache
from importlib.resources import files
from pathlib import Path
from typing import Any

from archive.text import ARTICLE, CLITICS, PROCLITICS, fold

# Between the words of a name: spaces, hyphens, or nothing ("Deir-ez-Zor", "Deirezzor").
_SEP = r"[\s\-\u2010\u2011\u2013_]*"
# A transliterated Arabic article, as "{al}" in a variant: al-, el-, ad-, an-, ar-, ash-...
_EN_ARTICLE = r"(?:al|el|ul|ad|ed|adh|an|en|ar|er|as|es|ash|esh|at|et|ath|az|ez)"
_APOSTROPHE = "['\u2019\u2018\u02bc\u02bf\u02be`\u00b4]?"
_BEFORE, _AFTER = r"(?<!\w)", r"(?!\w)"
# How far around a mention a hard negative phrase may reach.
_WINDOW = 80
_EN_LITERAL = re.compile(r"\([^)]*\)|\{al\}|['\s]")


@dataclass(frozen=True)
class Entry:
    name: str
    kind: str
    en: tuple[str, ...] = ()
    ar: tuple[str, ...] = ()
    ar_article: bool = False


@dataclass(frozen=True)
class Mention:
    """One name found: the entry's name and the text as matched (in matching form)."""

    name: str
    surface: str
    start: int
    end: int


def _en_word(word: str) -> str:
    out, i = [], 0
    while i < len(word):
        c = word[i]
        if c == "'":
            out.append(_APOSTROPHE)
        elif c == "(":
            end = word.find(")", i)
            if end < 0:
                raise ValueError(f"variant {word!r}: '(' without ')'")
            out.append("(?:" + re.escape(word[i + 1:end]) + ")?")
            i = end
        else:
            out.append(re.escape(c))
        i += 1
    return "".join(out)


def en_pattern(variant: str) -> str:
    """A regular expression for an English variant written as the data file describes."""
    parts: list[str] = []
    words = fold(variant).split()
    if words[0] == "{al}":  # a word boundary follows "al-" anyway
        words = words[1:]
    for i, word in enumerate(words):
        if word == "{al}":
            parts.append(f"(?:{_EN_ARTICLE}{_SEP})?")
            continue
        parts.append(_en_word(word))
        if i < len(words) - 1:
            parts.append(_SEP)
    return "".join(parts)


def en_literal(variant: str) -> str:
    """The longest run of letters every match of an English variant contains."""
    return max(_EN_LITERAL.split(fold(variant)), key=len)


def ar_literal(variant: str) -> str:
    """The longest word every match of an Arabic variant contains (article left out)."""
    words = fold(variant).split()
    words[0] = words[0].removeprefix("ال")
    return max(words, key=len)


def ar_pattern(variant: str, article_optional: bool = False) -> str:
    """A regular expression for an Arabic variant, with the clitics it may carry."""
    folded = fold(variant).split()
    body = r"[\s\-]*".join(re.escape(w) for w in folded)
    if folded[0].startswith("ال"):
        stem = body[2:]
        # li- before a name whose stem starts with lam: ل + اللاذقية is written للاذقية
        return (f"(?:{ARTICLE}|[وف]?ل)" if stem.startswith("ل") else ARTICLE) + stem
    return (CLITICS if article_optional else PROCLITICS) + body


class _Compiled:
    """One entry's variants as one expression, with the literals a match must contain."""

    def __init__(self, entry: Entry) -> None:
        self.name = entry.name
        variants = [(en_pattern(v), en_literal(v)) for v in entry.en]
        variants += [(ar_pattern(v, entry.ar_article), ar_literal(v)) for v in entry.ar]
        variants.sort(key=lambda pl: -len(pl[0]))  # the longest spelling first
        self.literals = tuple({lit for _, lit in variants})
        self.regex = re.compile(_BEFORE + "(?:" + "|".join(p for p, _ in variants) + ")" + _AFTER)


class Gazetteer:
    """Finds gazetteer names in a text, hard negatives excluded.

    Each entry is searched only when a literal part of one of its spellings occurs in
    the text (a substring test), so a long article costs a few ``str.__contains__``
    calls per entry and a handful of small regular-expression scans, not one scan with
    hundreds of alternatives at every word."""

    def __init__(self, entries: list[Entry], negatives: list[str]) -> None:
        self.entries = entries
        self._compiled = [_Compiled(e) for e in entries if e.en or e.ar]
        self._negatives = re.compile(
            _BEFORE + "(?:" + ("|".join(f"(?:{n})" for n in negatives) or "(?!)") + ")" + _AFTER)

    @classmethod
    def from_toml(cls, data: dict[str, Any]) -> Gazetteer:
        entries = [Entry(e["name"], e.get("kind", ""), tuple(e.get("en", ())),
                         tuple(e.get("ar", ())), bool(e.get("ar_article", False)))
                   for e in data.get("entry", [])]
        negatives: list[str] = []
        for neg in data.get("negative", []):
            negatives += [en_pattern(v) for v in neg.get("en", ())]
            negatives += [ar_pattern(v) for v in neg.get("ar", ())]
            negatives += list(neg.get("en_re", ())) + list(neg.get("ar_re", ()))
        homonyms = data.get("us_homonyms")
        if homonyms:
            names = "|".join(en_pattern(n) for n in homonyms["names"])
            states = "|".join(re.escape(s).replace(r"\ ", _SEP) for s in homonyms["states"])
            negatives.append(rf"(?:{names})(?:\s+township)?\s*,\s*(?:{states})")
        return cls(entries, negatives)

    @classmethod
    def load(cls, path: Path | None = None) -> Gazetteer:
        """The gazetteer of ``path``, or the one shipped with the package."""
        text = (path.read_text(encoding="utf-8") if path is not None
                else files("pipelines").joinpath("gazetteer.toml").read_text(encoding="utf-8"))
        try:
            return cls.from_toml(tomllib.loads(text))
        except (ValueError, KeyError, re.error) as exc:  # TOMLDecodeError is a ValueError
            raise ValueError(f"{path or 'pipelines/gazetteer.toml'}: {exc}") from exc

    def find(self, text: str | None) -> list[Mention]:
        """Every name in ``text`` (in order), none that lies inside a hard negative."""
        if not text:
            return []
        norm = fold(text)
        hits: list[tuple[int, int, str, str]] = []
        for c in self._compiled:
            if any(lit in norm for lit in c.literals):
                hits += [(m.start(), m.end(), c.name, m.group(0)) for m in c.regex.finditer(norm)]
        # At one place the longest name wins ("Syrian Democratic Forces" over "Syrian").
        hits.sort(key=lambda h: (h[0], h[0] - h[1]))
        out: list[Mention] = []
        end = -1
        for start, stop, name, surface in hits:
            if start < end or self._negated(norm, start, stop):
                continue
            out.append(Mention(name, surface, start, stop))
            end = stop
        return out

    def _negated(self, norm: str, start: int, stop: int) -> bool:
        # Negative phrases are short: look only around the mention.
        window = self._negatives.finditer(norm, max(0, start - _WINDOW),
                                          min(len(norm), stop + _WINDOW))
        return any(m.start() < stop and start < m.end() for m in window)


@cache
def gazetteer() -> Gazetteer:
    """The package's gazetteer, compiled once per process."""
    return Gazetteer.load()
