"""Reading a few facts' rows of a mapped matrix with pread, so that a question maps no page of it.

At a thousand articles the snapshot entry's row matrices are 380 MB of memory-mapped
files, and a question reads the rows of a few dozen facts scattered over them. Read
through the map, each fact's few kilobytes mapped whole large folios of page cache (the
kernel maps up to 2 MB around a fault, whatever the madvise): the served process's
resident memory grew by about 80 MB a question, up to the files' size. Read with
`preadv` into one buffer, the same bytes come from the page cache without being mapped
into the process. The map is still what everything else uses (a reload's views, the
entry's rewrite); only `gather` reads around it.

A map is read this way once `register`ed with the open file it was made from (the load
cache's snapshot entry does it when it maps a row file), so that a later removal of the
entry (a newer one replaced it) does not stop the reads. Any other matrix is copied from memory.
"""

from __future__ import annotations

import bisect
import contextlib
import os
import weakref
from collections.abc import Sequence

import numpy as np

from engine.matching.rowparts import RowParts, map_position

#: Open descriptors of registered maps, by the map's id (a map is an ndarray: unhashable); closed with the map.
_OPEN: dict[int, int] = {}


def register(mapped: np.ndarray, descriptor: int) -> None:
    """Read this read-only file map's rows with pread from now on; `descriptor`, the open file it was made from,
    is owned from now on (closed here where pread cannot be used, as on Windows: the map is read as it is)."""
    if not (hasattr(os, "preadv") and isinstance(mapped, np.memmap) and mapped.mode == "r"):
        os.close(descriptor)
        return
    key = id(mapped)
    _OPEN[key] = descriptor
    weakref.finalize(mapped, _close, key, descriptor)


def _close(key: int, descriptor: int) -> None:
    if _OPEN.get(key) == descriptor:
        del _OPEN[key]
    with contextlib.suppress(OSError):
        os.close(descriptor)


def _file_position(array: np.ndarray, dtype: np.dtype, dim: int) -> tuple[int, int] | None:
    """(descriptor, position in the file of its first byte) of a view of a registered map, of `dtype` and rows
    `dim` wide (a part of another precision is not read as raw bytes)."""
    if array.dtype != dtype or array.shape[1:] != (dim,):
        return None
    found = map_position(array)
    descriptor = _OPEN.get(id(found[0])) if found is not None else None
    return (descriptor, found[1]) if found is not None and descriptor is not None else None


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
        if part not in found:
            found[part] = _file_position(parts[part], dtype, dim)
        where = found[part]
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
