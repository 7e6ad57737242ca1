"""What a matcher knows of words beyond its facts: the speller's vocabulary and the reply-language guesser."""

from __future__ import annotations

from collections import Counter

from engine.language import LanguageGuesser
from engine.lexicon import Lexicon
from engine.matching.index import Index
from engine.matching.spelling import Speller

#: Past this many words added and removed, a new speller sorts its vocabulary (cheaper than one insertion each).
EVOLVE_WORDS = 2_000


def speller_for(lexicon: Lexicon, index: Index, previous: Speller | None = None) -> Speller:
    """A speller correcting towards the knowledge's words, the lexicon's and its phrases' and names' parts;
    `previous` itself when it corrects towards the very same words with this very lexicon (a reload that
    added no word and removed none: its memo still holds), else evolved from it under the same lexicon."""
    known_words = set(lexicon.stopwords) | set(lexicon.words) | index.word_counts.keys()
    for phrase in (*lexicon.phrases, *lexicon.smalltalk, *lexicon.kinds):
        known_words.update(phrase)
    for entity in lexicon.entities:
        known_words.update(entity.split("_"))
    if previous is not None and previous.lexicon is lexicon:
        if previous.known == known_words:
            return previous
        if len(previous.known ^ known_words) <= EVOLVE_WORDS:  # a few words changed: tables evolved, not re-sorted
            return previous.evolved(known_words)
    return Speller(known_words, lexicon)


def language_for(lexicon: Lexicon, index: Index) -> LanguageGuesser:
    """The reply-language guesser, with the words only one language's facts use as evidence."""
    own_words = {lang: index.own_counts.get(lang, Counter()).keys() for lang in ("fr", "en")}
    shared = own_words["fr"] & own_words["en"]
    return LanguageGuesser(
        lexicon.markers,
        {
            lang: frozenset(w for w in words - shared if len(w) > 2 and w not in lexicon.entities)
            for lang, words in own_words.items()
        },
        lexicon.frequencies,
        _name_words(lexicon),
    )


#: A word of a name's phrase this common in French or English (Zipf) is a word, not a name: "group",
#: "motor", "general" ("General Motors") stay evidence of their language.
NAME_WORD_ZIPF = 4.5


def _name_words(lexicon: Lexicon) -> frozenset[str]:
    """Every word of a name: the entities' own, and the rarer words of the phrases that name one
    ("thierry" of "thierry bollore", not "group" of "renault group" nor the "d" of "d'alliance")."""
    entities = lexicon.entities
    words = {w for entity in entities for w in entity.split("_")}
    words.update(
        w
        for phrase, canonical in lexicon.phrases.items()
        if canonical in entities
        for w in phrase
        if len(w) > 2 and lexicon.zipf(w) < NAME_WORD_ZIPF
    )
    return frozenset(words)
