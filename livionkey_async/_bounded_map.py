"""Run one coroutine per item, a bounded number at once, and collect the answers in order.

The account-wide look-ups (``contracts.find``, ``keypad.list``) ask every device the same
question through the shared pacer; this keeps that fan-out bounded and makes one device's failure
the caller's error itself (the others are cancelled), not an exception group of one.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Iterable
from typing import TypeVar

__all__ = ["bounded_map"]

T = TypeVar("T")
R = TypeVar("R")


async def bounded_map(fn: Callable[[T], Awaitable[R]], items: Iterable[T], limit: int) -> list[R]:
    """``[await fn(item) for item in items]``, at most ``limit`` at once; the first failure
    cancels the rest and is raised as it is."""
    gate = asyncio.Semaphore(limit)

    async def one(item: T) -> R:
        async with gate:
            return await fn(item)

    try:
        async with asyncio.TaskGroup() as group:
            tasks = [group.create_task(one(item)) for item in items]
    except BaseExceptionGroup as failed:
        raise failed.exceptions[0] from None
    return [task.result() for task in tasks]
