"""The decision: a choice model over the signals, fitted on the evaluation questions.

A question's candidates compete for it beside "none of them": each gets exp(s) / (1 + the sum
of every candidate's exp(s)), s a weighted sum of its signals and their products (a
conditional logit; with one candidate, the logistic of s).

Its weights and thresholds are data, in knowledge/decision.yaml, written by
`python bot.py calibrate` (see engine/matching/calibrate.py). The probability it gives a
candidate is the confidence shown to members: fitted and checked out of sample, so 80%
means right about four times in five.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from itertools import chain
from types import MappingProxyType

import numpy as np

#: The signals, in the order of a feature vector; decision.yaml must give a weight to each.
FEATURES = (
    "lexical",  # the lexical score (coverage and best variant, with the entity and kind penalties)
    "lexical_margin",  # lexical score minus the best other candidate's
    "coverage",  # share of the question's weight the fact's words explain
    "semantic",  # best cosine between the question and one of the fact's question variants
    "semantic_context",  # best cosine between the question and the fact's answers, quote and keywords
    "semantic_margin",  # semantic minus the best other candidate's
    "concept",  # the same three for the lexicon's concepts (PDG, CEO, patron -> ceo) instead of words
    "concept_context",
    "concept_margin",
    "lexical_best",  # 1 when no other candidate has a higher lexical score
    "semantic_best",  # 1 when no other candidate has a higher semantic score
    "foreign_entity",  # the question names an entity (or year) the fact never mentions
    "mentioned_entity",  # the question names an entity the fact only mentions in passing (its answer)
    "kind_mismatch",  # the question asks who/when/where/how many/why/a source, the fact answers another kind
    "yes_no_mismatch",  # the fact answers "yes"/"no" and the question is not a yes/no question
    "unknown_share",  # share of the question's weight in words the knowledge base has never seen
    "short",  # 1 for a one-word question (keywords alone are weaker evidence)
    "length",  # the question's content words, up to 12, over 12: long questions explain less of themselves
    "stale",  # the question asks for the present state, the fact is about an earlier year
    "current",  # the question asks for the present state, the fact is about the article's latest year
    "variants",  # the fact's number of questions, up to 60, over 60: a new fact's evidence is thinner
    "negative",  # best cosine to a question known to be out of scope (out_of_scope.yaml)
    "negative_concept",  # the same, in lexicon concepts
    "negative_margin",  # semantic minus negative: closer to the fact than to any known unanswerable question
    "contrast",  # the question names a common entity the fact does not, the fact another one (Renault for Nissan)
    "yes_no_contrast",  # the same in a yes/no question: a wrong belief the fact corrects ("Uchida works for Renault?")
    "focus",  # share of the question's last clause the fact's words explain (focus.py); coverage for one clause
    "clauses",  # 1 when the question has a last clause apart ("..., la personne sera rattachée à qui ?")
)


#: Signals whose pairwise products (squares included) the model weighs too: a linear model of the
#: signals alone cannot say "a good word match counts only when the meaning agrees". Measured with
#: calibrate's cross-validation on the fit sets (folds by question): in-scope accuracy at 95%
#: abstention 79.6% without the products, 83.8% with them; adding the other signals' products
#: measured lower (82.8%). With the focus feature (2026-12-01, 3,936 questions), pairing the fact's
#: number of questions and the focus too: at 93% abstention 84.4% -> 85.0% (folds by question) and
#: 83.2% -> 83.8% (each fit set left out in turn); at 95%, 81.8% -> 82.3% and 80.2% -> 80.9%.
PAIRED = (
    "lexical",
    "coverage",
    "semantic",
    "semantic_context",
    "concept",
    "concept_context",
    "negative",
    "lexical_margin",
    "semantic_margin",
    "variants",
    "focus",
)
_PAIRS = tuple((FEATURES.index(a), FEATURES.index(b)) for n, a in enumerate(PAIRED) for b in PAIRED[n:])
#: What decision.yaml weighs: the signals, then their products, named "a*b".
TERMS = FEATURES + tuple(f"{FEATURES[a]}*{FEATURES[b]}" for a, b in _PAIRS)
_LEFT = np.array([a for a, _ in _PAIRS], dtype=np.intp)
_RIGHT = np.array([b for _, b in _PAIRS], dtype=np.intp)


def terms(features: np.ndarray) -> np.ndarray:
    """Rows of signals (n x len(FEATURES)) with their products appended (n x len(TERMS))."""
    out = np.empty((len(features), len(TERMS)), dtype=np.float64)
    out[:, : len(FEATURES)] = features
    np.multiply(features[:, _LEFT], features[:, _RIGHT], out=out[:, len(FEATURES) :])
    return out


def choice_probabilities(scores: np.ndarray, group: np.ndarray) -> np.ndarray:
    """Each candidate's share of its question, beside "none of them" (score 0): exp(s) / (1 + sum exp).

    `group`: each score's question; the rows of one question must be contiguous (a group met twice
    apart would be read as two questions). The candidates compete:
    a fact as good as another one takes about half the confidence, not all of it twice.
    """
    if not len(scores):
        return np.zeros(0)
    starts = np.flatnonzero(np.r_[True, group[1:] != group[:-1]])
    codes = np.repeat(np.arange(len(starts)), np.diff(np.r_[starts, len(group)]))
    top = np.maximum(np.maximum.reduceat(scores, starts), 0.0)
    shares = np.exp(scores - top[codes])
    return shares / (np.exp(-top) + np.add.reduceat(shares, starts))[codes]  # type: ignore[no-any-return]


def one_question_probabilities(scores: np.ndarray) -> np.ndarray:
    """`choice_probabilities` of one question's candidates, bit for bit, without the grouping's steps.

    Over one run, `maximum.reduceat` is the maximum and `add.reduceat` the first value plus
    numpy's sum of the others: the same operations on the same values, a quarter of the time.
    """
    if not len(scores):
        return np.zeros(0)
    top = max(float(scores.max()), 0.0)
    shares = np.exp(scores - top)
    rest = np.exp(np.array([-top]))[0]  # exp of an array, as choice_probabilities takes it
    return shares / (rest + (shares[0] + np.add.reduce(shares[1:])))  # type: ignore[no-any-return]


def _some(names: Sequence[str], shown: int = 6) -> str:
    """A few names, and how many more: an old decision.yaml can lack dozens."""
    more = f" and {len(names) - shown} more" if len(names) > shown else ""
    return ", ".join(names[:shown]) + more


class DecisionError(ValueError):
    """decision.yaml does not describe a model of this engine's features."""


