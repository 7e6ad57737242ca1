"""Every fact's semantic vectors stacked once, and searched with one matrix product per question.

Split from semantic.py (which turns texts into vectors): this is what the Matcher holds of
them. A FactVectors is built from each fact's blocks (stacking them and computing each
fact's centroid), or taken whole from the load cache's snapshot entry (`from_arrays`:
memory-mapped arrays, nothing stacked or computed again).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, overload

import numpy as np

from engine.matching import filerows
from engine.matching.rowparts import RowParts, private_copy, views

#: Facts with more vectors than this in all are searched through their centroids first.
EXACT_ROWS = 50_000
#: How many facts the centroid search hands to the exact one.
CENTROID_CANDIDATES = 64
#: The arrays a FactVectors is made of, as `arrays` gives them and `from_arrays` takes them.
ARRAYS = ("q", "c", "q_start", "c_start", "centroids")


def _centroids(parts: Sequence[tuple[np.ndarray, np.ndarray, np.ndarray]], dim: int) -> np.ndarray:
    """Each fact's unit mean of its rows (its question rows, then its context rows), in single precision.

    Summed row by row for all facts at once, k-th rows together: the very additions, in the
    very order, of summing each fact's stacked rows alone (so the centroids, and the facts
    the search picks through them, are those of a per-fact loop, in a few dozen numpy steps).
    """
    count = len(parts[0][1])
    total = np.zeros((count, dim), dtype=np.float32)
    for rows, starts, sizes in parts:
        for k in range(int(sizes.max(initial=0))):
            has = np.flatnonzero(sizes > k)
            total[has] += rows[starts[has] + k]
    present = np.flatnonzero(sum(sizes for _, _, sizes in parts) > 0)
    # Each norm as np.linalg.norm computes it for one row (the same rounding as the per-fact loop).
    norms = np.array([max(float(np.linalg.norm(total[i])), 1e-12) for i in present], dtype=np.float32)
    out = np.zeros((count, dim), dtype=np.float32)
    out[present] = total[present] / norms[:, None]
    return out


def _runs(reused: Sequence[int | None]) -> Iterator[tuple[int, int, int | None]]:
    """(first fact, last fact, first one's previous position) of each run of facts: reused in order from the
    previous matrix (consecutive positions), or new (position None)."""
    n, count = 0, len(reused)
    while n < count:
        first, last = reused[n], n
        while last + 1 < count and (
            reused[last + 1] is None if first is None else reused[last + 1] == first + (last + 1 - n)
        ):
            last += 1
        yield n, last, first
        n = last + 1


def _previous_rows(previous: FactVectors, name: str) -> tuple[np.ndarray | RowParts, np.ndarray]:
    """The previous matrix's question ("q") or context rows, and each fact's first row in them."""
    return (previous._q, previous._q_start) if name == "q" else (previous._c, previous._c_start)


def _stack(
    blocks: Sequence[np.ndarray],
    start: np.ndarray,
    dim: int,
    precision: type[np.floating[Any]],
    reused: Sequence[int | None],
    previous: FactVectors | None,
    name: str,
) -> np.ndarray:
    """The blocks stacked in `precision` (the very values of np.vstack then astype): each run of facts
    reused in order from `previous` copied as one slice of its rows."""
    if previous is None or all(r is None for r in reused):
        # Nothing reused (a first build): one concatenation, not a copy per fact (the same values).
        if not blocks:
            return np.empty((0, dim), dtype=precision)
        return np.concatenate(blocks, axis=0).astype(precision, copy=False)
    rows, old = _previous_rows(previous, name)
    out = np.empty((int(start[-1]), dim), dtype=precision)
    for n, last, first in _runs(reused):
        if first is None:
            for k in range(n, last + 1):
                out[start[k] : start[k + 1]] = blocks[k]
        else:
            out[start[n] : start[last + 1]] = rows[old[first] : old[first + last - n + 1]]
    return out


def _parts(
    blocks: Sequence[np.ndarray],
    start: np.ndarray,
    dim: int,
    precision: type[np.floating[Any]],
    reused: Sequence[int | None],
    previous: FactVectors,
    name: str,
) -> RowParts:
    """The rows `_stack` would give, as parts: each run of facts reused in order a view of `previous`'s rows,
    each run of other facts' blocks stacked anew."""
    rows, old = _previous_rows(previous, name)
    parts: list[np.ndarray] = []
    for n, last, first in _runs(reused):
        if first is None:
            made = np.empty((int(start[last + 1] - start[n]), dim), dtype=precision)
            for k in range(n, last + 1):
                made[start[k] - start[n] : start[k + 1] - start[n]] = blocks[k]
            parts.append(made)
        else:
            parts += views(rows, int(old[first]), int(old[first + last - n + 1]))
    return RowParts(parts or [np.empty((0, dim), dtype=precision)])


def _fresh_rows(
    blocks: Sequence[tuple[np.ndarray, np.ndarray]], dim: int, precision: type[np.floating[Any]]
) -> tuple[tuple[np.ndarray, np.ndarray, np.ndarray], ...]:
    """The (rows, starts, sizes) `_centroids` takes for these facts' (question, context) blocks alone."""
    found = []
    for kind in range(2):
        sizes = np.fromiter((len(b[kind]) for b in blocks), np.int64, len(blocks))
        starts = np.concatenate(([0], np.cumsum(sizes))).astype(np.int64)
        rows = np.empty((int(starts[-1]), dim), dtype=precision)
        for b, at, end in zip(blocks, starts[:-1].tolist(), starts[1:].tolist(), strict=True):
            rows[at:end] = b[kind]
        found.append((rows, starts[:-1], sizes))
    return found[0], found[1]


@dataclass(frozen=True, slots=True)
class FactTexts:
    """One fact's vectors in one view (half precision): each question variant; its answers, quote and keywords."""

    questions: np.ndarray
    context: np.ndarray


class FactRows(Sequence[FactTexts]):
    """One fact's FactTexts in each view (`vectors`, one FactVectors a view), made as views when asked for.

    What a matcher keeps of each fact's vectors for the next reload: at a thousand articles a
    start held 248,000 array views (15 MB, 22 MB with their FactTexts and tuples) that only a
    reload reads, and only for the facts it keeps.
    """

    __slots__ = ("_n", "_vectors")

    def __init__(self, vectors: Sequence[FactVectors], n: int) -> None:
        self._vectors = vectors
        self._n = n

    def __len__(self) -> int:
        return len(self._vectors)

    @overload
    def __getitem__(self, view: int) -> FactTexts: ...
    @overload
    def __getitem__(self, view: slice) -> Sequence[FactTexts]: ...
    def __getitem__(self, view: int | slice) -> FactTexts | Sequence[FactTexts]:
        if isinstance(view, slice):
            return [self[v] for v in range(len(self._vectors))[view]]
        return self._vectors[view].texts_of(self._n)


class FactVectors:
    """Every fact's vectors stacked once, searched with one matrix product per question."""

    #: Each fact's question rows, then its context rows, fact after fact (after a large base's reload, as parts).
    _q: np.ndarray | RowParts
    _c: np.ndarray | RowParts

    def __init__(
        self,
        blocks: Sequence[FactTexts],
        dim: int,
        previous: FactVectors | None = None,
        reused: Sequence[int | None] | None = None,
    ) -> None:
        """Stack the blocks, one per fact. With `previous` and `reused` (for each fact, its position in
        `previous` when its rows are the very ones it had there, else None), the rows of reused facts are
        copied from `previous` in runs and only the other facts' centroids computed (a reload's fast path)."""
        q_sizes = np.fromiter((len(b.questions) for b in blocks), np.int64, len(blocks))
        c_sizes = np.fromiter((len(b.context) for b in blocks), np.int64, len(blocks))
        self._q_start = np.concatenate(([0], np.cumsum(q_sizes))).astype(np.int64)
        self._c_start = np.concatenate(([0], np.cumsum(c_sizes))).astype(np.int64)
        self.size = len(blocks)
        self._exact = int(self._q_start[-1] + self._c_start[-1]) <= EXACT_ROWS
        # Facts keep their vectors in half precision (half the memory of a large base); a small
        # base is searched whole, in single precision, where BLAS is fast.
        precision = np.float32 if self._exact else np.float16
        if previous is None or reused is None:
            reused = [None] * len(blocks)
        fresh = np.array([n for n, r in enumerate(reused) if r is None], dtype=np.int64)
        parts: tuple[tuple[np.ndarray | RowParts, np.ndarray, np.ndarray], ...]
        # A reload that takes a small base past EXACT_ROWS stacks anew: its kept rows are in single precision.
        if self._exact or previous is None or len(fresh) == len(blocks) or previous._exact:
            self._q = _stack([b.questions for b in blocks], self._q_start, dim, precision, reused, previous, "q")
            self._c = _stack([b.context for b in blocks], self._c_start, dim, precision, reused, previous, "c")
            parts = (self._q, self._q_start[fresh], q_sizes[fresh]), (self._c, self._c_start[fresh], c_sizes[fresh])
        else:
            # A large base's reload: the kept rows stay where they are (views of the served matrices, rowparts.py).
            self._q = _parts([b.questions for b in blocks], self._q_start, dim, precision, reused, previous, "q")
            self._c = _parts([b.context for b in blocks], self._c_start, dim, precision, reused, previous, "c")
            parts = _fresh_rows([(b.questions, b.context) for b in (blocks[n] for n in fresh.tolist())], dim, precision)
        if previous is None or len(fresh) == len(blocks):
            self._centroids = _centroids(parts, dim)
        else:
            # A fact's centroid depends on its rows alone: the reused facts' are copied (in one block when every
            # kept fact is where it was, as after an edit, rather than gathered row by row).
            kept = np.array([n for n, r in enumerate(reused) if r is not None], dtype=np.int64)
            taken = np.array([r for r in reused if r is not None], np.int64)
            if len(blocks) == previous.size and np.array_equal(kept, taken):
                self._centroids = private_copy(previous._centroids)
            else:
                self._centroids = np.zeros((len(blocks), dim), dtype=np.float32)
                self._centroids[kept] = previous._centroids[taken]
            self._centroids[fresh] = _centroids(parts, dim)

    @classmethod
    def from_arrays(cls, arrays: Mapping[str, np.ndarray], dim: int) -> FactVectors:
        """The FactVectors whose `arrays` these are (checked for shape and type: ValueError otherwise).

        The arrays are used as they are (memory-mapped ones stay mapped: a question reads
        the centroids and the rows of a few dozen facts, not the whole matrix).
        """
        q, c, q_start, c_start, centroids = (arrays[name] for name in ARRAYS)
        size = len(centroids)
        for start, rows in ((q_start, q), (c_start, c)):
            if start.dtype != np.int64 or start.shape != (size + 1,) or rows.ndim != 2 or rows.shape[1:] != (dim,):
                raise ValueError("vector arrays of another shape")
            if size and (start[0] != 0 or start[-1] != len(rows) or (np.diff(start) < 0).any()):
                raise ValueError("row offsets that do not match the rows")
        exact = len(q) + len(c) <= EXACT_ROWS
        precision = np.float32 if exact else np.float16
        if q.dtype != precision or c.dtype != precision or centroids.dtype != np.float32:
            raise ValueError("vectors of another precision")
        if centroids.shape != (size, dim):
            raise ValueError("one centroid per fact was expected")
        self = cls.__new__(cls)
        self._q, self._c, self._q_start, self._c_start = q, c, q_start, c_start
        self._centroids, self.size, self._exact = centroids, size, exact
        return self

    def arrays(self) -> dict[str, np.ndarray | RowParts]:
        """What `from_arrays` takes back: the stacked rows, each fact's first row in them, the centroids."""
        return dict(zip(ARRAYS, (self._q, self._c, self._q_start, self._c_start, self._centroids), strict=True))

    def texts_of(self, n: int) -> FactTexts:
        """Fact n's rows, as views of the stacked matrices."""
        q, c = self._q_start, self._c_start
        return FactTexts(self._q[int(q[n]) : int(q[n + 1])], self._c[int(c[n]) : int(c[n + 1])])

    def _max_by_owner(self, scores: np.ndarray, start: np.ndarray) -> np.ndarray:
        """Each fact's best score over its rows (-1 for a fact without rows, and at least -1).

        Rows are stored fact by fact, so one `reduceat` over the facts' first rows does it
        (`maximum.at` over each row's owner gave the same, several times slower).
        """
        if not len(scores):
            return np.full(self.size, -1.0, dtype=np.float32)
        present, first = self._owners(start)
        if present is None:  # every fact has rows (the usual case): the same maxima, in fewer steps
            return np.maximum(np.maximum.reduceat(scores, first), np.float32(-1.0))
        best = np.full(self.size, -1.0, dtype=np.float32)
        best[present] = np.maximum(best[present], np.maximum.reduceat(scores, first))
        return best

    def _owners(self, start: np.ndarray) -> tuple[np.ndarray | None, np.ndarray]:
        """The facts with rows among `start`'s (None: all of them) and their first rows; worked out once a matrix."""
        key = "_owners_q" if start is self._q_start else "_owners_c"
        found: tuple[np.ndarray | None, np.ndarray] | None = self.__dict__.get(key)
        if found is None:
            present = np.flatnonzero(start[1:] > start[:-1])
            found = (None if len(present) == self.size else present, np.ascontiguousarray(start[present]))
            self.__dict__[key] = found
        return found

    def similarities(self, vector: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(fact indices, best cosine to a question variant, best cosine to the answers/quote).

        Small bases are scored whole; large ones through the facts' centroids first, so a
        question costs one product with one row a fact plus the rows of a few candidates.
        """
        if self.size == 0 or not vector.any():
            empty = np.zeros(0, dtype=np.float32)
            return np.zeros(0, dtype=np.int64), empty, empty
        if self._exact:
            q = self._max_by_owner(self._q @ vector, self._q_start)
            c = self._max_by_owner(self._c @ vector, self._c_start)
            return self._every(), q, c
        near = self._centroids @ vector
        k = min(CENTROID_CANDIDATES, self.size)
        picked = np.argpartition(-near, k - 1)[:k]
        return (
            picked,
            self._rows_max(picked, vector, self._q, self._q_start),
            self._rows_max(picked, vector, self._c, self._c_start),
        )

    @property
    def exact(self) -> bool:
        """Whether a search scores every fact (a small base), not the centroids' picks."""
        return self._exact

    def _every(self) -> np.ndarray:
        """Every fact's index (read-only, made once)."""
        found: np.ndarray | None = self.__dict__.get("_every_index")
        if found is None:
            found = np.arange(self.size)
            found.setflags(write=False)
            self.__dict__["_every_index"] = found
        return found

    def similarities_for(self, vector: np.ndarray, indices: Sequence[int]) -> tuple[np.ndarray, np.ndarray]:
        """Best cosines of the given facts only (for lexical candidates the search did not pick)."""
        picked = np.asarray(indices, dtype=np.int64)
        if not vector.any() or not len(picked):
            zeros = np.zeros(len(picked), dtype=np.float32)
            return zeros, zeros
        return self._rows_max(picked, vector, self._q, self._q_start), self._rows_max(
            picked, vector, self._c, self._c_start
        )

    @staticmethod
    def _rows_max(picked: np.ndarray, vector: np.ndarray, rows: np.ndarray | RowParts, start: np.ndarray) -> np.ndarray:
        """Each picked fact's best cosine over its rows (-1 for a fact without rows): the picked facts' rows
        gathered into one matrix, one product, one `reduceat` (a product a fact cost a Python step each)."""
        out = np.full(len(picked), -1.0, dtype=np.float32)
        first, last = start[picked], start[picked + 1]
        sizes = last - first
        present = np.flatnonzero(sizes > 0)
        if not len(present):
            return out
        # One product for all the facts: a row's product may differ from its fact's own product by the last
        # bit (BLAS groups rows as it likes), the same for every search, cache or not.
        scores = filerows.gather(rows, first[present].tolist(), last[present].tolist()) @ vector
        offsets = np.zeros(len(present), dtype=np.int64)
        np.cumsum(sizes[present][:-1], out=offsets[1:])
        out[present] = np.maximum.reduceat(scores, offsets)
        return out
