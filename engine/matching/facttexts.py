"""A fact's texts as the semantic signal sees them: its questions, and its answers, quote and keywords, in each view."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Sequence

import numpy as np

from engine.knowledge.model import Fact
from engine.lexicon import Lexicon
from engine.matching.index import FactEntry
from engine.matching.semantic import Embedder, FactTexts

#: The semantic views of a text: its words as written (corrected), and its lexicon concepts.
VIEWS = ("surface", "concept")

_SENTENCE_END = re.compile(r"(?<=[.!?;:])\s+(?=[A-ZÀ-Ý])")


def sentences(texts: Iterable[str]) -> list[str]:
    return [part for text in texts for part in _SENTENCE_END.split(text) if part.strip()]


def bags(lexicon: Lexicon, text: str) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """A text's two views: its folded words (surface), and its lexicon concepts (PDG, CEO -> ceo)."""
    words = tuple(lexicon.split(text))
    return words, tuple(dict.fromkeys(lexicon.tokens(words))) or words  # the tokens of `lexicon.analyse`


def _question_bags(entry: FactEntry) -> list[tuple[tuple[str, ...], tuple[str, ...]]]:
    """Each question variant's two views, from its analysis (`bags` of the question: it was analysed once)."""
    found = []
    for tokens, joined in entry.variants:
        words = tuple(joined.split())  # a word never holds a space: the words joined, split again
        found.append((words, tokens or words))
    return found


def _context_bags(fact: Fact, lexicon: Lexicon) -> list[tuple[tuple[str, ...], tuple[str, ...]]]:
    """The two views of the fact's answers sentence by sentence, its quote and its keywords."""
    # Answers sentence by sentence: "X is chairman of Renault. He attended..." matches "who chairs Renault".
    context = [bags(lexicon, t) for t in (*sentences(fact.answer.values()), fact.quote)]
    if fact.keywords:
        context.append(bags(lexicon, " ".join(fact.keywords)))
    return context


def facts_texts(
    facts: Sequence[Fact],
    entries: Sequence[FactEntry],
    lexicon: Lexicon,
    embedder: Embedder | None,
    weight: Callable[[str], float],
) -> list[tuple[FactTexts, ...] | None]:
    """Each fact's vectors in each view (VIEWS): its questions, and its answers, quote and keywords.

    `entries` are the facts' analyses (their question variants' words and tokens are not
    computed again). All the facts' texts are encoded together, one batch per view (a sheet at
    a time at load): each row is what encoding the fact's texts alone gives, bit for bit.
    """
    if embedder is None:
        return [None] * len(facts)
    per_fact = []
    for fact, entry in zip(facts, entries, strict=True):
        questions = _question_bags(entry)
        per_fact.append((len(questions), questions + _context_bags(fact, lexicon)))
    flat = [b for _, texts in per_fact for b in texts]
    views = [
        embedder.encode_bags([b[view] for b in flat], weight, remember=True).astype(np.float16)
        for view in range(len(VIEWS))
    ]
    found: list[tuple[FactTexts, ...] | None] = []
    first = 0
    for count, texts in per_fact:
        middle, end = first + count, first + len(texts)
        found.append(tuple(FactTexts(v[first:middle], v[middle:end]) for v in views))
        first = end
    return found
