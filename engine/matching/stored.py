"""The matcher's side of the load cache's snapshot entry: its key and entry for a base, and what is stored."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from engine.knowledge.model import KnowledgeBase
from engine.lexicon import Lexicon
from engine.matching.facttexts import VIEWS
from engine.matching.index import FactEntry, Index
from engine.matching.semantic import Embedder, FactVectors

if TYPE_CHECKING:
    from engine.knowledge.cache import KnowledgeCache
    from engine.knowledge.snapshotcache import StoredSnapshot


def stored_entry(
    kb: KnowledgeBase, cache: KnowledgeCache | None, lexicon: Lexicon, embedder: Embedder | None, evolving: bool
) -> tuple[str | None, StoredSnapshot | None]:
    """The cache's snapshot key for this base (None: not storable) and its entry, unless `evolving` a
    previous matcher (a reload: what it reuses is already in memory)."""
    if cache is None or not kb.facts:
        return None, None
    model, dim = (embedder.identity, embedder.dim) if embedder is not None else (None, 0)
    key = cache.snapshot_key(kb.facts, lexicon, model, dim, kb.out_of_scope)
    if key is None or evolving:
        return key, None
    return key, cache.read_snapshot(key, [f.id for f in kb.facts], dim, len(VIEWS) if model else 0)


def snapshot_of(
    entries: list[FactEntry],
    vectors: tuple[FactVectors, ...] | None,
    negatives: tuple[tuple[np.ndarray, ...], tuple[str, ...], tuple[frozenset[str], ...]],
    index: Index,
) -> StoredSnapshot:
    """What the snapshot entry stores of a matcher just built."""
    from engine.knowledge.snapshotcache import StoredSnapshot

    return StoredSnapshot(entries, vectors or (), negatives, index)
