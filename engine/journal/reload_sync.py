"""Reloads across processes: which knowledge each bot process serves, and the signal that a reload happened.

The knowledge stays files (the same deployment, or a shared volume, on every machine); the
journal's PostgreSQL carries only the signal. A process that swapped a validated reload
records its digest in the `shards` table, keeps it as the last announced one in `meta`,
and NOTIFYs the channel with the digest as payload; the others, LISTENing, reload their
own files and record what came of it (serving, or refused with why). Blocking calls, for
threads: the bot runs them off its event loop. Discord-free.
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
import os
import socket
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import psycopg

from engine.journal.pg import connect, migrate, redact
from engine.knowledge.yamlfile import MAX_FILE_BYTES

log = logging.getLogger("alliance.reload")

#: The NOTIFY channel; its payload is the digest of the knowledge to serve.
CHANNEL = "alliance_reload"
#: The meta key holding the last digest announced, for a listener that was away when it was.
ANNOUNCED = "announced_digest"
#: Longest detail kept for a refusal (the table is read into a Discord message).
MAX_DETAIL = 300
#: Seconds the listener waits for a notification before it looks at its stop flag again.
POLL_SECONDS = 0.5
#: Seconds between two tries of a lost listening connection, the first and the most.
RETRY_FIRST, RETRY_MOST = 0.5, 5.0


def knowledge_digest(root: Path | str) -> str:
    """The digest of a knowledge folder: SHA-256 over every file's relative path and bytes, in path order (dot
    files left out). Two machines with the same files have the same digest.

    Bounded like the loader's reads: a link leading outside the folder, a FIFO or a device is counted by its
    name only, and a file over the loader's size limit by its size (it is refused by the load anyway)."""
    root = Path(root)
    top = root.resolve()
    sha = hashlib.sha256()
    for path in sorted(p for p in root.rglob("*") if not _hidden(p.relative_to(root).parts)):
        sha.update(path.relative_to(root).as_posix().encode())
        sha.update(b"\0")
        try:
            real = path.resolve()
            if not real.is_relative_to(top):
                sha.update(b"outside")
            elif not real.is_file():  # a folder, or a FIFO or device: never opened
                sha.update(b"dir" if real.is_dir() else b"special")
            elif (size := real.stat().st_size) > MAX_FILE_BYTES:
                sha.update(f"size {size}".encode())
            else:
                with real.open("rb") as file:
                    sha.update(file.read(MAX_FILE_BYTES + 1))
        except OSError as exc:
            sha.update(repr(exc).encode())
        sha.update(b"\0")
    return sha.hexdigest()


def _hidden(parts: Iterable[str]) -> bool:
    return any(part.startswith(".") for part in parts)


@dataclass(frozen=True, slots=True)
class ShardState:
    """One process's row: the shards it runs, where, and the knowledge it serves or refused."""

    process: str
    shard_ids: tuple[int, ...]
    host: str
    pid: int
    digest: str
    state: str  # "serving" or "refused"
    detail: str
    at: float


def process_key(shard_ids: tuple[int, ...] | None) -> str:
    """The row a process owns: its shards (a restarted process takes its row back), or `all` without SHARD_IDS."""
    return "shards " + ",".join(map(str, shard_ids)) if shard_ids else "all shards"


