"""A mapped matrix's rows read with pread: the very rows, from the file, and the served snapshot reads that way."""

from __future__ import annotations

import os

import numpy as np
import pytest

from engine.answering import Engine, Snapshot
from engine.knowledge import shared
from engine.knowledge.cache import KnowledgeCache
from engine.knowledge.loader import Loader
from engine.matching import factvectors, filerows
from engine.matching.rowparts import RowParts

pytestmark = pytest.mark.skipif(not hasattr(os, "preadv"), reason="no preadv on this system")


def _mapped(tmp_path, rows: np.ndarray, name: str = "rows.npy") -> np.ndarray:
    path = tmp_path / name
    np.save(path, rows)
    mapped = np.load(path, mmap_mode="r", allow_pickle=False)
    filerows.register(mapped, os.open(path, os.O_RDONLY))
    return mapped.view(np.ndarray)


def _rows(count: int, seed: int = 0) -> np.ndarray:
    return np.random.default_rng(seed).standard_normal((count, 8)).astype(np.float16)


def test_gather_gives_the_slices_stacked(tmp_path):
    rows = _rows(50)
    mapped = _mapped(tmp_path, rows)
    first, last = [40, 3, 3, 10], [45, 9, 3, 11]  # out of order, an empty range
    want = np.concatenate([rows[a:b] for a, b in zip(first, last, strict=True)])
    for matrix in (mapped, rows):  # registered map, plain memory
        got = filerows.gather(matrix, first, last)
        assert got.dtype == rows.dtype and np.array_equal(got, want)
    assert filerows.gather(mapped, [], []).shape == (0, 8)


def test_a_registered_map_is_read_from_its_file_not_through_the_map(tmp_path):
    rows = _rows(20)
    mapped = _mapped(tmp_path, rows)
    # Point the map's descriptor at a file of other rows: what gather returns comes from the descriptor.
    other = tmp_path / "other.npy"
    np.save(other, -rows)
    descriptor = os.open(other, os.O_RDONLY)
    key = next(k for k, d in filerows._OPEN.items() if os.path.samefile(f"/proc/self/fd/{d}", tmp_path / "rows.npy"))
    own, filerows._OPEN[key] = filerows._OPEN[key], descriptor
    try:
        assert np.array_equal(filerows.gather(mapped, [2], [5]), -rows[2:5])
    finally:
        filerows._OPEN[key] = own
        os.close(descriptor)
    assert np.array_equal(filerows.gather(mapped, [2], [5]), rows[2:5])


def test_a_removed_file_is_still_read(tmp_path):
    rows = _rows(30)
    mapped = _mapped(tmp_path, rows)
    (tmp_path / "rows.npy").unlink()  # a newer snapshot entry replaced this one
    assert np.array_equal(filerows.gather(mapped, [7, 0], [12, 2]), np.concatenate([rows[7:12], rows[0:2]]))


def test_row_parts_of_maps_and_memory(tmp_path):
    kept, made = _rows(12, seed=1), _rows(5, seed=2)
    mapped = _mapped(tmp_path, kept)
    parts = RowParts([mapped[0:6], made, mapped[6:12]])
    whole = np.concatenate([kept[0:6], made, kept[6:12]])
    first, last = [14, 0, 6, 9], [17, 4, 11, 11]  # each range within one part
    want = np.concatenate([whole[a:b] for a, b in zip(first, last, strict=True)])
    assert np.array_equal(filerows.gather(parts, first, last), want)


def test_a_map_is_unregistered_and_its_file_closed_when_it_goes(tmp_path):
    path = tmp_path / "rows.npy"
    np.save(path, _rows(4))
    mapped = np.load(path, mmap_mode="r", allow_pickle=False)
    before = len(filerows._OPEN)
    filerows.register(mapped, os.open(path, os.O_RDONLY))
    descriptor = filerows._OPEN[id(mapped)]
    assert len(filerows._OPEN) == before + 1
    del mapped
    assert len(filerows._OPEN) == before
    with pytest.raises(OSError):
        os.fstat(descriptor)


def test_a_start_from_the_load_cache_reads_rows_with_pread_and_answers_the_same(knowledge_copy, tmp_path, monkeypatch):
    monkeypatch.setattr(factvectors, "EXACT_ROWS", 0)  # a large base: searched through centroids, rows looked up
    Snapshot.load(knowledge_copy, loader=Loader(knowledge_copy, cache=KnowledgeCache(tmp_path / "cache")))
    shared.forget()  # as a new process
    cache = KnowledgeCache(tmp_path / "cache")
    served = Snapshot.load(knowledge_copy, loader=Loader(knowledge_copy, cache=cache))
    assert cache.snapshot_stats["hits"] == 1
    assert served.matcher.vectors is not None
    for view in served.matcher.vectors:
        for rows in (view._q, view._c):
            assert filerows._file_position(rows, rows.dtype, rows.shape[1]) is not None
    fresh = Snapshot.load(knowledge_copy)  # built in memory, no cache
    questions = [case.q for case in served.kb.eval_questions]
    got, want = Engine(served), Engine(fresh)
    for question in questions:
        a, b = got.ask(question), want.ask(question)
        assert (a.kind, a.text, a.score, a.suggestions) == (b.kind, b.text, b.score, b.suggestions), question


def test_a_range_across_parts_and_a_part_of_another_precision_are_copied_from_the_matrix(tmp_path):
    kept = np.arange(8 * 4, dtype=np.float32).reshape(8, 4)  # a small base's rows: single precision
    made = -np.arange(3 * 4, dtype=np.float16).reshape(3, 4)
    parts = RowParts([made, _mapped(tmp_path, kept)])  # the first part's precision is the matrix's
    whole = np.concatenate([made, kept.astype(np.float16)])
    first, last = [0, 3, 1], [3, 11, 5]  # the last range crosses from one part into the other
    want = np.concatenate([whole[a:b] for a, b in zip(first, last, strict=True)])
    assert np.array_equal(filerows.gather(parts, first, last), want)


def test_a_failing_read_is_read_through_the_map(tmp_path):
    rows = _rows(10)
    mapped = _mapped(tmp_path, rows)
    key = next(k for k, d in filerows._OPEN.items() if os.path.samefile(f"/proc/self/fd/{d}", tmp_path / "rows.npy"))
    own = filerows._OPEN[key]
    closed = os.open(tmp_path / "rows.npy", os.O_RDONLY)
    os.close(closed)  # a descriptor no longer open: preadv fails with EBADF
    filerows._OPEN[key] = closed
    try:
        assert np.array_equal(filerows.gather(mapped, [1, 6], [4, 9]), np.concatenate([rows[1:4], rows[6:9]]))
    finally:
        filerows._OPEN[key] = own
