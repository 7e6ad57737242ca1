"""A knowledge file's plain YAML built straight from the parser's events: one parse, not two.

`parse_yaml` used to walk the events once to check the shape (no anchors, bounded depth
and size), then parse the text again to compose and construct it: at 1000x the article,
two thirds of reading the facts. Here the events that check the shape also build the
data (LineDict and LineList with their lines, scalars resolved and constructed by the
loader's own resolver and constructors), for the plain YAML knowledge files are made of.
Anything else (a tag, an anchor, a merge or complex key, a duplicate key, several
documents, a limit passed, any error) raises Unusual: the caller then takes the full
path, which explains it exactly as before.
"""

from __future__ import annotations

from typing import Any

import yaml

_STR = "tag:yaml.org,2002:str"
_MAP = "tag:yaml.org,2002:map"
_SEQ = "tag:yaml.org,2002:seq"
#: A mapping waiting for its next key.
_NO_KEY: Any = object()


class Unusual(Exception):
    """Something only the full path handles."""


def build(text: str, loader_class: type, lines: tuple[type, type], max_depth: int, max_nodes: int) -> Any:
    """The single document of `text` as `yaml.load` with `loader_class` gives it, its mappings and lists of
    the `lines` classes (yamlfile's LineDict and LineList); raises Unusual."""
    parser = loader_class(text)
    try:
        return _build(parser, lines, max_depth, max_nodes)
    except Unusual:
        raise
    except Exception as exc:  # a syntax or construction error: the full path explains it
        raise Unusual from exc
    finally:
        parser.dispose()


def _build(parser: Any, lines: tuple[type, type], max_depth: int, max_nodes: int) -> Any:
    get, resolve, constructors = parser.get_event, parser.resolve, parser.yaml_constructors
    line_dict, line_list = lines
    if type(get()) is not yaml.StreamStartEvent:
        raise Unusual
    event = get()
    if type(event) is yaml.StreamEndEvent:
        return None
    if type(event) is not yaml.DocumentStartEvent:
        raise Unusual
    root: Any = _NO_KEY
    stack: list[Any] = []
    keys: list[Any] = []  # per open collection: the key waiting for its value (mappings), or None (lists)
    nodes = 0
    while True:
        event = get()
        kind = type(event)
        if kind is yaml.ScalarEvent:
            if event.anchor is not None or event.tag is not None:
                raise Unusual
            tag = resolve(yaml.ScalarNode, event.value, event.implicit)
            if tag == _STR:
                value: Any = event.value
            else:
                constructor = constructors.get(tag)
                if constructor is None or tag in (_MAP, _SEQ):
                    raise Unusual  # a merge key, a '=' value key...
                node = yaml.ScalarNode(tag, event.value, event.start_mark, event.end_mark, event.style)
                value = constructor(parser, node)
        elif kind is yaml.MappingStartEvent or kind is yaml.SequenceStartEvent:
            mapping = kind is yaml.MappingStartEvent
            if event.anchor is not None or event.tag is not None or len(stack) >= max_depth:
                raise Unusual
            if resolve(yaml.MappingNode if mapping else yaml.SequenceNode, None, event.implicit) != (
                _MAP if mapping else _SEQ
            ):
                raise Unusual
            value = line_dict() if mapping else line_list()
            value.line = event.start_mark.line + 1
            if mapping:
                value.key_lines = {}
            else:
                value.item_lines = []
        elif kind is yaml.MappingEndEvent or kind is yaml.SequenceEndEvent:
            stack.pop()
            keys.pop()
            continue
        elif kind is yaml.DocumentEndEvent:
            if type(get()) is not yaml.StreamEndEvent or root is _NO_KEY:
                raise Unusual  # several documents
            return root
        else:
            raise Unusual  # an alias
        nodes += 1
        if nodes > max_nodes:
            raise Unusual
        line = event.start_mark.line + 1
        if not stack:
            root = value
        elif keys[-1] is None:
            top = stack[-1]
            top.append(value)
            top.item_lines.append(line)
        elif keys[-1] is _NO_KEY:
            if isinstance(value, (line_dict, line_list)) or value in stack[-1]:
                raise Unusual  # a complex or duplicate key
            if not isinstance(value, (str, int, float, bool)) and value is not None:
                raise Unusual
            keys[-1] = (value, line)
        else:
            key, key_line = keys[-1]
            top = stack[-1]
            top[key] = value
            top.key_lines[str(key)] = key_line
            keys[-1] = _NO_KEY
        if isinstance(value, line_dict):
            stack.append(value)
            keys.append(_NO_KEY)
        elif isinstance(value, line_list):
            stack.append(value)
            keys.append(None)
