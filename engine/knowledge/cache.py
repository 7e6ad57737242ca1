"""An on-disk cache of what loading computes, so a restart or a full reload redoes only what changed.

Two kinds of file, one of each per fact sheet, in the cache folder (CACHE_DIR):

- `sheet-*.json`: the sheet's validated facts, the ids it declares and each question's
  folded key, keyed by the sheet's bytes, the sources and topics it was checked against;
- `analysis-*.npz`: each of those facts analysed for the matcher (index.FactEntry) and its
  half-precision vectors in each semantic view, keyed by the sheet's content (its facts'
  data without their lines: a comment or a layout change keeps the analysis), the lexicon
  and word lists, and the embedding model;

and one `snapshot-*` folder for the whole base, keyed by every sheet's analysis key and the
out-of-scope list: what the Matcher was built from, stacked, memory-mapped when read
(snapshotcache.py). A start reads it alone; after an edit it misses, and the sheets'
files serve what did not change.

Both keys also hold CACHE_VERSION and a digest of the code that computes what is stored,
so an edited analyser never reads its predecessor's output. Nothing read can run code:
plain JSON, and numpy arrays loaded with `allow_pickle=False`; every value is checked
for its type before it is used. A file that is unreadable, corrupt, too large or written
by another version is ignored (logged once) and rewritten; one written for an earlier
state of its sheet (edited since, another lexicon) is an ordinary miss, rewritten
quietly. Files are written to a temporary name and renamed, so a crash never leaves half
a file; deleting the folder only costs one slow start. Only sheets without problems are
stored: a broken sheet fails the load.

This module decides what is looked up and under which key; cachecodec.py turns facts,
analyses and vectors into plain data and back, cachefiles.py reads and writes the files.
"""

from __future__ import annotations

import io
import json
from collections.abc import Callable, Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any, cast

import numpy as np

from engine.knowledge import shared, writers
from engine.knowledge.cachecodec import (
    Analysed,
    BadFile,
    Stale,
    Texts,
    decode_entries,
    encode_entries,
    encode_views,
    fact_data,
    fact_from,
    split_views,
    string,
    strings,
    whole,
    whole_or_none,
)
from engine.knowledge.cachefiles import MAX_FILE_BYTES, CacheFolder
from engine.knowledge.cachekeys import by_sheet, code_digest
from engine.knowledge.cachekeys import digest as _digest
from engine.knowledge.claims import hashed
from engine.knowledge.model import Fact, Source
from engine.knowledge.snapshotcache import SnapshotFolder, StoredSnapshot
from engine.lexicon import Lexicon

__all__ = ["CACHE_VERSION", "MAX_FILE_BYTES", "KnowledgeCache"]

#: Bump when what is stored changes shape or meaning without the code digested below changing.
CACHE_VERSION = 3
#: A sheet as read: its facts, the (id, line, questions line) it declares, its questions' keys' hashes (claims.py).
StoredSheet = tuple[tuple[Fact, ...], tuple[tuple[str, int, int | None], ...], np.ndarray]


def _check_header(found: Any, key: str, code: str) -> None:
    """Raise BadFile unless `found` was written by this code version, Stale unless for this very key."""
    if not isinstance(found, dict) or found.get("version") != CACHE_VERSION or found.get("code") != code:
        raise BadFile("written by another version")
    if found.get("key") != key:
        raise Stale("written for an earlier state of the sheet")


def _content_digest(facts: Sequence[Mapping[str, Any]]) -> str:
    """A digest of what a sheet's analysis depends on: its facts' data, ids and order, without their lines.

    An analysis is keyed by it rather than by the sheet's bytes, so a comment, a layout change or
    a fact moved down a line keeps the sheet's analysis, and the snapshot entry, as they were.
    """
    data = [{k: v for k, v in fact.items() if k != "line"} for fact in facts]
    return _digest("content", json.dumps(data, ensure_ascii=False))


def _question_keys(fact: Fact, folded: Any) -> tuple[str, ...]:
    """The folded key of each of the fact's questions (checked: one a question)."""
    keys = strings(folded)
    if len(keys) != sum(map(len, fact.questions.values())):
        raise BadFile("one folded key per question was expected")
    return keys


