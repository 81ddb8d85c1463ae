"""The per-account rate limit: a token bucket per account, and the settings it runs with.

LivionKey publishes no limit, so a client must discover one; the simulator imposes a known one
(off unless configured) and can change it live, so that discovery can be tested. Pure, driven by
the injected clock.
"""

from __future__ import annotations

import math
from typing import Protocol

from attrs import define, frozen

from . import _knobs as knobs
from ._config import Clock
from ._wire import JSONObj

__all__ = ["RateDecision", "RateLimiter", "RateSettings", "TokenBucket", "checked_settings"]


class RateSettings(Protocol):
    """The configured limit (``SimConfig``, or the API v2 simulator's ``V2SimConfig``)."""

    @property
    def rate(self) -> float | None: ...

    @property
    def burst(self) -> int | None: ...

    @property
    def rate_limit_headers(self) -> bool: ...


@frozen
class RateDecision:
    """The token bucket's answer for one request, with what the optional headers report."""

    allowed: bool
    limit: int
    remaining: int
    reset: int
    retry_after: int
    window: int


@define
class TokenBucket:
    """``rate`` tokens per second up to ``burst``; one request takes one token."""

    rate: float
    burst: int
    tokens: float
    updated: float

    def take(self, now: float) -> RateDecision:
        self.tokens = min(float(self.burst), self.tokens + max(0.0, now - self.updated) * self.rate)
        self.updated = now
        allowed = self.tokens >= 1.0
        if allowed:
            self.tokens -= 1.0
        retry_after = 0 if allowed else max(1, math.ceil((1.0 - self.tokens) / self.rate))
        return RateDecision(
            allowed=allowed,
            limit=self.burst,
            remaining=int(self.tokens),
            reset=max(0, math.ceil((self.burst - self.tokens) / self.rate)),
            retry_after=retry_after,
            window=max(1, math.ceil(self.burst / self.rate)),
        )


class RateLimiter:
    """One bucket per account; ``rate=None`` means no limit."""

    def __init__(self, config: RateSettings, clock: Clock) -> None:
        self._config = config
        self._clock = clock
        self.reset()

    def reset(self) -> None:
        """Back to the configured limit, every bucket full again."""
        self.rate: float | None = self._config.rate
        self.burst: int | None = self._config.burst
        self.headers = self._config.rate_limit_headers
        self._buckets: dict[str, TokenBucket] = {}

    def configure(
        self, rate: float | None, burst: int | None = None, *, headers: bool | None = None
    ) -> None:
        """Change the per-account token bucket live (``rate=None`` turns it off); a value out of
        range (``knobs``) is a ``ValueError`` and changes nothing."""
        rate, burst, headers = checked_settings(rate, burst, headers)
        self.rate = rate
        self.burst = burst
        if headers is not None:
            self.headers = headers
        self._buckets.clear()

    def settings(self) -> JSONObj:
        return {"rate": self.rate, "burst": self.effective_burst(), "headers": self.headers}

    def effective_burst(self) -> int | None:
        if self.rate is None:
            return self.burst
        return self.burst if self.burst is not None else max(1, math.ceil(self.rate))

    def check(self, account: str) -> RateDecision | None:
        """Take one token from the account's bucket; ``None`` when there is no limit."""
        burst = self.effective_burst()
        if self.rate is None or burst is None:
            return None
        now = self._clock()
        bucket = self._buckets.get(account)
        if bucket is None:
            bucket = self._buckets[account] = TokenBucket(self.rate, burst, float(burst), now)
        return bucket.take(now)


def checked_settings(
    rate: object, burst: object, headers: object
) -> tuple[float | None, int | None, bool | None]:
    """A rate limit's settings (from Python or the control plane's JSON), checked: ``None``
    leaves one unset; anything out of range (``knobs``) is a ``ValueError``."""
    if headers is not None and not isinstance(headers, bool):
        raise ValueError("headers must be a boolean")
    if rate is not None:
        rate = knobs.number("rate", rate, low=0, high=knobs.MAX_RATE, open_low=True)
    if burst is not None:
        burst = knobs.integer("burst", burst, low=1)
    return rate, burst, headers
