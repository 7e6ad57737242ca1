"""The load cache's snapshot entry: what a whole Matcher was built from, in one folder of .npy files.

The per-sheet files (cache.py) spare a start the parsing and the analysis, but the Matcher
still stacked every fact's vectors into one matrix, computed each fact's centroid, read a
few hundred archives and turned the postings into arrays: seconds at a thousand articles.
The snapshot entry keeps those results as they are served: the analysed facts (one word
table for the whole base), each view's stacked vectors, row offsets and centroids, the
postings as arrays of fact positions, the out-of-scope questions' vectors. Its key digests
every sheet's analysis key (each sheet's bytes, the sources, topics, lexicon, model and
code), the out-of-scope list and the facts' order; any edit is a miss, and the per-sheet
files serve what did not change.

The arrays are memory-mapped (`np.load(mmap_mode="r", allow_pickle=False)`): a start reads
their headers, and a served process holds only the pages its questions touched. Nothing
read can run code: JSON and plain numeric .npy files, each checked for its type, shape and
bounds against the others. The entry is written into a temporary folder renamed into place
(never half an entry), and the previous entries are then removed (the folder stays bounded:
one entry). A corrupt, foreign or other-version entry is ignored, logged once, rewritten.
"""

from __future__ import annotations

import json
import os
import threading
import time
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from engine.knowledge.cachecodec import BadFile, decode_entries, encode_entries, string, strings
from engine.knowledge.cachefiles import CacheFolder, log
from engine.matching.factvectors import FactVectors
from engine.matching.index import FactEntry, Index

__all__ = ["MAX_ARRAY_BYTES", "MAX_META_BYTES", "SnapshotFolder", "StoredSnapshot"]

#: The entry's JSON (word table, variants, ids) is read whole: bounded (a thousand articles need some 60 MB).
MAX_META_BYTES = 1024 * 1024 * 1024
#: No array file larger than this is mapped (the largest at a thousand articles is about 400 MB).
MAX_ARRAY_BYTES = 16 * 1024 * 1024 * 1024
PREFIX = "snapshot-"
#: A temporary folder older than this was left by a crash: removed when the next entry is written.
_STALE_TEMPORARY_S = 3600.0

#: The thread writing an entry into each folder, in this process (one at a time: the next write waits).
_WRITERS: dict[Path, threading.Thread] = {}
_WRITERS_LOCK = threading.Lock()

Postings = tuple[Mapping[str, np.ndarray], Mapping[str, np.ndarray]]


@dataclass(frozen=True, slots=True)
class StoredSnapshot:
    """What a Matcher takes from a snapshot entry, for the facts of `ids`, in that order."""

    entries: list[FactEntry]
    #: One FactVectors per view (none without the semantic signal).
    vectors: tuple[FactVectors, ...]
    postings: Postings
    #: The out-of-scope questions' vectors in each view, and each as read.
    negatives: tuple[tuple[np.ndarray, ...], tuple[str, ...]]
    #: The postings (as sets of fact ids) and counts over `entries`.
    index: Index


def _postings_meta(postings: Mapping[str, np.ndarray], name: str, arrays: dict[str, np.ndarray]) -> list[str]:
    sizes = [len(p) for p in postings.values()]
    arrays[f"{name}_offsets"] = np.concatenate(([0], np.cumsum(sizes, dtype=np.int64))).astype(np.int64)
    parts = list(postings.values())
    arrays[f"{name}_positions"] = np.concatenate(parts).astype(np.int32) if parts else np.zeros(0, np.int32)
    return list(postings)


def _postings_from(words: Any, offsets: np.ndarray, positions: np.ndarray, size: int) -> dict[str, np.ndarray]:
    table = strings(words)
    if offsets.dtype != np.int64 or offsets.shape != (len(table) + 1,) or positions.dtype != np.int32:
        raise BadFile("postings of another type")
    if offsets[0] != 0 or offsets[-1] != len(positions) or (np.diff(offsets) < 0).any():
        raise BadFile("postings offsets do not add up")
    if len(positions) and (positions.min() < 0 or positions.max() >= size):
        raise BadFile("a posting outside the facts")
    ends = offsets.tolist()
    return {word: positions[ends[n] : ends[n + 1]] for n, word in enumerate(table)}


def _counts_meta(counts: Counter[str], name: str, arrays: dict[str, np.ndarray]) -> list[str]:
    arrays[name] = np.fromiter(counts.values(), dtype=np.int64, count=len(counts))
    return list(counts)


