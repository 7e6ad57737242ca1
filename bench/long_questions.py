"""The worst case a member can send: questions at Discord's 4,000-character limit, made to cost the most.

Each kind stresses one part of the engine: distinct junk words (a typo search each, without the
bound), the same capitalised (looked at as names), near misses of the base's own words (searches
that find something), the base's own words (many candidates to score), accented junk (the slow
path of folding), a real question drowned in junk. The figure is the slowest of them all.

`python -m bench.long_questions` prints it for the article's knowledge without the rest of the bench.
"""

from __future__ import annotations

import random
import string
import sys
import time
from collections.abc import Callable, Sequence

#: Discord's longest message (with Nitro, and in direct messages).
LONGEST = 4000
#: Each question is asked this many times, the speller's memo emptied each time (as a new question).
REPEATS = 5
KINDS = ("junk", "capitalised junk", "near misses", "known words", "accented junk", "question + junk")


def _fill(rng: random.Random, word: Callable[[], str], start: str = "") -> str:
    words = [start] if start else []
    while sum(len(w) + 1 for w in words) <= LONGEST:
        words.append(word())
    return " ".join(words)[:LONGEST]


def questions(known_words: Sequence[str], seed: int = 0) -> dict[str, str]:
    """One 4,000-character question of each kind, the same for the same words and seed."""
    rng = random.Random(seed)
    long_known = [w for w in sorted(known_words) if len(w) > 5 and w.isalpha()] or ["alliance"]

    def junk(letters: str = string.ascii_lowercase) -> str:
        return "".join(rng.choice(letters) for _ in range(rng.randint(4, 9)))

    def near_miss() -> str:
        word = rng.choice(long_known)
        at = rng.randrange(len(word))
        return word[:at] + rng.choice(string.ascii_lowercase) + word[at + 1 :] + rng.choice("xyz")

    return {
        "junk": _fill(rng, junk),
        "capitalised junk": _fill(rng, lambda: junk().capitalize()),
        "near misses": _fill(rng, near_miss),
        "known words": _fill(rng, lambda: rng.choice(long_known)),
        "accented junk": _fill(rng, lambda: junk("abcdeéèàùçôîx")),
        "question + junk": _fill(rng, junk, start="qui dirige nissan ?"),
    }


def measure(engine, repeats: int = REPEATS) -> dict:
    """Milliseconds per kind (the slowest of `repeats`, each with the memo of corrections emptied) and overall."""
    matcher = engine.snapshot.matcher
    speller = matcher.speller
    by_kind: dict[str, float] = {}
    searches: dict[str, int] = {}
    for kind, question in questions(speller.known).items():
        slowest = 0
        for _ in range(repeats):
            speller.correct.cache_clear()
            before = speller.searches
            t0 = time.perf_counter_ns()
            engine.ask(question)
            slowest = max(slowest, time.perf_counter_ns() - t0)
            searches[kind] = speller.searches - before
        by_kind[kind] = slowest / 1e6
    return {"worst_ms": max(by_kind.values()), "by_kind_ms": by_kind, "searches": searches, "repeats": repeats}


def main() -> int:
    from pathlib import Path

    from engine.answering import Engine, Snapshot

    root = Path(__file__).resolve().parent.parent
    result = measure(Engine(Snapshot.load(root / "knowledge")))
    for kind, ms in result["by_kind_ms"].items():
        print(f"{kind:18} {ms:6.1f} ms  {result['searches'][kind]:3d} typo searches")
    print(f"worst of {len(KINDS)} kinds x {result['repeats']}: {result['worst_ms']:.1f} ms")
    return 0


if __name__ == "__main__":
    sys.exit(main())
