"""One rate budget for every process of an account, decided in a real Redis."""

from __future__ import annotations

import asyncio

import pytest

from livionkey_async import LivionKeyClient
from livionkey_async._ratelimit_headers import RateLimitHint
from livionkey_async._shared_pacing import SharedPacer
from livionkey_async.redis import RedisStore
from livionkey_async.testing import SimConfig, Simulator


def _client(sim: Simulator, url: str, namespace: str | None, **options: object) -> LivionKeyClient:
    store = None if namespace is None else RedisStore(url, namespace=namespace)
    return LivionKeyClient(
        sim.config.email,
        sim.config.password,
        base_url=sim.url,
        store=store,
        **options,  # type: ignore[arg-type]
    )


async def _run(clients: list[LivionKeyClient], each: int) -> None:
    try:
        await asyncio.gather(*(c.devices.get("00001") for c in clients for _ in range(each)))
    finally:
        for client in clients:
            await client.close()
            if client.store is not None:
                await client.store.aclose()


@pytest.mark.parametrize("shared", [True, False])
async def test_a_ceiling_is_one_budget_for_all_processes(
    redis_url: str, redis_namespace: str, shared: bool
) -> None:
    """Three processes told the account's limit stay under it together only when they share."""
    config = SimConfig(devices=1, keys=1, rate=20, burst=2)
    async with Simulator(config) as sim:
        namespace = redis_namespace if shared else None
        clients = [_client(sim, redis_url, namespace, rate_limit=20) for _ in range(3)]
        await _run(clients, 8)
    if shared:
        assert sim.stats.throttled == 0
        assert sim.stats.logins == 1
    else:
        assert sim.stats.throttled > 0  # three budgets of 20/s each overrun one of 20/s
        assert sim.stats.logins == 3


async def test_processes_find_the_limit_together_and_learn_the_same_rate(
    redis_url: str, redis_namespace: str
) -> None:
    config = SimConfig(devices=1, keys=1, rate=100, burst=10)
    async with Simulator(config) as sim:
        clients = [_client(sim, redis_url, redis_namespace) for _ in range(4)]
        await _run(clients, 75)
    stats = [client.stats for client in clients]
    assert sim.stats.throttled <= 4  # one client would see about one; four alone see many more
    assert {s.congestion_events for s in stats} == {stats[0].congestion_events}
    assert {s.learnt_rate for s in stats} == {stats[0].learnt_rate}
    assert stats[0].learnt_rate is not None
    assert 60 <= stats[0].learnt_rate <= 130


async def test_a_429_seen_by_one_process_pauses_the_others(
    redis_url: str, redis_namespace: str
) -> None:
    config = SimConfig(devices=1, keys=1)
    async with Simulator(config) as sim:
        seen, other = (_client(sim, redis_url, redis_namespace, rate_limit=50) for _ in range(2))
        waits: list[float] = []

        async def recording_sleep(seconds: float) -> None:
            waits.append(seconds)

        try:
            await asyncio.gather(seen.devices.get("00001"), other.devices.get("00001"))
            pacer, other_pacer = seen._pacer, other._pacer
            assert isinstance(pacer, SharedPacer)
            assert isinstance(other_pacer, SharedPacer)
            sent_at = await pacer.acquire()
            pacer.on_throttled(sent_at, RateLimitHint(retry_after=2.0))
            await pacer._settle_reports()
            other_pacer._sleep = recording_sleep  # see what the other process would wait
            await other_pacer.acquire()
        finally:
            await _run([seen, other], 0)
    assert waits, "the other process did not wait at all"
    assert waits[0] == pytest.approx(2.0, abs=0.2)
    assert other.stats.congestion_events == seen.stats.congestion_events == 1
