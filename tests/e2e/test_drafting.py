"""`/facts draft` and the drafting offer of `/facts unanswered`, through the real bot over sockets."""

from __future__ import annotations

from engine.answering import Snapshot
from engine.knowledge.loader import KnowledgeError

from .fakediscord import FakeDiscord
from .support import ask, is_ephemeral, journaled, slash, typed

NOT_MODERATOR = "This command is for moderators only (Manage Server permission or a moderator role)."
QUESTION = "combien de voitures l'alliance a vendu en 2018"


async def test_a_moderators_draft_is_attached_and_pastes_into_a_sheet(
    fake_discord: FakeDiscord, launch, cast, knowledge_copy
) -> None:
    async with launch():
        refused = await slash(fake_discord, "facts draft", {"question": QUESTION}, user=cast.member)
        since = len(fake_discord.requests)
        reply = await slash(fake_discord, "facts draft", {"question": QUESTION}, user=cast.moderator)
    assert refused.content == NOT_MODERATOR and is_ephemeral(refused)
    assert is_ephemeral(reply) and "sales-2018" in reply.content
    (attached,) = [f for r in fake_discord.requests[since:] for f in r.files]
    sheet = knowledge_copy / "facts" / "drafted.yaml"
    sheet.write_bytes(b"facts:\n" + attached.data)
    try:
        Snapshot.load(knowledge_copy)
    except KnowledgeError as exc:
        found = [p.message for p in exc.problems]
    assert all("marked for review" in p for p in found), found
    assert {"answer.fr", "answer.en"} <= {p.partition(" is marked")[0] for p in found}


async def test_unanswered_offers_a_draft_or_says_the_article_does_not_cover_it(
    fake_discord: FakeDiscord, launch, cast
) -> None:
    async with launch() as bot:
        await ask(fake_discord, "What is the price of a new Clio?")
        await journaled(fake_discord, bot.journal, 1)
        unanswered = await typed(fake_discord, "!facts unanswered", author=cast.moderator)
    lines = unanswered.content.splitlines()
    assert lines[1].startswith("• **×1** « What is the price of a new Clio? »")
    assert lines[2] == "  ↳ the article does not cover this question: add a source, not a fact."
