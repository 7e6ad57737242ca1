"""Answer quality: the engine and both baselines on the evaluation questions, at article size."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from bench.baselines import Bm25Matcher, NaiveMatcher, evaluate_baseline


@dataclass
class Quality:
    name: str
    cutoff: str
    accuracy: float
    abstention: float
    language: float


#: Measured on the held-out questions (the engine's decision was fitted on the others); the
#: project's own evaluation questions when a knowledge folder has no held-out set.
HELD_OUT = "eval/holdout.yaml"


def quality(knowledge: Path) -> tuple[list[Quality], dict[str, float], int]:
    """The engine and both baselines (cutoffs tuned on the same questions) on the held-out questions."""
    from engine.answering import Engine, Snapshot
    from engine.evaluation import evaluate
    from engine.schema import load_eval

    snapshot = Snapshot.load(knowledge)
    engine = Engine(snapshot)
    problems: list = []  # the held-out file is validated by the knowledge tests; a broken one falls back
    cases = tuple(load_eval(knowledge, problems, set(snapshot.kb.facts_by_id), HELD_OUT)) or snapshot.kb.eval_questions
    report = evaluate(engine, cases)
    rows = [
        Quality(
            "engine",
            f"confidence >= {engine.thresholds()[0]}%",
            report.accuracy,
            report.abstention,
            report.language,
        )
    ]
    cutoffs = {}
    for baseline in (NaiveMatcher(snapshot.kb), Bm25Matcher(snapshot.kb)):
        cutoff = baseline.tune(cases)
        cutoffs[baseline.name] = cutoff
        r = evaluate_baseline(baseline.ask, cases)
        label = "WRatio" if baseline.name == "naive" else "BM25 score"
        rows.append(Quality(baseline.name, f"{label} >= {cutoff:.4g}", r.accuracy, r.abstention, r.language))
    return rows, cutoffs, len(cases)
