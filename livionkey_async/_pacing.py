"""The pacer: one rate-aware gate that every request of a client passes through.

It exists because LivionKey publishes no rate limits, answers too many requests with ``429`` and a
whole-second ``Retry-After``, and a bulk run fans out hundreds of requests at once: without a shared
gate each coroutine would discover the limit on its own, and every 429 stalls the whole client for
a second. The pacer is plain asyncio with an injectable clock and sleep; it does no I/O and takes
what the server said as a :class:`~._ratelimit_headers.RateLimitHint`.

Pacing is a GCRA (a token bucket kept as one "theoretical arrival time") with a burst of
``burst`` requests, one by default: with a ceiling of R requests per second the requests leave
evenly spaced, never R at once. Each caller reserves its own slot synchronously and then sleeps
until it, so concurrent callers spread out instead of waking in a herd; after every sleep it checks
again, because a 429 meanwhile may have paused everyone (then it takes a fresh slot after the pause,
in the order the slots were taken).

Finding the limit (``rate_limit=None``):

* **Start** paced at ``initial_rate`` (20/s) and double the rate every 0.7 s while requests succeed
  and callers are actually held by the pacer (slow start). Not unpaced: on a limited server an
  unpaced start spends its first round trip in the server's burst, so the inevitable first 429
  arrives with nothing learnt and costs a second anyway; a ramp from 20/s reaches 100/s in about
  1.6 s, and an unlimited server is still reached at the pool's own speed within a few seconds.
  ``initial_rate=None`` starts unpaced for those who know the server does not limit.
* **Decrease** once per congestion event: a 429 for a request let out before the last decrease
  belongs to the event already handled. The sustainable rate is estimated from the requests that
  succeeded in the second before the throttled one was sent (the pacing rate alone overshoots:
  the server's burst hides the excess for a while), capped by the current rate. The new plateau
  is 95 % of that estimate, or 80 % of the old plateau if the event struck at or below it (the
  plateau was wrong, converge fast). The rate drops to 85 % of the plateau and every caller
  pauses for the ``Retry-After``.
* **Increase** back to the plateau along a cubic curve within a second, then **hold** it: each
  probe costs a whole-client pause, so it only pays off if the limit has moved. After ``hold``
  (20 s, doubled up to 160 s each time a probe finds the limit where it was) the rate probes
  upwards along a slow convex cubic (+10 % after 3 s, +80 % after 6 s).

The rate only grows while the pacer is what holds callers back, so an idle or concurrency-bound
client does not inflate it. ``rate_limit`` is a hard ceiling over all of this; a quota announced by
``RateLimit``/``X-RateLimit`` headers caps the rate as well, ``remaining == 0`` pauses until the
reset, and a low remaining spreads what is left over the time until the reset.
"""

from __future__ import annotations

import asyncio
import logging
import math
import time
from collections import deque
from collections.abc import Awaitable, Callable

from ._errors import RateLimitedError
from ._ratelimit_headers import RateLimitHint

__all__ = ["Pacer"]

log = logging.getLogger("livionkey_async.pacing")

_EPSILON = 1e-9
_MAX_RATE = 1e6  # a discovered rate above this is as good as unpaced

# Discovery parameters (see the module docstring).
_SLOW_START_DOUBLING = 0.7  # seconds per doubling of the rate in slow start
_PLATEAU = 0.95  # plateau = this share of the estimated sustainable rate
_FAST_CONVERGENCE = 0.8  # plateau shrinks by this when a 429 strikes at or below it
_CUT = 0.85  # after a 429 the rate restarts at this share of the plateau ...
_RECOVERY = 1.0  # ... and climbs back to it in this many seconds
_HOLD = 20.0  # seconds on the plateau before probing upwards
_MAX_HOLD = 160.0
_PROBE_TIME = 3.0  # a probe is 10 % above the plateau after this many seconds (cubic)
_ESTIMATE_WINDOW = 1.0  # seconds of successes the estimate looks at
_MIN_ESTIMATE_SPAN = 0.5  # ... at least this much of them while the pacer held callers back
_LIMITED_MEMORY = 1.0  # the pacer counts as the bottleneck this long after it last held a caller
_LOW_REMAINING = 0.1  # remaining below this share of the quota is spread over the reset time
_LOW_REMAINING_UNKNOWN_LIMIT = 10.0  # ... or below this count when the quota is not known
_MAX_DEFAULT_PAUSE = 30.0  # ceiling of the backoff used when a 429 carries no Retry-After
_LOG_STEP = 1.1  # continuous growth is logged when it has moved by this factor
_REPLAN_STEP = 1.1  # waiters re-take their slots when the rate has grown by this factor
_NAP = 0.05  # waiters further than this from their slot wake half-way to re-check

