"""Follow-up questions over the wire: a member's fragment is read with their own previous question in that
channel, never with another member's, and the reply says how it was read."""

from __future__ import annotations

from .fakediscord import FakeDiscord
from .support import ask, slash, text_of


async def test_a_follow_up_is_read_with_the_askers_previous_question_only(fake_discord: FakeDiscord, launch) -> None:
    other = fake_discord.add_user("other")
    async with launch() as bot:
        senard = bot.engine.snapshot.kb.fact("leader-senard")
        first = await ask(fake_discord, "qui preside mitsubishi")
        # Another member's fragment in the same channel: read alone (it is not their conversation).
        alone = await ask(fake_discord, "et renault alors ?", author=other)
        follow = await ask(fake_discord, "et renault alors ?")
        # The slash command shares the member's conversation in that channel.
        chained = await slash(fake_discord, "ask", {"question": "et nissan ?"})

    assert "Masuko" in text_of(first)
    assert not any((e.get("author") or {}).get("name") for e in alone.embeds)
    assert senard.answer["fr"] not in text_of(alone)
    (embed,) = follow.embeds
    assert embed["author"]["name"] == "Compris comme « qui preside renault »"
    assert embed["description"].startswith("Jean-Dominique Senard")
    # Nissan has no président in the article: "not covered", and the reading is shown there too.
    assert chained.content.startswith("*Compris comme « qui preside nissan »*\nL'article ne traite pas")
