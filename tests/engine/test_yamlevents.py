"""The one-parse YAML path (yamlevents.py) builds exactly what the full path builds, or hands the text to it."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from engine.knowledge import yamlfile
from engine.knowledge.yamlevents import Unusual, build
from engine.knowledge.yamlfile import MAX_DEPTH, MAX_NODES, LineDict, LineList, YamlError, parse_yaml

ROOT = Path(__file__).resolve().parents[2]


def full(text: str) -> Any:
    """The full path: the shape checked on the events, then the text parsed again and constructed."""
    yamlfile._check_shape(text)
    return yaml.load(text, Loader=yamlfile._LineLoader)


def fast(text: str) -> Any:
    return build(text, yamlfile._LineLoader, (LineDict, LineList), MAX_DEPTH, MAX_NODES)


def same(a: Any, b: Any) -> bool:
    """Equal values, of the same types, with the same lines."""
    if type(a) is not type(b):
        return False
    if isinstance(a, LineDict):
        return (a.line, a.key_lines, list(a)) == (b.line, b.key_lines, list(b)) and all(same(a[k], b[k]) for k in a)
    if isinstance(a, LineList):
        return (a.line, a.item_lines, len(a)) == (b.line, b.item_lines, len(b)) and all(map(same, a, b))
    return bool(a == b)


@pytest.mark.parametrize("path", sorted((ROOT / "knowledge").rglob("*.yaml")), ids=lambda p: p.name)
def test_every_knowledge_file_is_built_as_the_full_path_builds_it(path):
    text = path.read_text(encoding="utf-8")
    assert same(fast(text), full(text))


@pytest.mark.parametrize(
    "text",
    [
        "",
        "---\n",
        "plain",
        "a: 1\nb: [1, 2.5, true, null, ~, 2019-12-10]\nc: {d: 'yes', e: yes}\n",
        "k: |\n  two\n  lines\n",
        "- - - a\n  - b\n",
        "1: one\n2: two\n",
    ],
)
def test_plain_yaml_is_built_in_one_parse(text):
    assert same(fast(text), full(text))


@pytest.mark.parametrize(
    "text",
    [
        "a: &x 1\nb: *x\n",  # anchors and aliases: refused by the full path
        "a: 1\na: 2\n",  # a duplicate key
        "? [a]\n: 1\n",  # a complex key
        "<<: {a: 1}\nb: 2\n",  # a merge key
        "- !!str 1\n",  # a tag
        "a: b\n---\nc: d\n",  # two documents
        "[" * (MAX_DEPTH + 1) + "]" * (MAX_DEPTH + 1),  # too deep
        "a: [1,\n",  # a syntax error
        "2019-01-01: x\n",  # a key that is not text
    ],
)
def test_anything_else_takes_the_full_path_and_its_error(text):
    with pytest.raises(Unusual):
        fast(text)
    try:
        expected: Any = ("value", full(text))
    except (YamlError, yaml.YAMLError):
        with pytest.raises(YamlError):
            parse_yaml(text)
    else:
        assert same(parse_yaml(text), expected[1])
