"""One rate budget for every process of an account: the pacer's gate, decided by a shared store.

Requests reserve their slots from the store's budget (a GCRA and the rate finder, run by the
store itself on its own clock, so every process of the account draws from one budget and they
find the limit together, as one client would), sleep until them, and go. A process reserves one
slot at a time (its requests take turns), so no process holds slots far ahead: every slot is
spaced at the rate the budget has when it is given, and the processes share the rate fairly.
A 429 pauses this process at once and is reported to the budget, which pauses everyone and
lowers the shared rate (once per congestion event: a 429 for a slot given before the last change
of plan is a straggler of an event already handled); a request that waited long for its slot
asks whether the plan changed meanwhile (the budget's generation moves on every pause and every
decrease), and takes a fresh slot if it did, so a pause seen by another process holds this one.

When the store cannot be reached the process paces on its own, conservatively: a local
:class:`~._pacing.Pacer` at its share of what the budget last said (the learnt rate, or the
ceiling, divided by the processes seen lately), or, if the store never answered, a pacer as if
there were no store. Every few seconds one request tries the store again; once it answers, the
process rejoins the shared budget (which, after a restart of the store, starts again from the
rate this process had learnt).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import math
import time
from collections.abc import Awaitable, Callable

from ._errors import StoreError
from ._pacing import (
    Pacer,
    Sleepers,
    closed_while_waiting,
    past_deadline,
    paused_too_long,
    sleep_unless,
)
from ._ratelimit_headers import RateLimitHint
from ._shared import Grant, RateBudget, StoreHealth

__all__ = ["SharedPacer"]

log = logging.getLogger("livionkey_async.pacing")

_MIN_WAIT = 1e-6  # a wait this short counts as done (as the local pacer's)
_CHECK_AFTER = 0.25  # a request that waited longer than this for its slot checks the plan
_MAX_DEFAULT_PAUSE = 30.0
_REMEMBERED = 4096  # slots whose generation is remembered, for the 429s that may answer them

LocalPacer = Callable[[float | None, float | None], Pacer]


class SharedPacer:
    """The gate of one client whose pacing is shared (see the module docstring).

    ``local(ceiling, hint)`` builds the fallback pacer; ``rate_limit`` is the client's ceiling,
    ``rate_hint`` where a new budget starts; ``retry_interval``: seconds between tries of a
    store that did not answer; ``max_retry_after``: the longest pause one ``Retry-After`` asks
    of this process and of the budget.
    """

    def __init__(
        self,
        budget: RateBudget,
        health: StoreHealth,
        *,
        local: LocalPacer,
        rate_limit: float | None,
        rate_hint: float | None,
        max_wait: float,
        max_retry_after: float = 120.0,
        retry_interval: float = 5.0,
        default_pause: float = 1.0,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        self._budget = budget
        self._health = health
        self._make_local = local
        self._ceiling = rate_limit
        self._hint = rate_hint
        self._max_wait = max_wait
        self._max_retry_after = max_retry_after
        self._retry_interval = retry_interval
        self._initial_pause = self._default_pause = default_pause
        self._clock = clock
        self._sleep = sleep
        self._local: Pacer | None = None
        self._retry_at = -math.inf
        self._grant: Grant | None = None
        self._offset = 0.0  # store clock minus ours
        self._pause_until = -math.inf  # our clock
        self._sleepers = Sleepers()
        self._reports: set[asyncio.Task[None]] = set()
        self._turn = asyncio.Lock()  # one reservation at a time
        self._queued = 0  # calls waiting for their turn (a released turn may be theirs already)
        self._generations: dict[float, int] = {}  # sent_at -> generation of its slot (recent)

    def __repr__(self) -> str:
        where = "local" if self._local is not None else "shared"
        return f"SharedPacer({where}, rate={self.rate}, events={self.congestion_events})"

    # --- read-outs ----------------------------------------------------------------------------

    @property
    def max_wait(self) -> float:
        return self._max_wait

    @property
    def max_retry_after(self) -> float:
        return self._max_retry_after

    @property
    def shared(self) -> bool:
        """Whether the budget is shared now (``False`` while pacing alone without the store)."""
        return self._local is None

    @property
    def rate(self) -> float | None:
        if self._local is not None:
            return self._local.rate
        return self._grant.rate if self._grant is not None else None

    @property
    def learnt_rate(self) -> float | None:
        if self._local is not None and self._local.learnt_rate is not None:
            return self._local.learnt_rate
        return self._grant.learnt if self._grant is not None else None

    @property
    def paused_seconds(self) -> float:
        local = self._local.paused_seconds if self._local is not None else 0.0
        return local + (self._grant.paused if self._grant is not None else 0.0)

    @property
    def congestion_events(self) -> int:
        local = self._local.congestion_events if self._local is not None else 0
        return local + (self._grant.events if self._grant is not None else 0)

    # --- the gate -----------------------------------------------------------------------------

    async def acquire(self, deadline: float | None = None) -> float:
        while True:
            local = self._local
            if local is not None and self._clock() < self._retry_at:
                return await local.acquire(deadline)
            await self._take_turn(deadline)
            try:
                if self._local is not None and self._clock() < self._retry_at:
                    continue  # fell back while we queued for our turn
                sent = await self._shared_slot(deadline)
            finally:
                self._turn.release()
            if sent is not None:
                return sent

    async def _take_turn(self, deadline: float | None) -> None:
        """Wait for this process's turn to reserve a slot, but not past ``deadline``: a call
        that queues behind one sleeping out a slot or a pause gives up when its deadline comes."""
        turn = self._turn
        if not turn.locked() and not self._queued:  # free, and nobody woken for it yet
            await turn.acquire()
            return
        self._queued += 1
        try:
            if deadline is None:
                await turn.acquire()
            else:
                now = self._clock()
                self._refuse_known_pause(now, deadline)
                taking = asyncio.ensure_future(turn.acquire())
                try:
                    if not await sleep_unless(self._sleep, deadline - now, taking):
                        raise past_deadline(None, self._clock(), deadline)
                except BaseException:
                    if taking.done() and not taking.cancelled():
                        turn.release()
                    else:
                        taking.cancel()  # (a lock handed over meanwhile passes on to the next)
                    raise
        finally:
            self._queued -= 1
        if (
            self._sleepers.closed
        ):  # the turns still queued all end here, one after the other, at once
            turn.release()
            raise closed_while_waiting()

    async def _shared_slot(self, deadline: float | None) -> float | None:
        """One reservation from the budget, waited for; ``None`` to start over."""
        await self._settle_reports()
        if await self._paused(self._clock(), deadline):
            return None
        # The budget refuses a slot beyond the deadline, or a pause beyond max_wait, without
        # reserving it: a call that gives up takes nothing from the calls that do not.
        longest: float | None = None
        if deadline is not None:
            longest = deadline - self._clock()
            if longest <= 0:  # spent while it queued: ask the budget for nothing
                raise past_deadline(None, self._clock(), deadline)
        try:
            grant = await self._budget.acquire(
                self._learnt_hint(), longest=longest, max_pause=self._max_wait
            )
        except StoreError as exc:
            self._fall_back(exc)
            return None
        self._answered(grant)
        paused = grant.pause_until - grant.now
        delay = grant.slot - grant.now
        if grant.refused or paused > self._max_wait:
            if paused > self._max_wait or deadline is None:
                raise paused_too_long(max(paused, 0.0), self._max_wait, "account")
            raise past_deadline(delay, self._clock(), deadline)
        self._check_deadline(delay, deadline)  # the answer itself came too late
        if delay > _MIN_WAIT:
            if await self._wait(delay):
                return None  # our own 429 meanwhile: a fresh slot after the pause
            if delay > _CHECK_AFTER and await self._plan_changed(grant.generation):
                return None
        sent_at = self._clock()
        generations = self._generations
        if len(generations) >= _REMEMBERED:
            del generations[next(iter(generations))]
        generations[sent_at] = grant.generation
        return sent_at

    def on_success(self, sent_at: float, hint: RateLimitHint | None = None) -> None:
        if self._local is not None:
            self._local.on_success(sent_at, hint)
            return
        self._default_pause = self._initial_pause
        if hint is not None and hint.remaining is not None and hint.remaining < 1 and hint.reset:
            reset = min(hint.reset, self._max_retry_after)
            self._pause_here(reset)
            self._report(self._budget.pause(reset))

    def on_throttled(self, sent_at: float, hint: RateLimitHint) -> None:
        if self._local is not None:
            self._local.on_throttled(sent_at, hint)
            return
        wait = hint.retry_after
        if wait is None and hint.remaining == 0 and hint.reset is not None:
            wait = hint.reset
        if wait is not None:
            wait = min(wait, self._max_retry_after)
        # Hold our own requests at once; the budget's answer may extend the pause.
        self._pause_here(wait if wait is not None else self._initial_pause)
        default = self._default_pause
        if wait is None:
            self._default_pause = min(2 * default, _MAX_DEFAULT_PAUSE)
        generation = self._generations.get(sent_at, -1)
        self._report(
            self._budget.throttled(
                sent_at + self._offset, generation, wait, default, self._initial_pause
            )
        )

    def close(self) -> None:
        """The client closes: every waiter (for a slot, a pause or its turn) gets
        ``TransportError`` at once."""
        self._sleepers.close()
        if self._local is not None:
            self._local.close()

    def open(self) -> None:
        """The client is entered again: requests may wait again."""
        self._sleepers.closed = False
        if self._local is not None:
            self._local.open()

    async def aclose(self) -> None:
        """Stop reports still on their way (the client is closing)."""
        for task in list(self._reports):
            task.cancel()
        for task in list(self._reports):
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task

    # --- internals ----------------------------------------------------------------------------

    def _learnt_hint(self) -> float | None:
        """Where the budget starts if the store has none (first use, or after a restart)."""
        learnt = self._grant.learnt if self._grant is not None else None
        return learnt if learnt is not None else self._hint

    def _refuse_known_pause(self, now: float, deadline: float | None) -> float:
        """Refuse at once a pause known here that is too long to wait out; the pause left."""
        paused = self._pause_until - now
        if paused > self._max_wait:
            raise paused_too_long(paused, self._max_wait, "account")
        self._check_deadline(paused, deadline)
        return paused

    async def _paused(self, now: float, deadline: float | None) -> bool:
        """Wait out a pause known here (our own 429); ``True`` if there was one."""
        paused = self._refuse_known_pause(now, deadline)
        if paused <= _MIN_WAIT:
            return False
        await self._wait(paused)
        return True

    def _check_deadline(self, delay: float, deadline: float | None) -> None:
        """Refuse a wait that would end after the caller's deadline (as the local pacer does)."""
        if deadline is None or delay <= _MIN_WAIT:
            return
        now = self._clock()
        if now + delay > deadline:
            raise past_deadline(delay, now, deadline)

    def _answered(self, grant: Grant) -> None:
        if self._local is not None:
            log.debug("rate budget shared again")
            self._local = None
        self._health.answered()
        self._grant = grant
        self._offset = grant.now - self._clock()
        self._pause_until = max(self._pause_until, grant.pause_until - self._offset)

    async def _plan_changed(self, generation: int) -> bool:
        """Whether the slot taken under ``generation`` is void now (a pause, a new rate)."""
        try:
            plan = await self._budget.plan()
        except StoreError as exc:
            self._fall_back(exc)
            return False  # the slot was fair when given: use it
        if plan is None:  # the budget is gone (the store restarted): take a new slot
            return True
        current, pause_until = plan
        self._pause_until = max(self._pause_until, pause_until - self._offset)
        return current != generation

    def _fall_back(self, error: BaseException) -> None:
        self._health.failed(error, "pacing on its own, conservatively,")
        self._retry_at = self._clock() + self._retry_interval
        if self._local is not None:
            return
        grant = self._grant
        share = max(1, grant.members) if grant is not None else 1
        ceiling = None if self._ceiling is None else self._ceiling / share
        learnt = self._learnt_hint()
        hint = None if learnt is None or grant is None else learnt / share
        self._local = self._make_local(ceiling, hint)
        if self._sleepers.closed:
            self._local.close()
        log.debug("pacing locally: ceiling %s, starting at %s (1/%d)", ceiling, hint, share)

    def _pause_here(self, seconds: float) -> None:
        until = self._clock() + min(max(seconds, 0.0), self._max_retry_after)
        if until > self._pause_until:
            self._pause_until = until
            self._sleepers.wake()  # the waiters' slots are void

    async def _wait(self, delay: float) -> bool:
        """Sleep ``delay``; ``True`` if woken early by a pause of our own; ``TransportError``
        once the client is closed."""
        return await self._sleepers.sleep(self._sleep, delay)

    def _report(self, call: Awaitable[Grant]) -> None:
        async def report() -> None:
            try:
                grant = await call
            except StoreError as exc:
                self._fall_back(exc)
                return
            self._answered(grant)

        task = asyncio.ensure_future(report())
        self._reports.add(task)
        task.add_done_callback(self._reports.discard)

    async def _settle_reports(self) -> None:
        """A slot is taken only once the 429s reported so far have reached the budget."""
        if self._reports:
            await asyncio.wait(list(self._reports))
