"""The load cache's snapshot entry: one folder of .npy files for the whole base, mapped, never trusted blindly."""

from __future__ import annotations

import json
import logging
from pathlib import Path

import numpy as np
import pytest

import engine.matching.matcher
from engine.answering import Engine, Snapshot
from engine.knowledge import cache as cache_module
from engine.knowledge.cache import KnowledgeCache
from engine.knowledge.loader import Loader
from tests.engine.test_cache import load  # a cold start, as the per-sheet tests make one

QUESTIONS = (
    "qui dirige nissan",
    "combien de voitures vendues en 2018",
    "who is the CEO of Volkswagen?",
    # Their out-of-scope neighbours depend on what they ask (a why, or nothing): the stored kinds count.
    "pourquoi les ventes ont chuté ?",
    "les ventes ont chuté ?",
)


@pytest.fixture
def analysed(monkeypatch) -> list[str]:
    """The ids of the facts analysed from now on."""
    seen: list[str] = []
    analyse = engine.matching.matcher.analyse_fact

    def analyse_fact(fact, lexicon, *keys):
        seen.append(fact.id)
        return analyse(fact, lexicon, *keys)

    monkeypatch.setattr(engine.matching.matcher, "analyse_fact", analyse_fact)
    return seen


def entries(folder: Path) -> list[Path]:
    return sorted(folder.glob("snapshot-*"))


def answers(snapshot: Snapshot) -> list[tuple[object, ...]]:
    engine = Engine(snapshot)
    return [(r.kind, r.text, r.score, r.fact.id if r.fact else None) for r in map(engine.ask, QUESTIONS)]


def test_a_start_reads_the_snapshot_entry_mapped_and_answers_the_same(knowledge_copy, tmp_path, analysed):
    folder = tmp_path / "cache"
    first, cache = load(knowledge_copy, folder)
    assert cache.snapshot_stats == {"hits": 0, "misses": 1, "written": 1, "ignored": 0}
    assert len(entries(folder)) == 1 and not list(folder.glob(".tmp-*"))
    analysed.clear()
    second, cache = load(knowledge_copy, folder)
    assert cache.snapshot_stats["hits"] == 1 and analysed == []
    assert cache.stats["hits"] == len(list((knowledge_copy / "facts").glob("*.yaml")))  # no analysis file read
    vectors = second.matcher.vectors
    assert vectors is not None and isinstance(vectors[0].arrays()["q"].base, np.memmap)  # mapped, not read
    assert answers(second) == answers(first)
    assert second.matcher._index == first.matcher._index
    assert list(second.matcher._index.word_counts.items()) == list(first.matcher._index.word_counts.items())
    for fact_id, (_, entry, texts) in second.matcher.facts.items():
        _, expected, expected_texts = first.matcher.facts[fact_id]
        assert entry == expected
        for got, want in zip(texts, expected_texts, strict=True):
            assert np.array_equal(got.questions, want.questions) and np.array_equal(got.context, want.context)
    assert second.matcher.negatives.texts == first.matcher.negatives.texts
    assert second.matcher.negatives.kinds == first.matcher.negatives.kinds and any(first.matcher.negatives.kinds)
    for got, want in zip(second.matcher.negatives.vectors, first.matcher.negatives.vectors, strict=True):
        assert np.array_equal(got, want)


def edit_sales(knowledge: Path) -> None:
    """A moderator's edit of one sheet: a word added to one of sales.yaml's answers."""
    sheet = knowledge / "facts" / "sales.yaml"
    text = sheet.read_text(encoding="utf-8")
    edited = text.replace("a vendu 10,76 millions de véhicules,", "a vendu 10,76 millions de véhicules (record),", 1)
    assert edited != text
    sheet.write_text(edited, encoding="utf-8")


