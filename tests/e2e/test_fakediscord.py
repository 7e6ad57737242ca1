"""The fake Discord, proved with the real discord.py client: small bots defined here, not the project's bot.

Every wait is on an event or a recorded condition with a timeout; nothing sleeps to synchronise.
"""

from __future__ import annotations

import asyncio
from typing import Any

import aiohttp
import discord
import pytest
from discord import app_commands
from discord.ext import commands

from .fakediscord import FakeDiscord
from .fakediscord import gateway as gw
from .fakediscord.payloads import FLAG_EPHEMERAL, FLAG_LOADING, Snowflakes, shard_for

MESSAGES = "/channels/{channel_id}/messages"
CALLBACK = "/interactions/{interaction_id}/{token}/callback"


class MenuView(discord.ui.View):
    """One button that expands the message it is on."""

    @discord.ui.button(label="More", custom_id="menu:more")
    async def more(self, interaction: discord.Interaction, button: discord.ui.Button[MenuView]) -> None:
        await interaction.response.edit_message(content="more details", view=None)


class Behaviour:
    """What the minimal bots do: echo messages, and a few slash commands covering each kind of response."""

    tree: app_commands.CommandTree[Any]

    def setup_behaviour(self) -> None:
        self.gate = asyncio.Event()  # handlers that must wait for the test wait on this
        self.outcomes: asyncio.Queue[Any] = asyncio.Queue()  # what a handler under test ended with
        self.choice_count = 25

        @self.tree.command(name="ask", description="Ask a question")
        @app_commands.describe(question="What you want to know")
        async def ask(interaction: discord.Interaction, question: str) -> None:
            await interaction.response.send_message(f"answer: {question}", ephemeral=True)

        @ask.autocomplete("question")
        async def ask_autocomplete(interaction: discord.Interaction, current: str) -> list[app_commands.Choice[str]]:
            return [
                app_commands.Choice(name=f"{current} {i}", value=f"{current} {i}") for i in range(self.choice_count)
            ]

        @self.tree.command(name="slow", description="Think, then answer")
        async def slow(interaction: discord.Interaction) -> None:
            await interaction.response.defer(ephemeral=True, thinking=True)
            await self.gate.wait()
            await interaction.followup.send("done")
            await interaction.edit_original_response(content="done, edited")

        @self.tree.command(name="late", description="Answer when the test says so")
        async def late(interaction: discord.Interaction) -> None:
            await self.gate.wait()
            try:
                await interaction.response.send_message("too late?")
            except discord.HTTPException as exc:
                self.outcomes.put_nowait(exc)

        @self.tree.command(name="menu", description="A message with a button")
        async def menu(interaction: discord.Interaction) -> None:
            await interaction.response.send_message("menu", view=MenuView())

    async def on_message(self, message: discord.Message) -> None:
        if message.author.bot:
            return
        try:
            await message.reply(f"echo: {message.content}")
        except discord.HTTPException as exc:
            self.outcomes.put_nowait(exc)


def _intents(message_content: bool) -> discord.Intents:
    intents = discord.Intents.default()
    intents.message_content = message_content
    return intents


class MiniBot(Behaviour, commands.Bot):
    def __init__(self, *, message_content: bool = True) -> None:
        super().__init__(
            command_prefix=commands.when_mentioned,
            intents=_intents(message_content),
            allowed_mentions=discord.AllowedMentions.none(),
        )
        self.setup_behaviour()


class MiniShardedBot(Behaviour, commands.AutoShardedBot):
    def __init__(self, *, shard_count: int | None) -> None:
        super().__init__(
            command_prefix=commands.when_mentioned,
            intents=_intents(True),
            allowed_mentions=discord.AllowedMentions.none(),
            shard_count=shard_count,
        )
        self.setup_behaviour()


