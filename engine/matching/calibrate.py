"""Fitting the decision: a choice model over the candidates' features, cross-validated.

Every fit question is asked of the full knowledge and of the knowledge cut to its first
few questions per fact (what a moderator writes for a new fact), so the weights hold for
thinly written facts too. Each candidate is one row, labelled 1 when it is the expected
fact; a question's candidates compete for it, beside "none of them" (a conditional logit).
Out-of-fold probabilities (folds by question) choose the answer threshold: among
those whose answers are right at least TARGET_PRECISION of the time, the one with the best
in-scope accuracy + abstention. The held-out set is never read here.

A fit question that is also one of its fact's own questions (moderators add what members
asked) would be matched word for word: the decision would learn from a match no new
question gets. So the fit asks them of the knowledge without those fact questions
(`without_asked`), as the known out-of-scope questions are never their own neighbours.
"""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from dataclasses import dataclass, replace
from itertools import pairwise
from typing import TYPE_CHECKING

import numpy as np

from engine.knowledge.model import EvalQuestion, KnowledgeBase
from engine.matching.choicefit import fit_choice
from engine.matching.decision import FEATURES, TERMS, DecisionModel, choice_probabilities, terms
from engine.matching.negatives import listed_form

if TYPE_CHECKING:
    from engine.matching.matcher import Matcher

#: Answers must be right at least this often, out of sample, at the chosen threshold; among the
#: thresholds that reach it, the one with the best in-scope accuracy + abstention is taken.
TARGET_PRECISION = 0.90
#: A suggestion is offered when its probability is at least this share of the answer threshold.
SUGGEST_PRECISION = 0.25
#: Cross-validation folds.
FOLDS = 5
#: Facts are also cut to this many questions per language for the fit.
THIN_QUESTIONS = 3


def cut_questions(kb: KnowledgeBase, per_language: int) -> KnowledgeBase:
    """The same knowledge with every fact cut to its first `per_language` questions in each language."""
    facts = tuple(replace(f, questions={lang: qs[:per_language] for lang, qs in f.questions.items()}) for f in kb.facts)
    return replace(kb, facts=facts)


def without_asked(kb: KnowledgeBase, asked: Sequence[str]) -> KnowledgeBase:
    """The same knowledge without the fact questions that are also fit questions (compared folded).

    A fact keeps its first question in a language where every one was asked, so that it can
    still be found.
    """
    keys = {listed_form(q) for q in asked}
    facts = tuple(replace(f, questions={lang: _kept(qs, keys) for lang, qs in f.questions.items()}) for f in kb.facts)
    return replace(kb, facts=facts)


def _kept(questions: Sequence[str], asked: set[str]) -> tuple[str, ...]:
    return tuple(q for q in questions if listed_form(q) not in asked) or tuple(questions[:1])


@dataclass(frozen=True, slots=True)
class Rows:
    """Candidates as rows: features, label, and which question (and knowledge variant) they belong to."""

    x: np.ndarray
    y: np.ndarray
    group: np.ndarray
    question: np.ndarray
    in_scope: np.ndarray
    #: False for the placeholder row of a question with no candidate (not learned from).
    real: np.ndarray


def collect(matchers: Sequence[Matcher], questions: Sequence[EvalQuestion], sets: Sequence[str] | None = None) -> Rows:
    """Every candidate of every question under every matcher, as rows.

    With `sets` (each question's set), a question's nearest known out-of-scope question is never one of
    its own set's (`leave_sets_out`: the set is measured as if it had never been written).
    """
    x, y, group, qid, scope, real = [], [], [], [], [], []
    for m, matcher in enumerate(matchers):
        own = _texts_by_set(matcher, questions, sets) if sets is not None else {}
        for n, case in enumerate(questions):
            g = m * len(questions) + n
            unseen = own[sets[n]] if sets is not None else frozenset()
            found = matcher.candidates(matcher.analyse(case.q), fitting=True, unseen=unseen)
            # A question with no candidate still counts (it abstains), as a group of one empty row
            # that is measured but not learned from.
            none: list[tuple[str | None, tuple[float, ...]]] = [(None, (0.0,) * len(FEATURES))]
            for fact_id, features in [(f.id, v) for f, v in found] or none:
                x.append(features)
                y.append(float(fact_id is not None and fact_id == case.expect))
                group.append(g)
                qid.append(n)
                scope.append(case.expect is not None)
                real.append(fact_id is not None)
    return Rows(terms(np.array(x, float)), np.array(y), np.array(group), np.array(qid), np.array(scope), np.array(real))


