"""What a reload shares with the snapshot it replaces: the facts and analyses in memory, the kept rows' pages."""

from __future__ import annotations

import json

import numpy as np
import pytest

from engine.answering import Engine, Snapshot
from engine.knowledge import shared
from engine.knowledge.cache import KnowledgeCache
from engine.knowledge.loader import Loader
from engine.matching import factvectors
from engine.matching.rowparts import RowParts
from tests.engine.test_cache import load
from tests.engine.test_snapshot_cache import answers, entries


def test_a_full_reload_shares_the_served_facts_and_analyses(knowledge_copy, tmp_path):
    """A new Loader and cache over the same folders (a full reload) get what the served snapshot was read from."""
    folder = tmp_path / "cache"
    load(knowledge_copy, folder)
    served, _ = load(knowledge_copy, folder)
    cache = KnowledgeCache(folder)
    again = Snapshot.load(knowledge_copy, loader=Loader(knowledge_copy, cache=cache))
    assert cache.snapshot_stats["hits"] == 1 and cache.stats["hits"] == len(list((knowledge_copy / "facts").glob("*")))
    assert all(a is b for a, b in zip(again.kb.facts, served.kb.facts, strict=True))  # the very facts
    assert again.matcher.vectors is served.matcher.vectors and again.matcher._index is served.matcher._index
    assert answers(again) == answers(served)


def test_a_file_rewritten_since_is_read_again_not_taken_from_memory(knowledge_copy, tmp_path):
    folder = tmp_path / "cache"
    load(knowledge_copy, folder)
    served, _ = load(knowledge_copy, folder)
    (entry,) = entries(folder)
    meta = json.loads((entry / "meta.json").read_text(encoding="utf-8"))
    (entry / "meta.json").write_text(json.dumps({**meta, "version": 999}), encoding="utf-8")  # another identity
    cache = KnowledgeCache(folder)
    again = Snapshot.load(knowledge_copy, loader=Loader(knowledge_copy, cache=cache))
    assert cache.snapshot_stats["ignored"] == 1 and cache.snapshot_stats["written"] == 1
    assert again.matcher.vectors is not served.matcher.vectors and answers(again) == answers(served)


def test_a_new_process_holds_nothing(knowledge_copy, tmp_path):
    folder = tmp_path / "cache"
    load(knowledge_copy, folder)
    served, _ = load(knowledge_copy, folder)
    shared.forget()
    again = Snapshot.load(knowledge_copy, loader=Loader(knowledge_copy, cache=KnowledgeCache(folder)))
    assert again.kb.facts == served.kb.facts and again.kb.facts[0] is not served.kb.facts[0]


def test_a_large_base_reload_keeps_rows_as_views_and_writes_the_entry_a_fresh_build_reads(
    knowledge_copy, tmp_path, monkeypatch
):
    """Searched through centroids (a large base), a one-fact edit keeps every other fact's rows where they were,
    mapped from the served entry, and the entry it writes is the one a cold start after the edit would build."""
    monkeypatch.setattr(factvectors, "EXACT_ROWS", 0)
    folder = tmp_path / "cache"
    load(knowledge_copy, folder)
    cache = KnowledgeCache(folder)
    loader = Loader(knowledge_copy, cache=cache)
    served = Snapshot.load(knowledge_copy, loader=loader)
    sheet = knowledge_copy / "facts" / "board.yaml"  # a sheet in the middle: kept facts on both sides
    text = sheet.read_text(encoding="utf-8")
    edited = text.replace("keywords: [cree,", "keywords: [fondation, cree,", 1)
    assert edited != text
    sheet.write_text(edited, encoding="utf-8")
    reloaded = Engine(served, loader=loader).load_next(knowledge_copy)
    cache.wait()
    assert cache.snapshot_stats["written"] == 1
    changed = {f.id for f in reloaded.kb.facts if f != served.kb.fact(f.id)}
    assert changed and all(reloaded.kb.fact(i).file == "facts/board.yaml" for i in changed)
    old, new = served.matcher.vectors, reloaded.matcher.vectors
    assert old is not None and new is not None
    rows = new[0].arrays()["q"]
    assert isinstance(rows, RowParts) and len(rows.parts) >= 3  # kept, changed, kept
    for fact_id in served.matcher.order:
        if fact_id not in changed:
            kept = reloaded.matcher.facts[fact_id][2][0].questions
            assert np.shares_memory(kept, old[0].arrays()["q"])  # a view of the served rows, not a copy
    cold, cache = load(knowledge_copy, folder)
    assert cache.snapshot_stats["hits"] == 1
    fresh = Snapshot.load(knowledge_copy)
    assert cold.matcher.vectors is not None and fresh.matcher.vectors is not None
    for got, want in zip(cold.matcher.vectors, fresh.matcher.vectors, strict=True):
        for name, array in want.arrays().items():
            assert np.array_equal(got.arrays()[name], array), name
    assert answers(cold) == answers(fresh) == answers(reloaded)