def _counts(words: Any, counts: np.ndarray) -> Counter[str]:
    """The Counter `_counts_meta` stored (its items in the same order: the very Counter)."""
    table = strings(words)
    if counts.dtype != np.int64 or counts.shape != (len(table),) or (counts <= 0).any():
        raise BadFile("counts of another shape")
    return Counter(dict(zip(table, counts.tolist(), strict=True)))


def _pairs(value: Any) -> list[tuple[Any, Any]]:
    if not isinstance(value, list) or not all(isinstance(v, list) and len(v) == 2 for v in value):
        raise BadFile("a list of pairs was expected")
    return [(a, b) for a, b in value]


def _id_sets(postings: Mapping[str, np.ndarray], ids: Sequence[str]) -> dict[str, frozenset[str]]:
    """Each word's fact positions as the set of those facts' ids (the Index's postings)."""
    table = list(ids)
    return {word: frozenset(map(table.__getitem__, positions.tolist())) for word, positions in postings.items()}


class SnapshotFolder:
    """Reads and writes the snapshot entries of one cache folder; counts what it did in `stats`."""

    def __init__(self, files: CacheFolder, version: int, code: str) -> None:
        self._files = files
        self._version = version
        self._code = code
        #: Entries read, missed, written, ignored (not trusted).
        self.stats = {"hits": 0, "misses": 0, "written": 0, "ignored": 0}

    def path(self, key: str) -> Path:
        return self._files.folder / f"{PREFIX}{key}"

    def read(self, key: str, ids: Sequence[str], dim: int, views: int) -> StoredSnapshot | None:
        """The entry stored under `key` for these facts, or None (a miss, or an entry not trusted).

        An entry this process is still writing to the folder is waited for (a full reload right
        after an edited one reads what that one stored)."""
        self.wait()
        path = self.path(key)
        if not (path / "meta.json").is_file():
            self.stats["misses"] += 1
            return None
        try:
            return self._read(path, key, ids, dim, views)
        except Exception as exc:  # json, numpy and the checks raise many kinds: any of them means rebuild
            self._files.ignore(path, exc, self.stats)
            return None

    def _read(self, path: Path, key: str, ids: Sequence[str], dim: int, views: int) -> StoredSnapshot:
        with (path / "meta.json").open("rb") as handle:
            data = handle.read(MAX_META_BYTES + 1)
        if len(data) > MAX_META_BYTES:
            raise BadFile(f"larger than {MAX_META_BYTES} bytes")
        meta = json.loads(data.decode("utf-8"))
        if not isinstance(meta, dict) or meta.get("version") != self._version or meta.get("code") != self._code:
            raise BadFile("written by another version")
        if meta.get("key") != key or meta.get("ids") != list(ids) or meta.get("views") != views:
            raise BadFile("written for other facts")
        arrays = _Arrays(path)
        entries = decode_entries(meta, {n: arrays[n] for n in ("set_lengths", "set_tokens")}, len(ids))
        vectors = []
        for view in range(views):
            found = FactVectors.from_arrays(
                {n: arrays[f"{n}{view}"] for n in ("q", "c", "q_start", "c_start", "centroids")}, dim
            )
            if found.size != len(ids):
                raise BadFile("vectors for another number of facts")
            vectors.append(found)
        postings = tuple(
            _postings_from(meta[f"{name}_words"], arrays[f"{name}_offsets"], arrays[f"{name}_positions"], len(ids))
            for name in ("question", "answer")
        )
        texts = strings(meta["negatives"])
        negatives = tuple(arrays[f"negatives{view}"] for view in range(views)) if texts else ()
        for matrix in negatives:
            if matrix.dtype != np.float32 or matrix.shape != (len(texts), dim):
                raise BadFile("out-of-scope vectors of another shape")
        index = Index(
            question_postings=_id_sets(postings[0], ids),
            answer_postings=_id_sets(postings[1], ids),
            entity_counts=_counts(meta["entity_words"], arrays["entity_counts"]),
            word_counts=_counts(meta["word_words"], arrays["word_counts"]),
            own_counts={
                string(lang): _counts(words, arrays[f"own_counts{n}"])
                for n, (lang, words) in enumerate(_pairs(meta["own_words"]))
            },
            size=len(ids),
        )
        self.stats["hits"] += 1
        return StoredSnapshot(entries, tuple(vectors), (postings[0], postings[1]), (negatives, texts), index)

    def write(self, key: str, ids: Sequence[str], stored: StoredSnapshot, *, background: bool = False) -> None:
        """Store the entry (in `background`: by a thread of its own, which `wait` and `read` wait for)."""
        self.wait()
        if not background:
            self._write(key, ids, stored)
            return
        thread = threading.Thread(target=self._write, args=(key, ids, stored), name="cache-snapshot", daemon=True)
        with _WRITERS_LOCK:
            _WRITERS[self._files.folder] = thread
        thread.start()

    def wait(self) -> None:
        """Return once no thread of this process is writing an entry into this folder."""
        with _WRITERS_LOCK:
            thread = _WRITERS.pop(self._files.folder, None)
        if thread is not None:
            thread.join()

    def _write(self, key: str, ids: Sequence[str], stored: StoredSnapshot) -> None:
        """Store the entry (a failure only costs the next start its speed); then remove the older entries."""
        import shutil  # only to write an entry (with tempfile): a start that hits the cache needs neither
        import tempfile

        folder = self._files.folder
        temporary: Path | None = None
        try:
            folder.mkdir(parents=True, exist_ok=True)
            temporary = Path(tempfile.mkdtemp(dir=folder, prefix=".tmp-snapshot-"))
            meta, arrays = encode_entries(stored.entries)
            for view, vectors in enumerate(stored.vectors):
                arrays.update({f"{name}{view}": array for name, array in vectors.arrays().items()})
            meta["question_words"] = _postings_meta(stored.postings[0], "question", arrays)
            meta["answer_words"] = _postings_meta(stored.postings[1], "answer", arrays)
            matrices, texts = stored.negatives
            index = stored.index
            meta["entity_words"] = _counts_meta(index.entity_counts, "entity_counts", arrays)
            meta["word_words"] = _counts_meta(index.word_counts, "word_counts", arrays)
            own = list(index.own_counts.items())
            meta["own_words"] = [[lang, _counts_meta(c, f"own_counts{n}", arrays)] for n, (lang, c) in enumerate(own)]
            arrays.update({f"negatives{view}": np.asarray(m, dtype=np.float32) for view, m in enumerate(matrices)})
            for name, array in arrays.items():
                np.save(temporary / f"{name}.npy", np.ascontiguousarray(array), allow_pickle=False)
            header = {"version": self._version, "code": self._code, "key": key, "ids": list(ids)}
            payload = {**header, "views": len(stored.vectors), "negatives": list(texts), **meta}
            (temporary / "meta.json").write_bytes(json.dumps(payload, ensure_ascii=False).encode("utf-8"))
            final = self.path(key)
            if final.exists():  # one not trusted (it was just ignored): moved aside, then removed
                os.rename(final, temporary.with_name(temporary.name + "-old"))
            os.rename(temporary, final)
            temporary = temporary.with_name(temporary.name + "-old")  # removed below, if it exists
        except OSError as exc:
            log.warning(
                "cannot write the cache's snapshot entry in %s (%s): loading works, only more slowly", folder, exc
            )
            return
        finally:
            if temporary is not None:
                shutil.rmtree(temporary, ignore_errors=True)
        self.stats["written"] += 1
        self._remove_others(key)

    def _remove_others(self, key: str) -> None:
        """Remove older entries and temporary folders left by a crash (mapped files stay readable while mapped)."""
        import shutil

        now = time.time()
        for path in self._files.folder.iterdir():
            name = path.name
            old_temporary = name.startswith(".tmp-snapshot-") and now - path.stat().st_mtime > _STALE_TEMPORARY_S
            if (name.startswith(PREFIX) and name != PREFIX + key) or old_temporary:
                shutil.rmtree(path, ignore_errors=True)


class _Arrays:
    """The entry's .npy files, each mapped when first asked for: plain numeric arrays only, size-bounded."""

    def __init__(self, folder: Path) -> None:
        self._folder = folder

    def __getitem__(self, name: str) -> np.ndarray:
        path = self._folder / f"{name}.npy"
        if path.stat().st_size > MAX_ARRAY_BYTES:
            raise BadFile(f"{path.name} is larger than {MAX_ARRAY_BYTES} bytes")
        array = np.load(path, mmap_mode="r", allow_pickle=False)
        if not isinstance(array, np.ndarray) or array.dtype.kind not in "iuf" or array.dtype.byteorder == ">":
            raise BadFile(f"{path.name} holds no plain numeric array")
        return array.view(np.ndarray)  # a plain ndarray over the map: numpy subclasses never leak into results
