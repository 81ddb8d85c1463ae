"""Contracts: creation under every rule, lookup, listing per device, update, pincode, delete."""

from __future__ import annotations

import re

import pytest
from sim_support import FakeClock, connect, contract_body, future

from livionkey_async.testing import SimConfig, Simulator

ISO_MS = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z")


async def test_create_get_and_list_on_device(livionkey_sim: Simulator) -> None:
    body = contract_body("booking-543553", freeText="hello", type="default")
    async with connect(livionkey_sim) as api:
        made = await api.post("/contracts", body)
        created = made.obj()
        got = (await api.get(f"/contracts/{created['id']}")).obj()
        on_device = (await api.get("/devices/00001/contracts")).items()
        permanent_for_now = await api.post(
            "/contracts", contract_body("perm-false", key_id="A0002", perm=False)
        )
        got_perm_false = (await api.get(f"/contracts/{permanent_for_now.obj()['id']}")).obj()
        on_other = (await api.get("/devices/00002/contracts")).items()
    assert made.status == 200
    assert set(created) == {"id", "pincode"}
    assert isinstance(created["pincode"], str)
    assert re.fullmatch(r"\d{6}", created["pincode"])
    assert isinstance(created["id"], str)
    assert re.fullmatch(r"[0-9a-f]{24}", created["id"])
    assert "id" not in got  # as Livion's GET /contracts/:id example: the id is the path's
    assert got["contractId"] == "booking-543553"
    assert got["pincode"] == created["pincode"]
    assert got["devices"] == [{"id": "00001", "keyId": "A0001", "product": "key30"}]
    assert got["keyId"] == "A0001"
    assert isinstance(got["start"], str)
    assert ISO_MS.fullmatch(got["start"])
    assert isinstance(got["end"], str)
    assert ISO_MS.fullmatch(got["end"])
    assert got["perm"] is None  # not given: null, as in Livion's GET /devices/:id/contracts
    assert got["recurrent"] == []
    assert "type" not in got  # no answer of Livion's shows it
    assert got["freeText"] == "hello"
    assert got["person"] == "John Doe"
    assert got["contacts"] == [
        {
            "email": "john@example.com",
            "phoneNumber": None,
            "sendSms": False,
            "sendEmail": False,
            "language": "en-gb",
        }
    ]
    assert got["tag"] == [livionkey_sim.state.devices["00001"].tag]
    assert on_device[0] == {"id": created["id"], **got}
    assert got_perm_false["perm"] is False
    assert got_perm_false["freeText"] is None
    assert on_other == []
    assert livionkey_sim.stats.contracts == 2


async def test_multi_device_contract_has_a_list_tag(livionkey_sim: Simulator) -> None:
    body = contract_body("multi")
    body["devices"] = [{"id": "00001", "keyId": "A0002"}, {"id": "00004", "keyId": "A0001"}]
    async with connect(livionkey_sim) as api:
        made = (await api.post("/contracts", body)).obj()
        got = (await api.get(f"/contracts/{made['id']}")).obj()
        on_keyx = (await api.get("/devices/00004/contracts")).items()
    assert isinstance(got["tag"], list)
    assert len(got["tag"]) >= 1
    devices = got["devices"]
    assert isinstance(devices, list)
    assert [d["product"] for d in devices] == ["key30", "keyX"]
    assert [c["id"] for c in on_keyx] == [made["id"]]


async def test_contract_id_must_be_unique(livionkey_sim: Simulator) -> None:
    async with connect(livionkey_sim) as api:
        first = await api.post("/contracts", contract_body("dup", key_id="A0001"))
        second = await api.post(
            "/contracts", contract_body("dup", key_id="A0002", start_days=9, end_days=10)
        )
    assert first.status == 200
    assert (second.status, second.text) == (400, "ContractId already in use")
    assert livionkey_sim.stats.duplicate_contract_ids_refused == 1
    assert [c.contract_id for c in livionkey_sim.contracts()] == ["dup"]


async def test_duplicate_contract_id_wins_over_overlap(livionkey_sim: Simulator) -> None:
    """A retried create must learn its contract exists, not that it overlaps itself."""
    body = contract_body("retry-me")
    async with connect(livionkey_sim) as api:
        assert (await api.post("/contracts", body)).status == 200
        again = await api.post("/contracts", body)
    assert again.text == "ContractId already in use"


