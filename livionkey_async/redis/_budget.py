"""The shared rate budget of one account: the ``BUDGET`` Lua script, called from Python.

Every call is one ``EVALSHA`` (redis-py loads the script again after a ``NOSCRIPT``, as after a
restart of Redis); the plan check between is one ``HMGET``.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Sequence

from .._shared import Grant, StoreUnavailable
from ._connection import Connection
from ._lua import BUDGET

__all__ = ["RedisBudget"]


def _text(value: float | None) -> str:
    return "" if value is None else repr(float(value))


def _number(text: str) -> float | None:
    return float(text) if text else None


class RedisBudget:
    """A :class:`~livionkey_async._shared.RateBudget` under ``prefix``."""

    __slots__ = ("_connection", "_keys", "_settings")

    def __init__(
        self,
        connection: Connection,
        prefix: str,
        *,
        rate_limit: float | None,
        initial_rate: float | None,
        burst: int,
        min_rate: float,
        idle_ttl: float,
    ) -> None:
        self._connection = connection
        self._keys = [f"{prefix}:pace", f"{prefix}:grants", f"{prefix}:members"]
        member = f"{os.getpid()}-{secrets.token_hex(4)}"
        self._settings = [
            member,
            _text(rate_limit),
            _text(initial_rate),
            "",  # the hint, per call
            str(burst),
            repr(float(min_rate)),
            str(max(1, round(idle_ttl))),
        ]

    def __repr__(self) -> str:
        return f"<RedisBudget {self._keys[0]}>"

    async def _call(self, op: str, hint: float | None, *extra: str) -> Grant:
        settings = list(self._settings)
        settings[3] = _text(hint)
        args = [op, *settings, *extra]
        reply = await self._connection.script(BUDGET, self._keys, args)
        return _grant(reply)

    async def acquire(
        self, hint: float | None, *, longest: float | None = None, max_pause: float | None = None
    ) -> Grant:
        return await self._call("acquire", hint, _text(longest), _text(max_pause))

    async def plan(self) -> tuple[int, float] | None:
        generation, pause_until = await self._connection.run(
            lambda r: r.hmget(self._keys[0], ["gen", "pause_until"])
        )
        if generation is None or pause_until is None:
            return None
        return int(float(generation)), float(pause_until)

    async def throttled(
        self,
        sent_at: float,
        generation: int,
        retry_after: float | None,
        default_pause: float,
        initial_pause: float,
    ) -> Grant:
        return await self._call(
            "throttled",
            None,
            repr(sent_at),
            str(generation),
            _text(retry_after),
            repr(default_pause),
            repr(initial_pause),
        )

    async def pause(self, seconds: float) -> Grant:
        return await self._call("pause", None, "0", "-1", repr(seconds), "0", "0")


def _grant(reply: object) -> Grant:
    if not isinstance(reply, Sequence) or len(reply) != 12:
        raise StoreUnavailable("the rate budget answered something unexpected")
    try:
        now, slot, pause_until, generation, rate, learnt, members, events, paused = (
            str(value) for value in reply[:9]
        )
        return Grant(
            now=float(now),
            slot=float(slot),
            pause_until=float(pause_until),
            generation=int(float(generation)),
            rate=_number(rate),
            learnt=_number(learnt),
            members=int(float(members)),
            events=int(float(events)),
            paused=float(paused),
            mode=str(reply[9]),
            new_event=str(reply[10]) == "1",
            refused=str(reply[11]) == "1",
        )
    except ValueError:
        raise StoreUnavailable("the rate budget answered something unexpected") from None
