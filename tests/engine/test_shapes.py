"""The declared shapes of knowledge records (engine/knowledge/shapes.py), read through validate.py and the loaders
of schema.py, factcheck.py and evalsets.py: on small files written for each case."""

from __future__ import annotations

import datetime as dt
import typing
from pathlib import Path
from typing import Any

import msgspec
import pytest

from engine.knowledge import shapes
from engine.knowledge.evalsets import load_eval, load_exchanges, load_out_of_scope
from engine.knowledge.factcheck import check_fact
from engine.knowledge.model import LANGS, Source
from engine.knowledge.problems import Problem, Report
from engine.knowledge.schema import load_sources, load_topics
from engine.knowledge.validate import fields, items
from engine.knowledge.yamlfile import LineDict, parse_yaml

SHAPES = [shapes.Source, shapes.Topic, shapes.Questions, shapes.Answer, shapes.Fact, shapes.EvalQuestion]
SHAPES += [shapes.OutOfScope, shapes.Exchange]
QUOTE = "Makoto Uchida, directeur général de Nissan Motor Co"
SOURCE = Source("art", "Un article", "2019-12", "fr", None, "art.txt", f"Il y avait {QUOTE}.")


def node(text: str) -> LineDict:
    data = parse_yaml(text)
    assert isinstance(data, LineDict)
    return data


def checked(text: str, shape: type[msgspec.Struct]) -> tuple[dict[str, Any], bool, list[tuple[int | None, str]]]:
    problems: list[Problem] = []
    found, valid = fields(node(text), shape, Report(problems, "f.yaml"), "x")
    return found, valid, [(p.line, p.message) for p in problems]


def write(root: Path, relative: str, text: str) -> None:
    (root / relative).parent.mkdir(parents=True, exist_ok=True)
    (root / relative).write_text(text, encoding="utf-8")


# --- the shapes themselves ------------------------------------------------------------------------------------------


@pytest.mark.parametrize("shape", SHAPES)
def test_every_shape_refuses_unknown_fields(shape):
    assert shape.__struct_config__.forbid_unknown_fields


def test_the_language_shapes_have_one_field_a_language():
    assert shapes.Questions.__struct_fields__ == LANGS
    assert shapes.Answer.__struct_fields__ == LANGS


def _metas_inside_unions(annotation: Any, in_union: bool = False) -> bool:
    if isinstance(annotation, msgspec.Meta):
        return in_union
    union = typing.get_origin(annotation) in (typing.Union, __import__("types").UnionType)
    return any(_metas_inside_unions(arg, in_union or union) for arg in typing.get_args(annotation))


@pytest.mark.parametrize("shape", SHAPES)
def test_no_constraint_sits_inside_a_union(shape):
    """msgspec 0.22 can crash the interpreter at exit on a Meta nested in a union (msgspec issue 717)."""
    for field in msgspec.structs.fields(shape):
        assert not _metas_inside_unions(field.type), field.name


def test_the_defaults_are_declared_on_the_shapes():
    defaults = {f.name: f.default_factory() for f in msgspec.structs.fields(shapes.Fact) if not f.required}
    assert defaults == {"keywords": [], "mentions": []}
    assert {f.name: f.default for f in msgspec.structs.fields(shapes.Source) if not f.required} == {"outlet": None}


# --- fields: every problem of a record, at its line -----------------------------------------------------------------


def test_a_valid_record_gives_its_fields():
    found, valid, problems = checked("id: a\nfr: Un\nen: One\n", shapes.Topic)
    assert (found, valid, problems) == ({"id": "a", "fr": "Un", "en": "One"}, True, [])


def test_a_date_in_a_text_field_is_its_iso_text():
    found, valid, _ = checked("id: s\ntitle: T\ndate: 2019-12-10\nlang: fr\nfile: a.txt\n", shapes.Source)
    assert valid and found["date"] == "2019-12-10"
    assert isinstance(parse_yaml("d: 2019-12-10")["d"], dt.date)  # what YAML gives


def test_every_problem_of_a_record_is_named_at_its_own_line():
    found, valid, problems = checked(
        "id: a\nfr: '   '\nenn: One\ncolour: red\n",
        shapes.Topic,
    )
    assert not valid and found == {"id": "a"}
    assert problems == [
        (4, "unknown field 'colour' (expected one of: en, fr, id)"),
        (3, "unknown field 'enn': did you mean 'en'?"),
        (2, "field 'fr' must be non-empty text"),
        (1, "missing field 'en'"),
    ]


