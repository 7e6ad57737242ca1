"""Reading a few facts' rows of a mapped matrix with pread, so that a question maps no page of it.

At a thousand articles the snapshot entry's row matrices are 380 MB of memory-mapped
files, and a question reads the rows of a few dozen facts scattered over them. Read
through the map, each fact's few kilobytes mapped whole large folios of page cache (the
kernel maps up to 2 MB around a fault, whatever the madvise): the served process's
resident memory grew by about 80 MB a question, up to the files' size. Read with
`preadv` into one buffer, the same bytes come from the page cache without being mapped
into the process. The map is still what everything else uses (a reload's views, the
entry's rewrite); only `gather` reads around it.

A map is read this way once `register`ed (the load cache's snapshot entry does it when it
maps a row file): its file is opened then, so that a later removal of the entry (a newer
one replaced it) does not stop the reads. Any other matrix is copied from memory.
"""

from __future__ import annotations

import bisect
import contextlib
import os
import weakref
from collections.abc import Sequence

import numpy as np

from engine.matching.rowparts import RowParts

#: Open descriptors of registered maps, by the map's id (a map is an ndarray: unhashable); closed with the map.
_OPEN: dict[int, int] = {}


def register(mapped: np.ndarray, descriptor: int | None = None) -> None:
    """Read this read-only file map's rows with pread from now on (nothing changes where that cannot be done).

    `descriptor`: the open file the map was made from, owned from now on (else the file is opened by name).
    """
    if not (hasattr(os, "preadv") and isinstance(mapped, np.memmap) and mapped.filename and mapped.mode == "r"):
        if descriptor is not None:
            os.close(descriptor)
        return  # (no preadv, as on Windows: the map is read as it is)
    if descriptor is None:
        try:
            descriptor = os.open(mapped.filename, os.O_RDONLY | getattr(os, "O_CLOEXEC", 0))
        except OSError:
            return
    key = id(mapped)
    _OPEN[key] = descriptor
    weakref.finalize(mapped, _close, key, descriptor)


def _close(key: int, descriptor: int) -> None:
    if _OPEN.get(key) == descriptor:
        del _OPEN[key]
    with contextlib.suppress(OSError):
        os.close(descriptor)


def _file_position(array: np.ndarray, dtype: np.dtype | None = None, dim: int | None = None) -> tuple[int, int] | None:
    """(descriptor, position in the file of its first byte) of a C-contiguous view of a registered map (of
    `dtype` and rows `dim` wide, when given: a part of another precision is not read as raw bytes)."""
    if (dtype is not None and array.dtype != dtype) or (dim is not None and array.shape[1:] != (dim,)):
        return None
    base = array.base
    while base is not None and not isinstance(base, np.memmap):
        base = getattr(base, "base", None)
    if base is None or not array.flags.c_contiguous:
        return None
    descriptor = _OPEN.get(id(base))
    if descriptor is None:
        return None
    start = array.__array_interface__["data"][0] - base.__array_interface__["data"][0]
    return descriptor, int(base.offset) + start


def gather(rows: np.ndarray | RowParts, first: Sequence[int], last: Sequence[int]) -> np.ndarray:
    """Rows `first[n]:last[n]` for each n, stacked in order: what concatenating those slices gives, the bytes
    of registered maps read with pread (each range lies within one part, as a fact's rows do)."""
    dim, dtype = rows.shape[1], rows.dtype
    sizes = [b - a for a, b in zip(first, last, strict=True)]
    out = np.empty((sum(sizes), dim), dtype=dtype)
    if not len(out):
        return out
    buffer = out.data.cast("B")
    row_bytes = dim * dtype.itemsize
    if isinstance(rows, RowParts):
        parts, starts = rows.parts, rows._starts
    else:
        parts, starts = [rows], [0, len(rows)]
    found: dict[int, tuple[int, int] | None] = {}
    at = 0
    for a, size in zip(first, sizes, strict=True):
        part = bisect.bisect_right(starts, a) - 1 if len(parts) > 1 else 0
        where = found[part] if part in found else found.setdefault(part, _file_position(parts[part], dtype, dim))
        offset = a - starts[part]
        if where is not None and size and a + size <= starts[part + 1]:
            length = size * row_bytes
            target = buffer[at * row_bytes : at * row_bytes + length]
            try:
                read = os.preadv(where[0], [target], where[1] + offset * row_bytes)
            except OSError:
                read = -1  # an I/O error: read through the map below
            if read == length:
                at += size
                continue
        # In memory, a range across parts, or a read cut short: copied (and converted) from the matrix itself.
        out[at : at + size] = rows[a : a + size]
        at += size
    return out
