"""One question's candidates: the lexical best and the semantic best facts together, with their features.

A fact found only by meaning is still weighed: each candidate gets its lexical evidence and
its similarities in both semantic views, whichever signal found it, then its feature
vector (features.py) for the decision.
"""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING

import numpy as np

from engine.knowledge.model import Fact
from engine.lexicon import Analysis
from engine.matching.features import Signals, feature_rows
from engine.matching.index import FactEntry
from engine.matching.semantic import FactVectors

if TYPE_CHECKING:
    from engine.matching.matcher import Matcher

#: Candidates taken from each signal before the decision weighs them.
LEXICAL_CANDIDATES = 8
SEMANTIC_CANDIDATES = 8

#: One view's search: (fact positions, best cosine to a question variant, to the answers and quote).
Found = tuple[np.ndarray, np.ndarray, np.ndarray]


def gather(
    matcher: Matcher, analysis: Analysis, *, fitting: bool = False, unseen: frozenset[str] = frozenset()
) -> list[tuple[Fact, tuple[float, ...]]]:
    """The candidates of an analysed question, each with its feature vector (none without the semantic signal).

    `fitting` (calibrate only): a known out-of-scope question is not its own neighbour, nor are the
    listed questions whose texts are `unseen` (Negatives.nearest).
    """
    embedder, vectors = matcher.embedder, matcher.vectors
    if not analysis.tokens or embedder is None or vectors is None:
        return []
    scorer = matcher.lexical
    weighed = scorer.weigh(analysis)
    lexical = dict(scorer.rank(weighed, LEXICAL_CANDIDATES))
    question = embedder.encode_question((analysis.words, analysis.tokens), matcher.bag_weight)
    searched = [view.similarities(vector) for view, vector in zip(vectors, question, strict=True)]
    picked = [_best(matcher, *found) for found in searched]
    ids = list(dict.fromkeys([*lexical, *(i for view in picked for i in view)]))
    # Every candidate, whichever signal or view found it, gets its similarity in each view.
    views = [
        _similarities(matcher, view, vector, found, ids)
        for view, vector, found in zip(vectors, question, searched, strict=True)
    ]
    lexical.update(scorer.signals(weighed, [i for i in ids if i not in lexical]))
    # What the question's last clause asks (focus.py): the share of it each fact explains; else its coverage.
    focus = scorer.shares(scorer.weigh(replace(analysis, tokens=analysis.focus)), ids) if analysis.focus else None
    by_fact, years = matcher.facts, matcher.years
    common = scorer.common_entities
    named = analysis.entities & common
    signals = [
        Signals(
            lexical=lexical[i],
            semantic=views[0][i],
            concept=views[1][i],
            yes_no=by_fact[i][1].yes_no,
            stale=years[i][0],
            current=years[i][1],
            variants=len(by_fact[i][1].variants),
            contrast=_contrast(named, by_fact[i][1], common),
            focus=focus[n] if focus is not None else lexical[i].coverage,
        )
        for n, i in enumerate(ids)
    ]
    text = " ".join(analysis.words)
    negative = matcher.negatives.nearest(question, text, analysis.kinds, fitting=fitting, unseen=unseen)
    lexicon = matcher.lexicon
    asks_yes_no = lexicon.asks_yes_no(analysis.words, analysis.kinds)  # its kinds are its words'
    asks_now = lexicon.asks_now(analysis.words) and not any(e.isdigit() for e in analysis.entities)
    rows = feature_rows(signals, weighed, asks_yes_no, asks_now, negative, clauses=bool(analysis.focus))
    return [(by_fact[i][0], row) for i, row in zip(ids, rows, strict=True)]


def _contrast(named: frozenset[str], entry: FactEntry, common: frozenset[str]) -> bool:
    """Whether the question names a common entity the fact does not, where the fact names another one."""
    if not named:
        return False
    held = (entry.entities | entry.answer_entities) & common
    return bool(named - held) and bool(held - named)


def _best(matcher: Matcher, indices: np.ndarray, sem_q: np.ndarray, sem_c: np.ndarray) -> list[str]:
    """The facts most alike in meaning in one view, best first."""
    order = np.argsort(-np.maximum(sem_q, sem_c), kind="stable")[:SEMANTIC_CANDIDATES]
    ids = matcher.order
    return [ids[i] for i in indices[order].tolist()]


def _similarities(
    matcher: Matcher, vectors: FactVectors, vector: np.ndarray, found: Found, ids: list[str]
) -> dict[str, tuple[float, float]]:
    """Each candidate's (question, context) cosines in one view: from the search, else computed."""
    indices, sem_q, sem_c = found
    position = matcher.position
    if vectors.exact and len(indices) == vectors.size:  # the whole base searched: fact n's cosines are at n
        questions, contexts = sem_q.tolist(), sem_c.tolist()
        return {i: (questions[n], contexts[n]) for i in ids for n in (position[i],)}
    by_index = dict(zip(indices.tolist(), range(len(indices)), strict=True))
    result, rest = {}, []
    at = [(fact_id, by_index.get(position[fact_id])) for fact_id in ids]
    if any(n is not None for _, n in at):
        questions, contexts = sem_q.tolist(), sem_c.tolist()  # plain floats (the very values) read faster
        for fact_id, n in at:
            if n is None:
                rest.append(fact_id)
            else:
                result[fact_id] = (questions[n], contexts[n])
    else:
        rest = ids
    if rest:
        q, c = vectors.similarities_for(vector, [position[i] for i in rest])
        result.update({i: (float(a), float(b)) for i, a, b in zip(rest, q, c, strict=True)})
    return result
