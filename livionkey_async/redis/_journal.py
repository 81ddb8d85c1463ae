"""A bulk journal in Redis: a job resumed on another machine, or split across workers, skips
what any of them finished.

The journal's JSON lines (the same as in a file, fingerprints and all: no value, no secret) are
a Redis list. Its first line, the header with the salt, is pushed only into an empty list, in one
script, so every worker reads the same salt and their fingerprints agree. Appends go through a
script too, which puts the header back first when it finds the list empty (a Redis restarted
without persistence): the lines after it stay readable. What was written before such a restart
is gone, though: a shared journal needs a Redis that persists (AOF or RDB).
"""

from __future__ import annotations

from collections.abc import Sequence

from ._connection import Connection

__all__ = ["RedisJournal"]

_LOAD = r"""
if redis.call('LLEN', KEYS[1]) == 0 then redis.call('RPUSH', KEYS[1], ARGV[1]) end
return redis.call('LRANGE', KEYS[1], 0, -1)
"""

# ARGV[1]: the header; the others, the lines.
_APPEND = r"""
if redis.call('LLEN', KEYS[1]) == 0 then redis.call('RPUSH', KEYS[1], ARGV[1]) end
for i = 2, #ARGV do redis.call('RPUSH', KEYS[1], ARGV[i]) end
return redis.call('LLEN', KEYS[1])
"""


class RedisJournal:
    """A :class:`~livionkey_async._journal.JournalBackend` at ``key``; a journal kept there
    tries Redis again at most every ``retry_interval`` seconds after a failure (the store's)."""

    __slots__ = ("_connection", "key", "retry_interval")

    def __init__(self, connection: Connection, key: str, *, retry_interval: float = 5.0) -> None:
        self._connection = connection
        self.key = key
        self.retry_interval = retry_interval

    def __repr__(self) -> str:
        return f"RedisJournal({self.key!r})"

    async def load(self, header: str) -> list[str]:
        lines = await self._connection.script(_LOAD, [self.key], [header])
        return [str(line) for line in lines]

    async def append(self, lines: Sequence[str], *, header: str) -> None:
        await self._connection.script(_APPEND, [self.key], [header, *lines])

    async def delete(self) -> None:
        """Forget the journal (a job done for good)."""
        await self._connection.run(lambda r: r.delete(self.key))