async def sync_to_guild(bot: commands.Bot, fake: FakeDiscord) -> list[app_commands.AppCommand]:
    guild = discord.Object(fake.guild.id)
    bot.tree.copy_global_to(guild=guild)
    return await bot.tree.sync(guild=guild)


# --- connecting ---------------------------------------------------------------------------------------------------


async def test_client_logs_in_identifies_and_gets_ready(fake_discord: FakeDiscord) -> None:
    async with fake_discord.running(MiniBot()) as bot:
        assert bot.is_ready()
        assert bot.user is not None and bot.user.id == fake_discord.application_id
        assert bot.application_id == fake_discord.application_id
        guild = bot.get_guild(fake_discord.guild.id)
        assert guild is not None and guild.name == "Test Guild"
        assert sorted(c.name for c in guild.text_channels) == ["general", "questions"]
        assert guild.member_count == len(fake_discord.guild.members)  # members themselves need the members intent
        assert guild.me.guild_permissions.send_messages
        await fake_discord.wait_for_frame(gw.HEARTBEAT)

    assert [r.path for r in fake_discord.requests[:2]] == ["/users/@me", "/oauth2/applications/@me"]
    (identify,) = fake_discord.gateway.frames(gw.IDENTIFY)
    assert identify.d["token"] == fake_discord.token
    assert identify.d["intents"] == bot.intents.value
    assert fake_discord.gateway.connections[0].compressed  # zlib-stream, as discord.py asks
    assert fake_discord.gateway.connections[0].query["encoding"] == "json"


async def test_wrong_token_is_refused_at_login(fake_discord: FakeDiscord) -> None:
    bot = MiniBot()
    with pytest.raises(discord.LoginFailure):
        await bot.login("not-the-token")
    await bot.close()
    assert fake_discord.requests_to("GET", "/users/@me")[0].status == 401


async def test_disallowed_privileged_intent_stops_the_client(fake_discord: FakeDiscord) -> None:
    fake_discord.allowed_intents = 0
    with pytest.raises(discord.PrivilegedIntentsRequired):
        async with fake_discord.running(MiniBot(message_content=True)):
            pass


async def test_an_opcode_the_bot_never_sends_closes_the_socket(fake_discord: FakeDiscord) -> None:
    """Presence updates, member requests and voice are not modelled: the socket closes with 4001, so a bot that
    starts sending one fails its tests instead of being answered by a fake that pretends."""
    async with aiohttp.ClientSession() as session, session.ws_connect(fake_discord.gateway_url) as ws:
        hello = await ws.receive_json()
        assert hello["op"] == gw.HELLO  # no compress= in the URL: plain text frames
        await ws.send_json({"op": gw.IDENTIFY, "d": {"token": fake_discord.token, "intents": 0}})
        ready = await ws.receive_json()
        assert (ready["t"], ready["s"]) == ("READY", 1)
        await ws.send_json({"op": 3, "d": {"status": "idle", "since": None, "activities": [], "afk": False}})
        async for _ in ws:  # the GUILD_CREATE that follows READY, then the close
            pass
        assert ws.close_code == gw.UNKNOWN_OPCODE


# --- messages -----------------------------------------------------------------------------------------------------


async def test_on_message_reply_is_recorded_with_allowed_mentions(fake_discord: FakeDiscord) -> None:
    async with fake_discord.running(MiniBot()):
        alice = fake_discord.user
        pushed = await fake_discord.push_message(f"who is <@{alice['id']}>? @everyone")
        reply = await fake_discord.wait_for_message(lambda m: m.reply_to == int(pushed["id"]))

        assert reply.content == f"echo: who is <@{alice['id']}>? @everyone"
        assert reply.channel_id == int(fake_discord.channel["id"])
        assert reply.allowed_mentions == {"parse": []}  # AllowedMentions.none(); no replied_user means False
        assert not reply.pings  # neither alice, @everyone nor the replied-to author is notified
        (post,) = fake_discord.requests_to("POST", MESSAGES)
        assert post.json["content"] == reply.content
        assert post.json["allowed_mentions"] == reply.allowed_mentions
        assert int(post.json["message_reference"]["message_id"]) == int(pushed["id"])

        # The reply came back over the gateway (as on Discord) and the bot ignored its own message:
        second = await fake_discord.push_message("again")
        await fake_discord.wait_for_message(lambda m: m.reply_to == int(second["id"]))
        assert len(fake_discord.requests_to("POST", MESSAGES)) == 2
        echoed = [e for e in fake_discord.gateway.dispatched if e.event == "MESSAGE_CREATE"]
        assert reply.id in {int(e.data["id"]) for e in echoed}


