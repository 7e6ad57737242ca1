"""A fact's closest question variant: how much of a question its words explain, and how alike it reads.

Split from lexical.py, which finds and ranks the candidate facts: here is what one fact
scores. A variant's F-score (recall over the question's weighted words, precision over its
own) is blended with its surface similarity to the question, and the best blend with the
share of the question the whole fact explains (its coverage). `tight_bounds` says how high
that can go at a given coverage, so that `LexicalScorer.rank` skips facts that cannot enter.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence

import numpy as np
from rapidfuzz.fuzz import ratio
from rapidfuzz.process import cdist

#: Weight of a variant's score against the fact's whole vocabulary.
VARIANT_WEIGHT = 0.7
#: Recall matters more than precision: members ask short questions.
BETA2 = 2.0
#: Share of a variant's score given to its plain similarity with the question, stop words included:
#: it breaks ties between variants that hold the same content words ("what will X do" vs "will there be X").
SURFACE_WEIGHT = 0.2
#: The most a variant's surface similarity adds to its blend (a similarity of 100).
SURFACE_BOUND = SURFACE_WEIGHT * 100 / 100
#: What a fact's F-score share can reach at a given coverage, as a bound (precision 1, recall the coverage).
_SHARE_BOUND = (1 - SURFACE_WEIGHT) * (1 + BETA2)
#: Slack on that bound, far above the rounding of the few operations between it and a score.
_BOUND_SLACK = 1e-9

#: Facts ordered by their upper bound for one question (the rest can only be reached past MAX_SCORED skips).
SORTED_BOUNDS = 512
#: Up to this many facts touched by a question, their bounds are ordered as plain floats (numpy's steps cost more).
FEW_TOUCHED = 64
#: Bases with at most this many question variants are scored with `AllVariants` (larger ones fact by fact:
#: a question of a large base touches thousands of variants it never scores).
ALL_AT_ONCE = 4_000
#: Each variant's total weight, and which variants hold each token.
VariantTable = tuple[tuple[float, ...], dict[str, tuple[int, ...]]]


def variant_table(variants: tuple[tuple[tuple[str, ...], str], ...], idf: Mapping[str, float]) -> VariantTable:
    """Each variant's total weight (1 for one of unknown words only), and the variants holding each token."""
    holders: dict[str, list[int]] = defaultdict(list)
    for n, (tokens, _) in enumerate(variants):
        for token in tokens:
            holders[token].append(n)
    return (
        tuple(sum(idf.get(t, 0.0) for t in tokens) or 1.0 for tokens, _ in variants),
        {t: tuple(ns) for t, ns in holders.items()},
    )


def fact_score(
    weights: Mapping[str, float],
    total: float,
    spoken: str,
    explained: float,
    table: VariantTable,
    variants: tuple[tuple[tuple[str, ...], str], ...],
) -> float:
    """The closest question variant's F-score blended with how much of the question the whole fact explains.

    `weights`: the question's tokens and weights (`total` in all); `spoken`: its folded words
    joined; `explained`: the weight the fact's words explain.
    """
    sizes, holders = table
    matched: dict[int, float] = {}
    get = matched.get
    for token, weight in weights.items():
        for n in holders.get(token, ()):
            matched[n] = get(n, 0.0) + weight
    # The F-score's constants as the expression `(1 - W) * ((1 + B) * p * r / (B * p + r))` computes them.
    share_of, beta_1, beta = 1 - SURFACE_WEIGHT, 1 + BETA2, BETA2
    ranked = [
        (share_of * (beta_1 * precision * recall / (beta * precision + recall)), n)
        for n, value in matched.items()
        for recall, precision in ((value / total, value / sizes[n]),)
    ]
    ranked.sort(reverse=True)  # by share (ties by position: the order does not change the best)
    # A variant's surface similarity is at most 1, so its blend is at most `SURFACE_BOUND` above its
    # F-score's share: the (costly) similarity is only computed while it could still beat the best
    # blend found. The result is the same as comparing every variant; only similarities that cannot
    # matter are skipped.
    best = 0.0
    for share, n in ranked:
        if share + SURFACE_BOUND <= best:
            break
        blend = share + SURFACE_WEIGHT * ratio(spoken, variants[n][1]) / 100
        if blend > best:
            best = blend
    return with_coverage(best, explained / total)


def with_coverage(best: float, coverage: float) -> float:
    """What the fact leaves unexplained counts twice: once in the blend, once as a factor."""
    return (VARIANT_WEIGHT * best + (1 - VARIANT_WEIGHT) * coverage) * coverage


