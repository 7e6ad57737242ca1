"""The knowledge's words and their token ids, kept in the load cache, so a start need not load the tokenizer.

Reading the tokenizer (a 1.8 MB JSON of vocabulary and merges) took 0.07-0.13 s of every
`python bot.py ask`, and a start from the load cache tokenises nothing but the question,
whose words are nearly always the knowledge's own. The ids of every word the knowledge
was encoded with (the Embedder's remembered words) are kept in one plain JSON file per
model (`tokens-*.json`), checked for its types and ids before use; a bad file is ignored
(logged once) and rewritten. Ids are the tokenizer's own output for the word, so a vector
is the same whether its ids came from here or from the tokenizer. At most WORD_IDS words.
"""

from __future__ import annotations

import hashlib
import json
import threading
from collections.abc import Mapping, Sequence
from itertools import chain
from pathlib import Path
from typing import Any

#: Bump when what is stored changes shape or meaning.
VERSION = 1
#: Words kept at most (a start reads them all: about 30 bytes a word on disk).
WORD_IDS = 200_000


class TokenIds:
    """word -> token ids of one model, read from its file on first use, written back by `save` when grown."""

    def __init__(self, folder: Path, identity: str, rows: int) -> None:
        """`rows`: the embedding table's size (a stored id must index it)."""
        name = hashlib.sha1(identity.encode(), usedforsecurity=False).hexdigest()[:20]
        self.folder = folder
        self.path = folder / f"tokens-{name}.json"
        self.identity = identity
        self._rows = rows
        self._ids: dict[str, list[int]] | None = None
        self._grown = False
        self._lock = threading.Lock()

    def _loaded(self) -> dict[str, list[int]]:
        ids = self._ids
        if ids is None:
            with self._lock:
                if self._ids is None:
                    self._ids = self._read()
                ids = self._ids
        return ids

    def _read(self) -> dict[str, list[int]]:
        from engine.knowledge.cachefiles import CacheFolder  # not at the top: the cache's codec imports semantic.py

        found = CacheFolder(self.folder).read_json(self.path, self._check)
        return {} if found is None else found["words"]  # checked by _check

    def _check(self, found: Any) -> None:
        from engine.knowledge.cachecodec import BadFile

        if not isinstance(found, dict) or found.get("version") != VERSION or found.get("model") != self.identity:
            raise BadFile("written by another version or for another model")
        words = found.get("words")
        if not isinstance(words, dict) or len(words) > WORD_IDS:
            raise BadFile("a bounded mapping of words was expected")
        if not all(isinstance(ids, list) for ids in words.values()):
            raise BadFile("each word's token ids must be row numbers of the table")
        flat = list(chain.from_iterable(words.values()))  # checked at once, in C: a start reads thousands
        if flat and not (set(map(type, flat)) <= {int} and min(flat) >= 0 and max(flat) < self._rows):
            raise BadFile("each word's token ids must be row numbers of the table")

    def known(self, words: Sequence[str]) -> dict[str, list[int]]:
        """The stored ids of those of `words` that have some."""
        ids = self._loaded()
        return {w: ids[w] for w in words if w in ids}

    def add(self, found: Mapping[str, list[int]]) -> None:
        """Remember these words' ids (while fewer than WORD_IDS are kept)."""
        ids = self._loaded()
        with self._lock:
            if len(ids) + len(found) <= WORD_IDS:
                ids.update(found)
                self._grown = True

    def save(self) -> None:
        """Write the file again when words were added since it was read (atomically; a failure is only slower)."""
        if not self._grown:
            return
        from engine.knowledge.cachefiles import CacheFolder

        with self._lock:
            payload = {"version": VERSION, "model": self.identity, "words": dict(self._loaded())}
            self._grown = False
        CacheFolder(self.folder).write(self.path, json.dumps(payload, ensure_ascii=False).encode("utf-8"))
