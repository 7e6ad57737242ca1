"""Reading a knowledge file's records into their declared shapes, and saying at which line one is wrong.

`fields` converts a record with one msgspec call (the common case: it is valid). When that
fails, it walks the shape field by field so that every problem of the record is reported at
once, each at the line of its YAML node, in the words the field declares (engine/knowledge/
shapes.py), and returns the fields that are valid so the loaders' own rules still run on them.
"""

from __future__ import annotations

import datetime as dt
import difflib
import typing
from collections.abc import Callable, Iterator
from functools import cache
from pathlib import Path
from typing import Any, NamedTuple

import msgspec

from engine.knowledge.problems import Problem, Report
from engine.knowledge.shapes import Text
from engine.knowledge.yamlfile import LineDict, LineList, YamlError, decode, line_of, parse_yaml, read_inside, shown

#: A record's valid fields by name; a nested shape's are a dict of its own valid fields.
Fields = dict[str, Any]


def read(root: Path, relative: str, problems: list[Problem], *, required: bool = True) -> Any:
    """A YAML file of knowledge/, or None with the problem reported (missing, outside, unreadable)."""
    path = root / relative
    if not path.exists() and not path.is_symlink():
        if required:
            problems.append(Problem(relative, None, None, "file is missing"))
        return None
    try:
        return parse_yaml(decode(read_inside(root, relative)))
    except YamlError as exc:
        problems.append(Problem(relative, exc.line, None, exc.message, exc.excerpt))
        return None


def items(data: Any, key: str, report: Report) -> Iterator[LineDict]:
    """The mappings listed under `key` at the top of a file, reporting anything else."""
    if not isinstance(data, dict) or not isinstance(data.get(key), list):
        report.add(line_of(data), f"expected a top-level '{key}:' list")
        return
    listed = data[key]
    for index, item in enumerate(listed):
        if isinstance(item, LineDict):
            yield item
        else:
            line = listed.item_lines[index] if isinstance(listed, LineList) else None
            report.add(line, f"item {index + 1} of '{key}' is not a mapping (key: value)")


def unknown_keys(node: Any, allowed: set[str], report: Report, where: str = "", fact_id: str | None = None) -> None:
    """Report each key of `node` that is not in `allowed`, with the closest allowed key when one is close."""
    if not isinstance(node, dict):
        return
    for key in sorted(set(map(str, node)) - allowed):
        close = difflib.get_close_matches(key, sorted(allowed), n=1, cutoff=0.5)
        hint = f": did you mean '{close[0]}'?" if close else f" (expected one of: {', '.join(sorted(allowed))})"
        name = f"{where}.{key}" if where else key
        report.add(line_of(node, key), f"unknown field {shown(name)}{hint}", fact_id)


def text_of(node: LineDict, key: str) -> str | None:
    """`node[key]` as the stripped text a Text field gives, or None when it is not one (an id, before checking)."""
    value = node.get(key)
    if isinstance(value, dt.date):
        return value.isoformat()
    return value.strip() or None if isinstance(value, str) else None


def fields(
    node: LineDict, shape: type[msgspec.Struct], report: Report, fact_id: str | None = None
) -> tuple[Fields, bool]:
    """The record's fields as `shape` declares them, and whether all are valid (every problem reported)."""
    data = _dates_as_text(node, shape)
    try:
        record = msgspec.convert(data, shape)
    except msgspec.ValidationError as exc:
        before = report.total()
        found = _walk(data, node, shape, report, fact_id, "", node.line)
        if report.total() == before:  # never accept what msgspec refused, even unexplained
            report.add(node.line, f"invalid record: {exc}", fact_id)
        return found, False
    return _as_fields(record), True


def _as_fields(record: msgspec.Struct) -> Fields:
    return {
        name: msgspec.structs.asdict(value) if isinstance(value, msgspec.Struct) else value
        for name, value in msgspec.structs.asdict(record).items()
    }


class _Field(NamedTuple):
    """One declared field, with what the walk needs of it worked out once."""

    name: str
    type: Any
    nested: type[msgspec.Struct] | None
    required: bool
    default: Callable[[], Any]
    missing: str
    invalid: str
    #: Said of a field written with no value (`expect:`, `expect: null`): not missing, empty.
    empty: str


@cache
def _plan(shape: type[msgspec.Struct]) -> tuple[_Field, ...]:
    """The declared fields of `shape` (msgspec resolves their annotations at each call: once is enough)."""
    plan = []
    for f in msgspec.structs.fields(shape):
        nested = f.type if isinstance(f.type, type) and issubclass(f.type, msgspec.Struct) else None
        factory = f.default_factory if f.default_factory is not msgspec.NODEFAULT else (lambda v=f.default: v)
        plan.append(
            _Field(
                f.name,
                f.type,
                nested,
                f.required,
                factory,
                _problem("missing", f.type),
                _problem("invalid", f.type),
                _problem("empty", f.type),
            )
        )
    return tuple(plan)


@cache
def _names(shape: type[msgspec.Struct]) -> set[str]:
    return {f.name for f in _plan(shape)}


@cache
def _text_fields(shape: type[msgspec.Struct]) -> tuple[str, ...]:
    """The fields of `shape` that hold one text (where a YAML date stands for its ISO form)."""
    return tuple(f.name for f in _plan(shape) if f.type == Text)


def _dates_as_text(node: LineDict, shape: type[msgspec.Struct]) -> Any:
    """`node`, with the dates of its text fields as ISO text (a copy only when there is one)."""
    dated = [key for key in _text_fields(shape) if isinstance(node.get(key), dt.date)]
    if not dated:
        return node
    return {**node, **{key: node[key].isoformat() for key in dated}}


def _problem(kind: str, annotation: Any) -> str:
    """The words a field's type declares for `kind` ("missing" or "invalid"), with `{path}` to fill."""
    for meta in typing.get_args(annotation)[1:]:
        if isinstance(meta, msgspec.Meta) and meta.extra and (words := meta.extra.get("problem", meta.extra.get(kind))):
            return str(words)
    defaults = {
        "missing": "missing field '{path}'",
        "empty": "field '{path}' has no value (in YAML, a key with nothing after it, `~` and `null` are none)",
    }
    return defaults.get(kind, "field '{path}' is not valid")


def _walk(
    data: Any,
    node: Any,
    shape: type[msgspec.Struct],
    report: Report,
    fact_id: str | None,
    prefix: str,
    line: int | None,
) -> Fields:
    """Check each field of `data` against `shape` on its own; `node` holds the lines (`line` when it has none)."""
    unknown_keys(node, _names(shape), report, prefix, fact_id)
    values = data if isinstance(data, dict) else {}
    found: Fields = {}
    lines = node.key_lines if isinstance(node, LineDict) else {}
    own = node.line if isinstance(node, LineDict) else line  # where a field it lacks is reported
    for field in _plan(shape):
        path = f"{prefix}.{field.name}" if prefix else field.name
        value = values.get(field.name)
        if field.nested is not None:
            at = lines.get(field.name, own)
            found[field.name] = _walk(value, value, field.nested, report, fact_id, path, at)
        elif field.name not in values and not field.required:
            found[field.name] = field.default()
        elif value is None and field.required:
            problem = field.empty if field.name in values else field.missing
            report.add(lines.get(field.name, own), problem.format(path=path), fact_id)
        else:
            try:
                found[field.name] = msgspec.convert(value, field.type)
            except msgspec.ValidationError:
                report.add(lines.get(field.name, own), field.invalid.format(path=path), fact_id)
    return found
