"""Knowledge files that try to hang, flood or empty the bot, through the real bot over the fake Discord (issue 14
"Knowledge files", issue 10 §3): refused in seconds while members keep getting answers, reported in a few messages
with the full list attached, and a reload that would empty the bot waits for the moderator's confirmation."""

from __future__ import annotations

import asyncio
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

from .botprocess import bot_process
from .fakediscord import FakeDiscord
from .fakediscord.payloads import FLAG_LOADING
from .support import ANSWERED_EN, ROOT, answered, ask, button, buttons, is_ephemeral, responses, slash, typed

#: Generous bounds for "does not hang" (the refusals themselves take milliseconds).
SECONDS = 30.0


def hostile_files(root: Path) -> None:
    """A FIFO as lexicon.yaml and a link to /dev/zero as words/en.tsv (each once hung or exhausted `check`)."""
    (root / "lexicon.yaml").unlink()
    os.mkfifo(root / "lexicon.yaml")
    (root / "words" / "en.tsv").unlink()
    (root / "words" / "en.tsv").symlink_to("/dev/zero")


def alias_bomb(root: Path, levels: int = 7) -> None:
    """Issue 10's lexicon bomb, two levels deeper: 10**7 leaves from 61 aliases."""
    lines = ["lol0: &a0 [1, 1, 1, 1, 1, 1, 1, 1, 1, 1]"]
    lines += [f"lol{i}: &a{i} [{', '.join([f'*a{i - 1}'] * 10)}]" for i in range(1, levels + 1)]
    lexicon = root / "lexicon.yaml"
    lexicon.write_text("\n".join(lines) + f"\nentities: [*a{levels}]\n" + lexicon.read_text(encoding="utf-8"))


async def member_answer_seconds(fake: FakeDiscord, author) -> float:
    """Seconds from a member's question to its answer."""
    start = time.monotonic()
    reply = await ask(fake, ANSWERED_EN, author=author)
    assert "Makoto Uchida" in reply.embeds[0]["description"]
    return time.monotonic() - start


def test_check_refuses_a_fifo_and_a_link_to_dev_zero_in_seconds(knowledge_copy) -> None:
    hostile_files(knowledge_copy)
    env = {k: v for k, v in os.environ.items() if k != "DISCORD_TOKEN"} | {"KNOWLEDGE_DIR": str(knowledge_copy)}
    result = subprocess.run(
        [sys.executable, "bot.py", "check"], cwd=ROOT, capture_output=True, text=True, env=env, timeout=SECONDS
    )
    assert result.returncode == 1, result.stderr
    assert "lexicon.yaml: not a regular file (a folder, FIFO or device is never read)" in result.stdout
    assert "words/en.tsv: links outside knowledge/; not read" in result.stdout
    assert "Traceback" not in result.stderr


async def test_reload_refuses_a_fifo_and_a_link_to_dev_zero_while_members_get_answers(
    fake_discord: FakeDiscord, launch, cast, knowledge_copy
) -> None:
    async with launch() as bot:
        serving = bot.engine.snapshot
        hostile_files(knowledge_copy)
        reload = await fake_discord.push_slash_command("facts reload", user=cast.moderator)
        member = await member_answer_seconds(fake_discord, cast.member)
        (report,) = await answered(fake_discord, reload, timeout=SECONDS)
        check = await slash(fake_discord, "facts check", user=cast.helper)  # the lock was released
        assert bot.engine.snapshot is serving

    assert member < 1.0
    assert report.content.startswith("❌ Reload refused: 2 problem(s).") and is_ephemeral(report)
    assert "`knowledge/lexicon.yaml`: not a regular file" in report.content
    assert "`knowledge/words/en.tsv`: links outside knowledge/; not read" in report.content
    assert check.content.startswith("❌ 2 problem(s); the set serving now would stay.")


async def test_an_alias_bomb_is_refused_while_members_are_answered_within_a_second(
    fake_discord: FakeDiscord, launch, cast, knowledge_copy
) -> None:
    async with launch() as bot:
        serving = bot.engine.snapshot
        alias_bomb(knowledge_copy)
        reload = await fake_discord.push_slash_command("facts reload", user=cast.moderator)
        waits = [await member_answer_seconds(fake_discord, author) for author in (cast.member, cast.owner)]
        (report,) = await answered(fake_discord, reload, timeout=SECONDS)
        assert bot.engine.snapshot is serving

    assert max(waits) < 1.0, waits
    assert report.content.splitlines() == [
        "❌ Reload refused: 1 problem(s). Nothing was swapped; members keep the current answers.",
        "• `knowledge/lexicon.yaml:1`: anchors and aliases (&name, \\*name) are not allowed in knowledge files: "
        "write the value out",
    ]


