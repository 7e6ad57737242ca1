"""The fast paths of a question's scoring give exactly what the plain loops they replace give, on real questions.

Each test runs the straightforward computation (every variant compared, every rival
scanned, `reduceat`, `maximum.at`, the whole table read by safetensors) beside the one the
engine uses, over the evaluation questions, and asks for the very same numbers, bit for bit.
"""

from __future__ import annotations

from collections import defaultdict

import numpy as np
import pytest
from rapidfuzz import fuzz

from engine.matching import lexical, variants
from engine.matching.candidates import LEXICAL_CANDIDATES
from engine.matching.features import Signals, feature_rows, feature_vector
from engine.matching.modelfiles import DIMS, WEIGHTS, mapped_table, package_folder
from engine.matching.pooling import gathered_run_sums, run_sums
from engine.matching.semantic import Embedder, FactTexts, FactVectors


@pytest.fixture(scope="module")
def questions(snapshot):
    return [case.q for case in snapshot.kb.eval_questions]


def every_variant_score(scorer, fact_id, weighed, explained):
    """The lexical score as first written: every matched variant's blend computed and compared."""
    total = weighed.total
    coverage = explained / total
    spoken = " ".join(weighed.analysis.words)
    texts = scorer._entries[fact_id].variants
    weights, holders = scorer._variants_of(fact_id)
    matched = defaultdict(float)
    for token, weight in weighed.weights.items():
        for n in holders.get(token, ()):
            matched[n] += weight
    best = 0.0
    for n, value in matched.items():
        recall, precision = value / total, value / weights[n]
        f = (1 + variants.BETA2) * precision * recall / (variants.BETA2 * precision + recall)
        surface = variants.SURFACE_WEIGHT * fuzz.ratio(spoken, texts[n][1]) / 100
        best = max(best, (1 - variants.SURFACE_WEIGHT) * f + surface)
    return (variants.VARIANT_WEIGHT * best + (1 - variants.VARIANT_WEIGHT) * coverage) * coverage


def test_skipping_similarities_that_cannot_win_changes_no_score(snapshot, questions):
    m = snapshot.matcher
    scorer = m.lexical
    compared = 0
    for question in questions:
        weighed = scorer.weigh(m.analyse(question))
        if not weighed.total:
            continue
        for position in np.flatnonzero(weighed.explained).tolist():
            fact_id = scorer._ids[position]
            explained = float(weighed.explained[position])
            expected = every_variant_score(scorer, fact_id, weighed, explained)
            # A small base scores all its variants at once (AllVariants), a large one fact by fact: the same.
            assert scorer._all_variants() is not None
            assert scorer._score(fact_id, weighed, explained) == expected, (question, fact_id)
            table, texts = scorer._variants_of(fact_id), scorer._entries[fact_id].variants
            one_by_one = variants.fact_score(weighed.weights, weighed.total, weighed.spoken, explained, table, texts)
            assert one_by_one == expected, (question, fact_id)
            compared += 1
    assert compared > 1000


def test_the_entity_free_mismatch_is_the_general_one(snapshot, questions):
    m = snapshot.matcher
    seen = 0
    for question in questions:
        analysis = m.analyse(question)
        if analysis.entities:
            continue
        for fact_id in m.facts:
            fast = m.lexical.mismatch(fact_id, analysis)
            entry = m.lexical._entries[fact_id]
            # The general rule, with no entity named: nothing is foreign or only mentioned.
            assert fast == lexical.Mismatch(False, False, bool(analysis.kinds) and not analysis.kinds & entry.kinds)
            seen += 1
    assert seen > 1000


def test_feature_rows_are_each_candidates_feature_vector(snapshot, questions):
    m = snapshot.matcher
    checked = 0
    for question in questions:
        analysis = m.analyse(question)
        if not analysis.tokens:
            continue
        weighed = m.lexical.weigh(analysis)
        found = m.lexical.rank(weighed, LEXICAL_CANDIDATES)
        signals = [
            Signals(lexical=s, semantic=(0.1 * n, 0.2), concept=(0.3 - 0.01 * n, 0.1), yes_no=False, stale=False)
            for n, (_, s) in enumerate(found)
        ]
        # Ties as well: two candidates sharing the best score in every signal.
        signals += signals[:1] and [Signals(signals[0].lexical, signals[0].semantic, signals[0].concept, False, True)]
        expected = [feature_vector(s, signals, weighed, True, True, (0.4, 0.5)) for s in signals]
        assert feature_rows(signals, weighed, True, True, (0.4, 0.5)) == expected, question
        checked += len(signals)
    assert checked > 500