def _texts_by_set(
    matcher: Matcher, questions: Sequence[EvalQuestion], sets: Sequence[str]
) -> dict[str, frozenset[str]]:
    """Each set's questions as the known out-of-scope list holds them (read by this matcher: words corrected)."""
    found: dict[str, set[str]] = {}
    for case, name in zip(questions, sets, strict=True):
        found.setdefault(name, set()).add(" ".join(matcher.analyse(case.q).words))
    return {name: frozenset(texts) for name, texts in found.items()}


def _top(rows: Rows, probability: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per group: the best candidate's probability, whether it is right, whether the question is in scope."""
    order = np.lexsort((-probability, rows.group))  # by group, then most probable first
    first = np.ones(len(order), dtype=bool)
    first[1:] = rows.group[order][1:] != rows.group[order][:-1]
    top = order[first]
    return probability[top], rows.y[top] == 1, rows.in_scope[top]


def choose_threshold(best_p: np.ndarray, right: np.ndarray, scope: np.ndarray, precision: float) -> float:
    """The threshold with the best accuracy + abstention among those whose answers are right `precision` of the time.

    Ties go to the higher threshold (the more careful one).
    """
    best, chosen = -1.0, 0.95
    for t in np.round(np.arange(0.05, 0.96, 0.01), 2):
        answered = best_p >= t
        if not answered.any() or right[answered].mean() < precision:
            continue
        value = sum(_accuracy_abstention(answered, right, scope))
        if value >= best:
            best, chosen = value, float(t)
    return chosen


def _accuracy_abstention(answered: np.ndarray, right: np.ndarray, scope: np.ndarray) -> tuple[float, float]:
    """In-scope questions answered right, out-of-scope ones not answered: each as a share."""
    in_scope, out = max(int(scope.sum()), 1), max(int((~scope).sum()), 1)
    return float((answered & right & scope).sum() / in_scope), float((~answered & ~scope).sum() / out)


@dataclass(frozen=True, slots=True)
class Fit:
    model: DecisionModel
    rows: int
    questions: int


def _out_of_fold(rows: Rows, fold_of: np.ndarray) -> np.ndarray:
    """Each row's probability from a fit on the other folds' questions (a question without candidates: 0)."""
    out_of_fold = np.zeros(len(rows.y))
    for k in np.unique(fold_of).tolist():
        train, test = (fold_of != k) & rows.real, fold_of == k
        w, b = fit_choice(rows.x[train], rows.y[train], rows.group[train])
        out_of_fold[test] = choice_probabilities(rows.x[test] @ w + b, rows.group[test])
    out_of_fold[~rows.real] = 0.0  # a question without candidates is never answered
    return out_of_fold


def leave_sets_out(
    matchers: Sequence[Matcher], questions: Sequence[EvalQuestion], sets: Sequence[str], threshold: float
) -> tuple[float, float, float]:
    """(in-scope accuracy, abstention, precision) at `threshold`, each set predicted by a fit without it.

    Folds by question put paraphrases of one writer's question on both sides, and a set's own
    out-of-scope questions (seeded into out_of_scope.yaml) among its neighbours: optimistic. Here each
    set is measured as a new writer's questions would be: fitted without it (and the other sets of its
    fold), its listed questions unseen. Two things remain a little optimistic: `threshold` was chosen
    by the folds by question, which saw every set, and the rows are collected once, so the other sets'
    rows the fit learns from had this set's listed questions among their neighbours.
    """
    rows = collect(matchers, questions, sets)
    # Sets dealt round the FOLDS folds (a set is never split): five fits, not one per set.
    index = {name: n % FOLDS for n, name in enumerate(dict.fromkeys(sets))}
    fold_of = np.array([index[sets[q]] for q in rows.question.tolist()], dtype=np.int64)
    best_p, right, scope = _top(rows, _out_of_fold(rows, fold_of))
    answered = best_p >= threshold
    accuracy, abstention = _accuracy_abstention(answered, right, scope)
    return accuracy, abstention, float(right[answered].mean()) if answered.any() else 0.0


def fit(
    matchers: Sequence[Matcher],
    questions: Sequence[EvalQuestion],
    folds: int = FOLDS,
    sets: Sequence[str] | None = None,
) -> Fit:
    """Fit the decision on `questions`, asked of each matcher; thresholds from out-of-fold predictions.

    `sets` (each question's file): also measure the fit leaving each set out in turn (`leave_sets_out`).
    """
    rows = collect(matchers, questions)
    best_p, right, scope = _top(rows, _out_of_fold(rows, rows.question % folds))
    answer = choose_threshold(best_p, right, scope, TARGET_PRECISION)
    suggest = round(max(0.05, answer * SUGGEST_PRECISION), 2)
    answered = best_p >= answer
    weights, bias = fit_choice(rows.x[rows.real], rows.y[rows.real], rows.group[rows.real])
    accuracy, abstention = _accuracy_abstention(answered, right, scope)
    measured = {
        "cv_in_scope_accuracy": accuracy,
        "cv_abstention": abstention,
        "cv_precision": float(right[answered].mean()) if answered.any() else 0.0,
        "questions": float(len(questions)),
        "rows": float(len(rows.y)),
    }
    if sets is not None and len(set(sets)) > 1:
        by_set = leave_sets_out(matchers, questions, sets, answer)
        names = ("sets_out_in_scope_accuracy", "sets_out_abstention", "sets_out_precision")
        measured.update(zip(names, by_set, strict=True))
    model = DecisionModel(
        weights={name: round(float(v), 6) for name, v in zip(TERMS, weights, strict=True)},
        bias=round(bias, 6),
        answer_threshold=answer,
        suggest_threshold=min(suggest, answer),
        measured={k: round(v, 4) for k, v in measured.items()},
        fitted_with={
            "model": matchers[0].embedder.identity if matchers and matchers[0].embedder else "",
            "out_of_scope": len(matchers[0].kb.out_of_scope) if matchers else 0,
        },
    )
    return Fit(model, len(rows.y), len(questions))


def reliability(best_p: Sequence[float], right: Sequence[bool], bins: int = 5) -> list[tuple[float, float, int]]:
    """(mean predicted, share right, count) per probability bin: how well confidence is calibrated."""
    out = []
    edges = np.linspace(0, 1, bins + 1)
    p, r = np.asarray(best_p, float), np.asarray(right, bool)
    for lo, hi in pairwise(edges):
        inside = (p >= lo) & ((p < hi) if hi < 1 else (p <= hi))
        if inside.any():
            out.append((float(p[inside].mean()), float(r[inside].mean()), int(inside.sum())))
    return out


def _number(value: float) -> str:
    """A number YAML reads back as one: PyYAML takes "-5e-06" (no dot) for a string; counts stay integers.

    A value that is not finite is a broken fit: refused here rather than written as a file that will not load.
    """
    if not math.isfinite(value):
        raise ValueError(f"cannot write {value} to decision.yaml: the fit did not converge")
    if float(value).is_integer() and abs(value) >= 1:
        return str(int(value))
    text = f"{float(value):.6f}".rstrip("0")
    return text + "0" if text.endswith(".") else text


def to_yaml(model: DecisionModel, command: str) -> str:
    """decision.yaml's text: the weights with a header saying where they come from."""
    lines = [
        "# The learned decision: a choice model's weights over the matcher's signals (engine/matching/decision.py).",
        f"# Written by `{command}`; do not edit by hand, refit after changing facts or the lexicon.",
        "# Fitted on knowledge/eval (every file but the held-out ones), with facts whole and cut to their",
        f"# first {THIN_QUESTIONS} questions a language, less the fact questions that are fit questions",
        f"# too; the answer threshold, from {FOLDS}-fold cross-validation,",
        "# has the best accuracy + abstention among those whose answers were right",
        f"# {TARGET_PRECISION:.0%} of the time.",
        f"bias: {_number(model.bias)}",
        f"answer_threshold: {model.answer_threshold}",
        f"suggest_threshold: {model.suggest_threshold}",
        "weights:",
        *(f"  {name}: {_number(model.weights[name])}" for name in TERMS),
        "measured:",
        *(f"  {k}: {_number(v)}" for k, v in model.measured.items()),
        "fitted_with:",
        *(f"  {k}: {json.dumps(v)}" for k, v in model.fitted_with.items()),
    ]
    return "\n".join(lines) + "\n"
