"""One Redis connection pool per event loop, and every Redis failure turned into one error.

``redis.asyncio`` binds its connections to the loop that opened them, so the store keeps a
client per running loop. Its own retries are off and its timeouts short: a store that does not
answer must make the client carry on alone quickly (``StoreUnavailable``), not stall requests.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

import redis.asyncio as aioredis
from redis.asyncio.retry import Retry
from redis.backoff import NoBackoff
from redis.commands.core import AsyncScript
from redis.exceptions import RedisError
from yarl import URL

from .._shared import StoreUnavailable

__all__ = ["Connection", "shown_url"]

T = TypeVar("T")


def shown_url(url: str) -> str:
    """The URL without its password, for reprs and logs."""
    parsed = URL(url)
    return str(parsed.with_password(None)) if parsed.password else url


class Connection:
    """Lazily opened ``redis.asyncio.Redis`` clients, one per event loop."""

    def __init__(self, url: str, *, timeout: float) -> None:
        self._url = url
        self._timeout = timeout
        self._clients: dict[asyncio.AbstractEventLoop, aioredis.Redis] = {}
        self._scripts: dict[tuple[aioredis.Redis, str], AsyncScript] = {}

    def client(self) -> aioredis.Redis:
        loop = asyncio.get_running_loop()
        client = self._clients.get(loop)
        if client is None:
            for gone in [other for other in self._clients if other.is_closed()]:
                old = self._clients.pop(gone)
                for key in [key for key in self._scripts if key[0] is old]:
                    del self._scripts[key]
            client = aioredis.Redis.from_url(
                self._url,
                decode_responses=True,
                socket_timeout=self._timeout,
                socket_connect_timeout=self._timeout,
                retry=Retry(NoBackoff(), 0),
                health_check_interval=30,
            )
            self._clients[loop] = client
        return client

    async def run(self, call: Callable[[aioredis.Redis], Awaitable[T]]) -> T:
        """``call(client)``, any failure to reach Redis (or a refusal) as ``StoreUnavailable``."""
        try:
            return await call(self.client())
        except (RedisError, OSError, TimeoutError) as exc:
            raise StoreUnavailable(f"{type(exc).__name__}: {exc}") from None

    async def script(self, source: str, keys: list[str], args: list[str]) -> Any:
        """Run a Lua script (``EVALSHA``, loaded again after a ``NOSCRIPT``)."""
        client = self.client()
        script = self._scripts.get((client, source))
        if script is None:
            script = self._scripts[client, source] = client.register_script(source)
        return await self.run(lambda _: script(keys=keys, args=args))

    async def aclose(self) -> None:
        """Close this loop's client (the others belong to loops that are gone or elsewhere)."""
        client = self._clients.pop(asyncio.get_running_loop(), None)
        if client is not None:
            await client.aclose()
