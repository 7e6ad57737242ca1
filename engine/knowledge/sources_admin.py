"""Adding an article to knowledge/: `python bot.py add-source FILE --id ID --title ... --date ... --lang fr`.

The text is copied byte for byte under sources/, the source is appended to sources.yaml
(the file is not rewritten: moderators' comments stay), and a draft sheet with one fact
skeleton per informative sentence is written to drafts/, which the loader never reads:
a draft in facts/ would make every reload fail until each of its skeletons is finished.
A moderator completes the skeletons worth keeping and moves them into a sheet of facts/.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from engine.answering import Snapshot
from engine.knowledge.drafting import MIN_QUESTIONS, Drafter, informative, prefilled, yaml_text
from engine.knowledge.model import LANGS, Source
from engine.knowledge.review import REVIEW_MARK
from engine.knowledge.schema import Problem, load_sources
from engine.knowledge.yamlfile import YamlError, decode, read_limited

_ID = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*")
_DATE = re.compile(r"\d{4}-(0[1-9]|1[0-2])(-(0[1-9]|[12]\d|3[01]))?")
#: Fact skeletons written for one article at most (the rest of its sentences are left to the moderator).
MAX_SKELETONS = 60
DRAFTS = "drafts"


class SourceError(Exception):
    """The article cannot be added as asked; nothing was written."""


@dataclass(frozen=True, slots=True)
class AddedSource:
    source: Source
    text_file: Path
    draft_sheet: Path
    skeletons: int


def _validate(root: Path, file: Path, source_id: str, title: str, date: str, lang: str) -> tuple[bytes, str]:
    """The article's bytes and text, once every argument is right; raises SourceError saying what is wrong."""
    if not _ID.fullmatch(source_id):
        raise SourceError(f"--id {source_id!r}: use lowercase letters, digits and dashes (e.g. renault-2020-01)")
    if not title.strip():
        raise SourceError("--title must not be empty")
    if not _DATE.fullmatch(date):
        raise SourceError(f"--date {date!r}: write it YYYY-MM or YYYY-MM-DD")
    if lang not in LANGS:
        raise SourceError(f"--lang {lang!r}: one of {', '.join(LANGS)}")
    problems: list[Problem] = []
    sources = load_sources(root, problems)
    if problems:
        raise SourceError("fix sources.yaml first: " + "; ".join(map(str, problems)))
    if source_id in sources:
        raise SourceError(f"a source '{source_id}' is already in sources.yaml")
    try:
        data = read_limited(file)
        text = decode(data)
    except YamlError as exc:
        raise SourceError(f"{file}: {exc.message}") from exc
    except OSError as exc:
        raise SourceError(f"{file}: {exc.strerror or exc}") from exc
    if not text.strip():
        raise SourceError(f"{file} holds no text")
    return data, text


def add_source(
    snapshot: Snapshot,
    root: Path,
    file: Path,
    *,
    source_id: str,
    title: str,
    date: str,
    lang: str,
    outlet: str | None = None,
) -> AddedSource:
    """Register the article, copy its text, write its draft sheet; on any failure nothing stays written.

    `snapshot` is the knowledge as loaded now: it gives the lexicon, the topics and the ids
    the skeletons must not reuse.
    """
    root = Path(root)
    data, text = _validate(root, Path(file), source_id, title, date, lang)
    relative = f"sources/{source_id}.{lang}.txt"
    text_file, sheet = root / relative, root / DRAFTS / f"{source_id}.yaml"
    for path in (text_file, sheet):
        if path.exists():
            raise SourceError(f"{path} already exists; choose another --id or remove it")
    source = Source(source_id, title.strip(), date, lang, outlet, relative, text)
    drafter = Drafter(snapshot)
    body, count = skeleton_sheet(drafter, source)
    listing = root / "sources.yaml"
    before = listing.read_bytes()
    entry = (
        f"  - id: {source_id}\n    title: {yaml_text(title.strip())}\n    date: {yaml_text(date)}\n    lang: {lang}\n"
        f"    outlet: {yaml_text(outlet) if outlet else 'null'}\n    file: {relative}\n"
    )
    written: list[Path] = []
    try:
        text_file.parent.mkdir(parents=True, exist_ok=True)
        text_file.write_bytes(data)
        written.append(text_file)
        listing.write_bytes(before + (b"" if before.endswith(b"\n") else b"\n") + entry.encode("utf-8"))
        problems: list[Problem] = []
        if source_id not in load_sources(root, problems) or problems:
            raise SourceError("sources.yaml did not take the new entry: " + "; ".join(map(str, problems)))
        sheet.parent.mkdir(exist_ok=True)
        sheet.write_text(body, encoding="utf-8")
        written.append(sheet)
    except BaseException:
        listing.write_bytes(before)
        for path in written:
            path.unlink(missing_ok=True)
        raise
    return AddedSource(source, text_file, sheet, count)


def skeleton_sheet(drafter: Drafter, source: Source) -> tuple[str, int]:
    """A sheet of fact skeletons, one per informative sentence of the source, and how many it holds."""
    taken: set[str] = set()
    blocks = []
    for passage in informative(drafter, source)[:MAX_SKELETONS]:
        topic = drafter.guess_topic(passage)
        fact_id = drafter.propose_id(source.id, drafter.lexicon.analyse(passage.text).tokens, taken)
        taken.add(fact_id)
        proposed = drafter.variants((), passage, MIN_QUESTIONS - 1)
        questions = {
            lang: [f"{REVIEW_MARK}: a question members ask that this passage answers", *proposed[lang]]
            for lang in LANGS
        }
        blocks.append(
            drafter.fact_yaml(
                fact_id,
                topic,
                passage,
                {lang: list(dict.fromkeys(q for q in qs if q)) for lang, qs in questions.items()},
                prefilled(passage, source.lang),
            )
        )
    header = (
        f"# Draft facts from the source '{source.id}' ({source.title}, {source.date}), one per informative sentence.\n"
        f"# Keep the ones worth a fact: write their questions and answers, remove each {REVIEW_MARK}, check the\n"
        "# topic, move them into a sheet of knowledge/facts/, then `python bot.py check` and `/facts reload`.\n"
        "# This folder is never loaded: skeletons left here answer nothing and block nothing.\n"
    )
    return header + "facts:\n" + "\n".join(blocks), len(blocks)
