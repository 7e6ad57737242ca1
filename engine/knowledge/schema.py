"""The files of knowledge/ that describe the others: sources.yaml, topics.yaml, decision.yaml.

Each record is read into its declared shape (engine/knowledge/shapes.py, through
engine/knowledge/validate.py), then turned into the model's objects. This module is also
where the loader finds the checks of every other file, re-exported from the module of each.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from pathlib import Path
from types import MappingProxyType

from engine.knowledge import shapes
from engine.knowledge.evalsets import load_eval, load_exchanges, load_out_of_scope
from engine.knowledge.factcheck import check_fact
from engine.knowledge.lexiconfile import load_lexicon
from engine.knowledge.model import LANGS, Source, Topic
from engine.knowledge.problems import MAX_PASSAGES, MAX_PROBLEMS_KEPT, KnowledgeError, Problem, Problems, Report
from engine.knowledge.shapes import DECISION_FILE, FOLLOW_UPS_FILE, MIN_QUESTIONS, OUT_OF_SCOPE_FILE
from engine.knowledge.validate import fields, items, read, text_of
from engine.knowledge.yamlfile import YamlError, decode, inside, line_of, read_inside, shown
from engine.matching.decision import DecisionError, DecisionModel

__all__ = [  # what the loader and the commands import from here
    "DECISION_FILE",
    "FOLLOW_UPS_FILE",
    "MAX_PASSAGES",
    "MAX_PROBLEMS_KEPT",
    "MIN_QUESTIONS",
    "OUT_OF_SCOPE_FILE",
    "KnowledgeError",
    "Problem",
    "Problems",
    "Report",
    "check_fact",
    "inside",
    "items",
    "line_of",
    "load_decision",
    "load_eval",
    "load_exchanges",
    "load_lexicon",
    "load_out_of_scope",
    "load_sources",
    "load_topics",
]


def load_sources(root: Path, problems: list[Problem]) -> dict[str, Source]:
    """The articles of sources.yaml, each with its text read from its file under knowledge/."""
    report = Report(problems, "sources.yaml")
    sources: dict[str, Source] = {}
    for node in items(read(root, "sources.yaml", problems), "sources", report):
        source_id = text_of(node, "id")
        found, _ = fields(node, shapes.Source, report, source_id)
        outlet = found.get("outlet")
        if isinstance(outlet, str) and not outlet.strip():
            report.add(line_of(node, "outlet"), "field 'outlet' must be non-empty text", source_id)
            outlet = None
        if source_id in sources:
            report.add(node.line, "duplicate source id", source_id)
        # A source with a stray key or a blank outlet is reported and still loaded: dropping it would
        # add a false "unknown source" to every fact that cites it, burying the one real mistake.
        if source_id is None or not _usable(found, ("title", "date", "lang", "file")):
            continue
        title, date, lang, file = (found[key].strip() for key in ("title", "date", "lang", "file"))
        if inside(root, file) is None:
            report.add(line_of(node, "file"), f"file {shown(file)} is outside knowledge/", source_id)
            continue
        try:
            text = decode(read_inside(root, file))
        except YamlError as exc:
            report.add(line_of(node, "file"), f"cannot use {shown(file)}: {exc.message}", source_id)
            continue
        sources[source_id] = Source(source_id, title, date, lang, outlet.strip() if outlet else None, file, text)
    return sources


def load_topics(root: Path, problems: list[Problem]) -> list[Topic]:
    """The topics of topics.yaml, with their label in each language."""
    report = Report(problems, "topics.yaml")
    topics: list[Topic] = []
    for node in items(read(root, "topics.yaml", problems), "topics", report):
        topic_id = text_of(node, "id")
        found, _ = fields(node, shapes.Topic, report, topic_id)
        if topic_id and _usable(found, LANGS):  # a stray key is reported, the topic still kept
            if any(t.id == topic_id for t in topics):
                report.add(node.line, "duplicate topic id", topic_id)
            topics.append(Topic(topic_id, MappingProxyType({lang: found[lang].strip() for lang in LANGS})))
    return topics


def _usable(found: Mapping[str, object], required: Iterable[str]) -> bool:
    """Whether the fields a record cannot do without came through the shape's check as text."""
    return all(isinstance(found.get(key), str) and str(found[key]).strip() for key in required)


def load_decision(root: Path, problems: list[Problem]) -> DecisionModel | None:
    """The fitted decision model, when decision.yaml exists (`bot.py calibrate` writes it)."""
    data = read(root, DECISION_FILE, problems, required=False)
    if data is None:
        return None
    try:
        return DecisionModel.from_data(data)
    except DecisionError as exc:
        problems.append(Problem(DECISION_FILE, line_of(data), None, f"{exc} (refit it with `python bot.py calibrate`)"))
        return None
