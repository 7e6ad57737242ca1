"""The load cache's snapshot entry: what a whole Matcher was built from, in one folder of .npy files.

The per-sheet files (cache.py) spare a start the parsing and the analysis, but the Matcher
still stacked every fact's vectors into one matrix, computed each fact's centroid, read a
few hundred archives and turned the postings into arrays: seconds at a thousand articles.
The snapshot entry keeps those results as they are served: the analysed facts (one word
table for the whole base), each view's stacked vectors, row offsets and centroids, the
postings as arrays of fact positions, the out-of-scope questions' vectors. Its key digests
every sheet's analysis key (each sheet's facts' content, the lexicon, model and code), the
out-of-scope list and the facts' order; any edit of a fact is a miss (a comment is not),
and the per-sheet files serve what did not change.

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
import re
import time
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from engine.knowledge import shared, writers
from engine.knowledge.cachecodec import BadFile, decode_entries, encode_entries, strings
from engine.knowledge.cachefiles import CacheFolder, dump_json, log
from engine.matching import filerows
from engine.matching.factvectors import FactVectors
from engine.matching.index import FactEntry, Index
from engine.matching.postings import Postings
from engine.matching.rowparts import RowParts

__all__ = ["MAX_ARRAY_BYTES", "MAX_META_BYTES", "SnapshotFolder", "StoredSnapshot"]

#: The entry's JSON (word table, variants, ids) is read whole: bounded (a thousand articles need some 60 MB).
MAX_META_BYTES = 1024 * 1024 * 1024
#: No array file larger than this is mapped (the largest at a thousand articles is about 400 MB).
MAX_ARRAY_BYTES = 16 * 1024 * 1024 * 1024
PREFIX = "snapshot-"
#: A temporary folder older than this was left by a crash: removed when the next entry is written.
_STALE_TEMPORARY_S = 3600.0


@dataclass(frozen=True, slots=True)
class StoredSnapshot:
    """What a Matcher takes from a snapshot entry, for the facts of `ids`, in that order."""

    entries: list[FactEntry]
    #: One FactVectors per view (none without the semantic signal).
    vectors: tuple[FactVectors, ...]
    #: The out-of-scope questions' vectors (one matrix a view), texts and kinds (what each asks), row by row.
    negatives: tuple[tuple[np.ndarray, ...], tuple[str, ...], tuple[frozenset[str], ...]]
    #: The postings (by position over the entry's ids) and counts over `entries`.
    index: Index


def _rows_of(words: Iterable[str], where: Mapping[str, int], name: str, arrays: dict[str, np.ndarray]) -> None:
    """Store `words` as their rows in the entries' word table (JSON would hold each word once more)."""
    arrays[f"{name}_rows"] = np.fromiter(map(where.__getitem__, words), dtype=np.int32)


def _words_of(objects: np.ndarray, rows: np.ndarray) -> tuple[str, ...]:
    """The words `_rows_of` stored, from the word table (as an array of its interned strings)."""
    if rows.dtype != np.int32 or rows.ndim != 1 or (len(rows) and (rows.min() < 0 or rows.max() >= len(objects))):
        raise BadFile("word rows of another type or outside the table")
    return tuple(objects[rows].tolist())


def _postings_meta(postings: Postings, name: str, where: Mapping[str, int], arrays: dict[str, np.ndarray]) -> None:
    arrays[f"{name}_offsets"] = postings.offsets.astype(np.int64)
    arrays[f"{name}_positions"] = postings.positions.astype(np.int32)
    _rows_of(postings.words, where, name, arrays)


def _postings_from(table: tuple[str, ...], offsets: np.ndarray, positions: np.ndarray, size: int) -> Postings:
    """The Postings `_postings_meta` stored (its positions left mapped), checked for shape and bounds."""
    if offsets.dtype != np.int64 or offsets.shape != (len(table) + 1,) or positions.dtype != np.int32:
        raise BadFile("postings of another type")
    if offsets[0] != 0 or offsets[-1] != len(positions) or (np.diff(offsets) <= 0).any():
        raise BadFile("postings offsets do not add up")
    if len(positions) and (positions.min() < 0 or positions.max() >= size):
        raise BadFile("a posting outside the facts")
    if len(set(table)) != len(table):
        raise BadFile("a word posted twice")
    return Postings(table, offsets, positions)


def _counts_meta(counts: Counter[str], name: str, where: Mapping[str, int], arrays: dict[str, np.ndarray]) -> None:
    arrays[name] = np.fromiter(counts.values(), dtype=np.int64, count=len(counts))
    _rows_of(counts, where, name, arrays)


