"""The shape of each file in knowledge/: field checks that turn YAML into model objects.

Every check reports into a list of Problems (file, line, fact id, reason) and goes on, so
one run lists everything wrong; loader.py decides what to do with the result.
"""

from __future__ import annotations

import datetime as dt
import difflib
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from types import MappingProxyType
from typing import Any

from engine.knowledge import review
from engine.knowledge.model import LANGS, EvalQuestion, Exchange, Fact, Source, Topic
from engine.knowledge.quotes import closest_passage
from engine.knowledge.yamlfile import LineDict, LineList, YamlError, decode, inside, parse_yaml, read_inside, shown
from engine.lexicon import Lexicon
from engine.matching.decision import DecisionError, DecisionModel
from engine.textnorm import quote_form

__all__ = ["inside"]  # re-exported: the loader checks the fact sheets it globs with it

_ID = re.compile(r"[a-z0-9]+(?:[-_][a-z0-9]+)*")
_FACT_FIELDS = {"id", "topic", "source", "quote", "questions", "answer", "keywords", "mentions"}
_SOURCE_FIELDS = {"id", "title", "date", "lang", "outlet", "file"}
_TOPIC_FIELDS = {"id", *LANGS}
_EVAL_FIELDS = {"q", "expect", "lang"}
_OUT_OF_SCOPE_FIELDS = {"q", "lang"}
#: Optional lexicon sections (people, follow_up_starts and pronouns are the follow-up questions' words).
_LEXICON_OPTIONAL = ("accented", "open_questions", "now", "people", "follow_up_starts", "pronouns")
#: Lexicon sections whose names are fixed (the others' names are the moderator's: synonym groups, kinds).
_LEXICON_NAMES = {"stopwords": set(LANGS), "language_markers": set(LANGS), "smalltalk": {"greeting", "thanks", "help"}}
#: Questions each fact needs in each language: the decision is fitted with facts cut to this many
#: (engine.matching.calibrate.THIN_QUESTIONS), so a fact written with 3 is answered as measured.
MIN_QUESTIONS = 3
#: A load keeps this many problems in full (the list a moderator is sent); the rest are only counted.
MAX_PROBLEMS_KEPT = 1000
#: Quotes of one file for which the closest passage of the source is looked for (a few ms each).
MAX_PASSAGES = 50
DECISION_FILE = "decision.yaml"
OUT_OF_SCOPE_FILE = "out_of_scope.yaml"
_LEXICON_FIELDS = ("stopwords", "question_words", "synonyms", "entities", "smalltalk", "language_markers")


@dataclass(frozen=True, slots=True)
class Problem:
    """One thing wrong in knowledge/, where a moderator can find it; `excerpt` shows the line with a caret."""

    file: str
    line: int | None
    fact_id: str | None
    message: str
    excerpt: str | None = None

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}" if self.line else self.file
        fact = f" [{self.fact_id}]" if self.fact_id else ""
        return f"{where}{fact}: {self.message}"

    def full(self) -> str:
        """The problem and, indented under it, the excerpt of the line at fault."""
        if not self.excerpt:
            return str(self)
        return str(self) + "".join(f"\n    {line}" for line in self.excerpt.splitlines())


class Problems(list):
    """The problems of one load: the first MAX_PROBLEMS_KEPT kept, every one counted (`total`).

    A sheet of a hundred thousand broken facts then costs a count, not a list in memory.
    """

    def __init__(self, limit: int | None = None) -> None:
        super().__init__()
        self.limit = MAX_PROBLEMS_KEPT if limit is None else limit
        self.total = 0

    def append(self, problem: Problem) -> None:  # type: ignore[override]
        self.total += 1
        if len(self) < self.limit:
            super().append(problem)

    def extend(self, problems: Iterable[Problem]) -> None:  # type: ignore[override]
        for problem in problems:
            self.append(problem)

    def count_more(self, more: int) -> None:
        """Count problems found elsewhere but not kept (a cached sheet's uncounted rest)."""
        self.total += more


class KnowledgeError(Exception):
    """The knowledge folder did not validate; `problems` lists what was kept, `total` counts everything wrong."""

    def __init__(self, problems: list[Problem], total: int | None = None) -> None:
        self.problems = tuple(problems)
        self.total = max(len(self.problems), getattr(problems, "total", 0), total or 0)
        shown_lines = "\n".join(map(str, self.problems[:50]))
        more = f"\n... and {self.total - min(50, len(self.problems))} more" if self.total > 50 else ""
        super().__init__(f"{self.total} problem(s) in knowledge/:\n{shown_lines}{more}")


class Report:
    """Collects problems for one file, with the fact currently being checked."""

    def __init__(self, problems: list[Problem], file: str) -> None:
        self.problems, self.file = problems, file
        self.passages = MAX_PASSAGES  # closest passages still to look for in this file

    def add(self, line: int | None, message: str, fact_id: str | None = None) -> None:
        self.problems.append(Problem(self.file, line, fact_id, message))

    def total(self) -> int:
        """How many problems were found so far, kept or only counted."""
        return getattr(self.problems, "total", len(self.problems))


