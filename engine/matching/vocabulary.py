"""What a matcher knows of words beyond its facts: the speller's vocabulary and the reply-language guesser."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable

from engine.language import LanguageGuesser
from engine.lexicon import Lexicon
from engine.matching.index import Index
from engine.matching.spelling import Speller

#: Past this many words added and removed, a new speller sorts its vocabulary (cheaper than one insertion each).
EVOLVE_WORDS = 2_000


def lexicon_words(lexicon: Lexicon) -> set[str]:
    """The words a speller knows from the lexicon itself, whatever the facts say (a few thousand)."""
    words = set(lexicon.stopwords) | set(lexicon.words)
    for phrase in (*lexicon.phrases, *lexicon.smalltalk, *lexicon.kinds):
        words.update(phrase)
    for entity in lexicon.entities:
        words.update(entity.split("_"))
    return words


def speller_for(
    lexicon: Lexicon, index: Index, previous: Speller | None = None, changed: Iterable[str] | None = None
) -> Speller:
    """A speller correcting towards the knowledge's words, the lexicon's and its phrases' and names' parts;
    `previous` itself when it corrects towards the very same words with this very lexicon (a reload that
    added no word and removed none: its memo still holds), else evolved from it under the same lexicon.

    `changed`: the words of the facts a reload took out or put in, when `previous` was built over the
    index this one evolved from (only these words can have come or gone: the others are not looked at).
    """
    if previous is not None and previous.lexicon is lexicon and changed is not None:
        counts, own, known = index.word_counts, lexicon_words(lexicon), previous.known
        words = set(changed)
        added = {w for w in words if w in counts and w not in known}
        removed = {w for w in words if w in known and w not in counts and w not in own}
        if not added and not removed:
            return previous
        if len(added) + len(removed) <= EVOLVE_WORDS:
            return previous.changed(added, removed)
    known_words = lexicon_words(lexicon) | index.word_counts.keys()
    if previous is not None and previous.lexicon is lexicon:
        if previous.known == known_words:
            return previous
        if len(previous.known ^ known_words) <= EVOLVE_WORDS:  # a few words changed: tables evolved, not re-sorted
            return previous.evolved(known_words)
    return Speller(known_words, lexicon)


def language_for(
    lexicon: Lexicon, index: Index, previous: LanguageGuesser | None = None, changed: Iterable[str] | None = None
) -> LanguageGuesser:
    """The reply-language guesser, with the words only one language's facts use as evidence.

    `previous` and `changed`: the guesser of the index this one evolved from under this very lexicon, and
    the words of the facts taken out or put in (only theirs can have changed side).
    """
    if previous is not None and changed is not None:  # `changed` is only given under the same lexicon
        words = set(changed)
        fr, en = index.own_counts.get("fr", Counter()), index.own_counts.get("en", Counter())
        markers, entities = lexicon.markers, lexicon.entities
        own = {w for w in words if len(w) > 2 and w not in entities and (w in fr) != (w in en)}
        return previous.replaced(
            words,
            {w for w in words if w in markers.get("fr", ()) or (w in own and w in fr)},
            {w for w in words if w in markers.get("en", ()) or (w in own and w in en)},
        )
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