def _counts(table: tuple[str, ...], counts: np.ndarray) -> Counter[str]:
    """The Counter `_counts_meta` stored (its items in the same order: the very Counter)."""
    if counts.dtype != np.int64 or counts.shape != (len(table),) or (counts <= 0).any():
        raise BadFile("counts of another shape")
    return Counter(dict(zip(table, counts.tolist(), strict=True)))


class SnapshotFolder:
    """Reads and writes the snapshot entries of one cache folder; counts what it did in `stats`."""

    def __init__(self, files: CacheFolder, version: int, code: str) -> None:
        self._files = files
        self._version = version
        self._code = code
        #: Where this process keeps the entry it last read or wrote here (shared.py): one a folder.
        self._slot = files.folder / PREFIX
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
        held = shared.recall(path / "meta.json", key, self._slot)
        if isinstance(held, StoredSnapshot) and held.index.size == len(ids):  # held by this process: shared
            self.stats["hits"] += 1
            return held
        if not (path / "meta.json").is_file():
            self.stats["misses"] += 1
            return None
        try:
            found = self._read(path, key, ids, dim, views)
        except Exception as exc:  # json, numpy and the checks raise many kinds: any of them means rebuild
            self._files.ignore(path, exc, self.stats)
            return None
        shared.remember(path / "meta.json", key, found, self._slot)
        return found

    def _read(self, path: Path, key: str, ids: Sequence[str], dim: int, views: int) -> StoredSnapshot:
        meta = _meta(path / "meta.json")
        if not isinstance(meta, dict) or meta.get("version") != self._version or meta.get("code") != self._code:
            raise BadFile("written by another version")
        if meta.get("key") != key or meta.get("ids") != list(ids) or meta.get("views") != views:
            raise BadFile("written for other facts")
        arrays = _Arrays(path)
        table = strings(meta["words"], intern=True)
        entries = decode_entries(meta, {n: arrays[n] for n in ("set_lengths", "set_tokens")}, len(ids), table)
        objects = np.array(table, dtype=object)

        def words(name: str) -> tuple[str, ...]:
            return _words_of(objects, arrays[f"{name}_rows"])

        vectors = []
        for view in range(views):
            found = FactVectors.from_arrays(
                {n: arrays[f"{n}{view}"] for n in ("q", "c", "q_start", "c_start", "centroids")}, dim
            )
            if found.size != len(ids):
                raise BadFile("vectors for another number of facts")
            vectors.append(found)
        postings = tuple(
            _postings_from(words(name), arrays[f"{name}_offsets"], arrays[f"{name}_positions"], len(ids))
            for name in ("question", "answer")
        )
        texts = strings(meta["negatives"])
        asked = meta.get("negative_kinds")
        if not isinstance(asked, list) or len(asked) != len(texts):
            raise BadFile("out-of-scope kinds of another shape")
        kinds = tuple(frozenset(strings(k)) for k in asked)
        negatives = tuple(arrays[f"negatives{view}"] for view in range(views)) if texts else ()
        for matrix in negatives:
            if matrix.dtype != np.float32 or matrix.shape != (len(texts), dim):
                raise BadFile("out-of-scope vectors of another shape")
        index = Index(
            ids=tuple(ids),
            question_postings=postings[0],
            answer_postings=postings[1],
            entity_counts=_counts(words("entity_counts"), arrays["entity_counts"]),
            word_counts=_counts(words("word_counts"), arrays["word_counts"]),
            own_counts={
                lang: _counts(words(f"own_counts{n}"), arrays[f"own_counts{n}"])
                for n, lang in enumerate(strings(meta["own_langs"]))
            },
            size=len(ids),
        )
        self.stats["hits"] += 1
        return StoredSnapshot(entries, tuple(vectors), (negatives, texts, kinds), index)

    def write(self, key: str, ids: Sequence[str], stored: StoredSnapshot, *, background: bool = False) -> None:
        """Store the entry (in `background`: by a thread of its own, which `wait` and `read` wait for; see
        writers.py)."""
        if not background:
            self.wait()
            self._write(key, ids, stored)
            return
        writers.start("snapshot", self._files.folder, lambda: self._write(key, ids, stored))

    def wait(self) -> None:
        """Return once no thread of this process is writing an entry into this folder."""
        writers.wait(self._files.folder, "snapshot")

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
            # Every word below is one of the entries' (their bags, words, entities): stored as rows of their table.
            where = {word: n for n, word in enumerate(meta["words"])}
            index = stored.index
            _postings_meta(index.question_postings, "question", where, arrays)
            _postings_meta(index.answer_postings, "answer", where, arrays)
            matrices, texts, kinds = stored.negatives
            _counts_meta(index.entity_counts, "entity_counts", where, arrays)
            _counts_meta(index.word_counts, "word_counts", where, arrays)
            own = list(index.own_counts.items())
            meta["own_langs"] = [lang for lang, _ in own]
            for n, (_, counts) in enumerate(own):
                _counts_meta(counts, f"own_counts{n}", where, arrays)
            arrays.update({f"negatives{view}": np.asarray(m, dtype=np.float32) for view, m in enumerate(matrices)})
            files: dict[str, np.ndarray | RowParts] = dict(arrays)
            for view, vectors in enumerate(stored.vectors):
                files.update({f"{name}{view}": array for name, array in vectors.arrays().items()})
            for name, array in files.items():
                if isinstance(array, RowParts):  # a reload's rows: its kept parts copied from their files
                    array.save(str(temporary / f"{name}.npy"))
                else:
                    np.save(temporary / f"{name}.npy", np.ascontiguousarray(array), allow_pickle=False)
            header = {"version": self._version, "code": self._code, "key": key, "ids": list(ids)}
            payload = {
                **header,
                "views": len(stored.vectors),
                "negatives": list(texts),
                "negative_kinds": [sorted(k) for k in kinds],
                **meta,
            }
            with (temporary / "meta.json").open("w", encoding="utf-8") as out:
                dump_json(payload, out)
            final = self.path(key)
            if final.exists():  # one not trusted (it was just ignored): moved aside, then removed
                os.rename(final, temporary.with_name(temporary.name + "-old"))
            os.rename(temporary, final)
            shared.remember(final / "meta.json", key, stored, self._slot)
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
        """Remove older entries, and the temporary folders and files a crash left mid-write (any `.tmp-*` an
        hour old: a write under way is younger); mapped files stay readable while mapped."""
        import shutil

        now = time.time()
        for path in self._files.folder.iterdir():
            name = path.name
            try:
                stale = name.startswith(".tmp-") and now - path.stat().st_mtime > _STALE_TEMPORARY_S
            except OSError:  # gone meanwhile: another writer renamed its temporary into place
                continue
            if (name.startswith(PREFIX) and name != PREFIX + key) or stale:
                if path.is_dir():
                    shutil.rmtree(path, ignore_errors=True)
                else:
                    path.unlink(missing_ok=True)


