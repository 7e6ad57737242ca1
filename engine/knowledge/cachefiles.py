"""The load cache's folder: one file per sheet and kind, read bounded, written atomically, distrust logged once."""

from __future__ import annotations

import hashlib
import io
import json
import logging
import os
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any, TextIO

import numpy as np

from engine.knowledge.cachecodec import BadFile, Stale

log = logging.getLogger("alliance.cache")

#: A cache file larger than this is not read (a sheet's is far smaller, even with its vectors).
MAX_FILE_BYTES = 64 * 1024 * 1024


class CacheFolder:
    """Reads and writes the cache's files; counts what it did in `stats` (hits are counted by the caller)."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self._warned = False
        #: File reads that hit, misses, files written, files ignored (not trusted).
        self.stats = {"hits": 0, "misses": 0, "written": 0, "ignored": 0}

    def path(self, kind: str, relative: str, suffix: str) -> Path:
        # One file per sheet and kind: a new version of a sheet replaces the old file, so the folder stays bounded.
        name = hashlib.sha1(relative.encode("utf-8", "surrogatepass"), usedforsecurity=False).hexdigest()[:20]
        stem = "".join(c if c.isalnum() else "_" for c in Path(relative).stem)[:40]
        return self.folder / f"{kind}-{stem}-{name}.{suffix}"

    def read_bytes(self, path: Path) -> bytes | None:
        try:
            with path.open("rb") as handle:
                data = handle.read(MAX_FILE_BYTES + 1)
        except FileNotFoundError:
            self.stats["misses"] += 1
            return None
        except OSError as exc:
            self.ignore(path, exc)
            return None
        if len(data) > MAX_FILE_BYTES:
            self.ignore(path, BadFile(f"larger than {MAX_FILE_BYTES} bytes"))
            return None
        return data

    def read_json(self, path: Path, check: Callable[[Any], None]) -> dict[str, Any] | None:
        """The file's JSON object once `check` (which raises BadFile) accepts it, else None."""
        data = self.read_bytes(path)
        if data is None:
            return None
        try:
            found = json.loads(data.decode("utf-8"))
            check(found)
            if not isinstance(found, dict):
                raise BadFile("a JSON object was expected")
        except (BadFile, ValueError, UnicodeDecodeError) as exc:
            self.ignore(path, exc)
            return None
        return found

    def read_npz(self, path: Path) -> dict[str, np.ndarray] | None:
        """The file's arrays, read without unpickling anything, or None."""
        data = self.read_bytes(path)
        if data is None:
            return None
        try:
            with np.load(io.BytesIO(data), allow_pickle=False) as archive:
                return {name: archive[name] for name in archive.files}
        except Exception as exc:  # numpy and zipfile raise many kinds: any of them means rebuild
            self.ignore(path, exc)
            return None

    def ignore(self, path: Path, reason: BaseException, stats: dict[str, int] | None = None) -> None:
        """Count `path` as a miss (in `stats`, else this folder's) and log why: at warning level once."""
        stats = self.stats if stats is None else stats
        stats["misses"] += 1
        if isinstance(reason, Stale):
            log.debug("cache file %s is stale: rebuilt", path)
            return
        stats["ignored"] += 1
        if not self._warned:
            self._warned = True
            log.warning("cache file %s ignored and rebuilt (%s); further ones are logged at debug level", path, reason)
        else:
            log.debug("cache file %s ignored and rebuilt (%s)", path, reason)

    def write(self, path: Path, data: bytes) -> bool:
        """Write atomically (a temporary file renamed over the old one); a failure (False) only costs the next
        start."""
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
            import tempfile  # only to write: a start that hits the cache never does (tempfile imports random)

            fd, temporary = tempfile.mkstemp(dir=self.folder, prefix=".tmp-", suffix=path.suffix)
            try:
                with os.fdopen(fd, "wb") as handle:
                    handle.write(data)
                os.replace(temporary, path)
            except BaseException:
                Path(temporary).unlink(missing_ok=True)
                raise
        except OSError as exc:
            if not self._warned:
                self._warned = True
                log.warning("cannot write the cache in %s (%s): loading works, only more slowly", self.folder, exc)
            return False
        self.stats["written"] += 1
        return True


#: Items of a long list encoded at once by dump_json.
JSON_CHUNK = 20_000


def dump_json(payload: Mapping[str, object], out: TextIO) -> None:
    """`json.dump(payload, out, ensure_ascii=False)`, byte for byte, with C's encoder.

    json.dump encodes in pure Python (only json.dumps uses the C encoder): at 1000x, a second of
    the background writer holding the interpreter while the bot answers. Long lists are encoded a
    chunk at a time, so no whole copy of the text is held either.
    """
    out.write("{")
    for n, (key, value) in enumerate(payload.items()):
        out.write((", " if n else "") + json.dumps(key, ensure_ascii=False) + ": ")
        if isinstance(value, list) and len(value) > JSON_CHUNK:
            out.write("[")
            for start in range(0, len(value), JSON_CHUNK):
                out.write(
                    (", " if start else "") + json.dumps(value[start : start + JSON_CHUNK], ensure_ascii=False)[1:-1]
                )
            out.write("]")
        else:
            out.write(json.dumps(value, ensure_ascii=False))
    out.write("}")