async def test_dm_is_answered_and_bot_authors_are_ignored(fake_discord: FakeDiscord) -> None:
    async with fake_discord.running(MiniBot()):
        dm = await fake_discord.push_message("private question", dm=True)
        reply = await fake_discord.wait_for_message(lambda m: m.reply_to == int(dm["id"]))
        assert reply.channel_id == int(fake_discord.dm_channel()["id"])
        assert "guild_id" not in reply.payload

        other_bot = fake_discord.add_user("otherbot", bot=True)
        await fake_discord.push_message("beep", author=other_bot)
        sentinel = await fake_discord.push_message("human after the bot")
        await fake_discord.wait_for_message(lambda m: m.reply_to == int(sentinel["id"]))
        assert [m.content for m in fake_discord.sent_messages] == [
            "echo: private question",
            "echo: human after the bot",
        ]


async def test_without_message_content_intent_only_mentions_carry_content(fake_discord: FakeDiscord) -> None:
    async with fake_discord.running(MiniBot(message_content=False)):
        plain = await fake_discord.push_message("secret words")
        blank = await fake_discord.wait_for_message(lambda m: m.reply_to == int(plain["id"]))
        mention = await fake_discord.push_message("hello bot", mention_bot=True)
        full = await fake_discord.wait_for_message(lambda m: m.reply_to == int(mention["id"]))

    assert blank.content == "echo: "
    assert full.content == f"echo: <@{fake_discord.application_id}> hello bot"


async def test_message_over_discord_limits_raises_http_exception(fake_discord: FakeDiscord) -> None:
    async with fake_discord.running(MiniBot()) as bot:
        channel = bot.get_channel(int(fake_discord.channel["id"]))
        assert isinstance(channel, discord.TextChannel)

        with pytest.raises(discord.HTTPException) as too_long:
            await channel.send("x" * 2001)
        assert too_long.value.status == 400 and too_long.value.code == 50035
        assert "content: Must be 2000 or fewer in length." in str(too_long.value)

        with pytest.raises(discord.HTTPException) as big_embeds:
            await channel.send(embeds=[discord.Embed(description="y" * 3001) for _ in range(2)])
        assert "Embed size exceeds maximum size of 6000" in str(big_embeds.value)

        six_rows = [
            {"type": 1, "components": [{"type": 2, "style": 1, "label": "b", "custom_id": f"c{i}"}]} for i in range(6)
        ]
        route = discord.http.Route("POST", MESSAGES, channel_id=channel.id)
        with pytest.raises(discord.HTTPException) as rows:
            await bot.http.request(route, json={"content": "menu", "components": six_rows})
        assert "components: Must be 5 or fewer in length." in str(rows.value)

        # A valid message still goes through after the failures.
        ok = await channel.send("fine", embed=discord.Embed(title="t" * 256, description="d" * 4096))
        assert ok.id == fake_discord.sent_messages[-1].id
    assert [r.status for r in fake_discord.requests_to("POST", MESSAGES)] == [400, 400, 400, 200]


