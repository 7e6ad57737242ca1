"""Drafting a fact from members' questions: the passages of the sources that answer them, as YAML.

A moderator gives the questions nobody answered; this finds the sentences of the sources
that match them best (the engine's own lexicon concepts, weighted by rarity, plus the
embedding similarity the matcher uses), and writes a fact ready to paste into a sheet:
an id and topic proposed, the passage quoted verbatim, the questions as variants, and
answers pre-filled from the passage but marked for review (engine/knowledge/review.py), so `check`
refuses the fact until a person has written them.
"""

from __future__ import annotations

import json
import re
import threading
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from engine.answering import Snapshot
from engine.knowledge import schema
from engine.knowledge.model import LANGS, KnowledgeBase, Source
from engine.knowledge.review import REVIEW_MARK
from engine.knowledge.schema import OUT_OF_SCOPE_FILE
from engine.language import FREQUENCY_LEAD
from engine.lexicon import Analysis, Lexicon
from engine.matching.semantic import Embedder, informativeness
from engine.textnorm import MAX_CHARS, fold, quote_form, tokenize

#: A sentence ends at . ! ? or … followed by space and what starts a sentence.
_SENTENCE_END = re.compile(r"(?<=[.!?…])([\"»”]?)\s+(?=[\"«“(]?[A-ZÀ-ÖØ-Þ0-9])")
#: Passages read from one source at most (a source file is at most 8 MB; this bounds the work on it).
MAX_PASSAGES = 2000
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
#: A line shorter than this without a final stop is a heading.
HEADING_CHARS = 100
#: Below this score no passage answers the question: the sources do not cover it (figures in knowledge/README.md).
COVERED = 0.4
#: Questions a fact needs in each language, when check asks for a minimum (engine/knowledge/schema.py): a draft proposes
#: that many, placeholders marked for review filling what it cannot propose honestly.
MIN_QUESTIONS: int = getattr(schema, "MIN_QUESTIONS", 1)
#: Proposed question variants per language at most, and keywords.
MAX_VARIANTS = 6
MAX_KEYWORDS = 6
#: How each language asks for each kind of answer (the lexicon's question_words), in the order of LANGS.
QUESTION_WORDS = {
    "who": ("qui", "who"),
    "when": ("quand", "when"),
    "where": ("où", "where"),
    "how_many": ("combien", "how many"),
    "how_old": ("quel âge", "how old"),
    "why": ("pourquoi", "why"),
}
#: A word this common (Zipf) in both languages is proposed in both ("alliance", "date").
SHARED_ZIPF = 3.0
#: A quote longer than this is cut to the clauses holding the question's words, at most MAX_CLAUSES of them.
TIGHT_CHARS = 160
MAX_CLAUSES = 3
_CLAUSE = re.compile(r"[,;:]\s+")
#: A passage worth a fact skeleton (add-source) holds at least this many content words.
INFORMATIVE_TOKENS = 4
_YEAR = re.compile(r"(?:19|20)\d\d")
_SLUG = re.compile(r"[^a-z0-9]+")
#: A name: capitalised words in a row ("Jean-Dominique Senard", "Luca de Meo").
_NAME = re.compile(r"[A-ZÀ-ÖØ-Þ][\w'’-]+(?:\s+(?:de\s+|du\s+|von\s+)?[A-ZÀ-ÖØ-Þ][\w'’-]+)*")


@dataclass(frozen=True, slots=True)
class Passage:
    """One sentence of a source, where a moderator finds it: line and character offsets in the file's text."""

    source: str
    line: int
    start: int
    end: int
    text: str


@dataclass(frozen=True, slots=True)
class Match:
    passage: Passage
    score: float
    lexical: float
    semantic: float
    #: Facts whose quote lies in this passage already.
    quoted_by: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Draft:
    """A drafted fact: the passages found, best first, and the YAML to paste (empty when not covered)."""

    questions: tuple[str, ...]
    matches: tuple[Match, ...]
    covered: bool
    fact_id: str
    topic: str
    yaml: str

    @property
    def best(self) -> Match | None:
        return self.matches[0] if self.matches else None


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


