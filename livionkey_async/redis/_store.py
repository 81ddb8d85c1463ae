"""``RedisStore``: what the worker processes of one account share, in one Redis.

Give it to every client of every process (``LivionKeyClient(..., store=RedisStore(url))``):
they then log in once for all, draw from one rate budget, and may keep their webhook dedupe
(``store.dedupe()``) and bulk journals (``store.journal(name)``) there too. Keys live under
``namespace``; each account's keys share a hash tag, so a script's keys sit on one cluster slot.
"""

from __future__ import annotations

import re
from types import TracebackType
from typing import Self

from .._arguments import check_number, check_text
from .._errors import ValidationError
from .._shared import StoreHealth
from ._budget import RedisBudget
from ._connection import Connection, check_url, shown_url
from ._dedupe import RedisDedupeStore
from ._journal import RedisJournal
from ._login import RedisTokenCache

__all__ = ["RedisStore"]

_NAME = re.compile(r"[A-Za-z0-9_.:-]{1,100}")


class RedisStore:
    """The shared store of a service's processes, on Redis (``redis://``, ``rediss://`` or
    ``unix://`` URL, as redis-py takes it).

    ``namespace``: prefix of every key (several services may share one Redis). ``lock_ttl``:
    seconds a login lock holds if its process dies while logging in (the others wait at most
    that long). ``timeout``: seconds to connect or to wait for an answer before a process carries
    on alone; ``retry_interval``: seconds between its tries of a Redis that did not answer.
    ``idle_ttl``: seconds an account's rate budget outlives its last request.
    Redis holds the account's bearer token: trust it as you trust the password.
    """

    def __init__(
        self,
        url: str,
        *,
        namespace: str = "livionkey",
        lock_ttl: float = 30.0,
        timeout: float = 1.0,
        retry_interval: float = 5.0,
        idle_ttl: float = 24 * 3600.0,
    ) -> None:
        check_text("url", url, required=True)
        check_url(url)
        _check_name("namespace", namespace)
        for name, value in (
            ("lock_ttl", lock_ttl),
            ("timeout", timeout),
            ("retry_interval", retry_interval),
            ("idle_ttl", idle_ttl),
        ):
            check_number(name, value, positive=True)
        self.namespace = namespace
        self._lock_ttl = lock_ttl
        self._retry_interval = retry_interval
        self._idle_ttl = idle_ttl
        self._url = shown_url(url)
        self._connection = Connection(url, timeout=timeout)
        self._health = StoreHealth(f"Redis at {self._url}")

    def __repr__(self) -> str:
        return f"RedisStore({self._url!r}, namespace={self.namespace!r})"

    @property
    def health(self) -> StoreHealth:
        return self._health

    @property
    def available(self) -> bool:
        """Whether Redis answered the last time it was asked."""
        return self._health.available

    @property
    def lock_ttl(self) -> float:
        return self._lock_ttl

    @property
    def retry_interval(self) -> float:
        return self._retry_interval

    def _prefix(self, account: str) -> str:
        return f"{self.namespace}:{{{account}}}"

    def token_cache(self, account: str) -> RedisTokenCache:
        return RedisTokenCache(self._connection, self._prefix(account))

    def rate_budget(
        self,
        account: str,
        *,
        rate_limit: float | None,
        initial_rate: float | None,
        burst: int,
        min_rate: float,
    ) -> RedisBudget:
        return RedisBudget(
            self._connection,
            self._prefix(account),
            rate_limit=rate_limit,
            initial_rate=initial_rate,
            burst=burst,
            min_rate=min_rate,
            idle_ttl=self._idle_ttl,
        )

    def dedupe(
        self, name: str = "webhooks", *, ttl: float = 24 * 3600.0, pending_ttl: float = 300.0
    ) -> RedisDedupeStore:
        """A webhook dedupe store (``WebhookReceiver(dedupe=store.dedupe())``) shared by every
        worker: ``ttl`` seconds a handled delivery is remembered (Livion retries for about 6 h),
        ``pending_ttl`` seconds a claim holds if its worker never answers."""
        _check_name("name", name)
        return RedisDedupeStore(
            self._connection,
            f"{self.namespace}:dedupe:{name}",
            ttl=ttl,
            pending_ttl=pending_ttl,
        )

    def journal(self, name: str) -> RedisJournal:
        """A bulk journal (``journal=store.journal("import-2026-11")``) every worker shares."""
        _check_name("name", name)
        return RedisJournal(
            self._connection,
            f"{self.namespace}:journal:{name}",
            retry_interval=self._retry_interval,
        )

    async def ping(self) -> bool:
        """Whether Redis answers now."""
        try:
            await self._connection.run(lambda r: r.ping())
        except Exception:
            return False
        return True

    async def aclose(self) -> None:
        """Close this event loop's connections (clients using the store must be closed first)."""
        await self._connection.aclose()

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()


def _check_name(argument: str, name: object) -> None:
    check_text(argument, name, required=True)
    assert isinstance(name, str)
    if not _NAME.fullmatch(name):
        raise ValidationError(f"{argument} must be 1 to 100 letters, digits or _.:-, not {name!r}")
