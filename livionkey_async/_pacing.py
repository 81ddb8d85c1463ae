"""The pacer: one rate-aware gate that every request of a client passes through.

It exists because LivionKey publishes no rate limits, answers too many requests with ``429`` and a
whole-second ``Retry-After``, and a bulk run fans out hundreds of requests at once: without a shared
gate each coroutine would discover the limit on its own, and every 429 stalls the whole client for
a second. Plain asyncio with an injectable clock and sleep; no I/O; what the server said arrives as
a :class:`~._ratelimit_headers.RateLimitHint`.

**Pacing** is a GCRA (a token bucket kept as one "theoretical arrival time") with a burst of
``burst`` requests, one by default: a ceiling of R requests per second means requests leave evenly
spaced, never R at once. Each caller reserves its own slot synchronously and then sleeps until it,
so concurrent callers spread out instead of waking in a herd. A change of plan (a pause, a
slowdown, a much faster rate) wakes every waiter at once; each then takes a fresh slot, in the
order the old slots were taken. So after a 429 every
caller, queued ones included, waits out the pause, and the queue leaves it evenly spaced. The
same GCRA is also checked against the times requests really left, so after a stall of the event
loop the slots that fell due meanwhile leave at most a few back to back, not all at once.

**Finding the limit** (``rate_limit=None``) is done by :class:`_RateFinder`:

* *Start* paced at ``initial_rate`` (30/s) and double the rate every second while requests succeed
  and the pacer is what holds callers back (slow start). Not unpaced: against a limited server an
  unpaced start spends its first round trip inside the server's burst, so its inevitable first 429
  teaches nothing and still costs a whole-second pause. A ramp does teach: the successes of its
  last second estimate the limit (doubling every second keeps that second representative; faster
  ramps overshoot more and estimate worse). It reaches 100/s in 1.7 s and 1000/s in 5 s; 30/s is
  below what most APIs allow a client, so most limits are approached from below.
  ``initial_rate=None`` starts unpaced, for those who know the server does not limit.
* *Decrease* once per congestion event: a 429 for a request let out before the last decrease
  belongs to the event already handled. The sustainable rate is estimated from the successes in
  the second before the throttled request was sent, not from the pacing rate alone (a server's
  burst hides the excess for a while, so the pacing rate at the first 429 overshoots). The new
  plateau is that estimate (at most 95 % of the rate that failed); when the 429 struck a plateau
  that had held, the plateau was too high by about the server's burst over the time it lasted,
  so it is cut the harder, the sooner it failed (to at most 95 %, at least 70 % of it). When
  nothing could be measured (too early, or the callers rather than the pacer set the pace) the
  rate is halved, as TCP does. Every caller pauses for the ``Retry-After``.
* *Increase*: restart at 85 % of the plateau and climb back to it along a cubic within a second,
  then *hold* it: each probe costs a whole-client pause, so it only pays when the limit moved.
  After 60 s (3 s when the plateau was a guess; doubled up to 480 s each time a probe finds the
  limit where it was) the rate probes upwards along a slow convex cubic (+10 % after 3 s, +80 %
  after 6 s). A failed probe never lowers the plateau it started from, which held all along, and
  raises it only when what got through was clearly (10 %) above it: a probe's measure includes
  the server's burst, and a plateau set on it would fail again within seconds.
* *Start from a hint* (``rate_hint``, an earlier run's learnt rate): hold it as a plateau from
  the first request, with no slow start and no first 429.

The discovered rate only grows while the pacer is what holds callers back (others are queued), so
an idle or concurrency-bound client does not inflate it. ``rate_limit`` is a hard ceiling over all
of this. Hints from ``RateLimit``/``X-RateLimit`` headers pace on top: the announced quota per
second caps the rate, ``remaining == 0`` pauses until the reset (instead of running into a 429),
and a low remaining (under 10 % of the quota) spreads what is left over the time to the reset.
"""

from __future__ import annotations

import asyncio
import logging
import math
import time
from collections import deque
from collections.abc import Awaitable, Callable
from typing import Any

from ._errors import RateLimitedError, TransportError
from ._ratelimit_headers import RateLimitHint

__all__ = [
    "Pacer",
    "Sleepers",
    "closed_while_waiting",
    "past_deadline",
    "paused_too_long",
    "sleep_unless",
]