async def test_the_bot_edits_its_own_messages_only(fake_discord: FakeDiscord) -> None:
    async with fake_discord.running(MiniBot()) as bot:
        channel = bot.get_channel(int(fake_discord.channel["id"]))
        assert isinstance(channel, discord.TextChannel)
        message = await channel.send("first")
        await message.edit(content="second")
        sent = fake_discord.sent_messages[-1]
        assert sent.content == "second" and [e["content"] for e in sent.edits] == ["second"]
        assert any(
            e.event == "MESSAGE_UPDATE" and e.data["id"] == str(sent.id) for e in fake_discord.gateway.dispatched
        )

        pushed = await fake_discord.push_message("mine, not the bot's")
        await fake_discord.wait_for_message(lambda m: m.reply_to == int(pushed["id"]))
        with pytest.raises(discord.Forbidden) as refused:
            route = discord.http.Route(
                "PATCH", f"{MESSAGES}/{{message_id}}", channel_id=channel.id, message_id=pushed["id"]
            )
            await bot.http.request(route, json={"content": "hacked"})
        assert refused.value.code == 50005
    assert fake_discord.messages[int(pushed["id"])]["content"] == "mine, not the bot's"


async def test_arbitrary_dispatch_reaches_the_client(fake_discord: FakeDiscord) -> None:
    async with fake_discord.running(MiniBot()) as bot:
        new_channel = fake_discord.world.add_channel(fake_discord.guild, "announcements")
        created = asyncio.create_task(bot.wait_for("guild_channel_create", timeout=5))
        await fake_discord.dispatch("CHANNEL_CREATE", new_channel)
        channel = await created
        assert channel.name == "announcements" and bot.get_channel(channel.id) is channel


async def test_a_route_the_bot_does_not_use_is_404_and_recorded(fake_discord: FakeDiscord) -> None:
    async with fake_discord.running(MiniBot()) as bot:
        channel = bot.get_channel(int(fake_discord.channel["id"]))
        assert isinstance(channel, discord.TextChannel)
        with pytest.raises(discord.NotFound) as missing:
            await channel.typing()  # the bot never types: the fake has no such route
        assert missing.value.code == 0
    (request,) = fake_discord.requests_to("POST", "/channels/{id}/typing")
    assert request.status == 404 and request.route is None


# --- rate limits --------------------------------------------------------------------------------------------------


async def test_rate_limited_send_is_retried_and_delivered(fake_discord: FakeDiscord) -> None:
    fake_discord.inject_rate_limit("POST", MESSAGES, times=2, retry_after=0.05)
    async with fake_discord.running(MiniBot()):
        pushed = await fake_discord.push_message("busy?")
        reply = await fake_discord.wait_for_message(lambda m: m.reply_to == int(pushed["id"]))
    assert reply.content == "echo: busy?"
    attempts = fake_discord.requests_to("POST", MESSAGES)
    assert [r.status for r in attempts] == [429, 429, 200]
    assert attempts[0].response["retry_after"] == 0.05
    assert len(fake_discord.sent_messages) == 1


async def test_rate_limited_interaction_callback_is_retried(fake_discord: FakeDiscord) -> None:
    fake_discord.inject_rate_limit("POST", CALLBACK, retry_after=0.05)
    async with fake_discord.running(MiniBot()) as bot:
        await sync_to_guild(bot, fake_discord)
        interaction = await fake_discord.push_slash_command("ask", {"question": "now?"})
        await fake_discord.wait_for_response(interaction)
    assert [r.status for r in fake_discord.requests_to("POST", CALLBACK)] == [429, 200]


# --- slash commands, autocomplete, buttons -------------------------------------------------------------------


def test_interaction_ids_carry_the_present_time() -> None:
    """discord.py reads an interaction's age from its id: an old one is "expired", and a hybrid command's
    ``ctx.send`` then posts to the channel instead of answering the interaction."""
    ids = Snowflakes()
    first, second = ids.now(), ids.now()
    assert first != second
    age = discord.utils.utcnow() - discord.utils.snowflake_time(first)
    assert abs(age.total_seconds()) < 5


