"""How a request proves who sends it, and the V1 token holder behind the bearer token.

``Authenticator`` is what the transport asks: V1 sends a bearer token (``BearerAuth`` over a
``TokenHolder``), API v2 signs every attempt with the service account's key
(``livionkey_async.v2``). The transport calls ``credential()`` before a request queues (it may log
in), ``headers()`` just before the bytes leave (inside the connection slot, after the pacer, so a
signature's timestamp is fresh), and ``refused()`` after a 401 (true: the credential was dropped
and a fresh one may work, so the request is sent once more).

The token holder: one login shared by every coroutine of a client.

However many coroutines need a token at once, exactly one login is in flight and all of them
await it. A token is refreshed in the background once it enters the soft margin before its
expiry (callers keep getting the still-valid token meanwhile) and awaited once it enters the hard
margin. Expiry is tracked on the monotonic clock, so a wall-clock jump cannot fool it. A token
the server refused is dropped only if it is still the current one, so a burst of 401s for the
same stale token causes one login, not one each. A refused login (``LoginError``: wrong
credentials) is remembered: every later caller gets it without another login request, since
the credentials cannot change and repeated logins trip the service's login throttle; only an
explicit ``token(retry_refused=True)`` (``client.login()``) asks again.
"""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import logging
import time
from collections.abc import Awaitable, Callable
from typing import Protocol

from yarl import URL

from ._errors import LoginError, TransportError
from ._models import LoginResult

__all__ = [
    "DEFAULT_TOKEN_LIFETIME",
    "Authenticator",
    "BearerAuth",
    "TokenHolder",
    "token_lifetime",
]

log = logging.getLogger("livionkey_async.auth")

# Livion documents a one-hour token; used when an answer carries no usable expirationTime.
DEFAULT_TOKEN_LIFETIME = 3600.0
# After a failed background refresh, the next one waits this long (the token is still valid).
_REFRESH_RETRY = 5.0
# How far past the documented hour an expiry may read before our clock is called skewed: the
# HTTP-date has whole seconds, and two clocks never agree exactly.
_EXPIRY_TOLERANCE = 30.0


class TokenHolder:
    """Hands out a valid bearer token, logging in (once) when needed."""

    __slots__ = (
        "_clock",
        "_expires_at",
        "_hard_at",
        "_login",
        "_previous",
        "_refresh_margin",
        "_refused",
        "_retry_refresh_at",
        "_soft_at",
        "_task",
        "_token",
        "_wall_clock",
    )

    def __init__(
        self,
        login: Callable[[], Awaitable[LoginResult]],
        *,
        refresh_margin: float = 300.0,
        clock: Callable[[], float] = time.monotonic,
        wall_clock: Callable[[], float] = time.time,
    ) -> None:
        self._login = login
        self._refresh_margin = max(0.0, refresh_margin)
        self._clock = clock
        self._wall_clock = wall_clock
        self._token: str | None = None
        self._previous: str | None = None
        self._expires_at = 0.0
        self._soft_at = 0.0
        self._hard_at = 0.0
        self._retry_refresh_at = 0.0
        self._task: asyncio.Task[str] | None = None
        self._refused: LoginError | None = None

    def __repr__(self) -> str:
        state = "valid" if self._token is not None else "none"
        return f"<TokenHolder token={state}>"

    @property
    def has_token(self) -> bool:
        return self._token is not None

    @property
    def refused(self) -> LoginError | None:
        """The refusal of the last login, while it is remembered."""
        return self._refused

    async def token(self, *, retry_refused: bool = False) -> str:
        """A token that is valid now; logs in (one shared login) when there is none.

        After a refused login this raises ``LoginError`` at once, without asking the server
        again, unless ``retry_refused``.
        """
        if retry_refused:
            self._refused = None
        now = self._clock()
        token = self._token
        if token is not None and now < self._hard_at:
            refresh_due = now >= max(self._soft_at, self._retry_refresh_at)
            if refresh_due and self._task is None and self._refused is None:
                log.debug("token enters its refresh margin: refreshing in the background")
                self._start_login().add_done_callback(self._refresh_done)
            return token
        task = self._task
        if task is None:
            if self._refused is not None:
                raise LoginError(self._refused.message, status=self._refused.status)
            task = self._start_login()
        # shield: a caller that is cancelled must not cancel the login the others wait for.
        try:
            return await asyncio.shield(task)
        except asyncio.CancelledError:
            current = asyncio.current_task()
            if task.cancelled() and (current is None or not current.cancelling()):
                # Nobody cancelled this caller: the client was closed under the login it waited
                # for. That is an answer (no token), not a cancellation to pass on.
                raise TransportError(
                    "the client was closed while this call waited for its login"
                ) from None
            raise

    async def aclose(self) -> None:
        """Stop a login in flight (a background refresh must not outlive its client)."""
        task, self._task = self._task, None
        if task is not None and not task.done():
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task

    def secrets(self) -> tuple[str, ...]:
        """The current and the previous token: what an echoing server could send back."""
        return tuple(t for t in (self._token, self._previous) if t is not None)

    def invalidate(self, token: str) -> None:
        """The server refused ``token``: forget it, unless a newer one replaced it already."""
        if self._token == token:
            log.debug("token refused by the server: dropping it")
            self._token = None

    def _refresh_done(self, task: asyncio.Task[str]) -> None:
        """A background refresh that failed is logged and tried again a little later (callers
        keep the valid token meanwhile, and see the error only once they must wait)."""
        if not task.cancelled() and task.exception() is not None:
            log.warning("background token refresh failed: %s", type(task.exception()).__name__)
            self._retry_refresh_at = self._clock() + _REFRESH_RETRY

    def _start_login(self) -> asyncio.Task[str]:
        # In a context of its own: the login is shared, so no caller's deadline block (or other
        # context) is its.
        task = asyncio.get_running_loop().create_task(
            self._do_login(), context=contextvars.Context()
        )
        self._task = task
        return task

    async def _do_login(self) -> str:
        started = self._clock()
        wall_started = self._wall_clock()
        try:
            result = await self._login()
        except LoginError as refused:
            self._refused = refused
            raise
        finally:
            self._task = None
        lifetime = token_lifetime(result, wall_started)
        # A short-lived token shrinks the margins, so it is not refreshed on every request.
        soft = min(self._refresh_margin, lifetime / 4)
        hard = min(30.0, soft / 2)
        self._previous, self._token = self._token, result.token
        self._expires_at = started + lifetime
        self._soft_at = self._expires_at - soft
        self._hard_at = self._expires_at - hard
        log.debug("logged in: token valid for %.1fs, refresh %.1fs before expiry", lifetime, soft)
        return result.token


