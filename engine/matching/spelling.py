"""Spelling: a misspelt word of a question corrected to the closest word the knowledge base knows."""

from __future__ import annotations

import bisect
from collections import defaultdict
from collections.abc import Iterable, Sequence, Set
from functools import lru_cache

from rapidfuzz import process
from rapidfuzz.distance import OSA

from engine.lexicon import Lexicon
from engine.matching.letterbags import Letters, filterable

#: Words at least this common (Zipf) in French or English are real words, never corrected.
REAL_WORD_ZIPF = 3.0
#: Corrections memoised per speller (bounded: hostile input cannot grow it).
MEMO = 4096
#: Distinct misspelt-looking words of one question searched for a correction (the first met); the rest stay
#: as written. Each search costs a rapidfuzz pass over the known words of a few lengths: this bounds a long
#: question of junk words (4,000 characters hold 700 of them). Evaluation questions need at most 2.
MAX_CORRECTIONS = 12


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
        #: Each long list's letters (letterbags.py), made with it: not on the first question that needs it.
        self._letters = {n: Letters.of(words, n) for n, words in self._by_length.items() if filterable(words, n)}
        self.correct = lru_cache(maxsize=MEMO)(self._correct)
        #: Words searched for a correction so far (memo misses that needed a search): the work done.
        self.searches = 0

    def evolved(self, known_words: Iterable[str]) -> Speller:
        """A speller of `known_words` made from this one's tables, with the words added and removed put in place.

        A reload that brings a few new words (an edited answer) would otherwise sort the whole
        vocabulary again (150,000 words at a thousand articles). Each length's list stays sorted,
        so the tables are those a new Speller would build; the memo starts empty (a correction may change).
        """
        known = frozenset(known_words)
        return self.changed(known - self.known, self.known - known)

    def changed(self, added: Set[str], removed: Set[str]) -> Speller:
        """`evolved` by the words added and removed (each added one new here, each removed one known here)."""
        new = Speller.__new__(Speller)
        new.known = (self.known - removed) | added
        new._lexicon = self._lexicon
        by_length = dict(self._by_length)
        copied: set[int] = set()

        def words_of(length: int) -> list[str]:
            if length not in copied:  # the lists this speller serves with are never changed in place
                by_length[length] = list(by_length.get(length, ()))
                copied.add(length)
            return by_length[length]

        for word in removed:
            if not word.isdigit():
                words_of(len(word)).remove(word)
        for word in added:
            if not word.isdigit():
                bisect.insort(words_of(len(word)), word)
        new._by_length = {length: words for length, words in by_length.items() if words}
        new._letters = {
            n: self._letters[n] if n in self._letters and n not in copied else Letters.of(words, n)
            for n, words in new._by_length.items()
            if filterable(words, n)
        }
        new.correct = lru_cache(maxsize=MEMO)(new._correct)
        new.searches = 0
        return new

    @property
    def lexicon(self) -> Lexicon:
        return self._lexicon

    def searchable(self, word: str) -> bool:
        """Whether `word` may be a typo, i.e. correcting it takes a search.

        "price" is not a typo of "prise": a word common in either language stays as it is.
        """
        return not (word in self.known or len(word) < 4 or word.isdigit() or self._lexicon.zipf(word) >= REAL_WORD_ZIPF)

    def correct_words(self, words: Sequence[str], budget: int = MAX_CORRECTIONS) -> list[str]:
        """Each word corrected, searching for at most `budget` distinct words (the first met; later ones stay).

        The budget depends on the words alone, not on what the memo holds, so a question gets the
        same answer whatever was asked before it.
        """
        fixed: dict[str, str] = {}
        corrected = []
        for word in words:
            found = fixed.get(word)
            if found is None:
                found = word
                if budget > 0 and self.searchable(word):
                    budget -= 1
                    found = self.correct(word)
                fixed[word] = found
            corrected.append(found)
        return corrected

    def _candidates(self, word: str, length: int, limit: int) -> Sequence[str]:
        """The known words of `length` that may be within `limit` edits of `word`, in their order (all of a
        short list; of a long one, those its letters allow: letterbags.py)."""
        choices = self._by_length.get(length, ())
        letters = self._letters.get(length)  # the long lists of words not too long (letterbags.filterable)
        if letters is None:
            return choices
        return [choices[n] for n in letters.possible(word, limit).tolist()]

    def _correct(self, word: str) -> str:
        """The known word closest to a misspelt one (OSA distance 1, or 2 for long words)."""
        if not self.searchable(word):
            return word
        self.searches += 1
        lexicon = self._lexicon
        limit = max_distance(word)
        found: list[tuple[str, float, int]] = []
        for length in range(len(word) - limit, len(word) + limit + 1):
            choices = self._candidates(word, length, limit)
            if choices:
                # rapidfuzz's overloads do not cover an int distance scorer with a cutoff: the call is documented.
                # rapidfuzz's stubs type `scorer` as a similarity returning float; OSA.distance returns int.
                found += process.extract(word, choices, scorer=OSA.distance, score_cutoff=limit, limit=8)  # type: ignore[call-overload]
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