async def test_private_keys_refuse_overlap_shared_keys_allow_it(livionkey_sim: Simulator) -> None:
    async with connect(livionkey_sim) as api:
        first = await api.post("/contracts", contract_body("p1", start_days=1, end_days=3))
        inside = await api.post("/contracts", contract_body("p2", start_days=2, end_days=4))
        after = await api.post("/contracts", contract_body("p3", start_days=3, end_days=5))
        await api.post("/keys/A0002", {"deviceId": "00001", "shared": True})
        shared_a = await api.post("/contracts", contract_body("s1", key_id="A0002"))
        shared_b = await api.post("/contracts", contract_body("s2", key_id="A0002"))
        open_end = await api.post("/contracts", contract_body("o1", key_id="A0003", end_days=None))
        later = await api.post(
            "/contracts", contract_body("o2", key_id="A0003", start_days=100, end_days=101)
        )
    assert first.status == 200
    assert (inside.status, inside.text) == (400, "Overlapping contract existing")
    assert after.status == 200  # touching end to start is no overlap
    assert shared_a.status == shared_b.status == 200
    assert open_end.status == 200
    assert (later.status, later.text) == (400, "Overlapping contract existing")


async def test_time_window_rules() -> None:
    clock = FakeClock()
    async with Simulator(SimConfig(clock=clock, token_lifetime=1e7)) as sim, connect(sim) as api:
        now = clock()
        backwards = await api.post(
            "/contracts", contract_body("t1", start_days=2, end_days=1, base=now)
        )
        equal = await api.post(
            "/contracts", contract_body("t2", start_days=2, end_days=2, base=now)
        )
        past = await api.post("/contracts", contract_body("t3", start_days=-1, base=now))
        soon = await api.post(
            "/contracts", contract_body("t4", start_days=1 / 86400, end_days=1, base=now)
        )
        clock.advance(3600)
        stale = await api.post(
            "/contracts", contract_body("t5", key_id="A0002", start_days=0.01, base=now)
        )
    assert (backwards.status, backwards.text) == (400, "Start time should be before End time")
    assert (equal.status, equal.text) == (400, "Start time should be before End time")
    assert (past.status, past.text) == (400, "Start time should be in the future")
    assert soon.status == 200
    assert (stale.status, stale.text) == (400, "Start time should be in the future")


async def test_pincodes_unique_among_live_contracts() -> None:
    clock = FakeClock()
    async with Simulator(SimConfig(clock=clock, token_lifetime=1e7)) as sim, connect(sim) as api:
        now = clock()
        first = await api.post(
            "/contracts", contract_body("pin1", pincode="123456", start_days=0.5, end_days=1)
        )
        clash = await api.post(
            "/contracts", contract_body("pin2", key_id="A0002", pincode="123456", base=now)
        )
        bad = await api.post("/contracts", contract_body("pin3", key_id="A0002", pincode="12ab"))
        short = await api.post("/contracts", contract_body("pin4", key_id="A0002", pincode="123"))
        clock.advance(2 * 86400)  # the first contract has ended: its pincode is free again
        reuse = await api.post(
            "/contracts",
            contract_body("pin5", key_id="A0002", pincode="123456", base=clock()),
        )
    assert first.obj()["pincode"] == "123456"
    assert (clash.status, clash.text) == (400, "Pincode already used in existing contracts")
    assert (bad.status, bad.text) == (400, "malformed pincode")
    assert (short.status, short.text) == (400, "malformed pincode")
    assert reuse.status == 200


async def test_generated_pincodes_are_distinct_six_digits() -> None:
    async with Simulator(SimConfig(devices=1, keys=30)) as sim, connect(sim) as api:
        pincodes = set()
        for n in range(30):
            made = await api.post("/contracts", contract_body(f"g{n}", key_id=f"A{n + 1:04d}"))
            pincode = made.obj()["pincode"]
            assert isinstance(pincode, str)
            assert re.fullmatch(r"\d{6}", pincode)
            pincodes.add(pincode)
    assert len(pincodes) == 30


