"""The pacer on a fake clock: smooth ceilings, spread slots, global pauses, limit discovery.

Nothing here sleeps for real: :class:`FakeTime` parks every ``sleep`` on a heap and jumps the clock
to the next wake-up once every task it drives is parked. The model tests push 2,000 requests through
a token-bucket "server" and assert fake-time durations and 429 counts, which are deterministic.
"""

from __future__ import annotations

import asyncio
import bisect
import heapq
import itertools
import logging
import math
from collections.abc import Awaitable, Coroutine
from dataclasses import dataclass, field
from typing import Any, TypeVar

import pytest

from livionkey_async._errors import RateLimitedError
from livionkey_async._pacing import Pacer, _RateFinder
from livionkey_async._ratelimit_headers import RateLimitHint

T = TypeVar("T")


class FakeTime:
    """A virtual clock and a ``sleep`` that advances it instead of waiting."""

    def __init__(self, start: float = 0.0) -> None:
        self.now = start
        self._sleepers: list[tuple[float, int, asyncio.Future[None]]] = []
        self._order = itertools.count()  # ties wake in the order they went to sleep

    def clock(self) -> float:
        return self.now

    async def sleep(self, delay: float) -> None:
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        heapq.heappush(self._sleepers, (self.now + max(delay, 0.0), next(self._order), future))
        await future

    async def run(self, *coros: Coroutine[Any, Any, T]) -> list[T]:
        """Run ``coros`` to completion on fake time; they may only block in :meth:`sleep`."""
        tasks = [asyncio.ensure_future(coro) for coro in coros]
        while True:
            for _ in range(100_000):  # let every task run until it finishes or parks
                live = sum(not task.done() for task in tasks)
                parked = sum(not future.done() for _, _, future in self._sleepers)
                if parked >= live:
                    break
                await asyncio.sleep(0)
            else:
                raise AssertionError("a task is blocked on something other than FakeTime.sleep")
            if live == 0:
                return [task.result() for task in tasks]
            when, _, future = heapq.heappop(self._sleepers)
            if not future.done():
                self.now = max(self.now, when)
                future.set_result(None)

    async def one(self, awaitable: Awaitable[T]) -> T:
        async def wrap() -> T:
            return await awaitable

        return (await self.run(wrap()))[0]


def pacer_on(ft: FakeTime, **kwargs: Any) -> Pacer:
    return Pacer(clock=ft.clock, sleep=ft.sleep, **kwargs)


def most_in_any_window(times: list[float], width: float = 1.0) -> int:
    ordered = sorted(times)
    return max(
        (bisect.bisect_left(ordered, t + width - 1e-9) - i for i, t in enumerate(ordered)),
        default=0,
    )


# --- the fake-time model: a token-bucket server and concurrent workers ---------------------------

LIMIT = 100.0  # requests per second the server allows
BURST = 10.0
TOTAL = 2000
WORKERS = 16
LATENCY = 0.020  # round trip, half each way
IDEAL = TOTAL / LIMIT


class TokenBucketServer:
    """Allows ``rate`` requests per second with a bucket of ``burst``; a 429 says Retry-After
    in whole seconds, at least 1, like real servers."""

    def __init__(self, ft: FakeTime, rate: float = LIMIT, burst: float = BURST) -> None:
        self.ft, self.rate, self.burst = ft, rate, burst
        self.tokens, self.last = burst, ft.now
        self.rejected: list[float] = []

    def handle(self) -> float | None:
        now = self.ft.now
        self.tokens = min(self.burst, self.tokens + (now - self.last) * self.rate)
        self.last = now
        if self.tokens >= 1 - 1e-9:
            self.tokens -= 1
            return None
        self.rejected.append(now)
        return max(1.0, math.ceil((1 - self.tokens) / self.rate))


@dataclass
class ModelResult:
    elapsed: float
    pacer: Pacer
    rejected: list[float]
    sends: list[float] = field(default_factory=list)


