"""``SimClock``: the simulator's clock, which a test can move.

Everything in the simulator that depends on time (token expiry, the login throttle, the rate
limiter, "start time should be in the future", key events) reads this clock: the configured one
(``SimConfig.clock``, the wall clock by default) plus an offset. Moving it forward expires
tokens and puts contract windows in the past without sleeping; ``Simulator.reset`` puts it back.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from ._config import Clock
from ._wire import MAX_INSTANT, MIN_INSTANT

__all__ = ["SimClock"]


class SimClock:
    """Epoch seconds: the configured clock's, moved by ``advance`` and ``set``."""

    __slots__ = ("_base", "_offset")

    def __init__(self, base: Clock) -> None:
        self._base = base
        self._offset = 0.0

    def __call__(self) -> float:
        return self._base() + self._offset

    def __repr__(self) -> str:
        return f"<SimClock {self.now().isoformat()} (moved {self._offset:+.0f}s)>"

    def now(self) -> datetime:
        """The simulator's time now, in UTC."""
        return datetime.fromtimestamp(self(), UTC)

    def advance(self, by: float | timedelta) -> datetime:
        """Move the clock forward (or back, with a negative ``by``: seconds or a timedelta).
        ``ValueError`` if it would leave the years 1 to 9999 (or ``by`` is not a number)."""
        if isinstance(by, timedelta):
            seconds = by.total_seconds()
        elif isinstance(by, int | float) and not isinstance(by, bool):
            seconds = float(by) if abs(by) <= MAX_INSTANT - MIN_INSTANT else float("nan")
        else:
            raise ValueError(f"by must be seconds or a timedelta, not {type(by).__name__}")
        self._move(self._offset + seconds)
        return self.now()

    def set(self, moment: datetime) -> None:
        """Make it ``moment`` now (it then runs on from there)."""
        if moment.tzinfo is None:
            raise ValueError("moment must be timezone-aware (naive datetimes are ambiguous)")
        self._move(moment.timestamp() - self._base())

    def _move(self, offset: float) -> None:
        # The same check as a date in a request: a time the wire cannot write is refused.
        if not MIN_INSTANT <= self._base() + offset <= MAX_INSTANT:
            raise ValueError("the simulator's clock must stay within the years 1 to 9999")
        self._offset = offset

    def reset(self) -> None:
        """Back to the configured clock."""
        self._offset = 0.0
