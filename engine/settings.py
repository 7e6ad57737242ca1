"""The settings of both front ends, from the environment and `.env`: one declared table, every default once.

Each field of `Settings` declares its environment variable, its default and how its text is
read (`setting(...)`); `from_env` walks that table, then checks what spans several settings.
.env.example documents the same variables (a test holds the two together).

Why a typed dataclass and not pydantic-settings or msgspec: `python bot.py ask "..."` must go
from start to answer in 0.4 s (issue 12), and this module is on that path. Measured with
`python -X importtime -c "import pydantic_settings"` (CPython 3.11, the 2-core dev machine):
pydantic-settings 2.16 costs about 275 ms of imports, msgspec 0.23 about 65 ms, this module
nothing beyond `dataclasses`, which the engine imports anyway. The environment holds a
dozen strings: parsing them by a declared table needs no library.
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from engine.answering import Engine

ROOT = Path(__file__).resolve().parent.parent
#: LOG_LEVEL's values.
LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")


class SettingsError(ValueError):
    """A setting has a value that cannot be used; the message names it."""


#: How a variable's text becomes a value: (name, stripped text) -> value; only called for a non-empty text.
Parse = Callable[[str, str], Any]


def setting(env: str, default: Any, parse: Parse | None = None, *, secret: bool = False) -> Any:
    """A field of `Settings` read from the variable `env` by `parse` (the text itself when None); `default`
    when the variable is unset or blank. A secret is kept out of the settings' repr."""
    return dataclasses.field(default=default, repr=not secret, metadata={"env": env, "parse": parse})


def _whole(low: int, high: int) -> Parse:
    def parse(name: str, raw: str) -> int:
        try:
            value = int(raw)
        except ValueError:
            raise SettingsError(f"{name} must be a whole number, got {raw!r}") from None
        if not low <= value <= high:
            raise SettingsError(f"{name} must be between {low} and {high}, got {value}")
        return value

    return parse


def _bool(name: str, raw: str) -> bool:
    value = raw.lower()
    if value in ("1", "true", "yes", "on"):
        return True
    if value in ("0", "false", "no", "off"):
        return False
    raise SettingsError(f"{name} must be true or false, got {value!r}")


def _ids(name: str, raw: str) -> frozenset[int]:
    raw = raw.replace(";", ",")
    try:
        return frozenset(int(part) for part in raw.replace(" ", ",").split(",") if part.strip())
    except ValueError:
        raise SettingsError(f"{name} must be a comma-separated list of numeric Discord ids, got {raw!r}") from None


def _sorted_ids(name: str, raw: str) -> tuple[int, ...] | None:
    return tuple(sorted(_ids(name, raw))) or None


def _path(name: str, raw: str) -> Path:
    return Path(raw)


def _level(name: str, raw: str) -> str:
    level = raw.upper()
    if level not in LOG_LEVELS:
        raise SettingsError(f"{name} must be DEBUG, INFO, WARNING, ERROR or CRITICAL, got {level!r}")
    return level


def _postgres(name: str, raw: str) -> str:
    if not raw.startswith(("postgresql://", "postgres://")):
        raise SettingsError(f"{name} must be a postgresql://user:password@host/database URL")
    return raw


def _cache_dir(name: str, raw: str) -> Path | None:
    """CACHE_DIR: a folder, or "off" for none (unset: beside the journal, worked out in `from_env`)."""
    return None if raw.lower() in ("off", "none", "false", "0") else Path(raw)


def _nonzero(parse: Parse) -> Parse:
    """0 read as "not set" (DEV_GUILD_ID=0, SHARD_COUNT=0)."""
    return lambda name, raw: parse(name, raw) or None


#: JOURNAL_RETENTION_DAYS's default, which the journal itself defaults to as well.
RETENTION_DAYS = 90
#: CACHE_DIR's default when unset and the journal is not a file: beside bot.py.
DEFAULT_CACHE = ROOT / "cache"


