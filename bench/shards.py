"""The limits of one deployment over several processes: questions per second per shard process, reload propagation.

    .venv/bin/python -m bench.shards [--questions 300] [--reloads 5]

Two shard processes (`python bot.py`, SHARD_COUNT=2) against the project's fake Discord
(tests/e2e/fakediscord) and a real PostgreSQL started for the run (tests/pgserver.py), as
the end-to-end tests run them. Throughput: every question pushed at once to one shard's
server, then to both, timed to the last answer (the fake Discord shares the machine). Reload
propagation: after each `!facts reload` on shard 0, the time between its row and shard 1's
in the shards table (announced, heard, shard 1's files re-read, validated, swapped, recorded).
"""

from __future__ import annotations

import argparse
import asyncio
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

import psycopg

from bench.measure import ROOT
from tests.e2e.botprocess import two_shards
from tests.e2e.fakediscord import FakeDiscord
from tests.e2e.support import edit_fact
from tests.pgserver import PgServer

QUESTION = "Who runs Nissan?"


async def burst(fake: FakeDiscord, channels: list[dict], count: int) -> float:
    """Seconds from the first of `count` questions (spread over `channels`) to the last answer."""
    started = time.perf_counter()
    pushed = {
        int((await fake.push_message(QUESTION, channel=channels[n % len(channels)], mention_bot=True))["id"])
        for n in range(count)
    }
    await fake.wait_until(lambda: pushed <= {m.reply_to for m in fake.sent_messages}, timeout=600, what="every answer")
    return time.perf_counter() - started


async def measure(questions: int, reloads: int) -> dict[str, float]:
    server = PgServer()
    server.start()
    folder = Path(tempfile.mkdtemp(prefix="alliance-bench-shards-"))
    knowledge = folder / "knowledge"
    shutil.copytree(ROOT / "knowledge", knowledge)
    try:
        url = server.create_database("journal")
        fake = FakeDiscord()
        async with fake.serve():
            guilds = [fake.add_guild(f"Shard {n}", shard=(n, 2)) for n in (0, 1)]
            channels = [next(iter(g.channels.values())) for g in guilds]
            async with two_shards(fake, url, knowledge, timeout=120) as (zero, one):
                await burst(fake, channels, 20)  # warm both
                one_shard = await burst(fake, channels[:1], questions)
                both = await burst(fake, channels, questions * 2)
                lags = []
                for number in range(reloads):
                    edit_fact(
                        knowledge, "leader-uchida", answer={"fr": f"Réponse {number}.", "en": f"Answer {number}."}
                    )
                    mark = fake.mark()
                    await fake.push_message("!facts reload", author=fake.owner, channel=channels[0])
                    await fake.wait_for_message(lambda m: "Shards: 2 of 2" in m.content, timeout=60, since=mark)
                    with psycopg.connect(url) as conn:
                        at = dict(conn.execute("SELECT process, at FROM shards").fetchall())
                    lags.append(at["shards 1"] - at["shards 0"])
                for shard in (zero, one):
                    shard.process.terminate()
                    await shard.exit_code(timeout=60)
    finally:
        server.close()
        shutil.rmtree(folder, ignore_errors=True)
    return {
        "questions": questions,
        "one_shard_qps": questions / one_shard,
        "both_shards_qps": questions * 2 / both,
        "reload_lag_median_s": statistics.median(lags),
        "reload_lag_max_s": max(lags),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--questions", type=int, default=300)
    parser.add_argument("--reloads", type=int, default=5)
    args = parser.parse_args(argv)
    result = asyncio.run(measure(args.questions, args.reloads))
    print(
        f"one shard process: {result['one_shard_qps']:.0f} questions/s ({args.questions} questions)\n"
        f"two shard processes together: {result['both_shards_qps']:.0f} questions/s\n"
        f"reload propagation (shard 0 swapped -> shard 1 swapped and recorded): median "
        f"{result['reload_lag_median_s'] * 1000:.0f} ms, max {result['reload_lag_max_s'] * 1000:.0f} ms "
        f"over {args.reloads} reloads"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
