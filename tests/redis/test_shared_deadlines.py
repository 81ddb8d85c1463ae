"""The shared budget keeps deadlines as the local pacer does: a call that could not leave in time
is refused at once and takes no slot from the calls that can.

The arrival test is a short real run against a real Redis (the budget runs on Redis's clock, so
no fake one can drive it); it asserts counts and the budget's own state, never elapsed time.
"""

from __future__ import annotations

import asyncio
import math
import time
from collections.abc import AsyncIterator, Awaitable, Callable

import pytest
import redis.asyncio as aioredis

from livionkey_async import RateLimitedError, TransportError
from livionkey_async._pacing import Pacer
from livionkey_async._ratelimit_headers import RateLimitHint
from livionkey_async._shared_pacing import SharedPacer
from livionkey_async.redis import RedisStore

ACCOUNT = "acct"
GUARD = 10.0  # seconds a test may take before it counts as hung


def _pacer(
    store: RedisStore,
    rate_limit: float,
    *,
    max_wait: float = 60.0,
    sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
) -> SharedPacer:
    def local(ceiling: float | None, hint: float | None) -> Pacer:
        return Pacer(rate_limit=ceiling, rate_hint=hint, max_wait=max_wait, sleep=sleep)

    budget = store.rate_budget(
        ACCOUNT, rate_limit=rate_limit, initial_rate=30.0, burst=1, min_rate=0.5
    )
    return SharedPacer(
        budget,
        store.health,
        local=local,
        rate_limit=rate_limit,
        rate_hint=None,
        max_wait=max_wait,
        sleep=sleep,
    )


@pytest.fixture
async def store(redis_url: str, redis_namespace: str) -> AsyncIterator[RedisStore]:
    async with RedisStore(redis_url, namespace=redis_namespace) as shared:
        yield shared


@pytest.fixture
async def redis(redis_url: str) -> AsyncIterator[aioredis.Redis]:
    client = aioredis.Redis.from_url(redis_url, decode_responses=True)
    try:
        yield client
    finally:
        await client.aclose()


async def _budget_state(redis: aioredis.Redis, namespace: str) -> tuple[float, float, int]:
    """Redis's clock now, the budget's next free slot (its GCRA's tat) and slots given so far."""
    seconds, micros = await redis.time()
    tat, seq = await redis.hmget(f"{namespace}:{{{ACCOUNT}}}:pace", ["tat", "seq"])
    return seconds + micros / 1e6, float(tat or -math.inf), int(float(seq or 0))


async def test_calls_that_would_miss_their_deadline_take_no_slot(
    store: RedisStore, redis: aioredis.Redis, redis_namespace: str
) -> None:
    """The reviewer's measure, shortened: calls with 0.5 s deadlines arrive at 20/s for 1.5 s at
    a shared budget of 10/s. Those whose slot comes in time go; the others are refused without
    reserving, so the budget stays level with what was really sent instead of running ahead."""
    pacer = _pacer(store, 10.0)
    start, _, _ = await _budget_state(redis, redis_namespace)

    refusals: list[RateLimitedError] = []

    async def call() -> bool:
        try:
            await pacer.acquire(time.monotonic() + 0.5)
        except RateLimitedError as exc:
            refusals.append(exc)
            return False
        return True

    calls: list[asyncio.Task[bool]] = []
    async with asyncio.timeout(GUARD):
        for _ in range(30):
            calls.append(asyncio.create_task(call()))
            await asyncio.sleep(0.05)
        results = await asyncio.gather(*calls)
    now, tat, given = await _budget_state(redis, redis_namespace)
    sent = sum(results)
    # 10/s for the 1.5 s of arrivals (plus what the last deadlines reach): about 20 of 30, as
    # the local pacer sends; the budget refused the rest (before: 8 sent, 22 refused).
    assert 13 <= sent <= 22, sent
    assert given == sent  # a refused call reserved nothing
    assert len(refusals) == 30 - sent
    assert all(r.status is None and "deadline" in str(r) for r in refusals)
    # The budget's next slot is no further ahead than the slots really sent take at 10/s.
    assert tat - start <= sent * 0.1 + 0.15
    assert tat - now <= 0.6


