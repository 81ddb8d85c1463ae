"""Bulk creation against the simulator over loopback: exactly once, whatever the network does."""

from __future__ import annotations

import asyncio
import json
import re
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from livionkey_async import (
    AmbiguousOutcomeError,
    AuthenticationError,
    BulkProgress,
    BulkReport,
    Contact,
    ContractOverlapError,
    ContractUpdate,
    CreatedContract,
    DuplicateContractError,
    KeyRef,
    LivionKeyClient,
    LoginError,
    NewContract,
    NewKey,
    Outcome,
    SpecChangedError,
    ValidationError,
)
from livionkey_async.testing import AccountConfig, Faults, SimConfig, Simulator

START = datetime.now(UTC).replace(microsecond=0) + timedelta(days=2)


def sim_config(devices: int = 4, keys: int = 5, faults: Faults | None = None) -> SimConfig:
    return SimConfig(
        devices=devices,
        keys=keys,
        keyx_devices=0,
        keypad_devices=0,
        key20_devices=0,
        faults=faults or Faults(),
    )


async def key_refs(client: LivionKeyClient) -> list[KeyRef]:
    refs: list[KeyRef] = []
    for device in await client.devices.list():
        refs.extend(
            KeyRef(device.device_id, k.key_id) for k in await client.devices.keys(device.device_id)
        )
    return refs


def without_digests(journal: str) -> str:
    """A journal's lines without its salt and digests, once they are checked to be digests."""
    lines = []
    for line in journal.splitlines():
        entry = json.loads(line)
        digests = [entry.pop("salt", "0" * 32), *entry.pop("spec", {}).values()]
        assert all(re.fullmatch(r"[0-9a-f]{16,32}", digest) for digest in digests)
        lines.append(json.dumps(entry))
    return "\n".join(lines)


def spec(contract_id: str, ref: KeyRef, *, day: int = 0, **changes: object) -> NewContract:
    values: dict[str, object] = {
        "contract_id": contract_id,
        "keys": [ref],
        "start": START + timedelta(days=3 * day),
        "end": START + timedelta(days=3 * day + 1),
        "person": f"Guest {contract_id}",
        "contacts": [Contact(email="guest@example.com", language="en-gb")],
    }
    values.update(changes)
    return NewContract(**values)  # type: ignore[arg-type]


async def test_600_contracts_exactly_once_through_dropped_connections_and_503s() -> None:
    config = sim_config(devices=20, keys=30)
    async with Simulator(config) as sim:
        async with LivionKeyClient(config.email, config.password, base_url=sim.url) as client:
            specs = [spec(f"booking-{i:04d}", ref) for i, ref in enumerate(await key_refs(client))]
            assert len(specs) == 600
            sim.faults.drop_after_commit_rate = 0.05
            sim.faults.fail_rate = 0.03
            report = await client.bulk.create_contracts(specs, concurrency=32)
            sim.faults.drop_after_commit_rate = sim.faults.fail_rate = 0.0
        assert len(report.succeeded) == 600, [str(r.error) for r in report.failed[:5]]
        assert report.failed == []
        assert report.not_attempted == []
        assert report.reconciled > 0  # some outcomes really were ambiguous
        assert sim.stats.dropped > 0
        grouped = sim.contracts_by_contract_id()
        assert sorted(grouped) == sorted(s.contract_id for s in specs)
        assert sim.duplicated_contract_ids() == {}
        reported_ids = {r.result.id for r in report.succeeded if r.result is not None}
        assert reported_ids == {group[0].object_id for group in grouped.values()}


