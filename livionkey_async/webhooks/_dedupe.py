"""At-least-once made effectively once: which deliveries were handled already.

Livion retries a delivery until it gets a 2xx (the same ``webhook-id`` each time), and may deliver
twice anyway. A delivery is *claimed* before it is handled, *completed* once the application has
it, and *released* if handling failed, so a failed delivery is never taken for a handled one and
Livion's retry is handled again. A claim that is still pending (a slow handler) is neither: the
duplicate is answered "try later". The store is a protocol of three async calls so a shared store
(Redis: ``SET key pending NX PX lease``, ``SET key done PX ttl``, ``DEL key``) can serve several
workers; :class:`InMemoryDedupeStore` serves one process, bounded in size, with a TTL.
"""

from __future__ import annotations

import time
from collections import OrderedDict
from collections.abc import Callable
from typing import Literal, Protocol

from .._arguments import check_callable, check_int, check_number

__all__ = ["Claim", "DedupeStore", "InMemoryDedupeStore"]

Claim = Literal["new", "pending", "done"]
"""``new``: handle it (the key is now pending); ``pending``: being handled elsewhere, try later;
``done``: handled already, a duplicate."""


class DedupeStore(Protocol):
    """Where a receiver remembers deliveries. Keys are ``webhook-id`` values or body digests."""

    async def claim(self, key: str) -> Claim:
        """Atomically mark ``key`` pending if it is unknown; say what it was."""
        ...

    async def complete(self, key: str) -> None:
        """``key`` was handled: remember it as done (for the store's TTL)."""
        ...

    async def release(self, key: str) -> None:
        """Handling ``key`` failed: forget the claim, so a retry is handled again."""
        ...


class InMemoryDedupeStore:
    """A :class:`DedupeStore` in this process's memory.

    ``ttl``: seconds a handled key is remembered (default 24 h: Livion retries for about 6 h).
    ``pending_ttl``: seconds a claim holds if it is never completed nor released (a handler that
    hung). ``max_entries``: the oldest keys are forgotten beyond it, so memory stays bounded.
    ``clock``: monotonic seconds, injectable for tests.
    """

    __slots__ = ("_clock", "_entries", "max_entries", "pending_ttl", "ttl")

    def __init__(
        self,
        *,
        ttl: float = 24 * 3600.0,
        pending_ttl: float = 300.0,
        max_entries: int = 100_000,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        check_number("ttl", ttl, positive=True)
        check_number("pending_ttl", pending_ttl, positive=True)
        check_int("max_entries", max_entries, low=1)
        check_callable("clock", clock)
        self.ttl = ttl
        self.pending_ttl = pending_ttl
        self.max_entries = max_entries
        self._clock = clock
        # key -> (done?, expires at); kept in the order keys were last written.
        self._entries: OrderedDict[str, tuple[bool, float]] = OrderedDict()

    def __len__(self) -> int:
        return len(self._entries)

    async def claim(self, key: str) -> Claim:
        now = self._clock()
        entry = self._entries.get(key)
        if entry is not None and entry[1] > now:
            return "done" if entry[0] else "pending"
        self._put(key, done=False, expires=now + self.pending_ttl)
        return "new"

    async def complete(self, key: str) -> None:
        self._put(key, done=True, expires=self._clock() + self.ttl)

    async def release(self, key: str) -> None:
        self._entries.pop(key, None)

    def _put(self, key: str, *, done: bool, expires: float) -> None:
        self._entries[key] = (done, expires)
        self._entries.move_to_end(key)
        now = self._clock()
        while self._entries:
            oldest, (_, oldest_expires) = next(iter(self._entries.items()))
            if len(self._entries) <= self.max_entries and oldest_expires > now:
                break
            del self._entries[oldest]
