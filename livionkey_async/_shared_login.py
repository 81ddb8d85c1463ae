"""One login for every process of an account: the token holder's login, through a shared cache.

The client's :class:`~._auth.TokenHolder` stays as it is (one login in flight per process, soft
and hard margins); what it calls to log in is :class:`SharedLogin`, which first looks in the
shared :class:`~._shared.TokenCache`:

* a token there that this process has not used yet and that lives on for a while is adopted
  (no request at all);
* otherwise one process takes the login lock (a fresh random value per acquisition and a TTL, so
  a process killed while holding it blocks the others at most that long), looks once more, logs
  in and publishes the token; the others poll the cache until it appears or the lock is free.
  While its login runs (a throttled login waits out its ``Retry-After``, longer than the TTL) the
  owner renews the lock every third of its TTL, so it never lapses under a login still running;
* a token the server refused (a 401) is dropped from the cache only if it is still the one that
  failed, so a newer token another process published survives.

When the store cannot be reached the process logs in on its own (and says so once); its next
login goes through the store again.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime

from ._auth import BearerAuth, TokenHolder, token_lifetime
from ._errors import StoreError
from ._models import LoginResult
from ._shared import StoreHealth, TokenCache

__all__ = ["SharedBearerAuth", "SharedLogin"]

# A cached token is adopted only if it lives on at least this long (else it is refreshed).
_MIN_REMAINING = 60.0
_POLL = 0.05  # seconds between looks at the cache while another process logs in
_RENEWALS = 3  # the lock is renewed this many times per TTL while its login runs


class SharedLogin:
    """The login a ``TokenHolder`` calls, shared through ``cache`` (see the module docstring)."""

    __slots__ = ("_cache", "_health", "_last", "_lock_ttl", "_login", "_refused", "_sleep", "_wall")

    def __init__(
        self,
        login: Callable[[], Awaitable[LoginResult]],
        cache: TokenCache,
        health: StoreHealth,
        *,
        lock_ttl: float = 30.0,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
        wall_clock: Callable[[], float] = time.time,
    ) -> None:
        self._login = login
        self._cache = cache
        self._health = health
        self._lock_ttl = lock_ttl
        self._sleep = sleep
        self._wall = wall_clock
        self._last: str | None = None  # the token this process was given last
        self._refused: str | None = None

    def __repr__(self) -> str:
        return f"<SharedLogin via {self._cache!r}>"

    def refused(self, token: str) -> None:
        """The server refused ``token``: the next login drops it from the cache (if still there)."""
        self._refused = token

    async def __call__(self) -> LoginResult:
        try:
            result = await self._shared()
        except StoreError as exc:
            self._health.failed(exc, "logging in on its own")
            result = await self._login()
            await self._publish(result)
        self._last = result.token
        return result

    async def _shared(self) -> LoginResult:
        refused, self._refused = self._refused, None
        if refused is not None:
            await self._cache.drop(refused)
        while True:
            adopted = await self._adoptable()
            self._health.answered()
            if adopted is not None:
                return adopted
            owner = await self._cache.lock(self._lock_ttl)
            if owner is not None:
                renewal = asyncio.ensure_future(self._renew(owner))
                try:
                    adopted = await self._adoptable()  # published while we took the lock?
                    if adopted is not None:
                        return adopted
                    result = await self._login()
                    await self._publish(result)  # the store failing now costs no second login
                    return result
                finally:
                    renewal.cancel()
                    with contextlib.suppress(StoreError):  # else it lapses after its TTL
                        await self._cache.unlock(owner)
            # Another process logs in; should it die, its lock expires after its TTL.
            await self._sleep(_POLL)

    async def _renew(self, owner: str) -> None:
        """Keep the lock ours while the login runs (cancelled when it ends)."""
        while True:
            await self._sleep(self._lock_ttl / _RENEWALS)
            try:
                if not await self._cache.extend(owner, self._lock_ttl):
                    return  # lapsed (the store was away that long) or taken: nothing to keep
            except StoreError:
                continue  # the lock still holds for a while: try again at the next renewal

    async def _adoptable(self) -> LoginResult | None:
        cached = await self._cache.get()
        if cached is None or cached.token == self._last:
            return None
        if cached.expires_at - self._wall() < _MIN_REMAINING:
            return None
        return LoginResult(cached.token, datetime.fromtimestamp(cached.expires_at, UTC))

    async def _publish(self, result: LoginResult) -> None:
        """Best effort after a login of our own: the others may use it once the store is back."""
        with contextlib.suppress(StoreError):
            await self._cache.put(result.token, self._expiry(result))

    def _expiry(self, result: LoginResult) -> float:
        now = self._wall()
        return now + token_lifetime(result, now)


class SharedBearerAuth(BearerAuth):
    """V1's bearer auth whose refused token is also dropped from the shared cache."""

    __slots__ = ("shared",)

    def __init__(self, holder: TokenHolder, shared: SharedLogin) -> None:
        super().__init__(holder)
        self.shared = shared

    def refused(self, credential: str) -> bool:
        self.shared.refused(credential)
        return super().refused(credential)
