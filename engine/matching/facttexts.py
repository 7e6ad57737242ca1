"""A fact's texts as the semantic signal sees them: its questions, and its answers, quote and keywords, in each view."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable

import numpy as np

from engine.knowledge.model import Fact
from engine.lexicon import Lexicon
from engine.matching.semantic import Embedder, FactTexts

#: The semantic views of a text: its words as written (corrected), and its lexicon concepts.
VIEWS = ("surface", "concept")

_SENTENCE_END = re.compile(r"(?<=[.!?;:])\s+(?=[A-ZÀ-Ý])")


def sentences(texts: Iterable[str]) -> list[str]:
    return [part for text in texts for part in _SENTENCE_END.split(text) if part.strip()]


def bags(lexicon: Lexicon, text: str) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """A text's two views: its folded words (surface), and its lexicon concepts (PDG, CEO -> ceo)."""
    words = lexicon.split(text)
    return tuple(words), lexicon.analyse(text, words).tokens or tuple(words)


def fact_texts(
    fact: Fact, lexicon: Lexicon, embedder: Embedder | None, weight: Callable[[str], float]
) -> tuple[FactTexts, ...] | None:
    """The fact's vectors in each view (VIEWS): its questions, and its answers, quote and keywords."""
    if embedder is None:
        return None
    questions = [bags(lexicon, q) for qs in fact.questions.values() for q in qs]
    # Answers sentence by sentence: "X is chairman of Renault. He attended..." matches "who chairs Renault".
    context = [bags(lexicon, t) for t in (*sentences(fact.answer.values()), fact.quote)]
    if fact.keywords:
        context.append(bags(lexicon, " ".join(fact.keywords)))
    views = []
    for view in range(len(VIEWS)):
        vectors = embedder.encode_bags([b[view] for b in questions + context], weight, remember=True)
        vectors = vectors.astype(np.float16)
        views.append(FactTexts(vectors[: len(questions)], vectors[len(questions) :]))
    return tuple(views)