async def run_model(rate_limit: float | None, *, server_rate: float = LIMIT) -> ModelResult:
    ft = FakeTime()
    server = TokenBucketServer(ft, rate=server_rate)
    pacer = pacer_on(ft, rate_limit=rate_limit)
    result = ModelResult(0.0, pacer, server.rejected)
    left = TOTAL

    async def worker() -> None:
        nonlocal left
        while left > 0:
            left -= 1
            while True:
                sent_at = await pacer.acquire()
                result.sends.append(sent_at)
                await ft.sleep(LATENCY / 2)
                retry_after = server.handle()
                await ft.sleep(LATENCY / 2)
                if retry_after is None:
                    pacer.on_success(sent_at)
                    break
                pacer.on_throttled(sent_at, RateLimitHint(retry_after=retry_after))

    await ft.run(*(worker() for _ in range(WORKERS)))
    result.elapsed = ft.now
    return result


async def test_model_discovers_the_limit_within_15_percent_of_ideal() -> None:
    result = await run_model(rate_limit=None)
    assert result.elapsed <= 1.15 * IDEAL, result.elapsed / IDEAL
    assert len(result.rejected) < 0.03 * TOTAL
    assert result.pacer.congestion_events <= 3
    rate = result.pacer.rate
    assert rate is not None
    assert 0.9 * LIMIT <= rate <= LIMIT  # it settled just below the limit, not above


async def test_model_with_the_right_ceiling_is_smooth_and_not_throttled() -> None:
    result = await run_model(rate_limit=LIMIT)
    assert result.elapsed <= 1.05 * IDEAL, result.elapsed / IDEAL
    assert [t for t in result.rejected if t > 1.0] == []
    assert most_in_any_window(result.sends) <= LIMIT
    assert result.pacer.congestion_events == 0


async def test_model_ceiling_is_respected_in_every_second_against_a_generous_server() -> None:
    result = await run_model(rate_limit=50.0, server_rate=1000.0)
    assert most_in_any_window(result.sends) <= 50
    assert most_in_any_window(result.sends, 0.1) <= 5  # smooth: never a burst at the start
    assert result.elapsed == pytest.approx(TOTAL / 50, rel=0.01)


async def test_model_ceiling_above_the_real_limit_still_backs_off() -> None:
    result = await run_model(rate_limit=200.0)
    assert result.elapsed <= 1.2 * IDEAL
    assert len(result.rejected) < 0.03 * TOTAL
    rate = result.pacer.rate
    assert rate is not None
    assert rate <= LIMIT


# --- slots ---------------------------------------------------------------------------------------


async def test_concurrent_acquires_get_evenly_spaced_slots() -> None:
    ft = FakeTime()
    pacer = pacer_on(ft, rate_limit=10.0)
    sent = await ft.run(*(pacer.acquire() for _ in range(10)))
    assert sorted(sent) == pytest.approx([i / 10 for i in range(10)])


async def test_no_burst_at_start_even_with_a_crowd() -> None:
    ft = FakeTime()
    pacer = pacer_on(ft, rate_limit=50.0)
    sent = await ft.run(*(pacer.acquire() for _ in range(200)))
    assert sum(t < 0.1 for t in sent) == 5
    assert most_in_any_window(sent) <= 50


async def test_burst_allows_that_many_back_to_back() -> None:
    ft = FakeTime()
    pacer = pacer_on(ft, rate_limit=10.0, burst=3)
    sent = sorted(await ft.run(*(pacer.acquire() for _ in range(5))))
    assert sent == pytest.approx([0.0, 0.0, 0.0, 0.1, 0.2])


async def test_a_cancelled_waiter_gives_its_slot_back() -> None:
    ft = FakeTime()
    pacer = pacer_on(ft, rate_limit=1.0)
    assert await ft.one(pacer.acquire()) == 0.0
    waiter = asyncio.ensure_future(pacer.acquire())  # would get the slot at 1.0
    for _ in range(3):  # let the waiter park in its sleep
        await asyncio.sleep(0)
    waiter.cancel()
    for _ in range(3):  # let the cancellation reach it
        await asyncio.sleep(0)
    assert waiter.cancelled()
    ft.now = 0.5
    assert await ft.one(pacer.acquire()) == pytest.approx(1.0)


