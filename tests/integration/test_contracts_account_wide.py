"""``client.contracts.list()`` / ``iterate()`` / ``find()``: every contract of the account.

LivionKey lists contracts per device only; these ask every device of the account (or the ones
given) through the shared pacer, a bounded number at once, filter by time window, and list a
contract on keys of several devices once.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta

import pytest

from livionkey_async import KeyRef, LivionKeyClient, NewContract, ValidationError
from livionkey_async.testing import SimConfig, Simulator

START = datetime.now(UTC).replace(microsecond=0) + timedelta(days=2)
DAY = timedelta(days=1)


@asynccontextmanager
async def running(devices: int = 3) -> AsyncIterator[tuple[Simulator, LivionKeyClient]]:
    config = SimConfig(devices=devices, keys=3, keyx_devices=1, keypad_devices=1, key20_devices=1)
    async with (
        Simulator(config) as sim,
        LivionKeyClient(config.email, config.password, base_url=sim.url, rate_limit=1e5) as client,
    ):
        yield sim, client


def contract(contract_id: str, *refs: KeyRef, day: int = 0, days: int = 1) -> NewContract:
    return NewContract(
        contract_id=contract_id,
        keys=refs,
        start=START + day * DAY,
        end=START + (day + days) * DAY,
        person="Guest",
    )


async def seed(client: LivionKeyClient) -> None:
    for spec in (
        contract("on-1", KeyRef("00001", "A0001")),
        contract("on-2-later", KeyRef("00002", "A0001"), day=10),
        contract("on-3", KeyRef("00003", "A0002"), day=1),
        contract("on-1-and-3", KeyRef("00001", "A0002"), KeyRef("00003", "A0003"), day=5),
        contract("on-keyx", KeyRef("00004", "A0001"), day=2),
    ):
        await client.contracts.create(spec)


async def test_list_holds_every_contract_of_the_account_once() -> None:
    async with running() as (sim, client):
        await seed(client)
        listed = await client.contracts.list()
        streamed = [c async for c in client.contracts.iterate()]
    assert sorted(c.contract_id or "" for c in listed) == [
        "on-1",
        "on-1-and-3",
        "on-2-later",
        "on-3",
        "on-keyx",
    ]
    assert streamed == listed
    assert {c.id for c in listed} == {c.object_id for c in sim.contracts()}


async def test_list_filters_by_device_and_by_time_window() -> None:
    async with running() as (_, client):
        await seed(client)
        on_3 = await client.contracts.list(device_ids=["00003"])
        assert sorted(c.contract_id or "" for c in on_3) == ["on-1-and-3", "on-3"]
        # Valid at some time within [start, end): overlapping the window.
        window = await client.contracts.list(start=START + DAY, end=START + 3 * DAY)
        assert sorted(c.contract_id or "" for c in window) == ["on-3", "on-keyx"]
        later = await client.contracts.list(start=START + 6 * DAY)
        assert sorted(c.contract_id or "" for c in later) == ["on-2-later"]
        before = await client.contracts.list(end=START + DAY / 2)
        assert [c.contract_id for c in before] == ["on-1"]
        both = await client.contracts.list(device_ids=["00001"], start=START + 5 * DAY)
        assert [c.contract_id for c in both] == ["on-1-and-3"]


async def test_a_permanent_contract_is_in_every_later_window() -> None:
    async with running() as (_, client):
        await client.contracts.create(
            NewContract(
                contract_id="perm",
                keys=[KeyRef("00002", "A0003")],
                start=START,
                person="Fleet",
                perm=True,
            )
        )
        far = await client.contracts.list(start=START + 1000 * DAY)
    assert [c.contract_id for c in far] == ["perm"]


async def test_the_fan_out_is_bounded_and_find_stops_early() -> None:
    async with running(devices=30) as (sim, client):
        await client.contracts.create(contract("first", KeyRef("00001", "A0001")))
        await client.devices.list()  # the account's devices, learnt
        sim.stats.reset()
        assert len(await client.contracts.list(concurrency=4)) == 1
        assert sim.stats.max_in_flight <= 4
        asked = sim.stats.requests
        assert asked == 1 + 31  # the device listing, then each V1 device once
        sim.stats.reset()
        found = await client.contracts.find("first")
        assert found is not None
        assert found.contract_id == "first"
        # Found on the first device: the rest of the account was not asked.
        assert sim.stats.requests < asked // 2
        assert client.stats.in_flight == 0  # nothing it started is left running


async def test_leaving_iterate_early_cancels_what_it_started() -> None:
    async with running(devices=20) as (_, client):
        for n in range(1, 4):
            await client.contracts.create(contract(f"c-{n}", KeyRef(f"{n:05d}", "A0001")))
        async with contextlib.aclosing(client.contracts.iterate(concurrency=8)) as contracts:
            async for found in contracts:
                assert found.contract_id == "c-1"
                break
        assert client.stats.in_flight == 0  # nothing it started is left running


@pytest.mark.parametrize(
    "window",
    [
        {"start": datetime(2031, 1, 1)},  # naive
        {"end": datetime(2031, 1, 1)},
        {"start": START, "end": START},  # empty
        {"device_ids": []},
        {"concurrency": 0},
    ],
)
async def test_a_bad_filter_is_refused_before_sending(window: dict[str, object]) -> None:
    async with running() as (sim, client):
        with pytest.raises(ValidationError):
            await client.contracts.list(**window)  # type: ignore[arg-type]
    assert sim.stats.requests == 0
