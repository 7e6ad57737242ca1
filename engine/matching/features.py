"""The feature vector the decision weighs: one candidate's signals, beside its rivals'.

The order is decision.FEATURES. Values are similarities and shares in [-1, 1], margins in
[-2, 2], or flags in {0, 1}; a fact with no vectors in a view scores -1 there.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
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


def feature_vector(
    signal: Signals,
    rivals: Iterable[Signals],
    weighed: Weighed,
    asks_yes_no: bool,
    asks_now: bool,
    negative: tuple[float, float] = (0.0, 0.0),
) -> tuple[float, ...]:
    """The candidate's features, in decision.FEATURES order."""
    others = [r for r in rivals if r is not signal]
    other_lexical = max((r.lexical.score for r in others), default=0.0)
    other_semantic = max((r.semantic[0] for r in others), default=0.0)
    other_concept = max((r.concept[0] for r in others), default=0.0)
    mismatch = signal.lexical.mismatch
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
        float(len(weighed.analysis.tokens) == 1),
        min(len(weighed.analysis.tokens), 12) / 12,
        float(asks_now and signal.stale),
        float(asks_now and signal.current),
        min(signal.variants, 60) / 60,
        negative[0],
        negative[1],
        signal.semantic[0] - negative[0],
    )


def latest_year(kb: KnowledgeBase) -> str | None:
    """The most recent year among the sources' dates: what "still" or "now" asks about."""
    years = [m.group() for s in kb.sources.values() if (m := _YEAR.search(s.date or ""))]
    return max(years) if years else None