# --- pauses --------------------------------------------------------------------------------------


async def test_a_429_pauses_every_caller_and_they_leave_the_pause_spaced() -> None:
    ft = FakeTime()
    pacer = pacer_on(ft, rate_limit=10.0)

    async def throttled_at(when: float) -> float:
        await ft.sleep(when)
        pacer.on_throttled(0.0, RateLimitHint(retry_after=2.0))
        return when

    *sent, _ = await ft.run(*(pacer.acquire() for _ in range(6)), throttled_at(0.05))
    first, *rest = sorted(sent)
    assert first == 0.0  # let out before the 429
    assert min(rest) >= 2.05  # slots reserved at 0.1 ... 0.5 waited for the pause
    gaps = [b - a for a, b in itertools.pairwise(sorted(rest))]
    assert min(gaps) >= 0.1 - 1e-9  # and did not leave it in a herd
    assert pacer.paused_seconds == pytest.approx(2.0)


async def test_a_pause_longer_than_max_wait_raises_instead_of_sleeping() -> None:
    ft = FakeTime()
    pacer = pacer_on(ft, rate_limit=10.0, max_wait=5.0)
    pacer.on_throttled(0.0, RateLimitHint(retry_after=30.0))
    with pytest.raises(RateLimitedError) as caught:
        await ft.one(pacer.acquire())
    assert caught.value.status is None
    assert caught.value.retry_after == pytest.approx(30.0)
    assert ft.now == 0.0


async def test_a_pause_within_max_wait_is_waited_out() -> None:
    ft = FakeTime()
    pacer = pacer_on(ft, rate_limit=10.0, max_wait=5.0)
    pacer.on_throttled(0.0, RateLimitHint(retry_after=3.0))
    assert await ft.one(pacer.acquire()) == pytest.approx(3.0)


async def test_overlapping_pauses_count_once() -> None:
    ft = FakeTime()
    pacer = pacer_on(ft, rate_limit=10.0)
    pacer.on_throttled(0.0, RateLimitHint(retry_after=2.0))
    ft.now = 1.0
    pacer.on_throttled(0.0, RateLimitHint(retry_after=2.0))  # a straggler: extends to 3.0
    assert pacer.paused_seconds == pytest.approx(3.0)
    assert pacer.paused_until == pytest.approx(3.0)
    assert pacer.throttled == 2


async def test_without_retry_after_the_default_pause_backs_off_until_a_success() -> None:
    ft = FakeTime()
    pacer = pacer_on(ft, initial_rate=10.0)
    pacer.on_throttled(0.0, RateLimitHint())
    assert pacer.paused_until == pytest.approx(1.0)
    sent = await ft.one(pacer.acquire())
    pacer.on_throttled(sent, RateLimitHint())  # a new event before any success
    assert pacer.paused_until - ft.now == pytest.approx(2.0)
    sent = await ft.one(pacer.acquire())
    pacer.on_success(sent)
    pacer.on_throttled(sent, RateLimitHint())
    assert pacer.paused_until - ft.now == pytest.approx(1.0)


# --- congestion events ---------------------------------------------------------------------------


async def test_one_decrease_per_congestion_event() -> None:
    ft = FakeTime()
    pacer = pacer_on(ft, initial_rate=20.0)
    early = await ft.run(*(pacer.acquire() for _ in range(4)))
    pacer.on_throttled(early[0], RateLimitHint(retry_after=1.0))
    after_first = pacer.rate
    assert after_first is not None
    assert after_first < 20.0
    for sent_at in early[1:]:  # stragglers of the same event
        pacer.on_throttled(sent_at, RateLimitHint(retry_after=1.0))
    assert pacer.congestion_events == 1
    assert pacer.rate == after_first
    assert pacer.throttled == 4

    later = await ft.one(pacer.acquire())  # let out after the decrease: a new event
    pacer.on_throttled(later, RateLimitHint(retry_after=1.0))
    assert pacer.congestion_events == 2
    rate = pacer.rate
    assert rate is not None
    assert rate < after_first