def test_an_edited_sheet_misses_the_entry_and_only_that_sheet_is_analysed(knowledge_copy, tmp_path, analysed):
    folder = tmp_path / "cache"
    load(knowledge_copy, folder)
    before = entries(folder)
    edit_sales(knowledge_copy)
    analysed.clear()
    snapshot, cache = load(knowledge_copy, folder)
    assert cache.snapshot_stats == {"hits": 0, "misses": 1, "written": 1, "ignored": 0}
    assert sorted(analysed) == sorted(f.id for f in snapshot.kb.facts if f.file == "facts/sales.yaml")
    assert "(record)" in Engine(snapshot).ask("combien de voitures vendues en 2018").text
    after = entries(folder)
    assert len(after) == 1 and after != before  # the old entry removed: the folder stays bounded
    analysed.clear()
    _, cache = load(knowledge_copy, folder)
    assert cache.snapshot_stats["hits"] == 1 and analysed == []


def test_a_write_sweeps_the_temporaries_a_crash_left_and_keeps_those_under_way(knowledge_copy, tmp_path):
    import os
    import time

    folder = tmp_path / "cache"
    folder.mkdir()
    crashed = [folder / ".tmp-abc.bin", folder / ".tmp-snapshot-xyz"]
    crashed[0].write_bytes(b"half a token file")
    crashed[1].mkdir()
    (crashed[1] / "q.npy").write_bytes(b"half an array")
    under_way = folder / ".tmp-def.json"
    under_way.write_bytes(b"being written")
    two_hours_ago = time.time() - 7200
    for path in crashed:
        os.utime(path, (two_hours_ago, two_hours_ago))
    load(knowledge_copy, folder)  # a miss: the entry is written, then the folder swept
    assert not any(path.exists() for path in crashed)
    assert under_way.exists() and len(entries(folder)) == 1


def test_a_changed_out_of_scope_list_misses_the_entry(knowledge_copy, tmp_path):
    folder = tmp_path / "cache"
    load(knowledge_copy, folder)
    listed = knowledge_copy / "out_of_scope.yaml"
    text = listed.read_text(encoding="utf-8")
    added = '  - q: "quelle est la couleur préférée du PDG de Fiat ?"\n    lang: fr\n'
    listed.write_text(text.rstrip("\n") + "\n" + added, encoding="utf-8")
    snapshot, cache = load(knowledge_copy, folder)
    assert cache.snapshot_stats["misses"] == 1 and cache.snapshot_stats["written"] == 1
    assert Engine(snapshot).ask("quelle est la couleur préférée du PDG de Fiat ?").kind != "answer"