def test_a_key_without_a_value_is_said_empty_at_its_key_line():
    _, _, problems = checked("id: a\nfr:\nen: ~\n", shapes.Topic)
    empty = "field '{}' has no value (in YAML, a key with nothing after it, `~` and `null` are none)"
    assert problems == [(2, empty.format("fr")), (3, empty.format("en"))]
    _, _, problems = checked("id: a\nen: One\n", shapes.Topic)
    assert problems == [(1, "missing field 'fr'")]


def test_nested_fields_are_named_by_their_path():
    text = (
        "id: a\ntopic: t\nsource: s\nquote: q\n"
        "questions:\n  fr: [un, deux, trois]\n  en: 3\n  de: [eins]\n"
        "answer: {fr: Oui}\nkeywords: word\n"
    )
    found, valid, problems = checked(text, shapes.Fact)
    assert not valid and found["mentions"] == []  # the declared default, also when other fields are wrong
    assert found["questions"] == {"fr": ["un", "deux", "trois"]} and found["answer"] == {"fr": "Oui"}
    assert problems == [
        (8, "unknown field 'questions.de': did you mean 'en'?"),
        (7, "questions.en must be a non-empty list of text"),
        (9, "answer.en must be non-empty text"),
        (10, "keywords must be a list of words"),
    ]


def test_a_missing_nested_record_reports_each_of_its_fields_at_the_record():
    _, _, problems = checked("id: a\ntopic: t\nsource: s\nquote: q\nanswer: {fr: Oui, en: Right}\n", shapes.Fact)
    assert problems == [
        (1, "questions.fr must be a non-empty list of text"),
        (1, "questions.en must be a non-empty list of text"),
    ]


# --- the loaders' rules on top of the shapes ------------------------------------------------------------------------


def fact_problems(text: str) -> list[str]:
    problems: list[Problem] = []
    report = Report(problems, "facts/x.yaml")
    for entry in items(parse_yaml(text), "facts", report):
        assert check_fact(entry, report, {"art": SOURCE}, {"leaders"}) is None
    return [str(p) for p in problems]


FACT = (
    "facts:\n  - id: uchida\n    topic: leaders\n    source: art\n    quote: " + QUOTE + "\n"
    "    questions:\n      fr: [qui dirige nissan, le patron de nissan, ceo nissan]\n"
    "      en: [who runs nissan, nissan boss, nissan ceo]\n"
    "    answer: {fr: Makoto Uchida., en: Makoto Uchida is the CEO.}\n"
)


def test_a_valid_fact_is_the_models_fact():
    problems: list[Problem] = []
    report = Report(problems, "facts/x.yaml")
    (entry,) = items(parse_yaml(FACT), "facts", report)
    fact = check_fact(entry, report, {"art": SOURCE}, {"leaders"})
    assert not problems and fact is not None
    assert (fact.id, fact.topic, fact.source, fact.quote, fact.file, fact.line) == (
        "uchida",
        "leaders",
        "art",
        QUOTE,
        "facts/x.yaml",
        2,
    )
    assert dict(fact.questions) == {
        "fr": ("qui dirige nissan", "le patron de nissan", "ceo nissan"),
        "en": ("who runs nissan", "nissan boss", "nissan ceo"),
    }
    assert (fact.keywords, fact.mentions) == ((), ())


def test_a_fact_of_an_id_only_gets_seven_problems():
    assert fact_problems("facts:\n  - {id: b0}\n") == [
        "facts/x.yaml:2 [b0]: missing field 'topic'",
        "facts/x.yaml:2 [b0]: missing field 'source'",
        "facts/x.yaml:2 [b0]: missing field 'quote'",
        "facts/x.yaml:2 [b0]: questions.fr must be a non-empty list of text",
        "facts/x.yaml:2 [b0]: questions.en must be a non-empty list of text",
        "facts/x.yaml:2 [b0]: answer.fr must be non-empty text",
        "facts/x.yaml:2 [b0]: answer.en must be non-empty text",
    ]


def test_rules_run_on_the_valid_fields_of_a_broken_fact():
    broken = (
        FACT.replace("topic: leaders", "topic: leader").replace("id: uchida", "id: Uchida").replace("ceo nissan", "")
    )
    broken = broken.replace("    answer:", "    mentions: toyota\n    answer:")
    assert fact_problems(broken) == [
        "facts/x.yaml:9 [Uchida]: mentions must be a list of names (what the fact only compares with)",
        "facts/x.yaml:2 [Uchida]: id must be lowercase letters, digits and dashes",
        "facts/x.yaml:3 [Uchida]: unknown topic 'leader' (did you mean 'leaders'? see topics.yaml)",
        "facts/x.yaml:7 [Uchida]: questions.fr lists 2 question(s): write at least 3, worded differently",
    ]