log = logging.getLogger("livionkey_async.pacing")

_EPSILON = 1e-9
# A wait this short counts as done: a clock of epoch-sized floats (a fake one, or a monotonic
# clock after years of uptime) cannot even represent it, so sleeping it would never move time on.
_MIN_WAIT = 1e-6
_MAX_RATE = 1e6  # a discovered rate above this is as good as unpaced

# Discovery (see the module docstring).
_SLOW_START_DOUBLING = 1.0  # seconds per doubling of the rate in slow start
_PLATEAU = 0.95  # a plateau is at most this share of the rate that failed
_FAST_CONVERGENCE = 0.7  # a plateau that failed shrinks at least to this share ...
_BURST_GUESS = 0.2  # ... by the seconds a server's burst typically hides, per second it held
_CUT = 0.85  # after a 429 the rate restarts at this share of the plateau ...
_RECOVERY = 1.0  # ... and climbs back to it in this many seconds
_HOLD = 60.0  # seconds on the plateau before probing upwards
_GUESS_HOLD = 3.0  # ... when the plateau is a guess (halved, nothing measured)
_MAX_HOLD = 480.0  # ... at most, doubling while probes find the limit where it was
_PROBE_TIME = 3.0  # a probe is 10 % above the plateau after this many seconds (cubic)
_MOVED = 1.1  # a failed probe that measured less than this share of its plateau left it as it was
_ESTIMATE_WINDOW = 1.0  # the estimate counts the successes of the last second ...
_ESTIMATE_COUNT = 16  # ... or of as long as this many requests take at the current rate
_MIN_ESTIMATE_SPAN = 0.5  # ... and needs at least half of that window without a pause
_LIMITED_MEMORY = 1.0  # the rate grows only if the pacer held a caller in the last second

# Gate and hints.
_REPLAN_STEP = 1.1  # waiters re-take their slots when the rate has grown by this factor
_LOW_REMAINING = 0.1  # remaining under this share of the quota is spread over the reset time
_LOW_REMAINING_UNKNOWN_LIMIT = 10.0  # ... or under this count when the quota is not known
_MAX_DEFAULT_PAUSE = 30.0  # ceiling of the backoff used when a 429 carries no Retry-After
_SEND_TOLERANCE = 2  # requests that may leave late, back to back, after a stall (event loop jitter)
_LOG_STEP = 1.1  # continuous growth is logged each time it has moved by this factor

_SLOW_START = "slow start"
_RECOVER = "recover"
_HOLDING = "hold"
_PROBE = "probe"


def _fmt(rate: float | None) -> str:
    return "unpaced" if rate is None else f"{rate:.3g}/s"


# --- what both pacers (this one and ``_shared_pacing``'s) refuse with, and how they wait -------


def paused_too_long(paused: float, max_wait: float, who: str = "client") -> RateLimitedError:
    """The refusal of a request whose ``who`` is paused for longer than ``max_wait``."""
    return RateLimitedError(
        f"rate limited: the {who} is paused for another {paused:.1f}s, "
        f"more than max_wait={max_wait:g}s",
        status=None,
        retry_after=paused,
    )


def past_deadline(delay: float | None, now: float, deadline: float) -> RateLimitedError:
    """The refusal of a request that could leave only after its call's ``deadline`` (``delay``
    from ``now``; ``None``: its turn did not come before the deadline)."""
    left = max(0.0, deadline - now)
    if delay is None:
        what = "its turn to leave did not come before its call's deadline"
        return RateLimitedError(f"rate limited: {what} ({left:.1f}s)", status=None)
    return RateLimitedError(
        f"rate limited: this request could leave in {delay:.1f}s, after its call's deadline "
        f"(in {left:.1f}s)",
        status=None,
        retry_after=delay,
    )


def closed_while_waiting() -> TransportError:
    return TransportError("the client is closed (this call was waiting for its turn to send)")


async def sleep_unless(
    sleep: Callable[[float], Awaitable[None]], delay: float, wake: asyncio.Future[Any]
) -> bool:
    """Sleep ``delay`` with ``sleep``, or less if ``wake`` is done first; ``True`` if it was."""
    sleeper = asyncio.ensure_future(sleep(delay))
    try:
        await asyncio.wait((sleeper, wake), return_when=asyncio.FIRST_COMPLETED)
    finally:
        sleeper.cancel()
    return wake.done()


