"""Add the out-of-scope questions of the fit sets to knowledge/out_of_scope.yaml.

    python scripts/seed_out_of_scope.py

Keeps what the file already lists (moderators' additions first), appends every question of
knowledge/eval/*.yaml expected `none`, except the held-out sets (HELD_OUT_SETS: they must stay
unseen) and questions a fact lists as its own (the fact's author meant to answer them).
Then refit the decision: `python bot.py calibrate`.
"""

from __future__ import annotations

import sys
from pathlib import Path

import yaml

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from engine.cli.evaluate import HELD_OUT_SETS
from engine.textnorm import tokenize

ROOT = Path(__file__).resolve().parents[1] / "knowledge"
#: Labelled `none` by a fit set, yet a fact answers them ("the article gives no date"): never listed.
KEEP_OUT = frozenset({"ghosn trial date"})
HEADER = """\
# Questions the article does not answer, as members ask them. A question close to one of these
# is a sign the article does not cover it either: the decision weighs that (see knowledge/README.md).
# Seeded by scripts/seed_out_of_scope.py from the fit sets of knowledge/eval (never the held-out sets);
# add the ones `/facts unanswered` shows that are truly outside the article, then `python bot.py calibrate`.
questions:
"""


def main() -> int:
    target = ROOT / "out_of_scope.yaml"
    entries: dict[str, str] = {}
    if target.exists():
        for item in (yaml.safe_load(target.read_text(encoding="utf-8")) or {}).get("questions") or []:
            entries.setdefault(item["q"], item["lang"])
    own = {
        " ".join(tokenize(q))
        for path in sorted((ROOT / "facts").glob("*.yaml"))
        for fact in (yaml.safe_load(path.read_text(encoding="utf-8")) or {}).get("facts") or []
        for questions in fact["questions"].values()
        for q in questions
    }
    for path in sorted((ROOT / "eval").glob("*.yaml")):
        if path.name in HELD_OUT_SETS:
            continue
        for item in (yaml.safe_load(path.read_text(encoding="utf-8")) or {}).get("questions") or []:
            key = " ".join(tokenize(item["q"]))
            if str(item.get("expect")).lower() in ("none", "null") and key not in own and key not in KEEP_OUT:
                entries.setdefault(item["q"], item["lang"])
    lines = [HEADER.rstrip("\n")]
    for q, lang in entries.items():
        lines.append(f"  - q: {yaml.safe_dump(q, allow_unicode=True, width=10_000, default_style=chr(34)).strip()}")
        lines.append(f"    lang: {lang}")
    target.write_text("\n".join(lines) + "\n", encoding="utf-8")
    print(f"{len(entries)} questions in {target}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
