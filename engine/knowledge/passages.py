"""A source's passages: its sentences, where a moderator finds them, and their analysis for drafting.

A draft quotes one passage verbatim; finding the best one for a question compares the
question with every passage's concepts, context and words (engine/knowledge/drafting.py).
A source is analysed once and kept while it, the lexicon and the embedding model stay.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from engine.knowledge.model import Source
from engine.lexicon import Lexicon
from engine.matching.semantic import Embedder, informativeness
from engine.textnorm import tokenize

#: A sentence ends at . ! ? or … followed by space and what starts a sentence.
_SENTENCE_END = re.compile(r"(?<=[.!?…])([\"»”]?)\s+(?=[\"«“(]?[A-ZÀ-ÖØ-Þ0-9])")
#: Passages read from one source at most (a source file is at most 8 MB; this bounds the work on it).
MAX_PASSAGES = 2000
#: Number and date words (folded) of both languages: "une fois par mois", "the first", "début" (not "un",
#: "one", "may": articles and verbs too).
_NUMBER_WORDS = frozenset(
    tokenize(
        "deux trois quatre cinq six sept huit neuf dix cent mille million millions milliard premier première dernier "
        "moitié fois mois ans année années semaine jour début janvier février mars avril juin juillet août septembre "
        "octobre novembre décembre two three four five seven eight nine ten hundred thousand billion first last half "
        "once twice month months year years week early january february march april june july august september "
        "october november december"
    )
)
#: A quote longer than this is cut to the clauses holding the question's words, at most MAX_CLAUSES of them.
TIGHT_CHARS = 160
MAX_CLAUSES = 3
_CLAUSE = re.compile(r"[,;:]\s+")
#: A line shorter than this without a final stop is a heading.
HEADING_CHARS = 100


@dataclass(frozen=True, slots=True)
class Passage:
    """One sentence of a source, where a moderator finds it: line and character offsets in the file's text."""

    source: str
    line: int
    start: int
    end: int
    text: str


@lru_cache(maxsize=16)
def passages(source: Source) -> tuple[Passage, ...]:
    """The source's sentences in order (a line is a paragraph; headings are sentences too), at most MAX_PASSAGES."""
    found: list[Passage] = []
    offset = 0
    for number, line in enumerate(source.text.split("\n"), 1):
        start = 0
        for end, after in [*((m.end(1), m.end()) for m in _SENTENCE_END.finditer(line)), (len(line), len(line))]:
            piece = line[start:end]
            text = piece.strip()
            if any(c.isalnum() for c in text):
                first = offset + start + len(piece) - len(piece.lstrip())
                found.append(Passage(source.id, number, first, first + len(text), text))
                if len(found) >= MAX_PASSAGES:
                    return tuple(found)
            start = after
        offset += len(line) + 1
    return tuple(found)


class Index:
    """One source's passages analysed once: their concepts, context, numbers, and their words' vectors.

    A passage's context is the sentence before it in its paragraph, or the heading above
    it: "Ce représentant reportera..." is about the secretary general named just before.
    Headings are context only, never proposed as a quote on their own.
    """

    def __init__(self, source: Source, lexicon: Lexicon, embedder: Embedder | None) -> None:
        self.passages = passages(source)
        self.analyses = [lexicon.analyse(p.text) for p in self.passages]
        self.tokens = [frozenset(a.tokens) for a in self.analyses]
        self.heading = np.array([_is_heading(self.passages, i) for i in range(len(self.passages))], dtype=bool)
        self.context: list[frozenset[str]] = []
        for i, passage in enumerate(self.passages):
            before = i - 1
            near = before >= 0 and (self.passages[before].line == passage.line or self.heading[before])
            self.context.append(self.tokens[before] - self.tokens[i] if near else frozenset())
        #: Whether the passage (or its context) holds a number or a date, for "how many", "when", "how old".
        self.numeric = np.array(
            [
                _holds_number(p.text) or (bool(self.context[i]) and _holds_number(self.passages[i - 1].text))
                for i, p in enumerate(self.passages)
            ],
            dtype=bool,
        )
        #: Every passage's content words, flattened, with their unit vectors: a question's word meets its nearest.
        self.words = [content_words(lexicon, a.words) for a in self.analyses]
        self.starts = np.concatenate(([0], np.cumsum([len(w) for w in self.words])[:-1])).astype(np.int64)
        vocabulary = list(dict.fromkeys(w for words in self.words for w in words))
        position = {w: i for i, w in enumerate(vocabulary)}
        self.flat = np.array([position[w] for words in self.words for w in words], dtype=np.int64)
        self.vectors = np.zeros((0, 0), np.float32)
        if embedder is not None and vocabulary:
            self.vectors = embedder.encode_bags([[w] for w in vocabulary], weigher(lexicon))


