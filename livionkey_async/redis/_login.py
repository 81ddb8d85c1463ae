"""The shared token and the login lock of one account, in Redis.

The token is a hash (``token``, ``expires``) that expires with the token itself. The lock is
``SET NX PX`` with a random value per acquisition, renewed by a compare-and-extend script while
its login runs and released by a compare-and-delete one, so a process only ever renews or releases
its own acquisition and a dead one's lock lapses after its TTL.
Redis holds the token in clear: it must be trusted like the password (see the README).
"""

from __future__ import annotations

import math
import secrets

import redis.asyncio as aioredis

from .._shared import CachedToken
from ._connection import Connection
from ._lua import DROP_IF, EXTEND_IF_OWNER, RELEASE_IF_OWNER

__all__ = ["RedisTokenCache"]


class RedisTokenCache:
    """A :class:`~livionkey_async._shared.TokenCache` under ``prefix``."""

    __slots__ = ("_connection", "_lock_key", "_token_key")

    def __init__(self, connection: Connection, prefix: str) -> None:
        self._connection = connection
        self._token_key = f"{prefix}:token"
        self._lock_key = f"{prefix}:login-lock"

    def __repr__(self) -> str:
        return f"<RedisTokenCache {self._token_key}>"

    async def get(self) -> CachedToken | None:
        token, expires = await self._connection.run(
            lambda r: r.hmget(self._token_key, ["token", "expires"])
        )
        if not token or expires is None:
            return None
        try:
            return CachedToken(str(token), float(expires))
        except ValueError:
            return None

    async def put(self, token: str, expires_at: float) -> None:
        async def put(r: aioredis.Redis) -> None:
            async with r.pipeline(transaction=True) as pipe:
                pipe.hset(self._token_key, mapping={"token": token, "expires": repr(expires_at)})
                pipe.pexpireat(self._token_key, math.ceil(expires_at * 1000))
                await pipe.execute()

        await self._connection.run(put)

    async def drop(self, token: str) -> None:
        await self._connection.script(DROP_IF, [self._token_key], [token])

    async def lock(self, ttl: float) -> str | None:
        owner = secrets.token_hex(16)
        taken = await self._connection.run(
            lambda r: r.set(self._lock_key, owner, nx=True, px=_milliseconds(ttl))
        )
        return owner if taken else None

    async def extend(self, owner: str, ttl: float) -> bool:
        extended: object = await self._connection.script(
            EXTEND_IF_OWNER, [self._lock_key], [owner, str(_milliseconds(ttl))]
        )
        return extended == 1

    async def unlock(self, owner: str) -> None:
        await self._connection.script(RELEASE_IF_OWNER, [self._lock_key], [owner])


def _milliseconds(seconds: float) -> int:
    return max(1, math.ceil(seconds * 1000))