def test_run_sums_are_reduceat_bit_for_bit(snapshot, questions):
    m = snapshot.matcher
    analysed = [m.analyse(q) for q in questions]
    for bags in ([a.words for a in analysed], [a.tokens or a.words for a in analysed], [analysed[0].words]):
        flat = [w for bag in bags for w in bag]
        rows = m.embedder._word_rows(flat, remember=False)
        sizes = np.array([len(b) for b in bags if b], dtype=np.int64)
        starts = np.concatenate(([0], np.cumsum(sizes)[:-1]))
        expected = np.add.reduceat(rows, starts, axis=0)
        assert run_sums(rows, starts, sizes).tobytes() == expected.tobytes()
    rng = np.random.default_rng(7)
    sizes = rng.integers(1, 300, 50)  # runs longer than numpy's pairwise blocks of 128
    rows = rng.standard_normal((int(sizes.sum()), 8)).astype(np.float32)
    starts = np.concatenate(([0], np.cumsum(sizes)[:-1]))
    assert run_sums(rows, starts, sizes).tobytes() == np.add.reduceat(rows, starts, axis=0).tobytes()


def test_gathered_run_sums_are_run_sums_of_the_gathered_rows_bit_for_bit(snapshot, questions):
    """The load sums a sheet's bags from the table of its distinct words: the very bits of summing the rows."""
    m = snapshot.matcher
    analysed = [m.analyse(q) for q in questions]
    flat = [w for a in analysed for w in a.words]
    words = list(dict.fromkeys(flat))
    table = m.embedder._word_rows(words, remember=False)
    ids = np.array([words.index(w) for w in flat], dtype=np.int64)
    sizes = np.array([len(a.words) for a in analysed], dtype=np.int64)
    present = sizes > 0
    starts = (np.cumsum(sizes) - sizes)[present]
    expected = run_sums(table[ids], starts, sizes[present])
    assert gathered_run_sums(table, ids, starts, sizes[present]).tobytes() == expected.tobytes()
    rng = np.random.default_rng(11)
    sizes = rng.integers(1, 300, 80)  # every branch: under 8 words, one pairwise block, longer than 128
    table = rng.standard_normal((40, 8)).astype(np.float32)
    ids = rng.integers(0, 40, int(sizes.sum()))
    starts = np.concatenate(([0], np.cumsum(sizes)[:-1]))
    assert gathered_run_sums(table, ids, starts, sizes).tobytes() == run_sums(table[ids], starts, sizes).tobytes()


def test_best_cosine_per_fact_is_maximum_at(snapshot, questions):
    m = snapshot.matcher
    for view, vectors in enumerate(m.vectors):
        starts = vectors._q_start
        owner = np.repeat(np.arange(vectors.size), np.diff(starts))
        for question in questions[:50]:
            analysis = m.analyse(question)
            vector = m.embedder.encode_bags((analysis.words, analysis.tokens), m.bag_weight)[view]
            scores = vectors._q @ vector
            expected = np.full(vectors.size, -1.0, dtype=np.float32)
            np.maximum.at(expected, owner, scores)
            assert vectors._max_by_owner(scores, starts).tobytes() == expected.tobytes()


def test_a_fact_without_rows_scores_minus_one():
    row = np.ones((1, 4), np.float32) / 2
    empty = np.zeros((0, 4), np.float32)
    vectors = FactVectors([FactTexts(row, row), FactTexts(empty, row), FactTexts(row, empty)], 4)
    _, q, c = vectors.similarities(np.ones(4, np.float32) / 2)
    assert q.tolist() == [1.0, -1.0, 1.0] and c.tolist() == [1.0, 1.0, -1.0]