_SLOW_START = "slow start"
_RECOVER = "recover"
_HOLDING = "hold"
_PROBE = "probe"


class Pacer:
    """The shared gate: ``sent_at = await acquire()``, then ``on_success``/``on_throttled``.

    ``rate_limit``: hard ceiling in requests per second (``None``: discover the limit).
    ``initial_rate``: slow-start rate while discovering (``None``: start unpaced).
    ``min_rate``: the discovered rate never drops below this. ``max_wait``: a pause longer than
    this makes :meth:`acquire` raise :class:`RateLimitedError` (status ``None``) instead of
    sleeping. ``burst``: requests that may leave back to back after an idle spell (with 1, a
    ceiling of R means at most R in any second). ``default_pause``: pause after a 429 without
    ``Retry-After``, doubled for each further event before a success.
    """

    __slots__ = (
        "_active_since",
        "_base",
        "_burst",
        "_ceiling",
        "_clock",
        "_congestion_events",
        "_default_pause",
        "_generation",
        "_grown",
        "_hold",
        "_initial_pause",
        "_last_decrease_at",
        "_last_delayed_at",
        "_last_grow_tick",
        "_last_logged_rate",
        "_last_sent",
        "_last_slot",
        "_max_wait",
        "_min_rate",
        "_mode",
        "_pause_until",
        "_paused_seconds",
        "_planned_rate",
        "_plateau",
        "_prev_tat",
        "_quota_rate",
        "_rate",
        "_sleep",
        "_spread_rate",
        "_spread_until",
        "_successes",
        "_tat",
        "_throttled",
        "_unlimited_at",
    )

    def __init__(
        self,
        *,
        rate_limit: float | None = None,
        initial_rate: float | None = 20.0,
        min_rate: float = 0.5,
        max_wait: float = 60.0,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
        burst: int = 1,
        default_pause: float = 1.0,
    ) -> None:
        if rate_limit is not None and not rate_limit > 0:
            raise ValueError("rate_limit must be positive (or None to discover it)")
        if initial_rate is not None and not initial_rate > 0:
            raise ValueError("initial_rate must be positive (or None to start unpaced)")
        if not min_rate > 0:
            raise ValueError("min_rate must be positive")
        if burst < 1:
            raise ValueError("burst must be at least 1")
        self._ceiling = rate_limit
        self._min_rate = min_rate
        self._max_wait = max_wait
        self._clock = clock
        self._sleep = sleep
        self._burst = burst
        self._initial_pause = default_pause
        self._default_pause = default_pause

        now = clock()
        # GCRA state: the next slot, a generation bumped whenever waiters must take a new slot.
        self._tat = -math.inf
        self._prev_tat = -math.inf
        self._last_slot = math.nan
        self._generation = 0
        self._last_sent = -math.inf
        self._pause_until = -math.inf
        self._paused_seconds = 0.0
        # Discovery state.
        self._successes: deque[float] = deque()  # sent_at of recent successes
        self._congestion_events = 0
        self._throttled = 0
        self._last_decrease_at = -math.inf
        self._last_delayed_at = -math.inf
        self._unlimited_at = now
        self._active_since = now
        self._last_grow_tick = now
        self._grown = 0.0
        self._hold = _HOLD
        self._quota_rate: float | None = None
        self._spread_rate: float | None = None
        self._spread_until = -math.inf
        if rate_limit is not None:
            # The caller knows the limit: pace at it from the first request, probing is capped.
            self._mode = _HOLDING
            self._plateau: float = rate_limit
            self._base: float | None = rate_limit
            self._grown = _RECOVERY
        else:
            self._mode = _SLOW_START
            self._plateau = math.inf
            self._base = initial_rate
        self._rate: float | None = self._base
        self._last_logged_rate = self.rate
        self._planned_rate = self.rate

    # --- public read-outs ----------------------------------------------------------------------

    @property
    def rate(self) -> float | None:
        """The pacing rate now (requests per second), ``None`` while unpaced."""
        return self._effective(self._clock())

    @property
    def paused_seconds(self) -> float:
        """Total time the whole client was (or is scheduled to be) held by pauses."""
        return self._paused_seconds

    @property
    def congestion_events(self) -> int:
        """How many distinct congestion events (rate decreases on a 429) there were."""
        return self._congestion_events

    @property
    def throttled(self) -> int:
        """How many 429 answers were reported, stragglers of one event included."""
        return self._throttled

    @property
    def paused_until(self) -> float:
        """Clock time the current pause ends (in the past when not paused)."""
        return self._pause_until

    def __repr__(self) -> str:
        rate = self.rate
        shown = "unpaced" if rate is None else f"{rate:.3g}/s"
        return f"Pacer(rate={shown}, mode={self._mode!r}, events={self._congestion_events})"

    # --- the gate ------------------------------------------------------------------------------

    async def acquire(self) -> float:
        """Wait until this request may go; return the clock time it was let out (``sent_at``).

        Raises :class:`RateLimitedError` (``status=None``, ``retry_after`` = the wait) when the
        client is paused for longer than ``max_wait``.
        """
        now = self._clock()
        generation = self._generation
        slot = self._reserve(now)
        try:
            while True:
                if generation != self._generation:  # a pause or a slowdown: take a new slot
                    generation = self._generation
                    slot = self._reserve(now)
                paused = self._pause_until - now
                if paused > self._max_wait:
                    raise RateLimitedError(
                        f"rate limited: the client is paused for another {paused:.1f}s, "
                        f"more than max_wait={self._max_wait:g}s",
                        status=None,
                        retry_after=paused,
                    )
                delay = max(slot, self._pause_until) - now
                if delay <= _EPSILON:
                    break
                # Nap in halves: a re-plan meanwhile (faster rate, pause) is seen soon.
                await self._sleep(delay if delay <= _NAP else max(_NAP, delay / 2))
                now = self._clock()
        except BaseException:
            self._give_back(slot, generation)
            raise
        self._last_sent = max(self._last_sent, now)
        return now

    def on_success(self, sent_at: float, hint: RateLimitHint | None = None) -> None:
        """A request let out at ``sent_at`` got an answer that was not a 429."""
        now = self._clock()
        self._successes.append(sent_at)
        horizon = now - 2 * _ESTIMATE_WINDOW
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
        if sent_at >= self._last_decrease_at:  # a new congestion event, not a straggler
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

    # --- slots ---------------------------------------------------------------------------------

    def _reserve(self, now: float) -> float:
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
        if slot > now + _EPSILON:
            self._last_delayed_at = now
        else:
            self._unlimited_at = now
        return slot

    def _give_back(self, slot: float, generation: int) -> None:
        """An abandoned wait returns its slot if nobody took one after it."""
        if generation == self._generation and slot == self._last_slot:
            self._tat = self._prev_tat
            self._last_slot = math.nan

    def _replan(self, now: float) -> None:
        """Waiters must take new slots (after a pause, or at a lower rate)."""
        self._generation += 1
        rate = self._effective(now)
        self._planned_rate = rate
        interval = 0.0 if rate is None else 1.0 / rate
        self._tat = max(self._pause_until, self._last_sent + interval)
        self._last_slot = math.nan

    # --- pauses --------------------------------------------------------------------------------

    def _pause(self, now: float, seconds: float, reason: str) -> None:
        until = now + max(seconds, 0.0)
        if until <= self._pause_until:
            return
        self._paused_seconds += until - max(self._pause_until, now)
        self._pause_until = until
        self._active_since = until
        log.debug("pause: every request waits %.3fs (%s)", seconds, reason)
        self._replan(now)

    # --- rate ----------------------------------------------------------------------------------

    def _effective(self, now: float) -> float | None:
        """The discovered rate under every cap that applies now."""
        rate = self._rate
        caps = [self._ceiling, self._quota_rate]
        if now < self._spread_until:
            caps.append(self._spread_rate)
        for cap in caps:
            if cap is not None and (rate is None or cap < rate):
                rate = cap
        return rate

    def _limited(self, now: float) -> bool:
        return now - self._last_delayed_at <= _LIMITED_MEMORY

    def _grow(self, now: float) -> None:
        """Advance the growth clock (only while the pacer holds callers back) and the rate."""
        elapsed = now - max(self._last_grow_tick, self._active_since)  # paused time never counts
        self._last_grow_tick = now
        if elapsed <= 0 or not self._limited(now) or now < self._pause_until:
            return
        if self._base is None:  # unpaced: nothing to grow
            return
        self._grown += elapsed
        old_mode = self._mode
        self._rate = self._curve()
        if self._mode != old_mode:
            log.debug("rate %s: %s -> %s", self._fmt(self._rate), old_mode, self._mode)
        self._log_drift(now)
        new, planned = self._effective(now), self._planned_rate
        if new is None or (planned is not None and new >= _REPLAN_STEP * planned):
            self._replan(now)

    def _curve(self) -> float:
        """The discovered rate after ``_grown`` seconds in the current mode."""
        base = self._base if self._base is not None else self._min_rate
        grown = self._grown
        if self._mode == _SLOW_START:
            return min(base * 2.0 ** min(grown / _SLOW_START_DOUBLING, 64.0), self._cap())
        plateau = self._plateau
        if grown < _RECOVERY:
            self._mode = _RECOVER
            left = 1.0 - grown / _RECOVERY
            return plateau - (plateau - base) * left**3
        if grown < _RECOVERY + self._hold:
            self._mode = _HOLDING
            return plateau
        self._mode = _PROBE
        over = (grown - _RECOVERY - self._hold) / _PROBE_TIME
        return min(plateau * (1.0 + 0.1 * over**3), self._cap())

    def _cap(self) -> float:
        """No use growing the discovered rate far past a cap that binds anyway."""
        caps = [cap for cap in (self._ceiling, self._quota_rate) if cap is not None]
        return min([_MAX_RATE, *(2.0 * cap for cap in caps)])

    def _estimate(self, sent_at: float) -> float | None:
        """Successes per second in the second before ``sent_at``, if the pacer was the limit."""
        start = max(sent_at - _ESTIMATE_WINDOW, self._unlimited_at, self._active_since)
        span = sent_at - start
        if span < _MIN_ESTIMATE_SPAN:
            return None
        count = sum(1 for sent in self._successes if start <= sent < sent_at)
        return count / span

    def _decrease(self, now: float, sent_at: float) -> None:
        old = self._effective(now)
        rate = self._rate
        measured = self._estimate(sent_at)
        if rate is None:
            estimate = measured
        elif measured is None:
            estimate = rate
        else:
            estimate = min(rate, measured)
        if self._mode == _SLOW_START and measured is None:
            # Nothing reliable learnt: halve, as after any slow start, and keep ramping.
            recent = sum(1 for sent in self._successes if sent >= now - _ESTIMATE_WINDOW)
            start = estimate / 2 if estimate is not None else float(recent)
            self._base = max(self._min_rate, start)
            reason = "429 in slow start, too early to estimate: halve"
        else:
            assert estimate is not None
            plateau = _PLATEAU * estimate
            if self._mode != _PROBE and plateau > _FAST_CONVERGENCE * self._plateau:
                plateau = _FAST_CONVERGENCE * self._plateau
            if self._mode == _PROBE and 0.9 < plateau / self._plateau < 1.1:
                self._hold = min(2 * self._hold, _MAX_HOLD)  # the limit did not move
            elif self._mode == _PROBE:
                self._hold = _HOLD
            self._plateau = max(self._min_rate, plateau)
            self._base = max(self._min_rate, _CUT * self._plateau)
            reason = f"429 ({self._mode}), estimated sustainable {self._fmt(estimate)}"
            self._mode = _RECOVER
        self._grown = 0.0
        self._rate = self._base
        new = self._effective(now)
        log.debug("rate %s -> %s: %s", self._fmt(old), self._fmt(new), reason)
        self._last_logged_rate = new
        self._replan(now)

    def _apply_hint(self, now: float, hint: RateLimitHint, *, throttled: bool) -> None:
        """Pace to what the server announced: quota, exhausted quota, low remaining."""
        old = self._effective(now)
        quota = hint.per_second
        if quota is not None and quota > 0 and quota != self._quota_rate:
            self._quota_rate = quota
            log.debug("quota announced: %s", self._fmt(quota))
        remaining, reset = hint.remaining, hint.reset
        if remaining is not None and reset is not None and reset > 0:
            if remaining < 1 and not throttled:
                self._pause(now, reset, "quota exhausted until its reset")
            elif remaining < self._low_remaining(hint.limit):
                self._spread_rate = max(remaining, 1.0) / reset
                self._spread_until = now + reset
                log.debug("low remaining (%d): spread over %.3fs", int(remaining), reset)
            elif now < self._spread_until:
                self._spread_until = -math.inf
        new = self._effective(now)
        if new != old:
            log.debug("rate %s -> %s: rate-limit headers", self._fmt(old), self._fmt(new))
            self._last_logged_rate = new
            if new is not None and (old is None or new < old):
                self._replan(now)

    @staticmethod
    def _low_remaining(limit: float | None) -> float:
        return _LOW_REMAINING_UNKNOWN_LIMIT if limit is None else _LOW_REMAINING * limit

    def _log_drift(self, now: float) -> None:
        new, last = self._effective(now), self._last_logged_rate
        if new is None or last is None:
            if new != last:
                log.debug("rate %s -> %s: growing", self._fmt(last), self._fmt(new))
                self._last_logged_rate = new
            return
        if max(new / last, last / new) >= _LOG_STEP:
            log.debug("rate %s -> %s: growing (%s)", self._fmt(last), self._fmt(new), self._mode)
            self._last_logged_rate = new

    @staticmethod
    def _fmt(rate: float | None) -> str:
        return "unpaced" if rate is None else f"{rate:.3g}/s"
