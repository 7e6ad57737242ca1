"""The knowledge's words and their token ids, kept in the load cache, so a start need not load the tokenizer.

Reading the tokenizer (a 1.8 MB JSON of vocabulary and merges) took 0.07-0.13 s of every
`python bot.py ask`, and a start from the load cache tokenises nothing but the question,
whose words are nearly always the knowledge's own. The ids of every word the knowledge
was encoded with (the Embedder's remembered words) are kept in one file per model
(`tokens-*.bin`): a line of JSON (version, model, counts), then the words, sorted, as
UTF-8 text one a line, each word's number of ids and all the ids (little-endian int32).
It is read with three array conversions and looked up by bisection (as a JSON mapping it
took 0.4 s to read at a thousand articles, the first reload's), and checked before use:
a bad file is ignored (logged once) and rewritten. Ids are the tokenizer's own output for
the word, so a vector is the same whether its ids came from here or from the tokenizer.
At most WORD_IDS words.
"""

from __future__ import annotations

import bisect
import contextlib
import hashlib
import json
import operator
import threading
from collections.abc import Mapping, Sequence
from itertools import chain, islice
from pathlib import Path
from typing import Any

import numpy as np

from engine.knowledge import writers

#: Bump when what is stored changes shape or meaning.
VERSION = 2
#: Words kept at most (a start reads them all: about 30 bytes a word on disk).
WORD_IDS = 200_000
_INT = np.dtype("<i4")


class _Stored:
    """The file's words, sorted, and each one's ids: a slice of one array."""

    __slots__ = ("ends", "ids", "sizes", "words")

    def __init__(self, words: list[str], sizes: np.ndarray, ids: np.ndarray) -> None:
        self.words = words
        self.sizes = sizes
        self.ids = ids
        self.ends = np.concatenate(([0], np.cumsum(sizes, dtype=np.int64)))

    def __len__(self) -> int:
        return len(self.words)

    def get(self, word: str) -> list[int] | None:
        words = self.words
        at = bisect.bisect_left(words, word)
        if at == len(words) or words[at] != word:
            return None
        ids: list[int] = self.ids[self.ends[at] : self.ends[at + 1]].tolist()
        return ids

    def merged(self, added: Mapping[str, Sequence[int]]) -> _Stored:
        """These words and `added` (none of them stored here) together, sorted."""
        new = sorted(added)
        at = [bisect.bisect_left(self.words, w) for w in new]
        sizes = np.fromiter((len(added[w]) for w in new), np.int32, len(new))
        ids = np.fromiter(chain.from_iterable(added[w] for w in new), np.int32, int(sizes.sum()))
        # np.insert puts values sharing an index in their given order: the new words' ids after the stored
        # ids of the words before them, each word's in order.
        return _Stored(
            sorted(chain(self.words, new)),
            np.insert(self.sizes, at, sizes),
            np.insert(self.ids, np.repeat(self.ends[at], sizes), ids),
        )

    def encode(self, identity: str) -> bytes:
        text = "\n".join(self.words).encode("utf-8")
        counts = {"words": len(self.words), "text": len(text), "ids": len(self.ids)}
        head = json.dumps({"version": VERSION, "model": identity, **counts}).encode("utf-8")
        return b"".join((head, b"\n", text, self.sizes.astype(_INT).tobytes(), self.ids.astype(_INT).tobytes()))


def _decode(data: bytes, identity: str, rows: int) -> _Stored:
    """The file's words and ids; raises BadFile (or ValueError) when it is not one this model's memo wrote."""
    from engine.knowledge.cachecodec import BadFile  # not at the top: the cache's codec imports semantic.py

    end = data.find(b"\n")
    header = json.loads(data[:end]) if end >= 0 else None
    if not isinstance(header, dict) or header.get("version") != VERSION or header.get("model") != identity:
        raise BadFile("written by another version or for another model")
    counts: list[Any] = [header.get(name) for name in ("words", "text", "ids")]
    if not all(type(n) is int and n >= 0 for n in counts) or counts[0] > WORD_IDS:
        raise BadFile("a bounded count of words was expected")
    count, size, total = (int(n) for n in counts)
    start = end + 1
    if len(data) != start + size + 4 * (count + total):
        raise BadFile("not as long as its header says")
    words = data[start : start + size].decode("utf-8").split("\n") if count else []
    sizes = np.frombuffer(data, _INT, count, start + size).astype(np.int32)
    ids = np.frombuffer(data, _INT, total, start + size + 4 * count).astype(np.int32)
    if len(words) != count or (sizes < 0).any() or int(sizes.sum(dtype=np.int64)) != total:
        raise BadFile("one count of ids a word was expected")
    if total and not (int(ids.min()) >= 0 and int(ids.max()) < rows):
        raise BadFile("each word's token ids must be row numbers of the table")
    # Sorted and each word once (two C-level passes): what the look-up by bisection needs.
    if words != sorted(words) or any(map(operator.eq, words, islice(words, 1, None))):
        raise BadFile("the words must be sorted, each once")
    return _Stored(words, sizes, ids)


