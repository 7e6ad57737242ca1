"""`eval` (answer quality on the evaluation sets, and what knowledge/ changes) and `calibrate` (refit the decision)."""

from __future__ import annotations

import sys
from collections.abc import Iterable
from pathlib import Path
from typing import TextIO

from engine.answering import Engine, Snapshot
from engine.evaluation.followups import followup_section
from engine.evaluation.questions import compare, evaluate, format_reliability, format_table
from engine.knowledge.baseline import since_commit
from engine.knowledge.loader import KnowledgeError, Loader
from engine.knowledge.model import EvalQuestion, KnowledgeBase
from engine.knowledge.schema import DECISION_FILE, Problem, load_eval
from engine.matching.calibrate import FOLDS, THIN_QUESTIONS, cut_questions, fit, to_yaml, without_asked
from engine.settings import Settings

#: Floors `eval` exits non-zero under: in-scope accuracy, abstention, reply language.
EVAL_FLOORS = (0.95, 0.95, 0.98)
#: The held-out question files: never fitted on, never seeded into out_of_scope.yaml, their misses never read.
HELD_OUT_SETS = ("holdout.yaml", "holdout-2026-12g.yaml", "holdout-2026-12m.yaml")
#: The question files `eval` compares on, beside the fact sheets (the held-out ones last).
EVAL_SETS = (
    "questions.yaml",
    "blind-2026-11.yaml",
    "training.yaml",
    "training-casual.yaml",
    "training-formal.yaml",
    "training-mixed.yaml",
    "training-nearmiss.yaml",
    "training-varied.yaml",
    "former-holdout.yaml",
    "dev-2026-12.yaml",
    "holdout-2026-12b.yaml",
    "fit-2026-12d.yaml",
    "fit-2026-12f.yaml",
    "fit-2026-12h.yaml",
    "fit-2026-12i.yaml",
    "fit-2026-12j.yaml",
    "fit-2026-12k.yaml",
    "fit-2026-12l.yaml",
    "oos-2026-12e.yaml",
    *HELD_OUT_SETS,
)
#: The files `calibrate` fits the decision on (every set but the held-out ones).
FIT_SETS = tuple(name for name in EVAL_SETS if name not in HELD_OUT_SETS)


def _eval_sets(root: Path, kb: KnowledgeBase, names: Iterable[str]) -> dict[str, list[EvalQuestion]]:
    """The named question files of knowledge/eval that exist, by name; raises KnowledgeError on a bad one."""
    sets: dict[str, list[EvalQuestion]] = {}
    for name in names:
        if not (root / "eval" / name).exists():
            continue
        problems: list[Problem] = []
        questions = load_eval(root, problems, set(kb.facts_by_id), f"eval/{name}")
        if problems:
            raise KnowledgeError(problems)
        sets[name.removesuffix(".yaml")] = questions
    return sets


def cmd_compare(settings: Settings, out: TextIO, per_fact: int | None) -> int:
    """The lexical engine and the learned one side by side, on every set, with whole and thin facts."""
    kb = Loader(settings.knowledge_dir).load()
    sets = _eval_sets(Path(settings.knowledge_dir), kb, EVAL_SETS)
    if not sets:
        print("error: there are no evaluation questions to measure", file=sys.stderr)
        return 2
    cuts = (None, THIN_QUESTIONS) if per_fact is None else (per_fact,)
    rows = compare(kb, sets, cuts)
    out.write(format_table(rows, held_out=[n.removesuffix(".yaml") for n in HELD_OUT_SETS]) + "\n")
    held_out = {n.removesuffix(".yaml") for n in HELD_OUT_SETS}
    for row in rows:
        if row.engine == "learned" and row.questions in held_out:
            out.write(f"calibration on {row.questions} ({row.knowledge}): {format_reliability(row.report)}\n")
    out.write(
        "fit: the decision was fitted on the set, and its out-of-scope questions are in out_of_scope.yaml "
        "(in-sample). held out: never fitted on, its misses never read for tuning. "
        "Misses of one set: `python bot.py eval --questions knowledge/eval/FILE`.\n"
    )
    current = Snapshot.build(kb)  # the whole knowledge, learned: what members are answered from
    followups = followup_section(Path(settings.knowledge_dir), current)
    if followups:
        out.write(followups + "\n")
    out.write(since_commit(Path(settings.knowledge_dir), current) + "\n")
    return 0


