"""Follow-up questions on the real knowledge: a fragment read with the previous question, a full one alone."""

from __future__ import annotations

from pathlib import Path

import pytest

from engine.dialogue.conversation import Conversations
from engine.evaluation.followups import evaluate_exchanges
from engine.knowledge.schema import FOLLOW_UPS_FILE, load_eval, load_exchanges
from tests.conftest import KNOWLEDGE


def _follow(engine, first: str, then: str):
    return engine.ask(then, previous=engine.ask(first).turn)


@pytest.mark.parametrize(
    ("first", "then", "understood", "fact_id", "lang"),
    [
        # A fragment naming a new entity keeps the previous question's intent.
        ("qui preside mitsubishi", "et renault alors ?", "qui preside renault", "leader-senard", "fr"),
        ("who runs nissan", "and mitsubishi?", "who runs mitsubishi", "leader-kato", "en"),
        # A pronoun stands for the previous question's person.
        ("who is uchida", "and his role?", "uchida role", "leader-uchida", "en"),
        # A bare question word asks it of the previous question.
        (
            "l'alliance a perdu combien de temps avec l'affaire ghosn",
            "pourquoi ?",
            "pourquoi l alliance a perdu de temps avec l affaire ghosn",
            "ghosn-consequences",
            "fr",
        ),
        # A year replaces the previous one.
        ("l'alliance etait a quel rang mondial en 2018", "et en 2019 ?", None, "rank-2019", "fr"),
    ],
)
def test_fragment_is_read_with_the_previous_question(engine, first, then, understood, fact_id, lang):
    reply = _follow(engine, first, then)
    assert reply.answered, reply
    assert reply.fact.id == fact_id
    assert reply.lang == lang
    assert reply.question == then
    if understood is not None:
        assert reply.understood == understood


def test_the_same_fragment_alone_is_not_answered_that_way(engine):
    assert engine.ask("et renault alors ?").fact is None or engine.ask("et renault alors ?").fact.id != "leader-senard"


def test_pronoun_refers_to_the_previous_answers_person(engine):
    # "qui dirige nissan" names no person; its answer does (Makoto Uchida), and "il" stands for him.
    reply = _follow(engine, "qui dirige nissan", "et il a quel role exactement ?")
    assert reply.understood is not None and "uchida" in reply.understood
    assert reply.answered and reply.fact.id == "leader-uchida"


def test_a_new_entity_after_a_sales_question_is_not_answered_with_a_ceo(engine):
    reply = _follow(engine, "toyota sales", "et nissan ?")
    assert reply.understood == "nissan sales"
    assert reply.fact is None or reply.fact.id != "leader-uchida"


@pytest.mark.parametrize(
    ("first", "then", "fact_id"),
    [
        ("qui dirige nissan", "combien de voitures l'alliance a vendu en 2018 ?", "sales-2018"),
        ("where was the meeting held", "who is the president of mitsubishi motors?", "leader-masuko"),
        ("what was the alliance's world ranking in 2018", "who is takao kato?", "leader-kato"),
        ("qui dirige nissan", "est-ce qu'il y a eu un proces ?", "ghosn-trial"),
    ],
)
def test_a_full_question_ignores_the_context(engine, first, then, fact_id):
    reply = _follow(engine, first, then)
    assert reply.understood is None
    assert reply.answered and reply.fact.id == fact_id


def test_a_fragment_without_language_evidence_keeps_the_previous_language(engine):
    reply = _follow(engine, "who chairs mitsubishi", "renault ?")
    assert reply.lang == "en"
    assert reply.answered and reply.fact.id == "leader-senard"


def test_smalltalk_and_empty_replies_leave_no_context(engine):
    assert engine.ask("hello").turn is None
    assert engine.ask("???").turn is None
    assert engine.ask("qui dirige nissan").turn is not None


class _Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_conversations_are_per_key_and_forget_after_their_time(engine):
    clock = _Clock()
    conversations = Conversations(ttl=60, clock=clock)
    engine.ask_in(conversations, ("alice", 1), "qui preside mitsubishi")
    # Another member in the same channel asks the fragment: no context of Alice's.
    assert engine.ask_in(conversations, ("bob", 1), "et renault alors ?").understood is None
    clock.now = 30
    assert engine.ask_in(conversations, ("alice", 1), "et renault alors ?").fact.id == "leader-senard"
    # The understood question is the new context: "et nissan ?" continues "qui preside renault".
    assert engine.ask_in(conversations, ("alice", 1), "et nissan ?").understood == "qui preside nissan"
    clock.now = 200
    assert engine.ask_in(conversations, ("alice", 1), "et renault alors ?").understood is None


