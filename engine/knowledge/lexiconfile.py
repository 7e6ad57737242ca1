"""lexicon.yaml and the word lists words/{lang}.tsv: the words the matcher reads questions with.

The lexicon's sections are named by the moderators (synonym groups, entity kinds), so its
shape is checked here section by section rather than declared as a fixed record.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, cast

from engine.knowledge.model import LANGS
from engine.knowledge.problems import Problem, Report
from engine.knowledge.validate import read, unknown_keys
from engine.knowledge.yamlfile import LineList, YamlError, decode, line_of, read_inside, shown
from engine.lexicon import Lexicon

#: The sections every lexicon has.
_LEXICON_FIELDS = ("stopwords", "question_words", "synonyms", "entities", "smalltalk", "language_markers")
#: Optional lexicon sections (people, follow_up_starts and pronouns are the follow-up questions' words).
_LEXICON_OPTIONAL = ("accented", "open_questions", "now", "people", "follow_up_starts", "pronouns")
#: Lexicon sections whose names are fixed (the others' names are the moderator's: synonym groups, kinds).
_LEXICON_NAMES = {"stopwords": set(LANGS), "language_markers": set(LANGS), "smalltalk": {"greeting", "thanks", "help"}}


def _string_list(value: Any) -> bool:
    return isinstance(value, list) and all(isinstance(v, str) for v in value)


def _load_frequencies(root: Path, problems: list[Problem]) -> dict[str, dict[str, float]]:
    """The optional common-word lists words/{lang}.tsv: a word and its Zipf frequency a line."""
    frequencies: dict[str, dict[str, float]] = {}
    for lang in LANGS:
        relative = f"words/{lang}.tsv"
        path = root / relative
        if not path.exists() and not path.is_symlink():
            continue
        table: dict[str, float] = {}
        try:
            for number, line in enumerate(decode(read_inside(root, relative)).splitlines(), 1):
                word, _, zipf = line.partition("\t")
                try:
                    table[word] = float(zipf)
                except ValueError:
                    problems.append(Problem(relative, number, None, "expected a word, a tab and a number"))
                    break
        except YamlError as exc:
            problems.append(Problem(relative, None, None, exc.message))
        frequencies[lang] = table
    return frequencies


def _accented(value: Any, report: Report, data: dict[str, Any]) -> dict[str, str]:
    """The optional `accented:` mapping of accented words to the word they stand for."""
    if value is None:
        return {}
    if not isinstance(value, dict) or not all(isinstance(k, str) and isinstance(v, str) for k, v in value.items()):
        report.add(line_of(data, "accented"), "section 'accented' must map words to words")
        return {}
    return value


def load_lexicon(root: Path, problems: list[Problem]) -> Lexicon | None:
    report = Report(problems, "lexicon.yaml")
    data = read(root, "lexicon.yaml", problems)
    frequencies = _load_frequencies(root, problems)  # read whatever lexicon.yaml holds: every problem at once
    if data is None:
        return None
    if not isinstance(data, dict):
        report.add(line_of(data), "expected a mapping of word lists")
        return None
    unknown_keys(data, {*_LEXICON_FIELDS, *_LEXICON_OPTIONAL}, report)
    for section, names in _LEXICON_NAMES.items():
        unknown_keys(data.get(section), names, report, section)
    ok = True
    for section in _LEXICON_FIELDS:
        value = data.get(section)
        lists: list[tuple[Any, Any]] = (
            [(section, value)] if section == "entities" else list(value.items()) if isinstance(value, dict) else []
        )
        if not lists or not all(isinstance(words, list) for _, words in lists):
            shape = "a list of words" if section == "entities" else "a mapping of names to lists of words"
            report.add(line_of(data, section), f"section '{section}' must be {shape}")
            ok = False
            continue
        for name, words in lists:
            if not isinstance(name, str):
                report.add(line_of(value, str(name)), f"{section}: the name {shown(name)} must be text (quote it)")
                ok = False
            for index, word in enumerate(words):
                if not isinstance(word, str):
                    line = words.item_lines[index] if isinstance(words, LineList) else line_of(data, section)
                    hint = " (quote it: YAML reads on, off, yes, no as true/false)" if isinstance(word, bool) else ""
                    report.add(line, f"{section}.{str(name)[:40]}: {shown(word)} is not a word{hint}")
                    ok = False
    if not ok:
        return None
    return Lexicon.build(
        frequencies=frequencies,
        accented=_accented(data.get("accented"), report, data),
        stopwords=[w for words in data["stopwords"].values() for w in words],
        synonyms=data["synonyms"],
        question_words=data["question_words"],
        entities=data["entities"],
        smalltalk=data["smalltalk"],
        markers=data["language_markers"],
        open_words=_optional_words(data, "open_questions", report),
        now=_optional_words(data, "now", report),
        people=_optional_words(data, "people", report),
        follow_up_starts=_optional_words(data, "follow_up_starts", report),
        pronouns=_optional_words(data, "pronouns", report),
    )


def _optional_words(data: dict[str, Any], section: str, report: Report) -> list[str]:
    """An optional section listing words or phrases; a wrong shape is reported, not fatal to the rest."""
    value = data.get(section)
    if value is None:
        return []
    if not _string_list(value):
        report.add(line_of(data, section), f"section '{section}' must be a list of words or phrases")
        return []
    return cast(list[str], value)  # a list of str: just checked