def _holds_number(text: str) -> bool:
    """Whether a text states a number, a year or a date: digits, or a number or month word."""
    return any(c.isdigit() for c in text) or any(w in _NUMBER_WORDS for w in tokenize(text))


def content_words(lexicon: Lexicon, words: Sequence[str]) -> list[str]:
    """The words of a text that are not stop words, once each, as written (folded)."""
    return [w for w in dict.fromkeys(words) if lexicon.canonical(w) is not None]


def _is_heading(found: Sequence[Passage], i: int) -> bool:
    """A short line of its own without a sentence's final stop: a title or subtitle."""
    passage = found[i]
    alone = all(p.line != passage.line for p in found[max(0, i - 1) : i + 2] if p is not passage)
    return (
        alone and len(passage.text) < HEADING_CHARS and not passage.text.rstrip('"»” ').endswith((".", "!", "?", "…"))
    )


#: The sources analysed, by (id, text, lexicon, embedder): a reload that keeps them keeps their work.
_INDEXES: dict[tuple[str, int, int, int], tuple[Source, Lexicon, Embedder | None, Index]] = {}
_INDEXES_LOCK = threading.Lock()
KEPT_INDEXES = 8


def index_of(source: Source, lexicon: Lexicon, embedder: Embedder | None) -> Index:
    """A source's passages analysed and embedded, built once while the source, lexicon and model stay the same.

    Only the index and what it was built from are kept (never a snapshot), at most KEPT_INDEXES,
    and only for the latest lexicon and model: an edited lexicon drops the indexes of the old one.
    """
    key = (source.id, hash(source.text), id(lexicon), id(embedder))
    with _INDEXES_LOCK:
        kept = _INDEXES.get(key)
    if kept is not None and kept[0].text == source.text and kept[1] is lexicon and kept[2] is embedder:
        return kept[3]
    index = Index(source, lexicon, embedder)
    with _INDEXES_LOCK:
        for stale in [k for k, v in _INDEXES.items() if v[1] is not lexicon or v[2] is not embedder]:
            del _INDEXES[stale]
        while len(_INDEXES) >= KEPT_INDEXES:
            del _INDEXES[next(iter(_INDEXES))]
        _INDEXES[key] = (source, lexicon, embedder, index)
    return index


def weigher(lexicon: Lexicon) -> Callable[[str], float]:
    """A word's weight: how informative its rarity makes it."""
    return lambda word: informativeness(lexicon.zipf(word))


def tighten(lexicon: Lexicon, passage: Passage, wanted: set[str]) -> Passage:
    """The shortest run of a long sentence's clauses that still holds every wanted word it holds.

    "Makoto Uchida, directeur général de Nissan Motor Co" makes a better quote than the
    500-character sentence listing every leader; the run is a verbatim slice of the source.
    """
    text = passage.text
    target = wanted & frozenset(lexicon.analyse(text).tokens)
    if len(text) <= TIGHT_CHARS or not target:
        return passage
    spans, start = [], 0
    for m in _CLAUSE.finditer(text):
        spans.append((start, m.start()))
        start = m.end()
    spans.append((start, len(text)))
    best: tuple[int, int] | None = None
    for i in range(len(spans)):
        for j in range(i, min(len(spans), i + MAX_CLAUSES)):
            first, last = spans[i][0], spans[j][1]
            if target <= frozenset(lexicon.analyse(text[first:last]).tokens):
                if best is None or last - first < best[1] - best[0]:
                    best = (first, last)
                break
    if best is None:
        return passage
    first, last = best
    return Passage(passage.source, passage.line, passage.start + first, passage.start + last, text[first:last])
