"""Moderators drafting facts on Discord: `/facts draft` replies, and the offer under `/facts unanswered`.

The drafting itself is the engine's (engine/knowledge/drafting.py); these are its sentences, in the
moderator's language, with every echoed text made inert (no markdown, no mention).
"""

from __future__ import annotations

from cogs import limits
from cogs.embeds import escape
from cogs.strings import sentence
from engine import Draft, Match

#: How much of a passage a line shows.
PASSAGE_CHARS = 220
STRINGS: dict[str, dict[str, str]] = {
    "fr": {
        "ready": "📝 Brouillon du fait `{fact_id}` (sujet `{topic}`), d'après {where} : « {passage} »",
        "quoted": "Ce passage est déjà cité par {facts} : si l'un d'eux répond, ajoutez-y plutôt la question.",
        "steps": "Collez le fichier joint sous `facts:` dans une fiche de `knowledge/facts/`, écrivez les réponses, "
        "retirez chaque `TODO-REVIEW`, puis `/facts check` et `/facts reload`.",
        "uncovered": "🚫 Aucun passage de l'article ne répond bien à « {question} »{best}. L'article ne couvre "
        "pas la question : ajoutez une source (`python bot.py add-source`), pas un fait.",
        "best": " (le plus proche, {where} : « {passage} »)",
        "where": "{source}, ligne {line}",
        "offer": "  ↳ {where} : « {passage} » — `/facts draft question:{question}`",
        "offer_none": "  ↳ l'article ne couvre pas cette question : ajoutez une source, pas un fait.",
    },
    "en": {
        "ready": "📝 Draft of the fact `{fact_id}` (topic `{topic}`), from {where}: « {passage} »",
        "quoted": "This passage is already quoted by {facts}: if one of them answers, add the question to it instead.",
        "steps": "Paste the attached file under `facts:` in a sheet of `knowledge/facts/`, write the answers, "
        "remove each `TODO-REVIEW`, then `/facts check` and `/facts reload`.",
        "uncovered": "🚫 No passage of the article answers « {question} » well{best}. The article does not cover "
        "it: add a source (`python bot.py add-source`), not a fact.",
        "best": " (the closest, {where}: « {passage} »)",
        "where": "{source}, line {line}",
        "offer": "  ↳ {where}: « {passage} » — `/facts draft question:{question}`",
        "offer_none": "  ↳ the article does not cover this question: add a source, not a fact.",
    },
}


def _text(lang: str, key: str, **values: str) -> str:
    return sentence(STRINGS, lang, key, **values)


def _where(lang: str, match: Match) -> str:
    return _text(lang, "where", source=f"`{match.passage.source}`", line=str(match.passage.line))


def _passage(match: Match) -> str:
    return escape(limits.clip(match.passage.text, PASSAGE_CHARS))


def _command_text(question: str) -> str:
    """A question inside an inline code span: no backtick can end it early, no line break."""
    return limits.clip(" ".join(question.replace("`", "'").split()), 300)


def draft_lines(lang: str, draft: Draft) -> list[str]:
    """What `/facts draft` says beside the YAML file: the passage found and what to do, or that none fits."""
    best = draft.best
    if not draft.covered:
        closest = _text(lang, "best", where=_where(lang, best), passage=_passage(best)) if best else ""
        question = escape(limits.clip(" / ".join(draft.questions), 300))
        return [_text(lang, "uncovered", question=question, best=closest)]
    assert best is not None  # a covered draft has its passage
    lines = [
        _text(lang, "ready", fact_id=draft.fact_id, topic=draft.topic, where=_where(lang, best), passage=_passage(best))
    ]
    if best.quoted_by:
        lines.append(_text(lang, "quoted", facts=", ".join(f"`{i}`" for i in best.quoted_by)))
    lines.append(_text(lang, "steps"))
    return lines


def offer_line(lang: str, question: str, draft: Draft | None) -> str | None:
    """The line under one group of `/facts unanswered`: its best passage and the command to draft it."""
    if draft is None:
        return None
    if not draft.covered or draft.best is None:
        return _text(lang, "offer_none")
    best = draft.best
    return _text(lang, "offer", where=_where(lang, best), passage=_passage(best), question=_command_text(question))
