"""Fixtures shared by every layer: the real knowledge folder, loaded once, and copies to break."""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from engine.answering import Engine, Snapshot
from tests.pgserver import PgServer, PgUnavailable

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


@pytest.fixture(scope="session")
def pg_server() -> Iterator[PgServer]:
    """A real PostgreSQL server for the session (tests/pgserver.py), stopped and removed at the end.

    Where none can be started the tests that need it are skipped with the reason; under CI (CI=true) they fail."""
    try:
        server = PgServer()
        server.start()
    except PgUnavailable as exc:
        if os.environ.get("CI", "").lower() in ("1", "true", "yes"):
            pytest.fail(f"CI needs PostgreSQL: {exc}")
        pytest.skip(f"no PostgreSQL here: {exc}")
    try:
        yield server
    finally:
        server.close()


@pytest.fixture
def own_server(pg_server: PgServer) -> Iterator[PgServer]:
    """A server of the test's own, to kill and restart (the session's is shared by the other tests)."""
    server = PgServer()
    server.start()
    try:
        yield server
    finally:
        server.close()


@pytest.fixture
def pg_url(pg_server: PgServer) -> str:
    """A new, empty database on the session's server: its URL."""
    return pg_server.create_database(f"t_{uuid.uuid4().hex[:12]}")
