"""Hostile networks, lifecycle: closing and cancelling say what really happened.

A login that never answers is the hostile part: callers pile up behind it. Closing the client
then gives each of them a typed ``TransportError`` (nobody cancelled them), while a caller that
is cancelled itself still sees its cancellation. A bulk job cancelled while its first creates
wait for that login reports them as not attempted (none left), and only a create that was on
the wire as unknown (``AmbiguousOutcomeError``).
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from typing import Any

import pytest
from aiohttp import web
from hostile_support import LOGIN_ANSWER, PRODUCTS, FakeTime, new_client, web_server

from livionkey_async import (
    AmbiguousOutcomeError,
    BulkReport,
    CreatedContract,
    KeyRef,
    NewContract,
    RequestEvent,
    TransportError,
)
from livionkey_async.redis import RedisStore

GUARD = 3.0
LATER = datetime(2031, 1, 1, tzinfo=UTC)


class StuckLogin:
    """A login that answers the first ``answered`` times, then never; ``waiting`` is set once a
    login is stuck."""

    def __init__(self, answered: int = 0) -> None:
        self.answered = answered
        self.waiting = asyncio.Event()

    async def __call__(self, request: web.Request) -> web.StreamResponse:
        if self.answered > 0:
            self.answered -= 1
            return web.json_response(LOGIN_ANSWER)
        self.waiting.set()
        await asyncio.Event().wait()
        raise AssertionError("unreachable")


async def nothing_found(request: web.Request) -> web.StreamResponse:
    if request.method == "POST":  # a create: on the wire for ever
        await asyncio.Event().wait()
    if request.path == "/devices":  # the account's devices, with their products
        return web.json_response(PRODUCTS["devices"])
    return web.json_response([])  # any look-up: nothing there


def specs(count: int) -> list[NewContract]:
    return [
        NewContract(contract_id=f"b-{n}", keys=[KeyRef("00001", f"K{n}")], start=LATER, person="p")
        for n in range(count)
    ]


async def test_closing_the_client_gives_callers_waiting_for_its_login_a_typed_error() -> None:
    login = StuckLogin()
    async with web_server(nothing_found, login=login) as url, asyncio.timeout(GUARD):
        client = new_client(url)
        await client.__aenter__()
        callers = [asyncio.ensure_future(client.devices.get("00001")) for _ in range(5)]
        await login.waiting.wait()
        await client.close()
        outcomes = await asyncio.gather(*callers, return_exceptions=True)
    assert all(isinstance(o, TransportError) for o in outcomes), outcomes
    assert all("closed" in str(o) for o in outcomes)


@pytest.mark.parametrize("shared", [False, True])
async def test_closing_the_client_gives_callers_waiting_in_its_pacer_a_typed_error(
    shared: bool, request: pytest.FixtureRequest
) -> None:
    held = asyncio.Event()

    async def sleep(seconds: float) -> None:  # a slot's wait lasts until the client closes
        if seconds > 0.5:
            held.set()
            await asyncio.Event().wait()
        await asyncio.sleep(seconds)

    store = None
    if shared:
        url = request.getfixturevalue("redis_url")
        store = RedisStore(url, namespace=request.getfixturevalue("redis_namespace"))
    try:
        async with web_server(nothing_found) as url, asyncio.timeout(GUARD):
            client = new_client(url, rate_limit=0.5, sleep=sleep, store=store)  # 2 s apart
            await client.__aenter__()
            callers = [asyncio.ensure_future(client.devices.get("00001")) for _ in range(3)]
            await held.wait()
            await client.close()
            outcomes = await asyncio.gather(*callers, return_exceptions=True)
    finally:
        if store is not None:
            await store.aclose()
    assert all(isinstance(o, TransportError) for o in outcomes), outcomes
    assert all("closed" in str(o) for o in outcomes)


async def test_a_caller_cancelled_while_waiting_for_the_login_is_still_cancelled() -> None:
    login = StuckLogin()
    async with (
        web_server(nothing_found, login=login) as url,
        new_client(url) as client,
        asyncio.timeout(GUARD),
    ):
        caller = asyncio.ensure_future(client.devices.get("00001"))
        await login.waiting.wait()
        caller.cancel()
        with pytest.raises(asyncio.CancelledError):
            await caller


async def test_a_bulk_job_cancelled_during_a_login_left_nothing_unknown() -> None:
    time = FakeTime()
    login = StuckLogin(answered=1)
    report: BulkReport[NewContract, CreatedContract] = BulkReport()
    async with (
        web_server(nothing_found, login=login) as url,
        new_client(url, **time.options()) as client,
        asyncio.timeout(GUARD),
    ):
        await client.devices.list()  # logged in, the products learnt: checks send nothing
        time.now += 4_000.0  # the token expired: the next call logs in again, and that login hangs
        job = asyncio.ensure_future(
            client.bulk.create_contracts(specs(10), concurrency=4, report=report, check_batch=False)
        )
        await login.waiting.wait()
        job.cancel()
        with pytest.raises(asyncio.CancelledError):
            await job
    assert report.failed == []  # no create left, so none is "may or may not exist"
    assert len(report.not_attempted) == 10


async def test_a_bulk_job_cancelled_with_a_create_on_the_wire_reports_it_unknown() -> None:
    on_the_wire = asyncio.Event()

    async def create_hangs(request: web.Request) -> web.StreamResponse:
        if request.method == "POST":
            on_the_wire.set()
        return await nothing_found(request)

    report: BulkReport[NewContract, CreatedContract] = BulkReport()
    async with (
        web_server(create_hangs) as url,
        new_client(url) as client,
        asyncio.timeout(GUARD),
    ):
        job = asyncio.ensure_future(
            client.bulk.create_contracts(specs(1), concurrency=1, report=report)
        )
        await on_the_wire.wait()
        job.cancel()
        with pytest.raises(asyncio.CancelledError):
            await job
    (item,) = report.failed
    assert isinstance(item.error, AmbiguousOutcomeError)  # it may exist: a rerun settles it


async def test_a_create_that_never_connected_is_not_reported_as_maybe_applied() -> None:
    """Connecting failed (nothing left), then the event loop stalled past the call's deadline
    during the backoff: the call ran out of time, and its create certainly did not land."""
    time = FakeTime()
    attempts: list[RequestEvent] = []
    async with web_server(nothing_found) as url:  # closed once logged in: connecting fails
        client = new_client(
            url, max_attempts=3, deadline=5.0, on_request=attempts.append, **time.options()
        )
        await client.__aenter__()
        await client.devices.list()  # logged in, the products learnt: the create sends nothing else

    async def stalled(delay: float) -> None:  # the backoff, and a loop stalled for 10 s with it
        time.now += delay + 10.0
        await asyncio.sleep(0)

    client._transport._sleep = stalled  # only the backoff's sleep stalls
    attempts.clear()
    try:
        with pytest.raises(TransportError) as caught:
            await client.contracts.create(specs(1)[0], reconcile=False)
    finally:
        await client.close()
    assert [event.method for event in attempts] == ["POST"]  # it tried to connect, once
    assert not isinstance(caught.value, AmbiguousOutcomeError), caught.value
    assert "deadline" in str(caught.value)


async def test_a_request_on_a_closed_client_takes_no_slot_from_the_pacer() -> None:
    """With a shared budget every slot is the whole account's: a request the closed client
    refuses must not reserve one first."""
    async with web_server(nothing_found) as url:
        client = new_client(url)
        async with client:
            await client.devices.list()
        asked: list[float | None] = []

        class Counted:  # the client's pacer, counting who asks it for a slot
            def __init__(self, pacer: Any) -> None:
                self.pacer = pacer

            def __getattr__(self, name: str) -> Any:
                return getattr(self.pacer, name)

            async def acquire(self, deadline: float | None = None) -> float:
                asked.append(deadline)
                return float(await self.pacer.acquire(deadline))

        client._transport.pacer = Counted(client._transport.pacer)
        with pytest.raises(TransportError, match="closed"):
            await client.devices.get("00001")
    assert asked == []