def line_of(node: Any, key: str | None = None) -> int | None:
    if isinstance(node, LineDict):
        return node.key_lines.get(key, node.line) if key else node.line
    if isinstance(node, LineList):
        return node.line
    return None


def _read(root: Path, relative: str, problems: list[Problem], *, required: bool = True) -> Any:
    """A YAML file of knowledge/, or None with the problem reported (missing, outside, unreadable)."""
    path = root / relative
    if not path.exists() and not path.is_symlink():
        if required:
            problems.append(Problem(relative, None, None, "file is missing"))
        return None
    try:
        return parse_yaml(decode(read_inside(root, relative)))
    except YamlError as exc:
        problems.append(Problem(relative, exc.line, None, exc.message, exc.excerpt))
        return None


def unknown_keys(node: Any, allowed: set[str], report: Report, where: str = "", fact_id: str | None = None) -> None:
    """Report each key of `node` that is not in `allowed`, with the closest allowed key when one is close."""
    if not isinstance(node, dict):
        return
    for key in sorted(set(map(str, node)) - allowed):
        close = difflib.get_close_matches(key, sorted(allowed), n=1, cutoff=0.5)
        hint = f": did you mean '{close[0]}'?" if close else f" (expected one of: {', '.join(sorted(allowed))})"
        name = f"{where}.{key}" if where else key
        report.add(line_of(node, key), f"unknown field {shown(name)}{hint}", fact_id)


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


