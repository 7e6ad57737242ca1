"""Flood control: the per-member window (discord.py's CooldownMapping) and the seen-message memory."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from cogs.flood import RateLimiter, SeenIds


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_rate_then_wait_then_allowed_again():
    clock = Clock()
    limiter = RateLimiter(2, 30, clock=clock)
    assert limiter.hit("a") == 0 and limiter.hit("a") == 0
    clock.now += 10
    assert limiter.hit("a") == 20  # the first hit leaves the window in 20 s
    assert limiter.hit("b") == 0  # per member
    clock.now += 20
    assert limiter.hit("a") > 0  # the window is 30 s from the first hit: at its very end, still refused
    clock.now += 0.5
    assert limiter.hit("a") == 0


def test_warn_once_per_flood():
    clock = Clock()
    limiter = RateLimiter(1, 30, clock=clock)
    limiter.hit("a")
    assert limiter.hit("a") > 0
    assert limiter.should_warn("a") is True
    assert limiter.should_warn("a") is False
    clock.now += 31
    assert limiter.hit("a") == 0
    assert limiter.hit("a") > 0
    assert limiter.should_warn("a") is True


def test_zero_seconds_means_no_limit():
    limiter = RateLimiter(1, 0)
    assert all(limiter.hit("a") == 0 for _ in range(100))


def test_members_whose_window_passed_are_forgotten():
    clock = Clock()
    limiter = RateLimiter(1, 10, clock=clock)
    for key in range(3):
        limiter.hit(key)
        limiter.hit(key)
        assert limiter.should_warn(key)
    clock.now += 11
    limiter.hit("new")
    assert len(limiter.buckets._cache) == 1  # the buckets whose window passed are gone, their warnings with them


@given(st.lists(st.integers(min_value=0, max_value=50), max_size=300))
def test_seen_ids_remember_the_most_recent(items):
    seen = SeenIds(size=20)
    recent: list[int] = []  # a model: the 20 ids most recently added or seen again
    for item in items:
        assert seen.add(item) is (item not in recent)
        if item in recent:
            recent.remove(item)
        recent = [*recent, item][-20:]
        assert len(seen) == len(recent)
    assert all(item in seen for item in recent)


def test_a_raid_costs_one_sweep_a_window_not_one_per_message(monkeypatch):
    """discord.py sweeps every bucket on each lookup; 2,000 members flooding would cost 2,000 scans of
    2,000 buckets per window. Here the buckets are swept once a window, and a refusal reuses its bucket."""
    from discord.ext import commands

    sweeps = []
    original = commands.CooldownMapping._verify_cache_integrity

    def counted(self, current=None):
        sweeps.append(len(self._cache))
        return original(self, current)

    monkeypatch.setattr(commands.CooldownMapping, "_verify_cache_integrity", counted)
    clock = Clock()
    limiter = RateLimiter(1, 10, clock=clock)
    for member in range(2000):
        for _ in range(3):
            if limiter.hit(member):
                limiter.should_warn(member)
        clock.now += 0.001
    assert len(sweeps) == 1
    clock.now += 10
    limiter.hit("later")
    assert len(sweeps) == 2 and len(limiter.buckets._cache) == 1
