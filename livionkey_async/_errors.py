"""The exception tree, and the one function that maps a LivionKey answer onto it.

LivionKey answers failures with a plain-text (sometimes JSON) message and no machine-readable
code, so the mapping from message to class lives here, in one table, and nowhere else::

    LivionKeyError
    ├── AuthenticationError            a token refused twice, or no access (401/403)
    │   └── LoginError                 the login itself was refused (wrong credentials)
    ├── ValidationError                bad input, refused before sending or by the server (400)
    │   └── UnsupportedDeviceError     an operation the automat does not support (a V1 key or
    │                                  contract call on a LivionKey20 or a keypad, a keypad
    │                                  call on an automat, "not supported", "Command not found")
    ├── NotFoundError                  unknown device, key, contract or locker
    ├── ConflictError                  the request clashes with existing state
    │   ├── ContractOverlapError       a contract on that private key overlaps in time
    │   ├── DuplicateContractError     the caller's contract_id is taken (by another contract)
    │   ├── DuplicateAccessRightError  the caller's access_right_id is taken (keypads)
    │   ├── DuplicateKeyError          a key with that key_id exists already
    │   ├── PincodeConflictError       the pincode is used by a live contract
    │   ├── NoFreeLockerError          the automat has no free locker (or the index is too big)
    │   └── SpecChangedError           a journal rerun: the item succeeded before with another
    │                                  spec (``fields`` names what differs); not sent again
    ├── DeviceBusyError                the automat is busy, reserved or in error: try later
    ├── RateLimitedError               429, or a pause longer than the client may wait
    ├── ServerError                    5xx
    ├── ResponseFormatError            a 2xx answer whose body is not what the API documents
    ├── TransportError                 the connection failed, timed out, or the call's deadline
    │   │                              passed
    │   ├── AmbiguousOutcomeError      a create may or may not have reached the server
    │   └── TlsError                   the certificate could not be verified (never retried)
    ├── StoreError                     the shared store (Redis) did not answer where nothing can
    │                                  go on without it: a shared journal at a job's start or end
    └── ApiError                       any other 4xx, with its status and message
        └── DeleteFailedError          "Delete contract failed": gone already, or stuck

Every error carries ``status`` (``None`` when nothing was answered) and the server's ``message``.
Messages never contain a credential: the server's text is passed through :func:`redact` first,
and only then cut to a short, readable length (:func:`message_of`), so a cut never shows half a
secret.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any
from urllib.parse import quote, quote_plus

if TYPE_CHECKING:
    from ._bulk import BulkReport

__all__ = [
    "AmbiguousOutcomeError",
    "ApiError",
    "AuthenticationError",
    "ConflictError",
    "ContractOverlapError",
    "DeleteFailedError",
    "DeviceBusyError",
    "DuplicateAccessRightError",
    "DuplicateContractError",
    "DuplicateKeyError",
    "LivionKeyError",
    "LoginError",
    "NoFreeLockerError",
    "NotFoundError",
    "PincodeConflictError",
    "RateLimitedError",
    "ResponseFormatError",
    "ServerError",
    "SpecChangedError",
    "StoreError",
    "TlsError",
    "TransportError",
    "UnsupportedDeviceError",
    "ValidationError",
    "error_from_response",
    "message_of",
    "redact",
]


class LivionKeyError(Exception):
    """Base of every error this library raises."""

    def __init__(self, message: str, *, status: int | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.status = status

    def __str__(self) -> str:
        return self.message if self.status is None else f"{self.status}: {self.message}"

    def __repr__(self) -> str:
        return f"{type(self).__name__}(status={self.status!r}, message={self.message!r})"


class AuthenticationError(LivionKeyError):
    """The credentials were refused, or the token was refused twice in a row."""


class LoginError(AuthenticationError):
    """The login itself was refused: wrong credentials, or a malformed login.

    Unlike a 401 on one resource (which may mean "no access to that one"), nothing more can be
    done with this client until its credentials change: bulk jobs stop on it.
    """


class ValidationError(LivionKeyError):
    """The request is malformed: found locally before sending, or answered 400 by the server."""


class UnsupportedDeviceError(ValidationError):
    """An operation the automat does not support: a V1 key or contract call on a LivionKey20 or
    a keypad, a keypad call on a key automat, or the server's ``not supported`` /
    ``Command not found`` / ``Device is not a keypad``."""


class NotFoundError(LivionKeyError):
    """The device, key, contract or locker does not exist (or this account cannot see it)."""


class ConflictError(LivionKeyError):
    """The request clashes with state that already exists on the server."""


class ContractOverlapError(ConflictError):
    """Another contract on the same private key overlaps this one in time."""


class DuplicateContractError(ConflictError):
    """The caller's ``contract_id`` is already used, by a contract that is not this one."""


