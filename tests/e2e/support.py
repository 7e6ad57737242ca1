"""Helpers for the end-to-end tests of the real bot: the people in the fake guild, the bot's settings, waits on
what the bot sent, and the checks every reply must pass (nobody pinged)."""

from __future__ import annotations

import sqlite3
from collections import Counter
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from engine.journal.store import Journal
from engine.settings import Settings

from .fakediscord import FakeDiscord, InteractionRecord, SentMessage
from .fakediscord.payloads import FLAG_EPHEMERAL, FLAG_LOADING

ROOT = Path(__file__).resolve().parents[2]

MESSAGES = "/channels/{channel_id}/messages"
CALLBACK = "/interactions/{interaction_id}/{token}/callback"
#: What `discord.AllowedMentions.none()` puts on the wire.
NO_PINGS = {"parse": []}

# Questions whose reply the real knowledge decides (an unsure one is picked at run time: see `pick`).
ANSWERED_FR = "Qui dirige Nissan ?"  # leader-uchida
ANSWERED_EN = "Who runs Nissan?"  # leader-uchida, in English
UNKNOWN_EN = "Who is the CEO of Volkswagen?"  # not in the article


@dataclass(frozen=True)
class Cast:
    """The people of the fake guild, as payload dicts."""

    member: dict[str, Any]  # alice: no permission, no role
    moderator: dict[str, Any]  # holds a role with Manage Server
    helper: dict[str, Any]  # holds `helper_role`, listed in MODERATOR_ROLE_IDS, without any permission
    helper_role: dict[str, Any]
    other_bot: dict[str, Any]
    owner: dict[str, Any]  # the guild's and the application's owner


def add_cast(fake: FakeDiscord) -> Cast:
    """Add a role-based moderator and another bot to the fake's default world (before the bot connects)."""
    helper_role = fake.world.add_role(fake.guild, "FAQ helpers", permissions=0, mentionable=True)
    helper = fake.add_user("helper", roles=[helper_role])
    other_bot = fake.add_user("otherbot", bot=True)
    return Cast(fake.user, fake.moderator, helper, helper_role, other_bot, fake.owner)


def bot_settings(fake: FakeDiscord, cast: Cast, knowledge: Path, journal: Path, **changes: Any) -> Settings:
    """The bot's settings for the fake guild: commands synced to it at start, #questions an answer channel."""
    values: dict[str, Any] = {
        "token": fake.token,
        "knowledge_dir": knowledge,
        "journal_path": str(journal),
        "dev_guild": fake.guild.id,
        "answer_channels": frozenset({int(fake.questions_channel["id"])}),
        "moderator_roles": frozenset({int(cast.helper_role["id"])}),
        "admin_guilds": frozenset({fake.guild.id}),  # its moderators may reload and sync
        "message_content": True,
        "cooldown_questions": 3,
        "cooldown_seconds": 30,
    }
    return Settings(**(values | changes))


# --- what crossed the wire -----------------------------------------------------------------------------------------


def assert_pings_nobody(message: SentMessage) -> None:
    """The message carried allowed_mentions that notify nobody: no user, role, @everyone or replied-to author."""
    assert message.allowed_mentions is not None, f"no allowed_mentions on {message.body}"
    assert message.allowed_mentions.get("parse") == [], message.allowed_mentions
    assert not message.allowed_mentions.get("users") and not message.allowed_mentions.get("roles")
    assert not message.allowed_mentions.get("replied_user")
    assert not message.pings, message.pings


async def reply_to(fake: FakeDiscord, pushed: Mapping[str, Any], timeout: float = 5.0) -> SentMessage:  # noqa: ASYNC109
    """The bot's reply to a pushed message."""
    return await fake.wait_for_message(lambda m: m.reply_to == int(pushed["id"]), timeout)


async def ask(fake: FakeDiscord, question: str, **push: Any) -> SentMessage:
    """Push a message (a mention unless `dm` or `channel` say otherwise) and wait for the reply to it."""
    if not push.get("dm") and "channel" not in push:
        push.setdefault("mention_bot", True)
    pushed = await fake.push_message(question, **push)
    return await reply_to(fake, pushed)


async def typed(fake: FakeDiscord, command: str, **push: Any) -> SentMessage:
    """Type a prefix command (or "@bot command" with ``mention_bot``) and wait for the bot's next message there."""
    mark = fake.mark()
    pushed = await fake.push_message(command, **push)
    return await fake.wait_for_message(channel_id=int(pushed["channel_id"]), since=mark)


def responses(fake: FakeDiscord, interaction: InteractionRecord) -> list[SentMessage]:
    """Every message created for an interaction (its response and follow-ups), oldest first."""
    return [m for m in fake.sent_messages if m.interaction_id == interaction.id]


