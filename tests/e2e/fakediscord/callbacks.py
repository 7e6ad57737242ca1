"""How the bot answers interactions: the first response (``POST /interactions/{id}/{token}/callback``), then
follow-ups and edits through the interaction's webhook (``/webhooks/{app}/{token}``).

Discord's rules here: a first response within ``fake.interaction_deadline`` (else 10062 Unknown interaction), only
one (40060), a callback type that suits the interaction, no follow-up before a response (10015). The callback
types are those the bot sends: 4 message, 5 deferred "thinking" message, 7 edit of the clicked message, 8
autocomplete choices. The first follow-up after a deferral fills in the "thinking" message and keeps its visibility.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from aiohttp import web

from . import limits
from . import payloads as p
from .http import Route, as_int, json_response, no_content
from .interactions import AUTOCOMPLETE, COMMAND, COMPONENT
from .limits import DiscordHTTPError, FormErrors, not_found
from .records import InteractionRecord, RecordedRequest

if TYPE_CHECKING:
    from .server import FakeDiscord

MESSAGE = 4
DEFERRED_MESSAGE = 5
UPDATE_MESSAGE = 7
AUTOCOMPLETE_RESULT = 8
_CALLBACKS_FOR = {
    COMMAND: {MESSAGE, DEFERRED_MESSAGE},
    COMPONENT: {MESSAGE, DEFERRED_MESSAGE, UPDATE_MESSAGE},
    AUTOCOMPLETE: {AUTOCOMPLETE_RESULT},
}
_TRUE = ("1", "true", "True")


class InteractionCallbacks:
    """The REST side of interactions, answering the records of ``fake.interactions``."""

    def __init__(self, fake: FakeDiscord) -> None:
        self.fake = fake

    def routes(self) -> list[Route]:
        webhook_message = "/webhooks/{application_id}/{token}/messages/{message_id}"
        return [
            ("POST", "/interactions/{interaction_id}/{token}/callback", self._callback),
            ("POST", "/webhooks/{application_id}/{token}", self._followup),
            ("GET", webhook_message, self._get_message),
            ("PATCH", webhook_message, self._patch_message),
        ]

    async def _callback(self, request: web.Request, record: RecordedRequest) -> web.Response:
        inter = self._check_first_response(request)
        body = record.json or {}
        rtype = body.get("type")
        data = body.get("data") or {}
        if not isinstance(rtype, int) or rtype not in _CALLBACKS_FOR.get(inter.type, set()):
            errors = FormErrors()
            message = f"Callback type {rtype} is not valid for interaction type {inter.type}"
            errors.add(["type"], "INTERACTION_CALLBACK_TYPE_INVALID", message)
            raise DiscordHTTPError(400, limits.INVALID_FORM_BODY, "Invalid Form Body", errors.errors)
        store = self.fake.store
        channel = self.fake.world.channels[inter.channel_id]
        ephemeral = bool((data.get("flags") or 0) & p.FLAG_EPHEMERAL)
        payload: dict[str, Any] | None = None
        if rtype == MESSAGE:
            limits.check_message(data, files=len(record.files))
            sent = await store.create(
                channel, data, record.files, source="interaction", interaction=inter, ephemeral=ephemeral
            )
            payload = sent.payload
        elif rtype == DEFERRED_MESSAGE:
            sent = await store.create(
                channel, {"content": ""}, [], source="interaction", interaction=inter, ephemeral=ephemeral, loading=True
            )
            payload = sent.payload
            inter.deferred_pending = True
        elif rtype == UPDATE_MESSAGE:
            limits.check_message(data, files=len(record.files), partial=True)
            target = self.fake.messages[int(inter.payload["message"]["id"])]
            payload = await store.edit(target, data, record.files)
        else:
            limits.check_autocomplete(data)
        if payload is not None:
            inter.original_message_id = int(payload["id"])
        inter.response_type = rtype
        inter.response = body
        if request.query.get("with_response") not in _TRUE:
            return no_content()
        return json_response(_callback_answer(inter, rtype, payload))

    def _check_first_response(self, request: web.Request) -> InteractionRecord:
        inter = self.fake.interactions.get(as_int(request.match_info["interaction_id"]))
        if inter is None:
            raise not_found(limits.UNKNOWN_INTERACTION, "Unknown interaction")
        if request.match_info["token"] != inter.token:
            raise DiscordHTTPError(401, limits.INVALID_WEBHOOK_TOKEN, "Invalid Webhook Token")
        if inter.acknowledged:
            raise DiscordHTTPError(400, limits.ALREADY_ACKNOWLEDGED, "Interaction has already been acknowledged.")
        if self.fake.now() - inter.sent_at > self.fake.interaction_deadline:
            raise not_found(limits.UNKNOWN_INTERACTION, "Unknown interaction")
        return inter

    async def _followup(self, request: web.Request, record: RecordedRequest) -> web.Response:
        inter = self._webhook_interaction(request)
        body = record.json or {}
        limits.check_message(body, files=len(record.files))
        if inter.deferred_pending and inter.original_message_id is not None:
            inter.deferred_pending = False
            target = self.fake.messages[inter.original_message_id]
            unflagged = {k: v for k, v in body.items() if k != "flags"}  # the deferral decided the visibility
            payload = await self.fake.store.edit(target, unflagged, record.files, completing=True)
        else:
            channel = self.fake.world.channels[inter.channel_id]
            ephemeral = bool((body.get("flags") or 0) & p.FLAG_EPHEMERAL)
            sent = await self.fake.store.create(
                channel, body, record.files, source="followup", interaction=inter, ephemeral=ephemeral
            )
            inter.followup_ids.append(sent.id)
            payload = sent.payload
        if request.query.get("wait") in _TRUE:
            return json_response(payload)
        return no_content()

    async def _get_message(self, request: web.Request, record: RecordedRequest) -> web.Response:
        inter = self._webhook_interaction(request)
        return json_response(self._webhook_message(request, inter))

    async def _patch_message(self, request: web.Request, record: RecordedRequest) -> web.Response:
        inter = self._webhook_interaction(request)
        message = self._webhook_message(request, inter)
        body = record.json or {}
        limits.check_message(body, files=len(record.files), partial=True)
        completing = inter.deferred_pending and int(message["id"]) == inter.original_message_id
        if completing:
            inter.deferred_pending = False
        return json_response(await self.fake.store.edit(message, body, record.files, completing=completing))

    def _webhook_interaction(self, request: web.Request) -> InteractionRecord:
        token = request.match_info["token"]
        if as_int(request.match_info["application_id"]) != self.fake.application_id:
            raise not_found(limits.UNKNOWN_WEBHOOK, "Unknown Webhook")
        inter = next((i for i in self.fake.interactions.values() if i.token == token), None)
        if inter is None or not inter.acknowledged:
            raise not_found(limits.UNKNOWN_WEBHOOK, "Unknown Webhook")
        return inter

    def _webhook_message(self, request: web.Request, inter: InteractionRecord) -> dict[str, Any]:
        wanted = request.match_info["message_id"]
        message_id = inter.original_message_id if wanted == "@original" else as_int(wanted)
        allowed = {inter.original_message_id, *inter.followup_ids}
        if message_id is None or message_id not in allowed or message_id not in self.fake.messages:
            raise not_found(limits.UNKNOWN_MESSAGE, "Unknown Message")
        return self.fake.messages[message_id]


def _callback_answer(inter: InteractionRecord, rtype: int, payload: dict[str, Any] | None) -> dict[str, Any]:
    """The body of ``?with_response=true``, which discord.py 2.7 always asks for."""
    flags = (payload or {}).get("flags") or 0
    answer: dict[str, Any] = {
        "interaction": {
            "id": str(inter.id),
            "type": inter.type,
            "response_message_loading": rtype == DEFERRED_MESSAGE,
            "response_message_ephemeral": bool(flags & p.FLAG_EPHEMERAL),
        },
        "resource": {"type": rtype},
    }
    if payload is not None:
        answer["interaction"]["response_message_id"] = payload["id"]
        answer["resource"]["message"] = payload
    return answer
