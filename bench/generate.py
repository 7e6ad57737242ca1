"""Synthetic knowledge folders N times the article's size, for measuring how the engine scales.

A folder for scale N holds the real knowledge (sources, topics, lexicon, word lists,
evaluation questions and the real facts) plus (N - 1) times as many synthetic facts as
the article has, so N x the real fact count in all. Synthetic facts look like real ones:
a topic from topics.yaml, a quote taken verbatim from the article (so validation
passes), ten French and ten English question variants and an answer per language. Their
vocabulary is varied, not copied: invented proper nouns from a syllable generator
(people, companies, products, cities), years, numbers, and a few thousand common words
from knowledge/words/. Generation is seeded, so a scale always gives the same folder,
and the facts of a smaller scale are a prefix of a larger one's.

    python -m bench.generate --scale 100 --out DIR

Folders are cached under bench/out/, keyed by scale and by a hash of this file and of
the real knowledge, so a rerun reuses them and any change regenerates them.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import random
import shutil
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from engine.textnorm import tokenize

ROOT = Path(__file__).resolve().parent.parent
KNOWLEDGE = ROOT / "knowledge"
OUT = Path(__file__).resolve().parent / "out"
SEED = 20191210
#: Facts per generated file: keeps every file far below the loader's size limit.
FACTS_PER_FILE = 200
#: Common words taken from each language's list, and the Zipf range they come from.
POOL_SIZE = 2500
POOL_ZIPF = (3.0, 4.8)
#: What is copied from the real knowledge folder (facts/ is copied too, file by file): everything the engine
#: serves with, the learned decision and the known out-of-scope questions included (without them a larger
#: size would measure a lexical-only engine, not the one members get).
COPIED = (
    "sources.yaml",
    "sources",
    "topics.yaml",
    "lexicon.yaml",
    "words",
    "eval",
    "decision.yaml",
    "out_of_scope.yaml",
)

_ONSETS = ("b", "d", "f", "g", "k", "l", "m", "n", "p", "r", "s", "t", "v", "z", "ch", "br", "tr", "gr", "st")
_VOWELS = ("a", "e", "i", "o", "u", "ai", "ou", "ei", "ia", "ao")
_CODAS = ("", "", "", "n", "r", "l", "s", "x", "k")
_COMPANY_SUFFIX = ("Motors", "Industries", "Group", "Automotive", "Systems", "Mobility", "Holding", "Technologies")
_CITY_SUFFIX = ("", "", "ville", "bourg", "-sur-Mer", " City", "port", "heim")
_CODES = ("X", "GT", "E", "S", "Z", "V", "R", "L", "Plus", "Sport", "Eco", "Max")

_VERBS = {
    "fr": ("dirige", "a fondé", "a racheté", "conseille", "finance", "représente", "supervise", "préside"),
    "en": ("runs", "founded", "bought", "advises", "funds", "represents", "oversees", "chairs"),
}
_PARTICIPLES = {
    "fr": ("lancé", "présenté", "vendu", "fabriqué", "annoncé", "testé", "conçu", "abandonné"),
    "en": ("launched", "unveiled", "sold", "built", "announced", "tested", "designed", "dropped"),
}
#: Question templates per language; slots are filled from one fact's own values.
_TEMPLATES = {
    "fr": (
        "Qui {verb} {company} en {year} ?",
        "Combien de {w} {company} a-t-elle produits en {year} ?",
        "{w} {product} {city}",
        "Où {company} a-t-elle installé son {w} ?",
        "Quand {person} a-t-il {participle} {product} ?",
        "Quel est le {w} de {person} chez {company} ?",
        "{person} {w} {w2}",
        "{company} {w} {year}",
        "c'est quoi le {w} de {product} ?",
        "pourquoi {company} a {participle} le {w} à {city} ?",
        "le {w} et la {w2} de {city} en {year}",
        "{number} {w} pour {company} ?",
        "que sait-on du {w} {w2} de {product}",
        "{person} et {company}, quel {w} ?",
    ),
    "en": (
        "Who {verb} {company} in {year}?",
        "How many {w} did {company} make in {year}?",
        "{product} {w} {city}",
        "Where did {company} set up its {w}?",
        "When was {product} {participle} by {person}?",
        "What is {person}'s {w} at {company}?",
        "{person} {w} {w2}",
        "{company} {w} {year}",
        "what's the {w} of the {product}?",
        "why did {company} pick {city} for the {w}?",
        "{w} and {w2} in {city} in {year}",
        "{number} {w} for {company}?",
        "anything on the {w} {w2} of the {product}",
        "{person} and {company}: which {w}?",
    ),
}
_ANSWERS = {
    "fr": "{person} {verb} {company} depuis {year} ; {product} a été {participle} à {city} ({number} {w}, {w2}).",
    "en": "{person} {verb} {company} since {year}; the {product} was {participle} in {city} ({number} {w}, {w2}).",
}
VARIANTS_PER_LANG = 10


@dataclass(frozen=True, slots=True)
class Vocabulary:
    """What synthetic facts are made of: the article's words and the common-word pools."""

    topics: tuple[str, ...]
    source_id: str
    article_words: tuple[str, ...]
    pools: dict[str, tuple[str, ...]]


