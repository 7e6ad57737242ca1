"""Loading knowledge/ into a KnowledgeBase, reporting every problem at once.

A load either returns a complete, validated KnowledgeBase or raises KnowledgeError with
the full list of problems (file, line, fact id, reason); it never returns half a base,
so a failed reload cannot replace a good one.

A Loader remembers what it read: on the next load, a fact sheet whose bytes, sources and
topics are unchanged is not parsed or validated again, and its Fact objects are reused
as they were (so the index can reuse their analysis too); one whose file signature is
unchanged is not even read (fingerprints.py). Reloading a large base after editing one
sheet costs one sheet, plus the checks that span all sheets.
"""

from __future__ import annotations

import hashlib
import time
from dataclasses import dataclass, replace
from pathlib import Path
from types import MappingProxyType

import numpy as np

from engine.knowledge.cache import KnowledgeCache
from engine.knowledge.claims import Claims, Item, SheetFacts, check_claims, hashed, key_of, questions
from engine.knowledge.fingerprints import Signature, files_digest, signature
from engine.knowledge.gcpause import without_gc
from engine.knowledge.lexiconcache import cached_lexicon
from engine.knowledge.model import Fact, KnowledgeBase, Source
from engine.knowledge.outofscopecache import cached_out_of_scope
from engine.knowledge.schema import (
    DECISION_FILE,
    OUT_OF_SCOPE_FILE,
    KnowledgeError,
    Problem,
    Problems,
    Report,
    check_fact,
    inside,
    items,
    line_of,
    load_decision,
    load_eval,
    load_sources,
    load_topics,
)
from engine.knowledge.yamlfile import YamlError, decode, parse_yaml, read_inside, shown
from engine.lexicon import Lexicon

#: The keys of a sheet without facts.
_NO_KEYS = np.zeros(0, dtype=np.int64)

__all__ = ["KnowledgeError", "LoadTimeout", "Loader", "Problem", "load_knowledge"]


class LoadTimeout(KnowledgeError):
    """A load ran past its time budget and stopped; nothing was loaded."""

    def __init__(self, seconds: float) -> None:
        super().__init__(
            [Problem("knowledge/", None, None, f"the load took longer than {seconds:g} s and was abandoned")]
        )
        self.seconds = seconds


#: What a sheet was checked against: each source's id and the hash of its text, the topics.
_Context = tuple[tuple[tuple[str, int], ...], tuple[str, ...]]


@dataclass(frozen=True, slots=True)
class _Sheet:
    """What one fact sheet yielded, for reuse while its bytes and context are unchanged."""

    digest: str
    context: _Context
    facts: tuple[Fact, ...]
    #: (id, line, questions line) of every fact node with a text id, valid or not, in order.
    declared: tuple[tuple[str, int, int | None], ...]
    problems: tuple[Problem, ...]
    #: Problems found beyond those kept in `problems` (counted only).
    more: int
    readable: bool
    #: The hash of each valid fact's questions' folded key (claims.py), fact after fact.
    keys: np.ndarray
    #: The file's signature when it was read (fingerprints.py): while it is the same, the file is not read again.
    stat: Signature | None = None


