"""Rows summed run by run, bit for bit as numpy's `add.reduceat` sums them, several times faster.

A text's vector is the sum of its words' (or tokens') rows: thousands of short runs when the
known out-of-scope questions are read at start, two for each question. `reduceat` adds each
column of a run on its own; adding whole rows in the very same order gives the same bits,
so vectors, similarities and answers do not change.
"""

from __future__ import annotations

import numpy as np


def run_sums(rows: np.ndarray, starts: np.ndarray, sizes: np.ndarray) -> np.ndarray:
    """The sum of each run of rows, bit for bit `np.add.reduceat(rows, starts, axis=0)` (runs not empty).

    reduceat adds each column of a run on its own (a run's first row plus numpy's pairwise
    sum of the others), several times slower than adding whole rows: here runs of the same
    length are added together, row by row, in that very order, so vectors (and answers) stay
    exactly what they were.
    """
    out = np.empty((len(starts), rows.shape[1]), dtype=rows.dtype)
    if len(starts) <= FEW_RUNS:
        for n, (start, size) in enumerate(zip(starts.tolist(), sizes.tolist(), strict=True)):
            out[n] = rows[start] + _pairwise(rows[start + 1 : start + size][None])[0]
        return out
    for size in np.unique(sizes).tolist():
        picked = np.flatnonzero(sizes == size)
        first = starts[picked]
        out[picked] = rows[first] + _pairwise(rows[first[:, None] + np.arange(1, size)])
    return out


def gathered_run_sums(table: np.ndarray, ids: np.ndarray, starts: np.ndarray, sizes: np.ndarray) -> np.ndarray:
    """`run_sums(table[ids], starts, sizes)`, bit for bit, without making `table[ids]`.

    A sheet's bags hold hundreds of thousands of words but only a few thousand distinct
    ones: `table` holds those (weighed), `ids` says which row each word of each run is.
    Runs of one length are summed column of words by column of words, each column
    gathered from the small table as it is added, in the very order `_pairwise` adds them.
    """
    out = np.empty((len(starts), table.shape[1]), dtype=table.dtype)
    for size in np.unique(sizes).tolist():
        picked = np.flatnonzero(sizes == size)
        first = starts[picked]
        if size - 1 > _PAIRWISE_BLOCK:  # rare (a long quote): summed as run_sums does
            out[picked] = table[ids[first]] + _pairwise(table[ids[first[:, None] + np.arange(1, size)]])
        else:
            out[picked] = table[ids[first]] + _pairwise_gathered(table, ids, first + 1, size - 1)
    return out


def _pairwise_gathered(table: np.ndarray, ids: np.ndarray, first: np.ndarray, n: int) -> np.ndarray:
    """`_pairwise` of the runs of `n` rows of `table[ids]` starting at `first` (n <= _PAIRWISE_BLOCK)."""
    total = np.zeros((len(first), table.shape[1]), dtype=table.dtype)
    if n < 8:
        for i in range(n):
            total += table[ids[first + i]]
        return total
    acc = [table[ids[first + j]] for j in range(8)]  # fresh arrays: the gathers copy
    i = 8
    while i < n - n % 8:
        for j in range(8):
            acc[j] += table[ids[first + i + j]]
        i += 8
    low = (acc[0] + acc[1]) + (acc[2] + acc[3])
    total = low + ((acc[4] + acc[5]) + (acc[6] + acc[7]))
    for j in range(i, n):
        total += table[ids[first + j]]
    return np.asarray(total)


#: Up to this many runs, they are summed one by one (grouping them by length costs more than it saves).
FEW_RUNS = 4
#: numpy's pairwise summation: blocks of this many values are added with 8 running sums.
_PAIRWISE_BLOCK = 128


def _pairwise(group: np.ndarray) -> np.ndarray:
    """Sum (k, n, d) over its second axis in the order of numpy's pairwise summation (`pairwise_sum`)."""
    k, n, d = group.shape
    if n < 8:
        total = np.zeros((k, d), dtype=group.dtype)
        for i in range(n):
            total += group[:, i]
        return total
    if n <= _PAIRWISE_BLOCK:
        acc = group[:, :8].copy()
        i = 8
        while i < n - n % 8:
            acc += group[:, i : i + 8]
            i += 8
        low = (acc[:, 0] + acc[:, 1]) + (acc[:, 2] + acc[:, 3])
        total = low + ((acc[:, 4] + acc[:, 5]) + (acc[:, 6] + acc[:, 7]))
        for j in range(i, n):
            total += group[:, j]
        return np.asarray(total)
    half = n // 2
    half -= half % 8
    return np.asarray(_pairwise(group[:, :half]) + _pairwise(group[:, half:]))
