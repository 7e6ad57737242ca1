"""Engine results as Discord embeds, within Discord's limits; text echoed from people is escaped."""

from __future__ import annotations

import re

import discord

from cogs import limits
from cogs.strings import text
from engine import Fact, KnowledgeBase, Reply, message, source_line

CONFIDENT = 80
GREEN = discord.Colour.green()
GOLD = discord.Colour.gold()
BLURPLE = discord.Colour.blurple()


#: Longest text escaped: no message or embed shows more, and cutting first bounds the work.
MAX_ESCAPED = limits.EMBED_TOTAL
#: What formats text wherever it stands (bold, italics, underline, strikethrough, spoilers, code, the opening
#: bracket of every masked link) and the backslash itself.
_INLINE = re.compile(r"[\\*_~|`\[]")
#: What formats a line from its start: quotes, headings, subtext, list items (leading blanks of that line only).
_LINE_START = re.compile(r"^([ \t]*)([>#-])", re.MULTILINE)


def escape_markdown(value: str) -> str:
    """Every Markdown character escaped, in one linear pass.

    discord.utils.escape_markdown looks ahead for a closing mark and matches masked links greedily:
    quadratic on long text (322 KB took seconds to minutes), and only the first of two links on a line was escaped.
    Escaping each mark unconditionally costs nothing visible (a lone `\\*` shows as `*`).
    """
    return _LINE_START.sub(r"\1\\\2", _INLINE.sub(r"\\\g<0>", value))


def escape(value: str) -> str:
    """Markdown and mentions made inert, for text that came from a person or a file (cut to MAX_ESCAPED first)."""
    if len(value) > MAX_ESCAPED:
        value = value[: MAX_ESCAPED - len(limits.ELLIPSIS)] + limits.ELLIPSIS
    return discord.utils.escape_mentions(escape_markdown(value))


def fit(embed: discord.Embed) -> discord.Embed:
    """Shorten the description, then the longest fields, until the embed is within 6000 characters."""
    excess = len(embed) - limits.EMBED_TOTAL
    if excess > 0 and embed.description and len(embed.description) > 200:
        embed.description = limits.clip(embed.description, max(len(embed.description) - excess, 200))
    while (excess := len(embed) - limits.EMBED_TOTAL) > 0 and embed.fields:
        index, field = max(enumerate(embed.fields), key=lambda item: len(item[1].value or ""))
        value = field.value or ""
        embed.set_field_at(
            index, name=field.name, value=limits.clip(value, max(len(value) - excess, 20)), inline=field.inline
        )
        if len(value) <= 20:
            break
    return embed


def answer_embed(reply: Reply) -> discord.Embed:
    """An answer: the matched question, the answer, its source, the verbatim quote and the confidence."""
    assert reply.fact is not None
    lang = reply.lang
    title = reply.fact.questions.get(lang, (reply.question,))[0]
    embed = discord.Embed(
        title=limits.clip(escape(title), limits.EMBED_TITLE),
        description=limits.clip(escape(reply.text), limits.EMBED_DESCRIPTION),
        colour=GREEN if reply.score >= CONFIDENT else GOLD,
    )
    if reply.source is not None:
        embed.add_field(
            name=message(lang, "source"),
            value=limits.clip(escape(source_line(reply)), limits.FIELD_VALUE),
            inline=False,
        )
    embed.add_field(
        name=message(lang, "quote"),
        value=limits.quote_block(f"« {escape(reply.fact.quote)} »"),
        inline=False,
    )
    embed.add_field(name=message(lang, "confidence"), value=f"{reply.score}%", inline=True)
    return fit(_with_understood(embed, reply))


def _with_understood(embed: discord.Embed, reply: Reply) -> discord.Embed:
    """A follow-up's reading of the question ("Read as « qui preside renault »"), so a wrong guess shows."""
    if reply.understood:
        label = f"{message(reply.lang, 'understood')} « {reply.understood} »"
        embed.set_author(name=limits.clip(label, limits.EMBED_AUTHOR))
    return embed


def unsure_embed(reply: Reply) -> discord.Embed:
    """ "Did you mean": the best guesses, numbered like the buttons under it."""
    lines = [reply.text, ""]
    lines += [f"**{i}.** {escape(s.question)}" for i, s in enumerate(reply.suggestions, 1)]
    embed = discord.Embed(description=limits.clip("\n".join(lines), limits.EMBED_DESCRIPTION), colour=GOLD)
    return _with_understood(embed, reply)


def topics_embed(kb: KnowledgeBase, lang: str, examples: int = 3) -> discord.Embed:
    """What the bot knows: each topic with a few example questions."""
    embed = discord.Embed(title=text(lang, "topics_title"), description=text(lang, "topics_intro"), colour=BLURPLE)
    for topic in kb.topics[:25]:
        facts = [f for f in kb.facts if f.topic == topic.id]
        if not facts:
            continue
        value = "\n".join(f"• {escape(f.questions[lang][0])}" for f in facts[:examples])
        embed.add_field(
            name=limits.clip(topic.labels.get(lang, topic.id), limits.FIELD_NAME),
            value=limits.clip(value, limits.FIELD_VALUE),
            inline=False,
        )
    sources = "; ".join(f"{s.title} ({s.date})" for s in kb.sources.values())
    embed.set_footer(text=limits.clip(text(lang, "topics_footer", source=sources), limits.FOOTER))
    return fit(embed)


def fact_embed(fact: Fact, kb: KnowledgeBase, lang: str) -> discord.Embed:
    """Everything about one fact, for moderators (`/facts show`)."""
    embed = discord.Embed(title=limits.clip(fact.id, limits.EMBED_TITLE), colour=BLURPLE)
    topic = limits.clip(escape(kb.topic_label(fact.topic, lang)), limits.FIELD_VALUE)
    embed.add_field(name=text(lang, "topic"), value=topic, inline=True)
    source = kb.sources.get(fact.source)
    embed.add_field(
        name=message(lang, "source"),
        value=limits.clip(escape(f"{source.title} ({source.date})" if source else fact.source), limits.FIELD_VALUE),
        inline=True,
    )
    embed.add_field(name=message(lang, "quote"), value=limits.quote_block(escape(fact.quote)), inline=False)
    for other in sorted(fact.answer, key=lambda code: code != lang):
        embed.add_field(
            name=text(lang, "answer", code=other),
            value=limits.clip(escape(fact.answer[other]), limits.FIELD_VALUE),
            inline=False,
        )
        questions = "\n".join(f"• {escape(q)}" for q in fact.questions.get(other, ()))
        embed.add_field(
            name=text(lang, "questions", code=other), value=limits.clip(questions, limits.FIELD_VALUE), inline=False
        )
    if fact.keywords:
        embed.add_field(
            name=text(lang, "keywords"),
            value=limits.clip(escape(", ".join(fact.keywords)), limits.FIELD_VALUE),
            inline=False,
        )
    embed.set_footer(text=f"{text(lang, 'defined_in')} knowledge/{fact.file}:{fact.line}")
    return fit(embed)
