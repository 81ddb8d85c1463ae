"""The error iLOQ adds to the core's tree, and the core's ``TlsError`` it names; everything else
the iLOQ client raises is a core error (``TransportError``, ``ServerError``,
``AmbiguousOutcomeError``, ``ResponseFormatError``)::

    LivionKeyError
    ├── AuthenticationError
    │   └── LoginError
    │       └── SessionRefusedError    CreateSession's Result was not 1 (``.result`` says why)
    └── TransportError
        └── TlsError                   the certificate could not be verified (never retried)
"""

from __future__ import annotations

from .._errors import LoginError, TlsError

__all__ = ["SessionRefusedError", "TlsError"]


class SessionRefusedError(LoginError):
    """``CreateSession`` answered with a ``Result`` other than 1 (success); ``result`` is that
    code (``None`` when the answer had none). The HTTP status was 2xx, so ``status`` is ``None``."""

    def __init__(self, message: str, *, result: int | None) -> None:
        super().__init__(message)
        self.result = result

    def __repr__(self) -> str:
        return f"SessionRefusedError(result={self.result!r}, message={self.message!r})"
