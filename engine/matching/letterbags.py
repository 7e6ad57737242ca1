"""A lower bound of the edit distance for a whole list of words at once: the letters they hold.

Correcting a typo compares it with every known word of a few lengths (rapidfuzz, in C). At a
thousand articles those lists hold tens of thousands of words each, and a question with two
typos spent 20-30 ms there. One edit (an insertion, a deletion, a substitution, a swap of two
neighbours) changes a word's letter counts by at most 2 in all, and adds at most one letter to
its set of letters and takes at most one away: words further than that, for the distance
allowed, cannot be within it. numpy rules them out (a xor and a bit count over each word's
32-bit set of letters, then the counts of the few left), and rapidfuzz compares the rest, in
their order, so the same words are found as by comparing all of them.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

#: Bins 0-25: a to z; bin 26: any other character (a coarser count still bounds the distance).
BINS = 27
#: Lists shorter than this are compared whole: the bound's pass would cost more than it saves.
FILTER_FROM = 2_000


@dataclass(frozen=True, slots=True)
class Letters:
    """The letters of a list of words of one length: each one's set (a bit mask) and counts."""

    masks: np.ndarray
    counts: np.ndarray

    @classmethod
    def of(cls, words: Sequence[str], length: int) -> Letters:
        bins = _bins(words, length)
        counts = np.zeros((len(words), BINS), dtype=np.int8)  # a word of 127 letters is no word a list holds
        rows = np.arange(len(words))
        for column in range(length):  # one character of every word at a time: no row twice in one step
            counts[rows, bins[:, column]] += 1
        masks = np.bitwise_or.reduce(np.left_shift(np.uint32(1), bins.astype(np.uint32)), axis=1, initial=0)
        return cls(np.asarray(masks, dtype=np.uint32), counts)

    def possible(self, word: str, distance: int) -> np.ndarray:
        """The positions of the words that may be within `distance` edits of `word`, in order."""
        own = Letters.of([word], len(word))
        near = np.flatnonzero(np.bitwise_count(self.masks ^ own.masks[0]) <= 2 * distance)
        gaps = np.abs(self.counts[near].astype(np.int16) - own.counts[0]).sum(axis=1)
        return np.asarray(near[gaps <= 2 * distance])


def _bins(words: Sequence[str], length: int) -> np.ndarray:
    """Each character's bin (n x length)."""
    if not words or length == 0:
        return np.zeros((len(words), length), dtype=np.intp)
    codes = np.frombuffer("".join(words).encode("utf-32-le"), dtype=np.uint32).reshape(len(words), length)
    return np.where((codes >= 97) & (codes <= 122), codes - 97, BINS - 1).astype(np.intp)