def test_the_mapped_table_is_the_stored_one_cut_to_its_leading_dimensions():
    from safetensors import safe_open

    embedder = Embedder.from_package()
    with safe_open(str(package_folder() / WEIGHTS), framework="np") as handle:
        stored = handle.get_tensor("embedding.weight")
    assert embedder.dim == DIMS < stored.shape[1] and embedder._table.shape == (stored.shape[0], DIMS)
    assert embedder._table.dtype == stored.dtype and embedder._table.tobytes() == stored[:, :DIMS].tobytes()
    assert type(embedder._table) is np.ndarray
    # A view of the mapped file, rows of the whole width apart: nothing was copied at start.
    assert embedder._table.strides == (2 * stored.shape[1], 2) and not embedder._table.flags["OWNDATA"]
    assert embedder.identity.endswith(f"/{DIMS}d")  # caches and decision.yaml of the whole vectors are not used


@pytest.mark.parametrize(
    "content",
    [
        b"\x00" * 4,  # shorter than its header's length
        (10**9).to_bytes(8, "little") + b"{}",  # a header too large to be one
        (2).to_bytes(8, "little") + b"{}",  # no table in it
        (60).to_bytes(8, "little") + b'{"embedding.weight":{"dtype":"F32","shape":[2,2],"data_offsets":[0,16]}}'[:60],
    ],
)
def test_a_weights_file_that_is_not_the_expected_table_is_refused(tmp_path, content):
    path = tmp_path / "weights.safetensors"
    path.write_bytes(content)
    with pytest.raises(ValueError):
        mapped_table(path)


def sorted_each_time_rank(scorer, weighed, limit):
    """The lexical ranking as first written: the best list sorted again after each newcomer."""
    touched = np.flatnonzero(weighed.explained)
    coverage = weighed.explained[touched] / weighed.total
    bound = (variants.VARIANT_WEIGHT + (1 - variants.VARIANT_WEIGHT) * coverage) * coverage
    keep = min(len(touched), lexical.SORTED_BOUNDS)
    top = np.argpartition(-bound, keep - 1)[:keep] if keep < len(touched) else np.arange(len(touched))
    best, scored = [], 0
    for n in top[np.argsort(-bound[top], kind="stable")]:
        if scored >= lexical.MAX_SCORED:
            break
        upper, fact_id = float(bound[n]), scorer._ids[touched[n]]
        floor = best[-1][1].score if len(best) >= limit else 0.0
        if upper <= floor:
            break
        mismatch = scorer.mismatch(fact_id, weighed.analysis)
        if upper * mismatch.penalty <= floor:
            continue
        scored += 1
        best.append((fact_id, scorer._signal(fact_id, weighed, mismatch)))
        best.sort(key=lambda c: c[1].score, reverse=True)
        del best[limit:]
    return best


@pytest.mark.parametrize("few", [0, variants.FEW_TOUCHED])
@pytest.mark.parametrize("limit", [1, 4, LEXICAL_CANDIDATES])
def test_the_ranking_keeps_the_order_a_stable_sort_gave(snapshot, questions, limit, few, monkeypatch):
    """The plain loop has only the loose bound: the tight one (`tight_bounds`) skips no fact that would enter;
    the facts are ordered with numpy (few=0) or as plain floats (a question touching a few dozen) alike."""
    monkeypatch.setattr(variants, "FEW_TOUCHED", few)
    m = snapshot.matcher
    for question in questions:
        weighed = m.lexical.weigh(m.analyse(question))
        if weighed.total:
            assert m.lexical.rank(weighed, limit) == sorted_each_time_rank(m.lexical, weighed, limit), question


@pytest.mark.parametrize("most", [1, 3, 6])
def test_a_fact_skipped_by_the_tight_bound_still_counts_as_scored(snapshot, questions, most, monkeypatch):
    """With MAX_SCORED reached, the facts kept are those the loose bound alone keeps, skips counted as scored."""
    monkeypatch.setattr(lexical, "MAX_SCORED", most)
    m = snapshot.matcher
    for question in questions:
        weighed = m.lexical.weigh(m.analyse(question))
        if weighed.total:
            assert m.lexical.rank(weighed, 4) == sorted_each_time_rank(m.lexical, weighed, 4), question


