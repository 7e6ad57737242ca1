"""Fixtures for cog tests: the real engine on the real knowledge/, a real journal, a mocked bot."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from engine.answering import Engine
from engine.journal.store import Journal
from engine.settings import Settings
from tests.helpers import GUILD_ID, MockBot

MOD_ROLE = 555_000_000_000_000_001
ANSWER_CHANNEL = 444_000_000_000_000_001


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
        admin_guilds=frozenset({GUILD_ID}),  # the mocks' server: its moderators may reload
        answer_channels=frozenset({ANSWER_CHANNEL}),
        cooldown_questions=5,
        cooldown_seconds=30,
    )


@pytest.fixture
def bot(engine: Engine, journal: Journal, settings: Settings) -> MockBot:
    return MockBot(engine=engine, journal=journal, settings=settings)
