"""A fake Discord (REST + gateway) on loopback for the bot's end-to-end tests, modelling what the bot uses and
nothing more; one module per concern (see tests/e2e/README.md, "Layout")."""

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
