"""Fixtures for engine tests: the real knowledge folder, and copies of it to break."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from engine.answering import Engine, Snapshot

KNOWLEDGE = Path(__file__).resolve().parents[2] / "knowledge"


@pytest.fixture(scope="session")
def snapshot() -> Snapshot:
    return Snapshot.load(KNOWLEDGE)


@pytest.fixture
def engine(snapshot: Snapshot) -> Engine:
    return Engine(snapshot)


@pytest.fixture
def knowledge_copy(tmp_path: Path) -> Path:
    """A writable copy of knowledge/ (without the large word lists' duplicates)."""
    target = tmp_path / "knowledge"
    shutil.copytree(KNOWLEDGE, target)
    return target
