"""A refused login stops any job after exactly one login request.

Against the real service repeated logins trip its login throttle, so a wrong password must cost
one login request per client, however many items, coroutines or jobs are waiting for a token;
every item but the one that says why is reported as not attempted.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from livionkey_async import (
    BulkReport,
    ContractUpdate,
    KeyRef,
    LivionKeyClient,
    LoginError,
    NewContract,
    NewKey,
)
from livionkey_async.testing import SimConfig, Simulator

START = datetime.now(UTC).replace(microsecond=0) + timedelta(days=2)
CONFIG = SimConfig(devices=4, keys=10, keyx_devices=0, keypad_devices=0, key20_devices=0)


def contracts(count: int) -> list[NewContract]:
    return [
        NewContract(
            contract_id=f"c-{i}",
            keys=[KeyRef(f"{1 + i % 4:05d}", f"A{1 + i % 10:04d}")],
            start=START,
            end=START + timedelta(days=1),
            person="Guest",
        )
        for i in range(count)
    ]


def wrong_client(sim: Simulator) -> LivionKeyClient:
    return LivionKeyClient(sim.config.email, "wrong-password", base_url=sim.url, rate_limit=1e5)


async def test_every_bulk_job_of_a_refused_client_costs_one_login_in_all() -> None:
    async with Simulator(CONFIG) as sim, wrong_client(sim) as client:
        jobs: list[Callable[[], Awaitable[BulkReport[Any, Any]]]] = [
            lambda: client.bulk.create_contracts(contracts(50), concurrency=32),
            lambda: client.bulk.create_contracts(contracts(50), check_batch=False),
            lambda: client.bulk.update_contracts(
                [(f"obj-{i}", ContractUpdate(keys=[KeyRef("00001", "A0001")])) for i in range(40)]
            ),
            lambda: client.bulk.delete_contracts([f"obj-{i}" for i in range(40)]),
            lambda: client.bulk.create_keys(
                [NewKey(key_id=f"K{i}", name="k", device_id="00001") for i in range(40)]
            ),
        ]
        for job in jobs:
            report = await job()
            assert len(report.failed) == 1
            assert isinstance(report.failed[0].error, LoginError)
            assert len(report.not_attempted) == report.total - 1
            assert report.succeeded == []
        assert client.stats.logins == 1
    assert sim.stats.requests == 1  # the one refused login, nothing else


async def test_in_flight_items_share_the_one_refused_login() -> None:
    # Updates need no token before they are sent: all 32 are in flight when the login fails.
    async with Simulator(CONFIG) as sim, wrong_client(sim) as client:
        updates = [(f"obj-{i}", ContractUpdate(keys=[KeyRef("00001", "A0001")])) for i in range(80)]
        report = await client.bulk.update_contracts(updates, concurrency=32)
    assert sim.stats.requests == 1
    assert len(report.failed) == 1
    assert len(report.not_attempted) == 79


async def test_concurrent_callers_and_later_calls_share_the_one_refusal() -> None:
    async with Simulator(CONFIG) as sim, wrong_client(sim) as client:
        results = await asyncio.gather(
            *(client.devices.list() for _ in range(20)), return_exceptions=True
        )
        assert all(isinstance(r, LoginError) for r in results)
        with pytest.raises(LoginError):
            await client.contracts.get("x")
    assert sim.stats.requests == 1


async def test_an_explicit_login_asks_again() -> None:
    async with Simulator(CONFIG) as sim, wrong_client(sim) as client:
        with pytest.raises(LoginError):
            await client.devices.list()
        with pytest.raises(LoginError):
            await client.login()
    assert sim.stats.requests == 2
