"""An on-disk cache of what loading computes, so a restart or a full reload redoes only what changed.

Two kinds of file, one of each per fact sheet, in the cache folder (CACHE_DIR):

- `sheet-*.json`: the sheet's validated facts, the ids it declares and each question's
  folded key, keyed by the sheet's bytes, the sources and topics it was checked against;
- `analysis-*.npz`: each of those facts analysed for the matcher (index.FactEntry) and its
  half-precision vectors in each semantic view, keyed by the sheet's key, the lexicon and
  word lists, and the embedding model.

Both keys also hold CACHE_VERSION and a digest of the code that computes what is stored,
so an edited analyser never reads its predecessor's output. Nothing read can run code:
plain JSON, and numpy arrays loaded with `allow_pickle=False`; every value is checked
for its type before it is used. A file that is unreadable, corrupt, too large or written
by another version is ignored (logged once) and rewritten; one written for an earlier
state of its sheet (edited since, another lexicon) is an ordinary miss, rewritten
quietly. Files are written to a temporary name and renamed, so a crash never leaves half
a file; deleting the folder only costs one slow start. Only sheets without problems are
stored: a broken sheet fails the load.
"""

from __future__ import annotations

import hashlib
import io
import json
import logging
import os
import sys
import tempfile
from collections.abc import Callable, Iterable, Mapping, Sequence
from pathlib import Path
from types import MappingProxyType
from typing import Any

import numpy as np

from engine.knowledge.model import Fact, Source
from engine.lexicon import Lexicon
from engine.matching.index import FactEntry
from engine.matching.semantic import FactTexts

log = logging.getLogger("alliance.cache")

#: Bump when what is stored changes shape or meaning without the code digested below changing.
CACHE_VERSION = 1
#: A cache file larger than this is not read (a sheet's is far smaller, even with its vectors).
MAX_FILE_BYTES = 64 * 1024 * 1024
#: The modules whose code decides what the files hold (matcher.py: the texts each view encodes), as paths
#: under engine/: any change to one of them makes a new cache.
_CODE = (
    "knowledge/cache.py",
    "knowledge/loader.py",
    "knowledge/yamlfile.py",
    "knowledge/schema.py",
    "knowledge/factcheck.py",
    "knowledge/shapes.py",
    "knowledge/validate.py",
    "knowledge/review.py",
    "knowledge/quotes.py",
    "knowledge/yamlhints.py",
    "knowledge/model.py",
    "lexicon.py",
    "textnorm.py",
    "matching/index.py",
    "matching/semantic.py",
    "matching/pooling.py",
    "matching/matcher.py",
)

#: (questions, context) vectors of each view, or None when the semantic signal is off.
Texts = tuple[FactTexts, ...] | None
Analysed = tuple[FactEntry, Texts]


def _code_digest() -> str:
    sha = hashlib.sha1(f"cache {CACHE_VERSION}".encode(), usedforsecurity=False)
    folder = Path(__file__).resolve().parents[1]  # engine/
    for name in _CODE:
        sha.update((folder / name).read_bytes())
    return sha.hexdigest()


class BadFile(ValueError):
    """A cache file that cannot be trusted (corrupt, foreign, of another version): logged, rebuilt."""


class Stale(BadFile):
    """A file this code wrote for an earlier state of its sheet (edited, or another lexicon): a plain miss."""


def _check_header(found: Any, key: str, code: str) -> None:
    """Raise BadFile unless `found` was written by this code version, Stale unless for this very key."""
    if not isinstance(found, dict) or found.get("version") != CACHE_VERSION or found.get("code") != code:
        raise BadFile("written by another version")
    if found.get("key") != key:
        raise Stale("written for an earlier state of the sheet")


def _strings(value: Any, *, intern: bool = False) -> tuple[str, ...]:
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise BadFile("a list of strings was expected")
    return tuple(map(sys.intern, value)) if intern else tuple(value)