@dataclass(frozen=True, slots=True)
class DecisionModel:
    """Weights of the choice model, and the probability thresholds to answer and to suggest."""

    weights: Mapping[str, float]
    bias: float
    answer_threshold: float
    suggest_threshold: float
    #: What the fit measured out of sample, for `eval` and the README (free-form numbers).
    measured: Mapping[str, float] = field(default_factory=dict)
    #: What the fit depended on: the embedding model's identity, how many out-of-scope questions.
    fitted_with: Mapping[str, str | float] = field(default_factory=dict)
    _vector: np.ndarray = field(default_factory=lambda: np.zeros(0), init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        missing = [f for f in TERMS if f not in self.weights]
        extra = [f for f in self.weights if f not in TERMS]
        if missing or extra:
            raise DecisionError(
                "weights must name exactly the engine's features"
                + (f"; missing: {_some(missing)}" if missing else "")
                + (f"; unknown: {_some(extra)}" if extra else "")
            )
        numbers = [self.bias, self.answer_threshold, self.suggest_threshold, *self.weights.values()]
        if not all(isinstance(x, int | float) and math.isfinite(x) for x in numbers):
            raise DecisionError("weights, bias and thresholds must be finite numbers")
        if not 0 < self.suggest_threshold <= self.answer_threshold < 1:
            raise DecisionError("thresholds must satisfy 0 < suggest_threshold <= answer_threshold < 1")
        object.__setattr__(self, "weights", MappingProxyType(dict(self.weights)))
        object.__setattr__(self, "_vector", np.array([float(self.weights[f]) for f in TERMS]))

    def probability(self, features: Sequence[float]) -> float:
        """The probability of a question's only candidate (against "none of them")."""
        return self.probabilities([features])[0]

    def probabilities(self, rows: Sequence[Sequence[float]]) -> list[float]:
        """One question's candidates' probabilities of being its right fact (see choice_probabilities).

        One matrix product: a question has a few dozen candidates.
        """
        width = len(FEATURES)
        if isinstance(rows, list) and rows and all(len(row) == width for row in rows):
            # Read straight into the array: a third of what converting a list of tuples costs.
            x = np.fromiter(chain.from_iterable(rows), np.float64, len(rows) * width).reshape(len(rows), width)
        else:
            x = np.asarray(rows, dtype=np.float64)
        if x.ndim != 2 or x.shape[1] != width:
            raise ValueError(f"expected rows of {width} features, got an array of shape {x.shape}")
        scores = terms(x) @ self._vector + self.bias
        return one_question_probabilities(scores).tolist()  # type: ignore[no-any-return]  # a 1-D float64 array: a list of floats

    @classmethod
    def from_data(cls, data: object) -> DecisionModel:
        """Build from decision.yaml's parsed content; raises DecisionError saying what is wrong."""
        if not isinstance(data, Mapping):
            raise DecisionError("expected a mapping with weights, bias and thresholds")
        for key in ("weights", "bias", "answer_threshold", "suggest_threshold"):
            if key not in data:
                raise DecisionError(f"missing '{key}'")
        weights = data["weights"]
        if not isinstance(weights, Mapping) or not all(isinstance(k, str) for k in weights):
            raise DecisionError("'weights' must map feature names to numbers")
        measured = data.get("measured") or {}
        if not isinstance(measured, Mapping):
            raise DecisionError("'measured' must map names to numbers")
        fitted_with = data.get("fitted_with") or {}
        if not isinstance(fitted_with, Mapping):
            raise DecisionError("'fitted_with' must map names to values")
        return cls(
            weights=dict(weights),
            bias=data["bias"],
            answer_threshold=data["answer_threshold"],
            suggest_threshold=data["suggest_threshold"],
            measured={str(k): v for k, v in measured.items() if isinstance(v, int | float)},
            fitted_with={str(k): v for k, v in fitted_with.items() if isinstance(v, str | int | float)},
        )
