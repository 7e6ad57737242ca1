"""A real PostgreSQL server for the tests: its own data folder and unix socket in a temporary folder.

Debian's `initdb` and `pg_ctl` (the `postgresql` package) are found on PATH or under
/usr/lib/postgresql/*/bin. initdb refuses to run as root, so as root the server runs as the
package's `postgres` user (or `nobody`) through `runuser`. Nothing listens on TCP.
"""

from __future__ import annotations

import contextlib
import glob
import os
import pwd
import shutil
import signal
import subprocess
import tempfile
from pathlib import Path

#: The database role the tests connect as (initdb's superuser).
ROLE = "alliance"


class PgUnavailable(Exception):
    """No PostgreSQL server can be started here; the message says why in one line."""


def find_bin(name: str) -> Path:
    """`initdb` or `pg_ctl` of the newest PostgreSQL installed."""
    for candidate in sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"), key=_version, reverse=True):
        return Path(candidate)
    found = shutil.which(name)
    if found:
        return Path(found)
    raise PgUnavailable(f"PostgreSQL's {name} not found (install Debian's postgresql package)")


def _version(path: str) -> float:
    try:
        return float(Path(path).parts[-3])
    except ValueError:
        return 0.0


def _run_as() -> str | None:
    """The unprivileged user to run the server as when we are root; None when we are not root."""
    if os.geteuid() != 0:
        return None
    for user in ("postgres", "nobody"):
        with contextlib.suppress(KeyError):
            pwd.getpwnam(user)
            return user
    raise PgUnavailable("running as root and no postgres or nobody user to run PostgreSQL as")


class PgServer:
    """One PostgreSQL server: `start`, `kill` (SIGKILL, as a crash), `stop`; `url(db)` to connect."""

    def __init__(self) -> None:
        self.initdb = find_bin("initdb")
        self.pg_ctl = find_bin("pg_ctl")
        self.user = _run_as()
        self.folder = Path(tempfile.mkdtemp(prefix="alliance-pg-"))
        self.data = self.folder / "data"
        self.socket = self.folder / "socket"
        self.socket.mkdir()
        self.log = self.folder / "server.log"
        if self.user is not None:
            entry = pwd.getpwnam(self.user)
            for path in (self.folder, self.socket):
                os.chown(path, entry.pw_uid, entry.pw_gid)
        try:
            self._run(str(self.initdb), "-D", str(self.data), "-U", ROLE, "--auth=trust", "-E", "UTF8", "--no-sync")
        except PgUnavailable:
            shutil.rmtree(self.folder, ignore_errors=True)
            raise

    def _run(self, *command: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        if self.user is not None:
            command = ("runuser", "-u", self.user, "--", *command)
        try:
            done = subprocess.run(command, capture_output=True, text=True, timeout=60, check=False)
        except (OSError, subprocess.TimeoutExpired) as exc:
            raise PgUnavailable(f"{command[0]} failed: {exc}") from exc
        if check and done.returncode != 0:
            last = (done.stderr or done.stdout).strip().splitlines()[-1:] or ["no output"]
            raise PgUnavailable(f"{Path(command[-1]).name} exited {done.returncode}: {last[0]}")
        return done

    def start(self) -> None:
        options = f"-k {self.socket} -c listen_addresses='' -c fsync=off -c max_connections=200"
        self._run(str(self.pg_ctl), "-D", str(self.data), "-l", str(self.log), "-o", options, "-w", "-t", "30", "start")

    @property
    def pid(self) -> int | None:
        try:
            return int((self.data / "postmaster.pid").read_text().split()[0])
        except (OSError, ValueError, IndexError):
            return None

    def kill(self) -> None:
        """SIGKILL the postmaster and its backends, as a crash would; the data folder stays."""
        pid = self.pid
        if pid is None:
            return
        for process in (pid, *_children(pid)):
            with contextlib.suppress(ProcessLookupError):
                os.kill(process, signal.SIGKILL)
        # A killed postmaster may linger as a zombie (no init reaps it in a container), which PostgreSQL would
        # take for a live server holding these locks: they go, so `start` can follow.
        for lock in (self.data / "postmaster.pid", *self.socket.glob(".s.PGSQL.*.lock")):
            lock.unlink(missing_ok=True)

    def stop(self) -> None:
        self._run(str(self.pg_ctl), "-D", str(self.data), "-m", "immediate", "-w", "stop", check=False)

    def url(self, database: str = "postgres") -> str:
        return f"postgresql://{ROLE}@/{database}?host={self.socket}"

    def create_database(self, name: str) -> str:
        """A new, empty database; its URL."""
        import psycopg

        with psycopg.connect(self.url(), autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        return self.url(name)

    def close(self) -> None:
        self.stop()
        shutil.rmtree(self.folder, ignore_errors=True)


def _children(pid: int) -> list[int]:
    """The processes whose parent is `pid` (PostgreSQL's backends), from /proc."""
    found = []
    for stat in glob.glob("/proc/[0-9]*/stat"):
        with contextlib.suppress(OSError, ValueError, IndexError):
            fields = Path(stat).read_text().rsplit(")", 1)[1].split()
            if int(fields[1]) == pid:
                found.append(int(Path(stat).parent.name))
    return found