async def test_slash_command_sync_and_ephemeral_answer(fake_discord: FakeDiscord) -> None:
    async with fake_discord.running(MiniBot()) as bot:
        synced = await sync_to_guild(bot, fake_discord)
        assert {c.name for c in synced} == {"ask", "slow", "late", "menu"}
        assert all(c.id for c in synced)
        (put,) = fake_discord.requests_to("PUT", "/applications/{app}/guilds/{guild}/commands")
        assert put.path == f"/applications/{fake_discord.application_id}/guilds/{fake_discord.guild.id}/commands"
        ask = fake_discord.command("ask", guild=fake_discord.guild)
        assert ask is not None and ask["options"][0]["name"] == "question"

        interaction = await fake_discord.push_slash_command("ask", {"question": "What is the Alliance?"})
        await fake_discord.wait_for_response(interaction)

    assert interaction.response_type == 4
    assert interaction.response_data["content"] == "answer: What is the Alliance?"
    assert interaction.response_data["flags"] & FLAG_EPHEMERAL
    answer = fake_discord.sent_messages[-1]
    assert answer.ephemeral and answer.interaction_id == interaction.id
    assert answer.id == interaction.original_message_id
    sent_data = interaction.payload["data"]
    assert sent_data["guild_id"] == str(fake_discord.guild.id)
    assert sent_data["options"] == [{"name": "question", "type": 3, "value": "What is the Alliance?"}]


async def test_command_must_be_registered_and_options_valid(fake_discord: FakeDiscord) -> None:
    async with fake_discord.running(MiniBot()) as bot:
        with pytest.raises(LookupError):
            await fake_discord.push_slash_command("ask", {"question": "before sync"})
        await sync_to_guild(bot, fake_discord)
        with pytest.raises(ValueError, match="required option"):
            await fake_discord.push_slash_command("ask", {})
        with pytest.raises(ValueError, match="unknown options"):
            await fake_discord.push_slash_command("ask", {"question": "q", "extra": 1})


async def test_autocomplete_is_capped_at_25_choices(fake_discord: FakeDiscord) -> None:
    async with fake_discord.running(MiniBot()) as bot:
        await sync_to_guild(bot, fake_discord)
        typed = await fake_discord.push_autocomplete("ask", {"question": "Nis"}, focused="question")
        await fake_discord.wait_for_response(typed)
        assert typed.response_type == 8
        choices = typed.response_data["choices"]
        assert len(choices) == 25 and choices[0] == {"name": "Nis 0", "value": "Nis 0"}
        assert typed.payload["data"]["options"] == [{"name": "question", "type": 3, "value": "Nis", "focused": True}]

        bot.choice_count = 30
        too_many = await fake_discord.push_autocomplete("ask", {"question": "Ren"}, focused="question")
        rejected = await fake_discord.wait_for_request(
            lambda r: r.path.startswith(f"/interactions/{too_many.id}/"), method="POST", path=CALLBACK
        )
        assert rejected.status == 400 and rejected.response["code"] == 50035
        assert "choices" in rejected.response["errors"]["data"]
        assert not too_many.acknowledged
        # discord.py logs the failed autocomplete; this test expects it.
        await fake_discord.wait_until(lambda: fake_discord.logged_errors, what="the logged autocomplete error")
        assert "autocomplete" in fake_discord.logged_errors[0].getMessage()
        fake_discord.logged_errors.clear()


