"""The committed state of knowledge/ that `eval` compares with: read from git, never from the working tree."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from engine.answering import Snapshot
from engine.knowledge.baseline import committed_copy, since_commit, unchanged_since_commit
from tests.conftest import KNOWLEDGE

pytestmark = pytest.mark.skipif(shutil.which("git") is None, reason="git is not installed")


def _git(repo: Path, *args: str) -> None:
    subprocess.run(
        ["git", "-C", str(repo), "-c", "user.name=t", "-c", "user.email=t@t", *args], check=True, capture_output=True
    )


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    """A git checkout holding a committed copy of the real knowledge folder."""
    root = tmp_path / "repo"
    shutil.copytree(KNOWLEDGE, root / "knowledge")
    _git(root, "init", "-q")
    _git(root, "add", "knowledge")
    _git(root, "commit", "-qm", "knowledge")
    return root


def test_an_edited_sheet_is_seen_and_the_copy_holds_the_committed_text(repo: Path, tmp_path: Path):
    knowledge = repo / "knowledge"
    assert unchanged_since_commit(knowledge)
    sheet = knowledge / "facts" / "sales.yaml"
    committed = sheet.read_text(encoding="utf-8")
    sheet.write_text(committed.replace("10,76", "10,77"), encoding="utf-8")
    assert not unchanged_since_commit(knowledge)
    copy = committed_copy(knowledge, tmp_path / "baseline")
    assert copy is not None
    assert (copy / "facts" / "sales.yaml").read_text(encoding="utf-8") == committed
    assert (copy / "lexicon.yaml").is_file()


def test_a_new_untracked_sheet_counts_as_a_change(repo: Path):
    knowledge = repo / "knowledge"
    (knowledge / "facts" / "new.yaml").write_text("facts: []\n", encoding="utf-8")
    assert not unchanged_since_commit(knowledge)


def test_outside_a_checkout_there_is_no_baseline(tmp_path: Path):
    folder = tmp_path / "knowledge"
    shutil.copytree(KNOWLEDGE, folder)
    assert committed_copy(folder, tmp_path / "baseline") is None
    assert not unchanged_since_commit(folder)


def test_since_commit_lists_the_changed_fact_and_the_answers_it_moves(repo: Path):
    knowledge = repo / "knowledge"
    assert "unchanged" in since_commit(knowledge, Snapshot.load(knowledge))
    sheet = knowledge / "facts" / "sales.yaml"
    text = sheet.read_text(encoding="utf-8")
    sheet.write_text(
        text.replace("In 2018 the Renault-Nissan-Mitsubishi Alliance sold", "In 2018 the Alliance sold"), "utf-8"
    )
    report = since_commit(knowledge, Snapshot.load(knowledge))
    assert "changed: sales-2018" in report
    assert "evaluation: accuracy " in report and " -> " in report
    assert "edited: " in report  # the evaluation questions answered with the reworded fact
