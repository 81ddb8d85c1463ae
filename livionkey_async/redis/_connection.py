"""One Redis connection pool per event loop, and every Redis failure turned into one error.

``redis.asyncio`` binds its connections to the loop that opened them, so the store keeps a
client per running loop. Its own retries are off and its timeouts short: a store that does not
answer must make the client carry on alone quickly (``StoreUnavailable``), not stall requests.
The error never copies a command's text (redis-py puts a failed pipeline's whole command, the
token's ``HSET`` included, into its message) and never chains redis-py's exception.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

import redis.asyncio as aioredis
from redis.asyncio.retry import Retry
from redis.backoff import NoBackoff
from redis.commands.core import AsyncScript
from redis.connection import parse_url
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import RedisError
from redis.exceptions import TimeoutError as RedisTimeoutError
from yarl import URL

from .._errors import ValidationError
from .._shared import StoreUnavailable

__all__ = ["Connection", "check_url", "shown_url"]

T = TypeVar("T")

_PIPELINE = "of pipeline caused error: "


def check_url(url: str) -> None:
    """A URL redis-py takes (``redis://``, ``rediss://`` or ``unix://``, its options readable),
    else a ``ValidationError`` naming ``url`` (which the message never shows: it may hold a
    password)."""
    try:
        parse_url(url)  # type: ignore[no-untyped-call]
    except ValueError:
        raise ValidationError(
            "url must be a redis://, rediss:// or unix:// URL (as redis-py takes it)"
        ) from None


def shown_url(url: str) -> str:
    """The URL without its password (``user:password@`` or ``?password=``), for reprs and
    logs."""
    try:
        parsed = URL(url)
    except ValueError:
        return "(a URL yarl cannot read)"
    hidden = [name for name in parsed.query if name.casefold() == "password"]
    if parsed.password is None and not hidden:
        return url
    if parsed.password is not None:
        parsed = parsed.with_password(None)
    shown = str(parsed.without_query_params(*hidden))
    scheme = f"{parsed.scheme}:"
    if not shown.startswith(f"{scheme}//"):  # yarl writes unix:///path as unix:/path
        shown = f"{scheme}//{shown.removeprefix(scheme)}"
    return shown


def _describe(error: BaseException) -> str:
    """What a failure says that is safe to show: a connection's or timeout's own words, else its
    type and the Redis error code (``NOAUTH``, ``READONLY``...), never a command."""
    name = type(error).__name__
    if isinstance(error, RedisConnectionError | RedisTimeoutError | OSError | TimeoutError):
        return f"{name}: {error}" if str(error) else name
    text = str(error)
    if _PIPELINE in text:  # "Command # 1 (HSET key token ...) of pipeline caused error: (...)"
        text = text.rsplit(_PIPELINE, 1)[1].lstrip("('\"")
    code = text.split(" ", 1)[0]
    return f"{name} {code}" if code.isalpha() and code.isupper() else name


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
            message = _describe(exc)
        # Raised outside the except block: redis-py's exception (which may quote a command and
        # its arguments) is neither the cause nor the context.
        raise StoreUnavailable(message)

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
