"""The declared shape of each record of knowledge/: its fields, their types, their defaults.

Each shape is a msgspec Struct that refuses unknown fields, so a misspelt key is a
problem, never silently ignored. A field says, in its type's `extra`, what a moderator is
told when it is missing or wrong (`{path}` is the field's dotted path, e.g. `questions.fr`);
engine/knowledge/validate.py turns a failed conversion into those words at the YAML line.
Rules that compare values (a known topic, a quote found in its source, enough questions)
are not shapes: they live with the loaders (engine/knowledge/factcheck.py and the others).

msgspec, not pydantic: at 1000x the knowledge, converting every fact costs about 2 µs
against pydantic's 22, and `import msgspec` about 40 ms against pydantic's 160-210 ms at
every start (`bot.py ask` has a 0.4 s budget).
"""

from __future__ import annotations

import re
from typing import Annotated

from msgspec import Meta, Struct

#: What a fact id may be made of (kept in the file names of drafts and in the answer's JSON).
ID = re.compile(r"[a-z0-9]+(?:[-_][a-z0-9]+)*")
#: Questions each fact needs in each language: the decision is fitted with facts cut to this many
#: (engine.matching.calibrate.THIN_QUESTIONS), so a fact written with 3 is answered as measured.
MIN_QUESTIONS = 3
#: The optional files and the evaluation set the loader reads by default.
DECISION_FILE = "decision.yaml"
OUT_OF_SCOPE_FILE = "out_of_scope.yaml"
EVAL_FILE = "eval/questions.yaml"
#: The follow-up evaluation: two-turn exchanges (not replayed by reloads: `eval` scores them).
FOLLOW_UPS_FILE = "eval/followups.yaml"

#: Text with something besides blanks (the loaders strip it); `\S` is `str.isspace`'s complement.
#: A YAML date (`date: 2019-12-10`) is read as its ISO text, as a moderator means it.
Text = Annotated[
    str,
    Meta(
        pattern=r"\S", extra={"missing": "missing field '{path}'", "invalid": "field '{path}' must be non-empty text"}
    ),
]
#: The fact an evaluation question expects: a fact id, or `none` (YAML's `null` is no value: said so).
ExpectedFact = Annotated[
    str,
    Meta(
        pattern=r"\S",
        extra={
            "missing": "missing field '{path}'",
            "invalid": "field '{path}' must be a fact id, or none",
            "empty": "field '{path}' has no value: write `none` for a question the article does not answer",
        },
    ),
]
#: A text of each language (an answer): missing or wrong, the same words.
LangText = Annotated[str, Meta(pattern=r"\S", extra={"problem": "{path} must be non-empty text"})]
#: A fact's questions in one language (blank ones are dropped; at least one must remain).
QuestionList = Annotated[list[str], Meta(extra={"problem": "{path} must be a non-empty list of text"})]
#: The facts an exchange's turn accepts as right: a fact id, `none`, or a list of them (none blank, the
#: list not empty: checked by the loader, since msgspec 0.22 can crash at exit on a Meta inside a union).
Expected = Annotated[
    str | list[str], Meta(extra={"problem": "field '{path}' must be a fact id, none, or a list of them"})
]


class Source(Struct, forbid_unknown_fields=True):
    """One entry of sources.yaml: an article, and the file under knowledge/ holding its text."""

    id: Text
    title: Text
    date: Text
    lang: Text
    file: Text
    #: Optional; when given, non-empty (checked by the loader: no Meta inside a union, see Expected).
    outlet: Annotated[str | None, Meta(extra={"invalid": "field '{path}' must be non-empty text"})] = None


class Topic(Struct, forbid_unknown_fields=True):
    """One entry of topics.yaml: a topic id and its label in each language."""

    id: Text
    fr: Text
    en: Text


class Questions(Struct, forbid_unknown_fields=True):
    """The ways members ask for a fact, in each language."""

    fr: QuestionList
    en: QuestionList


class Answer(Struct, forbid_unknown_fields=True):
    """A fact's answer in each language."""

    fr: LangText
    en: LangText


class Fact(Struct, forbid_unknown_fields=True):
    """One fact of a sheet in facts/."""

    id: Text
    topic: Text
    source: Text
    quote: Text
    questions: Questions
    answer: Answer
    keywords: Annotated[list[str], Meta(extra={"problem": "keywords must be a list of words"})] = []
    mentions: Annotated[
        list[str], Meta(extra={"problem": "mentions must be a list of names (what the fact only compares with)"})
    ] = []


class EvalQuestion(Struct, forbid_unknown_fields=True):
    """One question of an evaluation set (eval/*.yaml): the fact it expects (`none`: abstain)."""

    q: Text
    expect: ExpectedFact
    lang: Text


class OutOfScope(Struct, forbid_unknown_fields=True):
    """One question of out_of_scope.yaml: one the article does not answer."""

    q: Text
    lang: Text


class Exchange(Struct, forbid_unknown_fields=True):
    """One exchange of eval/followups.yaml: a question, its follow-up, and what each should get."""

    lang: Text
    first: Text
    first_expect: Expected
    then: Text
    expect: Expected