def _string(value: Any) -> str:
    if not isinstance(value, str):
        raise BadFile("a string was expected")
    return value


def _int(value: Any, *, optional: bool = False) -> int | None:
    if (value is None and optional) or (isinstance(value, int) and not isinstance(value, bool)):
        return value
    raise BadFile("a whole number was expected")


def _by_lang(value: Any, read: Callable[[Any], Any]) -> MappingProxyType:
    if not isinstance(value, dict):
        raise BadFile("a mapping was expected")
    return MappingProxyType({_string(lang): read(v) for lang, v in value.items()})


def fact_data(fact: Fact) -> dict[str, Any]:
    """A fact as plain JSON data (its file is the sheet's, known from the key)."""
    return {
        "id": fact.id,
        "topic": fact.topic,
        "source": fact.source,
        "quote": fact.quote,
        "questions": {lang: list(qs) for lang, qs in fact.questions.items()},
        "answer": dict(fact.answer),
        "keywords": list(fact.keywords),
        "mentions": list(fact.mentions),
        "line": fact.line,
    }


def fact_from(data: Any, file: str) -> Fact:
    """The Fact `fact_data` wrote; raises BadFile on anything else."""
    if not isinstance(data, dict):
        raise BadFile("a fact was expected")
    return Fact(
        id=_string(data["id"]),
        topic=_string(data["topic"]),
        source=_string(data["source"]),
        quote=_string(data["quote"]),
        questions=_by_lang(data["questions"], _strings),
        answer=_by_lang(data["answer"], _string),
        keywords=_strings(data["keywords"]),
        mentions=_strings(data["mentions"]),
        file=file,
        line=_int(data["line"]),
    )


#: The word sets of a FactEntry, in the order they are stored; then one per language, then one per variant.
_SETS = ("question_bag", "answer_bag", "entities", "answer_entities", "kinds", "words", "mentions")


def encode_entries(entries: Sequence[FactEntry]) -> tuple[dict[str, Any], dict[str, np.ndarray]]:
    """FactEntries as plain data: one table of the words they use, and every word set as indices into it.

    (JSON for the table and the shapes, int32 arrays for the sets: a 200-fact sheet holds some
    100,000 words, read back with one array conversion instead of a type check per word.)
    """
    table: dict[str, int] = {}
    lengths: list[int] = []
    tokens: list[int] = []

    def put(words: Iterable[str]) -> None:
        ids = [table.setdefault(w, len(table)) for w in words]
        lengths.append(len(ids))
        tokens.extend(ids)

    shapes = []
    for entry in entries:
        for name in _SETS:
            put(getattr(entry, name))
        for _, words in entry.own_words:
            put(words)
        for variant, _ in entry.variants:
            put(variant)
        shapes.append([[lang for lang, _ in entry.own_words], [joined for _, joined in entry.variants], entry.yes_no])
    meta = {"words": list(table), "shapes": shapes}
    arrays = {"set_lengths": np.array(lengths, dtype=np.int32), "set_tokens": np.array(tokens, dtype=np.int32)}
    return meta, arrays


