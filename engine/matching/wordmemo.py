"""The knowledge's word vectors, remembered in one growing half-precision table.

A load encodes every sheet's texts: thousands of distinct words a sheet, most of them met
in earlier sheets. Kept as one table (a word's row number in a dict), a sheet's known words
are gathered in one numpy step, where a dict of per-word arrays had to stack them one by one.
Questions read it from other threads while a reload adds to it: a row is written before its
number is published, and a grown table holds every row of the one it replaces.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence

import numpy as np

#: Rows allocated at first, and at least each time the table grows.
FIRST_ROWS = 4096


class WordRows:
    """word -> its vector (half precision), at most `limit` words."""

    def __init__(self, dim: int, limit: int) -> None:
        self._index: dict[str, int] = {}
        self._table = np.zeros((0, dim), dtype=np.float16)
        self._count = 0
        self._limit = limit
        self._lock = threading.Lock()

    def __len__(self) -> int:
        return self._count

    def find(self, words: Sequence[str]) -> tuple[list[int | None], np.ndarray]:
        """Each word's row number (None when not kept), and the table that holds those rows."""
        places = list(map(self._index.get, words))
        return places, self._table  # read after the numbers: each of them is in this table

    def add(self, words: Sequence[str], rows: np.ndarray) -> None:
        """Keep these words' rows (the words not kept yet), unless that would pass the limit."""
        with self._lock:
            index = self._index
            fresh = [n for n, w in enumerate(words) if w not in index]
            start, end = self._count, self._count + len(fresh)
            if not fresh or end > self._limit:
                return
            table = self._table
            if end > len(table):
                grown = np.empty((min(max(end, 2 * len(table), FIRST_ROWS), self._limit), table.shape[1]), table.dtype)
                grown[:start] = table[:start]
                table = grown
            table[start:end] = rows[fresh]
            self._table = table
            self._count = end
            index.update(zip((words[n] for n in fresh), range(start, end), strict=True))