async def test_invalid_items_fail_locally_and_the_rest_go_on() -> None:
    config = sim_config(devices=1, keys=4)
    async with Simulator(config) as sim:
        async with LivionKeyClient(config.email, config.password, base_url=sim.url) as client:
            a, b, c, d = await key_refs(client)
            specs = [
                spec("ok-1", a),
                spec("naive", b, start=datetime(2031, 1, 1), end=datetime(2031, 1, 2)),
                spec("backwards", b, end=START - timedelta(hours=1)),
                spec("perm-with-end", b, perm=True),
                spec("bad-language", b, contacts=[Contact(language="xx")]),  # type: ignore[arg-type]
                spec("ok-1", c),  # contract_id used twice in the batch
                spec("overlap", a, start=START + timedelta(hours=12)),  # a is private
                spec("ok-2", a, day=1),  # same key, later window: fine
                spec("ok-3", d),
            ]
            before = sim.stats.requests
            report = await client.bulk.create_contracts(specs)
        ok = sorted(r.spec.contract_id for r in report.succeeded)
        assert ok == ["ok-1", "ok-2", "ok-3"]
        failed = {r.index: type(r.error) for r in report.failed}
        assert failed == {
            1: ValidationError,
            2: ValidationError,
            3: ValidationError,
            4: ValidationError,
            5: ValidationError,
            6: ContractOverlapError,
        }
        assert sorted(sim.contracts_by_contract_id()) == ["ok-1", "ok-2", "ok-3"]
        # Three creates plus the key listing that tells private keys from shared ones.
        assert sim.stats.requests - before <= 3 + 1 + 1


async def test_rerun_without_journal_reconciles_and_a_different_contract_is_a_duplicate() -> None:
    config = sim_config(devices=1, keys=2)
    async with Simulator(config) as sim:
        async with LivionKeyClient(config.email, config.password, base_url=sim.url) as client:
            a, b = await key_refs(client)
            first = await client.bulk.create_contracts([spec("r-1", a), spec("r-2", b)])
            assert len(first.succeeded) == 2
            again = await client.bulk.create_contracts(
                [spec("r-1", a), spec("r-2", b, person="Someone Else")]
            )
        assert [r.spec.contract_id for r in again.succeeded] == ["r-1"]
        assert again.succeeded[0].reconciled
        assert again.succeeded[0].result is not None
        assert again.succeeded[0].result.id == next(
            r.result.id for r in first.succeeded if r.spec.contract_id == "r-1" and r.result
        )
        assert isinstance(again.failed[0].error, DuplicateContractError)
        assert sim.duplicated_contract_ids() == {}


async def test_journal_makes_a_rerun_skip_what_succeeded(tmp_path: Path) -> None:
    journal = tmp_path / "job.jsonl"
    config = sim_config(devices=2, keys=5)
    async with Simulator(config) as sim:
        async with LivionKeyClient(config.email, config.password, base_url=sim.url) as client:
            specs = [spec(f"j-{i}", ref) for i, ref in enumerate(await key_refs(client))]
            first = await client.bulk.create_contracts(specs[:6], journal=journal)
            assert len(first.succeeded) == 6
            created_before = sim.stats.contracts
            seen: list[BulkProgress] = []
            second = await client.bulk.create_contracts(
                specs, journal=journal, on_progress=seen.append
            )
            assert (seen[-1].skipped, seen[-1].worked) == (6, 4)
            seen.clear()
            third = await client.bulk.create_contracts(
                specs, journal=journal, on_progress=seen.append
            )
        assert len(third.succeeded) == 10
        assert (seen[-1].done, seen[-1].skipped, seen[-1].worked, seen[-1].rate) == (10, 10, 0, 0)
        assert len(second.succeeded) == 10
        assert sum(1 for r in second.succeeded if r.skipped) == 6
        assert sim.stats.contracts - created_before == 4
        text = journal.read_text()
        assert text.count('"succeeded"') == 10  # the third run skipped all: it wrote nothing
        readable = without_digests(text)
        assert not any(contract.pincode in readable for contract in sim.contracts())