def decode_entries(meta: Mapping[str, Any], arrays: Mapping[str, np.ndarray], count: int) -> list[FactEntry]:
    """The FactEntries `encode_entries` wrote (their words interned: facts share most of them); raises BadFile."""
    table = _strings(meta["words"], intern=True)
    shapes = meta["shapes"]
    lengths, tokens = arrays["set_lengths"], arrays["set_tokens"]
    if not isinstance(shapes, list) or len(shapes) != count:
        raise BadFile("one shape per fact was expected")
    for array in (lengths, tokens):
        if array.dtype != np.int32 or array.ndim != 1:
            raise BadFile("word sets of another type")
    if len(tokens) and (tokens.min() < 0 or tokens.max() >= len(table)):
        raise BadFile("a word outside the table")
    if (lengths < 0).any() or int(lengths.sum()) != len(tokens):
        raise BadFile("word set lengths do not add up")
    words = [table[i] for i in tokens.tolist()]
    ends = np.cumsum(lengths).tolist()
    position = 0

    def take_tuple() -> tuple[str, ...]:
        nonlocal position
        if position >= len(ends):
            raise BadFile("fewer word sets than the shapes say")
        start = ends[position - 1] if position else 0
        position += 1
        return tuple(words[start : ends[position - 1]])

    def take() -> frozenset[str]:
        return frozenset(take_tuple())

    entries = []
    for shape in shapes:
        if not isinstance(shape, list) or len(shape) != 3 or not isinstance(shape[2], bool):
            raise BadFile("an analysed fact was expected")
        langs, joined = _strings(shape[0], intern=True), _strings(shape[1])
        fields = {name: take() for name in _SETS}
        own = tuple((lang, take()) for lang in langs)
        variants = tuple((take_tuple(), words_joined) for words_joined in joined)
        entries.append(FactEntry(variants=variants, own_words=own, yes_no=shape[2], **fields))
    if position != len(ends):
        raise BadFile("more word sets than the shapes say")
    return entries


def _digest(*parts: str) -> str:
    return hashlib.sha1("\0".join(parts).encode("utf-8", "surrogatepass"), usedforsecurity=False).hexdigest()


