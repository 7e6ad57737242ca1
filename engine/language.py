"""Choosing the reply language from the question: French or English, French when unsure."""

from __future__ import annotations

from collections.abc import Iterable

from engine.textnorm import fold

_FRENCH_LETTERS = frozenset("éèêàùçôîâûëïœ")


class LanguageGuesser:
    """Counts French and English evidence: function words, accents, and each language's own words."""

    def __init__(self, markers: dict[str, frozenset[str]], own_words: dict[str, frozenset[str]]) -> None:
        self._fr = markers.get("fr", frozenset()) | own_words.get("fr", frozenset())
        self._en = markers.get("en", frozenset()) | own_words.get("en", frozenset())

    def guess(self, text: str, words: Iterable[str]) -> str:
        fr = en = 0.0
        for word in words:
            fr += word in self._fr
            en += word in self._en
        lowered = text.lower()
        if any(c in _FRENCH_LETTERS for c in lowered):
            fr += 1.5
        if "'" in fold(text) and any(w in ("l", "d", "qu", "j", "c", "n") for w in words):
            fr += 1
        return "en" if en > fr else "fr"
