"""Members asking, through the real bot over sockets: mentions, DMs, the answer channel, `/ask` with its
autocomplete, "did you mean" and feedback buttons, `/topics`, the cooldown, and other bots ignored.

Each test asserts on what crossed the wire (the fake's records): text or embed, source and quote, buttons,
allowed_mentions and ephemeral flags. Journal rows are read after the bot closed (it waits for pending writes).
"""

from __future__ import annotations

from dataclasses import replace

from cogs.embeds import escape

from .fakediscord import FakeDiscord
from .support import (
    ANSWERED_EN,
    ANSWERED_FR,
    MESSAGES,
    NO_PINGS,
    UNKNOWN_EN,
    answered,
    ask,
    button,
    buttons,
    field,
    is_ephemeral,
    journal_rows,
    pick,
    reply_to,
    slash,
    text_of,
    typed,
)

ORIGINAL = "/webhooks/{application_id}/{token}/messages/@original"


async def test_mention_in_a_channel_gets_the_answer_with_source_quote_and_buttons(
    fake_discord: FakeDiscord, launch, settings
) -> None:
    async with launch() as bot:
        reply = await ask(fake_discord, ANSWERED_FR)
        fact = bot.engine.snapshot.kb.fact("leader-uchida")
        source = bot.engine.snapshot.kb.sources[fact.source]
        expected = bot.engine.ask(ANSWERED_FR)

    assert reply.channel_id == int(fake_discord.channel["id"]) and not is_ephemeral(reply)
    assert reply.content == ""
    (embed,) = reply.embeds
    assert embed["title"] == escape(fact.questions["fr"][0])
    assert embed["description"] == escape(fact.answer["fr"])
    assert source.title in field(reply, "Source") and source.date in field(reply, "Source")
    assert field(reply, "Citation") == f"> « {escape(fact.quote)} »"
    assert expected.fact is fact and expected.score >= 90
    assert field(reply, "Confiance") == f"{expected.score}%"  # the calibrated confidence, as the engine gave it
    assert [(b.get("emoji") or {}).get("name") for b in buttons(reply)] == ["👍", "👎"]
    assert [b["label"] for b in buttons(reply)] == ["Utile", "Réponse fausse"]
    assert reply.allowed_mentions == NO_PINGS | {"replied_user": False}
    (post,) = fake_discord.requests_to("POST", MESSAGES)
    assert int(post.json["message_reference"]["message_id"]) == reply.reply_to
    assert journal_rows(settings.journal_path) == [(reply.reply_to, "answer", "leader-uchida", "mention")]


async def test_direct_message_is_answered_in_english_and_journaled_without_its_channel(
    fake_discord: FakeDiscord, launch, settings
) -> None:
    async with launch() as bot:
        reply = await ask(fake_discord, ANSWERED_EN, dm=True)
        fact = bot.engine.snapshot.kb.fact("leader-uchida")

    assert reply.channel_id == int(fake_discord.dm_channel()["id"]) and "guild_id" not in reply.payload
    (embed,) = reply.embeds
    assert embed["description"] == escape(fact.answer["en"])
    assert {f["name"] for f in embed["fields"]} == {"Source", "Quote", "Confidence"}
    assert [b["label"] for b in buttons(reply)] == ["Helpful", "Wrong answer"]
    rows = journal_rows(settings.journal_path, "SELECT ref, via, guild_id, channel_id, lang FROM questions")
    assert rows == [(reply.reply_to, "dm", None, None, "en")]


async def test_answer_channel_answers_questions_only(fake_discord: FakeDiscord, launch, settings) -> None:
    questions = fake_discord.questions_channel
    async with launch():
        chatter = await fake_discord.push_message("salut tout le monde", channel=questions)  # chit-chat
        elsewhere = await fake_discord.push_message(ANSWERED_FR)  # #general, no mention
        smalltalk = await fake_discord.push_message("bonjour ?", channel=questions)
        asked = await fake_discord.push_message(ANSWERED_FR, channel=questions)
        reply = await reply_to(fake_discord, asked)

    assert reply.channel_id == int(questions["id"]) and reply.embeds
    replied = {m.reply_to for m in fake_discord.sent_messages}
    assert replied == {int(asked["id"])}, "chit-chat, smalltalk and #general without a mention get no reply"
    assert {int(chatter["id"]), int(elsewhere["id"]), int(smalltalk["id"])}.isdisjoint(replied)
    assert [r[3] for r in journal_rows(settings.journal_path)] == ["channel"]


