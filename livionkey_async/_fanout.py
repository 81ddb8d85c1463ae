"""Bounded-concurrency fan-out over a (possibly endless) stream of items, one outcome per item.

The engine behind every bulk helper. It pulls items lazily from an iterable or async iterable,
keeps at most ``concurrency`` of them in flight (100,000 items never become 100,000 tasks), and
reports each item's outcome exactly once, in completion order: succeeded, failed or not
attempted, never unknown.

- A failing item never stops the others; a *fatal* error (a refused login) stops pulling new
  items and reports every remaining one as not attempted: the item that met it first fails
  with it, and the items in flight that met it too (nothing of theirs was sent) are not
  attempted.
- Cancelling the job cancels the in-flight items and gives them a short grace to settle (a work
  function that catches the cancellation decides what settling means: the bulk helpers look a
  create up), reports the rest, and then re-raises the cancellation.
"""

from __future__ import annotations

import asyncio
import contextlib
import enum
import logging
from collections.abc import (
    AsyncGenerator,
    AsyncIterable,
    AsyncIterator,
    Awaitable,
    Callable,
    Iterable,
)
from typing import Generic, TypeVar

import attrs

from ._errors import LivionKeyError, LoginError

__all__ = [
    "CANCEL_GRACE",
    "FATAL_ERRORS",
    "ItemResult",
    "Outcome",
    "Source",
    "aiter_source",
    "fan_out",
]

S = TypeVar("S")
R = TypeVar("R")

log = logging.getLogger("livionkey_async.bulk")

Source = Iterable[S] | AsyncIterable[S]

# Errors after which sending more would only repeat the failure.
FATAL_ERRORS: tuple[type[LivionKeyError], ...] = (LoginError,)
# How long in-flight items may take to settle after the job is cancelled; naming the items never
# pulled gets what is left of CANCEL_BUDGET, so a cancelled job returns within a second.
CANCEL_GRACE = 0.6
CANCEL_BUDGET = 0.9


class Outcome(enum.Enum):
    """How one item of a bulk job ended."""

    SUCCEEDED = "succeeded"
    FAILED = "failed"
    NOT_ATTEMPTED = "not_attempted"


@attrs.frozen
class ItemResult(Generic[S, R]):
    """One item's outcome: its ``spec``, and the ``result`` or the ``error``.

    ``index`` is the item's position in the input. ``reconciled`` is true when the outcome was
    settled by looking the object up on the server (after an ambiguous failure, or because it
    existed already); ``skipped`` when a journal showed it done by an earlier run.
    """

    index: int
    spec: S
    outcome: Outcome
    result: R | None = None
    error: LivionKeyError | None = None
    reconciled: bool = False
    skipped: bool = False

    @property
    def ok(self) -> bool:
        return self.outcome is Outcome.SUCCEEDED


class Settled(Generic[R]):
    """What a work function returns when it settled an item some other way than plainly."""

    __slots__ = ("error", "outcome", "reconciled", "value")

    def __init__(
        self,
        value: R | None,
        *,
        outcome: Outcome,
        reconciled: bool = True,
        error: LivionKeyError | None = None,
    ) -> None:
        self.value = value
        self.outcome = outcome
        self.reconciled = reconciled
        self.error = error


async def aiter_source(source: Source[S]) -> AsyncIterator[S]:
    """Iterate a sync or async iterable the same way, lazily."""
    if isinstance(source, AsyncIterable):
        async for item in source:
            yield item
    else:
        for item in source:
            yield item


Prepare = Callable[[int, S], Awaitable[ItemResult[S, R] | None]]
Work = Callable[[S], Awaitable[R | Settled[R]]]
Emit = Callable[[ItemResult[S, R]], Awaitable[None]]