def test_the_tight_bound_is_above_every_score(snapshot, questions):
    m = snapshot.matcher
    scorer = m.lexical
    for question in questions:
        weighed = scorer.weigh(m.analyse(question))
        if not weighed.total:
            continue
        touched = np.flatnonzero(weighed.explained)
        coverage = weighed.explained[touched] / weighed.total
        bounds = variants.tight_bounds(coverage).tolist()
        assert bounds == [variants._tight(c) for c in coverage.tolist()]  # the few-facts path's floats
        for position, bound in zip(touched.tolist(), bounds, strict=True):
            explained = float(weighed.explained[position])
            assert scorer._score(scorer._ids[position], weighed, explained) < bound, question


def test_a_questions_vectors_are_encode_bags_bit_for_bit(snapshot, questions):
    """encode_question takes fewer numpy steps than encode_bags, not other values (long and empty bags too)."""
    m = snapshot.matcher
    embedder = m.embedder
    for question in questions:
        a = m.analyse(question)
        for bags in ((a.words, a.tokens), (a.words, ()), ((), a.tokens), (a.words * 12, a.tokens), ((), ())):
            expected = embedder.encode_bags(bags, m.bag_weight)
            assert embedder.encode_question(bags, m.bag_weight).tobytes() == expected.tobytes(), question


def test_a_questions_unknown_words_are_remembered_within_a_bound(snapshot, monkeypatch):
    from engine.matching import semantic

    monkeypatch.setattr(semantic, "ASKED_MEMO", 5)
    embedder = Embedder(snapshot.matcher.embedder._table, snapshot.matcher.embedder.tokenizer(), "test")
    few, many = [f"zorglub{n}" for n in range(3)], [f"blorf{n}" for n in range(12)]
    first = embedder._question_rows(few)
    assert set(embedder._asked) == set(few)
    assert first.tobytes() == embedder._word_rows(few, remember=False).tobytes()
    assert embedder._question_rows(few).tobytes() == first.tobytes()  # from the memo: the same rows
    embedder._question_rows(few + many)
    assert len(embedder._asked) <= 5


def test_the_decisions_fast_read_of_the_rows_is_the_array_read(snapshot, questions):
    m = snapshot.matcher
    for question in questions[:80]:
        found = m.candidates(m.analyse(question))
        if found:
            rows = [features for _, features in found]
            assert m.decision.probabilities(rows) == m.decision.probabilities(np.array(rows)), question


def test_a_large_base_scored_fact_by_fact_ranks_as_all_variants_at_once(snapshot, questions, monkeypatch):
    """Past ALL_AT_ONCE variants the scorer scores each fact's variants in a loop: the same ranking and scores."""
    m = snapshot.matcher
    monkeypatch.setattr(lexical, "ALL_AT_ONCE", 0)
    entries = {i: e for i, (_, e, _) in m.facts.items()}
    one_by_one = lexical.LexicalScorer(m.lexical.index, entries, m.lexicon)
    assert one_by_one._all_variants is not None and not one_by_one._small and m.lexical._small
    for question in questions:
        analysis = m.analyse(question)
        at_once, alone = m.lexical.weigh(analysis), one_by_one.weigh(analysis)
        if at_once.total:
            assert one_by_one.rank(alone, LEXICAL_CANDIDATES) == m.lexical.rank(at_once, LEXICAL_CANDIDATES), question
            assert alone.blends is None


def test_one_questions_probabilities_are_the_choice_models_bit_for_bit(snapshot, questions):
    from engine.matching.decision import choice_probabilities, one_question_probabilities, terms

    m = snapshot.matcher
    scored = []
    for question in questions:
        found = m.candidates(m.analyse(question))
        if found:
            scored.append(terms(np.array([f for _, f in found])) @ m.decision._vector + m.decision.bias)
    rng = np.random.default_rng(3)
    scored += [rng.standard_normal(n) * rng.uniform(0.1, 30) + rng.uniform(-20, 5) for n in range(1, 120)]
    for scores in scored:
        expected = choice_probabilities(scores, np.zeros(len(scores), dtype=np.intp))
        assert one_question_probabilities(scores).tobytes() == expected.tobytes()
    assert one_question_probabilities(np.zeros(0)).shape == (0,)