class _Index:
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
        self.words = [_content_words(lexicon, a.words) for a in self.analyses]
        self.starts = np.concatenate(([0], np.cumsum([len(w) for w in self.words])[:-1])).astype(np.int64)
        vocabulary = list(dict.fromkeys(w for words in self.words for w in words))
        position = {w: i for i, w in enumerate(vocabulary)}
        self.flat = np.array([position[w] for words in self.words for w in words], dtype=np.int64)
        self.vectors = np.zeros((0, 0), np.float32)
        if embedder is not None and vocabulary:
            self.vectors = embedder.encode_bags([[w] for w in vocabulary], _weigher(lexicon))


def _holds_number(text: str) -> bool:
    """Whether a text states a number, a year or a date: digits, or a number or month word."""
    return any(c.isdigit() for c in text) or any(w in _NUMBER_WORDS for w in tokenize(text))


def _content_words(lexicon: Lexicon, words: Sequence[str]) -> list[str]:
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
_INDEXES: dict[tuple[str, int, int, int], tuple[Source, Lexicon, Embedder | None, _Index]] = {}
_INDEXES_LOCK = threading.Lock()
KEPT_INDEXES = 8


def _index_of(source: Source, lexicon: Lexicon, embedder: Embedder | None) -> _Index:
    """A source's passages analysed and embedded, built once while the source, lexicon and model stay the same.

    Only the index and what it was built from are kept (never a snapshot), at most KEPT_INDEXES,
    and only for the latest lexicon and model: an edited lexicon drops the indexes of the old one.
    """
    key = (source.id, hash(source.text), id(lexicon), id(embedder))
    with _INDEXES_LOCK:
        kept = _INDEXES.get(key)
    if kept is not None and kept[0].text == source.text and kept[1] is lexicon and kept[2] is embedder:
        return kept[3]
    index = _Index(source, lexicon, embedder)
    with _INDEXES_LOCK:
        for stale in [k for k, v in _INDEXES.items() if v[1] is not lexicon or v[2] is not embedder]:
            del _INDEXES[stale]
        while len(_INDEXES) >= KEPT_INDEXES:
            del _INDEXES[next(iter(_INDEXES))]
        _INDEXES[key] = (source, lexicon, embedder, index)
    return index


def _weigher(lexicon: Lexicon):
    return lambda word: informativeness(lexicon.zipf(word))


