"""Hostile input through the real bot: moderator commands refused for everyone else (guild and DMs, slash and
prefix), echoed text that never pings nor breaks formatting, fact text with mention syntax, hostile fact sheets
reloaded, and the token kept out of every log line and error message.
"""

from __future__ import annotations

import dataclasses
import logging
from pathlib import Path

import discord
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cogs import bot as bot_module
from cogs import embeds, limits, reports, strings
from engine.answering import Reply
from engine.journal.store import UnansweredGroup
from engine.knowledge import yamlfile

from .botprocess import bot_process
from .fakediscord import FakeDiscord
from .fakediscord.limits import check_message, pings
from .support import (
    ANSWERED_EN,
    ANSWERED_FR,
    NO_PINGS,
    add_cast,
    answered,
    ask,
    assert_pings_nobody,
    bot_settings,
    edit_fact,
    is_ephemeral,
    journaled,
    responses,
    slash,
    text_of,
    typed,
)

NOT_MODERATOR = "This command is for moderators only (Manage Server permission or a moderator role)."
NO_DM_FR = "Cette commande ne fonctionne que sur un serveur, pas en message privé."
NO_DM_EN = "This command only works in a server, not in direct messages."
SLASH_MODERATOR_COMMANDS = [
    ("facts reload", {}),
    ("facts check", {}),
    ("facts list", {}),
    ("facts list", {"topic": "leaders"}),
    ("facts show", {"fact_id": "leader-uchida"}),
    ("facts stats", {}),
    ("facts unanswered", {}),
]
PREFIX_MODERATOR_COMMANDS = [
    "!facts",
    "!facts reload",
    "!facts check",
    "!facts list",
    "!facts show leader-uchida",
    "!facts stats",
    "!facts unanswered",
    "!sync",
    "!sync here",
]
COMMANDS_PUT = "/applications/{app}/commands"
GUILD_COMMANDS_PUT = "/applications/{app}/guilds/{guild}/commands"
CHANGED = "Answer changed by a reload that must not happen."


# --- moderator commands, refused ------------------------------------------------------------------------------------


async def test_slash_moderator_commands_are_refused_for_members(
    fake_discord: FakeDiscord, launch, cast, knowledge_copy
) -> None:
    edit_fact(knowledge_copy, "leader-uchida", answer={"fr": CHANGED, "en": CHANGED})  # what a reload would swap in
    async with launch() as bot:
        serving = bot.engine.snapshot
        for name, options in SLASH_MODERATOR_COMMANDS:
            interaction = await fake_discord.push_slash_command(name, options, user=cast.member)
            (refusal,) = await answered(fake_discord, interaction)
            assert interaction.response_type == 4, name  # refused before any deferral or work
            assert refusal.content == NOT_MODERATOR and is_ephemeral(refusal), name
            assert responses(fake_discord, interaction) == [refusal], name
        answer = await ask(fake_discord, ANSWERED_EN)
        assert bot.engine.snapshot is serving
    assert CHANGED not in text_of(answer)


async def test_prefix_moderator_commands_are_refused_for_members(
    fake_discord: FakeDiscord, launch, cast, knowledge_copy
) -> None:
    edit_fact(knowledge_copy, "leader-uchida", answer={"fr": CHANGED, "en": CHANGED})
    async with launch() as bot:
        serving = bot.engine.snapshot
        mark = fake_discord.mark()
        for command in PREFIX_MODERATOR_COMMANDS:
            refusal = await typed(fake_discord, command, author=cast.member)
            assert refusal.content == NOT_MODERATOR, command
        mentioned = await typed(fake_discord, "facts reload", author=cast.member, mention_bot=True)
        assert mentioned.content == NOT_MODERATOR
        other_bot = await fake_discord.push_message("!facts reload", author=cast.other_bot)
        answer = await ask(fake_discord, ANSWERED_EN)
        assert bot.engine.snapshot is serving

    assert CHANGED not in text_of(answer)
    assert not fake_discord.requests_to("PUT", COMMANDS_PUT, since=mark)
    assert not fake_discord.requests_to("PUT", GUILD_COMMANDS_PUT, since=mark)
    assert int(other_bot["id"]) not in {m.reply_to for m in fake_discord.sent_messages}
    assert len(fake_discord.sent_messages) == len(PREFIX_MODERATOR_COMMANDS) + 2  # one refusal each, one answer


