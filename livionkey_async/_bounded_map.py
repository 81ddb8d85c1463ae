"""Run one coroutine per item, a bounded number at once, and collect the answers in order.

The account-wide look-ups (``contracts.list``/``iterate``/``find``, ``keypad.list``) ask every
device the same question through the shared pacer; this keeps that fan-out bounded and makes one
device's failure the caller's error itself (the others are cancelled), not an exception group of
one. ``bounded_iter`` streams the answers in input order with a bounded look-ahead, so a caller
that stops early (``find``) leaves nothing running.
"""

from __future__ import annotations

import asyncio
import itertools
from collections import deque
from collections.abc import AsyncGenerator, Awaitable, Callable, Iterable
from typing import TypeVar

__all__ = ["bounded_iter", "bounded_map"]

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


async def bounded_iter(
    fn: Callable[[T], Awaitable[R]], items: Iterable[T], limit: int
) -> AsyncGenerator[R, None]:
    """``fn(item)`` for each item, yielded in input order, at most ``limit`` running at once.

    A failure is raised as it is. Leaving early (``break``, an exception, ``aclose``) cancels
    and awaits whatever is still running: close it with ``contextlib.aclosing`` to be prompt.
    """
    pending = iter(items)
    running: deque[asyncio.Future[R]] = deque()

    def top_up() -> None:
        for item in itertools.islice(pending, limit - len(running)):
            running.append(asyncio.ensure_future(fn(item)))

    try:
        top_up()
        while running:
            result = await running[0]
            running.popleft()
            top_up()
            yield result
    finally:
        for task in running:
            task.cancel()
        if running:
            await asyncio.wait(running)
            for task in running:
                if not task.cancelled():
                    task.exception()  # retrieved: a failure after leaving is nobody's
