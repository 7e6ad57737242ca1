"""A draft as a moderator reads it: the passages found, and the fact as YAML ready to paste into a sheet.

Every text is written as a one-line double-quoted scalar that reads back exactly, and what
a person must still write (the answers, missing questions) is marked for review
(engine/knowledge/review.py), so `check` refuses the fact until someone has.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from dataclasses import dataclass

from engine.knowledge.model import LANGS
from engine.knowledge.passages import Passage
from engine.knowledge.review import REVIEW_MARK
from engine.knowledge.shapes import OUT_OF_SCOPE_FILE


@dataclass(frozen=True, slots=True)
class Match:
    passage: Passage
    score: float
    lexical: float
    semantic: float
    #: Facts whose quote lies in this passage already.
    quoted_by: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Draft:
    """A drafted fact: the passages found, best first, and the YAML to paste (empty when not covered)."""

    questions: tuple[str, ...]
    matches: tuple[Match, ...]
    covered: bool
    fact_id: str
    topic: str
    yaml: str

    @property
    def best(self) -> Match | None:
        return self.matches[0] if self.matches else None


def fact_yaml(
    fact_id: str,
    topic: str,
    passage: Passage,
    questions: dict[str, list[str]],
    answers: dict[str, str],
    names: tuple[list[str], list[str]] = ([], []),
) -> str:
    """One fact as an item of a sheet's `facts:` list (two-space indent, every text quoted), with comments
    naming the passage's names the lexicon knows and those it lacks."""
    known, unknown = names  # the names the lexicon knows, and those it lacks
    lines = [
        f"  - id: {fact_id}",
        f"    topic: {topic}",
        f"    source: {passage.source}",
        f"    # line {passage.line}, characters {passage.start}-{passage.end} of the source",
        f"    quote: {yaml_text(passage.text)}",
        "    questions:",
    ]
    for lang in LANGS:
        lines.append(f"      {lang}:")
        lines += [f"        - {yaml_text(q)}" for q in questions[lang]]
    lines += ["    answer:", *(f"      {lang}: {yaml_text(answers[lang])}" for lang in LANGS)]
    if known:
        lines.append(f"    # names the lexicon knows: {', '.join(known)}")
    if unknown:
        lines.append(f"    # names lexicon.yaml does not list yet (add them under entities): {', '.join(unknown)}")
    return "\n".join(lines) + "\n"


def prefilled(passage: Passage, source_lang: str) -> dict[str, str]:
    """Answers pre-filled honestly: the passage itself in its own language, a note in the other; both marked."""
    other = {"fr": "French", "en": "English"}
    return {
        lang: f"{REVIEW_MARK} {passage.text}"
        if lang == source_lang
        else f"{REVIEW_MARK} (write the {other[lang]} answer; the source says: {passage.text})"
        for lang in LANGS
    }


#: What a YAML stream may not hold raw (PyYAML's own test), and line separators YAML would fold.
_UNPRINTABLE = re.compile("[^\x09\x0a\x0d\x20-\x7e\xa0-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]|[\u2028\u2029]")


def yaml_text(text: str) -> str:
    """Text as a YAML double-quoted scalar on one line (JSON's string syntax is valid YAML; anything YAML
    would refuse or fold is written as an escape, so the text reads back exactly)."""
    return _UNPRINTABLE.sub(lambda m: f"\\u{ord(m.group()):04x}", json.dumps(text, ensure_ascii=False))


def header(
    questions: Sequence[str], matches: Sequence[Match], covered: bool, held: Sequence[tuple[str, str]] = ()
) -> str:
    """The YAML comments above a draft: the questions, the passages found with their place, what to do."""
    lines = ["# Draft for: " + " / ".join(f"« {q} »" for q in questions)]
    for question, owner in held:
        where = "listed in out_of_scope.yaml" if owner == OUT_OF_SCOPE_FILE else f"a question of fact {owner}"
        lines.append(f"# « {question} » is already {where}: left out (check refuses a question held twice).")
    if matches:
        lines.append("# Passages of the sources that match best (score = words shared + meaning):")
    for n, m in enumerate(matches, 1):
        quoted = f" — already quoted by {', '.join(m.quoted_by)}" if m.quoted_by else ""
        lines.append(
            f"#   {n}. {m.score:.2f} {m.passage.source} line {m.passage.line}, "
            f"characters {m.passage.start}-{m.passage.end}{quoted}: « {_clip(m.passage.text, 160)} »"
        )
    if not covered:
        lines.append(
            "# No passage matches well: the sources do not seem to cover this. Add a source "
            "(`python bot.py add-source`), not a fact; or list the question in out_of_scope.yaml."
        )
        return "\n".join(lines) + "\n"
    if matches[0].quoted_by:
        lines.append(
            f"# The best passage is already quoted by {', '.join(matches[0].quoted_by)}: if that fact answers the "
            "question, add the question to it instead of a new fact."
        )
    lines.append(
        f"# Paste under `facts:` in a sheet of knowledge/facts/, write the answers and check the questions, "
        f"remove each {REVIEW_MARK}, then `python bot.py check` and `/facts reload`."
    )
    return "\n".join(lines) + "\n"


def _clip(text: str, size: int) -> str:
    return text if len(text) <= size else text[: size - 1] + "…"
