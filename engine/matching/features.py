"""The feature vector the decision weighs: one candidate's signals, beside its rivals'.

The order is decision.FEATURES. Values are similarities and shares in [-1, 1], margins in
[-2, 2], or flags in {0, 1}; a fact with no vectors in a view scores -1 there.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from engine.knowledge.model import KnowledgeBase
from engine.matching.lexical import LexicalSignal, Weighed

_YEAR = re.compile(r"(?:19|20)\d\d")


@dataclass(frozen=True, slots=True)
class Signals:
    """What the lexical and semantic signals say of one candidate fact."""

    lexical: LexicalSignal
    #: Best cosine to one of the fact's questions, and to its answers, quote and keywords.
    semantic: tuple[float, float]
    #: The same for the question's and the fact's lexicon concepts (synonyms folded).
    concept: tuple[float, float]
    yes_no: bool
    stale: bool
    #: The fact's own questions name the article's latest year.
    current: bool = False
    #: How many questions the fact lists (a new fact has few: its lexical evidence is thinner).
    variants: int = 0
    #: The question names one of the base's common entities (Renault, Nissan, the Alliance...) the fact
    #: does not, where the fact names another one: "Uchida works for Renault?" of Nissan's CEO.
    contrast: bool = False
    #: The share of the question's last clause the fact's words explain (focus.py); its coverage for one clause.
    focus: float = 0.0


def feature_vector(
    signal: Signals,
    rivals: Iterable[Signals],
    weighed: Weighed,
    asks_yes_no: bool,
    asks_now: bool,
    negative: tuple[float, float] = (0.0, 0.0),
    *,
    clauses: bool = False,
) -> tuple[float, ...]:
    """The candidate's features, in decision.FEATURES order (one at a time: see feature_rows)."""
    others = [r for r in rivals if r is not signal]
    other_lexical = max((r.lexical.score for r in others), default=0.0)
    other_semantic = max((r.semantic[0] for r in others), default=0.0)
    other_concept = max((r.concept[0] for r in others), default=0.0)
    rivals_best = (other_lexical, other_semantic, other_concept)
    return _features(signal, rivals_best, weighed, asks_yes_no, asks_now, negative, clauses)


def feature_rows(
    signals: Sequence[Signals],
    weighed: Weighed,
    asks_yes_no: bool,
    asks_now: bool,
    negative: tuple[float, float] = (0.0, 0.0),
    *,
    clauses: bool = False,
) -> list[tuple[float, ...]]:
    """Every candidate's features, the same as feature_vector's for each, in linear time.

    A candidate's rival is the best other candidate: the best of all, unless it is that one.
    """
    best = [
        _best_of_others([s.lexical.score for s in signals]),
        _best_of_others([s.semantic[0] for s in signals]),
        _best_of_others([s.concept[0] for s in signals]),
    ]
    return [
        _features(signal, (best[0][n], best[1][n], best[2][n]), weighed, asks_yes_no, asks_now, negative, clauses)
        for n, signal in enumerate(signals)
    ]


def _best_of_others(values: list[float]) -> list[float]:
    """For each position, the highest value at any other position (0.0 when there is none)."""
    if len(values) < 2:
        return [0.0] * len(values)
    top = max(range(len(values)), key=values.__getitem__)
    second = max(values[:top] + values[top + 1 :])
    best = values[top]
    return [second if n == top else best for n in range(len(values))]


def _features(
    signal: Signals,
    rivals: tuple[float, float, float],
    weighed: Weighed,
    asks_yes_no: bool,
    asks_now: bool,
    negative: tuple[float, float],
    clauses: bool,
) -> tuple[float, ...]:
    """The candidate's features given its rivals' best (lexical, semantic, concept) scores.

    `clauses`: the question has a last clause apart (focus.py), whose share the fact explains is `focus`.
    """
    other_lexical, other_semantic, other_concept = rivals
    mismatch = signal.lexical.mismatch
    tokens = len(weighed.analysis.tokens)
    return (
        signal.lexical.score,
        signal.lexical.score - other_lexical,
        signal.lexical.coverage,
        signal.semantic[0],
        signal.semantic[1],
        signal.semantic[0] - other_semantic,
        signal.concept[0],
        signal.concept[1],
        signal.concept[0] - other_concept,
        float(signal.lexical.score >= other_lexical),
        float(signal.semantic[0] >= other_semantic),
        float(mismatch.foreign_entity),
        float(mismatch.mentioned_entity),
        float(mismatch.kind),
        float(signal.yes_no and not asks_yes_no),
        weighed.unknown_share,
        float(tokens == 1),
        min(tokens, 12) / 12,
        float(asks_now and signal.stale),
        float(asks_now and signal.current),
        min(signal.variants, 60) / 60,
        negative[0],
        negative[1],
        signal.semantic[0] - negative[0],
        float(signal.contrast),
        float(signal.contrast and asks_yes_no),
        signal.focus,
        float(clauses),
    )


def latest_year(kb: KnowledgeBase) -> str | None:
    """The most recent year among the sources' dates: what "still" or "now" asks about."""
    years = [m.group() for s in kb.sources.values() if (m := _YEAR.search(s.date or ""))]
    return max(years) if years else None
