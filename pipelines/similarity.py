"""Text fingerprints for deduplication: exact hashes and MinHash signatures.

Texts are cut into the words of their matching form (:func:`archive.text.words`:
Arabic folded, case folded); the exact fingerprint is a hash of that word sequence, the
near-duplicate signature a MinHash (rensa, a Rust implementation: measured
faster than datasketch with as good recall) over word shingles.  LSH banding
of the signature gives the keys under which candidates are looked up.
"""

from __future__ import annotations

import hashlib
import struct
from dataclasses import dataclass
from functools import cached_property

from rensa import RMinHash

from archive.text import words

NUM_PERM = 256  # verification: the estimate's standard error is about 0.025 near 0.8
# LSH over the first 144 values, 48 bands of 3 rows: a pair is a candidate with
# probability 0.96 at Jaccard 0.4 and 0.998 at 0.5 (a wire copy with a new lede, a cut
# ending and outlet boilerplate sits near 0.5); 32 bands of 4 rows found only 0.56 and
# 0.87 of them.  Unrelated news texts (J < 0.02) collide with probability < 0.0004.
BANDS = 48
BAND_ROWS = 3
#: Stored with the index: an index built with other bands is rebuilt from its signatures.
LSH_SCHEME = f"{BANDS}x{BAND_ROWS}"
SEED = 20261125
SHINGLE = 3


def exact_fingerprint(text: str | list[str]) -> str:
    """The same words in the same order give the same fingerprint, whatever the
    spacing, punctuation, diacritics or letter forms (a text, or its :func:`words`)."""
    tokens = words(text) if isinstance(text, str) else text
    return hashlib.sha1(" ".join(tokens).encode("utf-8")).hexdigest()


def shingles(tokens: list[str], size: int = SHINGLE) -> set[str]:
    if len(tokens) < size:
        return {" ".join(tokens)} if tokens else set()
    if size == 3:  # the same strings, without a list slice per shingle
        return {f"{a} {b} {c}" for a, b, c in zip(tokens, tokens[1:], tokens[2:], strict=False)}
    return {" ".join(tokens[i:i + size]) for i in range(len(tokens) - size + 1)}


@dataclass(frozen=True)
class Signature:
    values: tuple[int, ...]
    size: int  # number of distinct shingles

    def bands(self, bands: int = BANDS, rows: int = BAND_ROWS) -> list[int]:
        """One 63-bit key per band: (band number, the band's values) hashed."""
        pack = struct.Struct(f"<H{rows}I").pack
        values = self.values
        return [int.from_bytes(hashlib.blake2b(pack(b, *values[b * rows:(b + 1) * rows]),
                                               digest_size=8).digest(), "little") >> 1
                for b in range(bands)]

    @cached_property
    def band_keys(self) -> list[int]:
        """:meth:`bands` with the project's banding, computed once (looked up, then stored)."""
        return self.bands()

    def jaccard(self, other: Signature) -> float:
        same = sum(1 for a, b in zip(self.values, other.values, strict=True) if a == b)
        return same / len(self.values)

    def containment(self, other: Signature, jaccard: float | None = None) -> float:
        """Estimated share of the smaller text found in the other: a trimmed copy
        of a wire story is contained in the original though their Jaccard is low."""
        j = self.jaccard(other) if jaccard is None else jaccard
        small = min(self.size, other.size)
        if small == 0:
            return 0.0
        common = j * (self.size + other.size) / (1 + j)
        return min(1.0, common / small)

    def to_bytes(self) -> bytes:
        return struct.pack(f"<I{len(self.values)}I", self.size, *self.values)

    @classmethod
    def from_bytes(cls, data: bytes) -> Signature:
        n = len(data) // 4 - 1
        size, *values = struct.unpack(f"<I{n}I", data)
        return cls(tuple(values), size)


def signature(text: str | list[str], num_perm: int = NUM_PERM) -> Signature:
    """The MinHash signature of a text, or of its :func:`words`."""
    grams = shingles(words(text) if isinstance(text, str) else text)
    minhash = RMinHash(num_perm=num_perm, seed=SEED)
    minhash.update(list(grams))
    return Signature(tuple(minhash.digest()), len(grams))
