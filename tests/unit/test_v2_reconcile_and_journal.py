"""The generic pieces API v2's exactly-once rests on: ``ExactlyOnce(resend=False)`` for creates
that carry no caller reference, the journal's memory of unknown outcomes, and the matching of an
iLOQ contract against a spec (all the API allows, with no reference of the caller's)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import attrs
import pytest

from livionkey_async import AmbiguousOutcomeError, ConflictError, Outcome
from livionkey_async._exactly_once import ExactlyOnce
from livionkey_async._fanout import Settled
from livionkey_async._journal import Journal
from livionkey_async.v2 import (
    Contact,
    ContractType,
    IloqContractKey,
    IloqKeyContract,
    IloqKeyStorage,
    NewIloqKeyContract,
)
from livionkey_async.v2._reconcile import iloq_contract_matches, iloq_fingerprint

START = datetime(2026, 12, 1, 15, tzinfo=UTC)
END = START + timedelta(days=2)


class NoReferenceServer:
    """Creates land or not; the caller has no reference to look them up by, only a guess."""

    def __init__(self, script: list[str]) -> None:
        self.script = script
        self.landed: list[str] = []
        self.creates = 0

    async def create(self, spec: str) -> str:
        self.creates += 1
        step = self.script.pop(0)
        if step in ("ok", "lost"):
            self.landed.append(spec)
        if step in ("lost", "never"):
            raise AmbiguousOutcomeError("dropped", method="POST", path="iloq/keycontracts")
        if step == "refused":
            raise ConflictError("no keys", status=409)
        return spec

    async def lookup(self, spec: str) -> str | None:
        return spec if spec in self.landed else None


async def no_sleep(_: float) -> None:
    return None


def creator(server: NoReferenceServer) -> ExactlyOnce[str, str, str]:
    return ExactlyOnce(
        create=server.create,
        lookup=server.lookup,
        matches=lambda found, spec: found == spec,
        result_of=lambda found: found,
        duplicate=None,
        name=lambda spec: spec,
        sleep=no_sleep,
        resend=False,
    )


async def test_without_resend_a_lost_answer_is_settled_by_the_lookup() -> None:
    server = NoReferenceServer(["lost"])
    settled = await creator(server)("a")
    assert isinstance(settled, Settled)
    assert settled.outcome is Outcome.SUCCEEDED
    assert server.creates == 1


async def test_without_resend_an_unknown_create_not_found_is_never_sent_again() -> None:
    server = NoReferenceServer(["never", "ok"])
    with pytest.raises(AmbiguousOutcomeError, match="not sent again"):
        await creator(server)("a")
    assert server.creates == 1
    assert server.landed == []


async def test_without_a_reference_a_first_refusal_is_a_plain_failure() -> None:
    server = NoReferenceServer(["refused"])
    with pytest.raises(ConflictError):
        await creator(server)("a")


def test_the_journal_remembers_unknown_outcomes_until_they_succeed(tmp_path: Path) -> None:
    path = tmp_path / "j.jsonl"
    with Journal(path) as journal:
        journal.record("a", "failed", {}, error="AmbiguousOutcomeError", unknown=True)
        journal.record("b", "failed", {}, error="ValidationError")
        assert journal.unsettled("a")
    again = Journal(path)
    assert again.unsettled("a")
    assert not again.unsettled("b")
    again.record("a", "succeeded", {}, object_id="c-1")
    again.close()
    assert not Journal(path).unsettled("a")
    assert Journal(path).succeeded("a") is not None


def _contract(**changes: object) -> IloqKeyContract:
    fields: dict[str, object] = {
        "id": "c-1",
        "contract_type": ContractType.DEFAULT,
        "start": START,
        "end": END,
        "access_right_ids": ("ar-2", "ar-1"),
        "contact": Contact("Alice", email="alice@example.com"),
        "keys": (IloqContractKey("k1", storage_info=IloqKeyStorage("a1", "123456")),),
        "number_of_keys": 1,
        "key_automat_id": "a1",
    }
    fields.update(changes)
    return IloqKeyContract(**fields)  # type: ignore[arg-type]


SPEC = NewIloqKeyContract(
    access_right_ids=["ar-1", "ar-2"],
    key_automat_id="a1",
    number_of_keys=1,
    start=START,
    end=END,
    contact=Contact("Alice", email="alice@example.com", send_sms=False),
)


def test_an_iloq_contract_matches_what_the_spec_asked() -> None:
    assert iloq_contract_matches(_contract(), SPEC)
    assert iloq_contract_matches(_contract(start=START + timedelta(microseconds=400)), SPEC)
    for different in (
        {"end": END + timedelta(seconds=1)},
        {"access_right_ids": ("ar-1",)},
        {"contact": Contact("Bob", email="alice@example.com")},
        {"key_automat_id": "a2"},
        {"contract_type": ContractType.FETCH},
        {"number_of_keys": 2},
    ):
        assert not iloq_contract_matches(_contract(**different), SPEC), different
    assert iloq_contract_matches(_contract(), attrs.evolve(SPEC, pincodes=["123456"]))
    assert not iloq_contract_matches(_contract(), attrs.evolve(SPEC, pincodes=["654321"]))


def test_the_fingerprint_is_stable_and_leaves_pincodes_out() -> None:
    assert iloq_fingerprint(SPEC) == iloq_fingerprint(attrs.evolve(SPEC))
    assert iloq_fingerprint(SPEC) == iloq_fingerprint(attrs.evolve(SPEC, pincodes=["123456"]))
    assert iloq_fingerprint(SPEC) != iloq_fingerprint(attrs.evolve(SPEC, end=END + timedelta(1)))
