"""Redis stopped, restarted or never there: no crash, no lost or duplicated contract.

A private redis-server per test (``private_redis``), stopped and started again mid-run; a restart
loses every key, as a Redis without persistence does.
"""

from __future__ import annotations

import asyncio
import logging
from datetime import UTC, datetime, timedelta

import pytest

from livionkey_async import KeyRef, LivionKeyClient, NewContract
from livionkey_async._shared_pacing import SharedPacer
from livionkey_async.redis import RedisStore
from livionkey_async.testing import SimConfig, Simulator

START = datetime(2031, 5, 1, 12, tzinfo=UTC)


def _specs(worker: int, count: int) -> list[NewContract]:
    return [
        NewContract(
            contract_id=f"w{worker}-{n}",
            keys=(KeyRef(device_id="00001", key_id=f"A000{1 + n % 5}"),),
            start=START + timedelta(days=n + 40 * worker),
            end=START + timedelta(days=n + 40 * worker, hours=2),
            person=f"Guest {worker}-{n}",
        )
        for n in range(count)
    ]


async def _wait_for(condition: object, what: str) -> None:
    for _ in range(500):
        if condition():  # type: ignore[operator]
            return
        await asyncio.sleep(0.01)
    raise AssertionError(f"never happened: {what}")


async def test_redis_restarted_mid_run_loses_and_duplicates_nothing(
    private_redis: object, caplog: pytest.LogCaptureFixture
) -> None:
    from redis_support import RedisServer

    assert isinstance(private_redis, RedisServer)
    caplog.set_level(logging.WARNING, logger="livionkey_async")
    config = SimConfig(devices=1, keys=5)
    workers, each = 3, 20
    async with Simulator(config) as sim:
        clients = [
            LivionKeyClient(
                config.email,
                config.password,
                base_url=sim.url,
                rate_limit=30,
                store=RedisStore(
                    private_redis.url, namespace="faults", timeout=0.5, retry_interval=0.2
                ),
            )
            for _ in range(workers)
        ]
        jobs = [
            asyncio.ensure_future(c.bulk.create_contracts(_specs(w, each), concurrency=2))
            for w, c in enumerate(clients)
        ]
        await _wait_for(lambda: len(sim.contracts()) >= 10, "10 contracts")
        private_redis.stop()
        await _wait_for(lambda: len(sim.contracts()) >= 30, "30 contracts without Redis")
        stopped = all(isinstance(c._pacer, SharedPacer) and not c._pacer.shared for c in clients)
        # Alone, each paces at its share of the account's ceiling: 30/s for three processes.
        alone_rates = [c.stats.current_rate for c in clients]
        private_redis.start()
        reports = await asyncio.gather(*jobs)
        # Back together once Redis answers again: the next requests take shared slots.
        await asyncio.gather(*(c.devices.get("00001") for c in clients for _ in range(8)))
        rejoined = all(isinstance(c._pacer, SharedPacer) and c._pacer.shared for c in clients)
        for client in clients:
            await client.close()
            assert client.store is not None
            await client.store.aclose()
        made = sim.contracts()
    assert all(report.ok for report in reports)
    ids = sorted(c.contract_id for c in made)
    assert ids == sorted(s.contract_id for w in range(workers) for s in _specs(w, each))
    assert sim.stats.logins == 1  # the token lived in each process meanwhile
    assert stopped, "the processes did not notice Redis was gone"
    assert alone_rates == [pytest.approx(10.0)] * workers
    assert rejoined, "the processes did not rejoin the shared budget"
    said = [r.getMessage() for r in caplog.records if r.name == "livionkey_async.shared"]
    assert sum("unreachable" in m for m in said) == workers  # once per process
    assert sum("answers again: sharing" in m for m in said) == workers


async def test_redis_gone_for_good_mid_run_is_no_crash(private_redis: object) -> None:
    from redis_support import RedisServer

    assert isinstance(private_redis, RedisServer)
    config = SimConfig(devices=1, keys=5, rate=50, burst=5)
    async with Simulator(config) as sim:
        store = RedisStore(private_redis.url, namespace="gone", timeout=0.5)
        client = LivionKeyClient(config.email, config.password, base_url=sim.url, store=store)
        try:
            await asyncio.gather(*(client.devices.get("00001") for _ in range(20)))
            private_redis.stop()
            report = await client.bulk.create_contracts(_specs(0, 10), concurrency=4)
        finally:
            await client.close()
            await store.aclose()
    assert report.ok
    assert len(sim.contracts()) == 10