async def test_without_the_message_content_intent_mentions_still_work(
    fake_discord: FakeDiscord, launch, settings
) -> None:
    fake_discord.allowed_intents = 0  # the portal switch is off: asking for the intent would fail with 4014
    async with launch(replace(settings, message_content=False)):
        unseen = await fake_discord.push_message(ANSWERED_FR, channel=fake_discord.questions_channel)
        mention = await ask(fake_discord, ANSWERED_FR)
        topics = await typed(fake_discord, "topics", mention_bot=True)  # a prefix command after a mention

    assert mention.embeds and mention.embeds[0]["description"]
    assert topics.embeds[0]["title"] == "What I know"
    assert int(unseen["id"]) not in {m.reply_to for m in fake_discord.sent_messages}


async def test_smalltalk_and_questions_not_covered_get_a_short_text(fake_discord: FakeDiscord, launch) -> None:
    async with launch():
        hello = await ask(fake_discord, "bonjour")
        unknown = await ask(fake_discord, UNKNOWN_EN)

    assert hello.content.startswith("Bonjour !") and not hello.embeds and not hello.components
    assert unknown.content.startswith("The article does not cover that question.") and not unknown.components


async def test_slash_ask_answers_publicly_with_feedback_buttons(fake_discord: FakeDiscord, launch, settings) -> None:
    async with launch():
        interaction = await fake_discord.push_slash_command("ask", {"question": ANSWERED_EN})
        (reply,) = await answered(fake_discord, interaction)
        # The bot fetches its response to grey the buttons out later; let that finish before closing.
        await fake_discord.wait_for_request(method="GET", path=ORIGINAL)

    assert interaction.response_type == 4 and not is_ephemeral(reply)
    assert reply.embeds[0]["title"] == "Who is Makoto Uchida?"
    assert [b["label"] for b in buttons(reply)] == ["Helpful", "Wrong answer"]
    assert reply.allowed_mentions == NO_PINGS
    rows = journal_rows(settings.journal_path, "SELECT ref, via, guild_id FROM questions")
    assert rows == [(interaction.id, "slash", fake_discord.guild.id)]


async def test_ask_autocomplete_offers_known_questions_in_the_member_language(
    fake_discord: FakeDiscord, launch
) -> None:
    async with launch():
        french = await fake_discord.push_autocomplete(
            "ask", {"question": "qui dirige"}, focused="question", locale="fr"
        )
        english = await fake_discord.push_autocomplete("ask", {"question": "nissan"}, focused="question")
        await fake_discord.wait_for_response(french)
        await fake_discord.wait_for_response(english)

    for interaction in (french, english):
        assert interaction.response_type == 8
        choices = interaction.response_data["choices"]
        assert 1 <= len(choices) <= 25
        assert all(1 <= len(c["name"]) <= 100 and c["name"] == c["value"] for c in choices)
    assert "qui dirige Nissan ?" in [c["name"] for c in french.response_data["choices"]]
    assert "who runs Nissan" in [c["name"] for c in english.response_data["choices"]]
    assert not fake_discord.sent_messages  # autocomplete creates no message


async def test_did_you_mean_buttons_belong_to_the_asker(fake_discord: FakeDiscord, launch, cast, settings) -> None:
    async with launch() as bot:
        question = pick(bot.engine, "unsure")
        expected = bot.engine.ask(question)
        interaction = await fake_discord.push_slash_command("ask", {"question": question})
        (reply,) = await answered(fake_discord, interaction)
        await fake_discord.wait_for_request(method="GET", path=ORIGINAL)

        labels = [b["label"] for b in buttons(reply)]
        assert labels == [f"{i}. {s.question}" for i, s in enumerate(expected.suggestions[:3], 1)]
        description = reply.embeds[0]["description"]
        assert description.startswith("I'm not sure I understood. Did you mean:")
        assert all(escape(s.question) in description for s in expected.suggestions)

        first = button(reply, label="1. ")
        stranger = await fake_discord.push_component(reply, first, user=cast.helper)
        (refusal,) = await answered(fake_discord, stranger)
        assert is_ephemeral(refusal) and refusal.content.startswith("These buttons are for the person who asked.")

        chosen = await fake_discord.push_component(reply, first, user=cast.member)
        await fake_discord.wait_for_response(chosen)

    assert chosen.response_type == 7  # the suggestion message itself becomes the answer
    fact = bot.engine.snapshot.kb.fact(expected.suggestions[0].fact_id)
    (embed,) = reply.embeds
    assert embed["description"] == escape(fact.answer["en"])
    assert field(reply, "Confidence") == f"{expected.suggestions[0].score}%"  # the guess's score, not 100%
    assert [b["label"] for b in buttons(reply)] == ["Helpful", "Wrong answer"]
    assert len(reply.edits) == 1
    assert journal_rows(settings.journal_path, "SELECT kind FROM questions") == [("unsure",)]


