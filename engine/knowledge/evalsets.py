"""The question files kept beside the facts: evaluation sets, follow-up exchanges, questions out of scope.

Each record is read into its declared shape (engine/knowledge/shapes.py); the rules here
compare it with the facts: an expected fact must exist, a language must be one the bot speaks.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from engine.knowledge import shapes
from engine.knowledge.model import LANGS, EvalQuestion, Exchange
from engine.knowledge.problems import Problem, Report
from engine.knowledge.validate import fields, items, read
from engine.knowledge.yamlfile import LineDict, line_of, shown


def _lang(node: LineDict, found: dict[str, Any], report: Report) -> str | None:
    """The record's language, or None (reported when it is one the bot does not speak)."""
    lang = found["lang"].strip() if "lang" in found else None
    if lang and lang not in LANGS:
        report.add(line_of(node, "lang"), f"lang must be one of {', '.join(LANGS)}")
        return None
    return lang


def load_eval(
    root: Path, problems: list[Problem], fact_ids: set[str] | None, relative: str = shapes.EVAL_FILE
) -> list[EvalQuestion]:
    """The evaluation questions; unknown fact ids are only reported when every sheet could be read."""
    data = read(root, relative, problems, required=False)
    if data is None:
        return []
    report = Report(problems, relative)
    questions = []
    for node in items(data, "questions", report):
        found, valid = fields(node, shapes.EvalQuestion, report)
        expect = found["expect"].strip() if "expect" in found else None
        if expect and expect != "none" and fact_ids is not None and expect not in fact_ids:
            report.add(line_of(node, "expect"), f"expects unknown fact {shown(expect)}")
        elif (lang := _lang(node, found, report)) and valid and expect:
            questions.append(EvalQuestion(found["q"].strip(), None if expect == "none" else expect, lang))
    return questions


def load_out_of_scope(root: Path, problems: list[Problem]) -> tuple[tuple[str, int | None], ...]:
    """Questions the article does not answer (optional file), with their lines: the decision abstains near them."""
    data = read(root, shapes.OUT_OF_SCOPE_FILE, problems, required=False)
    if data is None:
        return ()
    report = Report(problems, shapes.OUT_OF_SCOPE_FILE)
    first: dict[str, tuple[str, int | None]] = {}  # a question listed twice is reported at its first line
    for node in items(data, "questions", report):
        found, _ = fields(node, shapes.OutOfScope, report)
        if _lang(node, found, report) is not None and "q" in found:
            q = found["q"].strip()
            first.setdefault(q, (q, line_of(node, "q")))
    return tuple(first.values())


def _expects(
    node: LineDict, key: str, found: dict[str, Any], report: Report, fact_ids: set[str]
) -> frozenset[str | None] | None:
    """A fact id, `none`, or a list of them: every answer accepted as right."""
    if key not in found:
        return None  # reported by the shape
    value = found[key]
    values = value if isinstance(value, list) else [value]
    if not values or not all(v.strip() for v in values):
        report.add(line_of(node, key), f"field '{key}' must be a fact id, none, or a list of them")
        return None
    unknown = [v for v in values if v != "none" and v not in fact_ids]
    if unknown:
        report.add(line_of(node, key), f"expects unknown fact {shown(unknown[0])}")
        return None
    return frozenset(None if v == "none" else v for v in values)


def load_exchanges(root: Path, problems: list[Problem], fact_ids: set[str]) -> list[Exchange]:
    """The two-turn exchanges of eval/followups.yaml (none when the file is absent)."""
    data = read(root, shapes.FOLLOW_UPS_FILE, problems, required=False)
    if data is None:
        return []
    report = Report(problems, shapes.FOLLOW_UPS_FILE)
    exchanges = []
    for node in items(data, "exchanges", report):
        found, valid = fields(node, shapes.Exchange, report)
        first_expect = _expects(node, "first_expect", found, report, fact_ids)
        expect = _expects(node, "expect", found, report, fact_ids)
        lang = _lang(node, found, report)
        if lang and valid and first_expect is not None and expect is not None:
            exchanges.append(Exchange(found["first"].strip(), first_expect, found["then"].strip(), expect, lang))
    return exchanges
