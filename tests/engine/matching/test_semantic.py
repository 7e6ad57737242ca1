"""The semantic signal: the model comes from the installed wheel, never the network."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest

from engine.matching.semantic import Embedder, FactTexts, FactVectors, default_embedder


@pytest.fixture(scope="module")
def embedder() -> Embedder:
    found = default_embedder()
    assert found is not None, "the wordllama wheel must be installed by requirements.txt"
    return found


def test_vectors_are_unit_rows_and_empty_text_is_zero(embedder):
    vectors = embedder.encode(["qui dirige Nissan ?", "", "!!!"])
    assert vectors.shape == (3, embedder.dim) and vectors.dtype == np.float32
    assert np.isclose(np.linalg.norm(vectors[0]), 1.0)
    assert not vectors[1].any()


def test_paraphrases_are_closer_than_other_subjects(embedder):
    a, b, c = embedder.encode(["who runs nissan", "who is the boss of nissan", "how many cars were sold in 2018"])
    assert a @ b > a @ c + 0.1


def test_accents_and_case_do_not_change_the_vector(embedder):
    a, b = embedder.encode(["Réunion à Boulogne", "reunion a boulogne"])
    assert np.allclose(a, b)


def test_the_model_loads_offline_without_importing_wordllama():
    """No network, hub downloads disabled: the files come from the package folder alone."""
    code = (
        "import sys, socket\n"
        "def refuse(*a, **k): raise OSError('network used')\n"
        "socket.socket.connect = refuse\n"
        "socket.create_connection = refuse\n"
        "from engine.matching.semantic import Embedder\n"
        "e = Embedder.from_package()\n"
        "assert e.encode(['bonjour']).any()\n"
        "assert 'wordllama' not in sys.modules and 'huggingface_hub' not in sys.modules\n"
        "print(e.identity)\n"
    )
    env = {"HF_HUB_OFFLINE": "1", "PATH": "", "PYTHONPATH": "."}
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("wordllama-")


def test_fact_vectors_give_each_fact_its_best_row():
    blocks = [
        FactTexts(np.array([[1, 0], [0, 1]], np.float32), np.array([[0, 1]], np.float32)),
        FactTexts(np.array([[0.6, 0.8]], np.float32), np.zeros((0, 2), np.float32)),
    ]
    vectors = FactVectors(blocks, 2)
    indices, questions, context = vectors.similarities(np.array([1, 0], np.float32))
    assert list(indices) == [0, 1]
    assert np.allclose(questions, [1.0, 0.6]) and np.allclose(context, [0.0, -1.0])
    q, c = vectors.similarities_for(np.array([0, 1], np.float32), [1])
    assert np.allclose(q, [0.8]) and np.allclose(c, [-1.0])


def test_large_bases_search_through_centroids(monkeypatch):
    import engine.matching.factvectors as semantic

    monkeypatch.setattr(semantic, "EXACT_ROWS", 0)
    monkeypatch.setattr(semantic, "CENTROID_CANDIDATES", 1)
    blocks = [FactTexts(np.array([[1, 0]], np.float32), np.zeros((0, 2), np.float32))] + [
        FactTexts(np.array([[0, 1]], np.float32), np.zeros((0, 2), np.float32)) for _ in range(5)
    ]
    indices, questions, _ = FactVectors(blocks, 2).similarities(np.array([1, 0], np.float32))
    assert list(indices) == [0] and np.allclose(questions, [1.0])


def test_a_large_base_keeps_half_precision_even_from_single_precision_blocks(monkeypatch):
    import engine.matching.factvectors as semantic

    monkeypatch.setattr(semantic, "EXACT_ROWS", 0)
    blocks = [FactTexts(np.ones((2, 2), np.float32), np.ones((1, 2), np.float32)) for _ in range(3)]
    vectors = FactVectors(blocks, 2)
    assert all(vectors.texts_of(n).questions.dtype == np.float16 for n in range(vectors.size))


def test_centroids_are_those_of_summing_each_fact_alone():
    """The centroids are summed for all facts at once; the search picks facts through them, so they must be
    the very ones (bit for bit) of summing each fact's rows on their own, half precision included."""
    rng = np.random.default_rng(7)
    blocks = [
        FactTexts(
            rng.standard_normal((int(rng.integers(0, 30)), 16)).astype(np.float16),
            rng.standard_normal((int(rng.integers(0, 6)), 16)).astype(np.float16),
        )
        for _ in range(300)
    ]
    expected = np.zeros((len(blocks), 16), dtype=np.float32)
    for i, block in enumerate(blocks):
        rows = np.vstack((block.questions, block.context))
        if len(rows):
            total = rows.sum(axis=0, dtype=np.float32)
            expected[i] = total / max(float(np.linalg.norm(total)), 1e-12)
    assert np.array_equal(FactVectors(blocks, 16)._centroids, expected)
    assert np.array_equal(FactVectors([], 16)._centroids, np.zeros((0, 16), np.float32))


def test_a_word_weighs_the_same_whether_the_embedder_remembers_it_or_not():
    """The memo keeps the knowledge's words at half precision. A word computed afresh must be rounded
    the same way, or a process that loaded its facts from the cache (and so remembered fewer words)
    scores some questions differently from one that analysed them: 42% against 43% was seen."""
    fresh = Embedder.from_package()
    words = ["uchida", "etait", "reunion", "boulogne"]
    before = fresh.encode_bags([words], lambda w: 1.0)
    fresh.encode_bags([words[:2]], lambda w: 1.0, remember=True)
    after = fresh.encode_bags([words], lambda w: 1.0)
    assert np.array_equal(before, after)