async def test_feedback_buttons_thank_privately_and_keep_one_vote_per_member(
    fake_discord: FakeDiscord, launch, cast, settings
) -> None:
    async with launch():
        reply = await ask(fake_discord, ANSWERED_EN)
        thumbs_up, thumbs_down = button(reply, emoji="👍"), button(reply, emoji="👎")
        votes = [
            (cast.member, thumbs_up),
            (cast.helper, thumbs_down),
            (cast.member, thumbs_down),  # alice changes her mind: her vote is replaced
        ]
        thanks = []
        for user, custom_id in votes:
            click = await fake_discord.push_component(reply, custom_id, user=user)
            (message,) = await answered(fake_discord, click)
            thanks.append(message)

    assert [m.content for m in thanks] == [
        "Thanks for the feedback!",
        "Thanks: the moderators will see that this answer looks wrong.",
        "Thanks: the moderators will see that this answer looks wrong.",
    ]
    assert all(is_ephemeral(m) for m in thanks)
    rows = journal_rows(settings.journal_path, "SELECT ref, fact_id, helpful FROM feedback ORDER BY id")
    assert rows == [(reply.reply_to, "leader-uchida", 0), (reply.reply_to, "leader-uchida", 0)]


async def test_cooldown_warns_once_then_lets_the_member_ask_again(fake_discord: FakeDiscord, launch, cast) -> None:
    now = [1000.0]
    async with launch() as bot:
        bot.get_cog("Asking").limiter.clock = lambda: now[0]
        first = [await ask(fake_discord, ANSWERED_EN) for _ in range(3)]
        warned = await ask(fake_discord, ANSWERED_EN)
        silent = await fake_discord.push_message(ANSWERED_EN, mention_bot=True)
        other = await ask(fake_discord, ANSWERED_EN, author=cast.helper)  # others are not held back
        slashed = await slash(fake_discord, "ask", {"question": ANSWERED_EN})
        now[0] += 31
        again = await ask(fake_discord, ANSWERED_EN)

    assert all(m.embeds for m in first) and other.embeds and again.embeds
    assert warned.content == "Easy there 🙂 You can ask me another question in 30s." and not warned.embeds
    assert int(silent["id"]) not in {m.reply_to for m in fake_discord.sent_messages}
    assert is_ephemeral(slashed) and slashed.content.startswith("Easy there")


async def test_other_bots_and_its_own_messages_are_ignored(fake_discord: FakeDiscord, launch, cast) -> None:
    async with launch():
        from_bot = await fake_discord.push_message(ANSWERED_FR, author=cast.other_bot, mention_bot=True)
        from_bot_dm = await fake_discord.push_message(ANSWERED_FR, author=cast.other_bot, dm=True)
        sentinel = await ask(fake_discord, ANSWERED_FR)

    assert [m.reply_to for m in fake_discord.sent_messages] == [sentinel.reply_to]
    assert {int(from_bot["id"]), int(from_bot_dm["id"])}.isdisjoint({m.reply_to for m in fake_discord.sent_messages})
    # The answer came back over the gateway as a MESSAGE_CREATE (as on Discord) and was not answered.
    echoed = [e for e in fake_discord.gateway.dispatched if e.event == "MESSAGE_CREATE"]
    assert sentinel.id in {int(e.data["id"]) for e in echoed}


async def test_topics_and_help_list_what_the_bot_knows(fake_discord: FakeDiscord, launch) -> None:
    async with launch() as bot:
        topics = await slash(fake_discord, "topics", locale="fr")
        help_ = await slash(fake_discord, "help")
        typed_reply = await typed(fake_discord, "!topics")
        labels = [t.labels["fr"] for t in bot.engine.snapshot.kb.topics]

    assert is_ephemeral(topics) and is_ephemeral(help_)
    assert topics.embeds[0]["title"] == "Ce que je sais" and help_.embeds[0]["title"] == "What I know"
    assert [f["name"] for f in topics.embeds[0]["fields"]] == labels[: len(topics.embeds[0]["fields"])]
    assert "Renault, Nissan et Mitsubishi" in topics.embeds[0]["footer"]["text"]
    assert typed_reply.source == "channel" and "What I know" in text_of(typed_reply)
