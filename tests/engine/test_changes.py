"""What a reload would change: the fact diff and the evaluation questions whose answer moves."""

from __future__ import annotations

import dataclasses

from engine.answering import Snapshot
from engine.evaluation.changes import KINDS, compare, diff_facts
from tests.sheets import edit_fact


def without(kb, fact_id: str):
    facts = tuple(f for f in kb.facts if f.id != fact_id)
    return dataclasses.replace(kb, facts=facts)


def test_same_set_changes_nothing(engine, snapshot):
    report = compare(engine, snapshot, snapshot)
    assert report.diff.empty and report.changes == ()
    assert report.facts == len(snapshot.kb.facts)
    assert report.before.accuracy == report.after.accuracy


def test_diff_by_id_ignores_where_a_fact_is_written(snapshot):
    kb = snapshot.kb
    moved = [dataclasses.replace(f, file="facts/other.yaml", line=1) for f in kb.facts]
    other = dataclasses.replace(kb, facts=tuple(moved))
    assert diff_facts(kb, other).empty


def test_diff_added_changed_removed(snapshot):
    kb = snapshot.kb
    smaller = without(kb, "leader-kato")
    edited = dataclasses.replace(kb.fact("sales-2018"), keywords=("zorglub",))
    facts = tuple(edited if f.id == "sales-2018" else f for f in smaller.facts)
    new = dataclasses.replace(smaller, facts=facts)
    diff = diff_facts(kb, new)
    assert (diff.added, diff.changed, diff.removed) == ((), ("sales-2018",), ("leader-kato",))
    back = diff_facts(new, kb)
    assert (back.added, back.changed, back.removed) == (("leader-kato",), ("sales-2018",), ())


def test_reworded_answer_lists_its_questions_as_edited(engine, snapshot, knowledge_copy):
    edit_fact(knowledge_copy, "sales-2018", answer={"fr": "Nouvelle réponse.", "en": "New answer."})
    report = compare(engine, snapshot, Snapshot.load(knowledge_copy))
    assert report.diff.changed == ("sales-2018",)
    edited = report.of_kind("edited")
    assert edited and all(c.before == c.after == "sales-2018" for c in edited)
    assert "edited" in report.format()


def test_emptied_fact_loses_or_moves_its_questions(engine, snapshot, knowledge_copy):
    edit_fact(
        knowledge_copy,
        "leader-uchida",
        questions={
            "fr": ["zorglub frobnique", "frobnique zorglub", "le zorglub"],
            "en": ["zorglub frobnicate", "frobnicate zorglub", "the zorglub"],
        },
        keywords=[],
        answer={"fr": "Zorglub (fr).", "en": "Zorglub (en)."},
    )
    new = Snapshot.load(knowledge_copy)
    report = compare(engine, snapshot, new)
    expected = [q.q for q in new.kb.eval_questions if q.expect == "leader-uchida"]
    affected = [c for c in report.changes if c.before == "leader-uchida" and c.kind in ("lost", "moved")]
    assert affected and {c.question for c in affected} <= set(expected)
    assert all(not c.now_correct for c in affected)
    assert report.after.accuracy < report.before.accuracy
    kinds = [c.kind for c in report.changes]
    assert kinds == sorted(kinds, key=KINDS.index)  # most worrying first


def test_questions_come_from_the_new_set(engine, snapshot, knowledge_copy):
    path = knowledge_copy / "eval" / "questions.yaml"
    extra = '\n  - q: "zorglub frobnique ?"\n    expect: none\n    lang: fr\n'
    path.write_text(path.read_text(encoding="utf-8") + extra, encoding="utf-8")
    report = compare(engine, snapshot, Snapshot.load(knowledge_copy))
    assert len(report.after.outcomes) == len(snapshot.kb.eval_questions) + 1
