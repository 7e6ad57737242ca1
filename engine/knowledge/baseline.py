"""The last committed state of knowledge/, for `eval` to show what an edit changes.

Moderators edit sheets in a git checkout; `git archive` hands back the folder as it was at
HEAD, without touching the working tree. Outside a checkout (or without git), there is no
baseline and `eval` says so.
"""

from __future__ import annotations

import io
import logging
import shutil
import subprocess
import tarfile
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from engine.answering import Snapshot

log = logging.getLogger("alliance.baseline")

#: Seconds any git command may take; a baseline is a convenience, never worth a hang.
GIT_TIMEOUT = 20
#: The committed folder may not expand past this many bytes (the knowledge limits, with room).
MAX_ARCHIVE_BYTES = 256 * 1024 * 1024


def _git(root: Path, *args: str) -> subprocess.CompletedProcess[bytes] | None:
    git = shutil.which("git")
    if git is None:
        return None
    try:
        return subprocess.run(  # noqa: S603 - git itself, fixed arguments, no shell
            [git, "-C", str(root), *args], capture_output=True, timeout=GIT_TIMEOUT, check=False
        )
    except (OSError, subprocess.SubprocessError) as exc:
        log.debug("git %s failed: %s", args[0], exc)
        return None


def unchanged_since_commit(root: Path) -> bool:
    """Whether knowledge/ is exactly as committed (tracked edits and new files alike)."""
    status = _git(root, "status", "--porcelain", "--", ".")
    return status is not None and status.returncode == 0 and not status.stdout.strip()


def committed_copy(root: Path, target: Path) -> Path | None:
    """Write knowledge/ as of HEAD under `target` and return its path; None when there is no commit of it."""
    # Run from inside the folder, git archives its files relative to it.
    archive = _git(root, "archive", "--format=tar", "HEAD", "--", ".")
    if archive is None or archive.returncode != 0 or len(archive.stdout) > MAX_ARCHIVE_BYTES:
        return None
    out = target / "knowledge"
    with tarfile.open(fileobj=io.BytesIO(archive.stdout)) as tar:
        members = [m for m in tar.getmembers() if m.isfile() or m.isdir()]
        if not any(m.isfile() for m in members):
            return None
        # Regular files and folders only, and the "data" filter refuses any path leaving `out`.
        tar.extractall(out, members=members, filter="data")
    return out


def since_commit(root: Path, current: Snapshot) -> str:
    """What the working tree's knowledge/ (`current`, loaded from `root`) changes against HEAD: facts, and the
    evaluation answers that move. The same report as a `/facts reload` preview, the committed state as "before".
    """
    # Imported here: the answering engine is heavy, and the git helpers above need none of it.
    from engine.answering import Engine, Snapshot
    from engine.evaluation.changes import compare
    from engine.knowledge.schema import KnowledgeError

    if unchanged_since_commit(root):
        return "since the last commit: knowledge/ is unchanged (edit a sheet, then eval shows what moves)"
    with tempfile.TemporaryDirectory(prefix="alliance-baseline-") as folder:
        committed = committed_copy(root, Path(folder))
        if committed is None:
            return "since the last commit: no committed knowledge/ to compare with (not a git checkout)"
        try:
            old = Snapshot.load(committed)
        except KnowledgeError as exc:
            return f"since the last commit: the committed knowledge/ does not load ({len(exc.problems)} problem(s))"
    return "since the last commit: " + compare(Engine(current), old, current).format()
