"""Regenerate knowledge/words/{en,fr}.tsv from wordfreq (pip install wordfreq; not a runtime need).

The lists tell the engine which words are real French or English words: a real word the
fact sheets never use is not "corrected" into a fact's word, and counts as evidence of the
question's language. Data: wordfreq by Robyn Speer, CC BY-SA 4.0 (see knowledge/words/README.md).
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

from wordfreq import iter_wordlist, zipf_frequency

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from engine.textnorm import fold

MIN_ZIPF = 2.8
OUT = Path(__file__).resolve().parents[1] / "knowledge" / "words"


def main() -> None:
    for lang in ("en", "fr"):
        words: dict[str, float] = {}
        for word in iter_wordlist(lang, "best"):
            zipf = zipf_frequency(word, lang)
            if zipf < MIN_ZIPF:
                break
            folded = fold(word)
            if re.fullmatch(r"[a-z]+", folded) and folded not in words:
                words[folded] = zipf
        lines = (f"{word}\t{zipf:.1f}\n" for word, zipf in words.items())
        (OUT / f"{lang}.tsv").write_text("".join(lines), encoding="utf-8")
        print(f"{lang}: {len(words)} words")


if __name__ == "__main__":
    main()
