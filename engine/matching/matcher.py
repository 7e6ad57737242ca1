"""The matcher: a question's words corrected, its candidates gathered, their signals weighed.

Built once per knowledge base (reusing what the previous one analysed of unchanged facts),
cheap per question: spelling (spelling.py), the lexical signal (lexical.py), the semantic
signal (semantic.py) and the learned decision (decision.py) meet here. Candidates are the
lexical best and the semantic best together, so a fact found only by meaning is still
weighed; each gets a feature vector (features.py) and the decision model's probability.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Sequence
from dataclasses import dataclass, replace
from itertools import chain
from typing import TYPE_CHECKING

import numpy as np

from engine.knowledge.model import Fact, KnowledgeBase
from engine.language import LanguageGuesser
from engine.lexicon import Analysis
from engine.matching.candidates import gather
from engine.matching.decision import DecisionModel
from engine.matching.facttexts import facts_texts
from engine.matching.features import latest_year
from engine.matching.focus import final_clause
from engine.matching.index import FactEntry, Index, analyse_fact
from engine.matching.lexical import LexicalScorer
from engine.matching.negatives import Negatives
from engine.matching.rebuild import ByFact, Reuse, decision_for, moved_entries, stacked_vectors, unchanged, year_states
from engine.matching.semantic import (
    Embedder,
    FactTexts,
    FactVectors,
    default_embedder,
    informativeness,
)
from engine.matching.spelling import Speller
from engine.matching.stored import snapshot_of, stored_entry
from engine.matching.vocabulary import language_for, speller_for
from engine.textnorm import MAX_CHARS, MAX_WORDS, tokenize

if TYPE_CHECKING:
    from engine.knowledge.cache import KnowledgeCache

log = logging.getLogger("alliance.matcher")

#: Unknown capitalised words of one question looked at as names (each may cost a spelling search).
MAX_NAMES = 12
#: A capitalised word that does not start a sentence: a name, when the base does not know it.
_NAME = re.compile(r"(?<=[\w,;:] )[A-Z][\w-]+")
#: Words whose bag weight is memoised (bounded: a stream of new words cannot grow it).
WEIGHT_MEMO = 50_000


@dataclass(frozen=True, slots=True)
class Candidate:
    """A fact with its score (0-1) for one question; the features it was scored on, when learned."""

    fact: Fact
    score: float
    features: tuple[float, ...] = ()


_DEFAULT = object()


class Matcher:
    """Everything one KnowledgeBase is searched with; immutable once built.

    Built with the previous snapshot's matcher, it reuses the analysis and vectors of every
    fact that is the very same object under the very same lexicon (the Loader hands back
    unchanged facts as they were), so a reload only analyses what changed.
    """

    _by_fact: ByFact
    _index: Index
    latest_year: str | None
    lexical: LexicalScorer
    speller: Speller
    language: LanguageGuesser
    #: Per fact: (its questions name only earlier years than the article's, they name its latest year).
    years: dict[str, tuple[bool, bool]]
    #: Every fact's vectors, one FactVectors per view (None without the semantic signal).
    vectors: tuple[FactVectors, ...] | None

    def __init__(
        self,
        kb: KnowledgeBase,
        previous: Matcher | None = None,
        embedder: object = _DEFAULT,
        cache: KnowledgeCache | None = None,
    ) -> None:
        """`cache`: the Loader's on-disk cache, which holds the analyses of the sheets an earlier process read."""
        lexicon = kb.lexicon
        self.kb = kb
        self._weights: dict[str, float] = {}
        self.lexicon = lexicon
        # `embedder` is typed `object` so that its "not given" sentinel differs from an explicit None (no model).
        self.embedder: Embedder | None = default_embedder() if embedder is _DEFAULT else embedder  # type: ignore[assignment]
        self.decision: DecisionModel | None = decision_for(kb, self.embedder)
        same = previous is not None and previous.lexicon is lexicon and previous.embedder is self.embedder
        if same and previous is not None and unchanged(previous, kb, self.decision):
            # Nothing the matcher depends on changed: share it whole, with the new Fact objects.
            self.__dict__.update(previous.__dict__)
            self.kb = kb
            changed = [f for a, f in zip(previous.kb.facts, kb.facts, strict=True) if a is not f]
            if changed:
                self._by_fact = dict(previous._by_fact)
                self._by_fact.update({f.id: (f, *previous._by_fact[f.id][1:]) for f in changed})
            return
        reuse = Reuse.of(kb, previous, same)
        reusable, fresh = reuse.reusable, reuse.fresh
        key, stored = stored_entry(kb, cache, lexicon, self.embedder, bool(reusable))
        analysed: dict[str, tuple[FactEntry, Sequence[FactTexts] | None]]
        if stored is not None:  # the whole base from the cache's snapshot entry: nothing analysed or stacked
            analysed = {f.id: (e, None) for f, e in zip(kb.facts, stored.entries, strict=True)}
        else:
            analysed = dict(zip((f.id for f in fresh), self._analyse(fresh, cache), strict=True))
        by_fact: ByFact = {}
        kept: set[str] = set()
        for fact in kb.facts:
            held = reuse.kept(fact)
            if held is not None:
                kept.add(fact.id)
            by_fact[fact.id] = (fact, *(held if held is not None else analysed[fact.id]))
        entries = {i: e for i, (_, e, _) in by_fact.items()}
        # A reload's facts put in (new or changed) and taken out (gone or changed): what it works out again.
        put_in = [f.id for f in fresh]
        taken_out = [i for i in reusable if i not in kept]
        evolving = previous if same and stored is None else None
        if stored is not None:
            self._index = stored.index
        elif evolving is not None:
            self._index = evolving._index.evolve(
                ((i, reusable[i][1]) for i in taken_out), ((i, entries[i]) for i in put_in), list(entries)
            )
        else:
            self._index = Index.build(entries.items())
        # Only the words of the facts taken out or put in weigh differently (lexical.py), or are new words.
        moved: list[FactEntry] | None = None
        if evolving is not None:
            moved = list(moved_entries(reusable, entries, taken_out, put_in))
            words = chain.from_iterable((*e.question_bag, *e.answer_bag) for e in moved)
            self.lexical = LexicalScorer(self._index, entries, lexicon, evolving.lexical, words)
        else:
            self.lexical = LexicalScorer(self._index, entries, lexicon)
        self.order = list(by_fact)
        self.position = {fact_id: n for n, fact_id in enumerate(self.order)}
        self.vectors, self._by_fact = stacked_vectors(
            by_fact, self.position, kept, self.embedder, stored, previous if same else None
        )
        self.latest_year = latest_year(kb)
        earlier = previous.years if same and previous is not None and previous.latest_year == self.latest_year else {}
        self.years = year_states(
            self._by_fact, entries, self.latest_year, earlier, bool(reusable), kept, taken_out, put_in
        )
        # A reload's speller and language guesser: only the words of the facts taken out or put in looked at.
        words_moved = {w for e in moved for w in e.words} if moved is not None else None
        self.speller = speller_for(
            lexicon, self._index, previous.speller if previous is not None else None, words_moved
        )
        self._known_words = self.speller.known
        self.language = language_for(
            lexicon, self._index, previous.language if previous is not None else None, words_moved
        )
        # Known out-of-scope questions are read as questions are: typos corrected, then analysed.
        if stored is not None:
            self.negatives = Negatives.from_parts(kb.out_of_scope, *stored.negatives)
        else:
            self.negatives = self._negatives_of(kb, previous)
            if key is not None and cache is not None:
                parts = (self.negatives.vectors, self.negatives.texts, self.negatives.kinds)
                stored = snapshot_of(list(entries.values()), self.vectors, parts, self._index)
                cache.write_snapshot(key, self.order, stored, background=bool(reusable))

    def _analyse(
        self, facts: Sequence[Fact], cache: KnowledgeCache | None
    ) -> list[tuple[FactEntry, tuple[FactTexts, ...] | None]]:
        """Each fact's analysis and vectors: from the on-disk cache when it holds them, else computed."""

        def compute(
            group: Sequence[Fact], keys: Sequence[Sequence[str]] | None = None
        ) -> list[tuple[FactEntry, tuple[FactTexts, ...] | None]]:
            if keys is None:
                entries = [analyse_fact(fact, self.lexicon) for fact in group]
            else:
                entries = [analyse_fact(fact, self.lexicon, ks) for fact, ks in zip(group, keys, strict=True)]
            texts = facts_texts(group, entries, self.lexicon, self.embedder, self.bag_weight)
            return list(zip(entries, texts, strict=True))

        if cache is None or not facts:
            return compute(facts)
        embedder = self.embedder
        model, dim = (embedder.identity, embedder.dim) if embedder is not None else (None, 0)
        return cache.analyses(facts, self.lexicon, model, dim, compute)

    def _negatives_of(self, kb: KnowledgeBase, previous: Matcher | None) -> Negatives:
        """The known out-of-scope questions (their vectors reused when they and the lexicon did not change)."""
        same = (
            previous is not None
            and previous.lexicon is self.lexicon
            and previous.embedder is self.embedder
            and previous.kb.out_of_scope == kb.out_of_scope
            and previous._known_words == self._known_words  # they are read with this base's spelling
        )
        reuse = previous.negatives if same and previous is not None else None
        return Negatives.build(kb.out_of_scope, self.analyse, self.embedder, self.bag_weight, reuse)

    def nearest_negative(
        self, question: np.ndarray, analysis: Analysis, *, fitting: bool = False
    ) -> tuple[float, float]:
        """Best cosine, per view, to a question known to be out of scope (see Negatives.nearest)."""
        return self.negatives.nearest(question, " ".join(analysis.words), analysis.kinds, fitting=fitting)

    def listed_out_of_scope(self, question: str) -> bool:
        """Whether moderators listed this very question (the same words, folded) as outside the article."""
        return self.negatives.lists(question)

    def bag_weight(self, word: str) -> float:
        """A word's weight in a bag (memoised: a question's words are mostly the knowledge's)."""
        found = self._weights.get(word)
        if found is None:
            found = informativeness(self.lexicon.zipf(word))
            if len(self._weights) < WEIGHT_MEMO:
                self._weights[word] = found
        return found

    @property
    def facts(self) -> ByFact:
        """Each fact by id, with its analysis and its vectors in each view (None without the semantic signal)."""
        return self._by_fact

    @property
    def learned(self) -> bool:
        """Whether answers are decided by the fitted model (else by the lexical score alone)."""
        return self.decision is not None

    def words(self, text: str) -> list[str]:
        """The question's first MAX_WORDS words, folded, misspellings corrected (at most MAX_CORRECTIONS searched)."""
        return self.speller.correct_words(self.lexicon.split(text)[:MAX_WORDS])

    def analyse(self, text: str, words: list[str] | None = None) -> Analysis:
        """The question's analysis: corrected words, plus capitalised names the base does not know.

        "Who is the CEO of Ferrari?" names an entity no fact mentions; treating such a name
        like a known entity keeps it from being answered with a fact about another company.
        """
        if words is None:
            words = self.words(text)
        analysis = self.lexicon.analyse(text, words)
        focus = final_clause(self.lexicon, text, analysis.words, analysis.tokens)
        if focus:
            analysis = replace(analysis, focus=focus)
        unknown = dict.fromkeys(
            token
            for word in _NAME.findall(text[:MAX_CHARS])
            for token in tokenize(word)
            if token not in self._known_words
        )
        candidates = list(unknown)[:MAX_NAMES]
        corrected = self.speller.correct_words(candidates)
        names = {token for token, fixed in zip(candidates, corrected, strict=True) if fixed not in self._known_words}
        if names:
            analysis = replace(analysis, entities=analysis.entities | names)
        return analysis

    def rank(self, analysis: Analysis, limit: int = 4) -> list[Candidate]:
        """The best facts for an analysed question, best first, at most `limit`."""
        if self.decision is None:
            return self.rank_lexical(analysis, limit)
        found = self.candidates(analysis)
        if not found:
            return []
        probabilities = self.decision.probabilities([features for _, features in found])
        scored = [Candidate(fact, p, features) for (fact, features), p in zip(found, probabilities, strict=True)]
        scored.sort(key=lambda c: (-c.score, c.fact.id))
        return scored[:limit]

    def candidates(
        self, analysis: Analysis, *, fitting: bool = False, unseen: frozenset[str] = frozenset()
    ) -> list[tuple[Fact, tuple[float, ...]]]:
        """The lexical and the semantic best facts together, each with its feature vector (see candidates.py).

        `fitting` (calibrate only): a known out-of-scope question is not its own neighbour, nor are the
        listed questions whose texts are `unseen`.
        """
        return gather(self, analysis, fitting=fitting, unseen=unseen)

    def rank_lexical(self, analysis: Analysis, limit: int = 4) -> list[Candidate]:
        """The lexical signal alone, as the engine answered before the semantic signal (the baseline)."""
        if not analysis.tokens:
            return []
        ranked = self.lexical.rank(self.lexical.weigh(analysis), limit)
        return [Candidate(self._by_fact[i][0], s.score) for i, s in ranked]
