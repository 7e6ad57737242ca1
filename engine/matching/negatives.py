"""Questions moderators listed as outside the article (out_of_scope.yaml), as the matcher uses them.

A question listed word for word is never answered; any question gets, as a feature, its
best cosine to a listed one (in each semantic view), so that a question close to "who is
the CEO of Volkswagen?" weighs that closeness against the facts it resembles.

Only listed questions that ask nothing the question does not ask count: question words are
stop words, so "pourquoi les ventes ont chuté ?" (listed: the article gives no reason) and
"les ventes ont chuté ?" (it does say so) have the same words; the listed "why" is no
neighbour of a question that asks no why.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np

from engine.lexicon import Analysis
from engine.matching.semantic import Embedder
from engine.textnorm import tokenize


def listed_form(question: str) -> str:
    """How a question is compared with the listed ones: its folded words (as the loader compares them with facts')."""
    return " ".join(tokenize(question))


#: Kind sets of questions whose excluded listed rows are memoised (a few dozen occur; bounded all the same).
KINDS_MEMO = 256


class Negatives:
    """The listed questions, read as questions are (typos corrected, analysed), in each view.

    Immutable but for a bounded memo: the rows each set of question kinds leaves out."""

    __slots__ = ("_asking", "_excluded", "_kinds", "_listed", "_texts", "_vectors")

    def __init__(
        self,
        listed: frozenset[str],
        vectors: tuple[np.ndarray, ...],
        texts: tuple[str, ...],
        kinds: Sequence[frozenset[str]],
    ) -> None:
        """`kinds`: what each listed question asks for (who, why...), row by row (as its Analysis says)."""
        if len(kinds) != len(texts):
            raise ValueError(f"{len(kinds)} kinds for {len(texts)} listed questions")
        self._listed = listed
        self._vectors = vectors
        self._texts = texts
        self._kinds = tuple(kinds)
        rows: dict[frozenset[str], list[int]] = {}
        for n, asked in enumerate(kinds):
            rows.setdefault(asked, []).append(n)
        #: The rows of the listed questions that ask for something (who, why...), by what they ask.
        self._asking = {asked: np.array(found) for asked, found in rows.items() if asked}
        self._excluded: dict[frozenset[str], np.ndarray | None] = {}

    @classmethod
    def build(
        cls,
        questions: Sequence[str],
        analyse: Callable[[str], Analysis],
        embedder: Embedder | None,
        weight: Callable[[str], float],
        reuse: Negatives | None = None,
    ) -> Negatives:
        """`analyse` reads a question as the matcher does; `reuse`: a previous build still valid (vectors taken)."""
        listed = frozenset(listed_form(q) for q in questions)
        if embedder is None or not questions:
            return cls(listed, (), (), ())
        if reuse is not None:  # the same texts under the same lexicon: the same vectors and kinds
            return cls(listed, reuse._vectors, reuse._texts, reuse._kinds)
        # Questions that read the same (listed twice, in two cases or spellings) have the same vectors: one row
        # each (the best cosine is the same, and leaving a text out while fitting leaves out all its rows).
        read = {" ".join(a.words): a for a in map(analyse, questions)}
        analysed = list(read.values())
        bags = [[a.words for a in analysed], [a.tokens or a.words for a in analysed]]
        vectors = tuple(embedder.encode_bags(b, weight, remember=True) for b in bags)
        return cls(listed, vectors, tuple(read), [a.kinds for a in analysed])

    @classmethod
    def from_parts(
        cls,
        questions: Sequence[str],
        vectors: tuple[np.ndarray, ...],
        texts: tuple[str, ...],
        kinds: Sequence[frozenset[str]],
    ) -> Negatives:
        """The Negatives whose `vectors`, `texts` and `kinds` these are (kept by the load cache), for these
        questions: what `build` computed, read back, not worked out again."""
        return cls(frozenset(listed_form(q) for q in questions), vectors, texts, kinds)

    @property
    def texts(self) -> tuple[str, ...]:
        """Each listed question as read (its corrected words), in the order of the vectors' rows."""
        return self._texts

    @property
    def kinds(self) -> tuple[frozenset[str], ...]:
        """What each listed question asks for (who, why...), in the order of the vectors' rows."""
        return self._kinds

    @property
    def vectors(self) -> tuple[np.ndarray, ...]:
        """One matrix per view, a row per listed question (empty without the semantic signal)."""
        return self._vectors

    def lists(self, question: str) -> bool:
        """Whether moderators listed this very question (the same words, folded)."""
        return bool(self._listed) and listed_form(question) in self._listed

    def nearest(
        self,
        question: np.ndarray,
        text: str,
        kinds: frozenset[str],
        *,
        fitting: bool = False,
        unseen: frozenset[str] = frozenset(),
    ) -> tuple[float, float]:
        """Best cosine, per view, to a listed question (`question`: the question's vector in each view)
        among those that ask nothing beyond `kinds`, what the question asks for.

        While fitting, the very same text is left out, so that the decision learns from a
        question's neighbours, as it will meet new questions; in service a question listed as
        out of scope meets itself, and is not answered. `unseen` (fitting only): the texts of
        listed questions left out too, as if never listed (calibrate leaving a whole set out).
        """
        if not self._vectors:
            return 0.0, 0.0
        excluded = self._asking_more(kinds)
        if excluded is not None and len(excluded) == len(self._texts):
            return 0.0, 0.0  # every row left out (a list of only "who" questions, met by a yes/no one): as no list
        found = []
        same = [n for n, t in enumerate(self._texts) if t == text or t in unseen] if fitting else []
        for matrix, vector in zip(self._vectors, question, strict=True):
            scores = matrix @ vector
            if same:
                scores[same] = -1.0
            if excluded is not None:
                scores[excluded] = -1.0
            found.append(float(scores.max()) if len(scores) else 0.0)
        return found[0], found[1]

    def _asking_more(self, kinds: frozenset[str]) -> np.ndarray | None:
        """The rows of the listed questions that ask for something `kinds` does not hold (None: no row)."""
        if kinds in self._excluded:
            return self._excluded[kinds]
        groups = [rows for asked, rows in self._asking.items() if not asked <= kinds]
        found = np.concatenate(groups) if groups else None  # one assignment a view, not one a group
        if len(self._excluded) < KINDS_MEMO:
            self._excluded[kinds] = found
        return found