class DuplicateAccessRightError(ConflictError):
    """The caller's ``access_right_id`` is taken (the keypad's ``AccessId already in use``)."""


class DuplicateKeyError(ConflictError):
    """A key with that ``key_id`` exists already."""


class PincodeConflictError(ConflictError):
    """The requested pincode is already used by a live contract."""


class NoFreeLockerError(ConflictError):
    """The automat has no free locker, or the requested locker index does not exist."""


class SpecChangedError(ConflictError):
    """A bulk rerun's journal shows this item done by an earlier run with a different spec.

    ``fields`` names the fields that differ (our names: ``start``, ``end``, ``pincode``, ...),
    never their values. The item is not sent again: what the server holds is what the earlier
    run sent. Change it on purpose (``update_contracts``, or a job without this journal).
    """

    def __init__(self, message: str, *, fields: tuple[str, ...], status: int | None = None):
        super().__init__(message, status=status)
        self.fields = fields


class DeviceBusyError(LivionKeyError):
    """The automat is busy, reserved or reports an error: the same request may work later."""


class RateLimitedError(LivionKeyError):
    """The server throttled us, and waiting it out would exceed what the caller allowed."""

    def __init__(
        self, message: str, *, status: int | None = 429, retry_after: float | None = None
    ) -> None:
        super().__init__(message, status=status)
        self.retry_after = retry_after


class ServerError(LivionKeyError):
    """The server failed (5xx)."""


class ResponseFormatError(LivionKeyError):
    """The server answered success with a body this library cannot read as documented."""


class TransportError(LivionKeyError):
    """No usable answer arrived: the connection failed, dropped or timed out."""


class TlsError(TransportError):
    """The server's TLS certificate could not be verified (never retried, never bypassed)."""


class AmbiguousOutcomeError(TransportError):
    """A non-idempotent write may or may not have been applied by the server.

    Raised instead of blindly re-sending ``POST /contracts`` or ``POST /keys``; ``method`` and
    ``path`` say which request it was. The bulk helpers resolve it by looking the object up.
    """

    def __init__(self, message: str, *, method: str, path: str, status: int | None = None) -> None:
        super().__init__(message, status=status)
        self.method = method
        self.path = path


class StoreError(LivionKeyError):
    """The shared store (``store=``, a ``RedisStore``) did not answer, or answered nonsense,
    where the work cannot go on without it: a bulk job's shared journal could not be read at
    the start, or kept lines it never took at the end. Requests themselves never fail for it (a
    client carries on alone). The message names no secret and holds no Redis command.

    ``report``: raised at the end of a bulk helper that returns a report, the job's
    ``BulkReport`` (every item: what was created, with its ids, is there even though the journal
    does not know it); ``None`` when the journal failed before any item."""

    report: BulkReport[Any, Any] | None = None


class ApiError(LivionKeyError):
    """Any other 4xx answer, with its status and message."""


class DeleteFailedError(ApiError):
    """The server could not delete (``Delete contract failed``, ``Delete accessRight failed``).

    Livion documents no other answer for deleting what does not exist, so the client looks the
    object up before raising this: gone is reported as deleted (after an ambiguous attempt) or as
    ``NotFoundError``; this error means the object is still there.
    """


