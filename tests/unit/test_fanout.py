"""The bounded fan-out engine alone: laziness, ordering, failures, fatal stops, cancellation."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator

import pytest

from livionkey_async import ItemResult, LoginError, NotFoundError, Outcome
from livionkey_async._fanout import Settled, fan_out


class Counter:
    def __init__(self) -> None:
        self.pulled = 0
        self.finished = 0
        self.most_ahead = 0

    def items(self, n: int) -> Iterator[int]:
        for i in range(n):
            self.pulled += 1
            self.most_ahead = max(self.most_ahead, self.pulled - self.finished)
            yield i


async def test_a_long_source_is_pulled_lazily_and_never_becomes_many_tasks() -> None:
    counter = Counter()
    in_flight = 0
    most_in_flight = 0
    results: list[ItemResult[int, int]] = []

    async def work(item: int) -> int:
        nonlocal in_flight, most_in_flight
        in_flight += 1
        most_in_flight = max(most_in_flight, in_flight)
        await asyncio.sleep(0)
        in_flight -= 1
        return item * 2

    async def emit(result: ItemResult[int, int]) -> None:
        counter.finished += 1
        results.append(result)

    await fan_out(counter.items(20_000), work=work, emit=emit, concurrency=16)
    assert len(results) == 20_000
    assert most_in_flight <= 16
    assert counter.most_ahead <= 17  # the items in flight, plus the one being pulled
    assert sorted(r.result for r in results if r.result is not None) == [
        2 * i for i in range(20_000)
    ]


async def test_async_sources_and_prepare_settle_items_without_work() -> None:
    async def source() -> AsyncIterator[int]:
        for i in range(6):
            yield i

    async def prepare(index: int, item: int) -> ItemResult[int, int] | None:
        if item % 3 == 0:
            return ItemResult(index, item, Outcome.FAILED, error=NotFoundError("nope"))
        return None

    worked: list[int] = []

    async def work(item: int) -> int:
        worked.append(item)
        return item

    seen: list[ItemResult[int, int]] = []

    async def emit(result: ItemResult[int, int]) -> None:
        seen.append(result)

    await fan_out(source(), work=work, emit=emit, concurrency=2, prepare=prepare)
    assert sorted(worked) == [1, 2, 4, 5]
    assert sorted(r.index for r in seen) == list(range(6))
    assert {r.index for r in seen if r.outcome is Outcome.FAILED} == {0, 3}


async def test_failures_are_per_item_and_unexpected_errors_are_wrapped() -> None:
    async def work(item: int) -> int | Settled[int]:
        if item == 1:
            raise NotFoundError("gone", status=400)
        if item == 2:
            raise RuntimeError("bug")
        if item == 3:
            return Settled(33, outcome=Outcome.SUCCEEDED)
        return item

    seen: dict[int, ItemResult[int, int]] = {}

    async def emit(result: ItemResult[int, int]) -> None:
        seen[result.index] = result

    await fan_out(range(5), work=work, emit=emit, concurrency=5)
    assert seen[0].ok
    assert isinstance(seen[1].error, NotFoundError)
    assert seen[2].outcome is Outcome.FAILED
    assert seen[2].error is not None
    assert "RuntimeError" in seen[2].error.message
    assert seen[3].result == 33
    assert seen[3].reconciled


async def test_a_fatal_error_stops_pulling_and_reports_the_rest_not_attempted() -> None:
    async def work(item: int) -> int:
        if item == 2:
            raise LoginError("refused", status=400)
        await asyncio.sleep(0)
        return item

    seen: list[ItemResult[int, int]] = []

    async def emit(result: ItemResult[int, int]) -> None:
        seen.append(result)

    await fan_out(range(100), work=work, emit=emit, concurrency=3)
    assert len(seen) == 100
    not_attempted = [r for r in seen if r.outcome is Outcome.NOT_ATTEMPTED]
    assert len(not_attempted) >= 90
    assert all(isinstance(r.error, LoginError) for r in not_attempted)


async def test_in_flight_items_refused_the_same_login_are_not_attempted() -> None:
    gate = asyncio.Event()

    async def work(item: int) -> int:
        await gate.wait()  # every item in flight waits for the one shared login ...
        raise LoginError("refused", status=400)  # ... which is refused

    seen: list[ItemResult[int, int]] = []

    async def emit(result: ItemResult[int, int]) -> None:
        seen.append(result)
        gate.set()

    async def opener() -> None:
        await asyncio.sleep(0)
        gate.set()

    task = asyncio.ensure_future(opener())
    await fan_out(range(40), work=work, emit=emit, concurrency=32)
    await task
    assert len(seen) == 40
    failed = [r for r in seen if r.outcome is Outcome.FAILED]
    assert len(failed) == 1  # the one that tells why
    assert isinstance(failed[0].error, LoginError)
    not_attempted = [r for r in seen if r.outcome is Outcome.NOT_ATTEMPTED]
    assert len(not_attempted) == 39
    assert all(isinstance(r.error, LoginError) for r in not_attempted)


async def test_cancellation_settles_in_flight_items_and_names_the_rest() -> None:
    started = asyncio.Event()

    async def work(item: int) -> int | Settled[int]:
        try:
            started.set()
            await asyncio.Event().wait()  # never finishes by itself
        except asyncio.CancelledError:
            return Settled(item, outcome=Outcome.SUCCEEDED)  # e.g. found on the server
        raise AssertionError("unreachable")

    seen: list[ItemResult[int, int]] = []

    async def emit(result: ItemResult[int, int]) -> None:
        seen.append(result)

    job = asyncio.ensure_future(fan_out(range(10), work=work, emit=emit, concurrency=4))
    await started.wait()
    job.cancel()
    with pytest.raises(asyncio.CancelledError):
        await job
    assert sorted(r.index for r in seen) == list(range(10))
    assert sum(1 for r in seen if r.outcome is Outcome.SUCCEEDED) == 4
    assert sum(1 for r in seen if r.outcome is Outcome.NOT_ATTEMPTED) == 6


async def test_cancelling_over_an_endless_plain_iterable_returns_promptly() -> None:
    def endless() -> Iterator[int]:
        i = 0
        while True:
            yield i
            i += 1

    started = asyncio.Event()

    async def work(item: int) -> int:
        started.set()
        await asyncio.Event().wait()
        raise AssertionError("unreachable")

    named = 0

    async def emit(result: ItemResult[int, int]) -> None:
        nonlocal named
        named += 1

    job = asyncio.ensure_future(fan_out(endless(), work=work, emit=emit, concurrency=4))
    await started.wait()
    job.cancel()
    async with asyncio.timeout(5):  # the drain is bounded and lets the loop breathe
        with pytest.raises(asyncio.CancelledError):
            await job
    assert named >= 4


async def test_items_keep_passes_over_get_no_result_on_any_path_and_indices_stay() -> None:
    def mine(item: int) -> bool:
        return item % 3 == 0

    async def work(item: int) -> int:
        if item == 30:
            raise LoginError("refused", status=400)
        await asyncio.sleep(0)
        return item

    seen: list[ItemResult[int, int]] = []

    async def emit(result: ItemResult[int, int]) -> None:
        seen.append(result)

    # Worked, then stopped by a fatal error: the rest named not attempted, only the kept ones.
    await fan_out(range(100), work=work, emit=emit, concurrency=2, keep=mine)
    assert sorted(r.index for r in seen) == [i for i in range(100) if mine(i)]
    assert all(r.spec == r.index for r in seen)
    assert any(r.outcome is Outcome.SUCCEEDED for r in seen)
    assert any(r.outcome is Outcome.NOT_ATTEMPTED for r in seen)

    # Cancelled: in flight and never pulled, only the kept ones.
    seen.clear()
    started = asyncio.Event()

    async def hang(item: int) -> int:
        started.set()
        await asyncio.Event().wait()
        raise AssertionError("unreachable")

    job = asyncio.ensure_future(fan_out(range(50), work=hang, emit=emit, concurrency=2, keep=mine))
    await started.wait()
    job.cancel()
    with pytest.raises(asyncio.CancelledError):
        await job
    assert sorted(r.index for r in seen) == [i for i in range(50) if mine(i)]


async def test_cancelling_while_passing_over_an_endless_plain_iterable_returns_promptly() -> None:
    def endless() -> Iterator[int]:
        i = 0
        while True:
            yield i
            i += 1

    async def work(item: int) -> int:
        raise AssertionError("unreachable: no item is kept")

    async def emit(result: ItemResult[int, int]) -> None:
        raise AssertionError("unreachable: no item is kept")

    job = asyncio.ensure_future(
        fan_out(endless(), work=work, emit=emit, concurrency=4, keep=lambda _: False)
    )
    for _ in range(10):  # it passes over items now, and lets the loop in every 256 of them
        await asyncio.sleep(0)
    assert not job.done()
    job.cancel()
    async with asyncio.timeout(5):
        with pytest.raises(asyncio.CancelledError):
            await job
