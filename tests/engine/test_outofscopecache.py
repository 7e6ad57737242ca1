"""out_of_scope.yaml's questions in the load cache: a hit parses nothing, an edit or a bad file is read again."""

from __future__ import annotations

import json
import logging

import pytest

import engine.knowledge.outofscopecache as module
from engine.knowledge.outofscopecache import cached_out_of_scope
from engine.knowledge.problems import Problem
from engine.knowledge.shapes import OUT_OF_SCOPE_FILE


@pytest.fixture
def parsed(monkeypatch) -> list[int]:
    """How many times the file was parsed from its YAML, from now on."""
    seen: list[int] = []
    real = module.load_out_of_scope

    def counting(root, problems):
        seen.append(1)
        return real(root, problems)

    monkeypatch.setattr(module, "load_out_of_scope", counting)
    return seen


def test_a_second_load_reads_the_questions_from_the_cache(knowledge_copy, tmp_path, parsed):
    first = cached_out_of_scope(knowledge_copy, [], tmp_path / "cache")
    assert first and len(parsed) == 1
    assert cached_out_of_scope(knowledge_copy, [], tmp_path / "cache") == first and len(parsed) == 1
    assert cached_out_of_scope(knowledge_copy, [], None) == first and len(parsed) == 2  # no folder: no cache


def test_an_edit_is_read_and_a_file_with_problems_never_stored(knowledge_copy, tmp_path, parsed):
    folder = tmp_path / "cache"
    cached_out_of_scope(knowledge_copy, [], folder)
    listed = knowledge_copy / OUT_OF_SCOPE_FILE
    listed.write_text(listed.read_text(encoding="utf-8") + "  - {q: sans langue}\n", encoding="utf-8")
    for _ in range(2):
        problems: list[Problem] = []
        cached_out_of_scope(knowledge_copy, problems, folder)
        assert problems  # reported at every load
    assert len(parsed) == 3


@pytest.mark.parametrize(
    "damage",
    [
        lambda data: "[not json",
        lambda data: json.dumps({**data, "version": 0}),
        lambda data: json.dumps({**data, "questions": [["a", "2"]]}),
        lambda data: json.dumps({**data, "questions": [[1, 2]]}),
    ],
)
def test_a_bad_file_is_ignored_logged_and_rewritten(knowledge_copy, tmp_path, parsed, caplog, damage):
    folder = tmp_path / "cache"
    good = cached_out_of_scope(knowledge_copy, [], folder)
    (path,) = folder.glob("out_of_scope-*.json")
    path.write_text(damage(json.loads(path.read_text(encoding="utf-8"))), encoding="utf-8")
    with caplog.at_level(logging.WARNING, logger="alliance.cache"):
        assert cached_out_of_scope(knowledge_copy, [], folder) == good
    assert "ignored and rebuilt" in caplog.text and len(parsed) == 2
    assert cached_out_of_scope(knowledge_copy, [], folder) == good and len(parsed) == 2
