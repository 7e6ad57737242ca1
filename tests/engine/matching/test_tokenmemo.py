"""The knowledge's words' token ids in the load cache: a start reads no tokenizer, and vectors do not change."""

from __future__ import annotations

import json
import logging
import os
import struct
import subprocess
import sys

import numpy as np
import pytest

from engine.knowledge import writers
from engine.knowledge.cache import KnowledgeCache
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
    (path,) = tmp_path.glob("tokens-*.bin")
    again = without_tokenizer()
    again.keep_ids_in(tmp_path)
    assert np.array_equal(again.encode_bags([WORDS[:3], WORDS[3:]], weight), expected)
    assert np.array_equal(expected, Embedder.from_package().encode_bags([WORDS[:3], WORDS[3:]], weight))
    assert TokenIds(tmp_path, first.identity, 10**6)._loaded().words == sorted(WORDS)
    assert path.read_bytes().startswith(b'{"version": 2')


def test_a_questions_own_words_are_not_stored(tmp_path):
    embedder = Embedder.from_package()
    embedder.keep_ids_in(tmp_path)
    embedder.encode_bags([["zorglub"]], weight)  # remember=False: a question's words
    embedder.token_ids.save()
    assert not list(tmp_path.glob("tokens-*.bin"))


def _parts(data: bytes) -> tuple[dict, bytes]:
    header, _, rest = data.partition(b"\n")
    return json.loads(header), rest


def _with_header(data: bytes, **changes) -> bytes:
    header, rest = _parts(data)
    return json.dumps({**header, **changes}).encode() + b"\n" + rest


def _unsorted(data: bytes) -> bytes:
    header, rest = _parts(data)
    text = rest[: header["text"]].decode().split("\n")
    return data.replace("\n".join(text).encode(), "\n".join(reversed(text)).encode())


@pytest.mark.parametrize(
    "damage",
    [
        lambda data: b"{not json\n" + data,
        lambda data: _with_header(data, model="another-model"),
        lambda data: _with_header(data, version=1),
        lambda data: data[:-4] + struct.pack("<i", 10**9),  # an id outside the table
        lambda data: data[:-3],  # cut short
        lambda data: _with_header(data, words=10**9),
        _unsorted,
    ],
)
def test_a_bad_file_is_ignored_logged_and_rewritten(tmp_path, caplog, damage):
    first = Embedder.from_package()
    first.keep_ids_in(tmp_path)
    expected = first.encode_bags([WORDS], weight, remember=True)
    first.token_ids.save()
    (path,) = tmp_path.glob("tokens-*.bin")
    path.write_bytes(damage(path.read_bytes()))
    again = Embedder.from_package()
    again.keep_ids_in(tmp_path)
    with caplog.at_level(logging.WARNING, logger="alliance.cache"):
        assert np.array_equal(again.encode_bags([WORDS], weight, remember=True), expected)
    assert "ignored and rebuilt" in caplog.text
    again.token_ids.save()
    third = without_tokenizer()
    third.keep_ids_in(tmp_path)
    assert np.array_equal(third.encode_bags([WORDS], weight), expected)


def test_a_write_removes_the_files_of_other_models_and_versions(tmp_path):
    old = TokenIds(tmp_path, "model-before-the-upgrade", 100)
    old.add({"nissan": [7, 8]})
    old.save()
    (tmp_path / "tokens-0123456789abcdef0123.json").write_text("{}")  # version 1's format
    unrelated = tmp_path / "lexicon-lexicon-0123.json"
    unrelated.write_text("{}")
    new = TokenIds(tmp_path, "model-after-the-upgrade", 100)
    new.add({"renault": [9]})
    assert old.path.exists()  # nothing removed before a write succeeds
    new.save()
    assert sorted(tmp_path.glob("tokens-*")) == [new.path]
    assert unrelated.exists()
    assert TokenIds(tmp_path, "model-after-the-upgrade", 100).known(["renault", "nissan"]) == {"renault": [9]}


def test_words_added_after_a_read_are_merged_in_order_with_the_stored_ones(tmp_path):
    first = TokenIds(tmp_path, "model", 100)
    first.add({"nissan": [7, 8], "alliance": [1], "qui": []})
    first.save()
    second = TokenIds(tmp_path, "model", 100)
    second.add({"renault": [9], "board": [2, 3, 4], "zorglub": [99], "nissan": [0]})  # nissan: stored already
    second.save()
    third = TokenIds(tmp_path, "model", 100)
    words = ["alliance", "board", "nissan", "qui", "renault", "zorglub", "absent"]
    assert third.known(words) == {
        "alliance": [1],
        "board": [2, 3, 4],
        "nissan": [7, 8],
        "qui": [],
        "renault": [9],
        "zorglub": [99],
    }
    assert third._loaded().words == sorted(words[:-1])


def test_a_background_save_is_held_back_then_waited_for_by_the_load_cache(tmp_path):
    memo = TokenIds(tmp_path, "model", 100)
    memo.add({"nissan": [7, 8]})
    with writers.held():
        memo.save(background=True)
        assert not memo.path.exists()  # begins once the reload that asked for it is done
    KnowledgeCache(tmp_path).wait()
    assert TokenIds(tmp_path, "model", 100).known(["nissan"]) == {"nissan": [7, 8]}


def test_a_background_save_that_cannot_write_costs_nothing_but_the_file(tmp_path, caplog):
    blocked = tmp_path / "cache"
    blocked.write_text("a file where the cache folder should be", encoding="utf-8")
    memo = TokenIds(blocked, "model", 100)
    memo.add({"nissan": [7, 8]})
    with caplog.at_level(logging.WARNING, logger="alliance.cache"):
        memo.save(background=True)
        KnowledgeCache(blocked).wait()
    assert "cannot write the cache" in caplog.text
    assert memo.known(["nissan"]) == {"nissan": [7, 8]}  # still known in this process


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
