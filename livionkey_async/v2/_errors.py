"""How API v2 answers failures, mapped onto the core's exception tree.

V1 needs a table of message prefixes because its errors are free text; v2 answers with a status
that says what failed and a JSON body (assumed NestJS-style ``{"statusCode", "message", "error"}``,
``message`` a string or a list of them). So the mapping is by status, the message is read from
the body, and what an operation documents for its 4xx (a 409 on one path is "no keys available",
on another a taken id) is named by the resource that sent it (``_resource.Api``). A 409 that
says "overlap" is a ``ContractOverlapError`` wherever it comes from. Two classes are
added to the tree for what only v2 says::

    ConflictError
    ├── NoKeysAvailableError   no automat (of the one or of the group) has the keys asked for
    └── ContractInUseError     a contract cannot be deleted: a key is out (fetched, not returned)
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from .._errors import (
    ApiError,
    AuthenticationError,
    ConflictError,
    ContractOverlapError,
    LivionKeyError,
    NotFoundError,
    RateLimitedError,
    ServerError,
    ValidationError,
    message_of,
)

__all__ = [
    "ContractInUseError",
    "NoKeysAvailableError",
    "error_from_v2",
    "is_generic",
]


class NoKeysAvailableError(ConflictError):
    """No automat has the number of keys the contract asks for, over its whole time."""


class ContractInUseError(ConflictError):
    """The contract cannot be deleted now: a key has been fetched and not yet returned (or, for
    fetch- and return-only contracts, some keys are done while others still wait)."""


_BY_STATUS: Mapping[int, type[LivionKeyError]] = {
    400: ValidationError,
    401: AuthenticationError,
    403: AuthenticationError,
    404: NotFoundError,
    409: ConflictError,
    422: ValidationError,
}


def error_from_v2(
    status: int,
    body: str,
    *,
    retry_after: float | None = None,
    known: Iterable[str] = (),
    overrides: Mapping[str, type[LivionKeyError]] | None = None,
) -> LivionKeyError:
    """Map one non-2xx v2 answer to the typed error (the transport's ``error_mapper``).
    ``overrides``: what a message (a lower-case prefix) means on this call, checked first."""
    message = message_of(body, known)
    if overrides and status < 500:
        lowered = message.lower()
        for prefix, cls in overrides.items():
            if lowered.startswith(prefix):
                return cls(message, status=status)
    if status == 429:
        return RateLimitedError(message, status=status, retry_after=retry_after)
    if status >= 500:
        return ServerError(message, status=status)
    if status == 409 and "overlap" in message.lower():
        # Documented on one path ("Overlapping contract"), and the same clash on any other.
        return ContractOverlapError(message, status=status)
    return _BY_STATUS.get(status, ApiError)(message, status=status)


def is_generic(error: LivionKeyError) -> bool:
    """Whether ``error`` is only what its status says (an operation may know better)."""
    return type(error) is _BY_STATUS.get(error.status or 0, ApiError)
