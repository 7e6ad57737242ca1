"""Which messages in an answer channel get a reply: questions only."""

from __future__ import annotations

import pytest

from cogs.triggers import looks_like_question, worth_answering_unasked
from engine.answering import Reply


@pytest.mark.parametrize(
    "text",
    [
        "Qui dirige Nissan",
        "ventes 2018 ?",
        "la réunion c'était où",
        "Est-ce que Senard est président",
        "how many cars were sold",
        "Where was the meeting held？",
        "  combien de voitures  ",
    ],
)
def test_questions(text):
    assert looks_like_question(text)


@pytest.mark.parametrize("text", ["salut tout le monde", "lol", "ventes 2018", "Nissan c'est nul", "", "!!!"])
def test_not_questions(text):
    assert not looks_like_question(text)


def test_answer_channel_rule():
    answer = Reply("x", "answer", "fr", "a", score=90)
    unknown = Reply("x", "unknown", "fr", "u")
    smalltalk = Reply("x", "smalltalk", "fr", "s")
    assert worth_answering_unasked("qui dirige nissan ?", answer)
    assert worth_answering_unasked("quel temps fera-t-il ?", unknown)
    assert not worth_answering_unasked("salut tout le monde", answer)  # a high score is not a question
    assert not worth_answering_unasked("bonjour ?", smalltalk)