@pytest.mark.parametrize("start, stop", [(0, 5), (3, 9), (5, 5), (2, 12), (11, 12)])
def test_row_parts_slice_like_the_stacked_matrix(start, stop, tmp_path):
    matrix = np.arange(12 * 3, dtype=np.float16).reshape(12, 3)
    parts = RowParts([matrix[:5], matrix[5:9], matrix[9:]])
    assert np.array_equal(parts[start:stop], matrix[start:stop])
    assert np.array_equal(np.concatenate(parts.views(start, stop) or [matrix[:0]]), matrix[start:stop])
    np.save(tmp_path / "m.npy", matrix)
    mapped = np.load(tmp_path / "m.npy", mmap_mode="r")
    RowParts([mapped[:5], np.ascontiguousarray(matrix[5:9]), mapped[9:]]).save(str(tmp_path / "parts.npy"))
    assert np.array_equal(np.load(tmp_path / "parts.npy", allow_pickle=False), matrix)


def test_a_reload_that_changes_no_word_keeps_the_speller_and_one_that_adds_a_word_makes_a_new_one(knowledge_copy):
    loader = Loader(knowledge_copy)
    served = Snapshot.load(knowledge_copy, loader=loader)
    sheet = knowledge_copy / "facts" / "sales.yaml"
    text = sheet.read_text(encoding="utf-8")
    sheet.write_text(text.replace("keywords: [", "keywords: [ventes, ", 1), encoding="utf-8")  # a word it has
    same = Snapshot.load(knowledge_copy, loader=loader, previous=served)
    assert same.kb.facts != served.kb.facts and same.matcher.speller is served.matcher.speller
    sheet.write_text(text.replace("keywords: [", "keywords: [zorglubissime, ", 1), encoding="utf-8")
    grown = Snapshot.load(knowledge_copy, loader=loader, previous=same)
    assert grown.matcher.speller is not same.matcher.speller and "zorglubissime" in grown.matcher.speller.known
    assert grown.matcher.words("zorglubisime") == ["zorglubissime"]  # corrected towards the new word
    assert same.matcher.words("zorglubisime") == ["zorglubisime"]


def test_what_is_held_is_bounded_to_the_last_folders_used(tmp_path):
    shared.forget()
    files = []
    for n in range(shared.MAX_FOLDERS + 2):
        path = tmp_path / f"cache{n}" / "sheet-a.json"
        path.parent.mkdir()
        path.write_text("{}", encoding="utf-8")
        shared.remember(path, "k", n)
        files.append(path)
    assert [shared.recall(p, "k") for p in files] == [None, None, *range(2, shared.MAX_FOLDERS + 2)]
    assert shared.recall(files[-1], "another key") is None


def test_a_renamed_sheet_is_not_held_under_its_old_name_after_the_next_load(knowledge_copy, tmp_path):
    """What the process holds of a sheet's cache file goes once the sheet is gone from the folder."""
    folder = tmp_path / "cache"
    load(knowledge_copy, folder)
    held = lambda: {s.name for s in shared._held.get(folder, {}) if s.name.startswith("sheet-")}  # noqa: E731
    assert any("ghosn" in name for name in held())
    (knowledge_copy / "facts" / "ghosn.yaml").rename(knowledge_copy / "facts" / "affair.yaml")
    Loader(knowledge_copy, cache=KnowledgeCache(folder)).load()
    assert any("affair" in name for name in held()) and not any("ghosn" in name for name in held())


def test_a_large_base_writes_its_entry_at_every_reload_not_only_the_first(knowledge_copy, tmp_path, monkeypatch):
    """The second edit's kept rows map the first edit's entry... whose predecessor was removed meanwhile."""
    monkeypatch.setattr(factvectors, "EXACT_ROWS", 0)
    folder = tmp_path / "cache"
    load(knowledge_copy, folder)
    shared.forget()  # a new process: the served rows are mapped from the entry's files
    cache = KnowledgeCache(folder)
    loader = Loader(knowledge_copy, cache=cache)
    engine = Engine(Snapshot.load(knowledge_copy, loader=loader), loader=loader)
    sheet = knowledge_copy / "facts" / "board.yaml"
    for n, word in enumerate(("fondation", "naissance", "lancement"), start=1):
        text = sheet.read_text(encoding="utf-8")
        sheet.write_text(text.replace("keywords: [", f"keywords: [{word}, ", 1), encoding="utf-8")
        engine.swap(engine.load_next(knowledge_copy))
        cache.wait()
        assert cache.snapshot_stats["written"] == n
    cold, cache = load(knowledge_copy, folder)
    assert cache.snapshot_stats["hits"] == 1 and answers(cold) == answers(Snapshot.load(knowledge_copy))
