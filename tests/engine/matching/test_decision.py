"""The decision model: its data is checked, its probabilities are a choice among the candidates."""

from __future__ import annotations

import math

import pytest

from engine.knowledge.loader import KnowledgeError, Loader
from engine.matching.decision import FEATURES, TERMS, DecisionError, DecisionModel


def data(**changes):
    base = {
        "weights": {name: 0.0 for name in TERMS},
        "bias": 0.0,
        "answer_threshold": 0.6,
        "suggest_threshold": 0.2,
    }
    base.update(changes)
    return base


def test_probability_is_the_logistic_of_the_weighted_sum():
    weights = {name: 0.0 for name in TERMS} | {"semantic": 2.0}
    model = DecisionModel.from_data(data(weights=weights, bias=-1.0))
    features = [0.0] * len(FEATURES)
    features[FEATURES.index("semantic")] = 1.0
    assert model.probability(features) == pytest.approx(1 / (1 + math.exp(-1.0)))
    with pytest.raises(ValueError):
        model.probability([0.0])  # a vector of the wrong length is a bug, not a zero


def test_products_of_paired_signals_are_weighed_too():
    """A weight on "semantic*lexical" counts only when both signals are there, which a sum cannot say."""
    weights = {name: 0.0 for name in TERMS} | {"lexical*semantic": 4.0}
    model = DecisionModel.from_data(data(weights=weights, bias=-2.0))
    rows = []
    for lexical, semantic in ((1.0, 1.0), (1.0, 0.0), (0.0, 1.0)):
        features = [0.0] * len(FEATURES)
        features[FEATURES.index("lexical")] = lexical
        features[FEATURES.index("semantic")] = semantic
        rows.append(features)
    both, words_only, meaning_only = (model.probability(row) for row in rows)
    assert both == pytest.approx(1 / (1 + math.exp(-2.0)))
    assert words_only == meaning_only == pytest.approx(1 / (1 + math.exp(2.0)))
    # Asked together, the three compete for one question beside "none of them" (score 0).
    together = model.probabilities(rows)
    odds = [math.exp(2.0), math.exp(-2.0), math.exp(-2.0)]
    assert together == pytest.approx([o / (1 + sum(odds)) for o in odds])


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"weights": {"lexical": 1.0}}, "missing: lexical_margin"),
        ({"weights": {name: 0.0 for name in TERMS} | {"colour": 1.0}}, "unknown: colour"),
        ({"weights": {name: 0.0 for name in FEATURES}}, "missing: lexical\\*lexical"),
        ({"bias": float("nan")}, "finite"),
        ({"answer_threshold": 0.1}, "thresholds"),
    ],
)
def test_bad_data_says_what_is_wrong(changes, message):
    with pytest.raises(DecisionError, match=message):
        DecisionModel.from_data(data(**changes))


def test_missing_key_is_named():
    broken = data()
    del broken["bias"]
    with pytest.raises(DecisionError, match="missing 'bias'"):
        DecisionModel.from_data(broken)


def test_a_broken_decision_file_fails_the_load_with_its_file_and_reason(knowledge_copy):
    path = knowledge_copy / "decision.yaml"
    path.write_text(path.read_text(encoding="utf-8").replace("  stale:", "  stail:"), encoding="utf-8")
    with pytest.raises(KnowledgeError) as caught:
        Loader(knowledge_copy).load()
    (problem,) = caught.value.problems
    assert problem.file == "decision.yaml" and "stail" in problem.message and "calibrate" in problem.message


def test_the_shipped_decision_is_loaded(snapshot):
    decision = snapshot.kb.decision
    assert decision is not None and snapshot.matcher.learned
    assert 0 < decision.suggest_threshold <= decision.answer_threshold < 1
