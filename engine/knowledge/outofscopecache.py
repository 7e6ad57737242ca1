"""out_of_scope.yaml's questions kept in the load cache: a start does not parse its thousand entries again.

Parsing the file (with the line of every node, for the problems it may report) was the
largest part of a start from the load cache once the lexicon was cached too. Its
questions and their lines are stored as one plain JSON file (`out_of_scope-*.json`),
keyed by the file's bytes and the code that reads it; checked for its types before use,
ignored (logged once) and rewritten when bad. Only a file without problems is stored, so
a broken one is read, and reported, at every load.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

from engine.knowledge.cachecodec import BadFile, check_entry
from engine.knowledge.cachefiles import CacheFolder
from engine.knowledge.cachekeys import code_digest, digest
from engine.knowledge.evalsets import load_out_of_scope
from engine.knowledge.problems import Problem
from engine.knowledge.shapes import OUT_OF_SCOPE_FILE
from engine.knowledge.yamlfile import YamlError, read_inside

#: Bump when what is stored changes shape or meaning without the code digested below changing.
VERSION = 1
#: The modules (under engine/) whose code decides what is read from the file.
_CODE = (
    "knowledge/evalsets.py",
    "knowledge/shapes.py",
    "knowledge/validate.py",
    "knowledge/yamlfile.py",
    "knowledge/outofscopecache.py",
)

Listed = tuple[tuple[str, int | None], ...]


def cached_out_of_scope(root: Path, problems: list[Problem], folder: Path | None) -> Listed:
    """What `load_out_of_scope` returns for `root`: from the cache folder when stored for these very bytes."""
    if folder is None:
        return load_out_of_scope(root, problems)
    try:
        data = read_inside(root, OUT_OF_SCOPE_FILE)
    except YamlError:  # missing or unreadable: read (and reported) as without a cache
        return load_out_of_scope(root, problems)
    read = hashlib.sha1(data, usedforsecurity=False).hexdigest()
    key = digest(code_digest(VERSION, _CODE, "out of scope"), read)
    files = CacheFolder(folder)
    path = files.path("out_of_scope", OUT_OF_SCOPE_FILE, "json")
    stored = files.read_json(path, lambda found: _check(found, key))
    if stored is not None:
        return tuple((q, line) for q, line in stored["questions"])
    found: list[Problem] = []
    listed = load_out_of_scope(root, found)
    problems.extend(found)
    if not found:
        payload = {"version": VERSION, "key": key, "questions": [list(item) for item in listed]}
        files.write(path, json.dumps(payload, ensure_ascii=False).encode("utf-8"))
    return listed


def _check(found: Any, key: str) -> None:
    check_entry(found, VERSION, key, "written for another state of the file")
    questions = found.get("questions")
    if not isinstance(questions, list):
        raise BadFile("a list of questions was expected")
    for item in questions:
        if not (isinstance(item, list) and len(item) == 2 and isinstance(item[0], str)):
            raise BadFile("each question must be [text, line]")
        if item[1] is not None and (type(item[1]) is not int or item[1] < 1):
            raise BadFile("a question's line must be a positive whole number")
