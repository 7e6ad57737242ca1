"""The lexical signal: how much of a question's (rarity-weighted) words a fact explains.

Every fact's questions, keywords and answers are analysed once (see index.py). A question's
candidates come from the inverted index, so the cost follows the question's words, not the
size of the base. Each candidate is scored on how much of the question its closest question
variant and its whole vocabulary explain, then penalised when the question names an entity
or year the fact never mentions, or asks a kind of thing (who, when, where, how many) the
fact never answers. This score was the whole matcher until the semantic signal and the
learned decision joined it; it is now one feature among several, and the "lexical" baseline
that `eval` prints beside the full engine.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

import numpy as np

from engine.lexicon import Analysis, Lexicon
from engine.matching.index import FactEntry, Index
from engine.matching.spelling import REAL_WORD_ZIPF
from engine.matching.variants import (
    ALL_AT_ONCE,
    SORTED_BOUNDS,
    AllVariants,
    VariantTable,
    bound_order,
    fact_score,
    variant_table,
    with_coverage,
)

#: At most this many facts get a full score for one question (the best by their upper bound).
MAX_SCORED = 40
#: Multipliers for a question naming an entity the fact never mentions, or asking another kind.
ENTITY_PENALTY = 0.45
KIND_PENALTY = 0.7
#: An entity named by at least this share of facts is context: naming it is no sign of another subject.
CONTEXT_ENTITY_SHARE = 0.15
#: Multiplier for a named entity that only the fact's answer mentions, not its questions.
ANSWER_ENTITY_PENALTY = 0.85
#: Share of weight a word found only in a fact's answer (not its questions) counts for.
ANSWER_WORD_SHARE = 0.5
#: Weight share of a word that is neither in the base nor a real word (a typo or slang).
NON_WORD_SHARE = 0.6
#: The least an unknown word weighs, as a share of the rarest word's weight.
UNKNOWN_FLOOR = 0.25
#: Zipf frequencies at which an unknown real word starts to weigh less, and over what span.
UNKNOWN_COMMON = 7.0
UNKNOWN_SPAN = 2.0


@dataclass(frozen=True, slots=True)
class Mismatch:
    """What a question asks that a fact does not hold."""

    foreign_entity: bool
    mentioned_entity: bool
    kind: bool

    @property
    def penalty(self) -> float:
        factor = ENTITY_PENALTY if self.foreign_entity else ANSWER_ENTITY_PENALTY if self.mentioned_entity else 1.0
        return factor * (KIND_PENALTY if self.kind else 1.0)


#: The mismatch of a question naming no entity, by whether it asks another kind.
_KIND_ONLY = {kind: Mismatch(foreign_entity=False, mentioned_entity=False, kind=kind) for kind in (False, True)}


@dataclass(frozen=True, slots=True)
class LexicalSignal:
    """One fact's lexical evidence for one question."""

    score: float
    coverage: float
    mismatch: Mismatch


@dataclass(slots=True)
class Weighed:
    """A question's tokens with their weights, and which facts' words explain how much of it."""

    analysis: Analysis
    weights: dict[str, float]
    total: float
    #: Per fact position (the order of the scorer's facts): the weight its words explain.
    explained: np.ndarray
    unknown_share: float
    #: The question's folded words joined by spaces (what variants' surfaces are compared with).
    spoken: str = ""
    #: The lexical evidence of the facts scored so far for this question (`rank`, then `signals`).
    scored: dict[str, LexicalSignal] = field(default_factory=dict)
    #: For a small base, each fact's best variant blend for this question, worked out once (`AllVariants`).
    blends: list[float] | None = None


def _evolved_idf(idf: Mapping[str, float], index: Index, changed: Iterable[str], count: int) -> dict[str, float]:
    """`idf` with the weights of the `changed` words worked out again over `index` (of `count` facts, as before),
    by the very formula of a new scorer; a word no fact holds any more is dropped."""
    found = dict(idf)
    q_postings, a_postings = index.question_postings, index.answer_postings
    for word in set(changed):
        held = q_postings.get(word)
        answered = a_postings.get(word)
        n = (0 if held is None else len(held)) + (0 if answered is None else len(answered))
        if n:
            found[word] = math.log(1 + count / n)
        else:
            found.pop(word, None)
    return found