def _meta(path: Path) -> Any:
    """The entry's JSON (its bytes and text freed as soon as parsed: tens of MB at a thousand articles)."""
    with path.open("rb") as handle:
        data = handle.read(MAX_META_BYTES + 1)
    if len(data) > MAX_META_BYTES:
        raise BadFile(f"larger than {MAX_META_BYTES} bytes")
    return json.loads(data)


#: The fact vectors' rows (each view's question and context rows), which a question reads a few facts of.
_SEARCHED_ROWS = re.compile(r"[qc]\d+")


def _open_for_reads(path: Path) -> int | None:
    try:
        return os.open(path, os.O_RDONLY | getattr(os, "O_CLOEXEC", 0))
    except OSError:
        return None


def _same_file(descriptor: int, path: Path) -> bool:
    try:
        held, named = os.fstat(descriptor), os.stat(path)
    except OSError:
        return False
    return (held.st_dev, held.st_ino) == (named.st_dev, named.st_ino)


class _Arrays:
    """The entry's .npy files, each mapped when first asked for: plain numeric arrays only, size-bounded."""

    def __init__(self, folder: Path) -> None:
        self._folder = folder

    def __getitem__(self, name: str) -> np.ndarray:
        path = self._folder / f"{name}.npy"
        if path.stat().st_size > MAX_ARRAY_BYTES:
            raise BadFile(f"{path.name} is larger than {MAX_ARRAY_BYTES} bytes")
        searched = _SEARCHED_ROWS.fullmatch(name) is not None
        # The rows a question reads are read with pread (filerows.py), from the very file mapped: opened before
        # the map, and kept only if the name still leads to it once mapped (a newer entry may replace this one).
        descriptor = _open_for_reads(path) if searched else None
        try:
            array = np.load(path, mmap_mode="r", allow_pickle=False)
            if not isinstance(array, np.ndarray) or array.dtype.kind not in "iuf" or array.dtype.byteorder == ">":
                raise BadFile(f"{path.name} holds no plain numeric array")
            if descriptor is not None and _same_file(descriptor, path):
                filerows.register(array, descriptor)
                descriptor = None
        finally:
            if descriptor is not None:
                os.close(descriptor)
        return array.view(np.ndarray)  # a plain ndarray over the map: numpy subclasses never leak into results
