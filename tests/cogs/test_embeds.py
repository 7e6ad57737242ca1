"""Replies as embeds: the answer with source, verbatim quote and confidence, always within Discord's limits."""

from __future__ import annotations

import dataclasses
import re
import time

from cogs.embeds import MAX_ESCAPED, answer_embed, escape, escape_markdown, fact_embed, topics_embed, unsure_embed
from cogs.reports import unanswered_lines
from engine.answering import Reply, Suggestion
from engine.journal.reports import UnansweredGroup


def within_limits(embed) -> None:
    assert len(embed) <= 6000
    assert len(embed.title or "") <= 256
    assert len(embed.description or "") <= 4096
    assert len(embed.fields) <= 25
    assert all(len(f.name) <= 256 and len(f.value) <= 1024 for f in embed.fields)


def test_answer_embed(engine):
    reply = engine.ask("Who runs Nissan?")
    embed = answer_embed(reply)
    assert embed.title == reply.fact.questions["en"][0]
    assert embed.description == reply.fact.answer["en"]
    source, quote, confidence = embed.fields
    assert (source.name, quote.name, confidence.name) == ("Source", "Quote", "Confidence")
    assert reply.source.title in source.value and reply.source.date in source.value
    assert quote.value == f"> « {reply.fact.quote} »"
    assert confidence.value == f"{reply.score}%"
    within_limits(embed)


def test_long_everything_is_cut_cleanly(engine):
    reply = engine.ask("Qui dirige Nissan ?")
    fact = dataclasses.replace(
        reply.fact,
        quote="citation " * 400,
        questions={"fr": ("question " * 100,), "en": ("q",)},
    )
    source = dataclasses.replace(reply.source, title="titre " * 400)
    long = dataclasses.replace(reply, text="réponse " * 1000, fact=fact, source=source)
    embed = answer_embed(long)
    within_limits(embed)
    assert embed.description.endswith("…") and embed.title.endswith("…")


def test_text_from_people_cannot_ping_or_format():
    assert "@\u200beveryone" in escape("@everyone look")
    assert escape("**gras** <@123456789012345678>") == "\\*\\*gras\\*\\* <@\u200b123456789012345678>"


#: A "[" not preceded by a backslash: the start of a masked link Discord would render.
OPEN_LINK = re.compile(r"(?<!\\)\[")
PHISH = "[docs](https://evil.example/a) [Verify your account here](https://evil.example/phish)"


def test_every_masked_link_is_escaped_not_only_the_first():
    for text in (PHISH, f"{PHISH}\n{PHISH} [a](b)[c](d)", "[[nested](x)](y)", "\\[already](x)"):
        assert not OPEN_LINK.search(escape(text)), escape(text)
    # Into the unanswered report, as members' questions reach it.
    group = UnansweredGroup(text=PHISH, count=2, examples=(PHISH, f"« {PHISH} »"), last_at=0.0)
    (_, line) = unanswered_lines("en", [group], days=30)
    assert line.count("\\[") == 4 and not OPEN_LINK.search(line)


def test_line_start_marks_and_backslashes_are_escaped():
    assert (
        escape("> quote\n  - item\n# title\n-# small") == "\\> quote\n  \\- item\n\\# title\n\\-# small"
    )  # subtext ("-#") starts with "-"
    assert escape("a\\*b*") == "a\\\\\\*b\\*"  # the backslash cannot be used to unescape a mark


def test_escaping_is_linear_and_bounded_on_hostile_text():
    """322 KB of what made discord.utils.escape_markdown backtrack (it took minutes): escaped at once."""
    hostile = ("[a](b" * 20_000 + "*a" * 20_000 + "[x](y) *" * 10_000)[:322_000]
    started = time.monotonic()
    escaped = escape_markdown(hostile)
    assert time.monotonic() - started < 5  # a generous bound for "does not hang": it takes milliseconds
    assert len(escaped) == len(hostile) + hostile.count("[") + hostile.count("*")
    assert len(escape(hostile)) <= 2 * MAX_ESCAPED  # what is shown is cut before it is escaped


def test_unsure_embed_numbers_the_guesses():
    guesses = (Suggestion("a", "Qui ?", 40), Suggestion("b", "Où ?", 35))
    reply = Reply("q", "unsure", "fr", "Vouliez-vous dire :", suggestions=guesses)
    embed = unsure_embed(reply)
    assert embed.description == "Vouliez-vous dire :\n\n**1.** Qui ?\n**2.** Où ?"


def test_topics_and_fact_embeds_within_limits(snapshot):
    kb = snapshot.kb
    for lang in ("fr", "en"):
        within_limits(topics_embed(kb, lang))
        for fact in kb.facts:
            within_limits(fact_embed(fact, kb, lang))


def test_a_huge_fact_is_still_shown_within_limits(snapshot):
    kb = snapshot.kb
    fact = dataclasses.replace(
        kb.facts[0],
        answer={"fr": "a " * 3000, "en": "b " * 3000},
        questions={"fr": tuple(f"question {i}" for i in range(300)), "en": tuple(f"q {i}" for i in range(300))},
        keywords=tuple(f"k{i}" for i in range(500)),
    )
    within_limits(fact_embed(fact, kb, "fr"))
