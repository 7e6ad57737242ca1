"""Drafting a fact from members' questions: the passages of the sources that answer them, as YAML.

A moderator gives the questions nobody answered; this finds the sentences of the sources
that match them best (the engine's own lexicon concepts, weighted by rarity, plus the
embedding similarity the matcher uses), and writes a fact ready to paste into a sheet:
an id and topic proposed, the passage quoted verbatim, the questions as variants, and
answers pre-filled from the passage but marked for review (engine/knowledge/review.py), so `check`
refuses the fact until a person has written them.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Sequence

import numpy as np

from engine.answering import Snapshot
from engine.knowledge import shapes
from engine.knowledge.draftyaml import Draft, Match, fact_yaml, header, prefilled, yaml_text
from engine.knowledge.model import LANGS, KnowledgeBase, Source
from engine.knowledge.passages import (
    _INDEXES,
    MAX_PASSAGES,
    Index,
    Passage,
    content_words,
    index_of,
    passages,
    tighten,
    weigher,
)
from engine.knowledge.review import REVIEW_MARK
from engine.knowledge.wording import MAX_KEYWORDS, Wording
from engine.lexicon import Analysis
from engine.matching.semantic import Embedder
from engine.textnorm import MAX_CHARS, fold, quote_form, tokenize

__all__ = [  # the drafting commands, the cogs and the tests import these from here
    "COVERED",
    "MAX_KEYWORDS",
    "MAX_PASSAGES",
    "MAX_QUESTIONS",
    "MIN_QUESTIONS",
    "_INDEXES",
    "Draft",
    "Drafter",
    "Match",
    "Passage",
    "draft",
    "informative",
    "offers",
    "passages",
    "prefilled",
    "yaml_text",
]

#: Questions drafted together at most (a group of alike questions), and passages listed.
MAX_QUESTIONS = 10
SHOWN = 3
#: A question's rarest words compared by embedding at most.
MAX_QUESTION_WORDS = 32
#: Weight of the lexical overlap in a passage's score; the rest is the words' embedding similarity, which
#: ranks the passages that share no word with the question (scripts/measure_drafting.py: the best passage is
#: the expected one for 80% of the held-out questions at 0.95, 69% at 0.6).
LEXICAL_WEIGHT = 0.95
#: How much a word of the passage's context (the sentence before, the heading above) counts.
CONTEXT_WEIGHT = 0.5
#: A question asking how many, when or how old keeps this share of its score on a sentence with no number or date.
NO_NUMBER = 0.5
_NUMERIC_KINDS = frozenset({"how_many", "when", "how_old"})
#: Below this score no passage answers the question: the sources do not cover it (figures in knowledge/README.md).
COVERED = 0.4
#: Questions a fact needs in each language (declared in engine/knowledge/shapes.py): a draft proposes
#: that many, placeholders marked for review filling what it cannot propose honestly.
MIN_QUESTIONS = shapes.MIN_QUESTIONS
#: Proposed question variants per language at most.
MAX_VARIANTS = 6
#: A passage worth a fact skeleton (add-source) holds at least this many content words.
INFORMATIVE_TOKENS = 4
_YEAR = re.compile(r"(?:19|20)\d\d")
_SLUG = re.compile(r"[^a-z0-9]+")


class Drafter:
    """Finds passages and writes drafts over one snapshot (its knowledge, lexicon, spelling and embedder)."""

    def __init__(self, snapshot: Snapshot) -> None:
        self.snapshot = snapshot
        self.kb: KnowledgeBase = snapshot.kb
        self.matcher = snapshot.matcher
        self.lexicon = self.kb.lexicon
        self.embedder: Embedder | None = self.matcher.embedder
        self._weight = weigher(self.lexicon)
        self._indexes: dict[str, Index] = {}
        self.wording = Wording(self.lexicon)
        self._words: set[str] | None = None
        self._taken: dict[str, str] | None = None

    def _index(self, source: Source) -> Index:
        index = self._indexes.get(source.id)
        if index is None:
            index = self._indexes[source.id] = index_of(source, self.lexicon, self.embedder)
        return index

    # -- finding passages -------------------------------------------------------------------

    def _analyse(self, question: str) -> Analysis:
        question = question[:MAX_CHARS]
        return self.matcher.analyse(question, self.matcher.words(question))

    def search(self, questions: Sequence[str], limit: int = SHOWN) -> list[Match]:
        """The passages of every source that best match the questions (their mean score), best first."""
        analyses = [a for a in map(self._analyse, questions[:MAX_QUESTIONS]) if a.tokens]
        if not analyses:
            return []
        scored: list[Match] = []
        for source in self.kb.sources.values():
            index = self._index(source)
            if not index.passages:
                continue
            lexical = np.array(
                [
                    [self._overlap(a, own, near) for own, near in zip(index.tokens, index.context, strict=True)]
                    for a in analyses
                ]
            )
            semantic = np.array([self._soft_overlap(a, index) for a in analyses])
            lex, sem = lexical.mean(axis=0), semantic.mean(axis=0)
            total = LEXICAL_WEIGHT * lex + (1 - LEXICAL_WEIGHT) * sem
            # A question asking for a number or a date is not answered by a sentence that holds none.
            wants = [bool(a.kinds & _NUMERIC_KINDS) for a in analyses]
            if any(wants):
                share = sum(wants) / len(wants)
                total = total * np.where(index.numeric, 1.0, 1.0 - share * (1.0 - NO_NUMBER))
            total = np.where(index.heading, -1.0, total)
            for i in np.argsort(-total, kind="stable")[:limit]:
                if index.heading[i]:
                    break
                passage = index.passages[int(i)]
                scored.append(Match(passage, float(total[i]), float(lex[i]), float(sem[i]), self._quoted_by(passage)))
        scored.sort(key=lambda m: -m.score)
        return scored[:limit]

    def _overlap(self, analysis: Analysis, own: frozenset[str], context: frozenset[str]) -> float:
        """How much of the question's meaning, weighted by rarity, the passage holds (0-1; its context counts half)."""
        total = shared = 0.0
        for token in analysis.tokens:
            weight = self._weight(token)
            total += weight
            shared += weight if token in own else CONTEXT_WEIGHT * weight if token in context else 0.0
        return shared / total

    def _soft_overlap(self, analysis: Analysis, index: Index) -> np.ndarray:
        """Per passage, how much of the question's words, weighted by rarity, have a near word in it (0-1):
        each word counts its best cosine to the passage's words, so "revealed" meets "révélé"."""
        words = sorted(content_words(self.lexicon, analysis.words), key=self._weight, reverse=True)
        words = words[:MAX_QUESTION_WORDS]
        out = np.zeros(len(index.passages))
        if self.embedder is None or not words or not len(index.vectors):
            return out
        weights = np.array([self._weight(w) for w in words])
        vectors = self.embedder.encode_bags([[w] for w in words], self._weight)
        near = np.clip(vectors @ index.vectors.T, 0.0, 1.0)[:, index.flat]  # (words, every passage word)
        sizes = np.array([len(w) for w in index.words])
        present = sizes > 0
        best = np.maximum.reduceat(near, index.starts[present], axis=1)  # (words, passages with words)
        out[present] = weights @ best / weights.sum()
        return out

    def _quoted_by(self, passage: Passage) -> tuple[str, ...]:
        text = quote_form(passage.text)
        return tuple(f.id for f in self.kb.facts if f.source == passage.source and quote_form(f.quote) in text)

    # -- proposing the fact's fields --------------------------------------------------------

    def guess_topic(self, passage: Passage) -> str:
        """The topic of the facts quoting this passage, else of the nearest quoted passage, else by its words."""
        quoted = Counter(self.kb.facts_by_id[i].topic for i in self._quoted_by(passage))
        if quoted:
            return quoted.most_common(1)[0][0]
        source = self.kb.sources.get(passage.source)
        others = [p for p in passages(source) if p != passage] if source else []
        near = sorted(others, key=lambda p: (p.line != passage.line, abs(p.start - passage.start)))
        for other in near[:20]:
            topics = Counter(self.kb.facts_by_id[i].topic for i in self._quoted_by(other))
            if topics:
                return topics.most_common(1)[0][0]
        return self._topic_by_words(passage.text)

    def _topic_by_words(self, text: str) -> str:
        """The topic whose labels share the most rare words with the text (the first topic when none)."""
        tokens = set(self.lexicon.analyse(text).tokens)
        best, best_score = self.kb.topics[0].id, 0.0
        for topic in self.kb.topics:
            label = set(self.lexicon.analyse(" ".join(topic.labels.values())).tokens)
            score = sum(self._weight(t) for t in tokens & label)
            if score > best_score:
                best, best_score = topic.id, score
        return best

    def propose_id(self, topic: str, words: Iterable[str], taken: set[str] | None = None) -> str:
        """`topic-word-word`, from the rarest words given, made unique against every fact id."""
        taken = set(self.kb.facts_by_id) | (taken or set())
        picked = sorted(dict.fromkeys(w for w in words if _telling(w)), key=lambda w: -self._weight(w))[:2]
        parts = [p for p in (_SLUG.sub("-", fold(w)).strip("-") for w in picked) if p and p not in topic]
        base = "-".join([_SLUG.sub("-", topic).strip("-") or "fact", *parts]) if parts else f"{topic}-new"
        candidate, n = base, 2
        while candidate in taken:
            candidate, n = f"{base}-{n}", n + 1
        return candidate

    def variants(
        self, questions: Sequence[str], passage: Passage | None = None, minimum: int = 1
    ) -> dict[str, list[str]]:
        """The questions in their own language, then keyword queries of their concepts in both languages; with
        a passage, keyword queries of its rarest concepts (a draft's only to reach `minimum`); then placeholders
        marked for review up to `minimum`. None that another fact or out_of_scope.yaml holds."""
        taken = self._claimed()
        out: dict[str, list[str]] = {lang: [] for lang in LANGS}
        seen: set[str] = set()

        def add(lang: str, text: str) -> None:
            key = " ".join(tokenize(text))
            if key and key not in seen and key not in taken and len(out[lang]) < MAX_VARIANTS:
                seen.add(key)
                out[lang].append(text.strip())

        analyses = []
        for question in questions[:MAX_QUESTIONS]:
            words = self.matcher.words(question[:MAX_CHARS])
            add(self.matcher.language.guess(question, words), question[:MAX_CHARS])
            analyses.append(self._analyse(question))
        rare: list[str] = []
        if passage is not None:
            tokens = [t for t in self.lexicon.analyse(passage.text).tokens if _telling(t)]
            rare = sorted(tokens, key=lambda t: -self._weight(t))
        for lang in LANGS:
            for analysis in analyses:
                keywords = self.wording.keywords_in(lang, analysis.tokens)
                add(lang, keywords)
                for kind in sorted(analysis.kinds):  # "qui remplace bollore", "who replaced bollore"
                    word = self.wording.question_word(lang, kind)
                    if word and keywords and not set(tokenize(word)) & set(tokenize(keywords)):
                        add(lang, f"{word} {keywords}")
            for size in (4, 3, 2):  # "depart bollore saikawa nissan", then shorter
                if rare and (not questions or len(out[lang]) < minimum):
                    add(lang, self.wording.keywords_in(lang, [t for t in dict.fromkeys(rare) if t in rare[:size]]))
            name = {"fr": "French", "en": "English"}[lang]
            while len(out[lang]) < minimum:
                n = len(out[lang]) + 1
                out[lang].append(f"{REVIEW_MARK}: question {n} in {name}, as members would ask it")
        return out

    def _claimed(self) -> dict[str, str]:
        """Who holds each question (its folded words, as the loader compares them): a fact id or out_of_scope.yaml."""
        if self._taken is None:
            taken = {" ".join(tokenize(q)): shapes.OUT_OF_SCOPE_FILE for q in self.kb.out_of_scope}
            for fact in self.kb.facts:
                taken.update((" ".join(tokenize(q)), fact.id) for qs in fact.questions.values() for q in qs)
            self._taken = taken
        return self._taken

    def held(self, questions: Sequence[str]) -> list[tuple[str, str]]:
        """The given questions that a fact or out_of_scope.yaml already holds, with who holds them."""
        taken = self._claimed()
        return [(q, taken[key]) for q in questions if (key := " ".join(tokenize(q))) in taken]

    # -- the drafts -------------------------------------------------------------------------

    def draft(self, questions: Sequence[str]) -> Draft:
        """The draft fact for a group of alike questions (YAML empty when no passage matches well)."""
        questions = tuple(q.strip()[:MAX_CHARS] for q in questions[:MAX_QUESTIONS] if q.strip())
        matches = tuple(self.search(questions))
        best = matches[0] if matches else None
        covered = best is not None and best.score >= COVERED
        comments = header(questions, matches, covered, self.held(questions))
        if not covered or best is None:
            return Draft(questions, matches, False, "", "", comments)
        topic = self.guess_topic(best.passage)
        shared = [t for a in map(self._analyse, questions) for t in a.tokens if t in self._tokens_of(best.passage)]
        passage = tighten(self.lexicon, best.passage, set(shared))
        fact_id = self.propose_id(topic, shared or self.lexicon.analyse(passage.text).tokens)
        source = self.kb.sources[passage.source]
        variants = self.variants(questions, passage, MIN_QUESTIONS)
        body = self.fact_yaml(fact_id, topic, passage, variants, prefilled(passage, source.lang))
        return Draft(questions, matches, True, fact_id, topic, comments + body)

    def _vocabulary(self) -> set[str]:
        """Every word the facts already use (quotes, questions, answers) or the lexicon lists."""
        if self._words is None:
            texts = [t for f in self.kb.facts for t in (f.quote, *f.answer.values(), *f.questions["fr"])]
            self._words = {w for t in texts for w in tokenize(t)} | set(self.lexicon.words)
        return self._words

    def _tokens_of(self, passage: Passage) -> frozenset[str]:
        return frozenset(self.lexicon.analyse(passage.text).tokens)

    def entities(self, text: str) -> tuple[list[str], list[str]]:
        """The names in the text the lexicon knows, and capitalised words nothing here uses yet."""
        return self.wording.entities(text, self._vocabulary())

    def fact_yaml(
        self, fact_id: str, topic: str, passage: Passage, questions: dict[str, list[str]], answers: dict[str, str]
    ) -> str:
        """One fact as an item of a sheet's `facts:` list, with the passage's names, known and not."""
        return fact_yaml(fact_id, topic, passage, questions, answers, self.entities(passage.text))


def _telling(token: str) -> bool:
    """Whether a concept tells what a passage is about (a bare number, a day of the month, does not; a year does)."""
    return not token[:1].isdigit() or bool(_YEAR.fullmatch(token))


def draft(snapshot: Snapshot, questions: Sequence[str]) -> Draft:
    """The draft for a group of alike questions (blocking work: run it off the event loop)."""
    return Drafter(snapshot).draft(questions)


def offers(snapshot: Snapshot, questions: Sequence[str]) -> dict[str, Draft]:
    """For each unanswered question, its draft (`covered` False: the sources do not answer it)."""
    drafter = Drafter(snapshot)
    return {q: drafter.draft([q]) for q in dict.fromkeys(questions)}


def informative(drafter: Drafter, source: Source) -> list[Passage]:
    """The passages of a source worth a fact: enough content words to state something."""
    return [p for p in passages(source) if len(drafter.lexicon.analyse(p.text).tokens) >= INFORMATIVE_TOKENS]
