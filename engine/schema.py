"""The shape of each file in knowledge/: field checks that turn YAML into model objects.

Every check reports into a list of Problems (file, line, fact id, reason) and goes on, so
one run lists everything wrong; loader.py decides what to do with the result.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from types import MappingProxyType
from typing import Any

from engine import review
from engine.lexicon import Lexicon
from engine.matching.decision import DecisionError, DecisionModel
from engine.model import LANGS, EvalQuestion, Exchange, Fact, Source, Topic
from engine.textnorm import quote_form
from engine.yamlfile import LineDict, LineList, YamlError, decode, read_limited, read_yaml

_ID = re.compile(r"[a-z0-9]+(?:[-_][a-z0-9]+)*")
_FACT_FIELDS = {"id", "topic", "source", "quote", "questions", "answer", "keywords", "mentions"}
_SOURCE_FIELDS = {"id", "title", "date", "lang", "outlet", "file"}
DECISION_FILE = "decision.yaml"
OUT_OF_SCOPE_FILE = "out_of_scope.yaml"
_LEXICON_FIELDS = ("stopwords", "question_words", "synonyms", "entities", "smalltalk", "language_markers")


@dataclass(frozen=True, slots=True)
class Problem:
    """One thing wrong in knowledge/, where a moderator can find it."""

    file: str
    line: int | None
    fact_id: str | None
    message: str

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}" if self.line else self.file
        fact = f" [{self.fact_id}]" if self.fact_id else ""
        return f"{where}{fact}: {self.message}"


class KnowledgeError(Exception):
    """The knowledge folder did not validate; `problems` lists everything wrong."""

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = tuple(problems)
        super().__init__(f"{len(problems)} problem(s) in knowledge/:\n" + "\n".join(map(str, problems)))


class Report:
    """Collects problems for one file, with the fact currently being checked."""

    def __init__(self, problems: list[Problem], file: str) -> None:
        self.problems, self.file = problems, file

    def add(self, line: int | None, message: str, fact_id: str | None = None) -> None:
        self.problems.append(Problem(self.file, line, fact_id, message))


def line_of(node: Any, key: str | None = None) -> int | None:
    if isinstance(node, LineDict):
        return node.key_lines.get(key, node.line) if key else node.line
    if isinstance(node, LineList):
        return node.line
    return None


def _read(root: Path, relative: str, problems: list[Problem], *, required: bool = True) -> Any:
    """A YAML file of knowledge/, or None with the problem reported (missing, outside, unreadable)."""
    path = root / relative
    if not path.exists():
        if required:
            problems.append(Problem(relative, None, None, "file is missing"))
        return None
    if inside(root, relative) is None:
        problems.append(Problem(relative, None, None, "links outside knowledge/; not read"))
        return None
    try:
        return read_yaml(path)
    except YamlError as exc:
        problems.append(Problem(relative, exc.line, None, exc.message))
        return None


def items(data: Any, key: str, report: Report) -> Iterator[LineDict]:
    """The mappings listed under `key` at the top of a file, reporting anything else."""
    if not isinstance(data, dict) or not isinstance(data.get(key), list):
        report.add(line_of(data), f"expected a top-level '{key}:' list")
        return
    items = data[key]
    for index, item in enumerate(items):
        if isinstance(item, LineDict):
            yield item
        else:
            line = items.item_lines[index] if isinstance(items, LineList) else None
            report.add(line, f"item {index + 1} of '{key}' is not a mapping (key: value)")


def _text(
    node: LineDict, key: str, report: Report, fact_id: str | None = None, *, optional: bool = False
) -> str | None:
    value = node.get(key)
    if value is None:
        if not optional:
            report.add(node.line, f"missing field '{key}'", fact_id)
        return None
    if isinstance(value, dt.date):
        return value.isoformat()
    if not isinstance(value, str) or not value.strip():
        report.add(line_of(node, key), f"field '{key}' must be non-empty text", fact_id)
        return None
    return value.strip()


def inside(root: Path, relative: str) -> Path | None:
    """The path of `relative` under root, or None when it would leave root."""
    if Path(relative).is_absolute():
        return None
    path = (root / relative).resolve()
    return path if path.is_relative_to(root.resolve()) else None


def load_sources(root: Path, problems: list[Problem]) -> dict[str, Source]:
    report = Report(problems, "sources.yaml")
    sources: dict[str, Source] = {}
    for node in items(_read(root, "sources.yaml", problems), "sources", report):
        source_id = _text(node, "id", report)
        values = {key: _text(node, key, report, source_id) for key in ("title", "date", "lang", "file")}
        outlet = _text(node, "outlet", report, source_id, optional=True)
        for key in sorted(set(node) - _SOURCE_FIELDS):
            report.add(line_of(node, key), f"unknown field '{key}'", source_id)
        if source_id in sources:
            report.add(node.line, "duplicate source id", source_id)
        if source_id is None or None in values.values():
            continue
        path = inside(root, values["file"])
        if path is None:
            report.add(line_of(node, "file"), f"file '{values['file']}' is outside knowledge/", source_id)
            continue
        try:
            text = decode(read_limited(path))
        except YamlError as exc:
            report.add(line_of(node, "file"), f"cannot use '{values['file']}': {exc.message}", source_id)
            continue
        sources[source_id] = Source(
            source_id, values["title"], values["date"], values["lang"], outlet, values["file"], text
        )
    return sources


def load_topics(root: Path, problems: list[Problem]) -> list[Topic]:
    report = Report(problems, "topics.yaml")
    topics: list[Topic] = []
    for node in items(_read(root, "topics.yaml", problems), "topics", report):
        topic_id = _text(node, "id", report)
        labels = {lang: _text(node, lang, report, topic_id) for lang in LANGS}
        if topic_id and None not in labels.values():
            if any(t.id == topic_id for t in topics):
                report.add(node.line, "duplicate topic id", topic_id)
            topics.append(Topic(topic_id, MappingProxyType(labels)))
    return topics


def _string_list(value: Any) -> bool:
    return isinstance(value, list) and all(isinstance(v, str) for v in value)


def _load_frequencies(root: Path, problems: list[Problem]) -> dict[str, dict[str, float]]:
    """The optional common-word lists words/{lang}.tsv: a word and its Zipf frequency a line."""
    frequencies: dict[str, dict[str, float]] = {}
    for lang in LANGS:
        relative = f"words/{lang}.tsv"
        path = root / relative
        if not path.exists():
            continue
        if inside(root, relative) is None:
            problems.append(Problem(relative, None, None, "links outside knowledge/; not read"))
            continue
        table: dict[str, float] = {}
        try:
            for number, line in enumerate(decode(read_limited(path)).splitlines(), 1):
                word, _, zipf = line.partition("\t")
                try:
                    table[word] = float(zipf)
                except ValueError:
                    problems.append(Problem(relative, number, None, "expected a word, a tab and a number"))
                    break
        except YamlError as exc:
            problems.append(Problem(relative, None, None, exc.message))
        frequencies[lang] = table
    return frequencies


def _accented(value: Any, report: Report, data: LineDict) -> dict[str, str]:
    """The optional `accented:` mapping of accented words to the word they stand for."""
    if value is None:
        return {}
    if not isinstance(value, dict) or not all(isinstance(k, str) and isinstance(v, str) for k, v in value.items()):
        report.add(line_of(data, "accented"), "section 'accented' must map words to words")
        return {}
    return value


def load_lexicon(root: Path, problems: list[Problem]) -> Lexicon | None:
    report = Report(problems, "lexicon.yaml")
    data = _read(root, "lexicon.yaml", problems)
    if data is None:
        return None
    if not isinstance(data, dict):
        report.add(line_of(data), "expected a mapping of word lists")
        return None
    ok = True
    for section in _LEXICON_FIELDS:
        value = data.get(section)
        lists = [(section, value)] if section == "entities" else list(value.items()) if isinstance(value, dict) else []
        if not lists or not all(isinstance(words, list) for _, words in lists):
            shape = "a list of words" if section == "entities" else "a mapping of names to lists of words"
            report.add(line_of(data, section), f"section '{section}' must be {shape}")
            ok = False
            continue
        for name, words in lists:
            if not isinstance(name, str):
                report.add(line_of(value, str(name)), f"{section}: the name {name!r} must be text (quote it)")
                ok = False
            for index, word in enumerate(words):
                if not isinstance(word, str):
                    line = words.item_lines[index] if isinstance(words, LineList) else line_of(data, section)
                    hint = " (quote it: YAML reads on, off, yes, no as true/false)" if isinstance(word, bool) else ""
                    report.add(line, f"{section}.{name}: {word!r} is not a word{hint}")
                    ok = False
    if not ok:
        return None
    return Lexicon.build(
        frequencies=_load_frequencies(root, problems),
        accented=_accented(data.get("accented"), report, data),
        stopwords=[w for words in data["stopwords"].values() for w in words],
        synonyms=data["synonyms"],
        question_words=data["question_words"],
        entities=data["entities"],
        smalltalk=data["smalltalk"],
        markers=data["language_markers"],
        open_words=_optional_words(data, "open_questions", report),
        now=_optional_words(data, "now", report),
        people=_optional_words(data, "people", report),
        follow_up_starts=_optional_words(data, "follow_up_starts", report),
        pronouns=_optional_words(data, "pronouns", report),
    )


def _optional_words(data: LineDict, section: str, report: Report) -> list[str]:
    """An optional section listing words or phrases; a wrong shape is reported, not fatal to the rest."""
    value = data.get(section)
    if value is None:
        return []
    if not _string_list(value):
        report.add(line_of(data, section), f"section '{section}' must be a list of words or phrases")
        return []
    return value


@lru_cache(maxsize=64)
def _quotable(source: Source) -> str:
    """The source text in the form quotes are compared with, computed once per source."""
    return quote_form(source.text)


def check_fact(node: LineDict, report: Report, sources: dict[str, Source], topics: set[str]) -> Fact | None:
    fact_id = _text(node, "id", report)
    if fact_id and not _ID.fullmatch(fact_id):
        report.add(line_of(node, "id"), "id must be lowercase letters, digits and dashes", fact_id)
    before = len(report.problems)
    for key in sorted(set(map(str, node)) - _FACT_FIELDS):
        report.add(line_of(node, key), f"unknown field '{key}'", fact_id)
    topic = _text(node, "topic", report, fact_id)
    if topic and topic not in topics:
        report.add(line_of(node, "topic"), f"unknown topic '{topic}' (see topics.yaml)", fact_id)
    source_id = _text(node, "source", report, fact_id)
    if source_id and source_id not in sources:
        report.add(line_of(node, "source"), f"unknown source '{source_id}' (see sources.yaml)", fact_id)
    quote = _text(node, "quote", report, fact_id)
    if quote and source_id in sources and quote_form(quote) not in _quotable(sources[source_id]):
        report.add(line_of(node, "quote"), f"quote not found verbatim in source '{source_id}'", fact_id)
    questions: dict[str, tuple[str, ...]] = {}
    answers: dict[str, str] = {}
    raw_questions, raw_answer = node.get("questions"), node.get("answer")
    for lang in LANGS:
        listed = raw_questions.get(lang) if isinstance(raw_questions, dict) else None
        if not _string_list(listed) or not [q for q in listed if q.strip()]:
            report.add(line_of(node, "questions"), f"questions.{lang} must be a non-empty list of text", fact_id)
        else:
            questions[lang] = tuple(q.strip() for q in listed if q.strip())
        text = raw_answer.get(lang) if isinstance(raw_answer, dict) else None
        if not isinstance(text, str) or not text.strip():
            report.add(line_of(node, "answer"), f"answer.{lang} must be non-empty text", fact_id)
        else:
            answers[lang] = text.strip()
    keywords = node.get("keywords", [])
    if not _string_list(keywords):
        report.add(line_of(node, "keywords"), "keywords must be a list of words", fact_id)
    # Drafts (engine/review.py): text still marked for review is a problem, so no draft goes live unread.
    for field in review.marked(questions, answers):
        report.add(line_of(node, field.partition(".")[0]), review.message(field), fact_id)
    mentions = node.get("mentions", [])
    if not _string_list(mentions):
        report.add(
            line_of(node, "mentions"), "mentions must be a list of names (what the fact only compares with)", fact_id
        )
    if len(report.problems) > before or fact_id is None or topic is None or source_id is None or quote is None:
        return None
    return Fact(
        id=fact_id,
        topic=topic,
        source=source_id,
        quote=quote,
        questions=MappingProxyType(questions),
        answer=MappingProxyType(answers),
        keywords=tuple(keywords),
        mentions=tuple(mentions) if _string_list(mentions) else (),
        file=report.file,
        line=node.line,
    )


def load_decision(root: Path, problems: list[Problem]) -> DecisionModel | None:
    """The fitted decision model, when decision.yaml exists (`bot.py calibrate` writes it)."""
    data = _read(root, DECISION_FILE, problems, required=False)
    if data is None:
        return None
    try:
        return DecisionModel.from_data(data)
    except DecisionError as exc:
        problems.append(Problem(DECISION_FILE, line_of(data), None, f"{exc} (refit it with `python bot.py calibrate`)"))
        return None


def load_out_of_scope(root: Path, problems: list[Problem]) -> tuple[tuple[str, int | None], ...]:
    """Questions the article does not answer (optional file), with their lines: the decision abstains near them."""
    data = _read(root, OUT_OF_SCOPE_FILE, problems, required=False)
    if data is None:
        return ()
    report = Report(problems, OUT_OF_SCOPE_FILE)
    first: dict[str, tuple[str, int | None]] = {}  # a question listed twice is reported at its first line
    for node in items(data, "questions", report):
        q = _text(node, "q", report)
        lang = _text(node, "lang", report)
        if lang and lang not in LANGS:
            report.add(line_of(node, "lang"), f"lang must be one of {', '.join(LANGS)}")
        elif q:
            first.setdefault(q, (q, line_of(node, "q")))
    return tuple(first.values())


def load_eval(
    root: Path, problems: list[Problem], fact_ids: set[str] | None, relative: str = "eval/questions.yaml"
) -> list[EvalQuestion]:
    """The evaluation questions; unknown fact ids are only reported when every sheet could be read."""
    data = _read(root, relative, problems, required=False)
    if data is None:
        return []
    report = Report(problems, relative)
    questions = []
    for node in items(data, "questions", report):
        q = _text(node, "q", report)
        expect = _text(node, "expect", report)
        lang = _text(node, "lang", report)
        if expect and expect != "none" and fact_ids is not None and expect not in fact_ids:
            report.add(line_of(node, "expect"), f"expects unknown fact '{expect}'")
        elif lang and lang not in LANGS:
            report.add(line_of(node, "lang"), f"lang must be one of {', '.join(LANGS)}")
        elif q and expect and lang:
            questions.append(EvalQuestion(q, None if expect == "none" else expect, lang))
    return questions


#: The follow-up evaluation: two-turn exchanges (not replayed by reloads: `eval` scores them).
FOLLOW_UPS_FILE = "eval/followups.yaml"


def _expects(node: LineDict, key: str, report: Report, fact_ids: set[str]) -> frozenset[str | None] | None:
    """A fact id, `none`, or a list of them: every answer accepted as right."""
    value = node.get(key)
    values = value if isinstance(value, list) else [value]
    if not values or not all(isinstance(v, str) and v.strip() for v in values):
        report.add(line_of(node, key), f"field '{key}' must be a fact id, none, or a list of them")
        return None
    unknown = [v for v in values if v != "none" and v not in fact_ids]
    if unknown:
        report.add(line_of(node, key), f"expects unknown fact '{unknown[0]}'")
        return None
    return frozenset(None if v == "none" else v for v in values)


def load_exchanges(root: Path, problems: list[Problem], fact_ids: set[str]) -> list[Exchange]:
    """The two-turn exchanges of eval/followups.yaml (none when the file is absent)."""
    data = _read(root, FOLLOW_UPS_FILE, problems, required=False)
    if data is None:
        return []
    report = Report(problems, FOLLOW_UPS_FILE)
    exchanges = []
    for node in items(data, "exchanges", report):
        first, then, lang = (_text(node, key, report) for key in ("first", "then", "lang"))
        first_expect = _expects(node, "first_expect", report, fact_ids)
        expect = _expects(node, "expect", report, fact_ids)
        if lang and lang not in LANGS:
            report.add(line_of(node, "lang"), f"lang must be one of {', '.join(LANGS)}")
        elif first and then and lang and first_expect is not None and expect is not None:
            exchanges.append(Exchange(first, first_expect, then, expect, lang))
    return exchanges
