"""The request pipeline against a rate-limited simulator: pacing, pauses, hooks and logs."""

from __future__ import annotations

import asyncio
import logging
from types import SimpleNamespace

import aiohttp
import pytest

from livionkey_async import LivionKeyClient, RequestEvent
from livionkey_async.testing import Faults, SimConfig, Simulator


async def test_discovered_rate_keeps_429s_rare_and_every_call_succeeds() -> None:
    config = SimConfig(devices=1, keys=1, rate=100, burst=10)
    async with (
        Simulator(config) as sim,
        LivionKeyClient(config.email, config.password, base_url=sim.url) as client,
    ):
        devices = await asyncio.gather(*(client.devices.get("00001") for _ in range(400)))
        stats = client.stats
    assert all(d.device_id == "00001" for d in devices)
    assert stats.logins == 1
    assert stats.throttled == sim.stats.throttled
    assert stats.throttled <= 0.03 * 400
    assert stats.current_rate is not None
    assert stats.current_rate <= 130  # it did not run away above the hidden limit
    assert stats.max_in_flight <= 16


async def test_a_ceiling_below_the_limit_never_meets_a_429() -> None:
    config = SimConfig(devices=1, keys=1, rate=100, burst=10)
    async with (
        Simulator(config) as sim,
        LivionKeyClient(config.email, config.password, base_url=sim.url, rate_limit=80) as client,
    ):
        await asyncio.gather(*(client.devices.get("00001") for _ in range(160)))
    assert sim.stats.throttled == 0
    assert client.stats.throttled == 0


async def test_metrics_hook_trace_configs_and_debug_logs(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG, logger="livionkey_async")
    events: list[RequestEvent] = []
    started: list[str] = []

    async def on_start(
        session: aiohttp.ClientSession,
        context: SimpleNamespace,
        params: aiohttp.TraceRequestStartParams,
    ) -> None:
        started.append(params.method)

    trace = aiohttp.TraceConfig()
    trace.on_request_start.append(on_start)
    config = SimConfig(devices=1, keys=1, faults=Faults(fail_rate=0.3, fail_statuses=(503,)))
    async with (
        Simulator(config) as sim,
        LivionKeyClient(
            config.email,
            config.password,
            base_url=sim.url,
            on_request=events.append,
            trace_configs=[trace],
            max_attempts=10,
        ) as client,
    ):
        for _ in range(10):
            await client.devices.get("00001")
        stats = client.stats
    assert len(events) == stats.requests == len(started)
    assert sum(1 for e in events if e.status == 503) == stats.retries > 0
    assert {e.path for e in events} == {"auth/login", "devices/00001"}
    messages = [r.getMessage() for r in caplog.records]
    assert any(m.startswith("retrying GET devices/00001 after ServerError 503") for m in messages)
    assert any("GET devices/00001 -> 200" in m for m in messages)
