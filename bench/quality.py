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
    #: The question set scored: "holdout" (never fitted or tuned on) or "questions" (the tuning set).
    questions: str = "holdout"


#: Scored on both sets: the held-out one (the engine's decision was fitted on the others, the
#: baselines' cutoffs are tuned on TUNING), and the tuning set itself (in-sample for everyone).
HELD_OUT = "eval/holdout.yaml"
TUNING = "eval/questions.yaml"


def quality(knowledge: Path) -> tuple[list[Quality], dict[str, float], int]:
    """The engine and both baselines on the held-out questions, then on the tuning questions.

    The baselines' cutoffs are tuned on knowledge/eval/questions.yaml (as the engine's decision
    was fitted on it, among others) and scored on both sets; the held-out rows come first.
    Returns the rows, the cutoffs and the number of held-out questions.
    """
    from engine.answering import Engine, Snapshot
    from engine.evaluation.questions import evaluate
    from engine.knowledge.schema import load_eval

    snapshot = Snapshot.load(knowledge)
    engine = Engine(snapshot)
    problems: list = []  # the held-out file is validated by the knowledge tests; a broken one falls back
    ids = set(snapshot.kb.facts_by_id)
    held_out = tuple(load_eval(knowledge, problems, ids, HELD_OUT)) or snapshot.kb.eval_questions
    tuning = tuple(load_eval(knowledge, problems, ids, TUNING)) or snapshot.kb.eval_questions
    baselines = [NaiveMatcher(snapshot.kb), Bm25Matcher(snapshot.kb)]
    cutoffs = {b.name: b.tune(tuning) for b in baselines}
    rows = []
    for name, cases in (("holdout", held_out), ("questions", tuning)):
        report = evaluate(engine, cases)
        cutoff = f"confidence >= {engine.thresholds()[0]}%"
        rows.append(Quality("engine", cutoff, report.accuracy, report.abstention, report.language, name))
        for baseline in baselines:
            r = evaluate_baseline(baseline.ask, cases)
            label = "WRatio" if baseline.name == "naive" else "BM25 score"
            rows.append(
                Quality(
                    baseline.name,
                    f"{label} >= {cutoffs[baseline.name]:.4g}",
                    r.accuracy,
                    r.abstention,
                    r.language,
                    name,
                )
            )
    return rows, cutoffs, len(held_out)
