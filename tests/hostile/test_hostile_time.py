"""Hostile networks, time: every call ends within a bound its caller can reason about.

A server that trickles its answer a byte at a time, one that stops reading an upload, one that
answers 429 for ever or with an absurd ``Retry-After``, a login that never answers: each call
ends by its attempt's ``timeout``, its ``deadline`` or a ``client.deadline()`` block, with a
typed error. Real waits are the tiny deadlines under test (a few tenths of a second); the long
ones (429 pauses, backoffs) run on a fake clock. Every test is guarded by an ``asyncio.timeout``
a few times its bound, so a regression fails instead of hanging.
"""

from __future__ import annotations

import asyncio

import pytest
from aiohttp import web
from hostile_support import FakeTime, new_client, raw_server, web_server

from livionkey_async import (
    ContractUpdate,
    KeyRef,
    RateLimitedError,
    ServerError,
    TransportError,
)
from livionkey_async._pacing import Pacer
from livionkey_async.redis import RedisStore

DEVICE = {"id": "00001", "name": "Lobby", "product": "key30"}
GUARD = 3.0  # seconds a test may take before it counts as hung


async def test_a_trickled_body_ends_within_the_attempts_timeout() -> None:
    async def trickle(request: web.Request) -> web.StreamResponse:
        answer = web.StreamResponse(headers={"Content-Type": "application/json"})
        answer.content_length = 200
        await answer.prepare(request)
        for _ in range(200):  # 10 s in all, each byte well within any per-read timeout
            await answer.write(b" ")
            await asyncio.sleep(0.05)
        return answer

    async with web_server(trickle) as url, new_client(url, timeout=0.3) as client:
        async with asyncio.timeout(GUARD):
            with pytest.raises(TransportError, match=r"no complete answer within 0\.3s"):
                await client.devices.get("00001")


async def test_a_trickled_head_ends_within_the_attempts_timeout() -> None:
    async def trickle(method: str, path: str, reader: object, writer: asyncio.StreamWriter) -> None:
        for byte in b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n" * 10:
            writer.write(bytes([byte]))
            await writer.drain()
            await asyncio.sleep(0.05)

    async with raw_server(trickle) as url, new_client(url, timeout=0.3) as client:
        async with asyncio.timeout(GUARD):
            with pytest.raises(TransportError, match="no complete answer"):
                await client.devices.get("00001")


async def test_a_server_that_stops_reading_an_upload_does_not_hang_the_call() -> None:
    async def never_read(method: str, path: str, reader: object, writer: object) -> None:
        await asyncio.Event().wait()

    blob = "x" * (8 * 1024 * 1024)  # far more than any socket buffer holds
    update = ContractUpdate(keys=[KeyRef("00001", "A1")], free_text=blob)
    async with (
        raw_server(never_read, receive_buffer=4096) as url,
        new_client(url, timeout=0.3) as client,
        asyncio.timeout(GUARD),
    ):
        with pytest.raises(TransportError, match="no complete answer"):
            await client.contracts.update("obj-1", update)


async def test_a_429_for_ever_ends_at_the_calls_deadline() -> None:
    requests = 0

    async def throttled(request: web.Request) -> web.StreamResponse:
        nonlocal requests
        requests += 1
        return web.Response(status=429, text="Too many requests", headers={"Retry-After": "59"})

    time = FakeTime()
    async with (
        web_server(throttled) as url,
        new_client(url, deadline=300.0, **time.options()) as client,
        asyncio.timeout(GUARD),
    ):
        started = time.now
        with pytest.raises(RateLimitedError) as caught:
            await client.devices.get("00001")
    # Without a deadline: 20 attempts 59 s apart, 1,121 s. With it: no wait that would end past
    # the 300 s, so the call ends right after its last 429, not at the deadline or beyond.
    assert time.now - started <= 300.0
    assert 2 <= requests <= 6
    assert caught.value.retry_after is not None


async def test_an_absurd_retry_after_fails_its_call_and_pauses_the_client_only_briefly() -> None:
    absurd = {"Retry-After": "1000000000000"}
    answers = iter([web.Response(status=429, text="slow down", headers=absurd)])

    async def once_absurd(request: web.Request) -> web.StreamResponse:
        return next(answers, None) or web.json_response(DEVICE)

    time = FakeTime()
    async with (
        web_server(once_absurd) as url,
        new_client(url, max_wait=600.0, **time.options()) as client,
        asyncio.timeout(GUARD),
    ):
        with pytest.raises(RateLimitedError) as caught:
            await client.devices.get("00001")
        assert caught.value.status == 429
        assert caught.value.retry_after == 1e12  # what the server asked for, told
        assert client.stats.paused_seconds == 120.0  # what the client paused: capped
        started = time.now
        device = await client.devices.get("00001")  # healthy again: it works
    assert device.device_id == "00001"
    assert time.now - started <= 120.0


