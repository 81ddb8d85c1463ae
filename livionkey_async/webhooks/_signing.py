"""Standard Webhooks signatures (API v2 deliveries) and the legacy shared-secret header.

The signed content is ``{webhook-id}.{webhook-timestamp}.{raw body}``, the key is the secret
without its ``whsec_`` prefix, base64-decoded, and ``webhook-signature`` is a space-separated list
of ``v1,<base64 HMAC-SHA256>``. Written with ``hmac``/``hashlib`` rather than the
``standardwebhooks`` package, whose 1.1.0 release decodes the body as UTF-8 text, raises
``ValueError``/``binascii.Error`` (not its own error) on a malformed signature entry, takes one
secret, and reads the wall clock with a fixed 5-minute tolerance, so neither a clock nor a
tolerance can be injected. The tests check that package accepts what :func:`sign` produces.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import re
import secrets
import time
from collections.abc import Callable, Iterable, Mapping, Sequence

from .._arguments import as_texts, check_callable, check_int, check_number, check_text, type_name
from .._errors import ValidationError
from ._errors import WebhookVerificationError

__all__ = [
    "DEFAULT_TOLERANCE",
    "SignatureHeaders",
    "decode_secret",
    "header",
    "new_message_id",
    "sign",
    "signing_keys",
    "verify_api_key",
    "verify_signature",
]

DEFAULT_TOLERANCE = 300.0
"""Seconds a ``webhook-timestamp`` may differ from now, either way (Livion suggests 5 minutes)."""

SignatureHeaders = dict[str, str]
_PREFIX = "whsec_"
_ID = re.compile(r"[\x21-\x2d\x2f-\x7e]+")  # printable ASCII, no dot or space
_TIMESTAMP = re.compile(r"\d{1,12}(?:\.\d+)?", re.ASCII)
_MAX_TIMESTAMP = 10**12 - 1  # what a receiver reads back (``_TIMESTAMP``: at most 12 digits)

Secrets = str | bytes | Sequence[str | bytes]


def decode_secret(secret: str | bytes, name: str = "secret") -> bytes:
    """The HMAC key of a ``whsec_<base64>`` secret (the prefix is optional; ``bytes`` are taken
    as the key itself). A secret that is not base64 is a ``ValidationError`` that names the
    argument (``name``) and never shows the secret."""
    if isinstance(secret, bytes):
        key = secret
    elif not isinstance(secret, str):
        raise ValidationError(f"{name} must be a string, not {type(secret).__name__}")
    else:
        text = secret.strip().removeprefix(_PREFIX)
        try:
            key = base64.b64decode(text + "=" * (-len(text) % 4), validate=True)
        except (binascii.Error, ValueError):
            raise ValidationError(f"{name} is not a whsec_<base64> signing secret") from None
    if not key:
        raise ValidationError(f"{name} is an empty signing secret")
    return key


def signing_keys(secret: Secrets, *, required: bool = True, name: str = "secret") -> list[bytes]:
    """The HMAC keys of one secret or several (``required``: at least one); ``name``: the
    argument's, for the ``ValidationError``."""
    if isinstance(secret, str | bytes):
        items: Iterable[str | bytes] = (secret,)
    elif isinstance(secret, Iterable):
        items = secret
    else:
        raise ValidationError(f"{name} must be a string or several, not {type(secret).__name__}")
    keys = [decode_secret(item, name) for item in items]
    if required and not keys:
        raise ValidationError("no webhook signing secret given")
    return keys


def _mac(key: bytes, msg_id: str, timestamp: str, body: bytes) -> bytes:
    # Headers that were not UTF-8 arrive as surrogate escapes: signed as the bytes they were.
    prefix = f"{msg_id}.{timestamp}.".encode("utf-8", "surrogateescape")
    return hmac.new(key, prefix + body, hashlib.sha256).digest()


def new_message_id() -> str:
    """A fresh ``webhook-id``: ``msg_`` and 32 random hex digits."""
    return f"msg_{secrets.token_hex(16)}"


def sign(
    body: bytes,
    secret: Secrets,
    *,
    msg_id: str | None = None,
    timestamp: int | None = None,
    event_type: str | None = None,
    clock: Callable[[], float] = time.time,
) -> SignatureHeaders:
    """The Standard Webhooks headers to send ``body`` with, signed by every secret given.

    ``msg_id``: the delivery's ``webhook-id``, the same on every retry (a fresh one if omitted);
    ``timestamp``: Unix seconds of this attempt (``clock()`` if omitted); ``event_type`` adds
    ``webhook-event-type``. Strict in what it sends: an id with a dot or a space is refused.
    """
    _check_body(body)
    msg_id = new_message_id() if msg_id is None else msg_id
    if not isinstance(msg_id, str) or not _ID.fullmatch(msg_id):
        raise ValidationError("msg_id (webhook-id) must be printable ASCII, without dots or spaces")
    check_int("timestamp", timestamp, high=_MAX_TIMESTAMP, optional=True)
    check_text("event_type", event_type)
    check_callable("clock", clock)
    stamp = str(int(clock()) if timestamp is None else timestamp)
    signatures = " ".join(
        "v1," + base64.b64encode(_mac(key, msg_id, stamp, body)).decode("ascii")
        for key in signing_keys(secret)
    )
    headers = {"webhook-id": msg_id, "webhook-timestamp": stamp, "webhook-signature": signatures}
    if event_type is not None:
        headers["webhook-event-type"] = event_type
    return headers