# Known server messages (lower-cased, matched as prefixes) and the class each maps to. The spec's
# "Errors in general" table, in one place.
_MESSAGES: tuple[tuple[str, type[LivionKeyError]], ...] = (
    ("firebase: error (auth/", AuthenticationError),
    ("no token provided", AuthenticationError),
    ("too many login attempts", RateLimitedError),
    ("device not found", NotFoundError),
    ("no such device", NotFoundError),
    ("no such key", NotFoundError),
    ("keyid not found", NotFoundError),
    ("device keys not found", NotFoundError),
    ("contract not found", NotFoundError),
    ("locker not found", NotFoundError),
    ("accessright not found", NotFoundError),
    ("accesrights not found", NotFoundError),  # sic: the keypad reference's spelling
    ("accessrights not found", NotFoundError),
    ("contractid already in use", DuplicateContractError),
    ("accessid already in use", DuplicateAccessRightError),
    ("key already exists with that keyid", DuplicateKeyError),
    ("overlapping contract existing", ContractOverlapError),
    ("overlapping accessright existing", ContractOverlapError),
    ("pincode already used", PincodeConflictError),
    ("no free lockers", NoFreeLockerError),
    ("lockerindex is too big", NoFreeLockerError),
    ("locker index is too big", NoFreeLockerError),
    ("malformed locker index", ValidationError),
    ("device busy", DeviceBusyError),
    ("device error", DeviceBusyError),
    ("device is reserved", DeviceBusyError),
    ("device is not a keypad", UnsupportedDeviceError),
    ("not supported", UnsupportedDeviceError),
    ("command not found", UnsupportedDeviceError),
    ("delete contract failed", DeleteFailedError),
    ("delete accessright failed", DeleteFailedError),
    ("start time should be", ValidationError),
    ("missing ", ValidationError),
    ("body is required", ValidationError),
    ("no devices", ValidationError),
)
_REQUIRED = re.compile(r"^\w+ is required")

# A JSON string (escapes included; unterminated where a body was cut), an array of them, or a
# number: the value of a secret field in echoed JSON.
_JSON_STRING = r'"(?:[^"\\]|\\.)*(?:"|\\?$)'
_JSON_VALUE = rf"{_JSON_STRING}|\[(?:[^\]\"]|{_JSON_STRING})*(?:\]|$)|-?\d[\d.eE+-]*"
# Anything that looks like a bearer token, a JWT, a PEM private key, a secret field in echoed
# JSON (a password, token, pincode or pincodes, key code, backup codes, private key), or a code
# named in words ("Pincode 123456 already used", "backup codes: 1234, 5678").
_SECRETISH = re.compile(
    r"(bearer\s+)\S+"
    r"|eyJ[\w-]+\.[\w-]+\.[\w-]*"
    r"|-----BEGIN [A-Z ]*PRIVATE KEY-----.*?(?:-----END [A-Z ]*PRIVATE KEY-----|$)"
    r'|("(?:password|token|(?:installation)?pincodes?|keyCode|backupCodes?|privateKey)"\s*:\s*)'
    rf"(?:{_JSON_VALUE})"
    r"|(\b(?:pin ?codes?|pins?|backup ?codes?|key ?codes?|access ?codes?)\W{1,3})"
    r"\d{3,}(?:[,; ]+\d{3,})*",
    re.IGNORECASE | re.DOTALL,
)

# How much of a message is shown, how much of a text is searched for it, and the largest JSON
# error body read for its message field.
MAX_MESSAGE = 300
_SCAN = 64 * 1024
_PARSE = 4 * 1024 * 1024
_HTML_TITLE = re.compile(r"<title[^>]*>(.*?)</title", re.IGNORECASE | re.DOTALL)


def secret_forms(secret: str) -> tuple[str, ...]:
    """``secret`` as a server may send it back: as it is, JSON-escaped (with and without
    non-ASCII escapes) and URL-encoded; longest first, so no form is half-replaced by another."""
    forms = {
        secret,
        json.dumps(secret)[1:-1],
        json.dumps(secret, ensure_ascii=False)[1:-1],
        quote(secret, safe=""),
        quote_plus(secret, safe=""),
    }
    return tuple(sorted(forms, key=len, reverse=True))


