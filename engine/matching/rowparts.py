"""A matrix of fact rows held as parts: views of the matrices a reload kept, and the rows it made.

A reload that changes a few facts of a large base used to copy every kept row into new
matrices (760 MB at a thousand articles, read from the mapped snapshot entry: seconds, and
twice the memory). Kept rows are now views of the served matrices, in runs; only the
changed facts' rows are new. Each fact's rows lie in one part, so slicing a fact's rows
(all a large base's search does) stays a view. Writing a RowParts to a .npy file copies
the parts that map a file from that file, so the served pages are not read into memory.
"""

from __future__ import annotations

import bisect
from collections.abc import Sequence
from typing import BinaryIO

import numpy as np

#: Bytes copied at a time from a mapped file.
_COPY = 16 * 1024 * 1024


class RowParts:
    """Rows stacked as parts (each a 2-D array of the same width and type); slices within one part are views."""

    def __init__(self, parts: Sequence[np.ndarray]) -> None:
        self.parts = [p for p in parts if len(p)] or list(parts[:1])
        sizes = [len(p) for p in self.parts]
        self._starts = [0, *np.cumsum(sizes).tolist()]
        first = self.parts[0]
        self.dtype = first.dtype
        self.shape = (self._starts[-1], *first.shape[1:])
        self.ndim = len(self.shape)

    def __len__(self) -> int:
        return int(self._starts[-1])

    def __matmul__(self, vector: np.ndarray) -> np.ndarray:
        """Every row's product with `vector`, as the stacked matrix's."""
        return np.concatenate([part @ vector for part in self.parts])

    def __getitem__(self, rows: slice) -> np.ndarray:
        """Rows `start:stop` (a fact's: within one part, a view of it)."""
        start, stop, _ = rows.indices(len(self))
        part = max(0, bisect.bisect_right(self._starts, start) - 1)
        part = min(part, len(self.parts) - 1)
        offset = self._starts[part]
        if stop > self._starts[part + 1]:
            return np.concatenate(self.views(start, stop))
        return self.parts[part][start - offset : stop - offset]

    def views(self, start: int, stop: int) -> list[np.ndarray]:
        """Rows `start:stop` as views, one for each part they cross."""
        found = []
        part = max(0, bisect.bisect_right(self._starts, start) - 1)
        while start < stop and part < len(self.parts):
            end = min(stop, self._starts[part + 1])
            if end > start:
                offset = self._starts[part]
                found.append(self.parts[part][start - offset : end - offset])
            start, part = end, part + 1
        return found

    def __array__(self, dtype: np.dtype | None = None, copy: bool | None = None) -> np.ndarray:
        whole = np.concatenate(self.parts)
        return whole if dtype is None else whole.astype(dtype)

    def save(self, path: str) -> None:
        """Write the rows as one .npy file (what np.save of the stacked matrix writes)."""
        with open(path, "wb") as out:
            header = {"descr": np.lib.format.dtype_to_descr(self.dtype), "fortran_order": False, "shape": self.shape}
            np.lib.format.write_array_header_1_0(out, header)
            for part in self.parts:
                _write(out, part)


def views(rows: np.ndarray | RowParts, start: int, stop: int) -> list[np.ndarray]:
    """Rows `start:stop` of a matrix or a RowParts, as views."""
    if isinstance(rows, RowParts):
        return rows.views(start, stop)
    return [rows[start:stop]]


def map_position(part: np.ndarray) -> tuple[np.memmap, int] | None:
    """The read-only file map `part` is a contiguous view of, and the position in its file of `part`'s first
    byte (a copy-on-write mapping may hold other bytes than its file's: None)."""
    base = part.base
    while base is not None and not isinstance(base, np.memmap):
        base = getattr(base, "base", None)
    if base is None or not part.flags.c_contiguous or base.filename is None or base.mode != "r":
        return None
    start = part.__array_interface__["data"][0] - base.__array_interface__["data"][0]
    return base, int(base.offset) + start


def _mapped(part: np.ndarray) -> tuple[str, int] | None:
    """(file, offset) of the bytes of `part` when it is a contiguous view of a file mapped read-only."""
    found = map_position(part)
    return (str(found[0].filename), found[1]) if found is not None else None


def private_copy(array: np.ndarray) -> np.ndarray:
    """A writable copy of `array` (a new array, the same values): when it maps a file read-only, a
    copy-on-write mapping of that file, whose pages are copied only where written (a reload writes a
    few rows of the served centroids: copying them all into new memory took a quarter of a second at
    a thousand articles); else a copy in memory."""
    found = _mapped(array)
    if found is not None:
        name, at = found
        try:
            return np.memmap(name, dtype=array.dtype, mode="c", offset=at, shape=array.shape).view(np.ndarray)
        except (OSError, ValueError):  # the entry was removed since: the pages are copied below
            pass
    return np.array(array, copy=True)


def _write(out: BinaryIO, part: np.ndarray) -> None:
    """The part's bytes: from its file when it maps one (the pages stay out of this process), else its memory."""
    found = _mapped(part)
    if found is None:
        out.write(np.ascontiguousarray(part).data)
        return
    name, at = found
    left = part.nbytes
    try:
        source = open(name, "rb")  # noqa: SIM115  # closed below; a missing file takes the other path
    except FileNotFoundError:
        # The entry it maps was removed since (a later reload wrote its own): the mapping still holds the
        # pages, so they are written from it, a chunk at a time.
        view = part.data.cast("B")
        for begin in range(0, len(view), _COPY):
            out.write(view[begin : begin + _COPY])
        return
    with source:
        source.seek(at)
        while left:
            chunk = source.read(min(left, _COPY))
            if not chunk:
                raise OSError(f"{name} is shorter than its mapped rows")
            out.write(chunk)
            left -= len(chunk)