def header(headers: Mapping[str, str], name: str) -> str | None:
    """A header by case-insensitive name; repeated values (a multidict) joined by a space."""
    values = [value for key, value in headers.items() if key.lower() == name]
    return " ".join(values) if values else None


def _required(headers: Mapping[str, str], name: str) -> str:
    value = header(headers, name)
    if not value:
        raise WebhookVerificationError(f"missing {name} header", reason="missing-header")
    return value


def verify_signature(
    body: bytes,
    headers: Mapping[str, str],
    secret: Secrets,
    *,
    tolerance: float = DEFAULT_TOLERANCE,
    clock: Callable[[], float] = time.time,
) -> str:
    """Check a signed delivery; return its ``webhook-id``, or raise
    :class:`WebhookVerificationError` saying why not (never with the secret).

    ``body`` is the raw request body, exactly as received. ``secret``: one ``whsec_...`` secret
    or several (any may match); the header may carry several signatures (any may match).
    ``tolerance``: seconds the timestamp may be off from ``clock()``, either way.
    """
    _check_body(body)
    _check_headers(headers)
    check_number("tolerance", tolerance)
    check_callable("clock", clock)
    keys = signing_keys(secret)
    msg_id = _required(headers, "webhook-id")
    stamp = _required(headers, "webhook-timestamp")
    signatures = _required(headers, "webhook-signature")
    if not _TIMESTAMP.fullmatch(stamp):
        raise WebhookVerificationError(
            "webhook-timestamp is not Unix seconds", reason="malformed-timestamp"
        )
    sent_at = float(stamp)
    skew = clock() - sent_at
    if skew > tolerance:
        raise WebhookVerificationError(
            f"webhook-timestamp is {skew:.0f} s old (tolerance {tolerance:.0f} s)", reason="stale"
        )
    if -skew > tolerance:
        raise WebhookVerificationError(
            f"webhook-timestamp is {-skew:.0f} s in the future (tolerance {tolerance:.0f} s)",
            reason="future",
        )
    expected = [_mac(key, msg_id, stamp, body) for key in keys]
    for entry in signatures.split():
        version, _, encoded = entry.partition(",")
        if version != "v1" or not encoded:
            continue
        try:
            given = base64.b64decode(encoded, validate=True)
        except (binascii.Error, ValueError):
            continue
        # Every expected value is compared, so timing says nothing about which secret matched.
        if sum(hmac.compare_digest(given, mac) for mac in expected):
            return msg_id
    raise WebhookVerificationError("no webhook-signature matches", reason="bad-signature")


def verify_api_key(
    headers: Mapping[str, str], api_key: str | Sequence[str], *, header_name: str = "x-api-key"
) -> None:
    """Check a legacy delivery's shared-secret header in constant time (any of several keys may
    match, for rotation); raise :class:`WebhookVerificationError` if it is missing or wrong."""
    _check_headers(headers)
    check_text("header_name", header_name, required=True)
    expected = list(as_texts("api_key", api_key))
    if not expected:
        raise ValidationError("api_key must name at least one non-empty key")
    given = header(headers, header_name.lower())
    if not given:
        raise WebhookVerificationError(f"missing {header_name} header", reason="missing-header")
    # Digests of equal length, so the comparison's time says nothing about the key's length.
    given_digest = _digest(given)
    if not sum(hmac.compare_digest(given_digest, _digest(key)) for key in expected):
        raise WebhookVerificationError(f"wrong {header_name}", reason="bad-key")


def _check_headers(headers: object) -> None:
    """Any mapping of names to strings, or what frameworks hand over with an ``items()`` of
    pairs (``email.message.Message`` from ``http.server``, werkzeug's ``Headers``)."""
    items = getattr(headers, "items", None)
    if not callable(items):
        raise ValidationError(f"headers must map header names to strings, not {type_name(headers)}")
    try:
        pairs = list(items())
        readable = all(isinstance(key, str) and isinstance(value, str) for key, value in pairs)
    except (TypeError, ValueError):  # not pairs
        readable = False
    if not readable:
        raise ValidationError("headers must map header names to strings")


def _check_body(body: object) -> None:
    if not isinstance(body, bytes | bytearray | memoryview):
        raise ValidationError(f"body must be the raw bytes, not {type(body).__name__}")


def _digest(value: str) -> bytes:
    return hashlib.sha256(value.encode("utf-8", "surrogateescape")).digest()
