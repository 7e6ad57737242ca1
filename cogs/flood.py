"""Flood control for the Discord front end: a per-member question limit and "seen this message" memory."""

from __future__ import annotations

import time
from collections import OrderedDict, deque
from collections.abc import Callable, Hashable


class RateLimiter:
    """At most `rate` questions per `per` seconds for each key (a sliding window).

    `hit` says how long to wait (0 when allowed); `should_warn` is true once per flood,
    so a member hammering the bot gets one polite reply, not one per message.
    """

    def __init__(
        self, rate: int, per: float, *, clock: Callable[[], float] = time.monotonic, max_keys: int = 10_000
    ) -> None:
        self.rate, self.per, self.clock, self.max_keys = rate, per, clock, max_keys
        self._hits: dict[Hashable, deque[float]] = {}
        self._warned: set[Hashable] = set()

    def hit(self, key: Hashable) -> float:
        """Count one question for `key`; 0.0 when allowed, else the seconds until it would be."""
        if self.per <= 0:
            return 0.0
        now = self.clock()
        hits = self._hits.get(key)
        if hits is None:
            if len(self._hits) >= self.max_keys:
                self._forget(now)
            hits = self._hits[key] = deque(maxlen=self.rate)
        while hits and hits[0] <= now - self.per:
            hits.popleft()
        if len(hits) < self.rate:
            hits.append(now)
            self._warned.discard(key)
            return 0.0
        return max(hits[0] + self.per - now, 0.01)

    def should_warn(self, key: Hashable) -> bool:
        """True the first time `key` is refused since it was last allowed."""
        if key in self._warned:
            return False
        self._warned.add(key)
        return True

    def _forget(self, now: float) -> None:
        for key in [k for k, hits in self._hits.items() if not hits or hits[-1] <= now - self.per]:
            del self._hits[key]
            self._warned.discard(key)


class SeenIds:
    """The most recent ids seen (bounded), so no message is answered twice."""

    def __init__(self, size: int = 10_000) -> None:
        self.size = size
        self._ids: OrderedDict[int, None] = OrderedDict()

    def add(self, item: int) -> bool:
        """Remember `item`; False when it was already seen."""
        if item in self._ids:
            self._ids.move_to_end(item)
            return False
        self._ids[item] = None
        if len(self._ids) > self.size:
            self._ids.popitem(last=False)
        return True

    def __contains__(self, item: object) -> bool:
        return item in self._ids

    def __len__(self) -> int:
        return len(self._ids)
