"""Settings from the environment and `.env`, with defaults; one place documents them all."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


class SettingsError(ValueError):
    """A setting has a value that cannot be used; the message names it."""


def _ids(env: Mapping[str, str], name: str) -> frozenset[int]:
    raw = env.get(name, "").replace(";", ",")
    try:
        return frozenset(int(part) for part in raw.replace(" ", ",").split(",") if part.strip())
    except ValueError:
        raise SettingsError(f"{name} must be a comma-separated list of numeric Discord ids, got {raw!r}") from None


def _int(env: Mapping[str, str], name: str, default: int, low: int = 0, high: int = 1_000_000) -> int:
    raw = env.get(name, "").strip()
    if not raw:
        return default
    try:
        value = int(raw)
    except ValueError:
        raise SettingsError(f"{name} must be a whole number, got {raw!r}") from None
    if not low <= value <= high:
        raise SettingsError(f"{name} must be between {low} and {high}, got {value}")
    return value


def _bool(env: Mapping[str, str], name: str, default: bool) -> bool:
    raw = env.get(name, "").strip().lower()
    if not raw:
        return default
    if raw in ("1", "true", "yes", "on"):
        return True
    if raw in ("0", "false", "no", "off"):
        return False
    raise SettingsError(f"{name} must be true or false, got {raw!r}")


def _cache_dir(env: Mapping[str, str]) -> Path | None:
    """CACHE_DIR, "off" for none; by default a `cache` folder beside the journal (beside bot.py without one)."""
    raw = env.get("CACHE_DIR", "").strip()
    if raw.lower() in ("off", "none", "false", "0"):
        return None
    if raw:
        return Path(raw)
    journal = env.get("JOURNAL_PATH", "").strip()
    if journal and journal != ":memory:" and not journal.startswith("file:"):
        return Path(journal).parent / "cache"
    return ROOT / "cache"


@dataclass(frozen=True)
class Settings:
    """Every setting of the bot; see .env.example for each one's meaning."""

    token: str = field(default="", repr=False)
    prefix: str = "!"
    answer_channels: frozenset[int] = frozenset()
    moderator_roles: frozenset[int] = frozenset()
    #: Servers whose moderators may reload, check and sync the knowledge every server shares (besides the owner).
    admin_guilds: frozenset[int] = frozenset()
    knowledge_dir: Path = ROOT / "knowledge"
    journal_path: str = str(ROOT / "journal.sqlite3")
    journal_enabled: bool = True
    #: postgresql://... : the journal in PostgreSQL instead of JOURNAL_PATH (shards in several processes).
    journal_url: str = field(default="", repr=False)  # may hold a password
    journal_retention_days: int = 90
    #: The on-disk cache of parsed and analysed sheets (engine/knowledge/cache.py); None: no cache.
    cache_dir: Path | None = ROOT / "cache"
    #: None: the fitted decision's own thresholds (knowledge/decision.yaml).
    answer_threshold: int | None = None
    suggest_threshold: int | None = None
    cooldown_questions: int = 5
    cooldown_seconds: int = 30
    message_content: bool = False
    dev_guild: int | None = None
    log_level: str = "INFO"
    sharded: bool = False
    shard_count: int | None = None
    shard_ids: tuple[int, ...] | None = None

    @property
    def journal_target(self) -> str | None:
        """What the journal opens: JOURNAL_URL, else JOURNAL_PATH; None when the journal is off."""
        if not self.journal_enabled:
            return None
        return self.journal_url or self.journal_path

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> Settings:
        """Read settings from `env` (os.environ by default); raises SettingsError on a bad value."""
        env = os.environ if env is None else env
        dev_guild = _int(env, "DEV_GUILD_ID", 0, 0, 2**63)
        shard_count = _int(env, "SHARD_COUNT", 0, 0, 100_000)
        shard_ids = tuple(sorted(_ids(env, "SHARD_IDS"))) or None
        if shard_ids and not shard_count:
            raise SettingsError("SHARD_IDS needs SHARD_COUNT")
        if shard_ids and max(shard_ids) >= shard_count:
            raise SettingsError(f"SHARD_IDS must be below SHARD_COUNT ({shard_count})")
        level = env.get("LOG_LEVEL", "INFO").strip().upper() or "INFO"
        if level not in ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"):
            raise SettingsError(f"LOG_LEVEL must be DEBUG, INFO, WARNING, ERROR or CRITICAL, got {level!r}")
        answer = _int(env, "ANSWER_THRESHOLD", 0, 1, 100) if env.get("ANSWER_THRESHOLD", "").strip() else None
        suggest = _int(env, "SUGGEST_THRESHOLD", 0, 0, 100) if env.get("SUGGEST_THRESHOLD", "").strip() else None
        if answer is not None and suggest is not None and suggest > answer:
            raise SettingsError("SUGGEST_THRESHOLD must not be above ANSWER_THRESHOLD")
        journal_url = env.get("JOURNAL_URL", "").strip()
        if journal_url and not journal_url.startswith(("postgresql://", "postgres://")):
            raise SettingsError("JOURNAL_URL must be a postgresql://user:password@host/database URL")
        return cls(
            token=env.get("DISCORD_TOKEN", "").strip(),
            prefix=env.get("COMMAND_PREFIX", "!").strip() or "!",
            answer_channels=_ids(env, "ANSWER_CHANNEL_IDS"),
            moderator_roles=_ids(env, "MODERATOR_ROLE_IDS"),
            admin_guilds=_ids(env, "ADMIN_GUILD_IDS"),
            knowledge_dir=Path(env.get("KNOWLEDGE_DIR", "").strip() or ROOT / "knowledge"),
            journal_path=env.get("JOURNAL_PATH", "").strip() or str(ROOT / "journal.sqlite3"),
            journal_enabled=_bool(env, "JOURNAL_ENABLED", True),
            journal_url=journal_url,
            journal_retention_days=_int(env, "JOURNAL_RETENTION_DAYS", 90, 0, 36500),
            cache_dir=_cache_dir(env),
            answer_threshold=answer,
            suggest_threshold=suggest,
            cooldown_questions=_int(env, "COOLDOWN_QUESTIONS", 5, 1, 1000),
            cooldown_seconds=_int(env, "COOLDOWN_SECONDS", 30, 0, 86400),
            message_content=_bool(env, "MESSAGE_CONTENT_INTENT", False),
            dev_guild=dev_guild or None,
            log_level=level,
            sharded=_bool(env, "SHARDED", False) or bool(shard_count),
            shard_count=shard_count or None,
            shard_ids=shard_ids,
        )