class AllVariants:
    """Every question variant of a small base (at most ALL_AT_ONCE), scored against a question at once.

    `fact_score` works out one fact's variants in Python, skipping the surface similarities
    that cannot win; for a base this small, one numpy pass over every matched variant and one
    `cdist` of their similarities cost less than the dozen facts a question scores. The blends
    are the very floats (the same operations, in the same order, on the same sums), and a
    fact's best blend their maximum, as `fact_score`'s loop finds it.
    """

    def __init__(self, variants: Sequence[tuple[tuple[tuple[str, ...], str], ...]], idf: Mapping[str, float]) -> None:
        """`variants`: each fact's, in the order of the scorer's fact positions."""
        holders: dict[str, list[int]] = defaultdict(list)
        sizes: list[float] = []
        owners: list[int] = []
        self._texts: list[str] = []
        for position, own in enumerate(variants):
            for tokens, text in own:
                for token in tokens:
                    holders[token].append(len(sizes))
                sizes.append(sum(idf.get(t, 0.0) for t in tokens) or 1.0)  # as variant_table sums them
                owners.append(position)
                self._texts.append(text)
        self._facts = len(variants)
        self._holders = {t: np.array(ns, dtype=np.intp) for t, ns in holders.items()}
        self._sizes = np.array(sizes, dtype=np.float64)
        self._owners = np.array(owners, dtype=np.intp)

    def best_blends(self, weights: Mapping[str, float], total: float, spoken: str) -> list[float]:
        """Each fact's best blend (by fact position; 0 for a fact with no matched variant), as `fact_score` finds it."""
        matched = np.zeros(len(self._sizes), dtype=np.float64)
        for token, weight in weights.items():
            found = self._holders.get(token)
            if found is not None:
                matched[found] += weight  # a variant holds a token once: the sums of fact_score's loop
        best = np.zeros(self._facts, dtype=np.float64)
        hit = np.flatnonzero(matched)
        if not len(hit):
            return best.tolist()
        value = matched[hit]
        recall = value / total
        precision = value / self._sizes[hit]
        share_of, beta_1, beta = 1 - SURFACE_WEIGHT, 1 + BETA2, BETA2
        shares = share_of * (beta_1 * precision * recall / (beta * precision + recall))
        texts = self._texts
        surface = cdist([spoken], [texts[g] for g in hit.tolist()], scorer=ratio, dtype=np.float64)[0]
        blends = shares + SURFACE_WEIGHT * surface / 100
        # A fact's variants are contiguous, so the matched ones of each fact are a run of `hit`.
        owners = self._owners[hit]
        first = np.flatnonzero(np.concatenate(([True], owners[1:] != owners[:-1])))
        best[owners[first]] = np.maximum.reduceat(blends, first)
        return best.tolist()


def tight_bounds(coverage: np.ndarray) -> np.ndarray:
    """An upper bound of `fact_score` at each coverage, tighter than `(W + (1 - W) c) c`, plus a slack for rounding.

    A variant's recall is at most the coverage (its words are among the fact's), its precision
    at most 1, so its F-score share is at most `_SHARE_BOUND * c / (BETA2 + c)` and its blend
    that plus SURFACE_BOUND.
    """
    blend: np.ndarray = np.minimum(_SHARE_BOUND * coverage / (BETA2 + coverage) + SURFACE_BOUND, 1.0)
    bound: np.ndarray = (VARIANT_WEIGHT * blend + (1 - VARIANT_WEIGHT) * coverage) * coverage + _BOUND_SLACK
    return bound


def bound_order(explained: np.ndarray, total: float, keep: int) -> tuple[list[float], list[float], list[int]]:
    """The touched facts (those explaining some weight), by their loose bound `(W + (1 - W) c) c` (a stable sort,
    at most `keep` of the highest): each one's loose and tight bound (`tight_bounds`) and its position.

    A question touching a few dozen facts has them ordered in Python, on the very floats numpy computes.
    """
    touched = np.flatnonzero(explained)
    if len(touched) <= FEW_TOUCHED:
        positions = touched.tolist()
        coverage = [e / total for e in explained[touched].tolist()]
        loose = [(VARIANT_WEIGHT + (1 - VARIANT_WEIGHT) * c) * c for c in coverage]
        order = sorted(range(len(loose)), key=lambda n: -loose[n])  # numpy's stable argsort of -bound
        return [loose[n] for n in order], [_tight(coverage[n]) for n in order], [positions[n] for n in order]
    share = explained[touched] / total
    bound = (VARIANT_WEIGHT + (1 - VARIANT_WEIGHT) * share) * share
    # Only the facts with the highest bounds can be scored (at most MAX_SCORED, plus those
    # whose mismatches let them be skipped): order a few hundred, not every fact touched.
    kept = min(len(touched), keep)
    top = np.argpartition(-bound, kept - 1)[:kept] if kept < len(touched) else np.arange(len(touched))
    ranked = top[np.argsort(-bound[top], kind="stable")]
    return bound[ranked].tolist(), tight_bounds(share[ranked]).tolist(), touched[ranked].tolist()


def _tight(coverage: float) -> float:
    """`tight_bounds` of one coverage."""
    blend = min(_SHARE_BOUND * coverage / (BETA2 + coverage) + SURFACE_BOUND, 1.0)
    return (VARIANT_WEIGHT * blend + (1 - VARIANT_WEIGHT) * coverage) * coverage + _BOUND_SLACK
