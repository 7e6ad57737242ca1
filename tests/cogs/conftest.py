"""Fixtures for cog tests: the real engine on the real knowledge/, a real journal, a mocked bot."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from engine.answering import Engine, Snapshot
from engine.journal import Journal
from engine.settings import Settings
from tests.helpers import MockBot

KNOWLEDGE = Path(__file__).resolve().parents[2] / "knowledge"
MOD_ROLE = 555_000_000_000_000_001
ANSWER_CHANNEL = 444_000_000_000_000_001


@pytest.fixture(scope="session")
def snapshot() -> Snapshot:
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


@pytest.fixture
def journal(tmp_path: Path) -> Iterator[Journal]:
    journal = Journal(str(tmp_path / "journal.sqlite3"), timeout=0.2)
    journal.open()
    yield journal
    journal.close()


@pytest.fixture
def settings(knowledge_copy: Path, tmp_path: Path) -> Settings:
    return Settings(
        knowledge_dir=knowledge_copy,
        journal_path=str(tmp_path / "journal.sqlite3"),
        moderator_roles=frozenset({MOD_ROLE}),
        answer_channels=frozenset({ANSWER_CHANNEL}),
        cooldown_questions=5,
        cooldown_seconds=30,
    )


@pytest.fixture
def bot(engine: Engine, journal: Journal, settings: Settings) -> MockBot:
    return MockBot(engine=engine, journal=journal, settings=settings)
