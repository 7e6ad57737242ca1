"""What the load cache stores, as plain data: facts as JSON, analysed facts as word tables and int32 arrays.

Nothing here can run code: values are JSON or numeric numpy arrays, and every value read
back is checked for its type before it becomes a Fact, a FactEntry or a vector block
(anything else raises BadFile, and the caller rebuilds).
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Collection, Mapping, Sequence
from itertools import chain
from types import MappingProxyType
from typing import Any

import numpy as np

from engine.knowledge.model import Fact
from engine.matching.index import FactEntry
from engine.matching.semantic import FactTexts

#: (questions, context) vectors of each view, or None when the semantic signal is off.
Texts = tuple[FactTexts, ...] | None
Analysed = tuple[FactEntry, Texts]


class BadFile(ValueError):
    """A cache file that cannot be trusted (corrupt, foreign, of another version): logged, rebuilt."""


class Stale(BadFile):
    """A file this code wrote for an earlier state of its sheet (edited, or another lexicon): a plain miss."""


def strings(value: Any, *, intern: bool = False) -> tuple[str, ...]:
    # (The types gathered in C: this runs for every word table and every fact's lists.)
    if not isinstance(value, list) or not set(map(type, value)) <= {str}:
        raise BadFile("a list of strings was expected")
    return tuple(map(sys.intern, value)) if intern else tuple(value)


def check_entry(found: Any, version: int, key: str, stale: str) -> None:
    """Raise BadFile unless `found` is an object stored by this `version`, Stale (saying `stale`) unless under `key`."""
    if not isinstance(found, dict) or found.get("version") != version:
        raise BadFile("written by another version")
    if found.get("key") != key:
        raise Stale(stale)


def string(value: Any) -> str:
    if not isinstance(value, str):
        raise BadFile("a string was expected")
    return value


def whole(value: Any) -> int:
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    raise BadFile("a whole number was expected")


def whole_or_none(value: Any) -> int | None:
    return None if value is None else whole(value)


def _by_lang(value: Any, read: Callable[[Any], Any]) -> MappingProxyType[str, Any]:
    if not isinstance(value, dict):
        raise BadFile("a mapping was expected")
    return MappingProxyType({string(lang): read(v) for lang, v in value.items()})


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
        id=string(data["id"]),
        topic=string(data["topic"]),
        source=string(data["source"]),
        quote=string(data["quote"]),
        questions=_by_lang(data["questions"], strings),
        answer=_by_lang(data["answer"], string),
        keywords=strings(data["keywords"]),
        mentions=strings(data["mentions"]),
        file=file,
        line=whole(data["line"]),
    )


#: The word collections of a FactEntry, in the order they are stored; then one per language, then one per variant.
_SETS = ("question_bag", "answer_bag", "entities", "answer_entities", "kinds", "words", "mentions")
#: Those kept as tuples (only iterated, at index time); the others are frozensets (set operations per question).
_TUPLES = frozenset({"question_bag", "answer_bag", "words"})


def encode_entries(entries: Sequence[FactEntry]) -> tuple[dict[str, Any], dict[str, np.ndarray]]:
    """FactEntries as plain data: one table of the words they use, and every word set as indices into it.

    (JSON for the table and the shapes, int32 arrays for the sets: a 200-fact sheet holds some
    100,000 words, read back with one array conversion instead of a type check per word.)
    """
    sets: list[Collection[str]] = []
    shapes = []
    for entry in entries:
        sets += [getattr(entry, name) for name in _SETS]
        sets += [words for _, words in entry.own_words]
        sets += [variant for variant, _ in entry.variants]
        shapes.append([[lang for lang, _ in entry.own_words], [joined for _, joined in entry.variants], entry.yes_no])
    lengths = np.fromiter(map(len, sets), dtype=np.int32, count=len(sets))
    # The table in the order words are first met, each word's id its place in it (one look-up a word, in C).
    # The words are walked twice rather than listed once: at a thousand articles that list alone was 80 MB,
    # held while a reload's snapshot entry is written beside the served base.
    table = {w: n for n, w in enumerate(dict.fromkeys(chain.from_iterable(sets)))}
    meta = {"words": list(table), "shapes": shapes}
    count = int(lengths.sum(dtype=np.int64))
    arrays = {
        "set_lengths": lengths,
        "set_tokens": np.fromiter(map(table.__getitem__, chain.from_iterable(sets)), dtype=np.int32, count=count),
    }
    return meta, arrays


#: Words looked up at a time when decoding (a few MB of references).
_CHUNK = 1 << 19


def _word_sets(table: tuple[str, ...], lengths: np.ndarray, tokens: np.ndarray) -> list[tuple[str, ...]]:
    """Every stored word set as a tuple of the table's (interned) words, in order.

    The words are looked up by numpy gathers (the table as an array of the strings themselves), a
    chunk of whole sets at a time, and each chunk's sets sliced by one comprehension: the entry's
    ten million words never sit in one list at once, and no Python call is paid per set.
    """
    words = np.array(table, dtype=object)
    ends = np.cumsum(lengths, dtype=np.int64)
    starts = ends - lengths
    total = int(ends[-1]) if len(ends) else 0
    # The sets ending within each stretch of CHUNK words make one chunk.
    # (Sorted already: each cut once, as np.unique gives them, without its import of numpy.ma, 14 ms of a start.)
    cuts = np.searchsorted(ends, np.arange(_CHUNK, total + _CHUNK, _CHUNK), side="right")
    cuts = cuts[np.concatenate(([True], cuts[1:] != cuts[:-1]))] if len(cuts) else cuts
    found: list[tuple[str, ...]] = []
    first = 0
    for last in [*cuts.tolist(), len(ends)]:
        if last <= first:  # no set ends in this stretch (a set longer than a chunk): it joins the next
            continue
        base, top = int(starts[first]), int(ends[last - 1])
        chunk = tuple(words[tokens[base:top]].tolist())
        bounds = zip(starts[first:last].tolist(), ends[first:last].tolist(), strict=True)
        found += [chunk[a - base : b - base] for a, b in bounds]
        first = last
    return found


def decode_entries(
    meta: Mapping[str, Any], arrays: Mapping[str, np.ndarray], count: int, table: tuple[str, ...] | None = None
) -> list[FactEntry]:
    """The FactEntries `encode_entries` wrote (their words interned: facts share most of them); raises BadFile.

    `table`: the word table `meta` holds, already read (and interned) by the caller."""
    table = strings(meta["words"], intern=True) if table is None else table
    shapes = meta["shapes"]
    lengths, tokens = arrays["set_lengths"], arrays["set_tokens"]
    if not isinstance(shapes, list) or len(shapes) != count:
        raise BadFile("one shape per fact was expected")
    for stored in (lengths, tokens):
        if stored.dtype != np.int32 or stored.ndim != 1:
            raise BadFile("word sets of another type")
    if len(tokens) and (tokens.min() < 0 or tokens.max() >= len(table)):
        raise BadFile("a word outside the table")
    if (lengths < 0).any() or int(lengths.sum()) != len(tokens):
        raise BadFile("word set lengths do not add up")
    every = _word_sets(table, lengths, tokens)
    # Equal collections are shared: facts of a sheet name the same few entities and kinds.
    tuples: dict[tuple[str, ...], tuple[str, ...]] = {}
    sets: dict[tuple[str, ...], frozenset[str]] = {}
    shared, fields = len(_SETS), [name in _TUPLES for name in _SETS]
    entries = []
    at = 0
    for shape in shapes:
        if not isinstance(shape, list) or len(shape) != 3 or not isinstance(shape[2], bool):
            raise BadFile("an analysed fact was expected")
        langs, joined = strings(shape[0], intern=True), strings(shape[1])
        end = at + shared + len(langs) + len(joined)
        if end > len(every):
            raise BadFile("fewer word sets than the shapes say")
        mine = every[at:end]
        kept = [tuples.setdefault(found, found) for found in mine[:shared]]
        values: list[Any] = [
            found if as_tuple else sets.get(found) or sets.setdefault(found, frozenset(found))
            for found, as_tuple in zip(kept, fields, strict=True)
        ]
        own = tuple(zip(langs, mine[shared : shared + len(langs)], strict=True))
        variants = tuple(zip(mine[shared + len(langs) :], joined, strict=True))
        named = dict(zip(_SETS, values, strict=True))
        entries.append(FactEntry(variants=variants, own_words=own, yes_no=shape[2], **named))
        at = end
    if at != len(every):
        raise BadFile("more word sets than the shapes say")
    return entries


def split_views(arrays: Mapping[str, np.ndarray], count: int, dim: int) -> list[Texts]:
    """Each fact's vector blocks in each view, as views of the stored arrays; raises BadFile."""
    counts = [arrays["questions"], arrays["context"]]
    for c in counts:
        if c.dtype != np.int64 or c.shape != (count,) or (c < 0).any():
            raise BadFile("row counts do not match the facts")
    stored = arrays["views"]
    if stored.dtype != np.int64 or stored.shape != (1,) or not 0 <= int(stored[0]) <= 8:
        raise BadFile("the number of views is not one small count")
    views = []
    for view in range(int(stored[0])):
        parts = []
        for name, sizes in zip(("q", "c"), counts, strict=True):
            rows = arrays[f"{name}{view}"]
            if rows.dtype != np.float16 or rows.shape != (int(sizes.sum()), dim):
                raise BadFile("vectors of another shape or precision")
            parts.append(np.split(rows, np.cumsum(sizes)[:-1]))
        views.append(parts)
    return [tuple(FactTexts(q[n], c[n]) for q, c in views) for n in range(count)]


def encode_views(texts: Sequence[tuple[FactTexts, ...]]) -> dict[str, np.ndarray]:
    """The facts' vector blocks of each view stacked (half precision), with their row counts."""
    views = len(texts[0])
    arrays = {
        "views": np.array([views], dtype=np.int64),
        "questions": np.array([len(t[0].questions) for t in texts], dtype=np.int64),
        "context": np.array([len(t[0].context) for t in texts], dtype=np.int64),
    }
    for view in range(views):
        arrays[f"q{view}"] = np.vstack([t[view].questions for t in texts]).astype(np.float16)
        arrays[f"c{view}"] = np.vstack([t[view].context for t in texts]).astype(np.float16)
    return arrays