async def test_a_sheet_of_100000_problems_takes_three_messages_and_attaches_the_list(
    fake_discord: FakeDiscord, launch, cast, knowledge_copy
) -> None:
    sheet = knowledge_copy / "facts" / "zz_broken.yaml"
    sheet.write_text("facts:\n" + "".join(f"  - {{id: broken-{i}}}\n" for i in range(14_286)), encoding="utf-8")
    async with launch() as bot:
        serving = bot.engine.snapshot
        reload = await fake_discord.push_slash_command("facts reload", user=cast.moderator)
        member = await member_answer_seconds(fake_discord, cast.member)

        def done():  # the report is complete once its attachment has arrived
            found = [m for m in responses(fake_discord, reload) if not m.flags & FLAG_LOADING]
            return found if any(m.payload.get("attachments") for m in found) else None

        report = await fake_discord.wait_until(done, timeout=SECONDS * 2, what="the report with its attachment")
        assert bot.engine.snapshot is serving

    assert member < 1.0
    assert len(report) <= 3 and all(len(m.content) <= 2000 for m in report)
    assert report[0].content.startswith("❌ Reload refused: 100,002 problem(s).") or report[0].content.startswith(
        "❌ Reload refused: 100002 problem(s)."
    )
    (attachment,) = [a for m in report for a in m.payload.get("attachments") or []]
    assert attachment["filename"] == "knowledge-problems.txt"
    (data,) = [f.data for r in fake_discord.requests for f in r.files if f.filename == "knowledge-problems.txt"]
    listing = data.decode().splitlines()
    assert len(listing) == 1001  # the first 1,000 problems, then how many more
    assert listing[-1].startswith("… and 99002 more problem(s), not listed")
    assert report[-1].content.splitlines()[-1].startswith("… and ")


async def test_a_reload_that_removes_most_facts_waits_for_the_moderators_confirmation(
    fake_discord: FakeDiscord, launch, cast, knowledge_copy
) -> None:
    for sheet in (knowledge_copy / "facts").glob("*.yaml"):
        if sheet.name != "meeting.yaml":
            sheet.write_text("facts: []\n", encoding="utf-8")
    shutil.rmtree(knowledge_copy / "eval")
    async with launch() as bot:
        serving = bot.engine.snapshot
        total = len(serving.kb.facts)
        kept = sum(f.file == "facts/meeting.yaml" for f in serving.kb.facts)
        removed = serving.kb.fact("leader-uchida")  # ANSWERED_EN's fact, in leaders.yaml
        assert removed is not None and removed.file == "facts/leaders.yaml"
        warning = await typed(fake_discord, "!facts reload", author=cast.moderator)
        assert bot.engine.snapshot is serving
        labels = [b["label"] for b in buttons(warning)]
        confirm = button(warning, label="Reload anyway")
        stranger = await fake_discord.push_component(warning, confirm, user=cast.member)
        (refusal,) = await answered(fake_discord, stranger)
        assert bot.engine.snapshot is serving
        click = await fake_discord.push_component(warning, confirm, user=cast.moderator)
        await fake_discord.wait_for_response(click)
        (report,) = await answered(fake_discord, click)
        after = await ask(fake_discord, ANSWERED_EN)
        assert bot.engine.snapshot is not serving and len(bot.engine.snapshot.kb.facts) == kept

    assert warning.content == (
        f"⚠️ This reload would remove {total - kept} of the {total} facts serving now ({kept} left): members would "
        "lose those answers. Nothing is swapped unless you press “Reload anyway” (within 2 min)."
    )
    assert labels == ["Reload anyway", "Cancel"]
    assert refusal.content == "Only the moderator who ran the reload can confirm it." and is_ephemeral(refusal)
    assert report.content.startswith(f"✅ Facts reloaded: {kept} facts (0 added, 0 changed, {total - kept} removed).")
    assert click.response_type == 7 and buttons(warning) == []  # the message edited: its buttons taken away
    # The removed fact's answer is gone, in either language (the meeting's attendees, which name Nissan's CEO
    # too, may answer now).
    shown = after.embeds[0]["description"] if after.embeds else after.content
    assert shown and all(text not in shown for text in removed.answer.values())


