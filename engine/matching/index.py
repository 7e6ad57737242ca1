"""What the matcher knows of the facts: each fact analysed, and the corpus-wide postings.

A FactEntry is one fact's questions, keywords and answers analysed once. An Index holds
the postings (which facts hold each word, postings.py), how many facts name each entity
and use each word. It is built from all entries, or evolved from the previous Index by
taking out the entries that changed or went and putting in the new ones: a reload that
touches one sheet analyses and counts that sheet's words, and moves the other postings
with a few array operations. An Index is never modified once built: evolving makes new
arrays, so the index being served is untouched while its successor is made.
"""

from __future__ import annotations

import sys
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from itertools import chain

import numpy as np

from engine.knowledge.model import Fact
from engine.lexicon import Lexicon
from engine.matching.postings import Postings
from engine.textnorm import MAX_CHARS, tokenize


@dataclass(frozen=True, slots=True)
class FactEntry:
    """One fact, analysed: what the index needs of it, reusable while the fact and lexicon stay the same."""

    #: Each question variant: its content tokens (each once, in order: a tuple is a third of a frozenset's
    #: memory, and variants are only iterated), and its folded words joined by spaces.
    variants: tuple[tuple[tuple[str, ...], str], ...]
    #: The tokens of its questions and keywords, each once. This and the other collections only iterated when
    #: the index is built (bag, answer bag, words, own words) are tuples, in the order of the set they come
    #: from: a third of a frozenset's memory. Those a question is compared with (entities, kinds) are sets.
    question_bag: tuple[str, ...]
    #: Tokens found only in the answers.
    answer_bag: tuple[str, ...]
    entities: frozenset[str]
    #: Entities only the answers name.
    answer_entities: frozenset[str]
    kinds: frozenset[str]
    #: Every folded word of the fact, and those of each language.
    words: tuple[str, ...]
    own_words: tuple[tuple[str, tuple[str, ...]], ...]
    #: The fact answers "yes", "no" or "not yet": only a yes/no question should get it.
    yes_no: bool = False
    #: Entities the fact only mentions (its `mentions` field, analysed).
    mentions: frozenset[str] = frozenset()


#: How a yes/no answer starts, folded into words.
_YES_NO = tuple(start.split() for start in ("oui", "non", "pas encore", "yes", "no", "not yet"))


def answers_yes_no(fact: Fact) -> bool:
    """Whether every answer of the fact opens with yes, no or not yet."""
    found = [tokenize(a)[:2] for a in fact.answer.values()]
    return bool(found) and all(any(words[: len(start)] == start for start in _YES_NO) for words in found)


def _as_tuple(words: set[str]) -> tuple[str, ...]:
    """The words in the order a frozenset of them iterates (the order the index was always built in)."""
    return tuple(frozenset(words))


def analyse_fact(fact: Fact, lexicon: Lexicon, keys: Sequence[str] | None = None) -> FactEntry:
    """Analyse a fact's questions, keywords and answers once, for the index and the scorer.

    `keys`: each question's folded key as the Loader computed it (its `tokenize` words joined,
    questions in the order of `fact.questions`): a question whose words `split` would not
    change (no accented word it replaces) is not tokenised again.

    A load analyses every variant of every fact (twenty a fact): each costs its words, its
    tokens, its entities and the kinds it asks for, not a whole `Analysis`. (Sets are filled
    in the order they always were, so the cache files, whose lists follow it, stay the same.)
    """
    split, tokens_of, kinds_of, intern = lexicon.split, lexicon.tokens, lexicon.question_kinds, sys.intern
    entities_in = lexicon.entities_in
    entities: set[str] = set()
    folded = iter(keys) if keys is not None and len(keys) == sum(map(len, fact.questions.values())) else None
    variants: list[tuple[tuple[str, ...], str]] = []
    bag: set[str] = set()
    kinds: set[str] = set()
    all_words: set[str] = set()
    own: dict[str, set[str]] = {}
    # Words interned: the same few thousand recur in every fact's variants, bags and word sets.
    for lang, questions in fact.questions.items():
        if not questions:
            continue
        own_words = own.setdefault(lang, set())
        for question in questions:
            key = next(folded) if folded is not None else None
            if key is None or lexicon.replaces_accented(question[:MAX_CHARS]):  # what `split` reads of it
                words = list(map(intern, split(question)))
                key = " ".join(words)
            else:
                words = list(map(intern, key.split()))  # a word holds no space: the words joined, split again
            all_words.update(words)
            own_words.update(words)
            found = tokens_of(words)
            tokens = tuple(map(intern, dict.fromkeys(found)))
            variants.append((tokens, key))  # the Loader's very string when it is the words joined
            bag.update(tokens)
            entities |= entities_in(found)
            kinds |= kinds_of(words)
    for keyword in fact.keywords:
        words = split(keyword)
        all_words.update(map(intern, words))
        found = tokens_of(words)
        bag.update(map(intern, dict.fromkeys(found)))
        entities |= entities_in(found)
    answer_bag: set[str] = set()
    answer_entities: set[str] = set()
    for lang, answer in fact.answer.items():
        words = list(map(intern, split(answer)))
        all_words.update(words)
        own.setdefault(lang, set()).update(words)
        found = tokens_of(words)
        answer_bag.update(found)  # a list, as the tuple was: a dict would size the set otherwise
        answer_entities |= entities_in(found)
    return FactEntry(
        variants=tuple(variants),
        question_bag=_as_tuple(bag),
        answer_bag=_as_tuple(answer_bag - bag),
        entities=frozenset(entities),
        answer_entities=frozenset(answer_entities - entities),
        kinds=frozenset(kinds),
        words=_as_tuple(all_words),
        own_words=tuple((lang, _as_tuple(ws)) for lang, ws in own.items()),
        yes_no=answers_yes_no(fact),
        mentions=frozenset(t for name in fact.mentions for t in lexicon.analyse(name).entities),
    )


