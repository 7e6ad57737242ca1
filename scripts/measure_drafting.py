"""How well `bot.py draft` finds the passage a question needs, on the evaluation sets.

    python scripts/measure_drafting.py [--lexical-weight W]

For each set: how often the best passage is the one the expected fact quotes (its quote
lies in the sentence, or the sentence in its quote), how often an in-scope question is
judged covered (score >= COVERED), and how often an out-of-scope one is judged not covered.
The evaluation sets' out-of-scope questions are near misses (they name the article's people
and companies), so the last figure is a floor: questions about other subjects score lower.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from engine.answering import Snapshot
from engine.knowledge import drafting
from engine.knowledge.schema import load_eval
from engine.textnorm import quote_form

ROOT = Path(__file__).resolve().parents[1]
#: Fit sets only: this script has a knob to tune, and a held-out set is never read to tune anything.
SETS = ("questions.yaml", "blind-2026-11.yaml", "training.yaml", "dev-2026-12.yaml")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--lexical-weight", type=float, default=drafting.LEXICAL_WEIGHT)
    args = parser.parse_args()
    drafting.LEXICAL_WEIGHT = args.lexical_weight
    snapshot = Snapshot.load(ROOT / "knowledge")
    drafter = drafting.Drafter(snapshot)
    kb = snapshot.kb
    print(f"lexical weight {drafting.LEXICAL_WEIGHT}, covered at >= {drafting.COVERED}")
    for name in SETS:
        questions = load_eval(ROOT / "knowledge", [], set(kb.facts_by_id), f"eval/{name}")
        right = covered = inside = outside = uncovered = 0
        for q in questions:
            best = next(iter(drafter.search([q.q], limit=1)), None)
            score = best.score if best else 0.0
            if q.expect is None:
                outside += 1
                uncovered += score < drafting.COVERED
                continue
            inside += 1
            covered += score >= drafting.COVERED
            quote, text = quote_form(kb.fact(q.expect).quote), quote_form(best.passage.text) if best else ""
            right += bool(best) and (quote in text or text in quote)
        print(
            f"{name:22} best passage right {right / inside:6.1%} of {inside}, "
            f"in-scope covered {covered / inside:6.1%}, "
            f"out-of-scope not covered {uncovered / max(outside, 1):6.1%} of {outside}"
        )


if __name__ == "__main__":
    main()
