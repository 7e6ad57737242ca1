"""Choosing the reply language from the question: French or English, French when unsure."""

from __future__ import annotations

import copy
import re
from collections import Counter
from collections.abc import Mapping, Sequence, Set

from engine.textnorm import fold, stem, tokenize

_FRENCH_LETTERS = frozenset("éèêàùçôîâûëïœ")
#: A run of letters: the words whose accents are looked at.
_LETTERS = re.compile(r"[^\W\d_]+")
#: How much more common (in Zipf units) a word must be in one language to count as evidence.
FREQUENCY_LEAD = 1.0
#: A quoted span ("what does 'conseil opérationnel' mean"): words mentioned, not the asker's language. A single
#: quote opens one only after a space or at the start, so the elision of "l'alliance" is not a quote.
_QUOTE_MARKS = frozenset("'\"«‘“")
_QUOTED = re.compile(
    r"""(?:^|(?<=\s))(?:'[^'\n]{1,80}'|‘[^’\n]{1,80}’)(?=$|[\s?!.,;:])"""
    r"""|"[^"\n]{1,80}"|“[^”\n]{1,80}”|«[^»\n]{1,80}»"""
)


class LanguageGuesser:
    """Counts French and English evidence: function words, accents, and each language's own words."""

    def __init__(
        self,
        markers: Mapping[str, frozenset[str]],
        own_words: Mapping[str, frozenset[str]],
        frequencies: Mapping[str, Mapping[str, float]],
        names: frozenset[str] = frozenset(),
    ) -> None:
        self._names = names
        self._fr = markers.get("fr", frozenset()) | own_words.get("fr", frozenset())
        self._en = markers.get("en", frozenset()) | own_words.get("en", frozenset())
        self._freq_fr = frequencies.get("fr", {})
        self._freq_en = frequencies.get("en", {})

    def replaced(self, words: Set[str], fr: Set[str], en: Set[str]) -> LanguageGuesser:
        """This guesser with `words` put back in place: each French evidence when in `fr`, English in `en`
        (a reload's changed words: the other words' evidence cannot have changed)."""
        new = copy.copy(self)
        new._fr = (self._fr - words) | fr
        new._en = (self._en - words) | en
        return new

    def guess(self, text: str, words: Sequence[str]) -> str:
        fr, en = self.evidence(text, words)
        return "en" if en > fr else "fr"

    def evidence(self, text: str, words: Sequence[str]) -> tuple[float, float]:
        """The (French, English) votes; both 0 when the text tells nothing ("renault ?").

        Quoted words are mentioned, not the asker's own ("what does 'conseil opérationnel' mean"): the rest
        of the question votes, unless it tells nothing (a question that is all a quote).
        """
        votes = self._votes(text, words)
        if _QUOTE_MARKS.isdisjoint(text):  # most questions quote nothing
            return votes
        rest = _QUOTED.sub(" ", text)
        if rest == text:
            return votes
        quoted = Counter(tokenize(" ".join(m.group() for m in _QUOTED.finditer(text))))
        unquoted = self._votes(rest, [w for w in words if not _take(quoted, w)])
        return unquoted if any(unquoted) else votes

    def _votes(self, text: str, words: Sequence[str]) -> tuple[float, float]:
        """Every word's votes, quoted or not."""
        fr = en = 0.0
        for word in words:
            in_fr, in_en = word in self._fr, word in self._en
            fr += in_fr
            en += in_en
            if not in_fr and not in_en and word not in self._names:
                # A word of neither list: half a vote for the language where it is much more common.
                lead = self._freq_en.get(word, 0.0) - self._freq_fr.get(word, 0.0)
                if abs(lead) >= FREQUENCY_LEAD:
                    en += 0.5 * (lead > 0)
                    fr += 0.5 * (lead < 0)
        # An accent is French evidence, except in a name ("who was Thierry Bolloré?" is English) or in a word
        # already counted as French: "département" is one French word in "Boulogne is in which département".
        lowered = text.lower()
        if not _FRENCH_LETTERS.isdisjoint(lowered) and any(
            not self._is_name(folded) and folded not in self._fr
            for w in _LETTERS.findall(lowered)
            if not _FRENCH_LETTERS.isdisjoint(w)
            for folded in (fold(w),)
        ):
            fr += 1.5
        if "'" in fold(text) and any(w in ("l", "d", "qu", "j", "c", "n") for w in words):
            fr += 1
        return fr, en

    def _is_name(self, word: str) -> bool:
        """Whether a folded word is a name's (names of one word are kept in their canonical, stemmed form)."""
        return word in self._names or stem(word) in self._names


def _take(counts: Counter[str], word: str) -> bool:
    """Take one `word` from `counts`: whether there was one (a word quoted once is left out once)."""
    if counts[word] > 0:
        counts[word] -= 1
        return True
    return False
