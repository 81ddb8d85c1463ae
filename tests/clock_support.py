"""One fake time for a simulator and a client, so no test waits on real time.

``tests/`` holds the root ``conftest.py``, so pytest puts this directory on ``sys.path`` and the
tests import this module as plain ``clock_support``.
"""

from __future__ import annotations

import asyncio
import time


class SharedClock:
    """One fake time for both sides: the simulator's epoch clock and the client's two clocks.

    The client's monotonic clock is the time elapsed since the start plus a constant, as a real
    one would be (kept small, so a pacer's sub-microsecond sleeps still move it on: an epoch
    float cannot hold them); ``sleep`` (the client's) moves time on instead of waiting.
    """

    def __init__(self, epoch: float | None = None) -> None:
        self.start = float(int(time.time())) if epoch is None else epoch
        self.elapsed = 0.0
        self.sleeps: list[float] = []

    def epoch(self) -> float:
        return self.start + self.elapsed

    def monotonic(self) -> float:
        return 1000.0 + self.elapsed

    def advance(self, seconds: float) -> None:
        self.elapsed += seconds

    async def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.advance(max(0.0, seconds))
        await asyncio.sleep(0)
