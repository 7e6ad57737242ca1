"""The load cache's keys: digests of what a file was computed from, and of the code that computed it."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from pathlib import Path

from engine.knowledge.model import Fact

#: The modules whose code decides what the files hold (matcher.py: the texts each view encodes), as paths
#: under engine/: any change to one of them makes a new cache.
CODE = (
    "knowledge/cache.py",
    "knowledge/cachecodec.py",
    "knowledge/cachekeys.py",
    "knowledge/snapshotcache.py",
    "knowledge/loader.py",
    "knowledge/fingerprints.py",
    "knowledge/claims.py",
    "knowledge/yamlfile.py",
    "knowledge/yamlevents.py",
    "knowledge/schema.py",
    "knowledge/factcheck.py",
    "knowledge/shapes.py",
    "knowledge/validate.py",
    "knowledge/review.py",
    "knowledge/quotes.py",
    "knowledge/yamlhints.py",
    "knowledge/model.py",
    "knowledge/lexiconfile.py",
    "knowledge/evalsets.py",
    "knowledge/lexiconcache.py",
    "knowledge/outofscopecache.py",
    "lexicon.py",
    "textnorm.py",
    "matching/index.py",
    "matching/postings.py",
    "matching/rowparts.py",
    "matching/semantic.py",
    "matching/modelfiles.py",
    "matching/pooling.py",
    "matching/matcher.py",
    "matching/factvectors.py",
    "matching/lexical.py",
    "matching/negatives.py",
    "matching/spelling.py",
    "matching/tokenmemo.py",
    "matching/wordmemo.py",
    "matching/facttexts.py",
    "matching/vocabulary.py",
    "matching/stored.py",
    "matching/rebuild.py",
)


def code_digest(version: int, modules: Sequence[str] = CODE, label: str = "cache") -> str:
    """A digest of what is stored (`label`, its version) and of the code of `modules` (paths under engine/)."""
    sha = hashlib.sha1(f"{label} {version}".encode(), usedforsecurity=False)
    folder = Path(__file__).resolve().parents[1]  # engine/
    for name in modules:
        sha.update((folder / name).read_bytes())
    return sha.hexdigest()


def digest(*parts: str) -> str:
    return hashlib.sha1("\0".join(parts).encode("utf-8", "surrogatepass"), usedforsecurity=False).hexdigest()


def by_sheet(facts: Sequence[Fact]) -> dict[str, list[int]]:
    """The positions of each sheet's facts, sheets in the order they first appear."""
    groups: dict[str, list[int]] = {}
    for n, fact in enumerate(facts):
        groups.setdefault(fact.file, []).append(n)
    return groups
