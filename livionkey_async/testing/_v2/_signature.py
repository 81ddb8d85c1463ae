"""Checking a request's signature the way the service must: from what arrived, with the public key.

The URL is rebuilt from the request as received (scheme, the ``Host`` header, the raw request
target with its query string), the body is the raw bytes received, and the signature must verify
with the calling service account's public key over ``accountId + timestamp + sha256hex(METHOD +
URL + body)`` (RSA-SHA256, PKCS#1 v1.5). Written from Livion's documentation, not from the
client's code, so a test against the simulator proves the client signs what it sends. What is
assumed (the URL rebuilt, the tolerance, the words): ``_assumptions``.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
from collections.abc import Mapping

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding

from .._wire import digits
from ._assumptions import Assumed
from ._input import V2SimError
from ._state import V2State

__all__ = ["verify_request"]


def verify_request(
    state: V2State, method: str, url: str, body: bytes, headers: Mapping[str, str]
) -> str:
    """The calling service account's id, or a 401 saying why the request is refused."""
    account_id = headers.get("x-service-account-id", "")
    timestamp = headers.get("x-timestamp", "")
    signature = headers.get("x-signature", "")
    if not account_id or not timestamp or not signature:
        raise V2SimError(401, Assumed.MISSING_HEADERS)
    account = state.account(account_id)
    if account is None:
        raise V2SimError(401, Assumed.UNKNOWN_ACCOUNT)
    sent_at = digits(timestamp)  # milliseconds
    tolerance = state.config.timestamp_tolerance * 1000
    if sent_at is None or abs(state.now() * 1000 - sent_at) > tolerance:
        raise V2SimError(401, Assumed.STALE)
    digest = hashlib.sha256(method.encode() + url.encode() + body).hexdigest()
    try:
        account.public_key.verify(
            base64.b64decode(signature, validate=True),
            f"{account_id}{timestamp}{digest}".encode(),
            padding.PKCS1v15(),
            hashes.SHA256(),
        )
    except (InvalidSignature, binascii.Error, ValueError):
        raise V2SimError(401, Assumed.BAD_SIGNATURE) from None
    return account_id
