"""A few minutes' memory of each asker's previous question, bounded in size and in time.

Keyed by whatever the front end calls one conversation (a member in a channel, a console
session, an `ask --json` session id). Kept in memory only: a restart forgets, which is what
a member expects of "et renault ?" asked an hour later.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Hashable

from engine.dialogue.followup import Turn

#: How long a previous question stays the context of the next one.
FOLLOW_UP_SECONDS = 300.0
#: Conversations remembered at most; the least recently used is forgotten first.
MAX_CONVERSATIONS = 10_000


class Conversations:
    """The last turn of each conversation; thread-safe, as answers may be computed off the event loop."""

    def __init__(
        self,
        *,
        ttl: float = FOLLOW_UP_SECONDS,
        capacity: int = MAX_CONVERSATIONS,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.ttl = ttl
        self.capacity = capacity
        self._clock = clock
        self._turns: OrderedDict[Hashable, tuple[float, Turn]] = OrderedDict()
        self._lock = threading.Lock()

    def __len__(self) -> int:
        return len(self._turns)

    def get(self, key: Hashable) -> Turn | None:
        """The conversation's last turn, if it is recent enough."""
        with self._lock:
            entry = self._turns.get(key)
            if entry is None:
                return None
            at, turn = entry
            if self._clock() - at > self.ttl:
                del self._turns[key]
                return None
            return turn

    def put(self, key: Hashable, turn: Turn) -> None:
        with self._lock:
            self._turns[key] = (self._clock(), turn)
            self._turns.move_to_end(key)
            while len(self._turns) > self.capacity:
                self._turns.popitem(last=False)

    def forget(self, key: Hashable) -> None:
        with self._lock:
            self._turns.pop(key, None)