class LexicalScorer:
    """IDF weights and scoring over one Index; its answers never change once built.

    Only a memo of each fact's variant weights fills as facts are scored (threads may race to
    fill one entry; they compute the same value).
    """

    _q_postings: Mapping[str, np.ndarray]
    _a_postings: Mapping[str, np.ndarray]
    #: Each word's inverse document frequency over the facts.
    idf: dict[str, float]

    def __init__(
        self,
        index: Index,
        entries: dict[str, FactEntry],
        lexicon: Lexicon,
        previous: LexicalScorer | None = None,
        changed: Iterable[str] = (),
    ) -> None:
        """`entries`: each fact's analysis, in the order of the index's positions.

        `previous`: the scorer of the index this one evolved from, `changed` the words of the facts taken
        out or put in. With as many facts as before, only those words' weights can differ: the others are
        copied (150,000 logarithms at a thousand articles, for an edit that changed a handful of words).
        """
        self.index = index
        self._entries = entries
        self._lexicon = lexicon
        self._ids = list(index.ids)
        self._position = {fact_id: n for n, fact_id in enumerate(self._ids)}
        # Postings as arrays of fact positions (postings.py): a question's words are summed with numpy, not a
        # Python loop over every fact that holds a common word.
        self._q_postings, self._a_postings = index.question_postings, index.answer_postings
        count = max(index.size, 1)
        #: Entities most facts mention (the Alliance's own members) are context, not what is asked about.
        self.context_entities = frozenset(
            e for e, n in index.entity_counts.items() if n >= CONTEXT_ENTITY_SHARE * count
        )
        #: The same without years: the companies and people a question may set against each other.
        self.common_entities = frozenset(e for e in self.context_entities if not e.isdigit())
        if previous is not None and previous.index.size == index.size:
            self.idf = _evolved_idf(previous.idf, index, changed, count)
        else:
            # A fact's question and answer bags are disjoint: its word counts once in one postings list.
            df = Counter(index.question_postings.sizes())
            df.update(index.answer_postings.sizes())
            self.idf = {t: math.log(1 + count / n) for t, n in df.items()}
        #: A word the base has never seen weighs like its rarest word (it may be what the question
        #: is about), less when it is a very common word of French or English.
        self._unknown_weight = math.log(1 + count)
        #: Per fact: each variant's total weight and the variants holding each token (filled as facts are scored).
        self._variant_weights: dict[str, VariantTable] = {}
        #: Every variant at once (`_all_variants`), for a small base only.
        self._small = sum(len(e.variants) for e in entries.values()) <= ALL_AT_ONCE
        self._every: AllVariants | None = None

    @property
    def postings_arrays(self) -> tuple[Mapping[str, np.ndarray], Mapping[str, np.ndarray]]:
        """Each word's facts as an int32 array of positions, for the question and the answer postings."""
        return self._q_postings, self._a_postings

    def _unknown(self, token: str) -> float:
        zipf = self._lexicon.zipf(token)
        if zipf < REAL_WORD_ZIPF:
            # Not a real word either: most likely a typo or slang the lexicon does not know yet.
            return self._unknown_weight * NON_WORD_SHARE
        return self._unknown_weight * min(1.0, max(UNKNOWN_FLOOR, (UNKNOWN_COMMON - zipf) / UNKNOWN_SPAN))

    def weigh(self, analysis: Analysis) -> Weighed:
        """Weigh the question's tokens and sum, per fact, the weight its words explain."""
        weights = {t: self.idf.get(t) or self._unknown(t) for t in analysis.tokens}
        total = sum(weights.values())
        explained = np.zeros(len(self._ids), dtype=np.float64)
        unknown = 0.0
        for token, weight in weights.items():
            if token not in self.idf:
                unknown += weight
            # A fact holds a token in its questions or its answers, never both: positions are unique.
            found = self._q_postings.get(token)
            if found is not None:
                explained[found] += weight
            found = self._a_postings.get(token)
            if found is not None:
                explained[found] += weight * ANSWER_WORD_SHARE
        return Weighed(analysis, weights, total, explained, unknown / total if total else 0.0, " ".join(analysis.words))

    def mismatch(self, fact_id: str, analysis: Analysis) -> Mismatch:
        entry = self._entries[fact_id]
        if not analysis.entities:
            # Most questions name no entity: only the kind can mismatch (the general case gives the same).
            return _KIND_ONLY[bool(analysis.kinds) and not analysis.kinds & entry.kinds]
        missing = analysis.entities - entry.entities
        # Naming only what the fact compares with ("Toyota's sales") asks about that, not about the fact;
        # so does naming beside it one thing the fact's answer only names in passing ("did Mitsubishi sell
        # more than Toyota?" of the Renault-Nissan-Mitsubishi Alliance's sales). Several of those together
        # ("Renault, Nissan et Mitsubishi") name what the fact is about.
        about = {e for e in analysis.entities - entry.mentions if not e.isdigit()}
        subject = bool(about & entry.entities) or len(about & entry.answer_entities) >= 2
        compared = bool(analysis.entities & entry.mentions) and not subject
        foreign = compared or bool(missing - entry.answer_entities - entry.mentions - self.context_entities)
        return Mismatch(
            foreign_entity=foreign,
            mentioned_entity=not foreign and bool(missing - entry.mentions),
            kind=bool(analysis.kinds) and not analysis.kinds & entry.kinds,
        )

    def rank(self, weighed: Weighed, limit: int) -> list[tuple[str, LexicalSignal]]:
        """The best facts by lexical score, best first, at most `limit`.

        Coverage with the fact's penalties bounds its score from above: facts are scored in
        that order, stopping once none left can enter the top `limit`, and never more than
        MAX_SCORED (a question made only of very common words could otherwise touch them all).
        A tighter bound (`tight_bounds`) skips the facts that could not enter either: such a
        fact still counts against MAX_SCORED, so the facts scored and kept are those the
        first bound alone gives.
        """
        if not weighed.total:
            return []
        bounds, tight, facts = bound_order(weighed.explained, weighed.total, SORTED_BOUNDS)
        best: list[tuple[str, LexicalSignal]] = []
        scored = 0
        ids = self._ids
        known = weighed.scored
        for upper, close, position in zip(bounds, tight, facts, strict=True):
            if scored >= MAX_SCORED:
                break
            fact_id = ids[position]
            floor = best[-1][1].score if len(best) >= limit else 0.0
            if upper <= floor or close <= floor:
                # Bounds fall with coverage, which falls along `order`: no fact left can enter.
                break
            mismatch = self.mismatch(fact_id, weighed.analysis)
            penalty = mismatch.penalty
            if upper * penalty <= floor:
                continue
            scored += 1
            if close * penalty <= floor:
                continue  # scored, it would score at most the floor: it would not enter
            found = self._signal(fact_id, weighed, mismatch)
            known[fact_id] = found
            # Kept best first, a newcomer after those that score as much (what a stable sort gives).
            at = len(best)
            while at and best[at - 1][1].score < found.score:
                at -= 1
            best.insert(at, (fact_id, found))
            del best[limit:]
        return best

    def signals(self, weighed: Weighed, fact_ids: Iterable[str]) -> dict[str, LexicalSignal]:
        """The lexical evidence of given facts (candidates another signal found; those `rank` scored are kept)."""
        known = weighed.scored
        return {
            i: found
            if (found := known.get(i)) is not None
            else self._signal(i, weighed, self.mismatch(i, weighed.analysis))
            for i in fact_ids
        }

    def shares(self, weighed: Weighed, fact_ids: Iterable[str]) -> list[float]:
        """The share of the weighed tokens' weight each fact's words explain (its answer's words counting part)."""
        if not weighed.total:
            return [0.0 for _ in fact_ids]
        explained, position = weighed.explained, self._position
        return [float(explained[position[i]]) / weighed.total for i in fact_ids]

    def _variants_of(self, fact_id: str) -> VariantTable:
        """The fact's variants' weights and holders (`variant_table`), made the first time it is scored."""
        found = self._variant_weights.get(fact_id)
        if found is None:
            found = variant_table(self._entries[fact_id].variants, self.idf)
            self._variant_weights[fact_id] = found
        return found

    def _signal(self, fact_id: str, weighed: Weighed, mismatch: Mismatch) -> LexicalSignal:
        explained = float(weighed.explained[self._position[fact_id]])
        if not explained:
            return LexicalSignal(0.0, 0.0, mismatch)
        score = self._score(fact_id, weighed, explained)
        return LexicalSignal(min(score * mismatch.penalty, 1.0), explained / weighed.total, mismatch)

    def _score(self, fact_id: str, weighed: Weighed, explained: float) -> float:
        """The fact's score for the weighed question (`fact_score`; for a small base, from `AllVariants`)."""
        every = self._every if self._every is not None or not self._small else self._all_variants()
        if every is None:
            table, variants = self._variants_of(fact_id), self._entries[fact_id].variants
            return fact_score(weighed.weights, weighed.total, weighed.spoken, explained, table, variants)
        if weighed.blends is None:
            weighed.blends = every.best_blends(weighed.weights, weighed.total, weighed.spoken)
        return with_coverage(weighed.blends[self._position[fact_id]], explained / weighed.total)

    def _all_variants(self) -> AllVariants:
        """Every variant at once (made on first use, for a base of at most ALL_AT_ONCE of them)."""
        self._every = found = AllVariants([self._entries[i].variants for i in self._ids], self.idf)
        return found
