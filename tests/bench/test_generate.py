"""The benchmark's generator and baselines: valid, varied, deterministic knowledge; baselines answer with Replies.

Nothing here is a timing: speed is measured by `make bench`, never asserted by a test.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from bench.baselines import Bm25Matcher, NaiveMatcher
from bench.generate import KNOWLEDGE, VARIANTS_PER_LANG, generate
from engine.answering import Reply
from engine.knowledge.loader import load_knowledge
from engine.textnorm import tokenize


@pytest.fixture(scope="module")
def real():
    return load_knowledge(KNOWLEDGE)


@pytest.fixture(scope="module")
def scale2(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("knowledge-x2")
    generate(2, folder)
    return folder


def _keys(facts) -> set[str]:
    return {" ".join(tokenize(q)) for fact in facts for listed in fact.questions.values() for q in listed}


def test_scale_2_validates_with_twice_the_real_facts(real, scale2: Path) -> None:
    kb = load_knowledge(scale2)  # raises KnowledgeError, listing every problem, if anything is invalid
    assert len(kb.facts) == 2 * len(real.facts)
    assert {f.id for f in real.facts} <= set(kb.facts_by_id)
    assert kb.eval_questions == real.eval_questions


def test_a_larger_size_serves_the_engine_members_get(real, scale2: Path) -> None:
    """The learned decision and the known out-of-scope questions come along: without them every size but
    the first measured a lexical-only engine."""
    from engine.answering import Snapshot

    kb = load_knowledge(scale2)
    assert kb.out_of_scope == real.out_of_scope and kb.out_of_scope
    matcher = Snapshot.build(kb).matcher
    assert matcher.decision is not None and matcher.decision == Snapshot.build(real).matcher.decision


def test_synthetic_facts_are_not_copies_of_real_ones(real, scale2: Path) -> None:
    kb = load_knowledge(scale2)
    real_ids = {f.id for f in real.facts}
    synthetic = [f for f in kb.facts if f.id not in real_ids]
    assert len(synthetic) == len(real.facts)
    for fact in synthetic:
        assert len(fact.questions["fr"]) == len(fact.questions["en"]) == VARIANTS_PER_LANG
        assert fact.answer["fr"] != fact.answer["en"]
    assert not _keys(synthetic) & _keys(real.facts)
    # Varied vocabulary: most words of the synthetic questions are not in any real question.
    real_words = {w for key in _keys(real.facts) for w in key.split()}
    words = [w for key in _keys(synthetic) for w in key.split()]
    assert sum(w not in real_words for w in words) / len(words) > 0.5
    assert len(set(words)) > 500


def test_generation_is_deterministic(scale2: Path, tmp_path: Path) -> None:
    generate(2, tmp_path)
    for path in sorted((scale2 / "facts").glob("synthetic-*.yaml")):
        assert (tmp_path / "facts" / path.name).read_bytes() == path.read_bytes()


def test_baselines_answer_with_replies(real) -> None:
    fact = real.facts[0]
    own_question = fact.questions["en"][0]
    for baseline in (NaiveMatcher(real, cutoff=0), Bm25Matcher(real, cutoff=0)):
        reply = baseline.ask(own_question)
        assert isinstance(reply, Reply)
        assert reply.answered and reply.fact is not None and reply.fact.id == fact.id
        assert reply.lang == "en"
        baseline.cutoff = 100
        unsure = baseline.ask("zzqx wrrbl")
        assert isinstance(unsure, Reply)
        assert not unsure.answered and unsure.fact is None and unsure.lang == "fr"
