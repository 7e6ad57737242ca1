"""Reading one YAML file with safe_load semantics, line numbers and size limits.

The loader only knows YAML's plain types (no `!!python/...` tags), refuses huge or deeply
nested files before building them, and remembers the line of every mapping and list so a
problem can be reported where a moderator will find it.
"""

from __future__ import annotations

import stat
from pathlib import Path
from typing import Any

import yaml

#: Larger fact sheets are refused: a moderator's file is never this big by accident.
MAX_FILE_BYTES = 8 * 1024 * 1024
#: Deeper nesting than this is refused before the parser recurses into it.
MAX_DEPTH = 20
#: Aliases can multiply a small file into a huge structure ("billion laughs").
MAX_ALIASES = 100


class YamlError(Exception):
    """A file that cannot be read, or not as plain YAML; `line` is 1-based when known."""

    def __init__(self, message: str, line: int | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.line = line


class LineDict(dict):
    """A mapping that remembers its own line and the line of each key."""

    line: int = 0
    key_lines: dict[str, int]


class LineList(list):
    """A list that remembers its own line and the line of each item."""

    line: int = 0
    item_lines: list[int]


#: libyaml's parser when PyYAML was built with it (it is, in the wheels), else the pure-Python one.
_BASE = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class _LineLoader(_BASE):  # type: ignore[misc, valid-type]
    """SafeLoader plus line numbers; still refuses every non-standard tag."""


def _construct_map(loader: _LineLoader, node: yaml.MappingNode):
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
            raise YamlError(f"duplicate key {key!r}", key_node.start_mark.line + 1)
        data[key] = loader.construct_object(value_node, deep=True)
        data.key_lines[str(key)] = key_node.start_mark.line + 1


def _construct_seq(loader: _LineLoader, node: yaml.SequenceNode):
    data = LineList()
    data.line = node.start_mark.line + 1
    data.item_lines = [child.start_mark.line + 1 for child in node.value]
    yield data
    data.extend(loader.construct_object(child, deep=True) for child in node.value)


_LineLoader.add_constructor("tag:yaml.org,2002:map", _construct_map)
_LineLoader.add_constructor("tag:yaml.org,2002:seq", _construct_seq)


def _check_shape(text: str) -> None:
    """Walk the parser's events (which do not recurse) to refuse deep nesting and alias bombs."""
    depth = aliases = 0
    for event in yaml.parse(text, Loader=_BASE):
        if isinstance(event, (yaml.MappingStartEvent, yaml.SequenceStartEvent)):
            depth += 1
            if depth > MAX_DEPTH:
                raise YamlError(f"nested more than {MAX_DEPTH} levels deep", event.start_mark.line + 1)
        elif isinstance(event, (yaml.MappingEndEvent, yaml.SequenceEndEvent)):
            depth -= 1
        elif isinstance(event, yaml.AliasEvent):
            aliases += 1
            if aliases > MAX_ALIASES:
                raise YamlError(f"more than {MAX_ALIASES} aliases (*name)", event.start_mark.line + 1)


def parse_yaml(text: str) -> Any:
    """Parse YAML text into plain data with line numbers; raises YamlError."""
    try:
        _check_shape(text)
        return yaml.load(text, Loader=_LineLoader)  # noqa: S506 - _LineLoader is a SafeLoader
    except YamlError:
        raise
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        reason = " ".join(part for part in (exc.context, exc.problem) if part)
        raise YamlError(f"YAML error: {reason}", mark.line + 1 if mark else None) from None
    except yaml.YAMLError as exc:
        raise YamlError(f"YAML error: {exc}") from None


def read_limited(path: Path, limit: int | None = None) -> bytes:
    """A regular file's bytes, refused before reading when larger than `limit` (MAX_FILE_BYTES)."""
    limit = MAX_FILE_BYTES if limit is None else limit
    try:
        info = path.stat()
        if not stat.S_ISREG(info.st_mode):
            raise YamlError("not a regular file")
        if info.st_size > limit:
            raise YamlError(f"file is {info.st_size:,} bytes, more than the {limit:,} allowed")
        return path.read_bytes()
    except OSError as exc:
        raise YamlError(f"cannot read file: {exc.strerror or exc}") from None


def decode(data: bytes) -> str:
    """UTF-8 text, or a YamlError saying where it is not."""
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise YamlError(f"not UTF-8 text ({exc.reason} at byte {exc.start})") from None


def read_yaml(path: Path) -> Any:
    """Read and parse one file, refusing files over MAX_FILE_BYTES or not UTF-8."""
    return parse_yaml(decode(read_limited(path)))