async def fan_out(
    source: Source[S],
    *,
    work: Work[S, R],
    emit: Emit[S, R],
    concurrency: int,
    prepare: Prepare[S, R] | None = None,
    keep: Callable[[S], bool] | None = None,
) -> None:
    """Run ``work`` over every item of ``source``, at most ``concurrency`` at once.

    ``await prepare(index, spec)`` runs first, in input order, and may settle an item without work
    (a local validation failure, a journal hit) by returning its result. ``emit`` receives every
    item's result exactly once. ``keep``: only the items it is true of are the job's (the others
    are passed over without a result, and still count in the indices).
    """
    items = _numbered(source, keep)
    pending: dict[asyncio.Task[R | Settled[R]], tuple[int, S]] = {}
    fatal: LivionKeyError | None = None
    preparing: tuple[int, S] | None = None  # pulled, not yet handed to work
    try:
        while True:
            while fatal is None and len(pending) < concurrency:
                try:
                    index, spec = await anext(items)
                except StopAsyncIteration:
                    break
                preparing = (index, spec)
                early = await prepare(index, spec) if prepare is not None else None
                preparing = None
                if early is not None:
                    await emit(early)
                    if isinstance(early.error, FATAL_ERRORS):  # a check that needed the login
                        fatal = early.error
                        log.warning("stopping the batch: %s", type(fatal).__name__)
                else:
                    pending[asyncio.ensure_future(work(spec))] = (index, spec)
            if not pending:
                break
            done, _ = await asyncio.wait(pending, return_when=asyncio.FIRST_COMPLETED)
            for task in done:
                position, spec = pending.pop(task)
                result = _result_of(position, spec, task)
                if isinstance(result.error, FATAL_ERRORS):
                    if fatal is None:
                        fatal = result.error
                        log.warning("stopping the batch: %s", type(fatal).__name__)
                    elif result.outcome is Outcome.FAILED:
                        result = attrs.evolve(result, outcome=Outcome.NOT_ATTEMPTED)
                await emit(result)
        if fatal is not None:
            await _name_the_rest(items, emit, fatal)
    except asyncio.CancelledError:
        give_up_at = asyncio.get_running_loop().time() + CANCEL_BUDGET
        await _settle_in_flight(pending, emit)
        if preparing is not None:
            await emit(ItemResult(preparing[0], preparing[1], Outcome.NOT_ATTEMPTED))
        # Name the items never pulled, as far as the source yields them promptly.
        with contextlib.suppress(TimeoutError, asyncio.CancelledError):
            async with asyncio.timeout_at(give_up_at):
                await _name_the_rest(items, emit, None)
        raise
    finally:
        if pending:  # the job itself failed: no work outlives it
            for task in pending:
                task.cancel()
            await asyncio.wait(pending, timeout=CANCEL_GRACE)
        with contextlib.suppress(Exception):
            await items.aclose()


async def _numbered(
    source: Source[S], keep: Callable[[S], bool] | None
) -> AsyncGenerator[tuple[int, S]]:
    """The job's items with their positions in ``source`` (those ``keep`` passes over count)."""
    index = 0
    items = aiter_source(source)
    try:
        async for spec in items:
            if keep is None or keep(spec):
                yield index, spec
            index += 1
            if index % 256 == 0:
                await asyncio.sleep(0)  # a plain iterable never suspends: let others in
    finally:
        await items.aclose()  # type: ignore[attr-defined]


async def _name_the_rest(
    items: AsyncIterator[tuple[int, S]], emit: Emit[S, R], error: LivionKeyError | None
) -> None:
    """Report every item not pulled yet as not attempted."""
    async for index, spec in items:
        await emit(ItemResult(index, spec, Outcome.NOT_ATTEMPTED, error=error))


async def _settle_in_flight(
    pending: dict[asyncio.Task[R | Settled[R]], tuple[int, S]], emit: Emit[S, R]
) -> None:
    """Cancelled: in-flight items get a short grace to settle (a create looks itself up)."""
    for task in pending:
        task.cancel()
    if pending:
        await asyncio.wait(pending, timeout=CANCEL_GRACE)
    for task, (position, spec) in list(pending.items()):
        if task.done():
            await emit(_result_of(position, spec, task))
        else:
            await emit(ItemResult(position, spec, Outcome.NOT_ATTEMPTED))
        del pending[task]


def _result_of(position: int, spec: S, task: asyncio.Task[R | Settled[R]]) -> ItemResult[S, R]:
    if task.cancelled():
        return ItemResult(position, spec, Outcome.NOT_ATTEMPTED)
    error = task.exception()
    if error is None:
        value = task.result()
        if isinstance(value, Settled):
            return ItemResult(
                position,
                spec,
                value.outcome,
                result=value.value,
                error=value.error,
                reconciled=value.reconciled,
            )
        return ItemResult(position, spec, Outcome.SUCCEEDED, result=value)
    if isinstance(error, LivionKeyError):
        return ItemResult(position, spec, Outcome.FAILED, error=error)
    if isinstance(error, Exception):
        # A bug or an unexpected library error: still this item's failure, never a lost item.
        wrapped = LivionKeyError(f"unexpected {type(error).__name__}: {error}")
        wrapped.__cause__ = error
        return ItemResult(position, spec, Outcome.FAILED, error=wrapped)
    raise error
