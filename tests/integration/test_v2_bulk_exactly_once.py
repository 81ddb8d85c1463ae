"""API v2 bulk creation against the simulator when the network lies.

Mechanical contracts carry the caller's id: every one exists exactly once, whatever was dropped.
iLOQ contracts carry nothing of the caller's: a create is never sent twice (counted on the wire),
a lost answer is settled by the one new matching contract, an unknown one fails and a rerun with
the journal finds or makes it, and a contract that was there before the job is never claimed.
"""

from __future__ import annotations

import asyncio
import json
from collections import Counter
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path

import attrs
import pytest
from clock_support import SharedClock

from livionkey_async import AmbiguousOutcomeError, RequestEvent, TransportError, ValidationError
from livionkey_async.testing import Faults, V2SimConfig, V2Simulator
from livionkey_async.testing._v2._iloq_rules import IloqRules
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


@pytest.fixture
def clock() -> SharedClock:
    return SharedClock()


def client_of(
    sim: V2Simulator, clock: SharedClock, posts: Posts | None = None
) -> LivionKeyV2Client:
    """A client on the simulator's clock: its backoff and pacing move fake time on."""
    return LivionKeyV2Client(
        sim.service_account_id,
        sim.private_key_pem,
        base_url=sim.url,
        on_request=posts,
        max_attempts=8,
        sleep=clock.sleep,
        clock=clock.monotonic,
        wall_clock=clock.epoch,
    )