class Loader:
    """Loads one knowledge folder, again and again, re-reading only what changed."""

    def __init__(self, root: Path | str, *, decision: bool = True, cache: KnowledgeCache | None = None) -> None:
        """With `decision=False`, decision.yaml is not read (`calibrate` replaces it). With a `cache`, sheets
        read by an earlier process are taken from it, not parsed (see engine/knowledge/cache.py)."""
        self.root = Path(root)
        self.cache = cache
        self._with_decision = decision
        self._sheets: dict[str, _Sheet] = {}
        self._lexicon: tuple[str, Lexicon | None, tuple[Problem, ...]] | None = None
        self._deadline: float | None = None
        self._timeout = 0.0

    @without_gc
    def load(self, timeout: float | None = None) -> KnowledgeBase:
        """Load and validate the whole folder; raises KnowledgeError listing the problems (the first
        MAX_PROBLEMS_KEPT, with the total), or LoadTimeout past `timeout` seconds (checked between files
        and between facts)."""
        root = self.root
        if not root.is_dir():
            raise KnowledgeError([Problem(str(root), None, None, "knowledge folder not found")])
        self._timeout = timeout or 0.0
        self._deadline = None if timeout is None else time.monotonic() + timeout
        problems = Problems()
        lexicon = self.load_lexicon(problems)
        self._on_time()
        sources = load_sources(root, problems)
        topics = load_topics(root, problems)
        facts, declared_ids, claimed = self._load_facts(problems, sources, {t.id for t in topics})
        self._on_time()
        eval_questions = load_eval(root, problems, declared_ids)
        decision = load_decision(root, problems) if self._with_decision else None
        before = problems.total
        out_of_scope = self._out_of_scope(claimed, problems)
        listed_well = problems.total == before  # a broken file is reported as such, not as missing
        if decision is not None and decision.fitted_with.get("out_of_scope") and not out_of_scope and listed_well:
            problems.append(
                Problem(
                    DECISION_FILE,
                    None,
                    None,
                    f"fitted with {OUT_OF_SCOPE_FILE}, which is missing or empty: without it nearly every "
                    "question would be answered; restore it, or refit with `python bot.py calibrate`",
                )
            )
        if problems.total or lexicon is None:
            raise KnowledgeError(problems)
        return KnowledgeBase(
            sources=MappingProxyType(sources),
            topics=tuple(topics),
            facts=tuple(facts),
            lexicon=lexicon,
            eval_questions=tuple(eval_questions),
            decision=decision,
            out_of_scope=out_of_scope,
        )

    def _on_time(self) -> None:
        """Raise LoadTimeout once the load's deadline has passed."""
        if self._deadline is not None and time.monotonic() > self._deadline:
            raise LoadTimeout(self._timeout)

    def load_lexicon(self, problems: list[Problem]) -> Lexicon | None:
        root = self.root
        digest = files_digest(root, "lexicon.yaml", *(f"words/{lang}.tsv" for lang in ("en", "fr")))
        if self._lexicon is None or self._lexicon[0] != digest:
            found: list[Problem] = []
            folder = self.cache.folder if self.cache is not None else None
            self._lexicon = (digest, cached_lexicon(root, found, digest, folder), tuple(found))
        if self.cache is not None:
            self.cache.saw_lexicon(digest, self._lexicon[1])
        problems.extend(self._lexicon[2])
        return self._lexicon[1]

    def _sheet(self, relative: str, path: Path, sources: dict[str, Source], topics: set[str]) -> _Sheet:
        context = (tuple((s.id, hash(s.text)) for s in sources.values()), tuple(sorted(topics)))
        cached = self._sheets.get(relative)
        seen = signature(path)  # before the bytes are read (fingerprints.py)
        if cached is not None and seen is not None and cached.stat == seen and cached.context == context:
            return self._seen(relative, cached, sources, topics)
        try:
            data_bytes = read_inside(self.root, relative)
        except YamlError as exc:
            # Not cached: the file is read again at the next load, when it may be fixed.
            return _Sheet("", ((), ()), (), (), (Problem(relative, exc.line, None, exc.message),), 0, False, _NO_KEYS)
        digest = hashlib.sha1(data_bytes, usedforsecurity=False).hexdigest()
        if cached is not None and cached.digest == digest and cached.context == context:
            if cached.stat != seen:
                cached = self._sheets[relative] = replace(cached, stat=seen)
            return self._seen(relative, cached, sources, topics)
        stored = self._stored_sheet(relative, digest, context, sources, topics, seen)
        if stored is not None:
            return stored
        problems = Problems()
        report = Report(problems, relative)
        facts: list[Fact] = []
        declared: list[tuple[str, int, int | None]] = []
        keys: list[tuple[str, ...]] = []
        try:
            data = parse_yaml(decode(data_bytes))  # the bytes just hashed: one read, one version
        except YamlError as exc:
            problems.append(Problem(relative, exc.line, None, exc.message, exc.excerpt))
            sheet = _Sheet(digest, context, (), (), tuple(problems), 0, False, _NO_KEYS, seen)
        else:
            for number, node in enumerate(items(data, "facts", report)):
                if number % 256 == 0:
                    self._on_time()
                fact_id = node.get("id") if isinstance(node.get("id"), str) else None
                if fact_id:
                    declared.append((fact_id, node.line, line_of(node, "questions")))
                fact = check_fact(node, report, sources, topics)
                if fact is not None:
                    facts.append(fact)
                    keys.append(tuple(key_of(q) for _, q in questions(fact)))
            more = problems.total - len(problems)
            sheet = _Sheet(
                digest, context, tuple(facts), tuple(declared), tuple(problems), more, True, hashed(keys), seen
            )
        self._sheets[relative] = sheet
        if self.cache is not None and sheet.readable and not sheet.problems:
            key = self.cache.sheet_key(digest, self.cache.context(sources, topics))
            self.cache.write_sheet(relative, key, sheet.facts, sheet.declared, keys)
        return self._seen(relative, sheet, sources, topics, tuple(keys))

    # The on-disk cache's hooks (engine/knowledge/cache.py): a sheet taken from it, and each sheet a load used.

    def _stored_sheet(
        self,
        relative: str,
        digest: str,
        context: _Context,
        sources: dict[str, Source],
        topics: set[str],
        seen: Signature | None,
    ) -> _Sheet | None:
        if self.cache is None:
            return None
        stored = self.cache.read_sheet(relative, self.cache.sheet_key(digest, self.cache.context(sources, topics)))
        if stored is None:
            return None
        sheet = _Sheet(digest, context, stored[0], stored[1], (), 0, True, stored[2], seen)
        self._sheets[relative] = sheet
        return self._seen(relative, sheet, sources, topics)

    def _seen(
        self,
        relative: str,
        sheet: _Sheet,
        sources: dict[str, Source],
        topics: set[str],
        keys: tuple[tuple[str, ...], ...] = (),
    ) -> _Sheet:
        """Tell the cache the load used this sheet; `keys`: its questions' folded keys, when just computed
        (only the parse has them as strings: between loads a sheet keeps their hashes)."""
        if self.cache is not None:
            clean = sheet.readable and not sheet.problems
            key = self.cache.sheet_key(sheet.digest, self.cache.context(sources, topics)) if clean else None
            self.cache.saw_sheet(relative, key, sheet.facts, keys)
        return sheet

    def _load_facts(
        self, problems: Problems, sources: dict[str, Source], topics: set[str]
    ) -> tuple[list[Fact], set[str] | None, Claims]:
        """The valid facts, every id declared (valid or not; None when a sheet could not be read), and
        the fact that claims each question (by its folded form)."""
        root = self.root
        folder = root / "facts"
        files = sorted(folder.glob("*.yaml")) if folder.is_dir() else []
        if not files:
            problems.append(Problem("facts/", None, None, "no fact sheet (facts/*.yaml) found"))
        read: list[Item] = []
        readable = True
        wanted: set[str] = set()
        for path in files:
            relative = path.relative_to(root).as_posix()
            resolved = inside(root, relative)
            if resolved is None:
                read.append(Problem(relative, None, None, "links outside knowledge/; not read"))
                continue
            self._on_time()
            wanted.add(relative)
            sheet = self._sheet(relative, resolved, sources, topics)
            readable &= sheet.readable
            read.append(SheetFacts(relative, sheet.facts, sheet.declared, sheet.keys, sheet.problems, sheet.more))
        facts, declared, claimed = check_claims(read, problems)
        for stale in set(self._sheets) - wanted:
            del self._sheets[stale]
        if self.cache is not None:
            self.cache.forget_sheets(wanted)
        return facts, declared if readable else None, claimed

    def _out_of_scope(self, claimed: Claims, problems: list[Problem]) -> tuple[str, ...]:
        """out_of_scope.yaml's questions; one that a fact lists as its own question is a contradiction."""
        found = []
        folder = self.cache.folder if self.cache is not None else None
        listed = cached_out_of_scope(self.root, problems, folder)
        for (question, line), owner in zip(listed, claimed.owners([key_of(q) for q, _ in listed]), strict=True):
            if owner is not None:
                problems.append(
                    Problem(
                        OUT_OF_SCOPE_FILE,
                        line,
                        owner,
                        f"{shown(question)} is a question of fact '{owner}': remove it from one of the two",
                    )
                )
            else:
                found.append(question)
        return tuple(found)


def load_knowledge(root: Path | str) -> KnowledgeBase:
    """Load and validate a knowledge folder once (a Loader keeps a cache for reloads)."""
    return Loader(root).load()