async def test_a_call_is_refused_at_once_when_a_pause_outlasts_its_deadline(
    store: RedisStore, redis: aioredis.Redis, redis_namespace: str
) -> None:
    waits: list[float] = []

    async def recording_sleep(seconds: float) -> None:
        waits.append(seconds)
        await asyncio.sleep(0)

    seen, other = _pacer(store, 10.0), _pacer(store, 10.0, sleep=recording_sleep)
    async with asyncio.timeout(GUARD):
        seen.on_throttled(await seen.acquire(), RateLimitHint(retry_after=2.0))
        await seen._settle_reports()  # the other process's 429 paused the account for 2 s
        _, _, given = await _budget_state(redis, redis_namespace)
        with pytest.raises(RateLimitedError, match="after its call's deadline") as refused:
            await other.acquire(time.monotonic() + 0.5)
    assert refused.value.status is None
    assert refused.value.retry_after is not None
    assert 1.5 < refused.value.retry_after <= 2.0
    assert waits == []  # refused at once, not let out when the pause ends
    assert (await _budget_state(redis, redis_namespace))[2] == given  # and took no slot
    # A pause longer than max_wait is refused by the budget too, as the local pacer's.
    patient = _pacer(store, 10.0, max_wait=1.0, sleep=recording_sleep)
    with pytest.raises(RateLimitedError, match=r"account is paused .* more than max_wait=1s"):
        await patient.acquire()
    assert waits == []


async def test_a_call_queued_for_its_turn_gives_up_at_its_deadline_and_at_close(
    store: RedisStore,
) -> None:
    """One call sleeps out a far slot holding the process's turn: a call queued behind it ends
    at its own deadline, and closing the client ends the sleeper at once."""
    held = asyncio.Event()

    async def sleep(seconds: float) -> None:
        if seconds > 0.3:  # the far slot: held until the test closes the pacer
            held.set()
            await asyncio.Event().wait()
        await asyncio.sleep(0)  # a short wait (the queued call's deadline) passes at once

    pacer = _pacer(store, 2.0, sleep=sleep)  # slots 0.5 s apart
    async with asyncio.timeout(GUARD):
        await pacer.acquire()
        sleeper = asyncio.create_task(pacer.acquire())  # no deadline: holds the turn
        await held.wait()
        with pytest.raises(RateLimitedError, match="turn to leave") as refused:
            await pacer.acquire(time.monotonic() + 0.05)
        assert refused.value.status is None
        assert not sleeper.done()
        pacer.close()
        with pytest.raises(TransportError, match="closed"):
            await sleeper


async def test_a_call_arriving_as_the_turn_passes_on_still_keeps_its_deadline(
    store: RedisStore,
) -> None:
    """The turn is released to a queued call that has not run yet: a call arriving in that
    moment finds the turn free but not its own, queues, and must still give up at its deadline
    (not wait for the queued call's slot)."""

    async def instantly(_: float) -> None:  # the arriving call's wait for its deadline
        await asyncio.sleep(0)

    pacer = _pacer(store, 2.0, sleep=instantly)
    go = asyncio.Event()
    await pacer._take_turn(None)  # "A" holds the turn
    queued_holds = asyncio.Event()

    async def queued() -> None:  # "B": queued for the turn, then holds it until told
        await pacer._take_turn(None)
        await queued_holds.wait()
        pacer._turn.release()

    async def arriving() -> float:  # "C": arrives as A hands the turn to B
        await go.wait()
        return await pacer.acquire(time.monotonic() + 0.05)

    holder = asyncio.create_task(queued())
    await asyncio.sleep(0)  # B waits for the turn
    late = asyncio.create_task(arriving())
    await asyncio.sleep(0)  # C waits for its moment
    async with asyncio.timeout(GUARD):
        go.set()  # C runs first, ...
        pacer._turn.release()  # ... with the turn already promised to B
        with pytest.raises(RateLimitedError, match="turn to leave"):
            await late
        queued_holds.set()
        await holder
