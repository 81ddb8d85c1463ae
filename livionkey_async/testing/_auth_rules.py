"""Who may log in, the tokens the service issued, and the login throttle.

What the references leave open is assumed in ``_assumptions``.
"""

from __future__ import annotations

import base64
import hmac
import math
import secrets
from collections import deque
from collections.abc import Callable

from attrs import define

from ._config import Clock, SimConfig, SimStats
from ._messages import Msg, SimError
from ._parse import truthy
from ._wire import dumps

__all__ = ["AuthRules"]


@define
class _Token:
    account: str
    expires_at: float


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


class AuthRules:
    """Passwords, live tokens and recent login attempts of every account."""

    def __init__(
        self,
        config: SimConfig,
        stats: SimStats,
        clock: Clock,
        not_authorized: Callable[[], SimError],
    ) -> None:
        self._config = config
        self._stats = stats
        self._clock = clock
        self._not_authorized = not_authorized
        self.reset()

    def reset(self) -> None:
        """The configured accounts, no tokens, no attempts."""
        self.passwords = {a.email.lower(): a.password for a in self._config.accounts()}
        self._tokens: dict[str, _Token] = {}
        self._login_attempts: dict[str, deque[float]] = {}

    def login(self, body: object) -> tuple[str, float]:
        """Check a login body; answer ``(token, expires_at)`` or raise the documented error."""
        fields = body if isinstance(body, dict) else {}
        email = fields.get("email")
        password = fields.get("password")
        if not truthy(email):
            raise SimError(400, Msg.MISSING_EMAIL)
        if not truthy(password):
            raise SimError(400, Msg.MISSING_PASSWORD)
        now = self._clock()
        key = str(email).lower()
        attempts = self._login_attempts.setdefault(key, deque())
        while attempts and attempts[0] <= now - self._config.login_window:
            attempts.popleft()
        if len(attempts) >= self._config.login_limit:
            wait = max(1, math.ceil(attempts[0] + self._config.login_window - now))
            raise SimError(429, Msg.LOGIN_THROTTLED, headers={"Retry-After": str(wait)})
        attempts.append(now)
        known = self.passwords.get(key)
        if (
            known is None
            or not isinstance(password, str)
            or not hmac.compare_digest(known.encode(), password.encode())
        ):
            raise SimError(400, Msg.BAD_CREDENTIALS)
        expires_at = now + self._config.token_lifetime
        header = _b64(b'{"alg":"RS256","typ":"JWT"}')
        claims = _b64(dumps({"sub": key, "iat": int(now), "exp": int(expires_at)}).encode())
        token = f"{header}.{claims}.{secrets.token_urlsafe(32)}"
        self._tokens[token] = _Token(key, expires_at)
        self._stats.logins += 1
        return token, expires_at

    def authenticate(self, authorization: str | None) -> str:
        """The account an ``Authorization`` header speaks for, or the 403/401 of the contract."""
        if not authorization or not authorization.startswith("Bearer "):
            raise SimError(403, Msg.NO_TOKEN, json_body=True)
        token = authorization[len("Bearer ") :].strip()
        if not token:
            raise SimError(403, Msg.NO_TOKEN, json_body=True)
        held = self._tokens.get(token)
        if held is None:
            raise self._not_authorized()
        if self._clock() >= held.expires_at:
            del self._tokens[token]
            raise self._not_authorized()
        return held.account

    def revoke_tokens(self, email: str | None = None) -> int:
        """Invalidate every token (or one account's); answer how many were live."""
        doomed = [
            t for t, held in self._tokens.items() if email is None or held.account == email.lower()
        ]
        for token in doomed:
            del self._tokens[token]
        return len(doomed)
