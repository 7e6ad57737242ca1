"""Which facts hold each word: one array of fact positions for every word, each word's a slice of it.

At a thousand articles the postings hold 1.4 million (word, fact) pairs over 150,000 words.
As a frozenset of fact ids per word they took some 125 MB, and the scorer's arrays of
positions 20 MB more; here they are one int32 array and one table of offsets (a few MB),
memory-mapped as they are when read from the load cache's snapshot entry. A word's
positions are sorted, so two Postings holding the same pairs are equal whatever the
order of their words.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from typing import Any

import numpy as np


class Postings(Mapping[str, np.ndarray]):
    """Word -> the sorted int32 positions of the facts that hold it (a read-only view); immutable."""

    __slots__ = ("_ends", "_rows", "offsets", "positions", "words")

    def __init__(
        self, words: Sequence[str], offsets: np.ndarray, positions: np.ndarray, rows: dict[str, int] | None = None
    ) -> None:
        """`offsets[n]:offsets[n + 1]` are the positions of `words[n]` (no word without a position); `rows`:
        each word's n, when at hand (never changed afterwards: postings evolved from these may share it)."""
        self.words = tuple(words)
        self.offsets = offsets
        self.positions = positions
        self._rows = dict(zip(self.words, range(len(self.words)), strict=True)) if rows is None else rows
        self._ends: list[int] = offsets.tolist()

    @classmethod
    def build(cls, bags: Sequence[Sequence[str]]) -> Postings:
        """The postings of facts whose words, at each position, are `bags[position]` (each word once a fact)."""
        rows: dict[str, int] = {}
        row = [rows.setdefault(word, len(rows)) for bag in bags for word in bag]
        sizes = np.fromiter(map(len, bags), dtype=np.int64, count=len(bags))
        owner = np.repeat(np.arange(len(bags), dtype=np.int64), sizes)
        return cls._of_pairs(list(rows), np.array(row, dtype=np.int64), owner)

    @classmethod
    def _of_pairs(cls, words: list[str], row: np.ndarray, position: np.ndarray, ordered: int = 0) -> Postings:
        """The postings of the (row, position) pairs, words without a pair left out.

        `ordered`: how many first pairs are already sorted by word, then position (a reload's kept pairs):
        only the others are sorted, then merged in (no pair repeats, so the order is the full sort's).
        """
        span = int(position.max(initial=0)) + 1
        keys = row * span + position
        if ordered:
            rest = np.argsort(keys[ordered:], kind="stable")
            at = np.searchsorted(keys[:ordered], keys[ordered:][rest])
            order = np.insert(np.arange(ordered, dtype=np.int64), at, rest + ordered)
        else:
            order = np.argsort(keys, kind="stable")  # by word, then by position
        counts = np.bincount(row, minlength=len(words))
        present = counts > 0
        if not present.all():
            words = [w for w, kept in zip(words, present.tolist(), strict=True) if kept]
        offsets = np.concatenate(([0], np.cumsum(counts[present]))).astype(np.int64)
        return cls(words, offsets, position[order].astype(np.int32))

    def evolve(
        self,
        moved: np.ndarray,
        added: Sequence[tuple[int, Sequence[str]]],
        removed: Sequence[tuple[int, Sequence[str]]] | None = None,
    ) -> Postings:
        """These postings with each fact at its new position (`moved[old]`, -1 for a fact taken out) and the
        `added` facts (new position, words) put in; this one is left as it was. `removed`: the (old position,
        words) of the facts taken out, when known (an edit is then spliced in: see `_spliced`)."""
        if removed is not None:
            spliced = self._spliced(moved, added, removed)
            if spliced is not None:
                return spliced
        rows = dict(self._rows)
        row = [rows.setdefault(word, len(rows)) for _, bag in added for word in bag]
        old_row = np.repeat(np.arange(len(self.words), dtype=np.int64), np.diff(self.offsets))
        now = moved[self.positions]
        kept = now >= 0
        sizes = np.fromiter((len(bag) for _, bag in added), dtype=np.int64, count=len(added))
        places = np.repeat(np.fromiter((p for p, _ in added), dtype=np.int64, count=len(added)), sizes)
        kept_now = now[kept].astype(np.int64)
        # Kept facts in their old relative order (an edit): their pairs stay sorted, only the added ones are sorted.
        survivors = moved[moved >= 0]
        ordered = len(kept_now) if bool((survivors[1:] > survivors[:-1]).all()) else 0
        return self._of_pairs(
            list(rows),
            np.concatenate((old_row[kept], np.array(row, dtype=np.int64))),
            np.concatenate((kept_now, places)),
            ordered,
        )

    def _spliced(
        self,
        moved: np.ndarray,
        added: Sequence[tuple[int, Sequence[str]]],
        removed: Sequence[tuple[int, Sequence[str]]],
    ) -> Postings | None:
        """What `evolve` gives (the same words, offsets and positions), when every kept fact stays where it
        was (an edit): the positions copied in runs, only the rows of the removed and added facts' words
        made again (sorting a thousand articles' 1.4 million pairs again, and its temporaries, cost a reload
        0.2 s). None when kept facts move, or `removed` is not what these postings hold."""
        count = len(moved)
        if count and not bool(((moved == np.arange(count)) | (moved < 0)).all()):
            return None
        if {p for p, _ in removed} != set(np.flatnonzero(moved < 0).tolist()):
            return None
        rows, words, ends = self._rows, self.words, self._ends
        taken: dict[int, list[int]] = {}
        for position, bag in removed:
            for word in bag:
                row = rows.get(word)
                if row is None:
                    return None
                taken.setdefault(row, []).append(position)
        new: dict[str, int] = {}  # words no fact held, each a row after the others, in the order first met
        put: dict[int, list[int]] = {}
        for position, bag in added:
            for word in bag:
                row = rows.get(word)
                if row is None:
                    row = new.setdefault(word, len(words) + len(new))
                put.setdefault(row, []).append(position)
        sizes = np.diff(self.offsets)
        pieces: list[np.ndarray] = []
        start = 0  # the first row not copied yet
        for row in sorted({*taken, *(r for r in put if r < len(words))}):
            held = self.positions[ends[row] : ends[row + 1]]
            if row in taken:
                kept = ~np.isin(held, taken[row])
                if len(held) - int(kept.sum()) != len(taken[row]):
                    return None  # a removed fact's word these postings do not list at its position
                held = held[kept]
            if row in put:
                held = np.sort(np.concatenate((held, np.array(put[row], dtype=np.int32))))
            pieces += [self.positions[ends[start] : ends[row]], held]
            sizes[row] = len(held)
            start = row + 1
        pieces.append(self.positions[ends[start] :])
        pieces += [np.array(sorted(put[row]), dtype=np.int32) for row in new.values()]
        sizes = np.concatenate((sizes, [len(put[row]) for row in new.values()])).astype(np.int64)
        positions = np.concatenate(pieces).astype(np.int32, copy=False)
        present = sizes > 0
        offsets = np.concatenate(([0], np.cumsum(sizes[present]))).astype(np.int64)
        if not present.all():  # a word no fact holds any more: the rows after it move up
            everything = [*words, *new]
            return Postings(
                [w for w, kept in zip(everything, present.tolist(), strict=True) if kept], offsets, positions
            )
        if new:
            return Postings((*words, *new), offsets, positions, {**rows, **new})
        return Postings(words, offsets, positions, rows)

    def sizes(self) -> dict[str, int]:
        """How many facts hold each word."""
        return dict(zip(self.words, np.diff(self.offsets).tolist(), strict=True))

    def __getitem__(self, word: str) -> np.ndarray:
        row = self._rows[word]
        return self.positions[self._ends[row] : self._ends[row + 1]]

    def get(self, word: str, default: Any = None) -> Any:
        row = self._rows.get(word)
        return default if row is None else self.positions[self._ends[row] : self._ends[row + 1]]

    def __contains__(self, word: object) -> bool:
        return word in self._rows

    def __iter__(self) -> Iterator[str]:
        return iter(self.words)

    def __len__(self) -> int:
        return len(self.words)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Postings):
            return NotImplemented
        return self._rows.keys() == other._rows.keys() and all(np.array_equal(self[w], other[w]) for w in self.words)

    __hash__ = None  # type: ignore[assignment]