async def test_moderator_commands_are_refused_in_direct_messages_even_to_moderators(
    fake_discord: FakeDiscord, launch, cast, knowledge_copy
) -> None:
    edit_fact(knowledge_copy, "leader-uchida", answer={"fr": CHANGED, "en": CHANGED})
    async with launch() as bot:
        serving = bot.engine.snapshot
        await typed(fake_discord, "!sync", author=cast.owner, dm=True)  # global commands, so DMs have them
        with pytest.raises(ValueError, match="not available in DMs"):  # Discord does not offer /facts in DMs...
            await fake_discord.push_slash_command("facts reload", user=cast.moderator, dm=True)
        # ...and if a stale registration still did, the bot's own check refuses it.
        facts = fake_discord.command("facts")
        facts["contexts"], facts["dm_permission"] = None, True
        mark = fake_discord.mark()
        for name, options in SLASH_MODERATOR_COMMANDS:
            interaction = await fake_discord.push_slash_command(name, options, user=cast.moderator, dm=True)
            (refusal,) = await answered(fake_discord, interaction)
            assert refusal.content == NO_DM_EN and is_ephemeral(refusal), name
        for user in (cast.member, cast.moderator, cast.helper):
            for command in PREFIX_MODERATOR_COMMANDS:
                refusal = await typed(fake_discord, command, author=user, dm=True)
                assert refusal.content == NO_DM_FR, (user["username"], command)
        answer = await ask(fake_discord, ANSWERED_EN, dm=True)
        assert bot.engine.snapshot is serving

    assert CHANGED not in text_of(answer)
    assert not fake_discord.requests_to("PUT", COMMANDS_PUT, since=mark)


# --- echoed text and fact text never ping nor break formatting ------------------------------------------------------


async def test_hostile_questions_never_ping_and_are_echoed_inert(fake_discord: FakeDiscord, launch, cast) -> None:
    role, alice = cast.helper_role["id"], cast.member["id"]
    hostile = f"@everyone @here <@&{role}> <@{alice}> **who** is __the__ ~~ceo~~ of `volkswagen` ||now||"
    block = "```py\nimport os\n```\n# heading\n> quote who is the ceo of volkswagen"
    async with launch() as bot:
        replies = [
            await ask(fake_discord, hostile),
            await ask(fake_discord, block),  # in the server: a direct message is not in its report
            await slash(fake_discord, "ask", {"question": hostile}, user=cast.helper),
        ]
        await journaled(fake_discord, bot.journal, 3)
        report = await slash(fake_discord, "facts unanswered", user=cast.moderator)
        unknown_id = await slash(fake_discord, "facts show", {"fact_id": f"@everyone <@&{role}> `x`"}, user=cast.helper)

    for reply in replies:
        assert reply.allowed_mentions.get("parse") == [] and not reply.pings
        assert hostile not in text_of(reply) and "@everyone" not in text_of(reply)
    assert report.allowed_mentions == NO_PINGS and not report.pings
    content = report.content
    # The members' words are shown, inert: mentions were stripped before the engine (on both paths, so
    # none reached the journal), Markdown is escaped.
    assert "@everyone" not in content and "@here" not in content and f"<@&{role}>" not in content
    assert "everyone" not in content and f"{role}" not in content
    assert r"\*\*who\*\*" in content and r"\_\_the\_\_" in content and r"\|\|now\|\|" in content
    assert "```" not in content and r"\`\`\`py" in content
    assert not pings(content, None)  # even without allowed_mentions, this content would notify nobody
    # An unknown fact id is echoed in a code span it cannot leave; allowed_mentions keep it from pinging.
    assert unknown_id.content == f"No fact `@everyone <@&{role}> 'x'`." and unknown_id.allowed_mentions == NO_PINGS
    assert not unknown_id.pings


async def test_fact_text_with_mention_syntax_is_shown_not_pinging(
    fake_discord: FakeDiscord, launch, cast, knowledge_copy
) -> None:
    role, alice = cast.helper_role["id"], cast.member["id"]
    nasty = f"@everyone <@&{role}> <@{alice}> **Makoto Uchida** dirige Nissan ||spoiler|| `code`"
    edit_fact(knowledge_copy, "leader-uchida", answer={"fr": nasty, "en": nasty + " (en)"})  # translated: a rule
    async with launch(load=True):  # the bot loads the edited copy itself
        reply = await ask(fake_discord, ANSWERED_FR)
        shown = await typed(fake_discord, "!facts show leader-uchida", author=cast.moderator)

    description = reply.embeds[0]["description"]
    assert description.startswith("@\u200beveryone <@\u200b&") and f"<@\u200b{alice}>" in description
    assert r"\*\*Makoto Uchida\*\*" in description and r"\|\|spoiler\|\|" in description
    assert_pings_nobody(reply)
    assert "@everyone" not in text_of(shown) and "@\u200beveryone" in text_of(shown)
    assert_pings_nobody(shown)


# Property-based, without the network: wherever the bot echoes a person's or a sheet's text (a moderator report,
# an unknown id, an answer embed), that text alone pings nobody and stays within Discord's limits, whatever it is.