class Drafter:
    """Finds passages and writes drafts over one snapshot (its knowledge, lexicon, spelling and embedder)."""

    def __init__(self, snapshot: Snapshot) -> None:
        self.snapshot = snapshot
        self.kb: KnowledgeBase = snapshot.kb
        self.matcher = snapshot.matcher
        self.lexicon = self.kb.lexicon
        self.embedder: Embedder | None = self.matcher.embedder
        self._weight = _weigher(self.lexicon)
        self._indexes: dict[str, _Index] = {}
        self._forms: dict[str, tuple[str, ...]] | None = None
        self._words: set[str] | None = None
        self._taken: dict[str, str] | None = None

    def _index(self, source: Source) -> _Index:
        index = self._indexes.get(source.id)
        if index is None:
            index = self._indexes[source.id] = _index_of(source, self.lexicon, self.embedder)
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

    def _soft_overlap(self, analysis: Analysis, index: _Index) -> np.ndarray:
        """Per passage, how much of the question's words, weighted by rarity, have a near word in it (0-1):
        each word counts its best cosine to the passage's words, so "revealed" meets "révélé"."""
        words = sorted(_content_words(self.lexicon, analysis.words), key=self._weight, reverse=True)
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
        quoted = Counter(self.kb.fact(i).topic for i in self._quoted_by(passage))
        if quoted:
            return quoted.most_common(1)[0][0]
        source = self.kb.sources.get(passage.source)
        others = [p for p in passages(source) if p != passage] if source else []
        near = sorted(others, key=lambda p: (p.line != passage.line, abs(p.start - passage.start)))
        for other in near[:20]:
            topics = Counter(self.kb.fact(i).topic for i in self._quoted_by(other))
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

    def keywords_in(self, lang: str, tokens: Iterable[str]) -> str:
        """A keyword query of the concepts in `lang`: each concept written as a word of that language."""
        words = []
        for token in tokens:
            word = self._word_in(lang, token)
            if word and word not in words:
                words.append(word)
        return " ".join(words[:MAX_KEYWORDS])

    def _word_in(self, lang: str, token: str) -> str | None:
        """A concept as a word of `lang`: names and numbers as they are, a synonym group by its commonest
        form of that language, a plain word when it is commoner in `lang` than in the other language."""
        if token in self.lexicon.entities or token[:1].isdigit():
            return token.replace("_", " ")
        if self._forms is None:
            self._forms = _forms(self.lexicon)
        forms = self._forms.get(token)
        if not forms:
            return self._commonest(lang, [(token,)])
        # A group is named after its English word (ceo, chairman, vehicle): that name, when it is one.
        named = (token,) in [(f,) for f in forms] and " " not in token and "_" not in token
        if lang == "en" and named and self._lead(lang, (token,)) >= 0:
            return token
        return self._commonest(lang, [(f,) for f in forms])

    def _question_word(self, lang: str, kind: str) -> str | None:
        """How `lang` asks `kind` (who, when...): "qui", "how many"; a kind added to the lexicon, its commonest form."""
        if kind in QUESTION_WORDS:
            return QUESTION_WORDS[kind][LANGS.index(lang)]
        return self._commonest(lang, [form for form, k in self.lexicon.kinds.items() if k == kind and form])

    def _lead(self, lang: str, form: tuple[str, ...]) -> float:
        """How much commoner (Zipf) the form's words are in `lang` than in the other language, on average."""
        here, there = (self.lexicon.frequencies.get(x, {}) for x in (lang, "en" if lang == "fr" else "fr"))
        return sum(here.get(w, 0.0) - there.get(w, 0.0) for w in form) / len(form)

    def _commonest(self, lang: str, forms: Sequence[tuple[str, ...]]) -> str | None:
        """The form most of `lang` and common there among those clearly of it (FREQUENCY_LEAD ahead), else among
        words common to both ("alliance"), else the one most of `lang`; None when all are of the other language."""
        here = self.lexicon.frequencies.get(lang, {})

        def common(form: tuple[str, ...]) -> float:
            return min(here.get(w, 0.0) for w in form)

        def rank(form: tuple[str, ...]) -> tuple[bool, float]:  # one word before a phrase, then the commonest
            return len(form) == 1, common(form)

        clear = [f for f in forms if self._lead(lang, f) >= FREQUENCY_LEAD]
        shared = [f for f in forms if self._lead(lang, f) > -FREQUENCY_LEAD and common(f) >= SHARED_ZIPF]
        if clear or shared:
            return " ".join(max(clear or shared, key=rank))
        best = max(forms, key=lambda f: self._lead(lang, f), default=None)
        return " ".join(best) if best is not None and self._lead(lang, best) > 0 else None

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
                keywords = self.keywords_in(lang, analysis.tokens)
                add(lang, keywords)
                for kind in sorted(analysis.kinds):  # "qui remplace bollore", "who replaced bollore"
                    word = self._question_word(lang, kind)
                    if word and keywords and not set(tokenize(word)) & set(tokenize(keywords)):
                        add(lang, f"{word} {keywords}")
            for size in (4, 3, 2):  # "depart bollore saikawa nissan", then shorter
                if rare and (not questions or len(out[lang]) < minimum):
                    add(lang, self.keywords_in(lang, [t for t in dict.fromkeys(rare) if t in rare[:size]]))
            name = {"fr": "French", "en": "English"}[lang]
            while len(out[lang]) < minimum:
                n = len(out[lang]) + 1
                out[lang].append(f"{REVIEW_MARK}: question {n} in {name}, as members would ask it")
        return out

    def _claimed(self) -> dict[str, str]:
        """Who holds each question (its folded words, as the loader compares them): a fact id or out_of_scope.yaml."""
        if self._taken is None:
            taken = {" ".join(tokenize(q)): OUT_OF_SCOPE_FILE for q in self.kb.out_of_scope}
            for fact in self.kb.facts:
                taken.update((" ".join(tokenize(q)), fact.id) for qs in fact.questions.values() for q in qs)
            self._taken = taken
        return self._taken

    def held(self, questions: Sequence[str]) -> list[tuple[str, str]]:
        """The given questions that a fact or out_of_scope.yaml already holds, with who holds them."""
        taken = self._claimed()
        return [(q, taken[key]) for q in questions if (key := " ".join(tokenize(q))) in taken]

    def entities(self, text: str) -> tuple[list[str], list[str]]:
        """The names in the text the lexicon knows, and capitalised words it does not (candidates to add)."""
        analysis = self.lexicon.analyse(text)
        known = [t.replace("_", " ") for t in analysis.tokens if t in self.lexicon.entities]
        folded_known = {fold(k) for k in known} | {w for k in known for w in k.split()} | self._vocabulary()
        unknown = []
        for match in _NAME.finditer(text):
            word = match.group()
            if " " not in word and text[: match.start()].rstrip()[-1:] in ("", ".", "!", "?", '"', "«"):
                continue  # a sentence's first word is capitalised anyway
            folded = " ".join(tokenize(word))
            new = folded and all(w not in folded_known for w in folded.split())
            if new and word not in unknown:
                unknown.append(word)
        return known, unknown[:MAX_KEYWORDS]

    # -- the drafts -------------------------------------------------------------------------

    def draft(self, questions: Sequence[str]) -> Draft:
        """The draft fact for a group of alike questions (YAML empty when no passage matches well)."""
        questions = tuple(q.strip()[:MAX_CHARS] for q in questions[:MAX_QUESTIONS] if q.strip())
        matches = tuple(self.search(questions))
        best = matches[0] if matches else None
        covered = best is not None and best.score >= COVERED
        header = _header(questions, matches, covered, self.held(questions))
        if not covered or best is None:
            return Draft(questions, matches, False, "", "", header)
        topic = self.guess_topic(best.passage)
        shared = [t for a in map(self._analyse, questions) for t in a.tokens if t in self._tokens_of(best.passage)]
        passage = self.tighten(best.passage, set(shared))
        fact_id = self.propose_id(topic, shared or self.lexicon.analyse(passage.text).tokens)
        source = self.kb.sources[passage.source]
        variants = self.variants(questions, passage, MIN_QUESTIONS)
        body = self.fact_yaml(fact_id, topic, passage, variants, prefilled(passage, source.lang))
        return Draft(questions, matches, True, fact_id, topic, header + body)

    def _vocabulary(self) -> set[str]:
        """Every word the facts already use (quotes, questions, answers) or the lexicon lists."""
        if self._words is None:
            texts = [t for f in self.kb.facts for t in (f.quote, *f.answer.values(), *f.questions["fr"])]
            self._words = {w for t in texts for w in tokenize(t)} | set(self.lexicon.words)
        return self._words

    def _tokens_of(self, passage: Passage) -> frozenset[str]:
        return frozenset(self.lexicon.analyse(passage.text).tokens)

    def tighten(self, passage: Passage, wanted: set[str]) -> Passage:
        """The shortest run of a long sentence's clauses that still holds every wanted word it holds.

        "Makoto Uchida, directeur général de Nissan Motor Co" makes a better quote than the
        500-character sentence listing every leader; the run is a verbatim slice of the source.
        """
        text = passage.text
        target = wanted & self._tokens_of(passage)
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
                if target <= frozenset(self.lexicon.analyse(text[first:last]).tokens):
                    if best is None or last - first < best[1] - best[0]:
                        best = (first, last)
                    break
        if best is None:
            return passage
        first, last = best
        return Passage(passage.source, passage.line, passage.start + first, passage.start + last, text[first:last])

    def fact_yaml(
        self,
        fact_id: str,
        topic: str,
        passage: Passage,
        questions: dict[str, list[str]],
        answers: dict[str, str],
    ) -> str:
        """One fact as an item of a sheet's `facts:` list (two-space indent, every text quoted)."""
        known, unknown = self.entities(passage.text)
        lines = [
            f"  - id: {fact_id}",
            f"    topic: {topic}",
            f"    source: {passage.source}",
            f"    # line {passage.line}, characters {passage.start}-{passage.end} of the source",
            f"    quote: {yaml_text(passage.text)}",
            "    questions:",
        ]
        for lang in LANGS:
            lines.append(f"      {lang}:")
            lines += [f"        - {yaml_text(q)}" for q in questions[lang]]
        lines += ["    answer:", *(f"      {lang}: {yaml_text(answers[lang])}" for lang in LANGS)]
        if known:
            lines.append(f"    # names the lexicon knows: {', '.join(known)}")
        if unknown:
            lines.append(f"    # names lexicon.yaml does not list yet (add them under entities): {', '.join(unknown)}")
        return "\n".join(lines) + "\n"