def _pool(path: Path, rng: random.Random) -> tuple[str, ...]:
    low, high = POOL_ZIPF
    words = []
    for line in path.read_text(encoding="utf-8").splitlines():
        word, _, zipf = line.partition("\t")
        if len(word) >= 5 and word.isascii() and word.isalpha() and low <= float(zipf) <= high:
            words.append(word)
    return tuple(rng.sample(sorted(words), min(POOL_SIZE, len(words))))


def _vocabulary(knowledge: Path, rng: random.Random) -> Vocabulary:
    import yaml  # plain data files, read the simple way: they validated when the real base loaded

    topics = tuple(t["id"] for t in yaml.safe_load((knowledge / "topics.yaml").read_text(encoding="utf-8"))["topics"])
    source = yaml.safe_load((knowledge / "sources.yaml").read_text(encoding="utf-8"))["sources"][0]
    article = (knowledge / source["file"]).read_text(encoding="utf-8")
    return Vocabulary(
        topics=topics,
        source_id=source["id"],
        article_words=tuple(article.split()),
        pools={lang: _pool(knowledge / "words" / f"{lang}.tsv", rng) for lang in ("fr", "en")},
    )


def _name(rng: random.Random, syllables: tuple[int, int] = (2, 3)) -> str:
    parts = [rng.choice(_ONSETS) + rng.choice(_VOWELS) for _ in range(rng.randint(*syllables))]
    return ("".join(parts) + rng.choice(_CODAS)).capitalize()


def _slots(rng: random.Random, vocab: Vocabulary, lang: str, shared: dict[str, str]) -> dict[str, str]:
    pool = vocab.pools[lang]
    return {
        **shared,
        "verb": rng.choice(_VERBS[lang]),
        "participle": rng.choice(_PARTICIPLES[lang]),
        "w": rng.choice(pool),
        "w2": rng.choice(pool),
    }


def _quote(rng: random.Random, words: tuple[str, ...]) -> str:
    """A run of the article's own words: verbatim once whitespace is folded, as the loader compares."""
    length = rng.randint(6, 16)
    start = rng.randrange(len(words) - length)
    return " ".join(words[start : start + length])


def synthetic_facts(count: int, vocab: Vocabulary, claimed: set[str], seed: int = SEED) -> Iterator[dict]:
    """`count` synthetic facts as plain dicts; `claimed` (folded questions already used) grows as they come."""
    rng = random.Random(seed)
    for number in range(1, count + 1):
        shared = {
            "person": f"{_name(rng)} {_name(rng, (2, 4))}",
            "company": f"{_name(rng)} {rng.choice(_COMPANY_SUFFIX)}",
            "product": f"{_name(rng, (2, 2))} {rng.choice(_CODES)}{rng.randint(1, 9)}",
            "city": _name(rng) + rng.choice(_CITY_SUFFIX),
            "year": str(rng.randint(1985, 2030)),
            "number": f"{rng.randint(2, 990)}",
        }
        questions, answers = {}, {}
        for lang in ("fr", "en"):
            listed = []
            templates = list(_TEMPLATES[lang])
            rng.shuffle(templates)
            for template in templates:
                if len(listed) == VARIANTS_PER_LANG:
                    break
                for _ in range(5):  # a fresh draw of words when the question is already someone's
                    question = template.format(**_slots(rng, vocab, lang, shared))
                    key = " ".join(tokenize(question))
                    if key not in claimed:
                        claimed.add(key)
                        listed.append(question)
                        break
            questions[lang] = listed
            answers[lang] = _ANSWERS[lang].format(**_slots(rng, vocab, lang, shared))
        slug = "-".join(tokenize(shared["company"]))
        yield {
            "id": f"synthetic-{number:06d}-{slug}",
            "topic": rng.choice(vocab.topics),
            "source": vocab.source_id,
            "quote": _quote(rng, vocab.article_words),
            "questions": questions,
            "answer": answers,
            "keywords": [w.lower() for w in shared["person"].split()],
        }


def _yaml_text(value: str) -> str:
    """A double-quoted YAML scalar (JSON's string syntax is valid YAML)."""
    return json.dumps(value, ensure_ascii=False)