DISCORD_ID = st.integers(min_value=10**16, max_value=2**63 - 1).map(str)
HOSTILE_PIECE = st.one_of(
    st.text(max_size=40),
    st.sampled_from(["@everyone", "@here", "**", "__", "~~", "||", "`", "```", "> ", "# ", "- ", "\n", "\\"]),
    DISCORD_ID.map(lambda i: f"<@{i}>"),
    DISCORD_ID.map(lambda i: f"<@!{i}>"),
    DISCORD_ID.map(lambda i: f"<@&{i}>"),
)
HOSTILE_TEXT = st.lists(HOSTILE_PIECE, min_size=1, max_size=15).map("".join).filter(str.strip)


def real_pings(content: str):
    """Who `content` would notify with no allowed_mentions at all, counting real (17 to 20 digit) ids only."""
    found = pings(content, None)
    return found.everyone or {i for i in found.users | found.roles if i >= 10**16}


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(text=HOSTILE_TEXT)
def test_echoed_text_never_pings_by_itself_and_fits_discord(snapshot, text: str) -> None:
    report = reports.unanswered_lines("en", [UnansweredGroup(text, 2, (text, text + "?"), 0.0)], 30)
    for message in limits.chunks(report):
        check_message({"content": message})
        assert not real_pings(message), message
    # An unknown fact id is shown in a code span it cannot break out of (its allowed_mentions keep it from pinging).
    unknown = strings.text("en", "unknown_fact", fact_id=limits.clip(text, 100).replace("`", "'"), close="")
    assert unknown.count("`") == 2

    fact = snapshot.kb.fact("leader-uchida")
    hostile = dataclasses.replace(fact, answer={"fr": text, "en": text}, questions={"fr": (text,), "en": (text,)})
    reply = Reply(text, "answer", "en", text, 90, hostile, snapshot.kb.sources[fact.source])
    embed = embeds.answer_embed(reply).to_dict()
    check_message({"embeds": [embed]})
    for visible in (embed.get("title", ""), embed.get("description", "")):
        assert not real_pings(visible), visible


# --- hostile fact sheets, reloaded ----------------------------------------------------------------------------------


def python_tag(root: Path, tmp: Path) -> str:
    (root / "facts" / "sales.yaml").write_text("facts: !!python/object/apply:os.system ['touch pwned']\n")
    return "`knowledge/facts/sales.yaml:1`: YAML error"


def huge(root: Path, tmp: Path) -> str:
    (root / "facts" / "huge.yaml").write_bytes(b"#" * (yamlfile.MAX_FILE_BYTES + 1))
    return f"`knowledge/facts/huge.yaml`: file is {yamlfile.MAX_FILE_BYTES + 1:,} bytes, more than the"


def deep(root: Path, tmp: Path) -> str:
    (root / "facts" / "deep.yaml").write_text("facts: " + "[" * 500 + "]" * 500 + "\n")
    return "`knowledge/facts/deep.yaml:1`: nested more than 20 levels deep"


def linked_outside(root: Path, tmp: Path) -> str:
    secret = tmp / "secret.yaml"
    secret.write_text("facts: []\n# SECRET-OUTSIDE-KNOWLEDGE\n")
    (root / "facts" / "link.yaml").symlink_to(secret)
    return "`knowledge/facts/link.yaml`: links outside knowledge/; not read"


def source_outside(root: Path, tmp: Path) -> str:
    (tmp / "secret.txt").write_text("SECRET-OUTSIDE-KNOWLEDGE")
    sources = root / "sources.yaml"
    sources.write_text(sources.read_text().replace("file: sources/alliance-2019-12.fr.txt", "file: ../secret.txt"))
    return "file '../secret.txt' is outside knowledge/"


def nothing_ran(tmp: Path) -> bool:
    """The `!!python/object/apply:os.system` tag was not executed (it would have created `pwned`)."""
    return not (tmp / "pwned").exists() and not Path("pwned").exists()


@pytest.mark.parametrize("breaks", [python_tag, huge, deep, linked_outside, source_outside])
async def test_reload_of_a_hostile_sheet_answers_the_error_and_keeps_serving(
    fake_discord: FakeDiscord, launch, cast, knowledge_copy, tmp_path, breaks
) -> None:
    async with launch() as bot:
        serving = bot.engine.snapshot
        before = await ask(fake_discord, ANSWERED_EN)
        expected = breaks(knowledge_copy, tmp_path)
        report = await slash(fake_discord, "facts reload", user=cast.moderator)
        after = await ask(fake_discord, ANSWERED_EN, author=cast.helper)
        assert bot.engine.snapshot is serving

    assert report.content.startswith("❌ Reload refused: ") and is_ephemeral(report)
    assert expected in report.content
    assert after.embeds == before.embeds
    assert nothing_ran(tmp_path)
    assert all("SECRET-OUTSIDE-KNOWLEDGE" not in text_of(m) for m in fake_discord.sent_messages)


