"""A moderator's report sent back: lines in as few messages as Discord takes, a refused load's problems with the
full list attached when it is longer (ephemeral for slash commands, never pinging)."""

from __future__ import annotations

import io
from typing import Any

import discord
from discord.ext import commands

from cogs import limits
from cogs.problem_report import FILENAME, problem_report
from engine import KnowledgeError

NO_MENTIONS = discord.AllowedMentions.none()


async def send_lines(ctx: commands.Context[Any], lines: list[str]) -> None:
    """Send a report in as many messages as Discord's 2000-character limit needs."""
    for chunk in limits.chunks(lines):
        await ctx.send(chunk, ephemeral=True, allowed_mentions=NO_MENTIONS)


async def send_problems(ctx: commands.Context[Any], lang: str, error: KnowledgeError, *, applied: bool) -> None:
    """A refused load's problems in at most a few messages, the full list attached when it is longer."""
    report = problem_report(lang, error, applied=applied)
    for number, chunk in enumerate(report.messages, 1):
        attach = report.attachment if number == len(report.messages) else None
        if attach:  # discord.py's overloads take a File or none at all, not None
            await send_file(ctx, chunk, FILENAME, attach)
        else:
            await ctx.send(chunk, ephemeral=True, allowed_mentions=NO_MENTIONS)


async def send_file(ctx: commands.Context[Any], content: str, filename: str, data: str) -> None:
    """One message with a text file attached (UTF-8)."""
    file = discord.File(io.BytesIO(data.encode("utf-8")), filename=filename)
    await ctx.send(content, file=file, ephemeral=True, allowed_mentions=NO_MENTIONS)
