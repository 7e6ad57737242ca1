"""Spelling: a misspelt word of a question corrected to the closest word the knowledge base knows."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from functools import lru_cache

from rapidfuzz import process
from rapidfuzz.distance import OSA

from engine.lexicon import Lexicon

#: Words at least this common (Zipf) in French or English are real words, never corrected.
REAL_WORD_ZIPF = 3.0
#: Corrections memoised per speller (bounded: hostile input cannot grow it).
MEMO = 4096


def max_distance(word: str) -> int:
    return 1 if len(word) <= 6 else 2


class Speller:
    """Corrects against a fixed vocabulary; real French or English words are left alone."""

    def __init__(self, known_words: Iterable[str], lexicon: Lexicon) -> None:
        self.known = frozenset(known_words)
        self._lexicon = lexicon
        by_length: dict[int, list[str]] = defaultdict(list)
        for word in sorted(self.known):
            if not word.isdigit():
                by_length[len(word)].append(word)
        self._by_length = dict(by_length)
        self.correct = lru_cache(maxsize=MEMO)(self._correct)

    def _correct(self, word: str) -> str:
        """The known word closest to a misspelt one (OSA distance 1, or 2 for long words).

        "price" is not a typo of "prise": a word common in either language stays as it is.
        """
        lexicon = self._lexicon
        if word in self.known or len(word) < 4 or word.isdigit() or lexicon.zipf(word) >= REAL_WORD_ZIPF:
            return word
        limit = max_distance(word)
        found: list[tuple[str, float, int]] = []
        for length in range(len(word) - limit, len(word) + limit + 1):
            choices = self._by_length.get(length)
            if choices:
                found += process.extract(word, choices, scorer=OSA.distance, score_cutoff=limit, limit=8)
        if not found:
            return word
        # The closest word; among equals, one that starts alike ("wher" is "where", not "her"),
        # then a content word over a stop word, then a longer word (a letter left out is the
        # commonest typo: "wher" is "where" rather than "when"), then the nearest length.
        stopwords = lexicon.stopwords
        best = min(
            found,
            key=lambda f: (
                f[1],
                f[0][0] != word[0],
                f[0] in stopwords,
                len(f[0]) <= len(word),
                abs(len(f[0]) - len(word)),
                f[0],
            ),
        )
        return best[0]
