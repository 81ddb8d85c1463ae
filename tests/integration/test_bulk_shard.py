"""``shard=`` on the bulk helpers, against the simulators over loopback: workers splitting one
list each run only their part (by the hash of the item's journal key), every item is worked by
exactly one of them, an invalid item is reported once, and a bad shard is refused before
anything is sent."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import pytest

from livionkey_async import (
    BulkProgress,
    BulkReport,
    Contact,
    CreatedContract,
    KeyRef,
    LivionKeyClient,
    NewContract,
    Outcome,
    Shard,
    ValidationError,
)
from livionkey_async.testing import SimConfig, Simulator, V2SimConfig, V2Simulator
from livionkey_async.v2 import Contact as V2Contact
from livionkey_async.v2 import LivionKeyV2Client, NewContractKey, NewMechanicalKeyContract

START = datetime.now(UTC).replace(microsecond=0) + timedelta(days=2)
CONFIG = SimConfig(devices=2, keys=15, keyx_devices=0, keypad_devices=0, key20_devices=0)


def specs_for(refs: list[KeyRef]) -> list[NewContract]:
    return [
        NewContract(
            contract_id=f"booking-{i:03d}",
            keys=[ref],
            start=START,
            end=START + timedelta(days=1),
            person=f"Guest {i}",
            contacts=[Contact(email="guest@example.com", language="en-gb")],
        )
        for i, ref in enumerate(refs)
    ]


async def key_refs(client: LivionKeyClient) -> list[KeyRef]:
    refs: list[KeyRef] = []
    for device in await client.devices.list():
        refs.extend(
            KeyRef(device.device_id, k.key_id) for k in await client.devices.keys(device.device_id)
        )
    return refs


async def test_three_shards_create_every_contract_once_each_only_its_own() -> None:
    async with Simulator(CONFIG) as sim:
        async with LivionKeyClient(CONFIG.email, CONFIG.password, base_url=sim.url) as client:
            specs: list[object] = list(specs_for(await key_refs(client)))
        invalid_at = 7
        specs.insert(invalid_at, "not a contract")  # fails its own checks: no key to hash
        shards = [Shard(i, 3) for i in (1, 2, 3)]
        progress: dict[int, list[BulkProgress]] = {s.index: [] for s in shards}

        async def worker(shard: Shard) -> BulkReport[NewContract, CreatedContract]:
            async with LivionKeyClient(CONFIG.email, CONFIG.password, base_url=sim.url) as client:
                return await client.bulk.create_contracts(
                    specs,  # type: ignore[arg-type]
                    shard=shard,
                    concurrency=4,
                    on_progress=progress[shard.index].append,
                )

        reports = await asyncio.gather(*(worker(shard) for shard in shards))

    valid = [s for s in specs if isinstance(s, NewContract)]
    for shard, report in zip(shards, reports, strict=True):
        mine = [s.contract_id for s in valid if shard.owns(s.contract_id)]
        assert mine, "every shard has work (else this test proves little)"
        assert sorted(i.spec.contract_id for i in report.succeeded) == sorted(mine)
        assert report.not_attempted == []
        # Indices are positions in the whole list, not in the shard's part.
        for item in report.succeeded:
            assert specs[item.index] is item.spec
        failed = [(item.index, type(item.error)) for item in report.failed]
        assert failed == ([(invalid_at, ValidationError)] if shard.index == 1 else [])
        # Other shards' items are not counted anywhere: not in the report, not in progress.
        assert report.total == len(mine) + (shard.index == 1)
        assert {p.total for p in progress[shard.index]} == {report.total}
        assert progress[shard.index][-1].done == report.total
    assert sim.duplicated_contract_ids() == {}
    assert sorted(sim.contracts_by_contract_id()) == sorted(s.contract_id for s in valid)


async def test_a_stream_and_an_async_source_split_the_same_way() -> None:
    async with Simulator(CONFIG) as sim:
        async with LivionKeyClient(CONFIG.email, CONFIG.password, base_url=sim.url) as client:
            specs = specs_for(await key_refs(client))

            async def source() -> object:
                for spec in specs:
                    yield spec

            seen = [
                item
                async for item in client.bulk.stream_create_contracts(
                    source(),  # type: ignore[arg-type]
                    shard="2/3",
                )
            ]
        expected = {i for i, s in enumerate(specs) if Shard(2, 3).owns(s.contract_id)}
        assert {item.index for item in seen} == expected
        assert all(item.outcome is Outcome.SUCCEEDED for item in seen)
        assert sorted(sim.contracts_by_contract_id()) == sorted(
            specs[i].contract_id for i in expected
        )


async def test_v2_mechanical_contracts_split_by_their_id() -> None:
    async with V2Simulator(V2SimConfig(keys_per_automat=12)) as sim:
        specs = [
            NewMechanicalKeyContract(
                id=f"booking-{i}",
                start=START,
                end=START + timedelta(days=1),
                contact=V2Contact(f"Guest {i}"),
                keys=[NewContractKey(key)],
            )
            for i, key in enumerate(sorted(sim.state.mechanical_keys))
        ]
        async with LivionKeyV2Client(
            sim.service_account_id, sim.private_key_pem, base_url=sim.url
        ) as client:
            with pytest.raises(ValidationError, match=r"^shard must be"):
                await client.bulk.delete_iloq_contracts(["x"], shard="3/2")
            assert sim.stats.requests == 0
            first = await client.bulk.create_mechanical_contracts(specs, shard="1/2")
            assert sorted(sim.state.mechanical_contracts) == sorted(
                i.spec.id or "" for i in first.succeeded
            )
            second = await client.bulk.create_mechanical_contracts(specs, shard=Shard(2, 2))
        assert first.ok
        assert second.ok
        assert first.succeeded  # both shards have work (else this test proves little)
        assert second.succeeded
        assert {i.index for i in first.succeeded} | {i.index for i in second.succeeded} == set(
            range(len(specs))
        )
        assert sorted(sim.state.mechanical_contracts) == sorted(s.id or "" for s in specs)


BAD_SHARDS = ["0/4", "5/4", "2-4", "", "2/0", "x/y", "1/" + "9" * 5000, "\ud800", 2, (2, 4), 2.5]


@pytest.mark.parametrize("shard", BAD_SHARDS, ids=repr)
async def test_a_bad_shard_is_refused_by_name_before_anything_is_sent(shard: object) -> None:
    async with Simulator(CONFIG) as sim:
        async with LivionKeyClient(CONFIG.email, CONFIG.password, base_url=sim.url) as client:
            specs = specs_for([KeyRef("00001", "A0001")])
            with pytest.raises(ValidationError, match=r"^shard must be"):
                await client.bulk.create_contracts(specs, shard=shard)  # type: ignore[arg-type]
            stream = client.bulk.stream_delete_contracts(["x"], shard=shard)  # type: ignore[arg-type]
            with pytest.raises(ValidationError, match=r"^shard must be"):
                await anext(stream)
        assert sim.stats.requests == 0
        assert sim.contracts() == []