class KnowledgeCache:
    """The cache folder of one Loader, and what the last load read, for its Matcher.

    The Loader tells it which key each sheet had and which lexicon it read (`saw_sheet`,
    `saw_lexicon`); the Matcher then asks for the analyses of those very Fact objects
    (`analyses`), so facts that came from elsewhere (a cut copy, generated in process) are
    analysed as before, never looked up under a sheet's key they do not match.
    """

    def __init__(self, folder: Path | str) -> None:
        self.folder = Path(folder)
        self._files = CacheFolder(self.folder)
        self._code = code_digest(CACHE_VERSION)
        self._contexts: dict[tuple[tuple[tuple[str, str], ...], tuple[str, ...]], str] = {}
        #: Per sheet: its key, its facts, and its questions' folded keys while its analysis may need them (a sheet
        #: just parsed; dropped once analysed: 60 MB at a thousand articles).
        self._sheets: dict[str, tuple[str, tuple[Fact, ...], tuple[tuple[str, ...], ...]]] = {}
        #: Each sheet key's content digest (its facts as analysed: not their lines, not a comment or a layout).
        self._content: dict[str, str] = {}
        self._lexicon: tuple[str, Lexicon] | None = None
        #: What this cache did, for tests and the bench: file reads that hit, misses, files written, ignored.
        self.stats = self._files.stats
        self.snapshots = SnapshotFolder(self._files, CACHE_VERSION, self._code)
        #: The same for the snapshot entry (counted apart: a hit spares every sheet's analysis file).
        self.snapshot_stats = self.snapshots.stats

    # The Loader's side.

    def context(self, sources: Mapping[str, Source], topics: Iterable[str]) -> str:
        """A digest of what a sheet is checked against: the sources' ids and texts, the topics."""
        key = (tuple((s.id, s.text) for s in sources.values()), tuple(sorted(topics)))
        found = self._contexts.get(key)
        if found is None:
            found = _digest(*(p for s in key[0] for p in s), "\0topics", *key[1])
            self._contexts = {key: found}  # one context per load: keep only the last
        return found

    def sheet_key(self, digest: str, context: str) -> str:
        return _digest("sheet", self._code, digest, context)

    def read_sheet(self, relative: str, key: str) -> StoredSheet | None:
        """(facts, declared ids, question keys) stored for the sheet under `key`, or None."""
        path = self._files.path("sheet", relative, "json")
        held = shared.recall(path, key)
        if held is not None:  # this process holds what the file holds: the very facts, not a second copy
            stored, self._content[key] = cast(tuple[StoredSheet, str], held)
            self.stats["hits"] += 1
            return stored
        data = self._files.read_json(path, lambda found: _check_header(found, key, self._code))
        if data is None:
            return None
        try:
            facts = tuple(fact_from(f, relative) for f in data["facts"])
            declared = tuple((string(i), whole(line), whole_or_none(q)) for i, line, q in data["declared"])
            if len(data["keys"]) != len(facts):
                raise BadFile("one question list per fact was expected")
            keys = hashed(_question_keys(fact, folded) for fact, folded in zip(facts, data["keys"], strict=True))
            content = string(data["content"])
        except (BadFile, KeyError, TypeError, ValueError) as exc:
            self._files.ignore(path, exc)
            return None
        self._content[key] = content
        self.stats["hits"] += 1
        shared.remember(path, key, ((facts, declared, keys), content))
        return facts, declared, keys

    def write_sheet(
        self,
        relative: str,
        key: str,
        facts: Sequence[Fact],
        declared: Sequence[tuple[str, int, int | None]],
        keys: Sequence[Sequence[str]],
    ) -> None:
        """Store a clean sheet (each question's folded key only: its language and text are the fact's)."""
        data = [fact_data(f) for f in facts]
        content = self._content[key] = _content_digest(data)
        payload = {
            "version": CACHE_VERSION,
            "code": self._code,
            "key": key,
            "content": content,
            "facts": data,
            "declared": [list(d) for d in declared],
            "keys": [list(ks) for ks in keys],
        }
        encoded = json.dumps(payload, ensure_ascii=False).encode("utf-8")
        path = self._files.path("sheet", relative, "json")
        if self._files.write(path, encoded):
            shared.remember(path, key, ((tuple(facts), tuple(declared), hashed(keys)), content))

    def saw_sheet(
        self, relative: str, key: str | None, facts: tuple[Fact, ...], keys: tuple[tuple[str, ...], ...] = ()
    ) -> None:
        """The load just read `relative` with this key and these facts (from memory, the disk or the YAML),
        and each fact's questions' folded keys (`keys`, when known); None: the sheet has problems, nothing
        of it is stored."""
        if key is None:
            self._sheets.pop(relative, None)
        else:
            self._sheets[relative] = (key, facts, keys)

    def saw_lexicon(self, digest: str, lexicon: Lexicon | None) -> None:
        self._lexicon = (digest, lexicon) if lexicon is not None else None

    def forget_sheets(self, keep: Iterable[str]) -> None:
        kept = set(keep)
        self._sheets = {r: v for r, v in self._sheets.items() if r in kept}
        shared.keep_only(self._files.folder, "sheet-", (self._files.path("sheet", r, "json") for r in kept))
        keys = {seen[0] for seen in self._sheets.values()}
        self._content = {k: v for k, v in self._content.items() if k in keys}

    # The Matcher's side.

    def analyses(
        self,
        facts: Sequence[Fact],
        lexicon: Lexicon,
        model: str | None,
        dim: int,
        compute: Callable[[Sequence[Fact], Sequence[Sequence[str]] | None], list[Analysed]],
    ) -> list[Analysed]:
        """Each fact's analysis and vectors: read from the sheet's file when stored, else computed and stored.

        Facts are handled sheet by sheet; a sheet's file is used only when these are the very
        facts the last load read from it, under the very lexicon it read. `compute` is given
        those facts' questions' folded keys, which the Loader computed (None when unknown).
        """
        result: list[Analysed | None] = [None] * len(facts)
        for relative, positions in by_sheet(facts).items():
            group = [facts[n] for n in positions]
            key = self._analysis_key(relative, group, lexicon, model, dim)
            found = self._read_analyses(relative, key, group, model is not None, dim) if key is not None else None
            seen = self._sheets.get(relative)
            if found is None:
                keys = seen[2] if key is not None and seen is not None and len(seen[2]) == len(group) else None
                found = compute(group, keys)
                if key is not None:
                    self._write_analyses(relative, key, group, found)
            if seen is not None and seen[2]:
                self._sheets[relative] = (seen[0], seen[1], ())  # analysed: its keys are not needed again
            for n, analysed in zip(positions, found, strict=True):
                result[n] = analysed
        done = [a for a in result if a is not None]
        if len(done) != len(result):  # by_sheet places every fact: a bug, not a bad file
            raise RuntimeError("a fact was left without its analysis")
        return done

    def _analysis_key(
        self, relative: str, group: Sequence[Fact], lexicon: Lexicon, model: str | None, dim: int
    ) -> str | None:
        """The key of the sheet's analysis file, when these are the very facts and lexicon the last load read."""
        seen = self._sheets.get(relative)
        if self._lexicon is None or self._lexicon[1] is not lexicon or seen is None or len(seen[1]) != len(group):
            return None
        if not all(a is b for a, b in zip(seen[1], group, strict=True)):
            return None
        content = self._content.get(seen[0])
        if content is None:  # a sheet this cache neither read nor wrote (its write failed): digested now
            content = self._content[seen[0]] = _content_digest([fact_data(f) for f in seen[1]])
        return _digest("analysis", self._code, content, self._lexicon[0], model or "-", str(dim))

    def snapshot_key(
        self, facts: Sequence[Fact], lexicon: Lexicon, model: str | None, dim: int, out_of_scope: Sequence[str]
    ) -> str | None:
        """The snapshot entry's key for these facts (in this order) and out-of-scope questions; None when
        some fact is not one the last load read from a clean sheet (nothing of it is stored then)."""
        parts = []
        for relative, positions in by_sheet(facts).items():
            key = self._analysis_key(relative, [facts[n] for n in positions], lexicon, model, dim)
            if key is None:
                return None
            parts += [relative, key]
        ids = (f.id for f in facts)
        return _digest("snapshot", self._code, *parts, "\0out of scope", *out_of_scope, "\0ids", *ids)

    def read_snapshot(self, key: str, ids: Sequence[str], dim: int, views: int) -> StoredSnapshot | None:
        return self.snapshots.read(key, ids, dim, views)

    def write_snapshot(self, key: str, ids: Sequence[str], stored: StoredSnapshot, *, background: bool = False) -> None:
        """Store the snapshot entry; in `background` (a reload: the bot is serving) by a thread of its own."""
        self.snapshots.write(key, ids, stored, background=background)

    def wait(self) -> None:
        """Return once what a reload writes in the background (the snapshot entry, the token ids) is written."""
        writers.wait(self.folder)

    def _read_analyses(
        self, relative: str, key: str, facts: Sequence[Fact], vectors: bool, dim: int
    ) -> list[Analysed] | None:
        path = self._files.path("analysis", relative, "npz")
        arrays = self._files.read_npz(path)
        if arrays is None:
            return None
        try:
            meta = json.loads(bytes(arrays["meta"]).decode("utf-8"))
            _check_header(meta, key, self._code)
            if meta.get("ids") != [f.id for f in facts]:
                raise BadFile("written for other facts")
            entries = decode_entries(meta, arrays, len(facts))
            texts: list[Texts] = split_views(arrays, len(facts), dim) if vectors else [None] * len(facts)
        except (BadFile, KeyError, TypeError, ValueError, UnicodeDecodeError) as exc:
            self._files.ignore(path, exc)
            return None
        self.stats["hits"] += 1
        return list(zip(entries, texts, strict=True))

    def _write_analyses(self, relative: str, key: str, facts: Sequence[Fact], analysed: Sequence[Analysed]) -> None:
        entries, arrays = encode_entries([e for e, _ in analysed])
        meta = {"version": CACHE_VERSION, "code": self._code, "key": key, "ids": [f.id for f in facts], **entries}
        arrays["meta"] = np.frombuffer(json.dumps(meta, ensure_ascii=False).encode("utf-8"), dtype=np.uint8)
        texts = [t for _, t in analysed if t is not None]
        if texts and len(texts) == len(analysed):
            arrays.update(encode_views(texts))
        buffer = io.BytesIO()
        np.savez(buffer, allow_pickle=False, **arrays)
        self._files.write(self._files.path("analysis", relative, "npz"), buffer.getvalue())
