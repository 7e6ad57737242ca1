"""The lexicon: stop words, synonyms, question words, entities and smalltalk, from lexicon.yaml.

It turns a text into the analysed form the matcher compares: canonical content tokens,
the kinds of answer the question asks for, and the named entities it mentions.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from itertools import pairwise, repeat
from types import MappingProxyType
from typing import cast

from engine.textnorm import MAX_CHARS, stem, tokenize

_YEAR = re.compile(r"(?:19|20)\d\d")
_CENTURIES = ("19", "20")
#: A word holding a non-ASCII letter; the lookbehind keeps the search linear on long runs of letters.
_ACCENTED_WORD = re.compile(r"(?<!\w)\w*[^\W\x00-\x7f]\w*")
#: At most this many words' canonical forms are memoised (bounds memory on hostile input).
CANONICAL_MEMO = 200_000
#: Phrases longer than this many words are not looked for.
MAX_PHRASE = 5
_NO_KINDS: frozenset[str] = frozenset()
#: The question-words kind of phrases that hold a question word without asking it ("ou pas": or not).
ASKS_NOTHING = "none"
#: A word the memo of canonical forms has not met yet.
_UNSEEN: object = object()


def _phrase(text: str) -> tuple[str, ...]:
    return tuple(tokenize(text))


@dataclass(frozen=True, slots=True)
class Analysis:
    """A text as the matcher sees it."""

    tokens: tuple[str, ...]
    kinds: frozenset[str]
    entities: frozenset[str]
    words: tuple[str, ...]
    #: The tokens of a question's last clause, when it has several (engine/matching/focus.py); () otherwise.
    focus: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Lexicon:
    """Compiled word lists; build it with `Lexicon.build`."""

    stopwords: frozenset[str]
    phrases: Mapping[tuple[str, ...], str]
    words: Mapping[str, str]
    kinds: Mapping[tuple[str, ...], str]
    entities: frozenset[str]
    smalltalk: Mapping[tuple[str, ...], str]
    markers: Mapping[str, frozenset[str]]
    #: For each word that starts a phrase, the longest such phrase (so most words skip the lookup).
    phrase_starts: Mapping[str, int] = field(default_factory=dict)
    #: Accented words that folding would confuse with another word ("né" born, "ne" not): replaced first.
    accented: Mapping[str, str] = field(default_factory=dict)
    #: Zipf frequency of common words, per language ("en", "fr"): tells real words from typos.
    frequencies: Mapping[str, Mapping[str, float]] = field(default_factory=dict)
    #: Longest question-word phrase starting with each word.
    kind_starts: Mapping[str, int] = field(default_factory=dict)
    #: Words of open questions ("what", "comment"), and words asking for the latest state.
    open_words: frozenset[str] = frozenset()
    now: frozenset[tuple[str, ...]] = frozenset()
    #: Follow-ups: entities that are people, phrases that open a fragment, words standing for a person.
    people: frozenset[str] = frozenset()
    follow_up_starts: frozenset[tuple[str, ...]] = frozenset()
    pronouns: frozenset[tuple[str, ...]] = frozenset()
    #: Memo of `canonical`, filled as words are met (pure function of the word lists above).
    _canonical: dict[str, str | None] = field(default_factory=dict, compare=False, repr=False)
    #: The first two words of every phrase, with the longest phrase they start (filled once, from `phrases`).
    _pairs: dict[tuple[str, ...], int] = field(default_factory=dict, init=False, compare=False, repr=False)

    def __post_init__(self) -> None:
        for key in self.phrases:
            pair = key[:2]
            self._pairs[pair] = max(self._pairs.get(pair, 0), len(key))

    @classmethod
    def build(
        cls,
        *,
        stopwords: Iterable[str],
        synonyms: Mapping[str, Iterable[str]],
        question_words: Mapping[str, Iterable[str]],
        entities: Iterable[str],
        smalltalk: Mapping[str, Iterable[str]],
        markers: Mapping[str, Iterable[str]],
        frequencies: Mapping[str, Mapping[str, float]] | None = None,
        accented: Mapping[str, str] | None = None,
        open_words: Iterable[str] = (),
        now: Iterable[str] = (),
        people: Iterable[str] = (),
        follow_up_starts: Iterable[str] = (),
        pronouns: Iterable[str] = (),
    ) -> Lexicon:
        phrases: dict[tuple[str, ...], str] = {}
        words: dict[str, str] = {}
        for canonical, forms in synonyms.items():
            for form in (canonical, *forms):
                key = _phrase(form)
                if len(key) == 1:
                    words[key[0]] = canonical
                elif key:
                    phrases[key] = canonical
        entity_set = set()
        for name in entities:
            key = _phrase(name)
            if len(key) > 1:
                phrases[key] = "_".join(key)
            if len(key) == 1:
                entity_set.add(words.get(key[0], stem(key[0])))
            elif key:
                entity_set.add("_".join(key))
        # Greetings and thanks inside a real question ("salut, qui dirige Nissan ?") carry no meaning.
        courtesy = {
            key[0]
            for kind in ("greeting", "thanks")
            for w in smalltalk.get(kind, ())
            if len(key := _phrase(w)) == 1 and key[0] not in words
        }
        starts: dict[str, int] = {}
        for key in phrases:
            starts[key[0]] = max(starts.get(key[0], 0), len(key))
        kinds = {_phrase(w): kind for kind, ws in question_words.items() for w in ws}
        kind_starts: dict[str, int] = {}
        for key in kinds:
            if key:
                kind_starts[key[0]] = max(kind_starts.get(key[0], 0), len(key))
        return cls(
            open_words=frozenset(t for w in open_words for t in _phrase(w)),
            now=frozenset(key for w in now if (key := _phrase(w))),
            people=frozenset(
                words.get(key[0], stem(key[0])) if len(key) == 1 else "_".join(key)
                for w in people
                if (key := _phrase(w))
            ),
            follow_up_starts=frozenset(key for w in follow_up_starts if (key := _phrase(w))),
            pronouns=frozenset(key for w in pronouns if (key := _phrase(w))),
            kind_starts=MappingProxyType(kind_starts),
            phrase_starts=MappingProxyType(starts),
            accented=MappingProxyType({k.casefold(): v for k, v in (accented or {}).items()}),
            stopwords=frozenset(t for w in stopwords for t in _phrase(w)) | courtesy,
            phrases=MappingProxyType(phrases),
            words=MappingProxyType(words),
            kinds=MappingProxyType(kinds),
            entities=frozenset(entity_set),
            smalltalk=MappingProxyType({_phrase(w): kind for kind, ws in smalltalk.items() for w in ws}),
            markers=MappingProxyType({lang: frozenset(ws) for lang, ws in markers.items()}),
            frequencies=MappingProxyType({lang: MappingProxyType(dict(f)) for lang, f in (frequencies or {}).items()}),
        )

    def zipf(self, word: str) -> float:
        """How common a word is in French or English, whichever is higher (0 when unknown)."""
        return max((f.get(word, 0.0) for f in self.frequencies.values()), default=0.0)

    def split(self, text: str) -> list[str]:
        """Tokenise, keeping apart the accented words that folding would merge with another word."""
        text = text[:MAX_CHARS]
        if self.accented and not text.isascii():  # an ASCII text holds no accented word
            text = self._replace_accented(text)
        return tokenize(text)

    def replaces_accented(self, text: str) -> bool:
        """Whether `split` replaces some accented word of `text` (else its words are `tokenize`'s)."""
        accented = self.accented
        if not accented or text.isascii():
            return False
        return any(m.group().casefold() in accented for m in _ACCENTED_WORD.finditer(text))

    def _replace_accented(self, text: str) -> str:
        return _ACCENTED_WORD.sub(lambda m: self.accented.get(m.group().casefold(), m.group()), text)

    def canonical(self, token: str) -> str | None:
        """The canonical form of one word, or None when it is a stop word."""
        try:
            return self._canonical[token]
        except KeyError:
            pass
        found: str | None = None
        if token not in self.stopwords:
            found = self.words.get(token)
            if found is None:
                stemmed = stem(token)
                found = None if stemmed in self.stopwords else self.words.get(stemmed, stemmed)
        if len(self._canonical) < CANONICAL_MEMO:
            self._canonical[token] = found
        return found

    def question_kinds(self, words: list[str] | tuple[str, ...]) -> frozenset[str]:
        """What the question asks for: who, when, where, how_many, why, source.

        The longest phrase wins and holds its words: "selon qui" asks for a source, not for a
        person, and "en quelle année" once for a date. Phrases of the kind ASKS_NOTHING hold
        their words and ask nothing: the "ou" of "il est parti ou pas ?" is "or", not "where".
        """
        starts = self.kind_starts
        if starts.keys().isdisjoint(words):  # most texts of a fact sheet ask nothing: no word starts a kind
            return _NO_KINDS
        kinds = set()
        n = len(words)
        i = 0
        while i < n:
            step = 1
            for size in range(min(starts.get(words[i], 0), n - i), 0, -1):
                kind = self.kinds.get(tuple(words[i : i + size]))
                if kind:
                    if kind != ASKS_NOTHING:  # "ou pas ?" holds its "ou" (or, not where) and asks nothing
                        kinds.add(kind)
                    step = size
                    break
            i += step
        return frozenset(kinds)

    def analyse(self, text: str, words: list[str] | None = None) -> Analysis:
        """Fold, tokenise, map phrases and synonyms to one form, and drop stop words."""
        if words is None:
            words = self.split(text)
        tokens = self.tokens(words)
        unique = tuple(dict.fromkeys(tokens))
        return Analysis(unique, self.question_kinds(words), self.entities_in(tokens), tuple(words))

    def entities_in(self, tokens: Iterable[str]) -> frozenset[str]:
        """The tokens that name an entity: a listed one, or a year."""
        known = self.entities
        # A year is four digits starting 19 or 20: the length and prefix test spares most tokens the regex.
        return frozenset(
            {t for t in tokens if t in known or (len(t) == 4 and t[:2] in _CENTURIES and _YEAR.fullmatch(t))}
        )

    def tokens(self, words: list[str] | tuple[str, ...]) -> list[str]:
        """The canonical tokens of `words`, in order (stop words dropped): `spans`' tokens, without the spans.

        A load analyses every question variant of every fact: each word costs one look-up in
        the memo of canonical forms, and phrases are looked for only where two words start one.
        """
        met = list(map(self._canonical.get, words, repeat(_UNSEEN, len(words))))  # the memo read in C
        canon = cast("list[str | None]", met)
        if _UNSEEN in met:
            pairs_of_met = zip(words, met, strict=True)
            canon = [self.canonical(w) if c is _UNSEEN else cast("str | None", c) for w, c in pairs_of_met]
        pairs = self._pairs
        if pairs.keys().isdisjoint(pairwise(words)):  # most variants: no two words that start a phrase
            return list(filter(None, canon))
        hits = [i for i, pair in enumerate(pairwise(words)) if pair in pairs]
        found: list[str] = []
        phrases, stopwords = self.phrases, self.stopwords
        i, n = 0, len(words)
        for hit in hits:
            if hit < i:
                continue  # inside the phrase just taken
            found += [t for t in canon[i:hit] if t]
            i = hit
            for size in range(min(pairs[words[hit], words[hit + 1]], n - hit), 1, -1):
                phrase = phrases.get(tuple(words[hit : hit + size]))
                if phrase:
                    if phrase not in stopwords:
                        found.append(phrase)
                    i = hit + size
                    break
        found += [t for t in canon[i:] if t]
        return found

    def spans(self, words: list[str] | tuple[str, ...]) -> list[tuple[int, int, str | None]]:
        """Each token as (start, end, canonical form or None for a stop word): phrases first, then words."""
        found: list[tuple[int, int, str | None]] = []
        i, n = 0, len(words)
        starts = self.phrase_starts
        while i < n:
            for size in range(min(starts.get(words[i], 0), n - i), 1, -1):
                phrase = self.phrases.get(tuple(words[i : i + size]))
                if phrase:
                    # A phrase of filler ("tout le monde") counts for nothing.
                    found.append((i, i + size, None if phrase in self.stopwords else phrase))
                    i += size
                    break
            else:
                found.append((i, i + 1, self.canonical(words[i])))
                i += 1
        return found

    def _holds(self, phrases: frozenset[tuple[str, ...]], words: tuple[str, ...] | list[str]) -> bool:
        return any(tuple(words[i : i + size]) in phrases for i in range(len(words)) for size in (1, 2, 3))

    def asks_now(self, words: tuple[str, ...] | list[str]) -> bool:
        """Whether the question asks for the present state ("still", "toujours", "this year")."""
        return bool(self.now) and self._holds(self.now, words)

    def asks_yes_no(self, words: tuple[str, ...] | list[str], kinds: frozenset[str] | None = None) -> bool:
        """Whether the question may be a yes/no one: it asks no kind (who, when...) and no open "what/how".

        Lenient on purpose: French asks yes/no by intonation alone ("nomination prévue ?"); the
        only use is to keep a "Oui : ..." answer from a "quand" or "comment" question. `kinds`:
        the words' `question_kinds` when already known (an Analysis holds them).
        """
        asked = self.question_kinds(words) if kinds is None else kinds
        return not asked and not any(w in self.open_words for w in words)

    def smalltalk_kind(self, words: list[str] | tuple[str, ...]) -> str | None:
        """ "greeting", "thanks" or "help" when the whole message is smalltalk, else None."""
        if not words:
            return None
        kinds: list[str] = []
        i, n = 0, len(words)
        while i < n:
            for size in range(min(MAX_PHRASE, n - i), 0, -1):
                kind = self.smalltalk.get(tuple(words[i : i + size]))
                if kind:
                    kinds.append(kind)
                    i += size
                    break
            else:
                if words[i] not in self.stopwords and words[i] not in ("bot", "robot"):
                    return None
                i += 1
        if not kinds:
            return None
        for kind in ("help", "thanks", "greeting"):
            if kind in kinds:
                return kind
        return None
