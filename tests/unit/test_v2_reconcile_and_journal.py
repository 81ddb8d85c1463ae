"""The generic pieces API v2's exactly-once rests on: ``ExactlyOnce(resend=False)`` for creates
that carry no caller reference, the journal's memory of unknown outcomes, and the matching of an
iLOQ contract against a spec (all the API allows, with no reference of the caller's)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import attrs
import pytest

from livionkey_async import AmbiguousOutcomeError, ConflictError, Outcome, ServerError
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
from livionkey_async.v2._reconcile import AlikeSpecs, iloq_contract_matches, iloq_fingerprint

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


@pytest.mark.parametrize("resend", [False, True])
async def test_a_look_up_that_fails_after_an_unknown_outcome_leaves_it_unknown(
    resend: bool,
) -> None:
    server = NoReferenceServer(["lost"])

    async def broken_lookup(_: str) -> str | None:
        raise ServerError("listing failed", status=503)

    create = ExactlyOnce(
        create=server.create,
        lookup=broken_lookup,
        matches=lambda found, spec: found == spec,
        result_of=lambda found: found,
        duplicate=None,
        name=lambda spec: spec,
        sleep=no_sleep,
        resend=resend,
    )
    with pytest.raises(AmbiguousOutcomeError, match="looking it up failed") as raised:
        await create("a")
    assert raised.value.__cause__ is None
    assert raised.value.__suppress_context__
    assert (raised.value.method, raised.value.path) == ("POST", "iloq/keycontracts")
    assert server.creates == 1  # never resent on a guess


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
    assert Journal(path).object_ids() == {"c-1"}


def _contract(**changes: object) -> IloqKeyContract:
    fields: dict[str, object] = {
        "id": "c-1",
        "contract_type": ContractType.DEFAULT,
        "start": START,
        "end": END,
        "access_right_ids": ("ar-2", "ar-1"),
        # As the server answers a contact: every field, its own send flags and language.
        "contact": Contact(
            "Alice", email="alice@example.com", send_sms=False, send_email=True, language="en"
        ),
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
    alice = Contact("Alice", email="alice@example.com", send_sms=False)
    for different in (
        {"end": END + timedelta(seconds=1)},
        {"access_right_ids": ("ar-1",)},
        {"contact": attrs.evolve(alice, name="Bob")},
        {"contact": attrs.evolve(alice, send_sms=True)},
        {"contact": attrs.evolve(alice, language="fi")},
        {"contact": None},
        {"key_automat_id": "a2"},
        {"contract_type": ContractType.FETCH},
        {"contract_type": 9},  # a type this version does not know
        {"number_of_keys": 2},
        {"group_id": "g1"},
    ):
        assert not iloq_contract_matches(_contract(**different), SPEC), different
    assert iloq_contract_matches(_contract(), attrs.evolve(SPEC, pincodes=["123456"]))
    assert not iloq_contract_matches(_contract(), attrs.evolve(SPEC, pincodes=["654321"]))


def test_a_field_left_out_is_compared_only_where_the_server_fills_it_in() -> None:
    # The server chose the automat of the group, the send flags, the language ("en" documented).
    by_group = attrs.evolve(SPEC, key_automat_id=None, group_id="g1", contact=Contact("Alice"))
    contract = _contract(group_id="g1", contact=Contact("Alice", send_sms=True, language="en"))
    assert iloq_contract_matches(contract, by_group)
    # None is equal only to None where the server answers what was sent.
    for asked_less in (
        attrs.evolve(SPEC, contact=None),  # no contact: a contract with one is not this one
        attrs.evolve(SPEC, contact=Contact("Alice", send_sms=False)),  # no email
        attrs.evolve(SPEC, key_automat_id=None, group_id=None, key_ids=["k1"]),  # no group...
    ):
        found = _contract(group_id="g9") if asked_less.key_ids else _contract()
        assert not iloq_contract_matches(found, asked_less), asked_less


VARIANTS = [
    SPEC,
    attrs.evolve(SPEC, contact=None),
    attrs.evolve(SPEC, contact=Contact("Alice", email="alice@example.com")),
    attrs.evolve(SPEC, contact=Contact("Alice", email="alice@example.com", send_sms=True)),
    attrs.evolve(SPEC, contact=Contact("Alice", email="alice@example.com", language="en")),
    attrs.evolve(SPEC, contact=Contact("Alice", email="alice@example.com", language="fi")),
    attrs.evolve(SPEC, key_automat_id=None, group_id="g1"),
    attrs.evolve(SPEC, number_of_keys=2),
    attrs.evolve(SPEC, pincodes=["123456"]),
]
CONTACTS = [None] + [
    Contact("Alice", email="alice@example.com", send_sms=sms, send_email=False, language=language)
    for sms in (False, True)
    for language in ("en", "fi")
]
CONTRACTS = [
    _contract(contact=contact, key_automat_id="a1", group_id=group, number_of_keys=keys)
    for contact in CONTACTS
    for group in (None, "g1")
    for keys in (1, 2)
]


@pytest.mark.parametrize("first", range(len(VARIANTS)))
def test_the_batch_check_refuses_two_specs_one_contract_could_match(first: int) -> None:
    a = VARIANTS[first]
    for second, b in enumerate(VARIANTS):
        batch = AlikeSpecs()
        assert batch.add(a)
        both = [c for c in CONTRACTS if iloq_contract_matches(c, a) and iloq_contract_matches(c, b)]
        if both:  # a contract both would claim: the batch must refuse the second
            assert not batch.add(b), (first, second)


def test_the_batch_check_lets_different_specs_through() -> None:
    batch = AlikeSpecs()
    assert batch.add(SPEC)
    assert batch.add(attrs.evolve(SPEC, contact=None))
    assert batch.add(attrs.evolve(SPEC, end=END + timedelta(days=1)))
    assert not batch.add(attrs.evolve(SPEC, contact=Contact("Alice", email="alice@example.com")))
    assert not batch.add(SPEC)


def test_the_fingerprint_is_stable_and_leaves_pincodes_out() -> None:
    assert iloq_fingerprint(SPEC) == iloq_fingerprint(attrs.evolve(SPEC))
    assert iloq_fingerprint(SPEC) == iloq_fingerprint(attrs.evolve(SPEC, pincodes=["123456"]))
    assert iloq_fingerprint(SPEC) != iloq_fingerprint(attrs.evolve(SPEC, end=END + timedelta(1)))
