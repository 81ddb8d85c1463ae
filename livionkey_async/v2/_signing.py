"""API v2 authentication: every attempt signed with the service account's RSA key.

Livion's documented scheme: ``x-service-account-id``, ``x-timestamp`` (milliseconds) and
``x-signature``, the base64 RSA-SHA256 (PKCS#1 v1.5) signature of ``accountId + timestamp +
sha256hex(METHOD + URL + body)``. The transport hands the signer the URL and body bytes exactly
as it sends them (see ``_assumptions`` for what "exactly" means), just before they leave, so each
retry is signed again with a fresh timestamp. The key is loaded once and never printed, logged or
kept in a repr; an unusable key is a ``ValidationError`` that carries none of it. A signature
opens the API for minutes (the timestamp's tolerance), so the last ones made are kept for the
transport to scrub from an error a server echoes them in.
"""

from __future__ import annotations

import base64
import collections
import hashlib
import time
from collections.abc import Callable

from yarl import URL

from .._arguments import check_text
from .._errors import ValidationError
from .._transport import sent_url

try:
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import padding
    from cryptography.hazmat.primitives.asymmetric.rsa import RSAPrivateKey
except ImportError as missing:  # pragma: no cover - depends on the environment
    raise ImportError(
        "API v2 signs requests with the cryptography package: pip install 'livionkey-async[v2]'"
    ) from missing

__all__ = ["ServiceAccountSigner", "load_private_key", "signed_message"]


def load_private_key(
    private_key: str | bytes | RSAPrivateKey, *, password: bytes | None = None
) -> RSAPrivateKey:
    """The service account's RSA private key, from PEM text (PKCS#1 ``BEGIN RSA PRIVATE KEY`` or
    PKCS#8) or a loaded key. PEM pasted into an environment variable with literal ``\\n`` in
    place of line breaks is read too."""
    if isinstance(private_key, RSAPrivateKey):
        return private_key
    if isinstance(private_key, str):
        if "\n" not in private_key and "\\n" in private_key:
            private_key = private_key.replace("\\n", "\n")
        try:
            private_key = private_key.strip().encode("utf-8")
        except UnicodeEncodeError:
            raise ValidationError("private_key must be PEM text of valid Unicode") from None
    problem: str | None = None
    loaded: object = None
    if not isinstance(private_key, bytes) or not private_key:
        problem = "private_key must be PEM text (str or bytes) or an RSA private key"
    else:
        try:
            loaded = serialization.load_pem_private_key(private_key, password=password)
        except (ValueError, TypeError):
            # Raised outside this block, so the error chains nothing that saw the key.
            problem = "private_key is not a readable PEM private key (wrong format or password?)"
        except Exception:  # cryptography's UnsupportedAlgorithm and friends
            problem = "private_key is not a readable PEM private key"
    if problem is None and not isinstance(loaded, RSAPrivateKey):
        problem = "private_key must be an RSA key (Livion signs with RSA-SHA256)"
    if problem is not None:
        raise ValidationError(problem)
    assert isinstance(loaded, RSAPrivateKey)
    return loaded


def signed_message(account_id: str, timestamp: str, method: str, url: str, body: bytes) -> bytes:
    """What is signed: ``accountId + timestamp + sha256hex(METHOD + url + body)``."""
    digest = hashlib.sha256(method.upper().encode("utf-8") + url.encode("utf-8") + body)
    return f"{account_id}{timestamp}{digest.hexdigest()}".encode()


class ServiceAccountSigner:
    """The transport's ``Authenticator`` for API v2 (no login, nothing to refresh).

    ``remember``: how many of the last signatures ``secrets()`` returns (at least the requests
    that can be in flight at once).
    """

    __slots__ = ("_key", "_recent", "_wall_clock", "account_id")

    def __init__(
        self,
        service_account_id: str,
        private_key: str | bytes | RSAPrivateKey,
        *,
        password: bytes | None = None,
        wall_clock: Callable[[], float] = time.time,
        remember: int = 64,
    ) -> None:
        check_text("service_account_id", service_account_id, required=True)
        self.account_id = service_account_id
        self._key = load_private_key(private_key, password=password)
        self._wall_clock = wall_clock
        self._recent: collections.deque[str] = collections.deque(maxlen=remember)

    def __repr__(self) -> str:
        return f"<ServiceAccountSigner {self.account_id!r}>"

    async def credential(self) -> str:
        return self.account_id

    def headers(self, credential: str, method: str, url: URL, body: bytes | None) -> dict[str, str]:
        """The three headers for one attempt, signed now over exactly ``url`` and ``body``."""
        timestamp = str(int(self._wall_clock() * 1000))
        message = signed_message(credential, timestamp, method, sent_url(url), body or b"")
        signature = self._key.sign(message, padding.PKCS1v15(), hashes.SHA256())
        encoded = base64.b64encode(signature).decode("ascii")
        self._recent.append(encoded)
        return {
            "x-service-account-id": credential,
            "x-timestamp": timestamp,
            "x-signature": encoded,
        }

    def journal_pepper(self) -> bytes:
        """The bulk journal's key for its digest of secrets: only the private key gives it
        (a PKCS#1 v1.5 signature is deterministic, so each run derives the same one)."""
        signature = self._key.sign(b"livionkey-async journal", padding.PKCS1v15(), hashes.SHA256())
        return hashlib.sha256(signature).digest()

    def secrets(self) -> tuple[str, ...]:
        """The last signatures made: what an echoing server could send back."""
        return tuple(self._recent)

    def refused(self, credential: str) -> bool:
        # A refused signature stays refused (wrong key, clock far off): no second try.
        return False
