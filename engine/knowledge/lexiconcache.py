"""The compiled lexicon kept in the load cache, so a start does not parse lexicon.yaml and the word lists again.

Parsing lexicon.yaml, the two word lists (75,000 lines) and compiling them took a fifth of a
second, a quarter of `python bot.py ask`. What `Lexicon.build` made is stored as one plain
JSON file (`lexicon-*.json` in the cache folder), keyed by the digest of the files read and
of the code that reads and compiles them, so an edit of either makes a miss. Nothing read
can run code, every value is checked for its type, and a bad file is ignored (logged once)
and rewritten. Only a lexicon without problems is stored: a broken one is read from the
YAML every time, so its problems are reported every time.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from pathlib import Path
from types import MappingProxyType
from typing import Any

from engine.knowledge.cachecodec import BadFile, check_entry
from engine.knowledge.cachefiles import CacheFolder
from engine.knowledge.cachekeys import code_digest
from engine.knowledge.cachekeys import digest as entry_digest
from engine.knowledge.lexiconfile import load_lexicon
from engine.knowledge.problems import Problem
from engine.lexicon import Lexicon

#: Bump when what is stored changes shape or meaning without the code digested below changing.
VERSION = 1
#: The modules (under engine/) whose code decides the compiled lexicon.
_CODE = ("lexicon.py", "textnorm.py", "knowledge/lexiconfile.py", "knowledge/lexiconcache.py")
#: Sections of words, of phrases (word tuples), of phrase -> name, of word -> word, of word -> length.
_WORD_SETS = ("stopwords", "entities", "open_words", "people")
_PHRASE_SETS = ("now", "follow_up_starts", "pronouns")
_PHRASE_MAPS = ("phrases", "kinds", "smalltalk")
_WORD_MAPS = ("words", "accented")
_LENGTHS = ("phrase_starts", "kind_starts")


def cached_lexicon(root: Path, problems: list[Problem], digest: str, folder: Path | None) -> Lexicon | None:
    """The lexicon of `root` (whose files have `digest`): from the cache folder when stored there, else
    read and compiled (and stored when it has no problems). Problems are appended as `load_lexicon` does."""
    if folder is None:
        return load_lexicon(root, problems)
    files = CacheFolder(folder)
    path = files.path("lexicon", "lexicon.yaml", "json")
    key = entry_digest(code_digest(VERSION, _CODE, "lexicon"), digest)
    data = files.read_json(
        path, lambda found: check_entry(found, VERSION, key, "written for other lexicon files or code")
    )
    if data is not None:
        try:
            return lexicon_from(data["lexicon"])
        except (BadFile, KeyError, TypeError, ValueError, AttributeError) as exc:
            files.ignore(path, exc)
    found: list[Problem] = []
    lexicon = load_lexicon(root, found)
    problems.extend(found)
    if lexicon is not None and not found:
        payload = {"version": VERSION, "key": key, "lexicon": lexicon_data(lexicon)}
        files.write(path, json.dumps(payload, ensure_ascii=False).encode("utf-8"))
    return lexicon


def lexicon_data(lexicon: Lexicon) -> dict[str, Any]:
    """The compiled lexicon as plain JSON data (orders kept: mappings as lists of pairs)."""
    data: dict[str, Any] = {}
    for name in _WORD_SETS:
        data[name] = sorted(getattr(lexicon, name))
    for name in _PHRASE_SETS:
        data[name] = sorted(list(p) for p in getattr(lexicon, name))
    for name in _PHRASE_MAPS:
        data[name] = [[list(k), v] for k, v in getattr(lexicon, name).items()]
    for name in (*_WORD_MAPS, *_LENGTHS):
        data[name] = dict(getattr(lexicon, name))
    data["markers"] = {lang: sorted(words) for lang, words in lexicon.markers.items()}
    # Words joined and numbers listed: a fifth of the time a mapping of 75,000 entries takes to read.
    data["frequencies"] = {
        lang: ["\n".join(table), list(table.values())] for lang, table in lexicon.frequencies.items()
    }
    return data


def _words(value: Any) -> list[str]:
    if not isinstance(value, list) or not all(isinstance(w, str) for w in value):
        raise BadFile("a list of words was expected")
    return value


def _mapping(value: Any, kind: type) -> dict[str, Any]:
    if not isinstance(value, dict) or not all(isinstance(v, kind) and not isinstance(v, bool) for v in value.values()):
        raise BadFile(f"a mapping of words to {kind.__name__} was expected")
    return value


def _phrases(value: Any) -> Iterable[tuple[str, ...]]:
    return (tuple(_words(p)) for p in _words_lists(value))


def _words_lists(value: Any) -> list[Any]:
    if not isinstance(value, list):
        raise BadFile("a list was expected")
    return value


def _phrase_map(value: Any) -> Mapping[tuple[str, ...], str]:
    out: dict[tuple[str, ...], str] = {}
    for pair in _words_lists(value):
        words, name = pair
        if not isinstance(name, str):
            raise BadFile("a phrase's name must be text")
        out[tuple(_words(words))] = name
    return MappingProxyType(out)


def _frequencies(value: Any) -> Mapping[str, Mapping[str, float]]:
    out: dict[str, Mapping[str, float]] = {}
    for lang, (joined, numbers) in _mapping(value, list).items():
        words = joined.split("\n") if isinstance(joined, str) and joined else []
        if not isinstance(numbers, list) or len(numbers) != len(words):
            raise BadFile("one frequency per word was expected")
        if not set(map(type, numbers)) <= {float}:  # checked in C: 75,000 of them at every start
            raise BadFile("frequencies must be numbers")
        out[lang] = MappingProxyType(dict(zip(words, numbers, strict=True)))
    return MappingProxyType(out)


def lexicon_from(data: Any) -> Lexicon:
    """The Lexicon `lexicon_data` described; raises BadFile (or KeyError, TypeError, ValueError) when malformed."""
    if not isinstance(data, dict):
        raise BadFile("the lexicon must be a mapping")
    fields: dict[str, Any] = {name: frozenset(_words(data[name])) for name in _WORD_SETS}
    fields.update({name: frozenset(_phrases(data[name])) for name in _PHRASE_SETS})
    fields.update({name: _phrase_map(data[name]) for name in _PHRASE_MAPS})
    fields.update({name: MappingProxyType(_mapping(data[name], str)) for name in _WORD_MAPS})
    fields.update({name: MappingProxyType(_mapping(data[name], int)) for name in _LENGTHS})
    markers = _mapping(data["markers"], list)
    fields["markers"] = MappingProxyType({lang: frozenset(_words(words)) for lang, words in markers.items()})
    fields["frequencies"] = _frequencies(data["frequencies"])
    return Lexicon(**fields)
