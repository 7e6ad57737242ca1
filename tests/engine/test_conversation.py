"""Each asker's last turn: kept per key, for a while, for a bounded number of askers."""

from __future__ import annotations

import threading

from engine.dialogue.conversation import FOLLOW_UP_SECONDS, Conversations
from engine.dialogue.followup import Turn


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def turn(words: str) -> Turn:
    return Turn(words=tuple(words.split()), answer="", lang="fr")


def test_a_turn_is_kept_per_key_until_its_time_is_up():
    clock = Clock()
    conversations = Conversations(ttl=60, clock=clock)
    conversations.put(("alice", 1), turn("qui dirige nissan"))
    assert conversations.get(("bob", 1)) is None
    clock.now = 60
    assert conversations.get(("alice", 1)) == turn("qui dirige nissan")  # 60 s is still in time
    clock.now = 60.5
    assert conversations.get(("alice", 1)) is None
    assert len(conversations) == 0  # an expired turn is removed when met, not kept for ever


def test_a_new_turn_replaces_the_last_and_restarts_its_time():
    clock = Clock()
    conversations = Conversations(ttl=60, clock=clock)
    conversations.put("alice", turn("qui dirige nissan"))
    clock.now = 50
    conversations.put("alice", turn("qui preside renault"))
    clock.now = 100
    assert conversations.get("alice") == turn("qui preside renault")
    assert len(conversations) == 1


def test_forget_drops_one_key_and_forgetting_an_unknown_one_is_harmless():
    conversations = Conversations()
    conversations.put("alice", turn("a"))
    conversations.put("bob", turn("b"))
    conversations.forget("alice")
    conversations.forget("carol")
    assert conversations.get("alice") is None and conversations.get("bob") == turn("b")


def test_past_the_capacity_the_one_that_spoke_least_recently_goes_first():
    conversations = Conversations(capacity=2)
    conversations.put("alice", turn("a"))
    conversations.put("bob", turn("b"))
    conversations.put("alice", turn("a again"))  # alice spoke again: bob is now the oldest
    conversations.put("carol", turn("c"))
    assert len(conversations) == 2
    assert conversations.get("bob") is None
    assert conversations.get("alice") == turn("a again") and conversations.get("carol") == turn("c")


def test_the_default_memory_is_a_few_minutes():
    assert Conversations().ttl == FOLLOW_UP_SECONDS == 300.0


def test_threads_putting_at_once_keep_the_bound():
    conversations = Conversations(capacity=50)

    def put_many(who: int) -> None:
        for n in range(500):
            conversations.put((who, n), turn("x"))

    threads = [threading.Thread(target=put_many, args=(who,)) for who in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(conversations) == 50
