"""What the transport asks of a pacer: the local :class:`~._pacing.Pacer`, or the shared one.

``sent_at = await gate.acquire(deadline)`` before a request leaves (refused with
``RateLimitedError`` when it could not leave before ``deadline``, a clock time), then
``on_success`` or ``on_throttled`` with that ``sent_at``; the read-outs feed ``client.stats``.
A ``Retry-After`` pauses the gate for at most ``max_retry_after``. ``close()`` (the client
closes) wakes every waiter with ``TransportError``; ``open()`` (entered again) lets them wait again.
"""

from __future__ import annotations

from typing import Protocol

from ._ratelimit_headers import RateLimitHint

__all__ = ["Gate"]


class Gate(Protocol):
    async def acquire(self, deadline: float | None = None) -> float: ...

    def on_success(self, sent_at: float, hint: RateLimitHint | None = None) -> None: ...

    def on_throttled(self, sent_at: float, hint: RateLimitHint) -> None: ...

    def close(self) -> None: ...

    def open(self) -> None: ...

    @property
    def max_wait(self) -> float: ...

    @property
    def max_retry_after(self) -> float: ...

    @property
    def rate(self) -> float | None: ...

    @property
    def learnt_rate(self) -> float | None: ...

    @property
    def paused_seconds(self) -> float: ...

    @property
    def congestion_events(self) -> int: ...
