"""Article texts for the benchmarks, with the word frequencies of real English and Arabic.

Words are drawn from wordfreq's lists (frequencies measured on large real corpora: news,
subtitles, the web), so common words are as common, and rare ones as rare, as in news
prose; only the word order is random.  Every article names Syria and some of its places
and carries figures, as the crawled coverage does, so relevance and the dedup's facts
see what they see in a crawl.  Deterministic for a seed.  Used by ``make bench`` (the
generated site and the dedup at scale); a measurement aid, not a test.
"""

from __future__ import annotations

import random
import re
from dataclasses import dataclass
from functools import cache

# Places and names the coverage is about (a handful of the gazetteer's), per language.
PLACES = {
    "en": ["Syria", "Damascus", "Aleppo", "Idlib", "Homs", "Hama", "Deir ez-Zor", "Raqqa",
           "Latakia", "Daraa", "Qamishli", "Tartus", "Manbij", "Afrin", "Suwayda"],
    "ar": ["سوريا", "دمشق", "حلب", "إدلب", "حمص", "حماة", "دير الزور", "الرقة", "اللاذقية",
           "درعا", "القامشلي", "طرطوس", "منبج", "عفرين", "السويداء"],
}
SYRIA = {"en": "Syria", "ar": "سوريا"}
_WORD = re.compile(r"^\w+$")


@dataclass(frozen=True)
class Words:
    words: list[str]
    cumulative: list[float]


@cache
def vocabulary(language: str, size: int = 30_000) -> Words:
    """The ``size`` most frequent words of ``language`` with their cumulative frequencies
    (words only: no digits, punctuation or apostrophes, so a text needs no escaping)."""
    from wordfreq import top_n_list, word_frequency

    words = [w for w in top_n_list(language, size) if _WORD.match(w) and not any(
        c.isdigit() for c in w)]
    cumulative, total = [], 0.0
    for w in words:
        total += word_frequency(w, language)
        cumulative.append(total)
    return Words(words, cumulative)


class Writer:
    """Titles and bodies in one language, from one seeded random generator."""

    def __init__(self, language: str, seed: int) -> None:
        self.language = language
        self.rng = random.Random(seed)
        self.vocab = vocabulary(language)
        self.places: set[str] = set()  # the places named since the last body began

    def words(self, n: int) -> list[str]:
        return self.rng.choices(self.vocab.words, cum_weights=self.vocab.cumulative, k=n)

    def sentence(self, low: int = 12, high: int = 30) -> str:
        ws = self.words(self.rng.randint(low, high))
        # a place or a figure in about every other sentence, as news prose has
        if self.rng.random() < 0.35:
            place = self.rng.choice(PLACES[self.language])
            self.places.add(place)
            ws.insert(self.rng.randrange(len(ws)), place)
        if self.rng.random() < 0.25:
            ws.insert(self.rng.randrange(len(ws)), str(self.rng.choice(
                (self.rng.randint(2, 99), self.rng.randint(100, 5000), 2024, 2025, 2026))))
        text = " ".join(ws)
        return (text[:1].upper() + text[1:] if self.language == "en" else text) + "."

    def title(self) -> str:
        """A headline that names Syria or one of its places."""
        ws = self.words(self.rng.randint(6, 11))
        ws.insert(self.rng.randrange(len(ws) + 1), self.rng.choice(
            [SYRIA[self.language]] + PLACES[self.language][:6]))
        text = " ".join(ws)
        return text[:1].upper() + text[1:] if self.language == "en" else text

    def body(self, low: int = 450, high: int = 900) -> list[str]:
        """Paragraphs of two to four sentences, ``low``-``high`` words in all; Syria named
        in the first and the last (the relevance pipeline wants two mentions)."""
        target = self.rng.randint(low, high)
        self.places = {SYRIA[self.language]}
        paragraphs: list[str] = []
        total = 0
        while total < target:
            p = " ".join(self.sentence() for _ in range(self.rng.randint(2, 4)))
            paragraphs.append(p)
            total += len(p.split())
        paragraphs[0] = f"{SYRIA[self.language]} {paragraphs[0]}"
        paragraphs[-1] = f"{paragraphs[-1]} {SYRIA[self.language]}."
        return paragraphs

    def republished(self, paragraphs: list[str]) -> list[str]:
        """A syndicated copy: a new lead, the ending trimmed or a few words changed."""
        copy = list(paragraphs)
        kind = self.rng.choice(("lead", "trim", "edit"))
        if kind == "lead":
            copy[0] = " ".join(self.sentence() for _ in range(2))
        elif kind == "trim" and len(copy) > 4:
            copy = copy[:-1]
        else:
            for i, p in enumerate(copy):
                ws = p.split()
                ws[self.rng.randrange(len(ws))] = self.words(1)[0]
                copy[i] = " ".join(ws)
        return copy
