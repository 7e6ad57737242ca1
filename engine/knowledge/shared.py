"""What this process already holds of the load cache's files, handed to the next load instead of decoded again.

A full reload (a new Loader over the same folder and cache) would read every sheet's file
and the snapshot entry again, and hold a second copy of the facts and their analyses beside
the served ones until the swap: at a thousand articles, seconds and hundreds of megabytes.
What was read from (or written to) a file is kept here with the file's identity (inode,
modification time, size) and the key it was stored under; a load asking for that very key
of that very file gets the same immutable objects. A file rewritten, replaced or removed
since has another identity, and is read as before. One value per file path, replaced by
the next: bounded like the cache folder itself. A new process starts with nothing here.
"""

from __future__ import annotations

import threading
from pathlib import Path

_lock = threading.Lock()
#: Per slot (a file's path, or one for a folder's snapshot entry): the file, its identity, the key, the value.
_held: dict[Path, tuple[Path, tuple[int, int, int], str, object]] = {}


def identity(path: Path) -> tuple[int, int, int] | None:
    """The file's (inode, modification time, size), or None when it cannot be seen."""
    try:
        found = path.stat()
    except OSError:
        return None
    return found.st_ino, found.st_mtime_ns, found.st_size


def remember(path: Path, key: str, value: object, slot: Path | None = None) -> None:
    """Keep `value`, read from or just written to `path` under `key`, for the next load that asks for it,
    in `slot` (default: the path itself), replacing what the slot held."""
    found = identity(path)
    with _lock:
        if found is None:
            _held.pop(slot or path, None)
        else:
            _held[slot or path] = (path, found, key, value)


def recall(path: Path, key: str, slot: Path | None = None) -> object | None:
    """What `remember` kept for `path` under `key`, if the file is still the one it was read from or written to."""
    with _lock:
        held = _held.get(slot or path)
    if held is None or held[0] != path or held[2] != key or identity(path) != held[1]:
        return None
    return held[3]


def forget() -> None:
    """Drop everything kept (what a new process starts with)."""
    with _lock:
        _held.clear()
