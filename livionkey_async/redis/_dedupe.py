"""The webhook receiver's dedupe store in Redis: a delivery retried to another worker is dropped.

``claim`` is ``SET key pending NX PX lease`` (and, when the key exists, what it holds),
``complete`` is ``SET key done PX ttl``, ``release`` deletes the claim, so every worker of the
service agrees on which deliveries were handled.
"""

from __future__ import annotations

import math

from .._arguments import check_number
from ..webhooks import Claim
from ._connection import Connection

__all__ = ["RedisDedupeStore"]

_CLAIM = r"""
if redis.call('SET', KEYS[1], 'pending', 'NX', 'PX', ARGV[1]) then return 'new' end
local held = redis.call('GET', KEYS[1])
if held == 'done' then return 'done' end
if held == false then
  redis.call('SET', KEYS[1], 'pending', 'PX', ARGV[1])
  return 'new'
end
return 'pending'
"""


class RedisDedupeStore:
    """A :class:`~livionkey_async.webhooks.DedupeStore` under ``prefix``.

    ``ttl``: seconds a handled delivery is remembered; ``pending_ttl``: seconds a claim holds if
    its worker never completes nor releases it (it died).
    """

    __slots__ = ("_connection", "_prefix", "pending_ttl", "ttl")

    def __init__(
        self, connection: Connection, prefix: str, *, ttl: float, pending_ttl: float
    ) -> None:
        check_number("ttl", ttl, positive=True)
        check_number("pending_ttl", pending_ttl, positive=True)
        self._connection = connection
        self._prefix = prefix
        self.ttl = ttl
        self.pending_ttl = pending_ttl

    def __repr__(self) -> str:
        return f"<RedisDedupeStore {self._prefix}>"

    def _key(self, key: str) -> str:
        return f"{self._prefix}:{key}"

    async def claim(self, key: str) -> Claim:
        answer = await self._connection.script(
            _CLAIM, [self._key(key)], [str(_ms(self.pending_ttl))]
        )
        if answer == "done":
            return "done"
        return "new" if answer == "new" else "pending"

    async def complete(self, key: str) -> None:
        await self._connection.run(lambda r: r.set(self._key(key), "done", px=_ms(self.ttl)))

    async def release(self, key: str) -> None:
        await self._connection.run(lambda r: r.delete(self._key(key)))


def _ms(seconds: float) -> int:
    return max(1, math.ceil(seconds * 1000))