async def test_the_pacers_queue_counts_against_the_deadline() -> None:
    time = FakeTime()
    pacer = Pacer(rate_limit=1.0, clock=time.monotonic, sleep=time.sleep)
    deadline = time.now + 3.5
    async with asyncio.timeout(GUARD):
        results = await asyncio.gather(
            *(pacer.acquire(deadline) for _ in range(6)), return_exceptions=True
        )
    refused = [r for r in results if isinstance(r, RateLimitedError)]
    # One request a second: those whose turn comes before the deadline go, the rest are refused
    # at once, told how long they would have waited (status None: the client refused them).
    assert len(refused) == 2
    assert all(r.status is None and (r.retry_after or 0) >= 4.0 for r in refused)


async def test_the_deadline_stops_retrying_before_a_backoff_would_pass_it() -> None:
    requests = 0

    async def failing(request: web.Request) -> web.StreamResponse:
        nonlocal requests
        requests += 1
        return web.Response(status=503, text="Service Unavailable")

    time = FakeTime()
    options = {"deadline": 5.0, "max_attempts": 100, **time.options()}
    async with (
        web_server(failing) as url,
        new_client(url, **options) as client,
        asyncio.timeout(GUARD),
    ):
        with pytest.raises(ServerError):
            await client.devices.get("00001")
    assert requests >= 2  # it did retry ...
    assert time.now - 1_000.0 < 5.0  # ... but never slept past its deadline


async def test_a_deadline_block_bounds_a_slow_answer() -> None:
    async def slow(request: web.Request) -> web.StreamResponse:
        await asyncio.sleep(30)
        return web.json_response(DEVICE)

    async with web_server(slow) as url, new_client(url, timeout=30.0) as client:
        async with asyncio.timeout(GUARD):
            with pytest.raises(TransportError, match="deadline"), client.deadline(0.3):
                await client.devices.get("00001")


async def test_a_deadline_block_bounds_a_wait_for_the_login() -> None:
    async def stuck_login(request: web.Request) -> web.StreamResponse:
        await asyncio.sleep(30)
        raise AssertionError("unreachable")

    async def fine(request: web.Request) -> web.StreamResponse:
        return web.json_response(DEVICE)

    async with (
        web_server(fine, login=stuck_login) as url,
        new_client(url, timeout=30.0) as client,
        asyncio.timeout(GUARD),
    ):
        with pytest.raises(TransportError, match="deadline"):
            async with client.deadline(0.3):  # also as an async context manager
                await client.devices.get("00001")


async def test_a_deadline_block_bounds_its_own_clients_calls_only() -> None:
    async def a_moment(request: web.Request) -> web.StreamResponse:
        await asyncio.sleep(0.05)
        return web.json_response(DEVICE)

    async with (
        web_server(a_moment) as url,
        new_client(url) as bounded,
        new_client(url) as other,
        asyncio.timeout(GUARD),
    ):
        with bounded.deadline(0.01):
            assert (await other.devices.get("00001")).device_id == "00001"
            with pytest.raises(TransportError):
                await bounded.devices.get("00001")
        assert (await bounded.devices.get("00001")).device_id == "00001"  # the block is left


async def test_a_pacer_on_a_microsecond_clock_never_spins() -> None:
    """The simulator's clock (a datetime) moves in whole microseconds: a wait of a fraction of
    one is lost to it, so it must count as done, or the pacer asks for it for ever."""

    class MicroClock:
        def __init__(self) -> None:
            self.micros = 1_700_000_000_123_456  # an epoch, in microseconds

        def now(self) -> float:
            return self.micros / 1_000_000

        async def sleep(self, delay: float) -> None:
            self.micros += round(max(delay, 0.0) * 1_000_000)
            await asyncio.sleep(0)

    clock = MicroClock()
    pacer = Pacer(rate_limit=30.0, clock=clock.now, sleep=clock.sleep)
    async with asyncio.timeout(GUARD):
        for _ in range(100):
            pacer.on_success(await pacer.acquire())
    assert 3.2 < clock.now() - 1_700_000_000.123456 < 3.4  # 100 requests at 30/s


async def test_a_shared_budget_caps_an_absurd_retry_after_and_keeps_the_deadline(
    redis_url: str, redis_namespace: str
) -> None:
    absurd = {"Retry-After": "1000000000000"}
    answers = iter([web.Response(status=429, text="slow down", headers=absurd)])

    async def once_absurd(request: web.Request) -> web.StreamResponse:
        return next(answers, None) or web.json_response(DEVICE)

    store = RedisStore(redis_url, namespace=redis_namespace)
    options = {"store": store, "max_wait": 600.0, "deadline": 5.0}
    try:
        async with (
            web_server(once_absurd) as url,
            new_client(url, **options) as client,
            asyncio.timeout(GUARD),
        ):
            with pytest.raises(RateLimitedError) as absurd_one:
                await client.devices.get("00001")
            with pytest.raises(RateLimitedError) as later:
                await client.devices.get("00001")
    finally:
        await store.aclose()
    assert absurd_one.value.retry_after == 1e12  # what the server asked, told
    # Every process of the account pauses 120 s, not 10^12 s; within a 5 s deadline that pause
    # is refused at once rather than waited out (max_wait would have allowed it).
    assert later.value.status is None
    assert later.value.retry_after is not None
    assert 100.0 < later.value.retry_after <= 120.0