async def test_a_rerun_reports_an_edited_item_as_changed_never_skips_it(tmp_path: Path) -> None:
    journal = tmp_path / "job.jsonl"
    config = sim_config(devices=1, keys=4)
    async with Simulator(config) as sim:
        async with LivionKeyClient(config.email, config.password, base_url=sim.url) as client:
            refs = await key_refs(client)
            specs = [spec(f"e-{i}", ref, pincode=f"48291{i}") for i, ref in enumerate(refs)]
            first = await client.bulk.create_contracts(specs, journal=journal)
            assert len(first.succeeded) == 4
            edited = [
                specs[0],
                spec("e-1", refs[1], day=1, pincode="482911"),  # new dates, same contract_id
                spec("e-2", refs[2], pincode="999999"),  # a new pincode
                specs[3],
            ]
            requests = sim.stats.requests
            again = await client.bulk.create_contracts(edited, journal=journal)
        assert sim.stats.requests == requests  # nothing was sent
        assert [r.spec.contract_id for r in again.succeeded] == ["e-0", "e-3"]
        assert all(r.skipped for r in again.succeeded)
        changed = {r.spec.contract_id: r.error for r in again.failed}
        assert set(changed) == {"e-1", "e-2"}
        assert all(isinstance(error, SpecChangedError) for error in changed.values())
        e1, e2 = changed["e-1"], changed["e-2"]
        assert isinstance(e1, SpecChangedError)
        assert isinstance(e2, SpecChangedError)
        assert e1.fields == ("end", "start")
        assert e2.fields == ("secrets",)  # secret fields share one digest
        assert "end, start" in str(e1)
        assert "999999" not in str(e2)
        readable = without_digests(journal.read_text())
        assert not any(pin in readable for pin in ("482910", "482911", "482912", "482913"))
        assert "999999" not in readable
        # The server still holds the first versions: nothing changed silently.
        assert {c.pincode for c in sim.contracts()} == {f"48291{i}" for i in range(4)}


async def test_wrong_credentials_stop_the_batch_and_every_item_is_reported() -> None:
    config = sim_config(devices=1, keys=5)
    async with Simulator(config) as sim:
        async with LivionKeyClient(config.email, "wrong-password", base_url=sim.url) as client:
            refs = [KeyRef("00001", f"K{i}") for i in range(50)]
            report = await client.bulk.create_contracts(
                [spec(f"a-{i}", ref) for i, ref in enumerate(refs)], concurrency=4
            )
        assert report.total == 50
        assert report.succeeded == []
        assert [type(r.error) for r in report.failed] == [LoginError]
        assert len(report.not_attempted) == 49
        assert sim.stats.requests == 1  # one refused login, nothing else


async def test_cancelling_a_job_reports_every_item_and_loses_nothing() -> None:
    config = sim_config(devices=2, keys=30, faults=Faults(latency=0.05))
    async with Simulator(config) as sim:
        async with LivionKeyClient(config.email, config.password, base_url=sim.url) as client:
            specs = [spec(f"c-{i}", ref) for i, ref in enumerate(await key_refs(client))]
            ten_done = asyncio.Event()

            def progress(state: BulkProgress) -> None:
                if state.succeeded >= 10:
                    ten_done.set()

            report: BulkReport[NewContract, CreatedContract] = BulkReport()
            job = asyncio.ensure_future(
                client.bulk.create_contracts(
                    specs, concurrency=8, on_progress=progress, report=report
                )
            )
            await ten_done.wait()
            job.cancel()
            async with asyncio.timeout(5):
                with pytest.raises(asyncio.CancelledError):
                    await job
        for _ in range(200):  # let requests the server was still handling land (bounded)
            if sim.stats.in_flight == 0:
                break
            await asyncio.sleep(0.01)
        assert sim.stats.in_flight == 0
        assert report.total == len(specs)
        assert 10 <= len(report.succeeded) < len(specs)
        assert len(report.not_attempted) > 0
        on_server = set(sim.contracts_by_contract_id())
        succeeded = {r.spec.contract_id for r in report.succeeded}
        in_doubt = {
            r.spec.contract_id for r in report.failed if isinstance(r.error, AmbiguousOutcomeError)
        }
        assert {r.spec.contract_id for r in report.failed} == in_doubt
        assert succeeded <= on_server
        assert on_server <= succeeded | in_doubt  # nothing on the server went unreported
        assert not on_server & {r.spec.contract_id for r in report.not_attempted}


async def test_cancelling_inside_asyncio_timeout_is_a_timeout() -> None:
    config = sim_config(devices=1, keys=30, faults=Faults(latency=0.05))
    async with Simulator(config) as sim:
        async with LivionKeyClient(config.email, config.password, base_url=sim.url) as client:
            specs = [spec(f"t-{i}", ref) for i, ref in enumerate(await key_refs(client))]
            report: BulkReport[NewContract, CreatedContract] = BulkReport()
            with pytest.raises(TimeoutError):
                async with asyncio.timeout(0.3):
                    await client.bulk.create_contracts(specs, concurrency=4, report=report)
        assert report.total == len(specs)


