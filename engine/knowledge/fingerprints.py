"""Knowledge files' fingerprints: the digest of their bytes, and a sheet's signature on disk.

The digest (`files_digest`) tells a Loader whether the lexicon changed. The signature lets a
reload skip reading and hashing a sheet nobody touched.

At a thousand articles a reload read and hashed 54 MB of sheets (0.1 s) to find the one
edited. A sheet whose (device, inode, size, modification and change times) are those it
had when last read is not read again. Writing a file sets both times to the current one,
and its change time cannot be set back by anyone; only a file written in the same clock
tick as it was read could keep them, so a signature counts only once the file's content
is older than SETTLED_S when it is taken (taken before the bytes are read: a write in
between changes it). Anything unusual (not a regular file, a failed stat) gives no
signature: the sheet is then read and hashed as before.
"""

from __future__ import annotations

import hashlib
import os
import stat
import time
from pathlib import Path

from engine.knowledge.yamlfile import YamlError, read_inside

#: A file's content must be at least this old for its signature to stand for it (coarse file-system clocks).
SETTLED_S = 2.0

Signature = tuple[int, int, int, int, int]


def now_ns() -> int:
    """The wall clock file times are compared with (a test moves it on instead of sleeping SETTLED_S)."""
    return time.time_ns()


def signature(path: Path | None) -> Signature | None:
    """The file's (device, inode, size, mtime, ctime) in ns, or None when it cannot stand for the content."""
    if path is None:
        return None
    try:
        found = os.stat(path)
    except OSError:
        return None
    # ctime too: a copy that keeps the mtime (cp -p, rsync -t, tar) is new all the same, and nobody sets ctime back.
    newest = max(found.st_mtime_ns, found.st_ctime_ns)
    if not stat.S_ISREG(found.st_mode) or now_ns() - newest < SETTLED_S * 1e9:
        return None
    return found.st_dev, found.st_ino, found.st_size, found.st_mtime_ns, found.st_ctime_ns


def files_digest(root: Path, *relatives: str) -> str:
    """A fingerprint of the files' bytes, each read with every check of a knowledge file; a file
    that cannot be read fingerprints as its error, so the next load reads it again and reports it."""
    sha = hashlib.sha1(usedforsecurity=False)
    for relative in relatives:
        try:
            sha.update(read_inside(root, relative))
        except YamlError as exc:
            sha.update(f"{time.monotonic()} {exc.message}".encode())  # never equal: read again next time
        sha.update(b"\0")
    return sha.hexdigest()
