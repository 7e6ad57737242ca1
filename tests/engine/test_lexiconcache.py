"""The compiled lexicon in the load cache: a hit reads no YAML, an edit or a bad file is read again."""

from __future__ import annotations

import json
import logging
from pathlib import Path

import pytest

import engine.knowledge.lexiconcache
from engine.knowledge.cache import KnowledgeCache
from engine.knowledge.lexiconcache import cached_lexicon, lexicon_data, lexicon_from
from engine.knowledge.lexiconfile import load_lexicon
from engine.knowledge.loader import Loader
from engine.knowledge.problems import Problem

KNOWLEDGE = Path(__file__).resolve().parents[2] / "knowledge"


@pytest.fixture
def parsed(monkeypatch) -> list[Path]:
    """Each knowledge folder whose lexicon is read from its YAML, from now on."""
    seen: list[Path] = []
    real = engine.knowledge.lexiconcache.load_lexicon

    def counting(root: Path, problems: list[Problem]):
        seen.append(root)
        return real(root, problems)

    monkeypatch.setattr(engine.knowledge.lexiconcache, "load_lexicon", counting)
    return seen


def test_the_stored_lexicon_is_the_compiled_one_field_for_field_and_in_order():
    lexicon = load_lexicon(KNOWLEDGE, [])
    assert lexicon is not None
    back = lexicon_from(json.loads(json.dumps(lexicon_data(lexicon))))
    assert back == lexicon
    assert list(back.phrases) == list(lexicon.phrases) and list(back.words) == list(lexicon.words)
    assert {lang: list(t) for lang, t in back.frequencies.items()} == {
        lang: list(t) for lang, t in lexicon.frequencies.items()
    }


def test_a_second_start_reads_the_lexicon_from_the_cache(knowledge_copy, tmp_path, parsed):
    folder = tmp_path / "cache"
    first = cached_lexicon(knowledge_copy, [], "digest", folder)
    assert parsed == [knowledge_copy] and list(folder.glob("lexicon-*.json"))
    again = cached_lexicon(knowledge_copy, [], "digest", folder)
    assert parsed == [knowledge_copy] and again == first


def test_an_edited_lexicon_is_read_again_and_one_with_problems_never_stored(knowledge_copy, tmp_path, parsed):
    folder = tmp_path / "cache"
    Loader(knowledge_copy).load_lexicon([])  # no cache folder: nothing stored
    assert not folder.exists()
    Loader(knowledge_copy, cache=KnowledgeCache(folder)).load_lexicon([])
    lexicon = knowledge_copy / "lexicon.yaml"
    lexicon.write_text(lexicon.read_text(encoding="utf-8").replace("stopwords:", "stopwords:\n  xx: []", 1), "utf-8")
    for _ in range(2):
        problems: list[Problem] = []
        Loader(knowledge_copy, cache=KnowledgeCache(folder)).load_lexicon(problems)
        assert any("xx" in p.message for p in problems)  # reported at every start: read from the YAML each time
    assert len(parsed) == 4


@pytest.mark.parametrize(
    "damage",
    [
        lambda data: b"\x00not json",
        lambda data: json.dumps({**json.loads(data), "version": 0}).encode(),
        lambda data: data.replace(b'"stopwords": [', b'"stopwords": [1, ', 1),
        lambda data: data.replace(b'"frequencies": {', b'"frequencies": {"xx": ["a\\nb", [1.0]], ', 1),
    ],
)
def test_a_corrupt_or_foreign_file_is_ignored_logged_and_rewritten(knowledge_copy, tmp_path, parsed, caplog, damage):
    folder = tmp_path / "cache"
    good = cached_lexicon(knowledge_copy, [], "digest", folder)
    (path,) = folder.glob("lexicon-*.json")
    path.write_bytes(damage(path.read_bytes()))
    with caplog.at_level(logging.WARNING, logger="alliance.cache"):
        assert cached_lexicon(knowledge_copy, [], "digest", folder) == good
    assert len(parsed) == 2 and "ignored and rebuilt" in caplog.text
    assert cached_lexicon(knowledge_copy, [], "digest", folder) == good and len(parsed) == 2
