"""Mocks of discord.py objects for cog tests, in the manner of python-discord's tests/helpers.py.

Each mock takes `spec_set` from a real discord.py class (its __slots__ and properties) or,
for the classes without slots (Context, the bot), from a real instance built once below,
so reading or setting an attribute the real object lacks fails the test.
Coroutine methods of the real class come back as AsyncMock; other children are plain
MagicMocks. Only the Discord network edge is mocked: the engine and journal are real.
"""

from __future__ import annotations

import inspect
import itertools
import unittest.mock
from typing import Any

import discord
from discord.ext import commands

from cogs.bot import AllianceBot
from engine.settings import Settings

BOT_ID = 900_000_000_000_000_001
GUILD_ID = 800_000_000_000_000_001
_ids = itertools.count(700_000_000_000_000_001)


def next_id() -> int:
    return next(_ids)


context_instance = commands.Context(
    message=unittest.mock.MagicMock(), prefix="!", bot=unittest.mock.MagicMock(), view=None
)
bot_instance = AllianceBot(
    Settings(journal_enabled=False), engine=unittest.mock.MagicMock(), journal=unittest.mock.MagicMock()
)


class CustomMockMixin:
    """A MagicMock with `spec_set`; coroutine methods of the spec give AsyncMocks, other children MagicMocks."""

    spec_set: Any = None

    def __init__(self, **kwargs: Any) -> None:
        name = kwargs.pop("name", None)
        super().__init__(spec_set=self.spec_set, **kwargs)  # type: ignore[call-arg]
        if name is not None:
            self.name = name

    def _get_child_mock(self, **kwargs: Any) -> unittest.mock.MagicMock | unittest.mock.AsyncMock:
        name = kwargs.get("_new_name")
        spec_class = self.__dict__.get("_spec_class")
        if spec_class is not None and name and inspect.iscoroutinefunction(getattr(spec_class, name, None)):
            return unittest.mock.AsyncMock(**kwargs)
        return unittest.mock.MagicMock(**kwargs)


class HashableMixin:
    """Equal and hashed by id, like discord.py's Hashable objects."""

    def __hash__(self) -> int:
        return hash(self.id)  # type: ignore[attr-defined]

    def __eq__(self, other: object) -> bool:
        return getattr(other, "id", None) == self.id  # type: ignore[attr-defined]


class MockGuild(CustomMockMixin, HashableMixin, unittest.mock.MagicMock):
    spec_set = discord.Guild

    def __init__(self, **kwargs: Any) -> None:
        defaults = {"id": GUILD_ID, "name": "Alliance fans", "preferred_locale": discord.Locale.french}
        super().__init__(**(defaults | kwargs))


class MockRole(CustomMockMixin, HashableMixin, unittest.mock.MagicMock):
    spec_set = discord.Role

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**({"id": next_id(), "name": "role", "position": 1} | kwargs))


class MockMember(CustomMockMixin, HashableMixin, unittest.mock.MagicMock):
    """A server member; `manage_guild=True` gives them Manage Server."""

    spec_set = discord.Member

    def __init__(self, *, manage_guild: bool = False, **kwargs: Any) -> None:
        user_id = kwargs.pop("id", None) or next_id()
        defaults = {
            "id": user_id,
            "name": "member",
            "display_name": "member",
            "bot": False,
            "roles": [],
            "mention": f"<@{user_id}>",
            "guild_permissions": discord.Permissions(manage_guild=manage_guild),
            "guild": MockGuild(),
        }
        super().__init__(**(defaults | kwargs))
        self.__str__ = unittest.mock.Mock(return_value="member")  # type: ignore[method-assign]


class MockUser(CustomMockMixin, HashableMixin, unittest.mock.MagicMock):
    """A user outside any server (a DM author)."""

    spec_set = discord.User

    def __init__(self, **kwargs: Any) -> None:
        user_id = kwargs.pop("id", None) or next_id()
        super().__init__(**({"id": user_id, "name": "user", "bot": False, "mention": f"<@{user_id}>"} | kwargs))


class MockClientUser(CustomMockMixin, HashableMixin, unittest.mock.MagicMock):
    spec_set = discord.ClientUser

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**({"id": BOT_ID, "name": "alliance-bot", "bot": True, "mention": f"<@{BOT_ID}>"} | kwargs))


class MockTextChannel(CustomMockMixin, HashableMixin, unittest.mock.MagicMock):
    spec_set = discord.TextChannel

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**({"id": next_id(), "name": "general", "guild": MockGuild()} | kwargs))


class MockThread(CustomMockMixin, HashableMixin, unittest.mock.MagicMock):
    spec_set = discord.Thread

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**({"id": next_id(), "name": "thread", "parent_id": next_id()} | kwargs))


class MockDMChannel(CustomMockMixin, HashableMixin, unittest.mock.MagicMock):
    spec_set = discord.DMChannel

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**({"id": next_id()} | kwargs))


class MockMessage(CustomMockMixin, HashableMixin, unittest.mock.MagicMock):
    """A message in a server channel; `guild=None` with a MockDMChannel makes it a DM."""

    spec_set = discord.Message

    def __init__(self, **kwargs: Any) -> None:
        guild = kwargs.pop("guild", MockGuild())
        defaults = {
            "id": next_id(),
            "content": "",
            "author": MockMember() if guild is not None else MockUser(),
            "guild": guild,
            "channel": MockTextChannel() if guild is not None else MockDMChannel(),
            "mentions": [],
            "type": discord.MessageType.default,
            "webhook_id": None,
        }
        super().__init__(**(defaults | kwargs))


class MockInteractionResponse(CustomMockMixin, unittest.mock.MagicMock):
    spec_set = discord.InteractionResponse

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.is_done.return_value = False


class MockWebhook(CustomMockMixin, unittest.mock.MagicMock):
    spec_set = discord.Webhook


class MockInteraction(CustomMockMixin, unittest.mock.MagicMock):
    """A slash command or button interaction; `response` and `followup` record what is sent."""

    spec_set = discord.Interaction

    def __init__(self, **kwargs: Any) -> None:
        guild = kwargs.pop("guild", MockGuild())
        defaults = {
            "id": next_id(),
            "user": MockMember() if guild is not None else MockUser(),
            "guild": guild,
            "guild_id": guild.id if guild is not None else None,
            "channel_id": next_id(),
            "locale": discord.Locale.french,
            "response": MockInteractionResponse(),
            "followup": MockWebhook(),
            "message": None,
        }
        super().__init__(**(defaults | kwargs))


class MockContext(CustomMockMixin, unittest.mock.MagicMock):
    """A command context; prefix by default, slash (hybrid) when given an `interaction`."""

    spec_set = context_instance

    def __init__(self, **kwargs: Any) -> None:
        guild = kwargs.pop("guild", MockGuild())
        defaults = {
            "bot": MockBot(),
            "guild": guild,
            "author": MockMember() if guild is not None else MockUser(),
            "channel": MockTextChannel() if guild is not None else MockDMChannel(),
            "interaction": None,
            "prefix": "!",
            "clean_prefix": "!",
            "command": None,
        }
        super().__init__(**(defaults | kwargs))


class MockBot(CustomMockMixin, unittest.mock.MagicMock):
    """The bot: give it a real `engine`, `journal` and `settings` for the cog under test."""

    spec_set = bot_instance

    def __init__(self, **kwargs: Any) -> None:
        defaults = {"user": MockClientUser(), "settings": Settings(journal_enabled=False)}
        super().__init__(**(defaults | kwargs))
        self.get_command.return_value = None
        self.is_owner.return_value = False  # nobody owns the bot unless a test says so
