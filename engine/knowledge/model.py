"""The knowledge base's plain, immutable data: sources, topics, facts, evaluation questions."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

from engine.lexicon import Lexicon
from engine.matching.decision import DecisionModel

LANGS = ("fr", "en")


@dataclass(frozen=True, slots=True)
class Source:
    """An article the facts quote."""

    id: str
    title: str
    date: str
    lang: str
    outlet: str | None
    file: str
    text: str = field(repr=False)


@dataclass(frozen=True, slots=True)
class Topic:
    id: str
    labels: Mapping[str, str]


@dataclass(frozen=True, slots=True)
class Fact:
    """One statement of a source, with the ways members ask for it and its answer in each language."""

    id: str
    topic: str
    source: str
    quote: str
    questions: Mapping[str, tuple[str, ...]]
    answer: Mapping[str, str]
    keywords: tuple[str, ...] = ()
    #: Entities the fact only mentions (a comparison), not what it is about: "Toyota's sales" is not its question.
    mentions: tuple[str, ...] = ()
    file: str = field(default="", compare=False)
    line: int = field(default=0, compare=False)


@dataclass(frozen=True, slots=True)
class Exchange:
    """A question and its follow-up; each `expect` holds the facts that answer rightly (None: abstain)."""

    first: str
    first_expect: frozenset[str | None]
    then: str
    expect: frozenset[str | None]
    lang: str


@dataclass(frozen=True, slots=True)
class EvalQuestion:
    """A question the moderators expect answered with `expect` (a fact id or None)."""

    q: str
    expect: str | None
    lang: str


@dataclass(frozen=True, slots=True)
class KnowledgeBase:
    """Everything loaded from knowledge/, validated; never modified after loading."""

    sources: Mapping[str, Source]
    topics: tuple[Topic, ...]
    facts: tuple[Fact, ...]
    lexicon: Lexicon = field(repr=False)
    eval_questions: tuple[EvalQuestion, ...] = ()
    #: The fitted decision (knowledge/decision.yaml); None answers on the lexical score alone.
    decision: DecisionModel | None = field(default=None, repr=False)
    #: Questions the article does not answer (out_of_scope.yaml): a question near one is likely outside too.
    out_of_scope: tuple[str, ...] = field(default=(), repr=False)
    facts_by_id: Mapping[str, Fact] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        # Derived here, not passed in, so a base can never disagree with its own index.
        object.__setattr__(self, "facts_by_id", MappingProxyType({f.id: f for f in self.facts}))

    def fact(self, fact_id: str) -> Fact | None:
        return self.facts_by_id.get(fact_id)

    def topic_label(self, topic_id: str, lang: str) -> str:
        for topic in self.topics:
            if topic.id == topic_id:
                return topic.labels.get(lang) or topic_id
        return topic_id
