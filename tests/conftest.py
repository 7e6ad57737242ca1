"""Fixtures shared by every layer: the real knowledge folder, loaded once, and copies to break."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from engine.answering import Engine, Snapshot

KNOWLEDGE = Path(__file__).resolve().parents[1] / "knowledge"


@pytest.fixture(scope="session")
def snapshot() -> Snapshot:
    """The real knowledge, loaded once (snapshots are immutable, so tests can share it)."""
    return Snapshot.load(KNOWLEDGE)


@pytest.fixture
def engine(snapshot: Snapshot) -> Engine:
    return Engine(snapshot)


@pytest.fixture
def knowledge_copy(tmp_path: Path) -> Path:
    """A writable copy of knowledge/, for reloads that edit or break a sheet."""
    target = tmp_path / "knowledge"
    shutil.copytree(KNOWLEDGE, target)
    return target
