"""Autocomplete over the known questions and fact ids."""

from __future__ import annotations

from cogs.completion import MAX_CHOICES, complete_fact_id, complete_question


def test_nothing_typed_gives_one_question_per_fact_in_the_language(snapshot):
    english = complete_question(snapshot, "", "en")
    assert english == [f.questions["en"][0] for f in snapshot.kb.facts][:MAX_CHOICES]


def test_typed_text_finds_known_questions(snapshot):
    known = {q for f in snapshot.kb.facts for qs in f.questions.values() for q in qs}
    found = complete_question(snapshot, "qui dirige nissan", "fr")
    assert found and "Nissan" in found[0]
    assert set(found) <= known and len(found) <= MAX_CHOICES
    assert len(set(found)) == len(found)


def test_gibberish_finds_little(snapshot):
    assert len(complete_question(snapshot, "zzzzqqqq", "fr")) <= MAX_CHOICES


def test_fact_ids(snapshot):
    assert complete_fact_id(snapshot, "uchida")[0] == "leader-uchida"
    assert complete_fact_id(snapshot, "") == [f.id for f in snapshot.kb.facts][:MAX_CHOICES]
    assert "leader-uchida" in complete_fact_id(snapshot, "leader-uchda")