async def test_button_click_updates_the_message_it_is_on(fake_discord: FakeDiscord) -> None:
    async with fake_discord.running(MiniBot()) as bot:
        await sync_to_guild(bot, fake_discord)
        command = await fake_discord.push_slash_command("menu")
        await fake_discord.wait_for_response(command)
        menu = fake_discord.sent_messages[-1]
        assert menu.custom_ids() == ["menu:more"] and menu.content == "menu"

        click = await fake_discord.push_component(menu, "menu:more")
        await fake_discord.wait_for_response(click)
        assert click.payload["message"]["id"] == str(menu.id)
        assert click.payload["data"] == {"custom_id": "menu:more", "component_type": 2}
        assert click.response_type == 7
        assert menu.content == "more details" and menu.components == []

        # The same view on a plain channel message.
        channel = bot.get_channel(int(fake_discord.channel["id"]))
        assert isinstance(channel, discord.TextChannel)
        posted = await channel.send("channel menu", view=MenuView())
        click = await fake_discord.push_component(posted.id, "menu:more")
        await fake_discord.wait_for_response(click)
        assert fake_discord.messages[posted.id]["content"] == "more details"

        with pytest.raises(LookupError):
            await fake_discord.push_component(posted.id, "menu:more")  # the button is gone


async def test_deferred_answer_then_followup_and_edit(fake_discord: FakeDiscord) -> None:
    async with fake_discord.running(MiniBot()) as bot:
        await sync_to_guild(bot, fake_discord)
        interaction = await fake_discord.push_slash_command("slow")
        await fake_discord.wait_for_response(interaction)
        assert interaction.response_type == 5
        thinking = fake_discord.sent_messages[-1]
        assert thinking.flags & FLAG_LOADING and thinking.ephemeral

        bot.gate.set()
        await fake_discord.wait_for_request(method="PATCH", path="/webhooks/{app}/{token}/messages/@original")

    followup = fake_discord.requests_to("POST", "/webhooks/{app}/{token}")[0]
    assert followup.json["content"] == "done" and followup.query["wait"] in ("1", "true")
    # The first follow-up replaced the "thinking" message, keeping it ephemeral; the edit changed it again.
    assert thinking.content == "done, edited" and thinking.ephemeral and not thinking.flags & FLAG_LOADING
    assert len(fake_discord.sent_messages) == 1


async def test_late_first_response_is_unknown_interaction(fake_discord: FakeDiscord) -> None:
    async with fake_discord.running(MiniBot()) as bot:
        await sync_to_guild(bot, fake_discord)
        interaction = await fake_discord.push_slash_command("late")
        fake_discord.expire(interaction)
        bot.gate.set()
        error = await asyncio.wait_for(bot.outcomes.get(), 5)
    assert isinstance(error, discord.NotFound)
    assert error.code == 10062 and "Unknown interaction" in str(error)
    assert not interaction.acknowledged


async def test_followup_before_response_and_second_response_are_refused(fake_discord: FakeDiscord) -> None:
    async with fake_discord.running(MiniBot()) as bot, aiohttp.ClientSession() as session:
        await sync_to_guild(bot, fake_discord)
        interaction = await fake_discord.push_slash_command("late")
        followup_url = f"{fake_discord.base_url}/webhooks/{fake_discord.application_id}/{interaction.token}?wait=true"
        async with session.post(followup_url, json={"content": "too early"}) as early:
            assert early.status == 404
            assert await early.json() == {"message": "Unknown Webhook", "code": 10015}

        bot.gate.set()
        await fake_discord.wait_for_response(interaction)
        url = f"{fake_discord.base_url}/interactions/{interaction.id}/{interaction.token}/callback"
        async with session.post(url, json={"type": 4, "data": {"content": "again"}}) as again:
            assert again.status == 400
            assert await again.json() == {"message": "Interaction has already been acknowledged.", "code": 40060}
        async with session.post(followup_url, json={"content": "now fine"}) as followup:
            assert followup.status == 200 and (await followup.json())["content"] == "now fine"
    assert [m.content for m in fake_discord.sent_messages] == ["too late?", "now fine"]


# --- gateway faults -----------------------------------------------------------------------------------------------


