"""The per-account token bucket: 429 + Retry-After, refill, and the optional headers."""

from __future__ import annotations

import asyncio
import re

from sim_support import FakeClock, connect

from livionkey_async.testing import AccountConfig, SimConfig, Simulator


async def test_no_limit_and_no_headers_by_default(livionkey_sim: Simulator) -> None:
    async with connect(livionkey_sim) as api:
        replies = await asyncio.gather(*(api.get("/devices") for _ in range(40)))
    assert {r.status for r in replies} == {200}
    assert not any("RateLimit" in r.headers or "X-RateLimit-Limit" in r.headers for r in replies)


async def test_bucket_answers_429_with_whole_second_retry_after() -> None:
    clock = FakeClock()
    async with Simulator(SimConfig(rate=2.0, burst=3, clock=clock)) as sim, connect(sim) as api:
        statuses = [(await api.get("/devices")).status for _ in range(3)]
        throttled = await api.get("/devices")
        clock.advance(0.25)
        still = await api.get("/devices")
        clock.advance(0.25)  # half a second at 2/s: one token
        again = await api.get("/devices")
    assert statuses == [200, 200, 200]
    assert throttled.status == 429
    assert throttled.headers["Retry-After"] == "1"
    assert still.status == 429
    assert still.headers["Retry-After"] == "1"
    assert again.status == 200
    assert sim.stats.throttled == 2


async def test_retry_after_is_ceiled_and_at_least_one() -> None:
    clock = FakeClock()
    async with Simulator(SimConfig(rate=0.25, burst=1, clock=clock)) as sim, connect(sim) as api:
        assert (await api.get("/devices")).status == 200
        slow = await api.get("/devices")
        clock.advance(2.5)
        later = await api.get("/devices")
    assert slow.headers["Retry-After"] == "4"
    assert later.headers["Retry-After"] == "2"  # 1.5 s left, ceiled


async def test_buckets_are_per_account() -> None:
    clock = FakeClock()
    config = SimConfig(
        rate=1.0,
        burst=1,
        clock=clock,
        extra_accounts=(AccountConfig(email="b@example.com", password="pw", devices=1),),
    )
    async with (
        Simulator(config) as sim,
        connect(sim) as first,
        connect(sim, email="b@example.com", password="pw") as second,
    ):
        assert (await first.get("/devices")).status == 200
        assert (await first.get("/devices")).status == 429
        assert (await second.get("/devices")).status == 200


async def test_optional_rate_limit_headers_on_every_answer() -> None:
    clock = FakeClock()
    config = SimConfig(rate=2.0, burst=4, rate_limit_headers=True, clock=clock)
    async with Simulator(config) as sim, connect(sim) as api:
        first = await api.get("/devices")
        error = await api.get("/devices/00404")
        for _ in range(2):
            await api.get("/devices")
        limited = await api.get("/devices")
    assert first.headers["RateLimit-Policy"] == '"default";q=4;w=2'
    assert first.headers["RateLimit"] == '"default";r=3;t=1'
    assert first.headers["X-RateLimit-Limit"] == "4"
    assert first.headers["X-RateLimit-Remaining"] == "3"
    assert first.headers["X-RateLimit-Reset"] == "1"
    assert error.status == 400
    assert error.headers["X-RateLimit-Remaining"] == "2"
    assert limited.status == 429
    assert re.fullmatch(r'"default";r=0;t=2', limited.headers["RateLimit"])
    assert limited.headers["Retry-After"] == "1"


async def test_rate_limit_changes_live_in_process_and_by_control_plane() -> None:
    clock = FakeClock()
    async with Simulator(SimConfig(clock=clock)) as sim, connect(sim) as api:
        sim.set_rate_limit(1.0, 1)
        assert (await api.get("/devices")).status == 200
        assert (await api.get("/devices")).status == 429
        off = await api.post("/_sim/ratelimit", {"rate": None, "burst": None})
        assert off.obj() == {"rate": None, "burst": None, "headers": False}
        assert (await api.get("/devices")).status == 200
        on = await api.post("/_sim/ratelimit", {"rate": 5, "headers": True})
        assert on.obj() == {"rate": 5.0, "burst": 5, "headers": True}
        reply = await api.get("/devices")
        assert reply.headers["X-RateLimit-Limit"] == "5"
        bad = await api.post("/_sim/ratelimit", {"rate": -1})
        assert bad.status == 400
        current = await api.get("/_sim/ratelimit")
        assert current.obj()["rate"] == 5.0


async def test_control_plane_is_never_rate_limited() -> None:
    async with Simulator(SimConfig(rate=1.0, burst=1)) as sim, connect(sim) as api:
        replies = [await api.get("/_sim/stats") for _ in range(5)]
    assert {r.status for r in replies} == {200}