def test_sources_read_their_text_and_check_the_outlet(tmp_path):
    write(tmp_path, "art.txt", "Le texte.")
    write(
        tmp_path,
        "sources.yaml",
        "sources:\n  - {id: a, title: T, date: 2019-12-10, lang: fr, file: art.txt}\n"
        "  - {id: b, title: T, date: '2019', lang: fr, file: art.txt, outlet: ' '}\n"
        "  - {id: a, title: T, date: '2019', lang: fr, file: ../x.txt}\n",
    )
    problems: list[Problem] = []
    sources = load_sources(tmp_path, problems)
    assert list(sources) == ["a", "b"]  # a blank outlet is reported, the source kept (as before the shapes)
    assert sources["a"] == Source("a", "T", "2019-12-10", "fr", None, "art.txt", "Le texte.")
    assert [str(p) for p in problems] == [
        "sources.yaml:3 [b]: field 'outlet' must be non-empty text",
        "sources.yaml:4 [a]: duplicate source id",
        "sources.yaml:4 [a]: file '../x.txt' is outside knowledge/",
    ]


def test_topics_keep_their_labels_stripped_and_refuse_a_second_id(tmp_path):
    write(tmp_path, "topics.yaml", "topics:\n  - {id: t, fr: ' Un ', en: One}\n  - {id: t, fr: Deux, en: Two}\n")
    problems: list[Problem] = []
    topics = load_topics(tmp_path, problems)
    assert dict(topics[0].labels) == {"fr": "Un", "en": "One"}
    assert [str(p) for p in problems] == ["topics.yaml:3 [t]: duplicate topic id"]


def test_evaluation_questions_expect_known_facts_in_known_languages(tmp_path):
    write(
        tmp_path,
        "eval/questions.yaml",
        "questions:\n  - {q: ' qui ? ', expect: uchida, lang: fr}\n  - {q: who, expect: none, lang: en}\n"
        "  - {q: x, expect: nobody, lang: fr}\n  - {q: x, expect: none, lang: de}\n  - {q: x, expect: none}\n"
        "  - {q: x, expect: null, lang: en}\n",
    )
    problems: list[Problem] = []
    questions = load_eval(tmp_path, problems, {"uchida"})
    assert [(q.q, q.expect, q.lang) for q in questions] == [("qui ?", "uchida", "fr"), ("who", None, "en")]
    assert [str(p) for p in problems] == [
        "eval/questions.yaml:4: expects unknown fact 'nobody'",
        "eval/questions.yaml:5: lang must be one of fr, en",
        "eval/questions.yaml:6: missing field 'lang'",
        "eval/questions.yaml:7: field 'expect' has no value: write `none` for a question the article does not answer",
    ]


def test_out_of_scope_questions_keep_their_first_line(tmp_path):
    write(
        tmp_path,
        shapes.OUT_OF_SCOPE_FILE,
        "questions:\n  - {q: a, lang: fr}\n  - {q: b, lang: en}\n  - {q: a, lang: fr}\n",
    )
    problems: list[Problem] = []
    assert load_out_of_scope(tmp_path, problems) == (("a", 2), ("b", 3))
    assert not problems


def test_an_exchange_expects_a_fact_none_or_a_list_of_them(tmp_path):
    write(
        tmp_path,
        shapes.FOLLOW_UPS_FILE,
        "exchanges:\n  - {lang: fr, first: a, first_expect: uchida, then: b, expect: [uchida, none]}\n"
        "  - {lang: fr, first: a, first_expect: [], then: b, expect: ['  ']}\n"
        "  - {lang: fr, first: a, then: b, expect: 3}\n",
    )
    problems: list[Problem] = []
    (exchange,) = load_exchanges(tmp_path, problems, {"uchida"})
    assert exchange.first_expect == frozenset({"uchida"}) and exchange.expect == frozenset({"uchida", None})
    assert [str(p) for p in problems] == [
        "eval/followups.yaml:3: field 'first_expect' must be a fact id, none, or a list of them",
        "eval/followups.yaml:3: field 'expect' must be a fact id, none, or a list of them",
        "eval/followups.yaml:4: field 'first_expect' must be a fact id, none, or a list of them",
        "eval/followups.yaml:4: field 'expect' must be a fact id, none, or a list of them",
    ]
