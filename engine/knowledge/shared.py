"""What this process already holds of the load cache's files, handed to the next load instead of decoded again.

A full reload (a new Loader over the same folder and cache) would read every sheet's file
and the snapshot entry again, and hold a second copy of the facts and their analyses beside
the served ones until the swap: at a thousand articles, seconds and hundreds of megabytes.
What was read from (or written to) a file is kept here with the file's identity (inode,
modification time, size) and the key it was stored under; a load asking for that very key
of that very file gets the same immutable objects. A file rewritten, replaced or removed
since has another identity, and is read as before. One value per file path, replaced by
the next: bounded like the cache folder itself, for the last MAX_FOLDERS folders used. A
new process starts with nothing here.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable
from pathlib import Path

#: Cache folders whose files are remembered at most (a process serves from one: more are a test's or a move's).
MAX_FOLDERS = 2

_lock = threading.Lock()
#: Per cache folder (most recent last), per slot (a file's path, or one for the folder's snapshot entry):
#: the file, its identity, the key, the value.
_held: dict[Path, dict[Path, tuple[Path, tuple[int, int, int], str, object]]] = {}


def identity(path: Path) -> tuple[int, int, int] | None:
    """The file's (inode, modification time, size), or None when it cannot be seen."""
    try:
        found = path.stat()
    except OSError:
        return None
    return found.st_ino, found.st_mtime_ns, found.st_size


def remember(path: Path, key: str, value: object, slot: Path | None = None) -> None:
    """Keep `value`, read from or just written to `path` under `key`, for the next load that asks for it,
    in `slot` (default: the path itself; a slot lies in its cache folder), replacing what the slot held."""
    slot = slot or path
    found = identity(path)
    with _lock:
        folder = _held.pop(slot.parent, {})
        _held[slot.parent] = folder  # the most recent folder last
        if found is None:
            folder.pop(slot, None)
        else:
            folder[slot] = (path, found, key, value)
        while len(_held) > MAX_FOLDERS:
            del _held[next(iter(_held))]


def recall(path: Path, key: str, slot: Path | None = None) -> object | None:
    """What `remember` kept for `path` under `key`, if the file is still the one it was read from or written to."""
    slot = slot or path
    with _lock:
        held = _held.get(slot.parent, {}).get(slot)
    if held is None or held[0] != path or held[2] != key or identity(path) != held[1]:
        return None
    return held[3]


def forget() -> None:
    """Drop everything kept (what a new process starts with)."""
    with _lock:
        _held.clear()


def keep_only(folder: Path, prefix: str, slots: Iterable[Path]) -> None:
    """Drop what `folder`'s slots named `prefix`... hold but `slots`: a deleted or renamed sheet's facts
    would otherwise stay held for as long as the process runs."""
    wanted = set(slots)
    with _lock:
        held = _held.get(folder)
        if held is not None:
            for slot in [s for s in held if s.name.startswith(prefix) and s not in wanted]:
                del held[slot]
