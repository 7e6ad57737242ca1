"""The REST plumbing: every request under /api/v10 is read, recorded, checked for a fault or a wrong token,
handled, and answered with Discord's JSON errors and rate-limit headers.

Route handlers live with their resource (``messages``, ``commands``, ``callbacks``, ``session``); each takes the
aiohttp request and its ``RecordedRequest`` (the body already parsed, multipart included).
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import time
from collections.abc import Awaitable, Callable, Iterable, Mapping
from typing import TYPE_CHECKING, Any

from aiohttp import BodyPartReader, web
from aiohttp.typedefs import Middleware

from .limits import DiscordHTTPError
from .records import RecordedFile, RecordedRequest

if TYPE_CHECKING:
    from .server import FakeDiscord

API_PREFIX = "/api/v10"
Handler = Callable[[web.Request, RecordedRequest], Awaitable[web.StreamResponse]]
Route = tuple[str, str, Handler]  # method, path under /api/v10, handler

_RECORD = web.RequestKey("record", RecordedRequest)
_UNAUTHENTICATED = ("/interactions/", "/webhooks/")  # the interaction token is the credential


def json_response(data: Any, status: int = 200, headers: Mapping[str, str] | None = None) -> web.Response:
    # discord.py parses JSON only when Content-Type is exactly "application/json" (no charset).
    return web.Response(
        body=json.dumps(data).encode(),
        status=status,
        headers={"Content-Type": "application/json", **(headers or {})},
    )


def no_content() -> web.Response:
    return web.Response(status=204)


def as_int(value: Any) -> int:
    """An id from a path or a body; -1 (no such object) when it is not a number."""
    try:
        return int(value)
    except (TypeError, ValueError):
        return -1


def bucket(route: str) -> str:
    """A stable X-RateLimit-Bucket for a route."""
    return hashlib.sha1(route.encode(), usedforsecurity=False).hexdigest()[:16]


def build_app(fake: FakeDiscord, routes: Iterable[Route]) -> web.Application:
    """The aiohttp app: the gateway websocket at / and /resume, the REST routes under /api/v10."""
    app = web.Application(middlewares=[_middleware(fake)], client_max_size=64 * 1024 * 1024)
    app.router.add_get("/", fake.gateway.handle)
    app.router.add_get("/resume", fake.gateway.handle)
    for method, path, handler in routes:
        app.router.add_route(method, API_PREFIX + path, _with_record(handler))
    return app


def _with_record(handler: Handler) -> Callable[[web.Request], Awaitable[web.StreamResponse]]:
    async def handle(request: web.Request) -> web.StreamResponse:
        return await handler(request, request[_RECORD])

    return handle


def _middleware(fake: FakeDiscord) -> Middleware:
    @web.middleware
    async def middleware(
        request: web.Request, handler: Callable[[web.Request], Awaitable[web.StreamResponse]]
    ) -> web.StreamResponse:
        if not request.path.startswith(API_PREFIX):
            return await handler(request)  # the gateway websocket
        record = await _read_request(request)
        request[_RECORD] = record
        response: web.StreamResponse | None
        try:
            response = fake.faults.take(record)
            if response is None:
                _check_auth(record, fake.token)
                response = await handler(request)
        except DiscordHTTPError as exc:
            response = json_response(exc.body(), exc.status)
        except web.HTTPMethodNotAllowed:
            response = json_response({"message": "405: Method Not Allowed", "code": 0}, 405)
        except web.HTTPNotFound:
            response = json_response({"message": "404: Not Found", "code": 0}, 404)
        resource = request.match_info.route.resource
        record.route = resource.canonical[len(API_PREFIX) :] if resource is not None else None
        _finish(record, response)
        record.index = len(fake.requests)
        fake.requests.append(record)
        fake.notify()
        return response

    return middleware


def _finish(record: RecordedRequest, response: web.StreamResponse) -> None:
    """Record the answer, and give it the headers of a bucket far from its limit (a 429 brings its own)."""
    record.status = response.status
    body = getattr(response, "body", None)
    if isinstance(body, bytes) and body:
        with contextlib.suppress(ValueError):
            record.response = json.loads(body)
    if response.status != 429 and record.route is not None:
        reset_after = 1.0
        response.headers.update(
            {
                "X-RateLimit-Limit": "50",
                "X-RateLimit-Remaining": "49",
                "X-RateLimit-Reset": f"{time.time() + reset_after:.3f}",
                "X-RateLimit-Reset-After": f"{reset_after:.3f}",
                "X-RateLimit-Bucket": bucket(record.route),
            }
        )


async def _read_request(request: web.Request) -> RecordedRequest:
    body: Any = None
    files: list[RecordedFile] = []
    if request.content_type.startswith("multipart/"):
        reader = await request.multipart()
        async for part in reader:
            if not isinstance(part, BodyPartReader):
                continue  # a nested multipart: discord.py sends none
            data = await part.read()
            if part.name == "payload_json":
                body = json.loads(data)
            else:
                files.append(
                    RecordedFile(part.name or "", part.filename, part.headers.get("Content-Type"), bytes(data))
                )
    elif request.can_read_body:
        raw = await request.read()
        if raw:
            try:
                body = json.loads(raw)
            except ValueError:
                body = raw.decode(errors="replace")
    return RecordedRequest(
        index=-1,
        method=request.method,
        path=request.path[len(API_PREFIX) :],
        query=dict(request.query),
        headers=dict(request.headers),
        json=body,
        files=files,
    )


def _check_auth(record: RecordedRequest, token: str) -> None:
    if record.path.startswith(_UNAUTHENTICATED):
        return
    if record.headers.get("Authorization") != f"Bot {token}":
        raise DiscordHTTPError(401, 0, "401: Unauthorized")