def config(clock: SharedClock, faults: Faults | None = None) -> V2SimConfig:
    return V2SimConfig(
        key20_automats=1,
        iloq_keys_per_automat=20,
        faults=faults or Faults(),
        seed=7,
        clock=clock.epoch,
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


async def test_mechanical_contracts_exist_exactly_once_under_dropped_answers(
    clock: SharedClock,
) -> None:
    async with V2Simulator(
        V2SimConfig(
            keys_per_automat=20,
            faults=Faults(drop_after_commit_rate=0.3, fail_rate=0.1),
            clock=clock.epoch,
        )
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
        async with client_of(sim, clock) as client:
            report = await client.bulk.create_mechanical_contracts(specs, concurrency=8)
        assert report.ok, [str(item.error) for item in report.failed]
        assert report.reconciled > 0  # some answers were lost and settled by looking them up
        assert sorted(sim.state.mechanical_contracts) == sorted(s.id or "" for s in specs)
        for item in report.succeeded:
            assert item.result is not None
            assert item.result.id == item.spec.id
            assert item.result.pincodes  # the real contract, read back


async def test_mechanical_bulk_needs_ids_and_refuses_a_repeated_one(clock: SharedClock) -> None:
    async with V2Simulator(V2SimConfig(clock=clock.epoch)) as sim, client_of(sim, clock) as client:
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


async def test_iloq_lost_answers_are_settled_and_nothing_is_sent_twice(clock: SharedClock) -> None:
    async with V2Simulator(config(clock, Faults(drop_after_commit_rate=0.4))) as sim:
        specs = iloq_specs(sim, 12)
        posts = Posts()
        async with client_of(sim, clock, posts) as client:
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
    tmp_path: Path, clock: SharedClock
) -> None:
    journal = tmp_path / "iloq.jsonl"
    async with V2Simulator(config(clock, Faults(drop_rate=0.4))) as sim:
        specs = iloq_specs(sim, 10)
        posts = Posts()
        async with client_of(sim, clock, posts) as client:
            first = await client.bulk.create_iloq_contracts(specs, journal=journal)
        assert first.failed  # dropped before the server did anything: unknown to the client
        assert all(isinstance(item.error, AmbiguousOutcomeError) for item in first.failed)
        assert posts.sent["iloq/keycontracts"] == len(specs)
        assert sum(on_server(sim).values()) == len(first.succeeded)
        lines = [json.loads(line) for line in journal.read_text().splitlines()]
        assert sum(1 for line in lines if line.get("unknown")) == len(first.failed)

        sim.faults.drop_rate = 0.0
        async with client_of(sim, clock) as client:
            second = await client.bulk.create_iloq_contracts(specs, journal=journal)
        assert second.ok
        assert sum(1 for item in second.succeeded if item.skipped) == len(first.succeeded)
        assert on_server(sim) == Counter(f"Guest {i}" for i in range(10))


async def test_a_rerun_finds_the_contract_an_earlier_unknown_create_made(
    tmp_path: Path, clock: SharedClock
) -> None:
    journal = tmp_path / "iloq.jsonl"
    async with V2Simulator(config(clock)) as sim:
        (spec,) = iloq_specs(sim, 1)
        async with client_of(sim, clock) as client:
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
            async with client_of(sim, clock, posts) as rerun:
                report = await rerun.bulk.create_iloq_contracts([spec], journal=journal)
        assert report.ok
        (item,) = report.succeeded
        assert item.reconciled
        assert isinstance(item.result, IloqKeyContract)
        assert item.result.id == landed.id
        assert posts.sent["iloq/keycontracts"] == 0
        assert len(sim.state.iloq_contracts) == 1


async def test_a_contract_there_before_the_job_is_never_claimed(clock: SharedClock) -> None:
    async with V2Simulator(config(clock)) as sim:
        (spec,) = iloq_specs(sim, 1)
        async with client_of(sim, clock) as client:
            before = await client.iloq.contracts.create(spec)  # identical, made by someone else
            sim.faults.drop_after_commit_rate = 1.0
            report = await client.bulk.create_iloq_contracts([spec])
        (item,) = report.succeeded
        assert item.reconciled
        assert item.result is not None
        assert item.result.id != before.id
        assert len(sim.state.iloq_contracts) == 2


async def test_identical_iloq_specs_in_one_batch_are_refused_before_sending(
    clock: SharedClock,
) -> None:
    async with V2Simulator(config(clock)) as sim:
        spec = iloq_specs(sim, 1)[0]
        posts = Posts()
        async with client_of(sim, clock, posts) as client:
            report = await client.bulk.create_iloq_contracts([spec, spec])
        assert [item.index for item in report.succeeded] == [0]
        (refused,) = report.failed
        assert isinstance(refused.error, ValidationError)
        assert "identical" in str(refused.error)
        assert posts.sent["iloq/keycontracts"] == 1


@pytest.mark.parametrize("kind", ["iloq", "mechanical"])
async def test_bulk_cancelling(kind: str, clock: SharedClock) -> None:
    async with V2Simulator(config(clock)) as sim, client_of(sim, clock) as client:
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


# -- regressions of the API v2 review (issue 12) ---------------------------------------------------


def _booking(sim: V2Simulator, contact: Contact | None) -> NewIloqKeyContract:
    return NewIloqKeyContract(
        access_right_ids=[access_right_of(sim)],
        key_automat_id=automat_of(sim),
        number_of_keys=1,
        start=START,
        end=START + DAY,
        contact=contact,
    )


async def test_a_failed_look_up_after_a_lost_answer_leaves_it_unknown(
    tmp_path: Path, clock: SharedClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    journal = tmp_path / "j.jsonl"
    async with V2Simulator(config(clock)) as sim, client_of(sim, clock) as client:
        spec = _booking(sim, Contact("Ann"))
        real = client.iloq.contracts.find_matching

        async def network_still_down(_: NewIloqKeyContract) -> list[IloqKeyContract]:
            raise TransportError("GET iloq/keycontracts: ServerDisconnectedError")

        monkeypatch.setattr(client.iloq.contracts, "find_matching", network_still_down)
        sim.faults.drop_after_commit_rate = 1.0
        first = await client.bulk.create_iloq_contracts([spec], journal=journal)
        (failed,) = first.failed
        assert isinstance(failed.error, AmbiguousOutcomeError)
        assert "looking it up failed" in str(failed.error)
        assert failed.error.__cause__ is None
        assert json.loads(journal.read_text().splitlines()[-1])["unknown"] is True

        sim.faults.drop_after_commit_rate = 0.0
        monkeypatch.setattr(client.iloq.contracts, "find_matching", real)
        second = await client.bulk.create_iloq_contracts([spec], journal=journal)
    assert second.ok
    assert second.reconciled == 1  # the rerun found the first run's contract
    assert len(sim.state.iloq_contracts) == 1


async def test_an_item_never_claims_the_contract_another_item_of_the_job_made(
    clock: SharedClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    async with V2Simulator(config(clock)) as sim, client_of(sim, clock) as client:
        anonymous = _booking(sim, None)  # asks for less than bob's: no contact
        bob = _booking(sim, Contact("Bob"))
        real = client.iloq.contracts.create
        bob_made = asyncio.Event()

        async def create(spec: NewIloqKeyContract) -> IloqKeyContract:
            if spec.contact is None:  # dropped before the server saw it, once bob's landed
                await bob_made.wait()
                raise AmbiguousOutcomeError("dropped", method="POST", path="iloq/keycontracts")
            made = await real(spec)
            bob_made.set()
            return made

        monkeypatch.setattr(client.iloq.contracts, "create", create)
        report = await client.bulk.create_iloq_contracts([anonymous, bob], concurrency=2)
    ids = [item.result.id for item in report.succeeded if item.result is not None]
    assert len(ids) == len(set(ids)) == 1, ids
    (unknown,) = report.failed
    assert unknown.spec is anonymous
    assert isinstance(unknown.error, AmbiguousOutcomeError)
    assert len(sim.state.iloq_contracts) == 1


async def test_a_rerun_never_claims_a_contract_the_journal_gives_to_another_item(
    tmp_path: Path, clock: SharedClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    journal = tmp_path / "j.jsonl"
    async with V2Simulator(config(clock)) as sim, client_of(sim, clock) as client:
        ann = _booking(sim, Contact("Ann"))  # the server answers its sendSms as false
        quiet = _booking(sim, Contact("Ann", send_sms=False))  # a contract of ann's fits it too
        real = client.iloq.contracts.create
        ann_made = asyncio.Event()

        async def create(spec: NewIloqKeyContract) -> IloqKeyContract:
            if spec is quiet:  # lost before the server saw it, once ann's landed
                await ann_made.wait()
                raise AmbiguousOutcomeError("dropped", method="POST", path="iloq/keycontracts")
            made = await real(spec)
            ann_made.set()
            return made

        monkeypatch.setattr(client.iloq.contracts, "create", create)
        # check_batch=False: the two are alike enough for the batch check to refuse them.
        first = await client.bulk.create_iloq_contracts(
            [ann, quiet], journal=journal, check_batch=False
        )
        assert [item.spec for item in first.failed] == [quiet]
        monkeypatch.setattr(client.iloq.contracts, "create", real)
        second = await client.bulk.create_iloq_contracts(
            [ann, quiet], journal=journal, check_batch=False
        )
    assert second.ok
    # ann's contract is in the journal: the rerun settles quiet's unknown create without it.
    ids = [item.result.id for item in second.succeeded if item.result is not None]
    assert len(ids) == len(set(ids)) == 2, ids
    assert set(ids) == set(sim.state.iloq_contracts)


async def test_a_create_whose_answer_cannot_be_read_is_never_made_twice(
    tmp_path: Path, clock: SharedClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    journal = tmp_path / "j.jsonl"
    real = IloqRules.create

    def unreadable(rules: IloqRules, body: object) -> dict[str, object]:
        # The contract is made; its answer holds what this version cannot read.
        return {**real(rules, body), "keys": "not a list"}

    async with V2Simulator(config(clock)) as sim, client_of(sim, clock) as client:
        spec = _booking(sim, Contact("Ann"))
        monkeypatch.setattr(IloqRules, "create", unreadable)
        with pytest.raises(AmbiguousOutcomeError, match="created, answer unreadable"):
            await client.iloq.contracts.create(spec)
        sim.state.iloq_contracts.clear()
        first = await client.bulk.create_iloq_contracts([spec], journal=journal)
        monkeypatch.setattr(IloqRules, "create", real)
        second = await client.bulk.create_iloq_contracts([spec], journal=journal)
    # The job settled it by looking it up: made once, and the rerun skips it.
    assert first.ok
    assert first.reconciled == 1
    (skipped,) = second.succeeded
    assert skipped.skipped
    assert len(sim.state.iloq_contracts) == 1


class _CountedJournal:
    """A journal backend in memory that counts its reads."""

    def __init__(self) -> None:
        self.lines: list[str] = []
        self.loads = 0

    async def load(self, header: str) -> list[str]:
        self.loads += 1
        self.lines = self.lines or [header]
        return list(self.lines)

    async def append(self, lines: Sequence[str], *, header: str) -> None:
        self.lines = [*(self.lines or [header]), *lines]


async def test_an_iloq_job_reads_its_journal_once(clock: SharedClock) -> None:
    journal = _CountedJournal()
    async with V2Simulator(config(clock)) as sim, client_of(sim, clock) as client:
        first = await client.bulk.create_iloq_contracts(
            [_booking(sim, Contact("Ann"))], journal=journal
        )
        assert journal.loads == 1  # the claims' snapshot reads no second copy
        again = await client.bulk.create_iloq_contracts(
            [_booking(sim, Contact("Ann"))], journal=journal
        )
    assert first.ok
    assert again.ok
    assert journal.loads == 2
    assert [item.skipped for item in again.succeeded] == [True]