@dataclass(frozen=True)
class Settings:
    """Every setting of the bot; see .env.example for each one's meaning."""

    token: str = setting("DISCORD_TOKEN", "", secret=True)
    prefix: str = setting("COMMAND_PREFIX", "!")
    answer_channels: frozenset[int] = setting("ANSWER_CHANNEL_IDS", frozenset(), _ids)
    moderator_roles: frozenset[int] = setting("MODERATOR_ROLE_IDS", frozenset(), _ids)
    #: Servers whose moderators may reload, check and sync the knowledge every server shares (besides the owner).
    admin_guilds: frozenset[int] = setting("ADMIN_GUILD_IDS", frozenset(), _ids)
    knowledge_dir: Path = setting("KNOWLEDGE_DIR", ROOT / "knowledge", _path)  # noqa: RUF009 (a field, made once)
    journal_path: str = setting("JOURNAL_PATH", str(ROOT / "journal.sqlite3"))
    journal_enabled: bool = setting("JOURNAL_ENABLED", True, _bool)
    #: postgresql://... : the journal in PostgreSQL instead of JOURNAL_PATH (shards in several processes).
    journal_url: str = setting("JOURNAL_URL", "", _postgres, secret=True)  # may hold a password
    journal_retention_days: int = setting("JOURNAL_RETENTION_DAYS", RETENTION_DAYS, _whole(0, 36500))
    #: The on-disk cache of parsed and analysed sheets (engine/knowledge/cache.py); None: no cache.
    cache_dir: Path | None = setting("CACHE_DIR", DEFAULT_CACHE, _cache_dir)  # noqa: RUF009 (a field, made once)
    #: None: the fitted decision's own thresholds (knowledge/decision.yaml).
    answer_threshold: int | None = setting("ANSWER_THRESHOLD", None, _whole(1, 100))
    suggest_threshold: int | None = setting("SUGGEST_THRESHOLD", None, _whole(0, 100))
    cooldown_questions: int = setting("COOLDOWN_QUESTIONS", 5, _whole(1, 1000))
    cooldown_seconds: int = setting("COOLDOWN_SECONDS", 30, _whole(0, 86400))
    message_content: bool = setting("MESSAGE_CONTENT_INTENT", False, _bool)
    dev_guild: int | None = setting("DEV_GUILD_ID", None, _nonzero(_whole(0, 2**63)))
    log_level: str = setting("LOG_LEVEL", "INFO", _level)
    sharded: bool = setting("SHARDED", False, _bool)
    shard_count: int | None = setting("SHARD_COUNT", None, _nonzero(_whole(0, 100_000)))
    shard_ids: tuple[int, ...] | None = setting("SHARD_IDS", None, _sorted_ids)

    @property
    def journal_target(self) -> str | None:
        """What the journal opens: JOURNAL_URL, else JOURNAL_PATH; None when the journal is off."""
        if not self.journal_enabled:
            return None
        return self.journal_url or self.journal_path

    @classmethod
    def variables(cls) -> dict[str, str]:
        """Each field's environment variable, by field name: the table `from_env` reads."""
        return {f.name: f.metadata["env"] for f in dataclasses.fields(cls)}

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> Settings:
        """Read settings from `env` (os.environ by default); raises SettingsError on a bad value."""
        env = os.environ if env is None else env
        values: dict[str, Any] = {}
        for f in dataclasses.fields(cls):
            name, parse = f.metadata["env"], f.metadata["parse"]
            raw = env.get(name, "").strip()
            if raw:  # unset or blank: the field's default
                values[f.name] = raw if parse is None else parse(name, raw)
        if "cache_dir" not in values:
            journal = values.get("journal_path", "")
            if journal and journal != ":memory:" and not journal.startswith("file:"):
                values["cache_dir"] = Path(journal).parent / "cache"
        shard_count, shard_ids = values.get("shard_count"), values.get("shard_ids")
        if shard_ids and not shard_count:
            raise SettingsError("SHARD_IDS needs SHARD_COUNT")
        if shard_ids and max(shard_ids) >= shard_count:
            raise SettingsError(f"SHARD_IDS must be below SHARD_COUNT ({shard_count})")
        answer, suggest = values.get("answer_threshold"), values.get("suggest_threshold")
        if answer is not None and suggest is not None and suggest > answer:
            raise SettingsError("SUGGEST_THRESHOLD must not be above ANSWER_THRESHOLD")
        if shard_count:
            values["sharded"] = True  # SHARD_COUNT turns sharding on
        return cls(**values)


def build_engine(settings: Settings) -> Engine:
    """The engine both front ends serve: knowledge/ loaded through the load cache; raises KnowledgeError."""
    from engine.answering import Engine, Snapshot  # the engine's imports, paid only once settings are read
    from engine.knowledge.cache import KnowledgeCache
    from engine.knowledge.loader import Loader

    cache = KnowledgeCache(settings.cache_dir) if settings.cache_dir is not None else None
    loader = Loader(settings.knowledge_dir, cache=cache)
    return Engine(
        Snapshot.load(settings.knowledge_dir, loader=loader),
        answer_threshold=settings.answer_threshold,
        suggest_threshold=settings.suggest_threshold,
        loader=loader,
    )
