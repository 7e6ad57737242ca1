"""The knowledge's words' token ids in the load cache: a start reads no tokenizer, and vectors do not change."""

from __future__ import annotations

import json
import logging
import os
import subprocess
import sys

import numpy as np
import pytest

from engine.matching.semantic import Embedder
from engine.matching.tokenmemo import TokenIds

WORDS = ["qui", "dirige", "nissan", "alliance", "ghosn"]


def weight(word: str) -> float:
    return 1.0 + len(word)


def without_tokenizer() -> Embedder:
    """A fresh embedder whose tokenizer, if it were read, fails the test."""
    embedder = Embedder.from_package()

    def refuse():
        raise AssertionError("the tokenizer was read")

    embedder._read_tokenizer = refuse
    return embedder


def test_stored_ids_give_the_same_vectors_without_reading_the_tokenizer(tmp_path):
    first = Embedder.from_package()
    first.keep_ids_in(tmp_path)
    expected = first.encode_bags([WORDS[:3], WORDS[3:]], weight, remember=True)
    first.token_ids.save()
    (path,) = tmp_path.glob("tokens-*.json")
    again = without_tokenizer()
    again.keep_ids_in(tmp_path)
    assert np.array_equal(again.encode_bags([WORDS[:3], WORDS[3:]], weight), expected)
    assert np.array_equal(expected, Embedder.from_package().encode_bags([WORDS[:3], WORDS[3:]], weight))
    assert set(json.loads(path.read_text(encoding="utf-8"))["words"]) == set(WORDS)


def test_a_questions_own_words_are_not_stored(tmp_path):
    embedder = Embedder.from_package()
    embedder.keep_ids_in(tmp_path)
    embedder.encode_bags([["zorglub"]], weight)  # remember=False: a question's words
    embedder.token_ids.save()
    assert not list(tmp_path.glob("tokens-*.json"))


@pytest.mark.parametrize(
    "damage",
    [
        lambda data: "{not json",
        lambda data: json.dumps({**data, "model": "another-model"}),
        lambda data: json.dumps({**data, "words": {"qui": [10**9]}}),
        lambda data: json.dumps({**data, "words": {"qui": ["1"]}}),
    ],
)
def test_a_bad_file_is_ignored_logged_and_rewritten(tmp_path, caplog, damage):
    first = Embedder.from_package()
    first.keep_ids_in(tmp_path)
    expected = first.encode_bags([WORDS], weight, remember=True)
    first.token_ids.save()
    (path,) = tmp_path.glob("tokens-*.json")
    path.write_text(damage(json.loads(path.read_text(encoding="utf-8"))), encoding="utf-8")
    again = Embedder.from_package()
    again.keep_ids_in(tmp_path)
    with caplog.at_level(logging.WARNING, logger="alliance.cache"):
        assert np.array_equal(again.encode_bags([WORDS], weight, remember=True), expected)
    assert "ignored and rebuilt" in caplog.text
    again.token_ids.save()
    third = without_tokenizer()
    third.keep_ids_in(tmp_path)
    assert np.array_equal(third.encode_bags([WORDS], weight), expected)


def test_at_most_word_ids_words_are_kept(tmp_path, monkeypatch):
    monkeypatch.setattr("engine.matching.tokenmemo.WORD_IDS", 2)
    memo = TokenIds(tmp_path, "model", 100)
    memo.add({"a": [1], "b": [2]})
    memo.add({"c": [3]})
    assert memo.known(["a", "b", "c"]) == {"a": [1], "b": [2]}


def test_a_start_from_the_load_cache_reads_no_tokenizer_for_the_knowledges_words(tmp_path):
    """Two processes over one cache folder: the second answers a question of known words without the tokenizer."""
    code = (
        "import sys\n"
        "from engine.settings import Settings, build_engine\n"
        "engine = build_engine(Settings.from_env())\n"
        "engine.ask('qui dirige nissan')\n"
        "print(engine.snapshot.matcher.embedder._tokenizer is None)\n"
    )
    env = {**os.environ, "CACHE_DIR": str(tmp_path / "cache"), "PYTHONPATH": "."}
    env.pop("DISCORD_TOKEN", None)
    runs = [subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=120)]
    runs.append(subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=120))
    assert all(r.returncode == 0 for r in runs), runs[-1].stderr
    assert [r.stdout.strip() for r in runs] == ["False", "True"]  # the first start tokenised the knowledge