def test_conversations_are_bounded(engine):
    conversations = Conversations(capacity=3)
    turn = engine.ask("qui dirige nissan").turn
    for key in range(10):
        conversations.put(key, turn)
    assert len(conversations) == 3
    assert conversations.get(0) is None and conversations.get(9) is turn


def test_the_follow_up_set_scores_better_in_context_than_alone(engine):
    problems: list = []
    exchanges = load_exchanges(KNOWLEDGE, problems, set(engine.snapshot.kb.facts_by_id))
    assert not problems
    assert len(exchanges) >= 40
    assert {e.lang for e in exchanges} == {"fr", "en"}
    report = evaluate_exchanges(engine, exchanges)
    in_context = sum(o.correct for o in report.outcomes) / len(report.outcomes)
    alone = sum(o.correct_alone for o in report.outcomes) / len(report.outcomes)
    assert in_context >= alone + 0.15, report.format()


def test_a_follow_up_file_expecting_an_unknown_fact_is_reported(tmp_path: Path):
    (tmp_path / "eval").mkdir()
    (tmp_path / FOLLOW_UPS_FILE).write_text(
        "exchanges:\n"
        "  - lang: fr\n    first: qui dirige nissan\n    first_expect: leader-uchida\n"
        "    then: et renault ?\n    expect: [leader-nobody, none]\n",
        encoding="utf-8",
    )
    problems: list = []
    assert load_exchanges(tmp_path, problems, {"leader-uchida"}) == []
    assert [(p.line, p.message) for p in problems] == [(6, "expects unknown fact 'leader-nobody'")]


def test_a_chain_of_fragments_never_grows_past_a_questions_words(engine):
    from engine.textnorm import MAX_WORDS

    conversations = Conversations()
    engine.ask_in(conversations, "m", "qui preside mitsubishi ?")
    for number in range(MAX_WORDS + 50):  # each fragment adds a word to the question it continues
        reply = engine.ask_in(conversations, "m", f"et les mot{number} ?")
    turn = conversations.get("m")
    assert turn is not None and len(turn.words) <= MAX_WORDS
    assert reply.understood is not None and len(reply.understood.split()) <= MAX_WORDS


@pytest.mark.parametrize("name", ["training-varied.yaml", "training-nearmiss.yaml"])
def test_questions_of_their_own_asked_in_a_row_are_not_misread_as_follow_ups(engine, name):
    """Members ask unrelated questions one after another: reading them in context must cost (almost) nothing.

    "masuko il fait quoi ?", "le SG il reporte à qui", "Senard ?" after anything are questions of their own.
    """
    problems: list = []
    questions = load_eval(KNOWLEDGE, problems, set(engine.snapshot.kb.facts_by_id), f"eval/{name}")
    assert not problems and questions
    conversations = Conversations()
    worse = []
    for case in questions:
        alone = engine.ask(case.q)
        in_a_row = engine.ask_in(conversations, "member", case.q)
        right_alone = (alone.fact.id if alone.answered else None) == case.expect
        right_in_a_row = (in_a_row.fact.id if in_a_row.answered else None) == case.expect
        if right_alone and not right_in_a_row:
            worse.append((case.q, in_a_row.understood))
    assert len(worse) <= len(questions) // 100, worse


def test_a_follow_up_file_with_a_misspelt_key_names_it(tmp_path: Path):
    (tmp_path / "eval").mkdir()
    (tmp_path / FOLLOW_UPS_FILE).write_text(
        "exchanges:\n"
        "  - lang: fr\n    first: qui dirige nissan\n    first_expect: leader-uchida\n"
        "    then: et renault ?\n    expct: none\n",
        encoding="utf-8",
    )
    problems: list = []
    assert load_exchanges(tmp_path, problems, {"leader-uchida"}) == []
    assert any("expct" in p.message and "expect" in p.message for p in problems), problems
