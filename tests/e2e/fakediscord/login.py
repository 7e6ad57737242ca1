"""REST routes a client calls before it connects: who am I, which application, and (sharded, without a
shard count) how many shards the gateway recommends."""

from __future__ import annotations

from typing import TYPE_CHECKING

from aiohttp import web

from .http import Route, json_response
from .records import RecordedRequest

if TYPE_CHECKING:
    from .server import FakeDiscord


def routes(fake: FakeDiscord) -> list[Route]:
    async def me(request: web.Request, record: RecordedRequest) -> web.Response:
        return json_response(fake.bot_user)

    async def application(request: web.Request, record: RecordedRequest) -> web.Response:
        return json_response(fake.application)

    async def gateway_bot(request: web.Request, record: RecordedRequest) -> web.Response:
        limit = {"total": 1000, "remaining": 999, "reset_after": 86_400_000, "max_concurrency": 1}
        answer = {"url": fake.gateway_url.rstrip("/"), "shards": fake.recommended_shards, "session_start_limit": limit}
        return json_response(answer)

    return [
        ("GET", "/users/@me", me),
        ("GET", "/oauth2/applications/@me", application),
        ("GET", "/gateway/bot", gateway_bot),
    ]