class ReloadSync:
    """This process's row in `shards`, the announcement of a reload, and the listener for the others'."""

    def __init__(self, url: str, shard_ids: tuple[int, ...] | None, *, timeout: float = 2.0) -> None:
        self.url = url
        self.where = redact(url)
        self.shard_ids = tuple(shard_ids or ())
        self.process = process_key(shard_ids)
        self.timeout = timeout
        self._stop = threading.Event()
        self._failing = False

    def _connect(self) -> psycopg.Connection[Any]:
        conn = connect(self.url, self.timeout)
        try:
            migrate(conn)  # the shards table is the journal's schema; a process may start before its journal opens
        except BaseException:
            conn.close()
            raise
        return conn

    def _write(self, conn: psycopg.Connection[Any], digest: str, state: str, detail: str) -> None:
        conn.execute(
            "INSERT INTO shards (process, shard_ids, host, pid, digest, state, detail, at) "
            "VALUES (%s, %s, %s, %s, %s, %s, %s, %s) ON CONFLICT (process) DO UPDATE SET "
            "shard_ids = excluded.shard_ids, host = excluded.host, pid = excluded.pid, digest = excluded.digest, "
            "state = excluded.state, detail = excluded.detail, at = excluded.at",
            (
                self.process,
                ",".join(map(str, self.shard_ids)),
                socket.gethostname(),
                os.getpid(),
                digest,
                state,
                detail.replace("\x00", "")[:MAX_DETAIL],
                time.time(),
            ),
        )

    def record(self, digest: str, state: str = "serving", detail: str = "") -> None:
        """Say which knowledge this process serves (on start, after a reload), or that it refused `digest`."""
        with self._connect() as conn:
            self._write(conn, digest, state, detail)

    def announce(self, digest: str) -> None:
        """After a reload swapped in here: record it, keep it as the last announced, and tell the others."""
        with self._connect() as conn, conn.transaction():
            self._write(conn, digest, "serving", "")
            conn.execute(
                "INSERT INTO meta (key, value) VALUES (%s, %s) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                (ANNOUNCED, digest),
            )
            conn.execute("SELECT pg_notify(%s, %s)", (CHANNEL, digest))  # delivered when the transaction commits

    def states(self) -> list[ShardState]:
        """Every process's row, by process."""
        with self._connect() as conn:
            found = conn.execute(
                "SELECT process, shard_ids, host, pid, digest, state, detail, at FROM shards ORDER BY process"
            ).fetchall()
        return [
            ShardState(p, tuple(int(i) for i in ids.split(",") if i), h, pid, d, s, detail, at)
            for p, ids, h, pid, d, s, detail, at in found
        ]

    def announced(self) -> str | None:
        with self._connect() as conn:
            row = conn.execute("SELECT value FROM meta WHERE key = %s", (ANNOUNCED,)).fetchone()
        return None if row is None else row[0]

    # -- listening ---------------------------------------------------------------------------

    def stop(self) -> None:
        self._stop.set()

    def listen(self, on_digest: Callable[[str], None], ready: threading.Event | None = None) -> None:
        """Call `on_digest(digest)` for every reload announced, until `stop`. A lost connection is logged once and
        tried again; once back, the last digest announced is handed over too (one may have come meanwhile)."""
        delay = RETRY_FIRST
        missed = False
        while not self._stop.is_set():
            try:
                with self._connect() as conn:
                    conn.execute(f"LISTEN {CHANNEL}")
                    if missed and (digest := self._announced_on(conn)):
                        on_digest(digest)
                    if self._failing:
                        log.info("reload listener connected again (%s)", self.where)
                        self._failing = False
                    delay = RETRY_FIRST
                    if ready is not None:
                        ready.set()
                    while not self._stop.is_set():
                        for note in conn.notifies(timeout=POLL_SECONDS):
                            on_digest(note.payload)
            except psycopg.Error as exc:
                missed = True
                if not self._failing:
                    log.error(
                        "reload listener lost its database (%s: %s) at %s; reloads by other processes do not reach "
                        "this one until it is back. Not logged again until then.",
                        type(exc).__name__,
                        exc,
                        self.where,
                    )
                    self._failing = True
                self._stop.wait(delay)
                delay = min(RETRY_MOST, delay * 2)

    @staticmethod
    def _announced_on(conn: psycopg.Connection[Any]) -> str | None:
        with contextlib.suppress(psycopg.Error):
            row = conn.execute("SELECT value FROM meta WHERE key = %s", (ANNOUNCED,)).fetchone()
            return None if row is None else row[0]
        return None


def tally(states: list[ShardState], digest: str, shard_count: int | None) -> tuple[int, int, list[ShardState]]:
    """(shards serving `digest`, shards expected, rows that refused it). Shards are counted by id when the
    deployment says how many there are (SHARD_COUNT), else one per process."""
    serving = [s for s in states if s.digest == digest and s.state == "serving"]
    refused = [s for s in states if s.digest == digest and s.state == "refused"]
    if shard_count:
        served = {i for s in serving for i in s.shard_ids} & set(range(shard_count))
        return len(served), shard_count, refused
    return len(serving), len(states), refused


def answered_all(states: list[ShardState], digest: str, shard_count: int | None) -> bool:
    """Whether every shard has said what it did with `digest` (serves it, or refused it)."""
    answered = [s for s in states if s.digest == digest]
    if shard_count:
        return {i for s in answered for i in s.shard_ids} >= set(range(shard_count))
    return len(answered) == len(states)