async def test_perm_return_and_fetch_types(livionkey_sim: Simulator) -> None:
    async with connect(livionkey_sim) as api:
        perm = await api.post("/contracts", contract_body("perm", perm=True, end_days=5))
        perm_got = (await api.get(f"/contracts/{perm.obj()['id']}")).obj()
        no_end = await api.post(
            "/contracts", contract_body("ret", key_id="A0002", type="return", end_days=None)
        )
        returned = await api.post(
            "/contracts", contract_body("ret2", key_id="A0002", type="return")
        )
        fetch = await api.post(
            "/contracts", contract_body("fetch", key_id="A0003", type="fetch", end_days=None)
        )
        weird = await api.post("/contracts", contract_body("w", key_id="A0004", type="borrow"))
    assert perm_got["perm"] is True
    assert perm_got["end"] is None
    assert (no_end.status, no_end.text) == (400, "Missing end from parameters")
    assert returned.status == 200
    assert fetch.status == 200
    assert (weird.status, weird.text) == (400, "malformed type")


@pytest.mark.parametrize(
    ("missing", "message"),
    [
        ("contractId", "Missing contractId from parameters"),
        ("devices", "No devices"),
        ("start", "Missing start from parameters"),
        ("person", "Missing person from parameters"),
        ("contacts", "Missing contacts from parameters"),
    ],
)
async def test_missing_required_fields(
    livionkey_sim: Simulator, missing: str, message: str
) -> None:
    body = contract_body("m")
    del body[missing]
    async with connect(livionkey_sim) as api:
        reply = await api.post("/contracts", body)
    assert (reply.status, reply.text, reply.content_type) == (400, message, "text/plain")


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"devices": []}, "No devices"),
        ({"devices": [{"keyId": "A0001"}]}, "Missing deviceId from parameters"),
        ({"devices": [{"id": "00001"}]}, "Missing keyId from parameters"),
        ({"devices": [{"id": "00404", "keyId": "A0001"}]}, "Device not found"),
        ({"devices": [{"id": "00005", "keyId": "A0001"}]}, "Device not found"),
        ({"devices": [{"id": "00006", "keyId": "A0001"}]}, "Device not found"),
        ({"devices": [{"id": "00001", "keyId": "ZZZ"}]}, "KeyId not found"),
        ({"contacts": [{"email": "a@b", "language": "fr-fr"}]}, None),
        ({"start": "tomorrow"}, "start is not a valid date"),
        ({"end": "never"}, "end is not a valid date"),
        ({"contacts": "john"}, "malformed contacts"),
        ({"devices": "00001"}, "malformed devices"),
    ],
)
async def test_contract_validation_messages(
    livionkey_sim: Simulator, change: dict[str, object], message: str | None
) -> None:
    async with connect(livionkey_sim) as api:
        reply = await api.post("/contracts", {**contract_body("v"), **change})
    expected = message or "language must be one of fi-fi, en-gb, swe-swe, no-no, da-da"
    assert (reply.status, reply.text) == (400, expected)
    assert livionkey_sim.contracts() == []


@pytest.mark.parametrize("language", ["fi-fi", "en-gb", "swe-swe", "no-no", "da-da"])
async def test_every_documented_language_is_accepted(
    livionkey_sim: Simulator, language: str
) -> None:
    body = contract_body("lang", contacts=[{"phoneNumber": "+358", "language": language}])
    async with connect(livionkey_sim) as api:
        assert (await api.post("/contracts", body)).status == 200


@pytest.mark.parametrize("body", [None, {}, [], "text"])
async def test_body_is_required(livionkey_sim: Simulator, body: object) -> None:
    async with connect(livionkey_sim) as api:
        reply = await api.post("/contracts", body)
    assert (reply.status, reply.text) == (400, "Missing contract parameters")


async def test_invalid_json_is_missing_contract_parameters(livionkey_sim: Simulator) -> None:
    async with connect(livionkey_sim) as api:
        reply = await api.call(
            "POST", "/contracts", data="{oops", headers={"Content-Type": "application/json"}
        )
    assert (reply.status, reply.text) == (400, "Missing contract parameters")


async def test_contract_not_found(livionkey_sim: Simulator) -> None:
    async with connect(livionkey_sim) as api:
        replies = [
            await api.get("/contracts/000000000000000000000000"),
            await api.post("/contracts/000000000000000000000000", {"devices": []}),
            await api.post("/contracts/nope/pincode", {"devices": []}),
            await api.delete("/contracts/nope"),
        ]
    assert [(r.status, r.text) for r in replies] == [(400, "Contract not found")] * 3 + [
        (400, "Delete contract failed")  # the only failure DELETE documents
    ]