def _telling(token: str) -> bool:
    """Whether a concept tells what a passage is about (a bare number, a day of the month, does not; a year does)."""
    return not token[:1].isdigit() or bool(_YEAR.fullmatch(token))


def prefilled(passage: Passage, source_lang: str) -> dict[str, str]:
    """Answers pre-filled honestly: the passage itself in its own language, a note in the other; both marked."""
    other = {"fr": "French", "en": "English"}
    return {
        lang: f"{REVIEW_MARK} {passage.text}"
        if lang == source_lang
        else f"{REVIEW_MARK} (write the {other[lang]} answer; the source says: {passage.text})"
        for lang in LANGS
    }


#: What a YAML stream may not hold raw (PyYAML's own test), and line separators YAML would fold.
_UNPRINTABLE = re.compile("[^\x09\x0a\x0d\x20-\x7e\xa0-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]|[\u2028\u2029]")


def yaml_text(text: str) -> str:
    """Text as a YAML double-quoted scalar on one line (JSON's string syntax is valid YAML; anything YAML
    would refuse or fold is written as an escape, so the text reads back exactly)."""
    return _UNPRINTABLE.sub(lambda m: f"\\u{ord(m.group()):04x}", json.dumps(text, ensure_ascii=False))


def _forms(lexicon: Lexicon) -> dict[str, tuple[str, ...]]:
    """Each synonym group's one-word forms, from the lexicon's form -> group map."""
    groups: dict[str, list[str]] = {}
    for form, group in lexicon.words.items():
        groups.setdefault(group, []).append(form)
    return {group: tuple(forms) for group, forms in groups.items()}


