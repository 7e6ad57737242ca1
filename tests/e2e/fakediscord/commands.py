"""Application commands: the bulk overwrite the bot's ``tree.sync`` sends (global or per guild), the registry
it fills, and the ``data`` of a command or autocomplete interaction built from a registered definition.

The bot only syncs (PUT); it never fetches, creates, edits or deletes one command. Its options are strings and
subcommands, so option values are converted by type (string, integer, boolean, number) and user, channel, role
and attachment options are refused.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from aiohttp import web

from . import limits
from .http import Route, as_int, json_response
from .limits import DiscordHTTPError
from .records import RecordedRequest
from .world import Guild

if TYPE_CHECKING:
    from .server import FakeDiscord

_SUBCOMMAND_TYPES = (1, 2)  # subcommand, subcommand group
_CONVERTERS = {3: str, 4: int, 5: bool, 10: float}


class CommandRegistry:
    """The commands the bot registered (``fake.commands``: by guild id, None for global ones, then by id)."""

    def __init__(self, fake: FakeDiscord) -> None:
        self.fake = fake

    def find(self, name: str, *, guild: Guild | None = None) -> dict[str, Any] | None:
        """A registered slash command by name: the guild's, else the global one (as a client shows them)."""
        scopes = [guild.id] if guild is not None else []
        for scope in [*scopes, None]:
            for command in self.fake.commands.get(scope, {}).values():
                if command["name"] == name:
                    return command
        return None

    def interaction_data(
        self, name: str, values: Mapping[str, Any], focused: str | None, guild: Guild | None
    ) -> dict[str, Any]:
        """The ``data`` of ``/name`` (``"group sub"`` for subcommands) with option ``values`` by name; ``focused``
        names the option being typed in (an autocomplete)."""
        root, *path = name.split()
        command = self.find(root, guild=guild)
        if command is None:
            where = f" in {guild.name}" if guild else ""
            raise LookupError(f"/{root} is not registered{where}: sync the command tree first")
        if guild is None and (
            command.get("dm_permission") is False
            or (command.get("contexts") is not None and 1 not in command["contexts"])
        ):
            raise ValueError(f"/{root} is not available in DMs")
        data: dict[str, Any] = {
            "id": command["id"],
            "name": command["name"],
            "type": 1,
            "options": _options(command.get("options") or [], path, values, focused),
        }
        if command.get("guild_id"):
            data["guild_id"] = command["guild_id"]
        return data

    # --- REST -----------------------------------------------------------------------------------------------------

    def routes(self) -> list[Route]:
        return [
            ("PUT", "/applications/{application_id}/commands", self._overwrite),
            ("PUT", "/applications/{application_id}/guilds/{guild_id}/commands", self._overwrite),
        ]

    async def _overwrite(self, request: web.Request, record: RecordedRequest) -> web.Response:
        """Replace the scope's commands; one that keeps its name keeps its id, as on Discord."""
        scope = self._scope(request)
        body = record.json or []
        limits.check_commands(body)
        previous = {c["name"]: c for c in self.fake.commands.get(scope, {}).values()}
        world = self.fake.world
        stored: dict[int, dict[str, Any]] = {}
        for definition in body:
            kept = previous.get(definition["name"])
            command_id = int(kept["id"]) if kept else world.new_id()
            stored[command_id] = _stored(definition, command_id, self.fake.application_id, scope, world.new_id())
        self.fake.commands[scope] = stored
        return json_response(list(stored.values()))

    def _scope(self, request: web.Request) -> int | None:
        if as_int(request.match_info["application_id"]) != self.fake.application_id:
            raise DiscordHTTPError(403, limits.MISSING_ACCESS, "Missing Access")
        if "guild_id" not in request.match_info:
            return None
        guild = self.fake.guilds.get(as_int(request.match_info["guild_id"]))
        if guild is None:
            raise DiscordHTTPError(403, limits.MISSING_ACCESS, "Missing Access")
        return guild.id


def _stored(
    definition: Mapping[str, Any], command_id: int, application_id: int, guild_id: int | None, version: int
) -> dict[str, Any]:
    """A stored application command as Discord returns it: the definition plus ids and defaults."""
    data: dict[str, Any] = {
        "type": 1,
        "description": "",
        "options": [],
        "default_member_permissions": None,
        "dm_permission": True,
        "nsfw": False,
        "contexts": None,
        "integration_types": [0],
        "name_localizations": None,
        "description_localizations": None,
        **definition,
        "id": str(command_id),
        "application_id": str(application_id),
        "version": str(version),
    }
    if guild_id is not None:
        data["guild_id"] = str(guild_id)
    return data


def _options(
    definitions: list[dict[str, Any]], path: list[str], values: Mapping[str, Any], focused: str | None
) -> list[dict[str, Any]]:
    """The options as the client sends them: nested under the subcommand ``path``, typed by their definition."""
    if path:
        head = next((o for o in definitions if o["name"] == path[0] and o["type"] in _SUBCOMMAND_TYPES), None)
        if head is None:
            raise LookupError(f"no subcommand {path[0]!r}")
        inner = _options(head.get("options") or [], path[1:], values, focused)
        return [{"type": head["type"], "name": head["name"], "options": inner}]
    known = {o["name"]: o for o in definitions}
    unknown = set(values) - set(known)
    if unknown:
        raise ValueError(f"unknown options {sorted(unknown)}; the command has {sorted(known)}")
    if focused is not None and not known.get(focused, {}).get("autocomplete"):
        raise ValueError(f"option {focused!r} has no autocomplete")
    built = []
    for definition in definitions:
        name = definition["name"]
        if name not in values:
            if definition.get("required") and focused is None:
                raise ValueError(f"required option {name!r} missing")
            continue
        entry: dict[str, Any] = {"name": name, "type": definition["type"]}
        if name == focused:
            entry["value"] = str(values[name])
            entry["focused"] = True
        elif definition["type"] in _CONVERTERS:
            entry["value"] = _CONVERTERS[definition["type"]](values[name])
        else:
            raise NotImplementedError(f"option {name!r} has type {definition['type']}, which the fake does not model")
        built.append(entry)
    return built
