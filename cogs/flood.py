"""Flood control for the Discord front end: a per-member question limit and "seen this message" memory."""

from __future__ import annotations

import time
from collections import OrderedDict
from collections.abc import Callable, Hashable

from discord.ext import commands


class _Bucket(commands.Cooldown):
    """discord.py's cooldown bucket, remembering whether its member was warned during this flood."""

    __slots__ = ("warned",)

    def __init__(self, rate: float, per: float) -> None:
        super().__init__(rate, per)
        self.warned = False


def _itself(key: Hashable) -> Hashable:
    return key


class _SweptMapping(commands.CooldownMapping[Hashable]):
    """discord.py's mapping, sweeping the buckets whose window has passed at most once a window.

    discord.py sweeps the whole cache on every lookup: during a raid by many accounts, each
    message would cost a scan of every member asking, on the event loop. Swept once per `per`
    seconds, the cache still holds only the members of the last two windows.
    """

    def __init__(self, original: commands.Cooldown, per: float) -> None:
        super().__init__(original, _itself)
        self._per = per
        self._swept = float("-inf")

    def _verify_cache_integrity(self, current: float | None = None) -> None:
        now = time.monotonic() if current is None else current
        if now - self._swept < self._per:
            return
        self._swept = now
        super()._verify_cache_integrity(now)


class RateLimiter:
    """At most `rate` questions per `per` seconds for each key: discord.py's `CooldownMapping` (the window opens at
    a member's first question and refills whole after `per` seconds), plus one warning per flood.

    `hit` says how long to wait (0 when allowed); `should_warn` is true once per flood,
    so a member hammering the bot gets one polite reply, not one per message. A member's
    bucket is dropped once its window has passed, so memory holds only the members asking now.
    The key is a member id, or (command, member id) for a cooldown of its own.
    """

    def __init__(self, rate: int, per: float, *, clock: Callable[[], float] = time.monotonic) -> None:
        self.rate, self.per, self.clock = rate, per, clock
        self.buckets: commands.CooldownMapping[Hashable] = _SweptMapping(_Bucket(rate, per), per)
        #: The bucket `hit` last counted, which `should_warn` (called right after a refusal) reuses.
        self._last: tuple[Hashable, _Bucket] | None = None

    def _bucket(self, key: Hashable, now: float) -> _Bucket:
        bucket = self.buckets.get_bucket(key, now)
        assert isinstance(bucket, _Bucket)  # the mapping copies its original, a _Bucket
        return bucket

    def hit(self, key: Hashable) -> float:
        """Count one question for `key`; 0.0 when allowed, else the seconds until it would be."""
        if self.per <= 0:
            return 0.0
        now = self.clock()
        bucket = self._bucket(key, now)
        self._last = (key, bucket)
        retry = bucket.update_rate_limit(now)
        if retry is None:
            bucket.warned = False
            return 0.0
        return max(retry, 0.01)

    def should_warn(self, key: Hashable) -> bool:
        """True the first time `key` is refused since it was last allowed."""
        last = self._last
        bucket = last[1] if last is not None and last[0] == key else self._bucket(key, self.clock())
        if bucket.warned:
            return False
        bucket.warned = True
        return True


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
