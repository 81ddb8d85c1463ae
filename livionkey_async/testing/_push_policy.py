"""Livion's delivery rules for webhooks: which answers end a delivery, and when to try again.

Pure, no I/O; the push (``_push``) follows them, with every delay multiplied by its
``time_scale``.

- **v2 (signed) subscriptions** (``webhooks.md``): any ``2xx`` delivers; anything else (a timeout,
  a connection error, any other status, a redirect, which is not followed) is tried again on a
  fixed schedule of up to 20 attempts over about 6 hours: 5 s, 15 s, 30 s, 1, 2, 5, 10, 15 and
  20 minutes, then every 30 minutes.
- **legacy** (``legacy/push-notification-service-events.md``): retried "with exponential backoff"
  on connection errors, ``5xx`` and ``429`` only; any other answer ends the delivery. The
  document gives no schedule. Assumed: 5 attempts, 5 s doubling (5, 10, 20, 40 s). The error
  codes it lists are the retry strategy of the Node ``requestretry`` library, whose default is 5
  attempts, 5 s apart.
"""

from __future__ import annotations

from .._events import Shape

__all__ = ["LEGACY_RETRY_DELAYS", "V2_RETRY_DELAYS", "delivered", "next_delay"]

V2_RETRY_DELAYS: tuple[float, ...] = (
    5.0, 15.0, 30.0, 60.0, 120.0, 300.0, 600.0, 900.0, 1200.0, *(1800.0,) * 10,
)  # fmt: skip
"""Seconds before attempts 2 to 20 of a v2 delivery."""

LEGACY_RETRY_DELAYS: tuple[float, ...] = (5.0, 10.0, 20.0, 40.0)
"""Seconds before attempts 2 to 5 of a legacy delivery (assumed)."""


def delivered(status: int | None) -> bool:
    """The answer marks the delivery successful."""
    return status is not None and 200 <= status < 300


def next_delay(shape: Shape, attempt: int, status: int | None) -> float | None:
    """Seconds to wait before trying again after ``attempt`` (1-based) was answered ``status``
    (``None``: no answer); ``None`` when the delivery ends: delivered, refused for good, or out
    of attempts."""
    if delivered(status):
        return None
    if shape == "legacy" and status is not None and status < 500 and status != 429:
        return None
    delays = V2_RETRY_DELAYS if shape == "v2" else LEGACY_RETRY_DELAYS
    return delays[attempt - 1] if attempt <= len(delays) else None