class Sleepers:
    """The requests of one pacer sleeping until their slots, woken all at once when the plan
    changes (a pause, a new rate) and, for good, when the client closes."""

    __slots__ = ("_woken", "closed")

    def __init__(self) -> None:
        self._woken: asyncio.Future[None] | None = None
        self.closed = False

    async def sleep(self, sleep: Callable[[float], Awaitable[None]], delay: float) -> bool:
        """Sleep ``delay`` with ``sleep``, or less if woken meanwhile (``True``); the closed
        client's ``TransportError`` once it is closed."""
        woken = False
        if not self.closed:
            future = self._woken
            if future is None or future.done():
                future = self._woken = asyncio.get_running_loop().create_future()
            woken = await sleep_unless(sleep, delay, future)
        if self.closed:
            raise closed_while_waiting()
        return woken

    def wake(self) -> None:
        """Every sleeper wakes now (to take a new slot)."""
        if self._woken is not None and not self._woken.done():
            self._woken.set_result(None)

    def close(self) -> None:
        """Every sleeper wakes now, and every later one at once, with ``TransportError``."""
        self.closed = True
        self.wake()


class _RateFinder:
    """The discovered rate as a function of growth time since the last decrease (pure)."""

    __slots__ = ("base", "grown", "hold", "mode", "plateau", "rate")

    def __init__(
        self, *, initial: float | None, known: float | None, hint: float | None = None
    ) -> None:
        self.hold = _HOLD
        self.grown = 0.0
        self.plateau = math.inf
        self.mode = _SLOW_START
        self.base: float | None = initial
        start = known if known is not None else hint
        if start is not None:
            # Told the limit (a ceiling caps the probes) or given what an earlier run learnt
            # (a plateau like any other: held, probed, lowered by a 429): sit on it.
            self.mode, self.plateau, self.base, self.grown = _HOLDING, start, start, _RECOVERY
        self.rate: float | None = self.base

    @property
    def learnt(self) -> float | None:
        """The plateau found (or given), ``None`` while still in slow start."""
        return None if self.mode == _SLOW_START or math.isinf(self.plateau) else self.plateau

    def grow(self, elapsed: float, cap: float) -> str | None:
        """Advance by ``elapsed`` seconds of growth; return the new mode if it changed."""
        if self.base is None:  # unpaced: nothing to grow
            return None
        self.grown += elapsed
        old_mode, grown, plateau = self.mode, self.grown, self.plateau
        if self.mode == _SLOW_START:
            rate = self.base * 2.0 ** min(grown / _SLOW_START_DOUBLING, 60.0)
        elif grown < _RECOVERY:
            self.mode = _RECOVER
            rate = plateau - (plateau - self.base) * (1.0 - grown / _RECOVERY) ** 3
        elif grown < _RECOVERY + self.hold:
            self.mode, rate = _HOLDING, plateau
        else:
            self.mode = _PROBE
            over = (grown - _RECOVERY - self.hold) / _PROBE_TIME
            rate = plateau * (1.0 + 0.1 * over**3)
        if rate > cap:  # a cap binds: stop the curve where it met the cap
            self.grown -= elapsed
            rate = cap
        self.rate = rate
        return self.mode if self.mode != old_mode else None

    def decrease(
        self,
        *,
        old: float | None,
        measured: float | None,
        trusted: bool,
        lasted: float,
        recent: float,
        min_rate: float,
    ) -> str:
        """Handle a congestion event; return why the rate is what it is now.

        ``old``: the effective rate the 429 struck; ``measured``/``trusted``: successes per second
        before it and whether the pacer (not the callers) set that pace; ``lasted``: seconds since
        the last pause ended; ``recent``: successes in the last second.
        """
        if old is None and measured is None:
            # Unpaced and nothing learnt yet: slow-start from what got through.
            self.mode, self.base = _SLOW_START, max(min_rate, recent)
            self.grown, self.rate = 0.0, self.base
            return "429 while unpaced: slow start"
        hold = _HOLD
        if measured is not None and (trusted or old is None):
            estimate = measured if old is None else min(_PLATEAU * old, measured)
            how = f"{_fmt(measured)} got through"
        else:  # halve, as TCP does after a loss, but not below what demonstrably got through
            assert old is not None
            estimate = max(old / 2, measured or 0.0)
            how, hold = "nothing measurable, halved", _GUESS_HOLD
        probing = self.mode == _PROBE and old is not None and old > self.plateau * (1 + _EPSILON)
        if probing:
            # The plateau held for the whole hold: a failed probe does not lower it. Nor does it
            # raise it by a little: what got through during the probe includes the server's
            # burst, so only a clearly higher measure says the limit moved.
            if estimate < _MOVED * self.plateau:  # the limit has not moved
                estimate = self.plateau
                if hold == _HOLD:
                    hold = min(2 * self.hold, _MAX_HOLD)
        elif self.mode != _SLOW_START:
            # The plateau itself failed: too high by about the server's burst over its lifetime.
            share = 1.0 - _BURST_GUESS / max(lasted, _EPSILON)
            estimate = min(estimate, min(max(share, _FAST_CONVERGENCE), _PLATEAU) * self.plateau)
        reason = f"429 in {self.mode}, {how}"
        self.mode, self.hold, self.grown = _RECOVER, hold, 0.0
        self.plateau = max(min_rate, estimate)
        self.base = self.rate = max(min_rate, _CUT * self.plateau)
        return reason


