"""Single ``contracts.create`` / ``keys.create`` calls are exactly-once by themselves.

A booking service awaits one create per request, hundreds at once; when a connection drops after
the server committed, the create looks the object up by the caller's reference and returns it,
marked ``reconciled``, instead of raising ``AmbiguousOutcomeError`` for the caller to sort out.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta

import pytest

from livionkey_async import (
    AmbiguousOutcomeError,
    CreatedContract,
    CreatedKey,
    DuplicateContractError,
    KeyRef,
    LivionKeyClient,
    NewContract,
    NewKey,
)
from livionkey_async.testing import Faults, SimConfig, Simulator

START = datetime.now(UTC).replace(microsecond=0) + timedelta(days=2)


class Sleeps:
    """A ``sleep`` that never waits (it only yields) and remembers what it was asked to wait."""

    def __init__(self) -> None:
        self.asked: list[float] = []

    async def __call__(self, delay: float) -> None:
        self.asked.append(delay)
        await asyncio.sleep(0)


@asynccontextmanager
async def running(
    devices: int = 1, keys: int = 3, faults: Faults | None = None
) -> AsyncIterator[tuple[Simulator, LivionKeyClient, Sleeps]]:
    config = SimConfig(
        devices=devices,
        keys=keys,
        keyx_devices=0,
        keypad_devices=0,
        key20_devices=0,
        faults=faults or Faults(),
    )
    sleeps = Sleeps()
    async with (
        Simulator(config) as sim,
        LivionKeyClient(
            config.email,
            config.password,
            base_url=sim.url,
            rate_limit=100_000,
            max_connections=32,
            sleep=sleeps,
        ) as client,
    ):
        yield sim, client, sleeps


def contract(contract_id: str, ref: KeyRef, **changes: object) -> NewContract:
    values: dict[str, object] = {
        "contract_id": contract_id,
        "keys": [ref],
        "start": START,
        "end": START + timedelta(days=1),
        "person": f"Guest {contract_id}",
    }
    values.update(changes)
    return NewContract(**values)  # type: ignore[arg-type]


async def test_600_concurrent_creates_with_dropped_connections_are_600_successes() -> None:
    async with running(devices=20, keys=30) as (sim, client, sleeps):
        refs = [
            KeyRef(device_id, key_id)
            for device_id, device in sim.state.devices.items()
            for key_id in device.keys
        ]
        specs = [contract(f"booking-{i:04d}", ref) for i, ref in enumerate(refs)]
        assert len(specs) == 600
        sim.faults.drop_after_commit_rate = 0.05
        results = await asyncio.gather(
            *(client.contracts.create(spec) for spec in specs), return_exceptions=True
        )
        sim.faults.drop_after_commit_rate = 0.0

    failures = [repr(r) for r in results if isinstance(r, BaseException)]
    assert failures == []
    created = [r for r in results if isinstance(r, CreatedContract)]
    assert len(created) == 600
    assert sim.stats.dropped > 0  # the network really did lie
    # Each dropped create was found by its contract_id, once, and said so.
    assert sum(r.reconciled for r in created) == sim.stats.dropped
    grouped = sim.contracts_by_contract_id()
    assert sorted(grouped) == sorted(s.contract_id for s in specs)
    assert sim.duplicated_contract_ids() == {}
    by_reference = {group[0].contract_id: group[0] for group in grouped.values()}
    for spec, made in zip(specs, created, strict=True):
        assert made.id == by_reference[spec.contract_id].object_id
        assert made.pincode == by_reference[spec.contract_id].pincode
    assert max(sleeps.asked, default=0.0) < 0.01  # nothing waited but the pacer's spacing


async def test_a_dropped_create_returns_the_contract_marked_reconciled() -> None:
    async with running(faults=Faults(drop_after_commit_rate=1.0)) as (sim, client, _):
        made = await client.contracts.create(contract("booking-1", KeyRef("00001", "A0001")))
    ((on_sim,),) = sim.contracts_by_contract_id().values()
    assert made.reconciled is True
    assert (made.id, made.pincode) == (on_sim.object_id, on_sim.pincode)
    assert sim.stats.dropped == 1
    # The marker is not part of the value: a reconciled result equals a plain one.
    assert made == CreatedContract(id=on_sim.object_id, pincode=on_sim.pincode)


async def test_a_plain_create_is_not_marked_reconciled() -> None:
    async with running() as (_, client, _):
        made = await client.contracts.create(contract("booking-1", KeyRef("00001", "A0001")))
        key = await client.keys.create(NewKey(key_id="K1", name="Flat 1", device_id="00001"))
    assert made.reconciled is False
    assert key.reconciled is False


async def test_reconcile_false_keeps_the_ambiguity_for_the_caller() -> None:
    async with running(faults=Faults(drop_after_commit_rate=1.0)) as (sim, client, _):
        with pytest.raises(AmbiguousOutcomeError):
            await client.contracts.create(
                contract("booking-1", KeyRef("00001", "A0001")), reconcile=False
            )
        with pytest.raises(AmbiguousOutcomeError):
            await client.keys.create(
                NewKey(key_id="K1", name="Flat 1", device_id="00001"), reconcile=False
            )
    assert list(sim.contracts_by_contract_id()) == ["booking-1"]  # it did land


async def test_a_rerun_of_the_same_create_is_a_reconciled_success() -> None:
    async with running() as (sim, client, _):
        first = await client.contracts.create(contract("booking-1", KeyRef("00001", "A0001")))
        again = await client.contracts.create(contract("booking-1", KeyRef("00001", "A0001")))
        with pytest.raises(DuplicateContractError) as info:
            await client.contracts.create(
                contract("booking-1", KeyRef("00001", "A0001"), person="Somebody Else")
            )
        with pytest.raises(DuplicateContractError):
            await client.contracts.create(
                contract("booking-1", KeyRef("00001", "A0001")), reconcile=False
            )
    assert again.reconciled
    assert again.id == first.id
    assert (info.value.status, info.value.message) == (400, "ContractId already in use")
    assert sim.duplicated_contract_ids() == {}


async def test_a_dropped_key_create_returns_the_key_marked_reconciled() -> None:
    async with running(keys=0, faults=Faults(drop_after_commit_rate=1.0)) as (sim, client, _):
        made = await client.keys.create(NewKey(key_id="K1", name="Flat 1", device_id="00001"))
    assert made.reconciled is True
    assert made == CreatedKey(locker_index=sim.state.devices["00001"].keys["K1"].locker_index)
    assert list(sim.state.devices["00001"].keys) == ["K1"]


async def test_a_look_up_that_fails_leaves_the_outcome_ambiguous() -> None:
    async with running() as (sim, client, _):
        assert await client.devices.product("00001") == "key30"  # learnt before the faults
        # The create answers 500 (its outcome unknown), and every look-up fails too.
        sim.faults.fail_rate, sim.faults.fail_statuses = 1.0, (500,)
        with pytest.raises(AmbiguousOutcomeError) as info:
            await client.contracts.create(contract("booking-1", KeyRef("00001", "A0001")))
    assert "look" in info.value.message
