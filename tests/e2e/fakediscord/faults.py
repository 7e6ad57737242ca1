"""REST fault injection: the next matching requests get a 429 that discord.py retries, the way Discord sends it."""

from __future__ import annotations

import math
import time
from dataclasses import dataclass
from typing import Any

from aiohttp import web

from .http import bucket, json_response
from .records import RecordedRequest


@dataclass
class Fault:
    method: str | None
    path: str  # a pattern: ``{...}`` matches one segment
    remaining: int
    status: int
    body: dict[str, Any]
    headers: dict[str, str]


class Faults:
    """The faults waiting for their requests; ``take`` answers a request with the first one that matches."""

    def __init__(self) -> None:
        self.pending: list[Fault] = []

    def rate_limit(self, method: str | None, path: str, *, times: int = 1, retry_after: float = 0.05) -> None:
        """The next ``times`` matching requests get 429 with ``retry_after``. The ``Via`` header matters: without
        it discord.py takes a 429 for a Cloudflare ban and does not retry."""
        reset = time.time() + retry_after
        headers = {
            "Via": "1.1 google",
            "Retry-After": str(max(1, math.ceil(retry_after))),
            "X-RateLimit-Limit": "5",
            "X-RateLimit-Remaining": "0",
            "X-RateLimit-Reset": f"{reset:.3f}",
            "X-RateLimit-Reset-After": f"{retry_after:.3f}",
            "X-RateLimit-Bucket": bucket(path),
            "X-RateLimit-Scope": "user",
        }
        body = {"message": "You are being rate limited.", "retry_after": retry_after, "global": False, "code": 0}
        self.pending.append(Fault(method and method.upper(), path, times, 429, body, headers))

    def take(self, record: RecordedRequest) -> web.Response | None:
        for fault in self.pending:
            if fault.remaining > 0 and record.matches(fault.method, fault.path):
                fault.remaining -= 1
                return json_response(fault.body, fault.status, fault.headers)
        return None