async def test_rate_grows_only_while_the_pacer_holds_callers_back() -> None:
    ft = FakeTime()
    idle = pacer_on(ft, initial_rate=10.0)

    async def one_every_two_seconds() -> None:
        for _ in range(10):
            idle.on_success(await idle.acquire())
            await ft.sleep(2.0)

    await ft.run(one_every_two_seconds())
    assert idle.rate == 10.0

    ft = FakeTime()
    busy = pacer_on(ft, initial_rate=10.0)

    async def eager() -> None:
        for _ in range(10):
            busy.on_success(await busy.acquire())

    await ft.run(*(eager() for _ in range(8)))
    rate = busy.rate
    assert rate is not None
    assert rate > 20.0
    assert busy.mode == "slow start"


async def test_unpaced_start_lets_everyone_through_until_the_first_429() -> None:
    ft = FakeTime()
    pacer = pacer_on(ft, initial_rate=None)
    assert pacer.rate is None
    sent = await ft.run(*(pacer.acquire() for _ in range(50)))
    assert set(sent) == {0.0}
    for sent_at in sent[:10]:
        pacer.on_success(sent_at)
    pacer.on_throttled(sent[10], RateLimitHint(retry_after=1.0))
    assert pacer.rate is not None
    assert pacer.congestion_events == 1


# --- server hints --------------------------------------------------------------------------------


async def test_announced_quota_caps_the_rate() -> None:
    ft = FakeTime()
    pacer = pacer_on(ft, initial_rate=30.0)
    pacer.on_success(0.0, RateLimitHint(limit=50.0, window=10.0, remaining=45.0, reset=9.0))
    assert pacer.rate == pytest.approx(5.0)
    sent = sorted(await ft.run(*(pacer.acquire() for _ in range(5))))
    assert [b - a for a, b in itertools.pairwise(sent)] == pytest.approx([0.2] * 4)


async def test_exhausted_quota_pauses_until_the_reset_without_a_429() -> None:
    ft = FakeTime()
    pacer = pacer_on(ft, rate_limit=10.0)
    pacer.on_success(0.0, RateLimitHint(limit=10.0, remaining=0.0, reset=3.0))
    assert await ft.one(pacer.acquire()) == pytest.approx(3.0)
    assert pacer.congestion_events == 0
    assert pacer.paused_seconds == pytest.approx(3.0)


async def test_queued_callers_wait_for_an_exhausted_quota_and_leave_spaced() -> None:
    ft = FakeTime()
    pacer = pacer_on(ft, rate_limit=10.0)

    async def exhausted_at(when: float) -> float:
        await ft.sleep(when)
        pacer.on_success(0.0, RateLimitHint(limit=10.0, remaining=0.0, reset=3.0))
        return when

    *sent, _ = await ft.run(*(pacer.acquire() for _ in range(6)), exhausted_at(0.05))
    first, *rest = sorted(sent)
    assert first == 0.0
    assert min(rest) >= 3.05  # no 429, no decrease: the pause alone held the queue
    assert min(b - a for a, b in itertools.pairwise(sorted(rest))) >= 0.1 - 1e-9
    assert pacer.congestion_events == 0


async def test_low_remaining_is_spread_over_the_time_to_reset() -> None:
    ft = FakeTime()
    pacer = pacer_on(ft, rate_limit=10.0)
    pacer.on_success(0.0, RateLimitHint(limit=100.0, remaining=2.0, reset=4.0))
    assert pacer.rate == pytest.approx(0.5)
    ft.now = 4.5  # past the reset: back to the ceiling
    assert pacer.rate == pytest.approx(10.0)
    pacer.on_success(4.0, RateLimitHint(limit=100.0, remaining=50.0, reset=4.0))
    assert pacer.rate == pytest.approx(10.0)  # plenty left: no spreading


