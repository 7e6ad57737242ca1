"""The matcher: a question's words corrected, its candidates gathered, their signals weighed.

Built once per knowledge base (reusing what the previous one analysed of unchanged facts),
cheap per question: spelling (spelling.py), the lexical signal (lexical.py), the semantic
signal (semantic.py) and the learned decision (decision.py) meet here. Candidates are the
lexical best and the semantic best together, so a fact found only by meaning is still
weighed; each gets a feature vector (features.py) and the decision model's probability.
"""

from __future__ import annotations

import logging
import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

import numpy as np

from engine.knowledge.model import Fact, KnowledgeBase
from engine.language import LanguageGuesser
from engine.lexicon import Analysis
from engine.matching.decision import DecisionModel
from engine.matching.features import Signals, feature_vector, latest_year
from engine.matching.index import FactEntry, Index, analyse_fact
from engine.matching.lexical import LexicalScorer
from engine.matching.semantic import (
    Embedder,
    FactTexts,
    FactVectors,
    default_embedder,
    informativeness,
)
from engine.matching.spelling import Speller
from engine.textnorm import MAX_CHARS, MAX_WORDS, tokenize

if TYPE_CHECKING:
    from engine.knowledge.cache import KnowledgeCache

log = logging.getLogger("alliance.matcher")

#: Candidates taken from each signal before the decision weighs them.
LEXICAL_CANDIDATES = 8
SEMANTIC_CANDIDATES = 8
#: Unknown capitalised words of one question looked at as names (each may cost a spelling search).
MAX_NAMES = 12
#: A capitalised word that does not start a sentence: a name, when the base does not know it.
_NAME = re.compile(r"(?<=[\w,;:] )[A-Z][\w-]+")
#: The semantic views of a text: its words as written (corrected), and its lexicon concepts.
VIEWS = ("surface", "concept")


_SENTENCE_END = re.compile(r"(?<=[.!?;:])\s+(?=[A-ZÀ-Ý])")


def _sentences(texts) -> list[str]:
    return [part for text in texts for part in _SENTENCE_END.split(text) if part.strip()]


@dataclass(frozen=True, slots=True)
class Candidate:
    """A fact with its score (0-1) for one question; the features it was scored on, when learned."""

    fact: Fact
    score: float
    features: tuple[float, ...] = ()


_DEFAULT = object()