async def test_a_cancelled_removal_swaps_nothing(fake_discord: FakeDiscord, launch, cast, knowledge_copy) -> None:
    for sheet in (knowledge_copy / "facts").glob("*.yaml"):
        sheet.write_text("facts: []\n", encoding="utf-8")
    shutil.rmtree(knowledge_copy / "eval")
    async with launch() as bot:
        serving = bot.engine.snapshot
        warning = await slash(fake_discord, "facts reload", user=cast.moderator)
        asked = warning.content
        click = await fake_discord.push_component(warning, button(warning, label="Cancel"), user=cast.moderator)
        await fake_discord.wait_for_response(click)
        check = await slash(fake_discord, "facts check", user=cast.moderator)
        assert bot.engine.snapshot is serving

    total = len(serving.kb.facts)
    assert asked.startswith(f"⚠️ This reload would remove {total} of the {total} facts serving now (0 left)")
    assert click.response_data["content"] == "Reload cancelled: nothing was swapped."
    assert check.content.splitlines()[1] == (
        f"⚠️ A reload would remove {total} of the {total} facts serving now (0 left) and would ask for a confirmation."
    )


async def test_a_reload_past_its_time_is_abandoned_and_releases_its_lock(
    fake_discord: FakeDiscord, launch, cast, knowledge_copy
) -> None:
    async with launch() as bot:
        serving = bot.engine.snapshot
        cog = bot.get_cog("Facts")
        cog.load_seconds = 0.0  # type: ignore[union-attr]  # any real load takes longer
        abandoned = await slash(fake_discord, "facts reload", user=cast.moderator)
        member = await member_answer_seconds(fake_discord, cast.member)
        busy = await slash(fake_discord, "facts check", user=cast.moderator)
        for _ in range(int(SECONDS * 10)):  # the thread stops at its own deadline
            if not cog._worker.busy:  # type: ignore[union-attr]
                break
            await asyncio.sleep(0.1)
        cog.load_seconds = 60.0  # type: ignore[union-attr]
        checking = await fake_discord.push_slash_command("facts check", user=cast.moderator)
        (check,) = await answered(fake_discord, checking, timeout=SECONDS)  # a whole load and preview
        assert bot.engine.snapshot is serving

    assert member < 1.0
    assert abandoned.content.startswith("⏱️ Abandoned: reading knowledge/ took longer than 0 s. Nothing was swapped")
    # Still stopping, or already stopped: then the check ran itself, under the same 0 s limit, and was abandoned too.
    assert busy.content in ("⏳ The abandoned reload is still stopping; try again in a minute.", "") or (
        busy.content.startswith("⏱️ Abandoned: reading knowledge/ took longer than 0 s.")
    )
    assert check.content.startswith("✅ Check passed, nothing was swapped: ")


async def test_shutdown_does_not_wait_for_a_reload_under_way(
    fake_discord: FakeDiscord, cast, knowledge_copy, journal_path
) -> None:
    """SIGTERM during a reload of sheets that take a minute to read: the process ends in seconds."""
    env = {
        "DISCORD_TOKEN": fake_discord.token,
        "KNOWLEDGE_DIR": str(knowledge_copy),
        "JOURNAL_PATH": str(journal_path),
        "MESSAGE_CONTENT_INTENT": "true",
        "ADMIN_GUILD_IDS": str(fake_discord.guild.id),  # its moderators may reload
    }
    async with bot_process(fake_discord, env) as bot:
        await bot.wait_for_line("connected as", timeout=SECONDS)
        for number in range(30):  # written once the bot has loaded the knowledge it serves
            lines = "".join(f"  - {{id: slow-{number}-{i}}}\n" for i in range(33_000))
            (knowledge_copy / "facts" / f"zz_slow{number:02}.yaml").write_text("facts:\n" + lines, encoding="utf-8")
        await fake_discord.push_message("!facts reload", author=cast.moderator)
        await bot.wait_for_line("facts reload started by", timeout=SECONDS)
        await asyncio.sleep(1.0)  # well inside the load: 30 sheets of 33,000 facts
        bot.process.send_signal(signal.SIGTERM)
        start = time.monotonic()
        code = await bot.exit_code(timeout=SECONDS)
        stopped = time.monotonic() - start

    assert code == 0, bot.stderr
    assert stopped < 10.0, stopped
