"""Reading one file of knowledge/ with bounded work, and YAML with safe_load semantics and line numbers.

Every file is checked before it is opened (inside the folder once symlinks are resolved, a
regular file, under a size limit) and read with a bounded read, so a FIFO, a device or a
growing file is refused at once instead of hanging or filling memory. YAML is parsed with
plain types only (no `!!python/...` tags), no anchors or aliases (moderators have no use for
them, and they multiply a small file into a huge structure), a bounded number of nodes and a
bounded depth. A syntax error is explained in plain words at the line of the mistake.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import yaml

from engine.knowledge.yamlevents import Unusual, build
from engine.knowledge.yamlhints import explain

#: Larger files are refused: a moderator's file is never this big by accident.
MAX_FILE_BYTES = 8 * 1024 * 1024
#: Deeper nesting than this is refused before the parser recurses into it.
MAX_DEPTH = 20
#: Values, lists and mappings one file may hold (the largest file of knowledge/ holds about 4,400).
MAX_NODES = 100_000
#: Values echoed in a message are clipped to this many characters.
ECHO = 80


class YamlError(Exception):
    """A file that cannot be read, or not as plain YAML; `line` is 1-based when known.

    `excerpt` is the line of the mistake with a caret under it, when there is one to show.
    """

    def __init__(self, message: str, line: int | None = None, excerpt: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.line = line
        self.excerpt = excerpt


def shown(value: Any, limit: int = ECHO) -> str:
    """`value` as it is echoed in a message: its repr, clipped to `limit` characters."""
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 1] + "…"


class LineDict(dict[Any, Any]):
    """A mapping that remembers its own line and the line of each key."""

    line: int = 0
    key_lines: dict[str, int]


class LineList(list[Any]):
    """A list that remembers its own line and the line of each item."""

    line: int = 0
    item_lines: list[int]


def line_of(node: Any, key: str | None = None) -> int | None:
    """The line of `node` (a mapping or list read by parse_yaml), or of its `key`; None for anything else."""
    if isinstance(node, LineDict):
        return node.key_lines.get(key, node.line) if key else node.line
    if isinstance(node, LineList):
        return node.line
    return None


#: libyaml's parser when PyYAML was built with it (it is, in the wheels), else the pure-Python one.
_BASE = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


# mypy cannot subclass a base chosen at run time (valid-type) whose stub type is Any (misc); both
# candidates are SafeLoader classes, which is all this class relies on.
class _LineLoader(_BASE):  # type: ignore[misc, valid-type]
    """SafeLoader plus line numbers; still refuses every non-standard tag."""


def _construct_map(loader: _LineLoader, node: yaml.MappingNode) -> Iterator[LineDict]:
    data = LineDict()
    data.line = node.start_mark.line + 1
    data.key_lines = {}
    yield data
    loader.flatten_mapping(node)
    for key_node, value_node in node.value:
        key = loader.construct_object(key_node, deep=True)
        if not isinstance(key, (str, int, float, bool)) and key is not None:
            raise YamlError("a mapping key must be plain text", key_node.start_mark.line + 1)
        if key in data:
            raise YamlError(f"duplicate key {shown(key)}", key_node.start_mark.line + 1)
        data[key] = loader.construct_object(value_node, deep=True)
        data.key_lines[str(key)] = key_node.start_mark.line + 1


def _construct_seq(loader: _LineLoader, node: yaml.SequenceNode) -> Iterator[LineList]:
    data = LineList()
    data.line = node.start_mark.line + 1
    data.item_lines = [child.start_mark.line + 1 for child in node.value]
    yield data
    data.extend(loader.construct_object(child, deep=True) for child in node.value)


_LineLoader.add_constructor("tag:yaml.org,2002:map", _construct_map)
_LineLoader.add_constructor("tag:yaml.org,2002:seq", _construct_seq)

_NO_ALIASES = "anchors and aliases (&name, *name) are not allowed in knowledge files: write the value out"


def _check_shape(text: str) -> None:
    """Walk the parser's events (which do not recurse and expand nothing) before building anything:
    refuse anchors and aliases, deep nesting and documents of more than MAX_NODES nodes."""
    depth = nodes = 0
    for event in yaml.parse(text, Loader=_BASE):
        line = event.start_mark.line + 1 if event.start_mark else None  # the parser marks every event
        if isinstance(event, yaml.AliasEvent) or getattr(event, "anchor", None) is not None:
            raise YamlError(_NO_ALIASES, line)
        if isinstance(event, (yaml.MappingStartEvent, yaml.SequenceStartEvent)):
            depth += 1
            if depth > MAX_DEPTH:
                raise YamlError(f"nested more than {MAX_DEPTH} levels deep", line)
        elif isinstance(event, (yaml.MappingEndEvent, yaml.SequenceEndEvent)):
            depth -= 1
            continue
        elif not isinstance(event, yaml.ScalarEvent):
            continue
        nodes += 1
        if nodes > MAX_NODES:
            raise YamlError(f"more than {MAX_NODES:,} values, lists and mappings in one file", line)


def parse_yaml(text: str) -> Any:
    """Parse YAML text into plain data with line numbers; raises YamlError.

    Plain YAML is built in one parse (yamlevents.py); anything else, every error included,
    takes the full path: the shape checked, then the text parsed again and constructed.
    """
    try:
        return build(text, _LineLoader, (LineDict, LineList), MAX_DEPTH, MAX_NODES)
    except Unusual:
        pass
    try:
        _check_shape(text)
        return yaml.load(text, Loader=_LineLoader)  # noqa: S506 - _LineLoader is a SafeLoader
    except YamlError:
        raise
    except yaml.MarkedYAMLError as exc:
        line, message, excerpt = explain(exc, text)
        raise YamlError(f"YAML error: {message}", line, excerpt) from None
    except yaml.YAMLError as exc:
        raise YamlError(f"YAML error: {exc}") from None


def inside(root: Path, relative: str) -> Path | None:
    """The path of `relative` under root once symlinks are resolved, or None when it would leave root."""
    if Path(relative).is_absolute():
        return None
    path = (root / relative).resolve()
    return path if path.is_relative_to(root.resolve()) else None


_NOT_REGULAR = "not a regular file (a folder, FIFO or device is never read)"


def read_limited(path: Path, limit: int | None = None) -> bytes:
    """A regular file's bytes, refused before reading when it is not one or is larger than `limit`.

    The file is opened without blocking (a FIFO swapped in after the check cannot hang the
    read), checked again once open, and read at most `limit` + 1 bytes.
    """
    limit = MAX_FILE_BYTES if limit is None else limit
    try:
        before = os.stat(path)
        if not stat.S_ISREG(before.st_mode):
            raise YamlError(_NOT_REGULAR)
        if before.st_size > limit:
            raise YamlError(f"file is {before.st_size:,} bytes, more than the {limit:,} allowed")
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOCTTY", 0))
        try:
            info = os.fstat(fd)
            if not stat.S_ISREG(info.st_mode) or (info.st_dev, info.st_ino) != (before.st_dev, before.st_ino):
                raise YamlError(_NOT_REGULAR)
            parts, size = [], 0
            while chunk := os.read(fd, min(1 << 20, limit + 1 - size)):
                parts.append(chunk)
                size += len(chunk)
                if size > limit:
                    raise YamlError(f"file grew past the {limit:,} bytes allowed while it was read")
            return b"".join(parts)
        finally:
            os.close(fd)
    except OSError as exc:
        raise YamlError(f"cannot read file: {exc.strerror or exc}") from None


def read_inside(root: Path, relative: str, limit: int | None = None) -> bytes:
    """The bytes of knowledge file `relative`, after every check (inside root, regular, size)."""
    path = inside(root, relative)
    if path is None:
        raise YamlError("links outside knowledge/; not read")
    return read_limited(path, limit)


def decode(data: bytes) -> str:
    """UTF-8 text, or a YamlError saying where it is not."""
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise YamlError(f"not UTF-8 text ({exc.reason} at byte {exc.start})") from None


def read_yaml(path: Path) -> Any:
    """Read and parse one file, refusing files over MAX_FILE_BYTES or not UTF-8."""
    return parse_yaml(decode(read_limited(path)))
