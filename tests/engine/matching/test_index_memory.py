"""Analysed facts are stored lean: tuples of interned words for the variants, measured with tracemalloc."""

from __future__ import annotations

import gc
import sys
import tracemalloc

import pytest

from engine.knowledge.loader import load_knowledge
from engine.matching.index import analyse_fact

#: Bytes the analysis of one question variant may take at article size, all its fact's sets included
#: (870 with a frozenset per variant and words not interned; about 600 now).
BYTES_PER_VARIANT = 720


@pytest.fixture(scope="module")
def kb():
    return load_knowledge("knowledge")


def test_variants_are_tuples_of_interned_words_each_once(kb):
    for fact in kb.facts:
        entry = analyse_fact(fact, kb.lexicon)
        for tokens, _ in entry.variants:
            assert type(tokens) is tuple and len(set(tokens)) == len(tokens)
            assert all(sys.intern(t) is t for t in tokens)
        assert all(sys.intern(w) is w for w in entry.words)


def test_analysed_facts_memory_per_variant(kb):
    variants = sum(len(qs) for f in kb.facts for qs in f.questions.values())
    gc.collect()
    tracemalloc.start()
    try:
        entries = [analyse_fact(f, kb.lexicon) for f in kb.facts]
        gc.collect()
        used = tracemalloc.get_traced_memory()[0]
    finally:
        tracemalloc.stop()
    assert len(entries) == len(kb.facts)
    assert used / variants < BYTES_PER_VARIANT, f"{used / variants:.0f} bytes per variant"
