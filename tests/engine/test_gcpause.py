"""The cyclic garbage collector is paused during bulk loads and always restored."""

from __future__ import annotations

import gc
import subprocess
import sys
from pathlib import Path

import pytest

import engine.matching.matcher
from engine.answering import Snapshot
from engine.knowledge.gcpause import paused
from engine.knowledge.loader import KnowledgeError, Loader


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

    def analyse_fact(fact, lexicon, *keys):
        seen.append(gc.isenabled())
        return analyse(fact, lexicon, *keys)

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


def test_the_first_load_is_frozen_and_reloads_are_not():
    """In a fresh process: the first snapshot's objects go to the permanent generation (never walked by the
    collector while serving); a reload's do not (a replaced snapshot must stay collectable)."""
    script = (
        "import gc, sys\n"
        "from engine.answering import Snapshot\n"
        "assert gc.get_freeze_count() == 0\n"
        "first = Snapshot.load('knowledge')\n"
        "frozen = gc.get_freeze_count()\n"
        "second = Snapshot.load('knowledge')\n"
        "print(frozen, gc.get_freeze_count(), gc.isenabled())\n"
    )
    root = Path(__file__).resolve().parents[2]
    done = subprocess.run([sys.executable, "-c", script], cwd=root, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    frozen, after, enabled = done.stdout.split()
    assert int(frozen) > 10_000 and int(after) == int(frozen) and enabled == "True"
