"""A fake Discord (REST + gateway) on loopback, for end-to-end tests of discord.py bots."""

from .limits import DiscordHTTPError, Pings
from .records import InteractionRecord, Mark, RecordedRequest, SentMessage
from .server import FakeDiscord
from .world import Guild

__all__ = [
    "DiscordHTTPError",
    "FakeDiscord",
    "Guild",
    "InteractionRecord",
    "Mark",
    "Pings",
    "RecordedRequest",
    "SentMessage",
]