def _header(
    questions: Sequence[str], matches: Sequence[Match], covered: bool, held: Sequence[tuple[str, str]] = ()
) -> str:
    """The YAML comments above a draft: the questions, the passages found with their place, what to do."""
    lines = ["# Draft for: " + " / ".join(f"« {q} »" for q in questions)]
    for question, owner in held:
        where = "listed in out_of_scope.yaml" if owner == OUT_OF_SCOPE_FILE else f"a question of fact {owner}"
        lines.append(f"# « {question} » is already {where}: left out (check refuses a question held twice).")
    if matches:
        lines.append("# Passages of the sources that match best (score = words shared + meaning):")
    for n, m in enumerate(matches, 1):
        quoted = f" — already quoted by {', '.join(m.quoted_by)}" if m.quoted_by else ""
        lines.append(
            f"#   {n}. {m.score:.2f} {m.passage.source} line {m.passage.line}, "
            f"characters {m.passage.start}-{m.passage.end}{quoted}: « {_clip(m.passage.text, 160)} »"
        )
    if not covered:
        lines.append(
            "# No passage matches well: the sources do not seem to cover this. Add a source "
            "(`python bot.py add-source`), not a fact; or list the question in out_of_scope.yaml."
        )
        return "\n".join(lines) + "\n"
    if matches[0].quoted_by:
        lines.append(
            f"# The best passage is already quoted by {', '.join(matches[0].quoted_by)}: if that fact answers the "
            "question, add the question to it instead of a new fact."
        )
    lines.append(
        f"# Paste under `facts:` in a sheet of knowledge/facts/, write the answers and check the questions, "
        f"remove each {REVIEW_MARK}, then `python bot.py check` and `/facts reload`."
    )
    return "\n".join(lines) + "\n"


def _clip(text: str, size: int) -> str:
    return text if len(text) <= size else text[: size - 1] + "…"


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