def token_lifetime(result: LoginResult, now: float) -> float:
    """Seconds the token of ``result`` lives from ``now`` (the wall clock when it was asked
    for): its ``expirationTime``, within Livion's documented hour."""
    if result.expiration_time is None:
        return DEFAULT_TOKEN_LIFETIME
    lifetime = result.expiration_time.timestamp() - now
    if not 0 < lifetime <= DEFAULT_TOKEN_LIFETIME + _EXPIRY_TOLERANCE:
        # Our wall clock disagrees with the server's (a fresh token cannot be expired, and
        # Livion's live one hour): trust the documented hour, not the skew.
        log.warning("token expiry %.0fs away by our clock: assuming one hour", lifetime)
    # An HTTP-date has whole seconds, and our clock is not the server's: an expiry a moment
    # past the hour is an ordinary login, read as the documented hour.
    return min(lifetime, DEFAULT_TOKEN_LIFETIME) if lifetime > 0 else DEFAULT_TOKEN_LIFETIME


class Authenticator(Protocol):
    """One way of authenticating the requests of one client (see the module docstring)."""

    async def credential(self) -> str:
        """What the request needs before it queues (a valid token; may log in)."""
        ...

    def headers(self, credential: str, method: str, url: URL, body: bytes | None) -> dict[str, str]:
        """The headers that authenticate one attempt: ``url`` and ``body`` exactly as sent."""
        ...

    def refused(self, credential: str) -> bool:
        """The server answered 401 to ``credential``: whether a fresh one is worth one more try."""
        ...


class BearerAuth:
    """V1: ``Authorization: Bearer <token>``; a refused token is dropped and the login redone."""

    __slots__ = ("holder",)

    def __init__(self, holder: TokenHolder) -> None:
        self.holder = holder

    def __repr__(self) -> str:
        return f"<BearerAuth {self.holder!r}>"

    async def credential(self) -> str:
        return await self.holder.token()

    def headers(self, credential: str, method: str, url: URL, body: bytes | None) -> dict[str, str]:
        return {"Authorization": f"Bearer {credential}"}

    def refused(self, credential: str) -> bool:
        self.holder.invalidate(credential)
        return True
