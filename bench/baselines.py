"""What a member could use instead of the engine, over the same question variants.

- NaiveMatcher: the one-liner everybody writes first, rapidfuzz's `extractOne` with
  `WRatio` and `default_process` over every question variant of every fact.
- Bm25Matcher: BM25 (bm25s) over the same variants, one variant a document, words folded
  (lowercase, no accents) and bm25s's French and English stop words dropped.

Both answer with the fact owning the best variant when its score reaches a cutoff, and
abstain below it. The cutoff is tuned on the evaluation questions themselves (the best
sum of accuracy and abstention), which flatters the baselines: the engine's thresholds
get no such help. A baseline has no language model: it replies in the language of the
variant it matched, and in French (the engine's own default) when it abstains.
Replies are the engine's own Reply objects, so the engine's evaluation scores them.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from rapidfuzz import fuzz, process, utils

from engine.answering import Reply
from engine.evaluation.questions import EvalReport, Outcome
from engine.knowledge.model import EvalQuestion, Fact, KnowledgeBase

#: Language of a reply when a baseline abstains (the engine's default when unsure).
ABSTAIN_LANG = "fr"
_WORD = re.compile(r"\w\w+")  # bm25s's own default token pattern


@dataclass(frozen=True, slots=True)
class Hit:
    """A baseline's best variant for a question, before any cutoff."""

    index: int
    score: float


def _variants(kb: KnowledgeBase) -> tuple[list[str], list[tuple[Fact, str]]]:
    texts, owners = [], []
    for fact in kb.facts:
        for lang, listed in fact.questions.items():
            for question in listed:
                texts.append(question)
                owners.append((fact, lang))
    return texts, owners


class _Baseline:
    """Shared by both baselines: variants, the cutoff, and turning a hit into a Reply."""

    name = "baseline"

    def __init__(self, kb: KnowledgeBase, cutoff: float = 0.0) -> None:
        self.kb = kb
        self.cutoff = cutoff
        self.variants, self._owners = _variants(kb)

    def best(self, question: str) -> Hit | None:
        raise NotImplementedError

    def reply(self, question: str, hit: Hit | None) -> Reply:
        if hit is None or hit.score < self.cutoff:
            return Reply(question, "unknown", ABSTAIN_LANG, "", score=round(hit.score) if hit else 0)
        fact, lang = self._owners[hit.index]
        return Reply(
            question,
            "answer",
            lang,
            fact.answer[lang],
            score=round(hit.score),
            fact=fact,
            source=self.kb.sources.get(fact.source),
        )

    def ask(self, question: str) -> Reply:
        return self.reply(question, self.best(question))

    def tune(self, cases: Sequence[EvalQuestion], cutoffs: Sequence[float] | None = None) -> float:
        """Set the cutoff with the best accuracy + abstention on `cases` (the lowest on a tie); returns it."""
        hits = [(case, self.best(case.q)) for case in cases]
        if cutoffs is None:
            cutoffs = sorted({h.score for _, h in hits if h is not None} | {0.0})
        best_cutoff, best_sum = 0.0, -1.0
        for cutoff in cutoffs:
            self.cutoff = cutoff
            report = EvalReport(tuple(Outcome(case, self.reply(case.q, hit)) for case, hit in hits))
            total = report.accuracy + report.abstention
            if total > best_sum + 1e-12:
                best_cutoff, best_sum = cutoff, total
        self.cutoff = best_cutoff
        return best_cutoff


class NaiveMatcher(_Baseline):
    """`process.extractOne(question, variants, scorer=fuzz.WRatio, processor=utils.default_process)`."""

    name = "naive"
    #: The sweep of the tuning: whole scores from 50 to 95.
    SWEEP = tuple(range(50, 96))

    def best(self, question: str) -> Hit | None:
        found = process.extractOne(question, self.variants, scorer=fuzz.WRatio, processor=utils.default_process)
        return Hit(found[2], found[1]) if found else None

    def ask(self, question: str) -> Reply:
        # The cutoff goes to rapidfuzz, as a user of the one-liner would write it (it lets the scorer exit early).
        found = process.extractOne(
            question, self.variants, scorer=fuzz.WRatio, processor=utils.default_process, score_cutoff=self.cutoff
        )
        return self.reply(question, Hit(found[2], found[1]) if found else None)

    def tune(self, cases: Sequence[EvalQuestion], cutoffs: Sequence[float] | None = None) -> float:
        return super().tune(cases, self.SWEEP if cutoffs is None else cutoffs)


def fold_words(text: str, stopwords: frozenset[str] = frozenset()) -> list[str]:
    """Lowercase, accents dropped, bm25s's word pattern, stop words out."""
    decomposed = unicodedata.normalize("NFKD", text.lower())
    plain = "".join(c for c in decomposed if not unicodedata.combining(c))
    return [w for w in _WORD.findall(plain) if w not in stopwords]


class Bm25Matcher(_Baseline):
    """BM25 (bm25s, Lucene variant, its default parameters) with one question variant per document."""

    name = "bm25"

    def __init__(self, kb: KnowledgeBase, cutoff: float = 0.0) -> None:
        import bm25s  # dev dependency, imported only when this baseline is used
        from bm25s.stopwords import STOPWORDS_EN, STOPWORDS_FRENCH

        super().__init__(kb, cutoff)
        self._stopwords = frozenset(fold_words(" ".join((*STOPWORDS_EN, *STOPWORDS_FRENCH))))
        self._index = bm25s.BM25()
        self._index.index([fold_words(v, self._stopwords) for v in self.variants], show_progress=False)

    def best(self, question: str) -> Hit | None:
        words = [w for w in fold_words(question, self._stopwords) if w in self._index.vocab_dict]
        if not words:
            return None
        scores = self._index.get_scores(words)
        index = int(scores.argmax())
        return Hit(index, float(scores[index])) if scores[index] > 0 else None


def evaluate_baseline(ask: Callable[[str], Reply], cases: Sequence[EvalQuestion]) -> EvalReport:
    """Score any `ask` on the evaluation questions with the engine's own definitions."""
    return EvalReport(tuple(Outcome(case, ask(case.q)) for case in cases))