def cmd_calibrate(settings: Settings, out: TextIO) -> int:
    """Refit the decision on the fit sets and write knowledge/decision.yaml."""
    root = Path(settings.knowledge_dir)
    kb = Loader(root, decision=False).load()
    by_set = _eval_sets(root, kb, FIT_SETS)
    questions = [q for qs in by_set.values() for q in qs]
    sets = [name for name, qs in by_set.items() for _ in qs]
    if not questions:
        print("error: there are no evaluation questions to fit on", file=sys.stderr)
        return 2
    fitted = without_asked(kb, [q.q for q in questions])
    matchers = [Snapshot.build(fitted).matcher, Snapshot.build(cut_questions(fitted, THIN_QUESTIONS)).matcher]
    if matchers[0].embedder is None:
        print("error: the embedding model is not installed (pip install -r requirements.txt)", file=sys.stderr)
        return 2
    result = fit(matchers, questions, sets=sets)
    (root / DECISION_FILE).write_text(to_yaml(result.model, "python bot.py calibrate"), encoding="utf-8")
    m = result.model
    out.write(
        f"fitted on {result.questions} questions ({result.rows} candidates); answer at >= {m.answer_threshold:.2f}, "
        f"suggest at >= {m.suggest_threshold:.2f}; cross-validated: in-scope {m.measured['cv_in_scope_accuracy']:.1%}, "
        f"abstention {m.measured['cv_abstention']:.1%}, precision {m.measured['cv_precision']:.1%}"
        + (
            f"; whole sets held out ({FOLDS} folds): in-scope {m.measured['sets_out_in_scope_accuracy']:.1%}, "
            f"abstention {m.measured['sets_out_abstention']:.1%}, precision {m.measured['sets_out_precision']:.1%}"
            if "sets_out_abstention" in m.measured
            else ""
        )
        + f". Wrote {root / DECISION_FILE}.\n"
    )
    return 0


def cmd_eval(engine: Engine, out: TextIO, questions_file: str | None = None, per_fact: int | None = None) -> int:
    questions = None
    if per_fact:
        snapshot = Snapshot.build(cut_questions(engine.snapshot.kb, per_fact))
        engine = Engine(snapshot, answer_threshold=engine.answer_threshold, suggest_threshold=engine.suggest_threshold)
    if questions_file:
        kb = engine.snapshot.kb
        path = Path(questions_file).resolve()
        if not path.is_file():
            print(f"error: file not found: {questions_file}", file=sys.stderr)
            return 2
        problems: list[Problem] = []
        questions = load_eval(path.parent, problems, set(kb.facts_by_id), path.name)
        if problems or not questions:
            for problem in problems:
                print(f"error: {problem}", file=sys.stderr)
            print(f"error: no evaluation questions read from {questions_file}", file=sys.stderr)
            return 2
    report = evaluate(engine, questions)
    if not report.outcomes:
        print("error: there are no evaluation questions to measure", file=sys.stderr)
        return 2
    out.write(report.format() + "\n")
    accuracy, abstention, language = EVAL_FLOORS
    ok = report.accuracy >= accuracy and report.abstention >= abstention and report.language >= language
    out.write(
        f"targets: accuracy >= {accuracy:.0%}, abstention >= {abstention:.0%}, language >= {language:.0%}: "
        f"{'met' if ok else 'NOT met'}\n"
    )
    return 0 if ok else 1
