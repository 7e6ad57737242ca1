"""The cyclic garbage collector is paused during bulk loads and always restored."""

from __future__ import annotations

import gc

import pytest

import engine.matching.matcher
from engine.answering import Snapshot
from engine.gcpause import paused
from engine.loader import KnowledgeError, Loader


def test_paused_nests_and_restores_on_error():
    assert gc.isenabled()
    with pytest.raises(RuntimeError), paused():
        with paused():
            assert not gc.isenabled()
        assert not gc.isenabled()  # the inner block does not re-enable it under the outer one
        raise RuntimeError
    assert gc.isenabled()


def test_loading_and_indexing_run_without_the_collector(knowledge_copy, monkeypatch):
    seen = []
    analyse = engine.matching.matcher.analyse_fact

    def analyse_fact(fact, lexicon):
        seen.append(gc.isenabled())
        return analyse(fact, lexicon)

    monkeypatch.setattr(engine.matching.matcher, "analyse_fact", analyse_fact)
    Snapshot.load(knowledge_copy)
    assert seen and not any(seen)
    assert gc.isenabled()


def test_a_failed_load_restores_the_collector(knowledge_copy):
    sheet = knowledge_copy / "facts" / "ghosn.yaml"
    sheet.write_text(sheet.read_text(encoding="utf-8").replace("topic: ghosn", "topic: nope", 1), encoding="utf-8")
    with pytest.raises(KnowledgeError):
        Loader(knowledge_copy).load()
    assert gc.isenabled()