async def test_update_contract(livionkey_sim: Simulator) -> None:
    async with connect(livionkey_sim) as api:
        made = (await api.post("/contracts", contract_body("u1"))).obj()
        other = (await api.post("/contracts", contract_body("u2", key_id="A0002"))).obj()
        path = f"/contracts/{made['id']}"
        devices = [{"id": "00001", "keyId": "A0001"}]
        updated = await api.post(
            path,
            {"devices": devices, "person": "Jane", "end": future(3), "pincode": "7777"},
        )
        no_devices = await api.post(path, {"person": "x"})
        no_body = await api.post(path)
        backwards = await api.post(path, {"devices": devices, "end": future(0.5)})
        clash = await api.post(path, {"devices": devices, "pincode": other["pincode"]})
        onto_other = await api.post(path, {"devices": [{"id": "00001", "keyId": "A0002"}]})
        got = (await api.get(path)).obj()
    assert (updated.status, updated.text, updated.content_type) == (
        200,
        "Contract updated",
        "text/plain",
    )
    assert got["person"] == "Jane"
    assert got["pincode"] == "7777"
    assert got["contractId"] == "u1"
    assert (no_devices.status, no_devices.text) == (400, "No devices")
    assert (no_body.status, no_body.text) == (400, "Missing contract parameters")
    assert (backwards.status, backwards.text) == (400, "Start time should be before End time")
    assert (clash.status, clash.text) == (400, "Pincode already used in existing contracts")
    assert (onto_other.status, onto_other.text) == (400, "Overlapping contract existing")


async def test_regenerate_pincode(livionkey_sim: Simulator) -> None:
    async with connect(livionkey_sim) as api:
        made = (await api.post("/contracts", contract_body("r1", pincode="111111"))).obj()
        path = f"/contracts/{made['id']}/pincode"
        fresh = await api.post(path, {"devices": [{"id": "00001", "keyId": "A0001"}]})
        missing = await api.post(path, {"x": 1})
        got = (await api.get(f"/contracts/{made['id']}")).obj()
    pincode = fresh.obj()["pincode"]
    assert isinstance(pincode, str)
    assert re.fullmatch(r"\d{6}", pincode)
    assert pincode != "111111"
    assert got["pincode"] == pincode
    assert (missing.status, missing.text) == (400, "No devices")


async def test_delete_contract_frees_its_key_and_contract_id(livionkey_sim: Simulator) -> None:
    async with connect(livionkey_sim) as api:
        made = (await api.post("/contracts", contract_body("d1"))).obj()
        deleted = await api.delete(f"/contracts/{made['id']}", cancellation="true")
        gone = await api.get(f"/contracts/{made['id']}")
        again = await api.post("/contracts", contract_body("d1"))
    assert (deleted.status, deleted.text) == (200, "Contract deleted successfully")
    assert (gone.status, gone.text) == (400, "Contract not found")
    assert again.status == 200
    assert list(livionkey_sim.contracts_by_contract_id()) == ["d1"]


async def test_update_and_pincode_regeneration_keep_the_indexes_right(
    livionkey_sim: Simulator,
) -> None:
    async with connect(livionkey_sim) as api:
        first = (await api.post("/contracts", contract_body("i1", pincode="4242"))).obj()
        second = (await api.post("/contracts", contract_body("i2", key_id="A0002"))).obj()
        moved = await api.post(
            f"/contracts/{first['id']}", {"devices": [{"id": "00001", "keyId": "A0003"}]}
        )
        old_key_free = await api.post("/contracts", contract_body("i3", key_id="A0001"))
        new_key_taken = await api.post("/contracts", contract_body("i4", key_id="A0003"))
        await api.post(f"/contracts/{first['id']}/pincode", {"devices": []})
        old_pin_free = await api.post(
            "/contracts", contract_body("i5", key_id="A0004", pincode="4242")
        )
        listed = (await api.get("/devices/00001/contracts")).items()
    assert moved.status == 200
    assert old_key_free.status == 200
    assert (new_key_taken.status, new_key_taken.text) == (400, "Overlapping contract existing")
    assert old_pin_free.status == 200
    assert [c["contractId"] for c in listed] == ["i1", "i2", "i3", "i5"]  # creation order
    assert second["id"] in {c["id"] for c in listed}