def fact_yaml(fact: dict) -> str:
    lines = [
        f"  - id: {fact['id']}",
        f"    topic: {fact['topic']}",
        f"    source: {fact['source']}",
        f"    quote: {_yaml_text(fact['quote'])}",
        "    questions:",
    ]
    for lang, listed in fact["questions"].items():
        lines.append(f"      {lang}:")
        lines += [f"        - {_yaml_text(q)}" for q in listed]
    lines.append("    answer:")
    lines += [f"      {lang}: {_yaml_text(text)}" for lang, text in fact["answer"].items()]
    lines.append(f"    keywords: [{', '.join(map(_yaml_text, fact['keywords']))}]")
    return "\n".join(lines) + "\n"


def real_facts_and_questions(knowledge: Path) -> tuple[int, set[str]]:
    """The real fact count and every real question variant, folded as the loader compares them."""
    import yaml

    count, claimed = 0, set()
    for path in sorted((knowledge / "facts").glob("*.yaml")):
        for fact in yaml.safe_load(path.read_text(encoding="utf-8")).get("facts") or []:
            count += 1
            for listed in fact["questions"].values():
                claimed.update(" ".join(tokenize(q)) for q in listed)
    return count, claimed


def synthetic_for_scale(scale: int, knowledge: Path = KNOWLEDGE, seed: int = SEED) -> tuple[int, Iterator[dict]]:
    """The real fact count, and the synthetic facts a folder of `scale` adds to the real ones."""
    real, claimed = real_facts_and_questions(knowledge)
    vocab = _vocabulary(knowledge, random.Random(seed))
    return real, synthetic_facts(real * (scale - 1), vocab, claimed, seed)


def generate(scale: int, out: Path, knowledge: Path = KNOWLEDGE, seed: int = SEED) -> int:
    """Write a full knowledge folder of `scale` x the real fact count into `out`; returns the fact count."""
    if scale < 1:
        raise ValueError("scale must be at least 1")
    out.mkdir(parents=True, exist_ok=True)
    for name in COPIED:
        src = knowledge / name
        if src.is_dir():
            shutil.copytree(src, out / name, dirs_exist_ok=True)
        elif src.exists():
            shutil.copy2(src, out / name)
    (out / "facts").mkdir(exist_ok=True)
    for path in sorted((knowledge / "facts").glob("*.yaml")):
        shutil.copy2(path, out / "facts" / path.name)
    real, facts = synthetic_for_scale(scale, knowledge, seed)
    count = real * (scale - 1)
    header = (
        f"# Synthetic facts written by bench/generate.py (scale {scale}, seed {seed}): not real knowledge.\nfacts:\n"
    )
    chunk: list[str] = []
    index = 0
    for fact in facts:
        chunk.append(fact_yaml(fact))
        if len(chunk) == FACTS_PER_FILE:
            index += 1
            (out / "facts" / f"synthetic-{index:04d}.yaml").write_text(header + "\n".join(chunk), encoding="utf-8")
            chunk = []
    if chunk:
        (out / "facts" / f"synthetic-{index + 1:04d}.yaml").write_text(header + "\n".join(chunk), encoding="utf-8")
    return real + count


def fingerprint(knowledge: Path = KNOWLEDGE) -> str:
    """A hash of this generator and of everything it copies or reads: a change regenerates the folders."""
    digest = hashlib.sha256(Path(__file__).read_bytes())
    for name in (*COPIED, "facts"):
        path = knowledge / name
        files = sorted(p for p in path.rglob("*") if p.is_file()) if path.is_dir() else [path]
        for file in files:
            if file.exists():
                digest.update(file.relative_to(knowledge).as_posix().encode())
                digest.update(file.read_bytes())
    return digest.hexdigest()[:12]


def cached(scale: int, knowledge: Path = KNOWLEDGE, cache: Path = OUT) -> Path:
    """The generated folder for `scale`, generating it (atomically) when missing or stale."""
    if scale == 1:
        return knowledge
    folder = cache / f"knowledge-x{scale}-{fingerprint(knowledge)}"
    if folder.is_dir():
        return folder
    for stale in cache.glob(f"knowledge-x{scale}-*"):
        shutil.rmtree(stale, ignore_errors=True)
    partial = cache / f".partial-x{scale}"
    shutil.rmtree(partial, ignore_errors=True)
    generate(scale, partial, knowledge)
    partial.rename(folder)
    return folder


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.generate", description=__doc__.split("\n\n")[0])
    parser.add_argument("--scale", type=int, required=True, help="size as a multiple of the article's fact count")
    parser.add_argument("--out", type=Path, required=True, help="folder to write (created; files are overwritten)")
    parser.add_argument("--seed", type=int, default=SEED)
    args = parser.parse_args(argv)
    total = generate(args.scale, args.out, seed=args.seed)
    print(f"{args.out}: {total} facts (scale {args.scale})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
