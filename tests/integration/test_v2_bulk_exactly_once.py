"""API v2 bulk creation against the simulator when the network lies.

Mechanical contracts carry the caller's id: every one exists exactly once, whatever was dropped.
iLOQ contracts carry nothing of the caller's: a create is never sent twice (counted on the wire),
a lost answer is settled by the one new matching contract, an unknown one fails and a rerun with
the journal finds or makes it, and a contract that was there before the job is never claimed.
"""

from __future__ import annotations

import json
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path

import attrs
import pytest

from livionkey_async import AmbiguousOutcomeError, RequestEvent, ValidationError
from livionkey_async.testing import Faults, V2SimConfig, V2Simulator
from livionkey_async.v2 import (
    Contact,
    ContractInUseError,
    IloqKeyContract,
    LivionKeyV2Client,
    NewContractKey,
    NewIloqKeyContract,
    NewMechanicalKeyContract,
)
from livionkey_async.v2._reconcile import iloq_fingerprint

DAY = timedelta(days=1)
START = datetime.now(UTC).replace(microsecond=0) + DAY


class Posts:
    """Counts the creates the client really sent (every attempt), from its metrics hook."""

    def __init__(self) -> None:
        self.sent: Counter[str] = Counter()

    def __call__(self, event: RequestEvent) -> None:
        if event.method == "POST":
            self.sent[event.path] += 1


def client_of(sim: V2Simulator, posts: Posts | None = None) -> LivionKeyV2Client:
    return LivionKeyV2Client(
        sim.service_account_id,
        sim.private_key_pem,
        base_url=sim.url,
        on_request=posts,
        max_attempts=8,
    )


def config(faults: Faults | None = None) -> V2SimConfig:
    return V2SimConfig(
        key20_automats=1, iloq_keys_per_automat=20, faults=faults or Faults(), seed=7
    )


def automat_of(sim: V2Simulator) -> str:
    return next(a.id for a in sim.state.automats.values() if a.product == "key20")


def access_right_of(sim: V2Simulator) -> str:
    return str(sim.state.access_rights[0]["id"])


def iloq_specs(sim: V2Simulator, count: int) -> list[NewIloqKeyContract]:
    return [
        NewIloqKeyContract(
            access_right_ids=[access_right_of(sim)],
            key_automat_id=automat_of(sim),
            number_of_keys=1,
            start=START + i * DAY,
            end=START + (i + 1) * DAY,
            contact=Contact(f"Guest {i}", send_sms=False, send_email=False),
        )
        for i in range(count)
    ]


def on_server(sim: V2Simulator) -> Counter[str]:
    """How many iLOQ contracts the simulator holds per guest."""
    return Counter(
        str(c.contact["name"]) for c in sim.state.iloq_contracts.values() if c.contact is not None
    )


async def test_mechanical_contracts_exist_exactly_once_under_dropped_answers() -> None:
    async with V2Simulator(
        V2SimConfig(keys_per_automat=20, faults=Faults(drop_after_commit_rate=0.3, fail_rate=0.1))
    ) as sim:
        keys = sorted(sim.state.mechanical_keys)
        specs = [
            NewMechanicalKeyContract(
                id=f"booking-{i}",
                start=START,
                end=START + DAY,
                contact=Contact(f"Guest {i}"),
                keys=[NewContractKey(key)],
            )
            for i, key in enumerate(keys)
        ]
        async with client_of(sim) as client:
            report = await client.bulk.create_mechanical_contracts(specs, concurrency=8)
        assert report.ok, [str(item.error) for item in report.failed]
        assert report.reconciled > 0  # some answers were lost and settled by looking them up
        assert sorted(sim.state.mechanical_contracts) == sorted(s.id or "" for s in specs)
        for item in report.succeeded:
            assert item.result is not None
            assert item.result.id == item.spec.id
            assert item.result.pincodes  # the real contract, read back


async def test_mechanical_bulk_needs_ids_and_refuses_a_repeated_one() -> None:
    async with V2Simulator() as sim, client_of(sim) as client:
        key = sorted(sim.state.mechanical_keys)[0]
        base = NewMechanicalKeyContract(
            start=START, contact=Contact("x"), keys=[NewContractKey(key)]
        )
        specs = [base, _with_id(base, "a"), _with_id(base, "a")]
        report = await client.bulk.create_mechanical_contracts(specs)
    errors = {item.index: item.error for item in report.failed}
    assert isinstance(errors[0], ValidationError)
    assert "id is required" in str(errors[0])
    assert isinstance(errors[2], ValidationError)
    assert [item.index for item in report.succeeded] == [1]


def _with_id(spec: NewMechanicalKeyContract, contract_id: str) -> NewMechanicalKeyContract:
    return attrs.evolve(spec, id=contract_id)


async def test_iloq_lost_answers_are_settled_and_nothing_is_sent_twice() -> None:
    async with V2Simulator(config(Faults(drop_after_commit_rate=0.4))) as sim:
        specs = iloq_specs(sim, 12)
        posts = Posts()
        async with client_of(sim, posts) as client:
            report = await client.bulk.create_iloq_contracts(specs, concurrency=4)
        assert report.ok, [str(item.error) for item in report.failed]
        assert report.reconciled > 0
        assert sim.stats.dropped == report.reconciled
        assert posts.sent["iloq/keycontracts"] == len(specs)  # one create per item, ever
        assert on_server(sim) == Counter(f"Guest {i}" for i in range(12))
        for item in report.succeeded:
            assert item.result is not None
            contract = sim.state.iloq_contracts[item.result.id]
            assert contract.contact is not None
            assert item.spec.contact is not None
            assert contract.contact["name"] == item.spec.contact.name
            assert item.result.pincodes  # a reconciled result is the contract as listed


