"""What a new matcher takes over from the one it replaces (rebuild.py), on the real knowledge."""

from __future__ import annotations

import dataclasses
import logging

from engine.answering import Snapshot
from engine.knowledge.loader import Loader
from engine.matching.rebuild import Reuse, decision_for, unchanged, year_state, year_states


def test_a_decision_fitted_with_another_model_is_dropped_loudly(snapshot: Snapshot, caplog) -> None:
    kb, embedder = snapshot.kb, snapshot.matcher.embedder
    assert embedder is not None and kb.decision is not None
    assert decision_for(kb, embedder) is kb.decision
    assert decision_for(kb, None) is None  # no model: the lexical signal alone
    other = dataclasses.replace(kb.decision, fitted_with={**kb.decision.fitted_with, "model": "another-model/64"})
    with caplog.at_level(logging.ERROR, logger="alliance.matcher"):
        assert decision_for(dataclasses.replace(kb, decision=other), embedder) is None
    assert "another-model/64" in caplog.text and "calibrate" in caplog.text


def test_only_the_edited_sheets_facts_are_fresh(knowledge_copy) -> None:
    loader = Loader(knowledge_copy)
    first = Snapshot.load(knowledge_copy, loader=loader)
    sheet = knowledge_copy / "facts" / "sales.yaml"
    text = sheet.read_text(encoding="utf-8")
    sheet.write_text(
        text.replace("a vendu 10,76 millions de véhicules,", "a vendu 10,76 millions (record),", 1), "utf-8"
    )
    kb = loader.load()
    reuse = Reuse.of(kb, first.matcher, same=True)
    assert reuse.fresh and {f.file for f in reuse.fresh} == {"facts/sales.yaml"}
    kept = [f for f in kb.facts if f not in reuse.fresh]
    assert kept and all(reuse.kept(f) == first.matcher.facts[f.id][1:] for f in kept)
    assert all(reuse.kept(f) is None for f in reuse.fresh)
    assert not unchanged(first.matcher, kb, first.matcher.decision)
    # Another lexicon or model: nothing carries over, every fact is analysed again.
    assert Reuse.of(kb, first.matcher, same=False).fresh == list(kb.facts)


def test_an_untouched_reload_is_unchanged(knowledge_copy) -> None:
    loader = Loader(knowledge_copy)
    first = Snapshot.load(knowledge_copy, loader=loader)
    kb = loader.load()
    assert unchanged(first.matcher, kb, first.matcher.decision)
    assert not unchanged(first.matcher, dataclasses.replace(kb, out_of_scope=kb.out_of_scope[1:]), kb.decision)


def test_year_states_say_which_facts_name_only_earlier_years(snapshot: Snapshot) -> None:
    matcher = snapshot.matcher
    assert matcher.latest_year == "2019"
    entries = {i: e for i, (_, e, _) in matcher.facts.items()}
    assert year_state(entries["sales-2018"], "2019") == (True, False)  # only 2018: stale when "now" is asked
    assert year_state(entries["rank-2019"], "2019")[1]
    assert year_state(entries["leader-uchida"], "2019") == (False, False)
    assert year_state(entries["sales-2018"], None) == (False, False)
    fresh = Reuse.of(snapshot.kb, None, same=False)
    every = year_states(matcher.facts, entries, "2019", {}, bool(fresh.reusable), set(), [], [])
    assert every == matcher.years
    # A reload keeps the states it had, drops the facts taken out and works out those put in.
    reuse = Reuse.of(snapshot.kb, matcher, same=True)
    earlier = {**matcher.years, "gone": (True, True), "sales-2018": (False, False)}
    kept = set(entries) - {"sales-2018"}
    got = year_states(matcher.facts, entries, "2019", earlier, bool(reuse.reusable), kept, ["gone"], ["sales-2018"])
    assert got == matcher.years