async def test_stream_yields_every_item_in_completion_order() -> None:
    config = sim_config(devices=2, keys=5)
    async with Simulator(config) as sim:
        async with LivionKeyClient(config.email, config.password, base_url=sim.url) as client:
            refs = await key_refs(client)

            async def specs() -> AsyncIterator[NewContract]:
                for i, ref in enumerate(refs):
                    yield spec(f"s-{i}", ref)

            seen = [item async for item in client.bulk.stream_create_contracts(specs())]
        assert sorted(item.index for item in seen) == list(range(len(refs)))
        assert all(item.outcome is Outcome.SUCCEEDED for item in seen)
        assert len(sim.contracts_by_contract_id()) == len(refs)


async def test_keys_updates_and_deletes_in_bulk() -> None:
    config = sim_config(devices=1, keys=0)
    async with (
        Simulator(config) as sim,
        LivionKeyClient(config.email, config.password, base_url=sim.url) as client,
    ):
        (device,) = await client.devices.list()
        new_keys = [
            NewKey(key_id=f"N{i}", name=f"Flat {i}", device_id=device.device_id) for i in range(12)
        ]
        sim.faults.drop_after_commit_rate = 0.2
        keys_report = await client.bulk.create_keys(new_keys)
        sim.faults.drop_after_commit_rate = 0.0
        assert len(keys_report.succeeded) == 12, [str(r.error) for r in keys_report.failed]
        listed = await client.devices.keys(device.device_id)
        assert sorted(k.key_id for k in listed) == sorted(k.key_id for k in new_keys)

        refs = [KeyRef(device.device_id, k.key_id) for k in new_keys]
        made = await client.bulk.create_contracts([spec(f"u-{i}", r) for i, r in enumerate(refs)])
        ids = [(r.result.id, r.spec.keys) for r in made.succeeded if r.result is not None]
        updates = [(i, ContractUpdate(keys=k, person="Renamed")) for i, k in ids]
        updated = await client.bulk.update_contracts(updates)
        assert len(updated.succeeded) == 12
        assert {c.person for c in await client.devices.contracts(device.device_id)} == {"Renamed"}
        deleted = await client.bulk.delete_contracts([i for i, _ in ids])
        assert len(deleted.succeeded) == 12
        assert await client.devices.contracts(device.device_id) == []


async def test_no_access_to_one_device_fails_its_items_only() -> None:
    other = AccountConfig(email="other@example.com", password="other-pass", devices=1, keys=2)
    config = SimConfig(
        devices=1,
        keys=2,
        keyx_devices=0,
        keypad_devices=0,
        key20_devices=0,
        extra_accounts=[other],
    )
    async with (
        Simulator(config) as sim,
        LivionKeyClient(config.email, config.password, base_url=sim.url) as client,
    ):
        mine = await key_refs(client)
        foreign = KeyRef("00002", "A0001")  # the other account's first device
        specs = [spec("m-0", mine[0]), spec("f-0", foreign), spec("m-1", mine[1])]
        report = await client.bulk.create_contracts(specs, concurrency=1)
    assert sorted(r.spec.contract_id for r in report.succeeded) == ["m-0", "m-1"]
    assert [type(r.error) for r in report.failed] == [AuthenticationError]
    assert report.not_attempted == []


async def test_deleting_contracts_already_gone_counts_as_deleted() -> None:
    config = sim_config(devices=1, keys=2)
    async with (
        Simulator(config) as sim,
        LivionKeyClient(config.email, config.password, base_url=sim.url) as client,
    ):
        a, b = await key_refs(client)
        made = await client.bulk.create_contracts([spec("d-1", a), spec("d-2", b)])
        ids = [r.result.id for r in made.succeeded if r.result is not None]
        await client.contracts.delete(ids[0])  # someone deleted one already
        report = await client.bulk.delete_contracts(ids)
        assert len(report.succeeded) == 2
        assert sim.contracts() == []
