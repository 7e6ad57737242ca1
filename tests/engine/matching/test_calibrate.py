"""The fit: the choice model recovers a known rule; thresholds meet their precision."""

from __future__ import annotations

import numpy as np

from engine.answering import Snapshot
from engine.knowledge.model import EvalQuestion
from engine.knowledge.yamlfile import parse_yaml
from engine.matching.calibrate import choose_threshold, cut_questions, fit, reliability, to_yaml
from engine.matching.choicefit import fit_choice
from engine.matching.decision import TERMS, DecisionModel


def test_choice_fit_recovers_the_sign_and_order_of_weights():
    """Questions of 1-4 candidates, the right one (or none) drawn from a known conditional logit."""
    rng = np.random.default_rng(0)
    true_w, true_b = np.array([2.0, -1.0, 0.0]), 0.5
    x, y, group = [], [], []
    for g in range(3000):
        rows = rng.normal(size=(int(rng.integers(1, 5)), 3))
        e = np.exp(rows @ true_w + true_b)
        pick = rng.choice(len(rows) + 1, p=np.r_[e, 1.0] / (e.sum() + 1.0))  # the last option: none
        x += list(rows)
        y += [float(n == pick) for n in range(len(rows))]
        group += [g] * len(rows)
    w, b = fit_choice(np.array(x), np.array(y), np.array(group), l2=0.1)
    assert 1.7 < w[0] < 2.3 and -1.3 < w[1] < -0.7 and abs(w[2]) < 0.15 and 0.3 < b < 0.7


def test_a_choice_between_two_equal_candidates_splits_the_confidence():
    """Two candidates alike in every signal share the question: neither gets what one alone would."""
    from engine.matching.decision import choice_probabilities

    alone = choice_probabilities(np.array([2.0]), np.array([0]))
    pair = choice_probabilities(np.array([2.0, 2.0, 2.0]), np.array([0, 1, 1]))
    assert alone[0] == pair[0] == 1 / (1 + np.exp(-2.0))
    assert pair[1] == pair[2] < alone[0] / 1.5


def test_threshold_balances_accuracy_and_abstention_above_the_precision():
    # Three right in-scope answers, then two out-of-scope questions scored lower.
    p = np.array([0.9, 0.8, 0.7, 0.6, 0.5])
    right = np.array([True, True, True, False, False])
    scope = np.array([True, True, True, False, False])
    assert 0.6 < choose_threshold(p, right, scope, 0.95) <= 0.7
    # An out-of-scope question scored high: no threshold under it reaches 90% precision.
    p2, right2, scope2 = np.array([0.9, 0.8, 0.7]), np.array([True, False, True]), np.array([True, False, True])
    assert choose_threshold(p2, right2, scope2, 0.9) > 0.8


def test_reliability_bins_count_everything():
    bins = reliability([0.1, 0.15, 0.9, 0.95], [False, False, True, False])
    assert sum(n for _, _, n in bins) == 4
    assert bins[-1][1] == 0.5


def test_cut_keeps_the_first_questions_only(snapshot):
    thin = cut_questions(snapshot.kb, 2)
    assert all(len(qs) <= 2 for f in thin.facts for qs in f.questions.values())
    assert thin.facts[0].questions["fr"] == snapshot.kb.facts[0].questions["fr"][:2]


def test_a_fit_on_real_questions_writes_a_model_that_loads(snapshot):
    matcher = Snapshot.build(snapshot.kb).matcher  # its own: fitting marks the matchers it uses
    questions = [case for case in snapshot.kb.eval_questions][:80]
    result = fit([matcher], questions, folds=2)
    reloaded = DecisionModel.from_data(parse_yaml(to_yaml(result.model, "test")))
    assert reloaded == result.model
    assert result.questions == 80 and result.rows > 80


def test_whole_sets_held_out_are_measured_beside_the_folds_by_question(snapshot):
    matcher = Snapshot.build(snapshot.kb).matcher
    questions = [case for case in snapshot.kb.eval_questions][:120]
    sets = ["a" if n % 3 else "b" for n in range(len(questions))]
    measured = fit([matcher], questions, folds=2, sets=sets).model.measured
    for name in ("sets_out_in_scope_accuracy", "sets_out_abstention", "sets_out_precision"):
        assert 0.0 <= measured[name] <= 1.0, name
    assert "sets_out_abstention" not in fit([matcher], questions, folds=2).model.measured


def test_holding_a_set_out_leaves_its_listed_questions_unseen(snapshot):
    from engine.matching.calibrate import collect

    seen = []

    class Recording:
        def analyse(self, text):
            return snapshot.matcher.analyse(text)

        def candidates(self, analysis, *, fitting=False, unseen=frozenset()):
            seen.append((" ".join(analysis.words), unseen))
            return []

    questions = [
        EvalQuestion("Who is the CEO of Volkswagen?", None, "en"),
        EvalQuestion("qui dirige nissan", None, "fr"),
    ]
    collect([Recording()], questions, ["x", "y"])
    assert seen[0][1] == {seen[0][0]} and seen[1][1] == {seen[1][0]}  # each its own set's texts, no other's
    collect([Recording()], questions)
    assert seen[2][1] == seen[3][1] == frozenset()


def test_a_question_without_candidates_still_counts():
    from engine.matching.calibrate import collect

    class Empty:
        def analyse(self, text):
            return text

        def candidates(self, analysis, *, fitting=False, unseen=frozenset()):
            return []

    rows = collect([Empty()], [EvalQuestion("zzz", None, "en")])
    assert len(rows.y) == 1 and rows.y[0] == 0 and not rows.real[0]  # measured (it abstains), not learned from


def test_fitted_with_round_trips_any_text():
    model = DecisionModel(
        weights={name: 0.0 for name in TERMS},
        bias=0.0,
        answer_threshold=0.5,
        suggest_threshold=0.1,
        fitted_with={"model": "odd\\name \"quoted\" 'too'", "out_of_scope": 3},
    )
    assert DecisionModel.from_data(parse_yaml(to_yaml(model, "test"))).fitted_with == model.fitted_with


def test_decision_yaml_reads_back_every_number_it_writes():
    """PyYAML reads "-5e-06" (no dot) as a string: a tiny weight must still load as a number."""
    weights = {name: 0.0 for name in TERMS} | {"lexical": -5e-06, "semantic": 1e-05, "coverage": 3.0}
    model = DecisionModel(
        weights=weights,
        bias=-2.5,
        answer_threshold=0.5,
        suggest_threshold=0.1,
        measured={"questions": 3626.0, "cv_precision": 0.9},
    )
    reloaded = DecisionModel.from_data(parse_yaml(to_yaml(model, "test")))
    assert reloaded.weights["lexical"] == -5e-06 and reloaded.weights["coverage"] == 3.0
    assert reloaded.measured == {"questions": 3626, "cv_precision": 0.9}
    broken = DecisionModel(
        weights=weights, bias=0.0, answer_threshold=0.5, suggest_threshold=0.1, measured={"cv_precision": float("nan")}
    )
    import pytest

    with pytest.raises(ValueError, match="did not converge"):
        to_yaml(broken, "test")