def load_sources(root: Path, problems: list[Problem]) -> dict[str, Source]:
    report = Report(problems, "sources.yaml")
    sources: dict[str, Source] = {}
    for node in items(_read(root, "sources.yaml", problems), "sources", report):
        source_id = _text(node, "id", report)
        values = {key: _text(node, key, report, source_id) for key in ("title", "date", "lang", "file")}
        outlet = _text(node, "outlet", report, source_id, optional=True)
        unknown_keys(node, _SOURCE_FIELDS, report, fact_id=source_id)
        if source_id in sources:
            report.add(node.line, "duplicate source id", source_id)
        if source_id is None or None in values.values():
            continue
        if inside(root, values["file"]) is None:
            report.add(line_of(node, "file"), f"file {shown(values['file'])} is outside knowledge/", source_id)
            continue
        try:
            text = decode(read_inside(root, values["file"]))
        except YamlError as exc:
            report.add(line_of(node, "file"), f"cannot use {shown(values['file'])}: {exc.message}", source_id)
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
        unknown_keys(node, _TOPIC_FIELDS, report, fact_id=topic_id)
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
        if not path.exists() and not path.is_symlink():
            continue
        table: dict[str, float] = {}
        try:
            for number, line in enumerate(decode(read_inside(root, relative)).splitlines(), 1):
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
    frequencies = _load_frequencies(root, problems)  # read whatever lexicon.yaml holds: every problem at once
    if data is None:
        return None
    if not isinstance(data, dict):
        report.add(line_of(data), "expected a mapping of word lists")
        return None
    unknown_keys(data, {*_LEXICON_FIELDS, *_LEXICON_OPTIONAL}, report)
    for section, names in _LEXICON_NAMES.items():
        unknown_keys(data.get(section), names, report, section)
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
                report.add(line_of(value, str(name)), f"{section}: the name {shown(name)} must be text (quote it)")
                ok = False
            for index, word in enumerate(words):
                if not isinstance(word, str):
                    line = words.item_lines[index] if isinstance(words, LineList) else line_of(data, section)
                    hint = " (quote it: YAML reads on, off, yes, no as true/false)" if isinstance(word, bool) else ""
                    report.add(line, f"{section}.{str(name)[:40]}: {shown(word)} is not a word{hint}")
                    ok = False
    if not ok:
        return None
    return Lexicon.build(
        frequencies=frequencies,
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


def _quote_problem(quote: str, source: Source, report: Report) -> str:
    """'Not found verbatim', with the closest passage of the source and where the two first differ
    (for the first MAX_PASSAGES quotes of a file)."""
    message = f"quote not found verbatim in source '{source.id}'"
    if report.passages <= 0:
        return message
    report.passages -= 1
    found = closest_passage(quote_form(quote), _quotable(source))
    if found is None:
        return message + ": no passage of the source is close to it; copy the quote from the article"
    passage, offset = found
    word = passage.rfind(" ", 0, offset) + 1  # show the two from the start of the word that differs
    return (
        f"{message}; closest passage: {shown(passage, 120)}; they first differ at character {offset + 1}: "
        f"the quote has {shown(quote_form(quote)[word : word + 20], 40)}, the source "
        f"{shown(passage[word : word + 20], 40)}"
    )


def check_fact(node: LineDict, report: Report, sources: dict[str, Source], topics: set[str]) -> Fact | None:
    fact_id = _text(node, "id", report)
    if fact_id and not _ID.fullmatch(fact_id):
        report.add(line_of(node, "id"), "id must be lowercase letters, digits and dashes", fact_id)
    before = report.total()
    unknown_keys(node, _FACT_FIELDS, report, fact_id=fact_id)
    topic = _text(node, "topic", report, fact_id)
    if topic and topic not in topics:
        close = difflib.get_close_matches(topic, sorted(topics), n=1, cutoff=0.6)
        hint = f"did you mean '{close[0]}'? " if close else ""
        report.add(line_of(node, "topic"), f"unknown topic {shown(topic)} ({hint}see topics.yaml)", fact_id)
    source_id = _text(node, "source", report, fact_id)
    if source_id and source_id not in sources:
        report.add(line_of(node, "source"), f"unknown source {shown(source_id)} (see sources.yaml)", fact_id)
    quote = _text(node, "quote", report, fact_id)
    if quote and source_id in sources and quote_form(quote) not in _quotable(sources[source_id]):
        report.add(line_of(node, "quote"), _quote_problem(quote, sources[source_id], report), fact_id)
    questions: dict[str, tuple[str, ...]] = {}
    answers: dict[str, str] = {}
    raw_questions, raw_answer = node.get("questions"), node.get("answer")
    unknown_keys(raw_questions, set(LANGS), report, "questions", fact_id)
    unknown_keys(raw_answer, set(LANGS), report, "answer", fact_id)
    for lang in LANGS:
        listed = raw_questions.get(lang) if isinstance(raw_questions, dict) else None
        where = line_of(raw_questions, lang) or line_of(node, "questions")
        if not _string_list(listed) or not [q for q in listed if q.strip()]:
            report.add(where, f"questions.{lang} must be a non-empty list of text", fact_id)
        else:
            questions[lang] = tuple(q.strip() for q in listed if q.strip())
            if len(questions[lang]) < MIN_QUESTIONS:
                report.add(
                    where,
                    f"questions.{lang} lists {len(questions[lang])} question(s): write at least {MIN_QUESTIONS}, "
                    "worded differently",
                    fact_id,
                )
        text = raw_answer.get(lang) if isinstance(raw_answer, dict) else None
        if not isinstance(text, str) or not text.strip():
            report.add(
                line_of(raw_answer, lang) or line_of(node, "answer"), f"answer.{lang} must be non-empty text", fact_id
            )
        else:
            answers[lang] = text.strip()
    if len(answers) == len(LANGS) and len(set(answers.values())) == 1:
        report.add(line_of(node, "answer"), "answer.fr and answer.en are the same text: translate one", fact_id)
    keywords = node.get("keywords", [])
    if not _string_list(keywords):
        report.add(line_of(node, "keywords"), "keywords must be a list of words", fact_id)
    # Drafts (engine/knowledge/review.py): text still marked for review is a problem, so no draft goes live unread.
    for field in review.marked(questions, answers):
        report.add(line_of(node, field.partition(".")[0]), review.message(field), fact_id)
    mentions = node.get("mentions", [])
    if not _string_list(mentions):
        report.add(
            line_of(node, "mentions"), "mentions must be a list of names (what the fact only compares with)", fact_id
        )
    if report.total() > before or fact_id is None or topic is None or source_id is None or quote is None:
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
        unknown_keys(node, _OUT_OF_SCOPE_FIELDS, report)
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
        unknown_keys(node, _EVAL_FIELDS, report)
        if expect and expect != "none" and fact_ids is not None and expect not in fact_ids:
            report.add(line_of(node, "expect"), f"expects unknown fact {shown(expect)}")
        elif lang and lang not in LANGS:
            report.add(line_of(node, "lang"), f"lang must be one of {', '.join(LANGS)}")
        elif q and expect and lang:
            questions.append(EvalQuestion(q, None if expect == "none" else expect, lang))
    return questions


#: The follow-up evaluation: two-turn exchanges (not replayed by reloads: `eval` scores them).
FOLLOW_UPS_FILE = "eval/followups.yaml"
_EXCHANGE_FIELDS = {"lang", "first", "first_expect", "then", "expect"}


def _expects(node: LineDict, key: str, report: Report, fact_ids: set[str]) -> frozenset[str | None] | None:
    """A fact id, `none`, or a list of them: every answer accepted as right."""
    value = node.get(key)
    values = value if isinstance(value, list) else [value]
    if not values or not all(isinstance(v, str) and v.strip() for v in values):
        report.add(line_of(node, key), f"field '{key}' must be a fact id, none, or a list of them")
        return None
    unknown = [v for v in values if v != "none" and v not in fact_ids]
    if unknown:
        report.add(line_of(node, key), f"expects unknown fact {shown(unknown[0])}")
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
        unknown_keys(node, _EXCHANGE_FIELDS, report)
        first_expect = _expects(node, "first_expect", report, fact_ids)
        expect = _expects(node, "expect", report, fact_ids)
        if lang and lang not in LANGS:
            report.add(line_of(node, "lang"), f"lang must be one of {', '.join(LANGS)}")
        elif first and then and lang and first_expect is not None and expect is not None:
            exchanges.append(Exchange(first, first_expect, then, expect, lang))
    return exchanges