class Matcher:
    """Everything one KnowledgeBase is searched with; immutable once built.

    Built with the previous snapshot's matcher, it reuses the analysis and vectors of every
    fact that is the very same object under the very same lexicon (the Loader hands back
    unchanged facts as they were), so a reload only analyses what changed.
    """

    def __init__(
        self,
        kb: KnowledgeBase,
        previous: Matcher | None = None,
        embedder: object = _DEFAULT,
        cache: KnowledgeCache | None = None,
    ) -> None:
        """`cache`: the Loader's on-disk cache, which holds the analyses of the sheets an earlier process read."""
        lexicon = kb.lexicon
        self.kb = kb
        self.lexicon = lexicon
        self.embedder: Embedder | None = default_embedder() if embedder is _DEFAULT else embedder  # type: ignore[assignment]
        self.decision: DecisionModel | None = kb.decision if self.embedder is not None else None
        fitted = self.decision.fitted_with.get("model") if self.decision is not None else None
        if fitted and self.embedder is not None and fitted != self.embedder.identity:
            # Weights fitted on another model's similarities mean nothing here: answer lexically, loudly.
            log.error(
                "decision.yaml was fitted with %s, not %s: refit it (python bot.py calibrate)",
                fitted,
                self.embedder.identity,
            )
            self.decision = None
        same = previous is not None and previous.lexicon is lexicon and previous.embedder is self.embedder
        if (
            same
            and previous is not None
            and previous.decision == self.decision
            and previous.kb.out_of_scope == kb.out_of_scope
            and previous.latest_year == latest_year(kb)
            and len(previous.kb.facts) == len(kb.facts)
            and all(a is b for a, b in zip(previous.kb.facts, kb.facts, strict=True))
        ):
            # Nothing the matcher depends on changed (a reload of an untouched folder): share it whole.
            self.__dict__.update(previous.__dict__)
            self.kb = kb
            return
        reusable = previous._by_fact if same else {}
        by_fact: dict[str, tuple[Fact, FactEntry, tuple[FactTexts, ...] | None]] = {}
        kept: set[str] = set()
        fresh = [f for f in kb.facts if (c := reusable.get(f.id)) is None or c[0] is not f]
        analysed = dict(zip((f.id for f in fresh), self._analyse(fresh, cache), strict=True))
        for fact in kb.facts:
            cached = reusable.get(fact.id)
            if cached is not None and cached[0] is fact:
                by_fact[fact.id] = cached
                kept.add(fact.id)
            else:
                by_fact[fact.id] = (fact, *analysed[fact.id])
        self._by_fact = by_fact
        entries = {i: e for i, (_, e, _) in by_fact.items()}
        if same and previous is not None:
            index = previous._index.evolve(
                ((i, e) for i, (_, e, _) in reusable.items() if i not in kept),
                ((i, e) for i, e in entries.items() if i not in kept),
            )
        else:
            index = Index.build(entries.items())
        self._index = index
        self.lexical = LexicalScorer(index, entries, lexicon)
        self._order = list(by_fact)
        self._position = {fact_id: n for n, fact_id in enumerate(self._order)}
        self.vectors = (
            tuple(
                FactVectors([t[view] for _, _, t in by_fact.values() if t is not None], self.embedder.dim)
                for view in range(len(VIEWS))
            )
            if self.embedder is not None
            else None
        )
        if self.vectors is not None:
            # Each fact's blocks become views of the stacked matrices: one copy in memory, not two.
            views = list(zip(*(v.blocks() for v in self.vectors), strict=True))
            self._by_fact = by_fact = {
                i: (fact, entry, views[n]) for n, (i, (fact, entry, _)) in enumerate(by_fact.items())
            }
        self.latest_year = latest_year(kb)
        #: Per fact: (its questions name only earlier years than the article's, they name its latest year).
        self._years = {i: self._year_state(e) for i, (_, e, _) in by_fact.items()}

        known_words = set(lexicon.stopwords) | set(lexicon.words) | index.word_counts.keys()
        for phrase in (*lexicon.phrases, *lexicon.smalltalk, *lexicon.kinds):
            known_words.update(phrase)
        for entity in lexicon.entities:
            known_words.update(entity.split("_"))
        self.speller = Speller(known_words, lexicon)
        self._known_words = self.speller.known
        own_words = {lang: index.own_counts.get(lang, Counter()).keys() for lang in ("fr", "en")}
        shared = own_words["fr"] & own_words["en"]
        self.language = LanguageGuesser(
            lexicon.markers,
            {
                lang: frozenset(w for w in words - shared if len(w) > 2 and w not in lexicon.entities)
                for lang, words in own_words.items()
            },
            lexicon.frequencies,
            frozenset(w for entity in lexicon.entities for w in entity.split("_")),
        )
        # Known out-of-scope questions are read as questions are: typos corrected, then analysed.
        self._negatives, self._negative_texts = self._negative_vectors(kb, previous)
        #: The listed questions as the loader compares them with facts' questions (folded words).
        self._listed = frozenset(" ".join(tokenize(q)) for q in kb.out_of_scope)

    def _analyse(
        self, facts: Sequence[Fact], cache: KnowledgeCache | None
    ) -> list[tuple[FactEntry, tuple[FactTexts, ...] | None]]:
        """Each fact's analysis and vectors: from the on-disk cache when it holds them, else computed."""

        def compute(group: Sequence[Fact]) -> list[tuple[FactEntry, tuple[FactTexts, ...] | None]]:
            return [(analyse_fact(fact, self.lexicon), self._texts(fact)) for fact in group]

        if cache is None or not facts:
            return compute(facts)
        embedder = self.embedder
        model, dim = (embedder.identity, embedder.dim) if embedder is not None else (None, 0)
        return cache.analyses(facts, self.lexicon, model, dim, compute)

    def _negative_vectors(
        self, kb: KnowledgeBase, previous: Matcher | None
    ) -> tuple[tuple[np.ndarray, ...], tuple[str, ...]]:
        """The known out-of-scope questions in each view (reused when they and the lexicon did not change)."""
        if self.embedder is None or not kb.out_of_scope:
            return (), ()
        if (
            previous is not None
            and previous.lexicon is self.lexicon
            and previous.embedder is self.embedder
            and previous.kb.out_of_scope == kb.out_of_scope
            and previous._known_words == self._known_words  # they are read with this base's spelling
        ):
            return previous._negatives, previous._negative_texts
        analysed = [self.analyse(q) for q in kb.out_of_scope]
        bags = [[a.words for a in analysed], [a.tokens or a.words for a in analysed]]
        return tuple(self.embedder.encode_bags(b, self._weight, remember=True) for b in bags), tuple(
            " ".join(a.words) for a in analysed
        )

    def nearest_negative(self, question: np.ndarray, text: str, *, fitting: bool = False) -> tuple[float, float]:
        """Best cosine, per view, to a question known to be out of scope.

        While fitting, the very same text is left out, so that the decision learns from a
        question's neighbours, as it will meet new questions; in service a question listed as
        out of scope meets itself, and is not answered.
        """
        if not self._negatives:
            return 0.0, 0.0
        found = []
        same = [n for n, t in enumerate(self._negative_texts) if t == text] if fitting else []
        for matrix, vector in zip(self._negatives, question, strict=True):
            scores = matrix @ vector
            if same:
                scores[same] = -1.0
            found.append(float(scores.max()) if len(scores) else 0.0)
        return found[0], found[1]

    def listed_out_of_scope(self, question: str) -> bool:
        """Whether moderators listed this very question (the same words, folded) as outside the article."""
        return bool(self._listed) and " ".join(tokenize(question)) in self._listed

    def _weight(self, word: str) -> float:
        return informativeness(self.lexicon.zipf(word))

    def _bags(self, text: str) -> tuple[tuple[str, ...], tuple[str, ...]]:
        """A text's two views: its folded words (surface), and its lexicon concepts (PDG, CEO -> ceo)."""
        words = self.lexicon.split(text)
        return tuple(words), self.lexicon.analyse(text, words).tokens or tuple(words)

    def _texts(self, fact: Fact) -> tuple[FactTexts, ...] | None:
        """The fact's vectors in each view (VIEWS): its questions, and its answers, quote and keywords."""
        if self.embedder is None:
            return None
        questions = [self._bags(q) for qs in fact.questions.values() for q in qs]
        # Answers sentence by sentence: "X is chairman of Renault. He attended..." matches "who chairs Renault".
        context = [self._bags(t) for t in (*_sentences(fact.answer.values()), fact.quote)]
        if fact.keywords:
            context.append(self._bags(" ".join(fact.keywords)))
        views = []
        for view in range(len(VIEWS)):
            vectors = self.embedder.encode_bags([b[view] for b in questions + context], self._weight, remember=True)
            vectors = vectors.astype(np.float16)
            views.append(FactTexts(vectors[: len(questions)], vectors[len(questions) :]))
        return tuple(views)

    @property
    def learned(self) -> bool:
        """Whether answers are decided by the fitted model (else by the lexical score alone)."""
        return self.decision is not None

    def words(self, text: str) -> list[str]:
        """The question's first MAX_WORDS words, folded, misspellings corrected (at most MAX_CORRECTIONS searched)."""
        return self.speller.correct_words(self.lexicon.split(text)[:MAX_WORDS])

    def analyse(self, text: str, words: list[str] | None = None) -> Analysis:
        """The question's analysis: corrected words, plus capitalised names the base does not know.

        "Who is the CEO of Ferrari?" names an entity no fact mentions; treating such a name
        like a known entity keeps it from being answered with a fact about another company.
        """
        if words is None:
            words = self.words(text)
        analysis = self.lexicon.analyse(text, words)
        unknown = dict.fromkeys(
            token
            for word in _NAME.findall(text[:MAX_CHARS])
            for token in tokenize(word)
            if token not in self._known_words
        )
        candidates = list(unknown)[:MAX_NAMES]
        corrected = self.speller.correct_words(candidates)
        names = {token for token, fixed in zip(candidates, corrected, strict=True) if fixed not in self._known_words}
        if names:
            analysis = replace(analysis, entities=analysis.entities | names)
        return analysis

    def rank(self, analysis: Analysis, limit: int = 4) -> list[Candidate]:
        """The best facts for an analysed question, best first, at most `limit`."""
        if self.decision is None:
            return self.rank_lexical(analysis, limit)
        found = self.candidates(analysis)
        if not found:
            return []
        probabilities = self.decision.probabilities([features for _, features in found])
        scored = [Candidate(fact, p, features) for (fact, features), p in zip(found, probabilities, strict=True)]
        scored.sort(key=lambda c: (-c.score, c.fact.id))
        return scored[:limit]

    def candidates(self, analysis: Analysis, *, fitting: bool = False) -> list[tuple[Fact, tuple[float, ...]]]:
        """The lexical and the semantic best facts together, each with its feature vector.

        `fitting` (calibrate only): a known out-of-scope question is not its own neighbour.
        """
        if not analysis.tokens or self.embedder is None or self.vectors is None:
            return []
        weighed = self.lexical.weigh(analysis)
        lexical = dict(self.lexical.rank(weighed, LEXICAL_CANDIDATES))
        question = self.embedder.encode_bags((analysis.words, analysis.tokens), self._weight)
        searched = [vectors.similarities(vector) for vectors, vector in zip(self.vectors, question, strict=True)]
        picked = [self._best(*found) for found in searched]
        ids = list(dict.fromkeys([*lexical, *(i for view in picked for i in view)]))
        # Every candidate, whichever signal or view found it, gets its similarity in each view.
        views = [
            self._similarities(vectors, vector, found, ids)
            for vectors, vector, found in zip(self.vectors, question, searched, strict=True)
        ]
        lexical.update(self.lexical.signals(weighed, [i for i in ids if i not in lexical]))
        signals = {
            i: Signals(
                lexical=lexical[i],
                semantic=views[0][i],
                concept=views[1][i],
                yes_no=self._by_fact[i][1].yes_no,
                stale=self._years[i][0],
                current=self._years[i][1],
                variants=len(self._by_fact[i][1].variants),
            )
            for i in ids
        }
        negative = self.nearest_negative(question, " ".join(analysis.words), fitting=fitting)
        asks_yes_no = self.lexicon.asks_yes_no(analysis.words)
        asks_now = self.lexicon.asks_now(analysis.words) and not any(e.isdigit() for e in analysis.entities)
        return [
            (self._by_fact[i][0], feature_vector(signal, signals.values(), weighed, asks_yes_no, asks_now, negative))
            for i, signal in signals.items()
        ]

    def _best(self, indices: np.ndarray, sem_q: np.ndarray, sem_c: np.ndarray) -> list[str]:
        """The facts most alike in meaning in one view, best first."""
        order = np.argsort(-np.maximum(sem_q, sem_c), kind="stable")[:SEMANTIC_CANDIDATES]
        return [self._order[indices[n]] for n in order]

    def _similarities(
        self, vectors: FactVectors, vector: np.ndarray, found: tuple[np.ndarray, ...], ids: list[str]
    ) -> dict[str, tuple[float, float]]:
        """Each candidate's (question, context) cosines in one view: from the search, else computed."""
        indices, sem_q, sem_c = found
        by_index = {int(i): n for n, i in enumerate(indices)}
        result, rest = {}, []
        for fact_id in ids:
            n = by_index.get(self._position[fact_id])
            if n is None:
                rest.append(fact_id)
            else:
                result[fact_id] = (float(sem_q[n]), float(sem_c[n]))
        if rest:
            q, c = vectors.similarities_for(vector, [self._position[i] for i in rest])
            result.update({i: (float(a), float(b)) for i, a, b in zip(rest, q, c, strict=True)})
        return result

    def _year_state(self, entry: FactEntry) -> tuple[bool, bool]:
        years = {e for e in entry.entities if e.isdigit()}
        latest = self.latest_year is not None and self.latest_year in years
        return bool(years) and self.latest_year is not None and not latest, latest

    def rank_lexical(self, analysis: Analysis, limit: int = 4) -> list[Candidate]:
        """The lexical signal alone, as the engine answered before the semantic signal (the baseline)."""
        if not analysis.tokens:
            return []
        ranked = self.lexical.rank(self.lexical.weigh(analysis), limit)
        return [Candidate(self._by_fact[i][0], s.score) for i, s in ranked]
