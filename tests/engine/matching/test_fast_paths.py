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

from engine.matching import lexical
from engine.matching.candidates import LEXICAL_CANDIDATES
from engine.matching.features import Signals, feature_rows, feature_vector
from engine.matching.pooling import gathered_run_sums, run_sums
from engine.matching.semantic import WEIGHTS, Embedder, FactTexts, FactVectors, _mapped_table, _package_folder


@pytest.fixture(scope="module")
def questions(snapshot):
    return [case.q for case in snapshot.kb.eval_questions]


def every_variant_score(scorer, fact_id, weighed, explained):
    """The lexical score as first written: every matched variant's blend computed and compared."""
    total = weighed.total
    coverage = explained / total
    spoken = " ".join(weighed.analysis.words)
    variants = scorer._entries[fact_id].variants
    weights, holders = scorer._variants_of(fact_id)
    matched = defaultdict(float)
    for token, weight in weighed.weights.items():
        for n in holders.get(token, ()):
            matched[n] += weight
    best = 0.0
    for n, value in matched.items():
        recall, precision = value / total, value / weights[n]
        f = (1 + lexical.BETA2) * precision * recall / (lexical.BETA2 * precision + recall)
        surface = lexical.SURFACE_WEIGHT * fuzz.ratio(spoken, variants[n][1]) / 100
        best = max(best, (1 - lexical.SURFACE_WEIGHT) * f + surface)
    return (lexical.VARIANT_WEIGHT * best + (1 - lexical.VARIANT_WEIGHT) * coverage) * coverage


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
            assert scorer._score(fact_id, weighed, explained) == every_variant_score(
                scorer, fact_id, weighed, explained
            ), (question, fact_id)
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


def test_the_mapped_table_is_the_stored_one():
    from safetensors import safe_open

    embedder = Embedder.from_package()
    with safe_open(str(_package_folder() / WEIGHTS), framework="np") as handle:
        stored = handle.get_tensor("embedding.weight")
    assert embedder._table.dtype == stored.dtype and embedder._table.tobytes() == stored.tobytes()
    assert type(embedder._table) is np.ndarray


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
        _mapped_table(path)


def sorted_each_time_rank(scorer, weighed, limit):
    """The lexical ranking as first written: the best list sorted again after each newcomer."""
    touched = np.flatnonzero(weighed.explained)
    coverage = weighed.explained[touched] / weighed.total
    bound = (lexical.VARIANT_WEIGHT + (1 - lexical.VARIANT_WEIGHT) * coverage) * coverage
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


@pytest.mark.parametrize("limit", [1, 4, LEXICAL_CANDIDATES])
def test_the_ranking_keeps_the_order_a_stable_sort_gave(snapshot, questions, limit):
    m = snapshot.matcher
    for question in questions:
        weighed = m.lexical.weigh(m.analyse(question))
        if weighed.total:
            assert m.lexical.rank(weighed, limit) == sorted_each_time_rank(m.lexical, weighed, limit), question
