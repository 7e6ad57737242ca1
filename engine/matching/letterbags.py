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
from typing import Any

import numpy as np

#: Bins 0-25: a to z; bin 26: any other character (a coarser count still bounds the distance).
BINS = 27
#: Lists shorter than this are compared whole: the bound's pass would cost more than it saves.
FILTER_FROM = 2_000
#: Words longer than this are compared whole too: their counts would not fit the table's int8.
MAX_LENGTH = 127


def filterable(words: Sequence[str], length: int) -> bool:
    """Whether a list of words of `length` characters is ruled out by its letters first."""
    return len(words) >= FILTER_FROM and length <= MAX_LENGTH


@dataclass(frozen=True, slots=True)
class Letters:
    """The letters of a list of words of one length: each one's set (a bit mask) and counts."""

    masks: np.ndarray
    counts: np.ndarray

    @classmethod
    def of(cls, words: Sequence[str], length: int) -> Letters:
        """The letters of `words`, all of `length` characters (at most MAX_LENGTH: see `filterable`)."""
        if length > MAX_LENGTH:
            raise ValueError(f"words of {length} characters: the counts hold {MAX_LENGTH} at most")
        bins = _bins(words, length)
        counts, masks = _counts(bins, np.int8), _masks(bins)
        masks.flags.writeable = counts.flags.writeable = False  # shared by threads and evolved spellers
        return cls(masks, counts)

    def possible(self, word: str, distance: int) -> np.ndarray:
        """The positions of the words that may be within `distance` edits of `word` (of any length), in order."""
        bins = _bins([word], len(word))
        near = np.flatnonzero(np.bitwise_count(self.masks ^ _masks(bins)[0]) <= 2 * distance)
        gaps = np.abs(self.counts[near].astype(np.int32) - _counts(bins, np.int32)[0]).sum(axis=1)
        return np.asarray(near[gaps <= 2 * distance])


def _masks(bins: np.ndarray) -> np.ndarray:
    """Each row's set of bins as a bit mask (uint32)."""
    return np.asarray(
        np.bitwise_or.reduce(np.left_shift(np.uint32(1), bins.astype(np.uint32)), axis=1, initial=0), np.uint32
    )


def _counts(bins: np.ndarray, dtype: type[np.signedinteger[Any]]) -> np.ndarray:
    """Each row's count of each bin (n x BINS)."""
    counts = np.zeros((len(bins), BINS), dtype=dtype)
    rows = np.arange(len(bins))
    for column in range(bins.shape[1]):  # one character of every word at a time: no row twice in one step
        counts[rows, bins[:, column]] += 1
    return counts


def _bins(words: Sequence[str], length: int) -> np.ndarray:
    """Each character's bin (n x length)."""
    if not words or length == 0:
        return np.zeros((len(words), length), dtype=np.intp)
    codes = np.frombuffer("".join(words).encode("utf-32-le"), dtype=np.uint32).reshape(len(words), length)
    return np.where((codes >= 97) & (codes <= 122), codes - 97, BINS - 1).astype(np.intp)