def redact(text: str, known: Iterable[str] = ()) -> str:
    """Hide anything in ``text`` that looks like a credential, and every ``known`` secret in
    every form it may come back in (the client's own password and tokens, a request's pincodes,
    should the server echo them), so it can be shown."""
    for secret in known:
        if len(secret) >= 4:
            for form in secret_forms(secret):
                text = text.replace(form, "[redacted]")

    def _hide(match: re.Match[str]) -> str:
        prefix = match.group(1) or match.group(2) or match.group(3) or ""
        return f"{prefix}[redacted]" if prefix else "[redacted]"

    return _SECRETISH.sub(_hide, text)


def shown(text: str, known: Sequence[str] = ()) -> str:
    """Server text as an error may show it: redacted first, then on one line and cut to
    ``MAX_MESSAGE`` characters (an HTML page by its title). Only the first 64 KiB are looked at;
    when the text is longer, what could hold part of a known secret cut in two is dropped too."""
    cut = len(text) > _SCAN
    text = redact(text[:_SCAN] if cut else text, known)
    if cut:
        longest = max((len(f) for s in known for f in secret_forms(s)), default=0)
        text = text[: max(0, len(text) - longest)]
    text = " ".join(text.split())
    if text.startswith("<"):
        title = _HTML_TITLE.search(text)
        named = " ".join(title.group(1).split())[:100] if title else ""
        text = f"(an HTML page: {named})" if named else "(an HTML page)"
    if len(text) > MAX_MESSAGE:
        text = text[: MAX_MESSAGE - 1] + "…"
    return text


def message_of(
    body: str, known: Iterable[str] = (), *, fields: Sequence[str] = ("message", "error")
) -> str:
    """The human message in an error body: JSON ``{"message": ...}`` (a string, or a list of
    them), ``{"error": ...}`` (``fields``, in order, their names in any case), a JSON string, or
    the plain text itself; secrets redacted, then cut short (:func:`shown`)."""
    known = tuple(known)
    text = body.strip()
    if text.startswith("{") and len(text) <= _PARSE:
        try:
            data = json.loads(text)
        except (ValueError, RecursionError):
            data = None
        if isinstance(data, Mapping):
            named = {str(name).lower(): value for name, value in data.items()}
            for field in fields:
                found = named.get(field.lower())
                if isinstance(found, list) and found and all(isinstance(m, str) for m in found):
                    found = "; ".join(found)  # a validation failure's list (API v2)
                if isinstance(found, str):
                    return shown(found, known) or "(no message)"
    if text.startswith('"') and text.endswith('"') and len(text) <= _PARSE:
        try:
            decoded = json.loads(text)
        except (ValueError, RecursionError):
            decoded = None
        if isinstance(decoded, str):
            text = decoded
    return shown(text, known) or "(no message)"


def error_from_response(
    status: int,
    body: str,
    *,
    retry_after: float | None = None,
    known: Iterable[str] = (),
    overrides: Mapping[str, type[LivionKeyError]] | None = None,
) -> LivionKeyError:
    """Map one non-2xx answer (status and body text) to the matching typed error.

    ``known``: secrets to scrub from the message should the server echo them. ``overrides``:
    what a message (a lower-case prefix) means on this endpoint, checked before the table.
    """
    message = message_of(body, known)
    # Matched without what was redacted: "Pincode [redacted] already used" is still that.
    lowered = message.lower().replace("[redacted] ", "")
    if overrides and status < 500:
        for prefix, cls in overrides.items():
            if lowered.startswith(prefix):
                return cls(message, status=status)
    if status == 429:
        return RateLimitedError(message, status=status, retry_after=retry_after)
    if status >= 500:
        return ServerError(message, status=status)
    if status in (401, 403):
        return AuthenticationError(message, status=status)
    for prefix, cls in _MESSAGES:
        if lowered.startswith(prefix):
            if cls is RateLimitedError:
                return RateLimitedError(message, status=status, retry_after=retry_after)
            return cls(message, status=status)
    if status == 404:
        return NotFoundError(message, status=status)
    if status == 409:
        return ConflictError(message, status=status)
    if status == 400 and _REQUIRED.match(lowered):
        return ValidationError(message, status=status)
    return ApiError(message, status=status)
