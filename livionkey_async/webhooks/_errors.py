"""The two ways a webhook delivery is refused: it is not authentic, or it is not JSON.

Both derive from the core's ``LivionKeyError``. Neither message ever holds a secret (signing
secret, shared key) nor anything from the body (which may hold a pincode or a code)::

    LivionKeyError
    ├── WebhookVerificationError   missing header, stale or future timestamp, bad signature/key
    └── WebhookPayloadError        the body is not JSON
"""

from __future__ import annotations

from typing import Literal

from .._errors import LivionKeyError

__all__ = ["VerificationFailure", "WebhookPayloadError", "WebhookVerificationError"]

VerificationFailure = Literal[
    "missing-header", "malformed-timestamp", "stale", "future", "bad-signature", "bad-key"
]


class WebhookVerificationError(LivionKeyError):
    """The delivery is not provably from Livion. ``reason`` names the check that failed."""

    def __init__(self, message: str, *, reason: VerificationFailure) -> None:
        super().__init__(message)
        self.reason: VerificationFailure = reason

    def __repr__(self) -> str:
        return f"WebhookVerificationError(reason={self.reason!r}, message={self.message!r})"


class WebhookPayloadError(LivionKeyError):
    """The delivery's body is not JSON (or not UTF-8 text)."""