async def answered(
    fake: FakeDiscord,
    interaction: InteractionRecord,
    count: int = 1,
    timeout: float = 5.0,  # noqa: ASYNC109
) -> list[SentMessage]:
    """Wait until the interaction has `count` complete messages (a deferred response counts once filled in)."""

    def done() -> list[SentMessage] | None:
        found = [m for m in responses(fake, interaction) if not m.flags & FLAG_LOADING]
        return found if len(found) >= count else None

    return await fake.wait_until(done, timeout=timeout, what=f"{count} message(s) answering {interaction.id}")


async def slash(fake: FakeDiscord, name: str, options: Mapping[str, Any] | None = None, **push: Any) -> SentMessage:
    """Run a slash command and return its one complete answer."""
    interaction = await fake.push_slash_command(name, options, **push)
    (message,) = await answered(fake, interaction)
    return message


def text_of(message: SentMessage) -> str:
    """Content and every embed's visible text, for assertions that do not care where a sentence sits."""
    parts = [message.content]
    for embed in message.embeds:
        parts += [embed.get("title") or "", embed.get("description") or ""]
        for field in embed.get("fields") or []:
            parts += [field["name"], field["value"]]
        parts.append((embed.get("footer") or {}).get("text") or "")
    return "\n".join(p for p in parts if p)


def is_ephemeral(message: SentMessage) -> bool:
    return bool(message.flags & FLAG_EPHEMERAL)


def buttons(message: SentMessage) -> list[dict[str, Any]]:
    return [c for row in message.components for c in row.get("components") or [] if c.get("type") == 2]


def button(message: SentMessage, *, emoji: str | None = None, label: str | None = None) -> str:
    """The custom_id of the button with this emoji or label prefix."""
    for comp in buttons(message):
        if (emoji is not None and (comp.get("emoji") or {}).get("name") == emoji) or (
            label is not None and (comp.get("label") or "").startswith(label)
        ):
            return comp["custom_id"]
    raise LookupError(f"no button {emoji or label!r} in {buttons(message)}")


def field(message: SentMessage, name: str) -> str:
    (embed,) = message.embeds
    return next(f["value"] for f in embed.get("fields") or [] if f["name"] == name)


# --- knowledge and journal ------------------------------------------------------------------------------------------


def edit_facts(root: Path, change: Callable[[dict[str, Any]], None]) -> None:
    """Apply `change` to every fact of every sheet in a knowledge copy (a YAML round trip)."""
    for path in sorted((root / "facts").glob("*.yaml")):
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        for fact in data["facts"]:
            change(fact)
        path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")


def edit_fact(root: Path, fact_id: str, **fields: Any) -> None:
    """Change fields of one fact in a knowledge copy."""
    found = []

    def change(fact: dict[str, Any]) -> None:
        if fact["id"] == fact_id:
            fact.update(fields)
            found.append(fact_id)

    edit_facts(root, change)
    assert found, f"no fact {fact_id}"


def watch_journal(fake: FakeDiscord, journal: Journal) -> None:
    """Count the journal's completed calls by method name (``journal.finished``) and wake the fake's waiters after
    each, so a test can wait for a write instead of sleeping."""
    run = journal.run
    finished: Counter[str] = Counter()

    async def counted(method: Callable[..., Any], /, *args: Any, **kwargs: Any) -> Any:
        try:
            return await run(method, *args, **kwargs)
        finally:
            finished[method.__name__] += 1
            fake.notify()

    journal.run = counted  # type: ignore[method-assign]
    journal.finished = finished  # type: ignore[attr-defined]


async def journaled(fake: FakeDiscord, journal: Journal, count: int, method: str = "record_question") -> None:
    """Wait until `count` calls of the journal's `method` have completed (whether they succeeded or not)."""
    await fake.wait_until(
        lambda: journal.finished[method] >= count,  # type: ignore[attr-defined]
        what=f"{count} journal {method} call(s)",
    )


def journal_rows(path: Path | str, sql: str = "SELECT ref, kind, fact_id, via FROM questions ORDER BY id") -> list[Any]:
    """Rows of the journal, read by a connection of the test's own."""
    conn = sqlite3.connect(path)
    try:
        return conn.execute(sql).fetchall()
    finally:
        conn.close()


#: Questions likely to get "did you mean" buttons; `pick` keeps the first the engine really is unsure about.
UNSURE_CANDIDATES = (
    "tell me about the secretary",
    "is the alliance getting a secretary general?",
    "who was the world's number one carmaker in 2019?",
    "so what did they agree on at the board",
    "is delbos permanent ceo or just interim?",
    "date de la reunion renault nissan mitsubishi",
)


def pick(engine: Any, kind: str, candidates: tuple[str, ...] = UNSURE_CANDIDATES, suggestions: int = 2) -> str:
    """The first candidate the engine answers with `kind` (and at least `suggestions` guesses when unsure), so the
    tests do not break when the lexicon is tuned."""
    for question in candidates:
        reply = engine.ask(question)
        if reply.kind == kind and (kind != "unsure" or len(reply.suggestions) >= suggestions):
            return question
    raise AssertionError(f"none of {candidates} gets a {kind!r} reply any more: update the candidates")