async def test_a_429_with_an_exhausted_quota_waits_for_the_reset() -> None:
    ft = FakeTime()
    pacer = pacer_on(ft, rate_limit=10.0)
    pacer.on_throttled(0.0, RateLimitHint(limit=10.0, remaining=0.0, reset=4.0))
    assert pacer.paused_until == pytest.approx(4.0)


# --- logging and construction --------------------------------------------------------------------


async def test_rate_changes_and_pauses_are_logged_with_old_and_new_rate(
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG, logger="livionkey_async.pacing")
    ft = FakeTime()
    pacer = pacer_on(ft, initial_rate=20.0)
    pacer.on_throttled(0.0, RateLimitHint(retry_after=1.0))
    messages = [record.getMessage() for record in caplog.records]
    assert any(m.startswith("rate 20/s -> ") and "429" in m for m in messages), messages
    assert any(m.startswith("pause: every request waits 1.000s") for m in messages), messages


def test_invalid_arguments_are_refused() -> None:
    with pytest.raises(ValueError, match="rate_limit"):
        Pacer(rate_limit=0)
    with pytest.raises(ValueError, match="initial_rate"):
        Pacer(initial_rate=-1)
    with pytest.raises(ValueError, match="burst"):
        Pacer(burst=0)


# --- the discovery policy on its own -------------------------------------------------------------


def test_a_failed_probe_keeps_the_plateau_and_probes_later() -> None:
    finder = _RateFinder(initial=10.0, known=None)
    finder.mode, finder.plateau, finder.hold = "probe", 100.0, 20.0
    finder.decrease(old=110.0, measured=90.0, trusted=True, lasted=30.0, recent=90.0, min_rate=0.5)
    assert finder.plateau == 100.0
    assert finder.hold == 40.0
    assert finder.rate == pytest.approx(85.0)


@pytest.mark.parametrize(("lasted", "plateau"), [(0.5, 70.0), (4.0, 95.0)])
def test_a_plateau_that_fails_is_cut_the_harder_the_sooner(lasted: float, plateau: float) -> None:
    finder = _RateFinder(initial=10.0, known=None)
    finder.mode, finder.plateau = "hold", 100.0
    finder.decrease(
        old=100.0, measured=100.0, trusted=True, lasted=lasted, recent=100.0, min_rate=0.5
    )
    assert finder.plateau == pytest.approx(plateau)


def test_without_a_trusted_measurement_the_rate_is_halved_and_checked_soon() -> None:
    finder = _RateFinder(initial=10.0, known=None)
    finder.decrease(old=80.0, measured=None, trusted=False, lasted=0.2, recent=5.0, min_rate=0.5)
    assert finder.plateau == 40.0
    assert finder.hold < 20.0
    assert finder.mode == "recover"


def test_discovered_rate_never_drops_below_min_rate() -> None:
    finder = _RateFinder(initial=1.0, known=None)
    finder.decrease(old=1.0, measured=0.1, trusted=True, lasted=5.0, recent=0.0, min_rate=0.5)
    assert finder.plateau == 0.5
    assert finder.rate == 0.5


async def test_a_faster_plan_wakes_waiters_queued_on_the_slower_one() -> None:
    ft = FakeTime()
    pacer = pacer_on(ft)  # discovering: slow start from 30/s, doubling each second

    async def request() -> float:
        sent = await pacer.acquire()
        await ft.sleep(0.002)  # a fast server: the pacer alone sets the pace
        pacer.on_success(sent)
        return sent

    sent = await ft.run(*(request() for _ in range(300)))
    # At a fixed 30/s the last would leave after 10 s; slow start must pull the queue forward.
    assert max(sent) < 5.0
    assert pacer.rate is not None
    assert pacer.rate > 100
