"""Fixtures for end-to-end tests against the fake Discord in ``fakediscord``."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from .fakediscord import FakeDiscord


@pytest.fixture
async def fake_discord() -> AsyncIterator[FakeDiscord]:
    """A started fake Discord on 127.0.0.1 with discord.py pointed at it (restored afterwards)."""
    fake = FakeDiscord()
    async with fake.serve():
        yield fake
