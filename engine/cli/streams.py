"""The terminal's streams: whether one is a terminal, and UTF-8 whatever the locale says."""

from __future__ import annotations

from typing import TextIO


def isatty(stream: TextIO) -> bool:
    """Whether `stream` is a terminal (False for in-memory and closed streams)."""
    try:
        return stream.isatty()
    except (AttributeError, ValueError):
        return False


def utf8_streams(stdin: TextIO, stdout: TextIO) -> None:
    """Whatever bytes arrive, read them as UTF-8 (invalid ones replaced) and write UTF-8: one bad line must not
    end the run nor put non-UTF-8 bytes in the JSON."""
    if hasattr(stdin, "reconfigure"):
        stdin.reconfigure(encoding="utf-8", errors="replace")
    if hasattr(stdout, "reconfigure"):
        stdout.reconfigure(encoding="utf-8")