class KnowledgeCache:
    """The cache folder of one Loader, and what the last load read, for its Matcher.

    The Loader tells it which key each sheet had and which lexicon it read (`saw_sheet`,
    `saw_lexicon`); the Matcher then asks for the analyses of those very Fact objects
    (`analyses`), so facts that came from elsewhere (a cut copy, generated in process) are
    analysed as before, never looked up under a sheet's key they do not match.
    """

    def __init__(self, folder: Path | str) -> None:
        self.folder = Path(folder)
        self._code = _code_digest()
        self._contexts: dict[tuple, str] = {}
        self._sheets: dict[str, tuple[str, tuple[Fact, ...]]] = {}
        self._lexicon: tuple[str, Lexicon] | None = None
        self._warned = False
        #: What this cache did, for tests and the bench: file reads that hit, misses, files written, ignored.
        self.stats = {"hits": 0, "misses": 0, "written": 0, "ignored": 0}

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

    def read_sheet(
        self, relative: str, key: str
    ) -> (
        tuple[tuple[Fact, ...], tuple[tuple[str, int, int | None], ...], tuple[tuple[tuple[str, str, str], ...], ...]]
        | None
    ):
        """(facts, declared ids, question keys) stored for the sheet under `key`, or None."""
        data = self._read_json(self._path("sheet", relative, "json"), key)
        if data is None:
            return None
        try:
            facts = tuple(fact_from(f, relative) for f in data["facts"])
            declared = tuple((_string(i), _int(line), _int(q, optional=True)) for i, line, q in data["declared"])
            keys = tuple(tuple((_string(a), _string(b), _string(c)) for a, b, c in ks) for ks in data["keys"])
            if len(keys) != len(facts):
                raise BadFile("one question list per fact was expected")
        except (BadFile, KeyError, TypeError, ValueError) as exc:
            self._ignore(self._path("sheet", relative, "json"), exc)
            return None
        self.stats["hits"] += 1
        return facts, declared, keys

    def write_sheet(
        self,
        relative: str,
        key: str,
        facts: Sequence[Fact],
        declared: Sequence[tuple[str, int, int | None]],
        keys: Sequence[Sequence[tuple[str, str, str]]],
    ) -> None:
        payload = {
            "version": CACHE_VERSION,
            "code": self._code,
            "key": key,
            "facts": [fact_data(f) for f in facts],
            "declared": [list(d) for d in declared],
            "keys": [[list(k) for k in ks] for ks in keys],
        }
        self._write(self._path("sheet", relative, "json"), json.dumps(payload, ensure_ascii=False).encode("utf-8"))

    def saw_sheet(self, relative: str, key: str | None, facts: tuple[Fact, ...]) -> None:
        """The load just read `relative` with this key and these facts (from memory, the disk or the YAML);
        None: the sheet has problems, nothing of it is stored."""
        if key is None:
            self._sheets.pop(relative, None)
        else:
            self._sheets[relative] = (key, facts)

    def saw_lexicon(self, digest: str, lexicon: Lexicon | None) -> None:
        self._lexicon = (digest, lexicon) if lexicon is not None else None

    def forget_sheets(self, keep: Iterable[str]) -> None:
        kept = set(keep)
        self._sheets = {r: v for r, v in self._sheets.items() if r in kept}

    # The Matcher's side.

    def analyses(
        self,
        facts: Sequence[Fact],
        lexicon: Lexicon,
        model: str | None,
        dim: int,
        compute: Callable[[Sequence[Fact]], list[Analysed]],
    ) -> list[Analysed]:
        """Each fact's analysis and vectors: read from the sheet's file when stored, else computed and stored.

        Facts are handled sheet by sheet; a sheet's file is used only when these are the very
        facts the last load read from it, under the very lexicon it read.
        """
        lexicon_digest = self._lexicon[0] if self._lexicon is not None and self._lexicon[1] is lexicon else None
        groups: dict[str, list[int]] = {}
        for n, fact in enumerate(facts):
            groups.setdefault(fact.file, []).append(n)
        result: list[Analysed | None] = [None] * len(facts)
        for relative, positions in groups.items():
            group = [facts[n] for n in positions]
            seen = self._sheets.get(relative)
            cacheable = (
                lexicon_digest is not None
                and seen is not None
                and len(seen[1]) == len(group)
                and all(a is b for a, b in zip(seen[1], group, strict=True))
            )
            found = None
            if cacheable:
                assert seen is not None and lexicon_digest is not None
                key = _digest("analysis", self._code, seen[0], lexicon_digest, model or "-", str(dim))
                found = self._read_analyses(relative, key, group, model is not None, dim)
            if found is None:
                found = compute(group)
                if cacheable:
                    self._write_analyses(relative, key, group, found)
            for n, analysed in zip(positions, found, strict=True):
                result[n] = analysed
        return result  # type: ignore[return-value]

    def _read_analyses(
        self, relative: str, key: str, facts: Sequence[Fact], vectors: bool, dim: int
    ) -> list[Analysed] | None:
        path = self._path("analysis", relative, "npz")
        arrays = self._read_npz(path)
        if arrays is None:
            return None
        try:
            meta = json.loads(bytes(arrays["meta"]).decode("utf-8"))
            _check_header(meta, key, self._code)
            if meta.get("ids") != [f.id for f in facts]:
                raise BadFile("written for other facts")
            entries = decode_entries(meta, arrays, len(facts))
            texts: list[Texts] = [None] * len(facts)
            if vectors:
                texts = self._split_views(arrays, len(facts), dim)
        except (BadFile, KeyError, TypeError, ValueError, UnicodeDecodeError) as exc:
            self._ignore(path, exc)
            return None
        self.stats["hits"] += 1
        return list(zip(entries, texts, strict=True))

    @staticmethod
    def _split_views(arrays: Mapping[str, np.ndarray], count: int, dim: int) -> list[Texts]:
        counts = [arrays["questions"], arrays["context"]]
        for c in counts:
            if c.dtype != np.int64 or c.shape != (count,) or (c < 0).any():
                raise BadFile("row counts do not match the facts")
        views = []
        for view in range(int(arrays["views"][0])):
            parts = []
            for name, sizes in zip(("q", "c"), counts, strict=True):
                rows = arrays[f"{name}{view}"]
                if rows.dtype != np.float16 or rows.shape != (int(sizes.sum()), dim):
                    raise BadFile("vectors of another shape or precision")
                parts.append(np.split(rows, np.cumsum(sizes)[:-1]))
            views.append(parts)
        return [tuple(FactTexts(q[n], c[n]) for q, c in views) for n in range(count)]

    def _write_analyses(self, relative: str, key: str, facts: Sequence[Fact], analysed: Sequence[Analysed]) -> None:
        entries, arrays = encode_entries([e for e, _ in analysed])
        meta = {"version": CACHE_VERSION, "code": self._code, "key": key, "ids": [f.id for f in facts], **entries}
        arrays["meta"] = np.frombuffer(json.dumps(meta, ensure_ascii=False).encode("utf-8"), dtype=np.uint8)
        texts = [t for _, t in analysed]
        if texts and all(t is not None for t in texts):
            views = len(texts[0])  # type: ignore[arg-type]
            arrays["views"] = np.array([views], dtype=np.int64)
            arrays["questions"] = np.array([len(t[0].questions) for t in texts], dtype=np.int64)  # type: ignore[index]
            arrays["context"] = np.array([len(t[0].context) for t in texts], dtype=np.int64)  # type: ignore[index]
            for view in range(views):
                arrays[f"q{view}"] = np.vstack([t[view].questions for t in texts]).astype(np.float16)  # type: ignore[index]
                arrays[f"c{view}"] = np.vstack([t[view].context for t in texts]).astype(np.float16)  # type: ignore[index]
        buffer = io.BytesIO()
        np.savez(buffer, **arrays)
        self._write(self._path("analysis", relative, "npz"), buffer.getvalue())

    # Files.

    def _path(self, kind: str, relative: str, suffix: str) -> Path:
        # One file per sheet and kind: a new version of a sheet replaces the old file, so the folder stays bounded.
        name = hashlib.sha1(relative.encode("utf-8", "surrogatepass"), usedforsecurity=False).hexdigest()[:20]
        stem = "".join(c if c.isalnum() else "_" for c in Path(relative).stem)[:40]
        return self.folder / f"{kind}-{stem}-{name}.{suffix}"

    def _read_bytes(self, path: Path) -> bytes | None:
        try:
            with path.open("rb") as handle:
                data = handle.read(MAX_FILE_BYTES + 1)
        except FileNotFoundError:
            self.stats["misses"] += 1
            return None
        except OSError as exc:
            self._ignore(path, exc)
            return None
        if len(data) > MAX_FILE_BYTES:
            self._ignore(path, BadFile(f"larger than {MAX_FILE_BYTES} bytes"))
            return None
        return data

    def _read_json(self, path: Path, key: str) -> dict | None:
        data = self._read_bytes(path)
        if data is None:
            return None
        try:
            found = json.loads(data.decode("utf-8"))
            _check_header(found, key, self._code)
        except (BadFile, ValueError, UnicodeDecodeError) as exc:
            self._ignore(path, exc)
            return None
        return found

    def _read_npz(self, path: Path) -> dict[str, np.ndarray] | None:
        data = self._read_bytes(path)
        if data is None:
            return None
        try:
            with np.load(io.BytesIO(data), allow_pickle=False) as archive:
                return {name: archive[name] for name in archive.files}
        except Exception as exc:  # numpy and zipfile raise many kinds: any of them means rebuild
            self._ignore(path, exc)
            return None

    def _ignore(self, path: Path, reason: BaseException) -> None:
        self.stats["misses"] += 1
        if isinstance(reason, Stale):
            log.debug("cache file %s is stale: rebuilt", path)
            return
        self.stats["ignored"] += 1
        if not self._warned:
            self._warned = True
            log.warning("cache file %s ignored and rebuilt (%s); further ones are logged at debug level", path, reason)
        else:
            log.debug("cache file %s ignored and rebuilt (%s)", path, reason)

    def _write(self, path: Path, data: bytes) -> None:
        """Write atomically (a temporary file renamed over the old one); a failure only costs the next start."""
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
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
            return
        self.stats["written"] += 1