@pytest.mark.parametrize("damage", ["cut", "garbage", "pickled", "shape"])
def test_a_damaged_array_file_is_ignored_logged_once_and_rebuilt(knowledge_copy, tmp_path, analysed, caplog, damage):
    folder = tmp_path / "cache"
    first, _ = load(knowledge_copy, folder)
    (entry,) = entries(folder)
    path = entry / "q0.npy"
    if damage == "cut":
        path.write_bytes(path.read_bytes()[: path.stat().st_size // 2])
    elif damage == "garbage":
        path.write_bytes(b"\x00garbage")
    elif damage == "pickled":
        np.save(path, np.array([object()], dtype=object), allow_pickle=True)  # only readable by unpickling
    else:
        np.save(path, np.zeros((3, 5), np.float16))
    analysed.clear()
    with caplog.at_level(logging.WARNING, logger="alliance.cache"):
        second, cache = load(knowledge_copy, folder)
    warnings = [r for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warnings) == 1 and "ignored and rebuilt" in warnings[0].getMessage()
    assert cache.snapshot_stats == {"hits": 0, "misses": 1, "written": 1, "ignored": 1}
    assert analysed == []  # the sheets' own files still held every analysis
    assert answers(second) == answers(first)
    _, cache = load(knowledge_copy, folder)
    assert cache.snapshot_stats["hits"] == 1 and cache.snapshot_stats["ignored"] == 0


def test_an_entry_of_another_version_is_not_used(knowledge_copy, tmp_path, monkeypatch):
    folder = tmp_path / "cache"
    load(knowledge_copy, folder)
    (entry,) = entries(folder)
    meta = json.loads((entry / "meta.json").read_text(encoding="utf-8"))
    (entry / "meta.json").write_text(json.dumps({**meta, "version": 999}), encoding="utf-8")
    _, cache = load(knowledge_copy, folder)
    assert cache.snapshot_stats["ignored"] == 1 and cache.snapshot_stats["written"] == 1
    # Another version of the code looks under another key, and replaces the entry it cannot use.
    monkeypatch.setattr(cache_module, "CACHE_VERSION", cache_module.CACHE_VERSION + 1)
    _, cache = load(knowledge_copy, folder)
    assert cache.snapshot_stats == {"hits": 0, "misses": 1, "written": 1, "ignored": 0}
    assert len(entries(folder)) == 1 and entries(folder) != [entry]


def test_a_reload_reuses_memory_and_a_served_entry_survives_its_replacement(knowledge_copy, tmp_path):
    folder = tmp_path / "cache"
    load(knowledge_copy, folder)
    served, cache = load(knowledge_copy, folder)
    expected = answers(served)
    edit_sales(knowledge_copy)
    engine = Engine(served, loader=Loader(knowledge_copy, cache=cache))
    engine.load_next(knowledge_copy)  # writes the new entry (in the background), removing the one `served` maps
    cache.wait()
    assert cache.snapshot_stats["written"] == 1 and len(entries(folder)) == 1
    assert answers(served) == expected
    _, cache = load(knowledge_copy, folder)
    assert cache.snapshot_stats["hits"] == 1


def test_a_comment_keeps_the_analyses_and_the_entry_and_a_reload_shares_the_served_matcher(
    knowledge_copy, tmp_path, analysed
):
    """Analyses are keyed by what the facts say, not by the sheet's bytes: a comment or a layout change
    is read again (its Fact objects are new, lines may move) but analyses nothing and writes no entry."""
    folder = tmp_path / "cache"
    load(knowledge_copy, folder)
    cache = KnowledgeCache(folder)
    loader = Loader(knowledge_copy, cache=cache)
    served = Snapshot.load(knowledge_copy, loader=loader)
    before = entries(folder)
    sheet = knowledge_copy / "facts" / "sales.yaml"
    sheet.write_text("# a comment on top\n" + sheet.read_text(encoding="utf-8"), encoding="utf-8")
    analysed.clear()
    reloaded = Engine(served, loader=loader).load_next(knowledge_copy)
    cache.wait()
    assert analysed == [] and cache.snapshot_stats["written"] == 0 and entries(folder) == before
    moved = [f for f in reloaded.kb.facts if f.file == "facts/sales.yaml"]
    assert moved and all(f.line == served.kb.fact(f.id).line + 1 for f in moved)  # new facts, lines moved
    assert reloaded.matcher.vectors is served.matcher.vectors and reloaded.matcher.lexical is served.matcher.lexical
    assert all(reloaded.matcher.facts[f.id][0] is f for f in reloaded.kb.facts)  # answers cite the new facts
    assert answers(reloaded) == answers(served)
    cold, cache = load(knowledge_copy, folder)  # the next start, or a new Loader: the very entry
    assert cache.snapshot_stats == {"hits": 1, "misses": 0, "written": 0, "ignored": 0} and analysed == []
    assert answers(cold) == answers(served)


@pytest.mark.parametrize("size", [0, 3, 7, 8, 45])
def test_the_entry_header_is_written_as_json_dump_writes_it(size, monkeypatch):
    """dump_json (C's encoder, long lists a chunk at a time) writes json.dump's very bytes."""
    import io
    import json

    from engine.knowledge import cachefiles

    monkeypatch.setattr(cachefiles, "JSON_CHUNK", 7)
    ids = [f"fact-{n}" for n in range(size)]
    payload = {"version": 3, "key": 'é"x', "ids": ids, "views": 2, "empty": [], "m": {"a": [1.5, None]}}
    out = io.StringIO()
    cachefiles.dump_json(payload, out)
    assert out.getvalue() == json.dumps(payload, ensure_ascii=False)
