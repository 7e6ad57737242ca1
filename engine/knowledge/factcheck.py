"""One fact of a sheet: its declared shape, then the rules that compare its values with the rest of knowledge/.

The shape (engine/knowledge/shapes.py) says which fields a fact has and what each holds;
the rules here need values: a topic of topics.yaml, a source of sources.yaml, a quote
found verbatim in that source, enough questions, a translated answer, no review mark left.
"""

from __future__ import annotations

import difflib
from functools import lru_cache
from types import MappingProxyType

from engine.knowledge import review, shapes
from engine.knowledge.model import LANGS, Fact, Source
from engine.knowledge.problems import Report
from engine.knowledge.quotes import closest_passage
from engine.knowledge.validate import fields, text_of
from engine.knowledge.yamlfile import LineDict, LineList, line_of, shown
from engine.textnorm import quote_form


@lru_cache(maxsize=64)
def _quotable(source: Source) -> str:
    """The source text in the form quotes are compared with, computed once per source."""
    return quote_form(source.text)


def _quote_problem(quote: str, source: Source, report: Report) -> str:
    """'Not found verbatim', with the closest passage of the source and where the two first differ
    (for the first MAX_PASSAGES quotes of a file)."""
    message = f"quote not found verbatim in source '{source.id}'"
    if report.passages <= 0:
        return message
    report.passages -= 1
    found = closest_passage(quote_form(quote), _quotable(source))
    if found is None:
        return message + ": no passage of the source is close to it; copy the quote from the article"
    passage, offset = found
    word = passage.rfind(" ", 0, offset) + 1  # show the two from the start of the word that differs
    return (
        f"{message}; closest passage: {shown(passage, 120)}; they first differ at character {offset + 1}: "
        f"the quote has {shown(quote_form(quote)[word : word + 20], 40)}, the source "
        f"{shown(passage[word : word + 20], 40)}"
    )


def check_fact(node: LineDict, report: Report, sources: dict[str, Source], topics: set[str]) -> Fact | None:
    """The Fact of one sheet entry, or None with every problem of it reported."""
    fact_id = text_of(node, "id")
    before = report.total()
    found, _ = fields(node, shapes.Fact, report, fact_id)
    if fact_id and not shapes.ID.fullmatch(fact_id):
        report.add(line_of(node, "id"), "id must be lowercase letters, digits and dashes", fact_id)
    topic = found["topic"].strip() if "topic" in found else None
    if topic and topic not in topics:
        close = difflib.get_close_matches(topic, sorted(topics), n=1, cutoff=0.6)
        hint = f"did you mean '{close[0]}'? " if close else ""
        report.add(line_of(node, "topic"), f"unknown topic {shown(topic)} ({hint}see topics.yaml)", fact_id)
    source_id = found["source"].strip() if "source" in found else None
    if source_id and source_id not in sources:
        report.add(line_of(node, "source"), f"unknown source {shown(source_id)} (see sources.yaml)", fact_id)
    quote = found["quote"].strip() if "quote" in found else None
    if quote and source_id in sources and quote_form(quote) not in _quotable(sources[source_id]):
        report.add(line_of(node, "quote"), _quote_problem(quote, sources[source_id], report), fact_id)
    questions = _questions(node, found["questions"], report, fact_id)
    answers = {lang: text.strip() for lang, text in found["answer"].items()}
    if len(answers) == len(LANGS) and len(set(answers.values())) == 1:
        report.add(line_of(node, "answer"), "answer.fr and answer.en are the same text: translate one", fact_id)
    # Drafts (engine/knowledge/review.py): text still marked for review is a problem, so no draft goes live unread.
    for field in review.marked(questions, answers):
        report.add(line_of(node, field.partition(".")[0]), review.message(field), fact_id)
    if report.total() > before or fact_id is None or topic is None or source_id is None or quote is None:
        return None
    return Fact(
        id=fact_id,
        topic=topic,
        source=source_id,
        quote=quote,
        questions=MappingProxyType(questions),
        answer=MappingProxyType(answers),
        keywords=tuple(found["keywords"]),
        mentions=tuple(found["mentions"]),
        file=report.file,
        line=node.line,
    )


def _questions(
    node: LineDict, listed: dict[str, list[str]], report: Report, fact_id: str | None
) -> dict[str, tuple[str, ...]]:
    """Each language's questions, blank ones dropped; too few, or none left, is a problem."""
    raw = node.get("questions")
    questions: dict[str, tuple[str, ...]] = {}
    for lang, texts in listed.items():
        where = line_of(raw, lang) or line_of(node, "questions")
        kept = tuple(q for q in map(str.strip, texts) if q)
        if not kept:
            report.add(where, f"questions.{lang} must be a non-empty list of text", fact_id)
            continue
        questions[lang] = kept
        if len(set(map(str.casefold, kept))) < len(kept):  # rare: the lines are looked for only then
            _report_repeats(raw.get(lang) if isinstance(raw, LineDict) else None, kept, where, report, lang, fact_id)
        if len(kept) < shapes.MIN_QUESTIONS:
            report.add(
                where,
                f"questions.{lang} lists {len(kept)} question(s): write at least {shapes.MIN_QUESTIONS}, "
                "worded differently",
                fact_id,
            )
    return questions


def _report_repeats(
    node: object, kept: tuple[str, ...], where: int | None, report: Report, lang: str, fact_id: str | None
) -> None:
    """A question a fact lists twice in one language (case aside) is a slip: it weighs twice, says nothing new."""
    lines = node.item_lines if isinstance(node, LineList) and len(node.item_lines) == len(node) else None
    texts = [q.strip() if isinstance(q, str) else "" for q in node] if isinstance(node, LineList) else list(kept)
    first: dict[str, int] = {}
    for n, text in enumerate(texts):
        if not text:  # a blank (dropped) question: only its place counts, for the lines
            continue
        key = text.casefold()
        if key in first:
            line = lines[n] if lines else where
            earlier = lines[first[key]] if lines else None
            at = f" (first at line {earlier})" if earlier else ""
            report.add(line, f"question {shown(text)} ({lang}) is listed twice in this fact{at}: remove one", fact_id)
        else:
            first[key] = n