async def test_iloq_unknown_outcomes_fail_and_a_rerun_with_the_journal_completes(
    tmp_path: Path,
) -> None:
    journal = tmp_path / "iloq.jsonl"
    async with V2Simulator(config(Faults(drop_rate=0.4))) as sim:
        specs = iloq_specs(sim, 10)
        posts = Posts()
        async with client_of(sim, posts) as client:
            first = await client.bulk.create_iloq_contracts(specs, journal=journal)
        assert first.failed  # dropped before the server did anything: unknown to the client
        assert all(isinstance(item.error, AmbiguousOutcomeError) for item in first.failed)
        assert posts.sent["iloq/keycontracts"] == len(specs)
        assert sum(on_server(sim).values()) == len(first.succeeded)
        lines = [json.loads(line) for line in journal.read_text().splitlines()]
        assert sum(1 for line in lines if line.get("unknown")) == len(first.failed)

        sim.faults.drop_rate = 0.0
        async with client_of(sim) as client:
            second = await client.bulk.create_iloq_contracts(specs, journal=journal)
        assert second.ok
        assert sum(1 for item in second.succeeded if item.skipped) == len(first.succeeded)
        assert on_server(sim) == Counter(f"Guest {i}" for i in range(10))


async def test_a_rerun_finds_the_contract_an_earlier_unknown_create_made(tmp_path: Path) -> None:
    journal = tmp_path / "iloq.jsonl"
    async with V2Simulator(config()) as sim:
        (spec,) = iloq_specs(sim, 1)
        async with client_of(sim) as client:
            landed = await client.iloq.contracts.create(spec)  # the earlier run's lost create
            journal.write_text(
                json.dumps(
                    {
                        "key": iloq_fingerprint(spec),
                        "outcome": "failed",
                        "error": "AmbiguousOutcomeError",
                        "unknown": True,
                    }
                )
                + "\n"
            )
            posts = Posts()
            async with client_of(sim, posts) as rerun:
                report = await rerun.bulk.create_iloq_contracts([spec], journal=journal)
        assert report.ok
        (item,) = report.succeeded
        assert item.reconciled
        assert isinstance(item.result, IloqKeyContract)
        assert item.result.id == landed.id
        assert posts.sent["iloq/keycontracts"] == 0
        assert len(sim.state.iloq_contracts) == 1


async def test_a_contract_there_before_the_job_is_never_claimed() -> None:
    async with V2Simulator(config()) as sim:
        (spec,) = iloq_specs(sim, 1)
        async with client_of(sim) as client:
            before = await client.iloq.contracts.create(spec)  # identical, made by someone else
            sim.faults.drop_after_commit_rate = 1.0
            report = await client.bulk.create_iloq_contracts([spec])
        (item,) = report.succeeded
        assert item.reconciled
        assert item.result is not None
        assert item.result.id != before.id
        assert len(sim.state.iloq_contracts) == 2


async def test_identical_iloq_specs_in_one_batch_are_refused_before_sending() -> None:
    async with V2Simulator(config()) as sim:
        spec = iloq_specs(sim, 1)[0]
        posts = Posts()
        async with client_of(sim, posts) as client:
            report = await client.bulk.create_iloq_contracts([spec, spec])
        assert [item.index for item in report.succeeded] == [0]
        (refused,) = report.failed
        assert isinstance(refused.error, ValidationError)
        assert "identical" in str(refused.error)
        assert posts.sent["iloq/keycontracts"] == 1


@pytest.mark.parametrize("kind", ["iloq", "mechanical"])
async def test_bulk_cancelling(kind: str) -> None:
    async with V2Simulator(config()) as sim, client_of(sim) as client:
        if kind == "iloq":
            specs = iloq_specs(sim, 3)
            specs[0] = _starting_now(specs[0])
            made = [await client.iloq.contracts.create(s) for s in specs]
            automat = made[0].key_automat_id or ""
            assert sim.fetch_key(automat, made[0].pincodes[0]) is not None
            report = await client.bulk.delete_iloq_contracts([c.id for c in made] + ["gone"])
            remaining = set(sim.state.iloq_contracts)
        else:
            key = sorted(sim.state.mechanical_keys)[0]
            made_m = await client.mechanical.contracts.create(
                NewMechanicalKeyContract(
                    id="m-1",
                    start=START - 2 * DAY,
                    end=START,
                    contact=Contact("x"),
                    keys=[NewContractKey(key)],
                )
            )
            sim.fetch_key(made_m.keys[0].storage_info.automat_id or "", made_m.pincodes[0])  # type: ignore[union-attr]
            report = await client.bulk.delete_mechanical_contracts(["m-1", "gone"])
            remaining = set(sim.state.mechanical_contracts)
    (in_use,) = report.failed
    assert isinstance(in_use.error, ContractInUseError)
    assert remaining == {in_use.spec}
    assert "gone" in [item.spec for item in report.succeeded]  # already gone counts as done


def _starting_now(spec: NewIloqKeyContract) -> NewIloqKeyContract:
    now = datetime.now(UTC).replace(microsecond=0)
    return attrs.evolve(spec, start=now - DAY, end=now + DAY)