def _change_counts(
    counts: Counter[str], removed: Iterable[Iterable[str]], added: Iterable[Iterable[str]]
) -> Counter[str]:
    """A copy of `counts` minus one for each item of `removed`, plus one for each of `added`."""
    result = counts.copy()
    for items in removed:
        for item in items:
            left = result[item] - 1
            if left > 0:
                result[item] = left
            else:
                del result[item]
    result.update(chain.from_iterable(added))  # one pass in C, counted in the same order as one update each
    return result


@dataclass(frozen=True, slots=True)
class Index:
    """Postings (by fact position, in the order of `ids`) and counts over a set of FactEntries."""

    #: The facts' ids, in the order their positions count.
    ids: tuple[str, ...]
    #: Word -> positions of the facts whose questions or keywords hold it.
    question_postings: Postings
    #: Word -> positions of the facts whose answers, and not their questions, hold it.
    answer_postings: Postings
    #: Entity -> number of facts that name it.
    entity_counts: Counter[str]
    #: Folded word -> number of facts that use it, in all and per language.
    word_counts: Counter[str]
    own_counts: Mapping[str, Counter[str]]
    size: int

    @classmethod
    def build(cls, entries: Iterable[tuple[str, FactEntry]]) -> Index:
        pairs = list(entries)
        empty = cls((), Postings.build([]), Postings.build([]), Counter(), Counter(), {}, 0)
        counted = empty._counts([], pairs)
        return cls(
            tuple(i for i, _ in pairs),
            Postings.build([e.question_bag for _, e in pairs]),
            Postings.build([e.answer_bag for _, e in pairs]),
            *counted,
            size=len(pairs),
        )

    def evolve(
        self,
        removed: Iterable[tuple[str, FactEntry]],
        added: Iterable[tuple[str, FactEntry]],
        ids: Sequence[str] | None = None,
    ) -> Index:
        """The index with the `removed` entries taken out and the `added` ones put in, its facts in the order
        of `ids` (default: those kept in their order, then those added)."""
        removed, added = list(removed), list(added)
        gone = {i for i, _ in removed}
        if ids is None:
            ids = [*(i for i in self.ids if i not in gone), *(i for i, _ in added)]
        position = {fact_id: n for n, fact_id in enumerate(ids)}
        moved = np.fromiter(
            (-1 if i in gone else position.get(i, -1) for i in self.ids), dtype=np.int64, count=len(self.ids)
        )
        at = [position[i] for i, _ in added]
        # The removed facts' old positions and words: an edit's postings are spliced, not sorted again.
        was = {fact_id: n for n, fact_id in enumerate(self.ids)} if removed else {}
        taken = [(was[i], e) for i, e in removed if i in was]
        return Index(
            tuple(ids),
            self.question_postings.evolve(
                moved,
                [(n, e.question_bag) for n, (_, e) in zip(at, added, strict=True)],
                [(n, e.question_bag) for n, e in taken],
            ),
            self.answer_postings.evolve(
                moved,
                [(n, e.answer_bag) for n, (_, e) in zip(at, added, strict=True)],
                [(n, e.answer_bag) for n, e in taken],
            ),
            *self._counts(removed, added),
            size=len(ids),
        )

    def _counts(
        self, removed: list[tuple[str, FactEntry]], added: list[tuple[str, FactEntry]]
    ) -> tuple[Counter[str], Counter[str], dict[str, Counter[str]]]:
        """The entity, word and per-language word counts with `removed` taken out and `added` put in."""
        own_counts = dict(self.own_counts)
        for lang in {lang for _, e in removed + added for lang, _ in e.own_words}:
            own_counts[lang] = _change_counts(
                self.own_counts.get(lang, Counter()),
                (words for _, e in removed for lng, words in e.own_words if lng == lang),
                (words for _, e in added for lng, words in e.own_words if lng == lang),
            )
        return (
            _change_counts(
                self.entity_counts,
                (e.entities | e.answer_entities for _, e in removed),
                (e.entities | e.answer_entities for _, e in added),
            ),
            _change_counts(self.word_counts, (e.words for _, e in removed), (e.words for _, e in added)),
            own_counts,
        )