class Pacer:
    """The shared gate: ``sent_at = await acquire()``, then ``on_success``/``on_throttled``.

    ``rate_limit``: hard ceiling in requests per second (``None``: discover the limit).
    ``initial_rate``: slow-start rate while discovering (``None``: start unpaced).
    ``min_rate``: the discovered rate never drops below this. ``max_wait``: a pause longer than
    this makes :meth:`acquire` raise :class:`RateLimitedError` (``status=None``) instead of
    sleeping (waiting for a slot in the queue is never refused). ``burst``: requests that may leave
    back to back after an idle spell (with 1, a ceiling of R allows at most R in any second).
    ``default_pause``: the pause after a 429 without ``Retry-After``, doubled for each further
    event before a success (at most 30 s). ``max_retry_after``: the longest one ``Retry-After``
    (or an exhausted quota's reset) pauses the client; an absurd one pauses it this long, not
    for ever (the request that got it is refused by the transport, see ``max_retry_after``).
    """

    __slots__ = (
        "_active_since",
        "_burst",
        "_ceiling",
        "_clock",
        "_congestion_events",
        "_default_pause",
        "_finder",
        "_generation",
        "_initial_pause",
        "_last_decrease_at",
        "_last_delayed_at",
        "_last_grow_tick",
        "_last_logged_rate",
        "_last_sent",
        "_last_slot",
        "_max_retry_after",
        "_max_wait",
        "_min_rate",
        "_pause_until",
        "_paused_seconds",
        "_planned_rate",
        "_prev_tat",
        "_quota_rate",
        "_sent_tat",
        "_sleep",
        "_sleepers",
        "_spread_rate",
        "_spread_until",
        "_successes",
        "_tat",
        "_throttled",
        "_unlimited_at",
        "_waiters",
    )

    def __init__(
        self,
        *,
        rate_limit: float | None = None,
        initial_rate: float | None = 30.0,
        min_rate: float = 0.5,
        max_wait: float = 60.0,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
        burst: int = 1,
        default_pause: float = 1.0,
        rate_hint: float | None = None,
        max_retry_after: float = 120.0,
    ) -> None:
        if rate_limit is not None and not rate_limit > 0:
            raise ValueError("rate_limit must be positive (or None to discover it)")
        if rate_hint is not None and not rate_hint > 0:
            raise ValueError("rate_hint must be positive (or None to start from slow start)")
        if initial_rate is not None and not initial_rate > 0:
            raise ValueError("initial_rate must be positive (or None to start unpaced)")
        if not min_rate > 0 or not max_wait >= 0 or not default_pause >= 0:
            raise ValueError("min_rate must be positive, max_wait and default_pause not negative")
        if burst < 1:
            raise ValueError("burst must be at least 1")
        if not max_retry_after > 0:
            raise ValueError("max_retry_after must be positive")
        self._max_retry_after = max_retry_after
        self._ceiling = rate_limit
        self._min_rate = min_rate
        self._max_wait = max_wait
        self._clock = clock
        self._sleep = sleep
        self._burst = burst
        self._initial_pause = self._default_pause = default_pause
        if rate_hint is not None and rate_limit is not None:
            rate_hint = min(rate_hint, rate_limit)
        self._finder = _RateFinder(initial=initial_rate, known=rate_limit, hint=rate_hint)

        now = clock()
        # The gate: next free slot (GCRA), and a generation bumped whenever waiters must re-plan.
        self._tat = self._prev_tat = self._last_sent = -math.inf
        # GCRA over the times requests actually left: a stall of the event loop lets the slots
        # that fell due meanwhile leave spaced, not all at once.
        self._sent_tat = -math.inf
        self._last_slot = math.nan
        self._generation = 0
        self._sleepers = Sleepers()
        self._waiters = 0
        self._pause_until = -math.inf
        self._paused_seconds = 0.0
        # What the server let through, and whether the pacer or the callers set the pace.
        self._successes: deque[float] = deque()  # sent_at of recent successes
        self._congestion_events = self._throttled = 0
        self._last_decrease_at = self._last_delayed_at = -math.inf
        self._unlimited_at = self._active_since = self._last_grow_tick = now
        # Caps announced by the server.
        self._quota_rate: float | None = None
        self._spread_rate: float | None = None
        self._spread_until = -math.inf
        self._last_logged_rate = self._planned_rate = self._effective(now)

    # --- read-outs ----------------------------------------------------------------------------

    @property
    def rate(self) -> float | None:
        """The pacing rate now (requests per second), ``None`` while unpaced."""
        return self._effective(self._clock())

    @property
    def learnt_rate(self) -> float | None:
        """The rate the pacer settled on (a discovered plateau, or the given ceiling or hint),
        ``None`` while it is still ramping up: keep it to start the next client at it."""
        return self._finder.learnt

    @property
    def max_wait(self) -> float:
        """The longest pause a caller waits out before ``RateLimitedError``."""
        return self._max_wait

    @property
    def max_retry_after(self) -> float:
        """The longest one ``Retry-After`` pauses the client (longer ones are capped to it)."""
        return self._max_retry_after

    @property
    def paused_seconds(self) -> float:
        """Total time the whole client was (or is now scheduled to be) held by pauses."""
        return self._paused_seconds

    @property
    def congestion_events(self) -> int:
        """Distinct congestion events: 429s that decreased the rate (stragglers not counted)."""
        return self._congestion_events

    @property
    def throttled(self) -> int:
        """All 429 answers reported, stragglers of one event included."""
        return self._throttled

    @property
    def paused_until(self) -> float:
        """Clock time the current pause ends (in the past when not paused)."""
        return self._pause_until

    @property
    def mode(self) -> str:
        """Where discovery is: ``slow start``, ``recover``, ``hold`` or ``probe``."""
        return self._finder.mode

    def __repr__(self) -> str:
        return (
            f"Pacer(rate={_fmt(self.rate)}, mode={self.mode!r}, events={self._congestion_events})"
        )

    # --- the gate -----------------------------------------------------------------------------

    async def acquire(self, deadline: float | None = None) -> float:
        """Wait until this request may go; return the clock time it was let out (``sent_at``).

        Raises :class:`RateLimitedError` (``status=None``, ``retry_after`` = the wait left) when
        the client is paused for longer than ``max_wait``, or when the request could not leave
        before ``deadline`` (a clock time: the caller's deadline for its whole call).
        """
        now = self._clock()
        generation = self._generation
        slot = self._reserve(now, fresh=True)
        self._waiters += 1
        try:
            while True:
                if generation != self._generation:  # re-planned meanwhile: take a new slot
                    generation = self._generation
                    slot = self._reserve(now, fresh=False)
                paused = self._pause_until - now
                if paused > self._max_wait:
                    raise paused_too_long(paused, self._max_wait)
                delay = max(slot, self._pause_until, self._send_floor(now)) - now
                if delay <= _MIN_WAIT:
                    break
                if deadline is not None and now + delay > deadline:
                    raise past_deadline(delay, now, deadline)
                await self._wait(delay)
                now = self._clock()
        except BaseException:
            self._give_back(slot, generation)
            raise
        finally:
            self._waiters -= 1
        self._last_sent = max(self._last_sent, now)
        rate = self._effective(now)
        if rate is not None:
            self._sent_tat = max(self._sent_tat, now) + 1.0 / rate
        return now

    def _send_floor(self, now: float) -> float:
        """The earliest the next request may leave, judged by when the last ones really left."""
        rate = self._effective(now)
        if rate is None:
            return -math.inf
        return self._sent_tat - max(self._burst - 1, _SEND_TOLERANCE) / rate

    async def _wait(self, delay: float) -> None:
        """Sleep ``delay``, or less if the plan changes meanwhile (a pause, a new rate);
        ``TransportError`` once the client is closed."""
        await self._sleepers.sleep(self._sleep, delay)

    def close(self) -> None:
        """The client closes: every waiter wakes and gets ``TransportError`` at once."""
        self._sleepers.close()

    def open(self) -> None:
        """The client is entered again: requests may wait for their slots again."""
        self._sleepers.closed = False

    def on_success(self, sent_at: float, hint: RateLimitHint | None = None) -> None:
        """The request let out at ``sent_at`` got an answer that was not a 429."""
        now = self._clock()
        self._successes.append(sent_at)
        horizon = now - 2 * self._estimate_window(self._effective(now))
        while self._successes and self._successes[0] < horizon:
            self._successes.popleft()
        self._default_pause = self._initial_pause
        self._grow(now)
        if hint is not None:
            self._apply_hint(now, hint, throttled=False)

    def on_throttled(self, sent_at: float, hint: RateLimitHint) -> None:
        """A 429 answered the request let out at ``sent_at``: pause everyone, maybe slow down."""
        now = self._clock()
        self._throttled += 1
        wait = hint.retry_after
        if wait is None and hint.remaining == 0 and hint.reset is not None:
            wait = hint.reset
        if sent_at > self._last_decrease_at:  # let out after the last decrease: a new event
            self._congestion_events += 1
            self._decrease(now, sent_at)
            self._last_decrease_at = now
            if wait is None:
                wait = self._default_pause
                self._default_pause = min(2 * self._default_pause, _MAX_DEFAULT_PAUSE)
        elif wait is None:
            wait = self._initial_pause
        self._apply_hint(now, hint, throttled=True)
        self._pause(now, wait, "429")

    # --- slots and pauses ---------------------------------------------------------------------

    def _reserve(self, now: float, *, fresh: bool) -> float:
        rate = self._effective(now)
        start = max(now, self._pause_until)
        self._prev_tat = self._tat
        if rate is None:
            slot = start
        else:
            interval = 1.0 / rate
            slot = max(start, self._tat - (self._burst - 1) * interval)
            self._tat = max(self._tat, slot) + interval
        self._last_slot = slot
        if slot > now + _EPSILON or not fresh or self._waiters:
            self._last_delayed_at = now
        else:  # a newcomer found the gate open and nobody waiting: the callers set the pace
            self._unlimited_at = now
        return slot

    def _give_back(self, slot: float, generation: int) -> None:
        """An abandoned wait returns its slot if nobody took one after it."""
        if generation == self._generation and slot == self._last_slot:
            self._tat = self._prev_tat
            self._last_slot = math.nan

    def _replan(self, now: float) -> None:
        """Make every waiter take a new slot (after a pause, at a new rate)."""
        self._generation += 1
        self._sleepers.wake()  # every waiter takes a new slot
        rate = self._planned_rate = self._effective(now)
        interval = 0.0 if rate is None else 1.0 / rate
        self._tat = max(self._pause_until, self._last_sent + interval)
        self._last_slot = math.nan

    def _pause(self, now: float, seconds: float, reason: str) -> None:
        seconds = min(max(seconds, 0.0), self._max_retry_after)
        until = now + seconds
        if until <= self._pause_until:
            return
        self._paused_seconds += until - max(self._pause_until, now)
        self._pause_until = self._active_since = until
        log.debug("pause: every request waits %.3fs (%s)", seconds, reason)
        self._replan(now)

    # --- rate ---------------------------------------------------------------------------------

    def _effective(self, now: float) -> float | None:
        """The discovered rate under every cap that applies now (the hot path: no allocation)."""
        rate = self._finder.rate
        cap = self._ceiling
        if cap is not None and (rate is None or cap < rate):
            rate = cap
        cap = self._quota_rate
        if cap is not None and (rate is None or cap < rate):
            rate = cap
        if now < self._spread_until:
            cap = self._spread_rate
            if cap is not None and (rate is None or cap < rate):
                rate = cap
        return rate

    def _cap(self, now: float) -> float:
        """The lowest cap that applies now (``_MAX_RATE`` when none does)."""
        lowest = _MAX_RATE
        for cap in (self._ceiling, self._quota_rate):
            if cap is not None and cap < lowest:
                lowest = cap
        if now < self._spread_until and self._spread_rate is not None:
            lowest = min(lowest, self._spread_rate)
        return lowest

    def _grow(self, now: float) -> None:
        """Advance discovery by the time since the last success, if the pacer was the limit."""
        elapsed = now - max(self._last_grow_tick, self._active_since)  # pauses never count
        self._last_grow_tick = now
        limited = self._waiters > 0 or now - self._last_delayed_at <= _LIMITED_MEMORY
        if elapsed <= 0 or not limited:
            return
        mode = self._finder.grow(elapsed, self._cap(now))
        new, last = self._effective(now), self._last_logged_rate
        if mode is not None:
            log.debug("rate %s -> %s: %s", _fmt(last), _fmt(new), mode)
            self._last_logged_rate = new
        elif new is not None and last is not None and max(new / last, last / new) >= _LOG_STEP:
            log.debug("rate %s -> %s: %s", _fmt(last), _fmt(new), self._finder.mode)
            self._last_logged_rate = new
        planned = self._planned_rate
        if new is not None and planned is not None and new >= _REPLAN_STEP * planned:
            self._replan(now)  # much faster now: do not leave the queue on the slower plan

    def _estimate_window(self, rate: float | None) -> float:
        return _ESTIMATE_WINDOW if rate is None else max(_ESTIMATE_WINDOW, _ESTIMATE_COUNT / rate)

    def _measured(self, sent_at: float) -> tuple[float | None, bool]:
        """Successes per second in the window before ``sent_at``, and whether the pacer held
        callers back all along (otherwise the callers, not the server, set that number)."""
        window = self._estimate_window(self._effective(sent_at))
        start = max(sent_at - window, self._active_since)
        span = sent_at - start
        if span < _MIN_ESTIMATE_SPAN * window:
            return None, False
        count = sum(1 for sent in self._successes if start <= sent < sent_at)
        return count / span, self._unlimited_at <= start

    def _decrease(self, now: float, sent_at: float) -> None:
        old = self._effective(now)
        measured, trusted = self._measured(sent_at)
        reason = self._finder.decrease(
            old=old,
            measured=measured,
            trusted=trusted,
            lasted=sent_at - self._active_since,
            recent=float(sum(1 for sent in self._successes if sent >= now - _ESTIMATE_WINDOW)),
            min_rate=self._min_rate,
        )
        new = self._effective(now)
        log.debug("rate %s -> %s: %s", _fmt(old), _fmt(new), reason)
        self._last_logged_rate = new
        self._replan(now)

    def _apply_hint(self, now: float, hint: RateLimitHint, *, throttled: bool) -> None:
        """Pace to what the server announced: its quota, an exhausted or a low remaining."""
        old = self._effective(now)
        quota = hint.per_second
        if quota is not None and quota > 0:
            self._quota_rate = quota
        remaining, reset = hint.remaining, hint.reset
        if remaining is not None and reset is not None and reset > 0:
            limit = hint.limit
            low = _LOW_REMAINING_UNKNOWN_LIMIT if limit is None else _LOW_REMAINING * limit
            if remaining < 1:
                if not throttled:  # a 429 pauses anyway, for its Retry-After or this reset
                    self._pause(now, reset, "quota exhausted until its reset")
            elif remaining < low:
                self._spread_rate, self._spread_until = remaining / reset, now + reset
            else:
                self._spread_until = -math.inf
        new = self._effective(now)
        if new != old:
            log.debug("rate %s -> %s: rate-limit headers", _fmt(old), _fmt(new))
            self._last_logged_rate = new
            if new is not None and (old is None or new < old):
                self._replan(now)