_EMPTY = _Stored([], np.zeros(0, np.int32), np.zeros(0, np.int32))


class TokenIds:
    """word -> token ids of one model, read from its file on first use, written back by `save` when grown."""

    def __init__(self, folder: Path, identity: str, rows: int) -> None:
        """`rows`: the embedding table's size (a stored id must index it)."""
        name = hashlib.sha1(identity.encode(), usedforsecurity=False).hexdigest()[:20]
        self.folder = folder
        self.path = folder / f"tokens-{name}.bin"
        self.identity = identity
        self._rows = rows
        self._stored: _Stored | None = None
        #: Words added since the file was read (none of them in it).
        self._added: dict[str, list[int]] = {}
        self._grown = False
        self._lock = threading.Lock()

    def _loaded(self) -> _Stored:
        stored = self._stored
        if stored is None:
            with self._lock:
                if self._stored is None:
                    self._stored = self._read()
                stored = self._stored
        return stored

    def _read(self) -> _Stored:
        from engine.knowledge.cachecodec import BadFile
        from engine.knowledge.cachefiles import CacheFolder

        files = CacheFolder(self.folder)
        data = files.read_bytes(self.path)
        if data is None:
            return _EMPTY
        try:
            return _decode(data, self.identity, self._rows)
        except (BadFile, ValueError, UnicodeDecodeError) as exc:
            files.ignore(self.path, exc)
            return _EMPTY

    def known(self, words: Sequence[str]) -> dict[str, list[int]]:
        """The stored ids of those of `words` that have some."""
        stored, added = self._loaded(), self._added
        found = {}
        for word in words:
            ids = added.get(word)
            if ids is None:
                ids = stored.get(word)
            if ids is not None:
                found[word] = ids
        return found

    def add(self, found: Mapping[str, list[int]]) -> None:
        """Remember these words' ids (while fewer than WORD_IDS are kept; a word with a line break never is)."""
        stored = self._loaded()
        with self._lock:
            added = self._added
            fresh = {w: ids for w, ids in found.items() if "\n" not in w and w not in added and stored.get(w) is None}
            if fresh and len(stored) + len(added) + len(fresh) <= WORD_IDS:
                added.update(fresh)
                self._grown = True

    def save(self, *, background: bool = False) -> None:
        """Write the file again when words were added since it was read (atomically; a failure is only slower).

        In `background` (a reload: the bot is serving), by a thread of its own (engine/knowledge/writers.py),
        which the load cache's `wait` waits for. One write at a time: the next one waits for it.
        """
        writers.wait(self.folder, "token-ids")
        with self._lock:
            if not self._grown:
                return
            stored, added = self._loaded(), dict(self._added)  # words added meanwhile go in the next write
            self._grown = False
        if not background:
            self._write(stored, added)
            return
        writers.start("token-ids", self.folder, lambda: self._write(stored, added))

    def _write(self, stored: _Stored, added: Mapping[str, list[int]]) -> None:
        from engine.knowledge.cachefiles import CacheFolder

        if CacheFolder(self.folder).write(self.path, stored.merged(added).encode(self.identity)):
            self._remove_others()

    def _remove_others(self) -> None:
        """Remove the files of other models (an upgraded wheel) and the JSON of version 1: never read again.

        Another process still using another model loses only its start's speed: it writes its file again.
        """
        for path in (*self.folder.glob("tokens-*.bin"), *self.folder.glob("tokens-*.json")):
            if path != self.path:
                with contextlib.suppress(OSError):  # else left behind: only disk space
                    path.unlink(missing_ok=True)