# --- the token stays secret -----------------------------------------------------------------------------------------

SECRET = "FAKE.TOKEN.SECRET-123"


def everything_logged(caplog: pytest.LogCaptureFixture) -> str:
    formatter = logging.Formatter("%(name)s %(levelname)s %(message)s")
    return "\n".join(formatter.format(record) for record in caplog.records)


@pytest.fixture
async def secret_fake(tmp_path) -> FakeDiscord:
    """A fake Discord whose bot token is the recognisable SECRET."""
    fake = FakeDiscord(token=SECRET)
    async with fake.serve():
        yield fake


async def test_token_never_logged_during_a_whole_session(
    secret_fake: FakeDiscord, caplog, capsys, knowledge_copy, journal_path
) -> None:
    fake = secret_fake
    cast = add_cast(fake)
    for name in ("", "discord", "alliance"):
        caplog.set_level(logging.DEBUG, logger=name)
    settings = bot_settings(fake, cast, knowledge_copy, journal_path)
    async with fake.running(bot_module.make_bot(settings)):
        await ask(fake, ANSWERED_EN)
        await slash(fake, "facts list", {"topic": "leaders"}, user=cast.moderator)
        mark = fake.mark()
        await fake.reconnect()  # RESUME carries the token
        await fake.wait_connected(since=mark)
        mark = fake.mark()
        await fake.invalidate_session()  # and so does a new IDENTIFY
        await fake.wait_connected(since=mark)
        await ask(fake, ANSWERED_FR)

    sent = [f.d.get("token") for f in fake.gateway.received if f.op in (2, 6)]
    assert sent.count(SECRET) >= 3  # IDENTIFY, RESUME, IDENTIFY: the token was really used
    logged = everything_logged(caplog)
    assert "has sent the RESUME payload" in logged and "has sent the IDENTIFY payload" in logged  # DEBUG was on
    assert SECRET not in logged
    captured = capsys.readouterr()
    assert SECRET not in captured.out + captured.err


@pytest.mark.parametrize("failure", ["invalid-token", "privileged-intent"])
async def test_token_never_in_start_up_errors(
    secret_fake: FakeDiscord, caplog, capsys, knowledge_copy, journal_path, failure
) -> None:
    fake = secret_fake
    cast = add_cast(fake)
    for name in ("", "discord", "alliance"):
        caplog.set_level(logging.DEBUG, logger=name)
    if failure == "invalid-token":
        fake.token = "the-token-discord-expects"  # so SECRET is refused with 401 at GET /users/@me
    else:
        fake.allowed_intents = 0  # Message Content not enabled in the portal: close 4014
    settings = bot_settings(fake, cast, knowledge_copy, journal_path, token=SECRET)

    assert await bot_module.serve(settings) == 1

    captured = capsys.readouterr()
    (line,) = captured.err.strip().splitlines()
    if failure == "invalid-token":
        assert line.startswith("error: Discord refused DISCORD_TOKEN (invalid token).")
        assert fake.requests_to("GET", "/users/@me")[0].status == 401
    else:
        assert line.startswith('error: the "Message Content Intent" is not enabled for this bot.')
        (identify,) = fake.gateway.frames(2)
        assert identify.d["intents"] & discord.Intents(message_content=True).value  # refused with close 4014
    assert SECRET not in captured.out + captured.err
    assert SECRET not in everything_logged(caplog)


async def test_token_never_printed_by_python_bot_py_with_an_invalid_token(
    fake_discord: FakeDiscord, knowledge_copy, journal_path
) -> None:
    """`python bot.py` in a process of its own, DEBUG logs on: Discord's 401 becomes one line without the token."""
    env = {
        "DISCORD_TOKEN": SECRET,
        "LOG_LEVEL": "DEBUG",
        "KNOWLEDGE_DIR": str(knowledge_copy),
        "JOURNAL_PATH": str(journal_path),
    }
    async with bot_process(fake_discord, env) as bot:
        code = await bot.exit_code()

    assert code == 1
    assert [line for line in bot.lines if line.startswith("error:")] == [
        "error: Discord refused DISCORD_TOKEN (invalid token). Copy the token again from the Developer Portal "
        "(your application > Bot > Reset Token) into .env."
    ]
    assert "logging in using static token" in bot.stderr and "Traceback" not in bot.stderr
    assert SECRET not in bot.stderr and SECRET not in bot.stdout
    assert [r.status for r in fake_discord.requests_to("GET", "/users/@me")] == [401]