async def test_reconnect_opcode_resumes_the_session(fake_discord: FakeDiscord) -> None:
    async with fake_discord.running(MiniBot()):
        session = fake_discord.gateway.session(0)
        assert session is not None
        mark = fake_discord.mark()
        await fake_discord.reconnect()
        resume = await fake_discord.wait_for_frame(gw.RESUME, since=mark)
        assert resume.d["session_id"] == session.session_id
        await fake_discord.wait_connected(since=mark)

        pushed = await fake_discord.push_message("after reconnect")
        await fake_discord.wait_for_message(lambda m: m.reply_to == int(pushed["id"]))

    assert len(fake_discord.gateway.frames(gw.IDENTIFY)) == 1
    assert fake_discord.gateway.connections[1].path == "/resume"
    assert any(e.event == "RESUMED" for e in fake_discord.gateway.dispatched)


async def test_dropped_socket_resumes_and_replays_missed_events(fake_discord: FakeDiscord) -> None:
    async with fake_discord.running(MiniBot()):
        session = fake_discord.gateway.session(0)
        assert session is not None
        mark = fake_discord.mark()
        async with fake_discord.gateway.hold_connections():
            fake_discord.drop()
            missed = await fake_discord.push_message("sent while the socket was down")
        reply = await fake_discord.wait_for_message(lambda m: m.reply_to == int(missed["id"]))

        resume = await fake_discord.wait_for_frame(gw.RESUME, since=mark)
        missed_seq = next(e.seq for e in fake_discord.gateway.dispatched if e.data.get("id") == missed["id"])
        assert resume.d["seq"] < missed_seq  # the client had not seen it: it came by replay
        assert fake_discord.gateway.connections[0].aborted
        assert reply.content == "echo: sent while the socket was down"

        later = await fake_discord.push_message("and after")
        await fake_discord.wait_for_message(lambda m: m.reply_to == int(later["id"]))
    assert len(fake_discord.gateway.frames(gw.IDENTIFY)) == 1


@pytest.mark.parametrize("resumable", [False, True], ids=["identify-again", "resume"])
async def test_invalid_session(fake_discord: FakeDiscord, resumable: bool) -> None:
    async with fake_discord.running(MiniBot()):
        first = fake_discord.gateway.session(0)
        assert first is not None
        mark = fake_discord.mark()
        await fake_discord.invalidate_session(resumable=resumable)
        await fake_discord.wait_for_frame(gw.RESUME if resumable else gw.IDENTIFY, since=mark)
        await fake_discord.wait_connected(since=mark)
        current = fake_discord.gateway.session(0)
        assert current is not None and (current is first) is resumable

        pushed = await fake_discord.push_message("still there?")
        await fake_discord.wait_for_message(lambda m: m.reply_to == int(pushed["id"]))


# --- sharding -----------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("shard_count", [2, None], ids=["shard_count=2", "recommended-by-gateway-bot"])
async def test_autosharded_bot_connects_both_shards(fake_discord: FakeDiscord, shard_count: int | None) -> None:
    fake_discord.recommended_shards = 2
    main_shard = shard_for(fake_discord.guild.id, 2)
    other = fake_discord.add_guild("Second Guild", shard=(1 - main_shard, 2))
    async with fake_discord.running(MiniShardedBot(shard_count=shard_count)) as bot:
        assert sorted(bot.shards) == [0, 1]
        assert {g.id for g in bot.guilds} == {fake_discord.guild.id, other.id}
        assert bot.get_guild(other.id).shard_id == 1 - main_shard

        channel = next(iter(other.channels.values()))
        pushed = await fake_discord.push_message("from the other shard", channel=channel)
        await fake_discord.wait_for_message(lambda m: m.reply_to == int(pushed["id"]))

    shards = sorted(tuple(f.d["shard"]) for f in fake_discord.gateway.frames(gw.IDENTIFY))
    assert shards == [(0, 2), (1, 2)]
    delivered = next(e for e in fake_discord.gateway.dispatched if e.data.get("id") == pushed["id"])
    assert delivered.shard_id == 1 - main_shard
    assert bool(fake_discord.requests_to("GET", "/gateway/bot")) is (shard_count is None)
