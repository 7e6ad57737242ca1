"""A Reply as the terminal shows it and as `ask --json` gives it: replies made by hand, and the real engine's."""

from __future__ import annotations

import json
from dataclasses import replace
from types import MappingProxyType

from engine.answering import Engine, Reply, Suggestion
from engine.knowledge.model import Fact, Source
from engine.render import render_text, reply_json, source_line

SOURCE = Source(
    id="s1", title="Le conseil de l'Alliance", date="2019-12", lang="fr", outlet="Le Monde", file="s1.txt", text=""
)
FACT = Fact(
    id="leader-uchida",
    topic="leaders",
    source="s1",
    quote="Makoto Uchida, directeur général",
    questions=MappingProxyType({"fr": ("Qui dirige Nissan ?",)}),
    answer=MappingProxyType({"fr": "Makoto Uchida.", "en": "Makoto Uchida."}),
)
ANSWER = Reply(
    question="qui dirige nissan", kind="answer", lang="fr", text="Makoto Uchida.", score=87, fact=FACT, source=SOURCE
)
UNSURE = Reply(
    question="le secrétaire ?",
    kind="unsure",
    lang="en",
    text="I'm not sure I understood. Did you mean:",
    score=24,
    suggestions=(
        Suggestion("sg-profile", "Who will be the secretary general?", 24),
        Suggestion("sg-date", "When?", 12),
    ),
)


def test_the_source_line_names_title_date_and_outlet_and_skips_what_is_missing():
    assert source_line(ANSWER) == "Le conseil de l'Alliance (2019-12, Le Monde)"
    assert source_line(replace(ANSWER, source=replace(SOURCE, outlet=None))) == "Le conseil de l'Alliance (2019-12)"
    assert source_line(UNSURE) == ""


def test_an_answer_shows_its_source_quote_and_confidence_in_the_reply_language():
    assert render_text(ANSWER).splitlines() == [
        "Makoto Uchida.",
        "",
        "Source: Le conseil de l'Alliance (2019-12, Le Monde)",
        "Citation: « Makoto Uchida, directeur général »",
        "Confiance: 87%",
    ]
    assert render_text(replace(ANSWER, lang="en")).splitlines()[-2:] == [
        "Quote: « Makoto Uchida, directeur général »",
        "Confidence: 87%",
    ]


def test_an_answer_the_person_picked_shows_no_confidence():
    assert "Confiance" not in render_text(ANSWER, confidence=False)
    assert render_text(ANSWER, confidence=False).endswith("« Makoto Uchida, directeur général »")


def test_a_follow_up_says_first_how_it_was_read():
    text = render_text(replace(ANSWER, understood="qui preside renault"))
    assert text.splitlines()[0] == "(Compris comme « qui preside renault »)"


def test_an_unsure_reply_numbers_its_suggestions():
    assert render_text(UNSURE).splitlines() == [
        "I'm not sure I understood. Did you mean:",
        "  1. Who will be the secretary general?",
        "  2. When?",
    ]


def test_the_json_of_an_answer():
    assert reply_json(ANSWER) == {
        "question": "qui dirige nissan",
        "kind": "answer",
        "understood": None,
        "answered": True,
        "lang": "fr",
        "fact_id": "leader-uchida",
        "score": 87,
        "answer": "Makoto Uchida.",
        "source": {
            "id": "s1",
            "title": "Le conseil de l'Alliance",
            "date": "2019-12",
            "outlet": "Le Monde",
            "quote": "Makoto Uchida, directeur général",
        },
        "suggestions": [],
    }


def test_the_json_of_a_reply_that_is_no_answer_holds_no_answer_source_or_fact():
    data = reply_json(UNSURE)
    assert (data["answered"], data["answer"], data["source"], data["fact_id"]) == (False, None, None, None)
    assert data["suggestions"] == [
        {"fact_id": "sg-profile", "question": "Who will be the secretary general?", "score": 24},
        {"fact_id": "sg-date", "question": "When?", "score": 12},
    ]
    # A reply that carries a fact without being an answer does not leak it either.
    assert reply_json(replace(ANSWER, kind="unsure"))["fact_id"] is None


def test_the_real_engine_s_replies_render_and_serialise(engine: Engine):
    answer = engine.ask("Qui dirige Nissan ?")
    data = json.loads(json.dumps(reply_json(answer)))
    assert data["kind"] == "answer" and data["fact_id"] == "leader-uchida" and data["lang"] == "fr"
    assert data["source"]["quote"] in render_text(answer)
    unknown = engine.ask("best pizza place in boulogne??")
    assert reply_json(unknown)["kind"] == "unknown" and render_text(unknown) == unknown.text
