"""A retry budget, so a dead or drowning server gets a fast, clear failure instead of a storm.

Per-request retry limits alone multiply the load on a failing server by the number of attempts.
This is gRPC's retry throttling: the budget holds up to ``max_tokens`` tokens, every retry costs
``retry_cost``, every success refunds ``success_refund``, and retries are allowed only while more
than ``threshold`` (half the bucket, by default) is left. A healthy client never notices; once
failures outnumber successes roughly ten to one, retries stop until successes refill it.
"""

from __future__ import annotations

__all__ = ["RetryBudget"]


class RetryBudget:
    """Token bucket that retries spend and successes refill (pure; no clock, no I/O)."""

    __slots__ = ("_max_tokens", "_retry_cost", "_success_refund", "_threshold", "_tokens")

    def __init__(
        self,
        *,
        max_tokens: float = 10.0,
        retry_cost: float = 1.0,
        success_refund: float = 0.1,
        threshold: float | None = None,
    ) -> None:
        if max_tokens <= 0:
            raise ValueError("max_tokens must be positive")
        if retry_cost < 0 or success_refund < 0:
            raise ValueError("retry_cost and success_refund must not be negative")
        self._max_tokens = float(max_tokens)
        self._retry_cost = float(retry_cost)
        self._success_refund = float(success_refund)
        self._threshold = self._max_tokens / 2 if threshold is None else float(threshold)
        self._tokens = self._max_tokens

    @property
    def tokens(self) -> float:
        """Tokens left now (between 0 and ``max_tokens``)."""
        return self._tokens

    @property
    def max_tokens(self) -> float:
        return self._max_tokens

    def can_retry(self) -> bool:
        """Whether a retry is allowed now (more than ``threshold`` tokens are left)."""
        return self._tokens > self._threshold

    def spend(self) -> None:
        """Pay for one retry (never below zero)."""
        self._tokens = max(0.0, self._tokens - self._retry_cost)

    def try_spend(self) -> bool:
        """Pay for one retry if one is allowed; say whether it was."""
        if not self.can_retry():
            return False
        self.spend()
        return True

    def refund(self) -> None:
        """Credit one success (never above ``max_tokens``)."""
        self._tokens = min(self._max_tokens, self._tokens + self._success_refund)

    def __repr__(self) -> str:
        return f"RetryBudget(tokens={self._tokens:g}/{self._max_tokens:g})"
