"""Keys: creation and locker allocation, update, delete, lookup, status events, backup codes."""

from __future__ import annotations

import pytest
from sim_support import connect, contract_body

from livionkey_async.testing import SimConfig, Simulator


def _free_lockers(sim: Simulator, device_id: str) -> list[int]:
    taken = {k.locker_index for k in sim.state.devices[device_id].keys.values()}
    return [i for i in range(30) if i not in taken]


async def test_create_key_takes_first_free_locker_and_answers_int(
    livionkey_sim: Simulator,
) -> None:
    free = _free_lockers(livionkey_sim, "00001")
    async with connect(livionkey_sim) as api:
        made = await api.post("/keys", {"keyId": "K-1", "keyName": "Van", "deviceId": "00001"})
        listed = (await api.get("/devices/00001/keys")).items()
        status = (await api.get("/keys/K-1/status", deviceId="00001")).obj()
    assert (made.status, made.obj()) == (200, {"lockerIndex": free[0]})  # an int, as documented
    assert listed[-1]["keyId"] == "K-1"
    assert listed[-1]["lockerIndex"] == free[0]
    assert status["action"] == "key-added"
    assert status["source"] == "device"
    assert status["sourceId"] == "00001"
    data = status["data"]
    assert isinstance(data, dict)
    assert data["after"] == {"lockerIndex": free[0], "keyId": "K-1"}
    assert data["attachment"] == [None]  # as in Livion's example


async def test_create_key_in_chosen_locker_and_its_errors(livionkey_sim: Simulator) -> None:
    free = _free_lockers(livionkey_sim, "00001")
    taken = livionkey_sim.state.devices["00001"].keys["A0001"].locker_index
    base = {"keyName": "Van", "deviceId": "00001"}
    async with connect(livionkey_sim) as api:
        chosen = await api.post("/keys", {**base, "keyId": "K-2", "lockerIndex": str(free[-1])})
        occupied = await api.post("/keys", {**base, "keyId": "K-3", "lockerIndex": taken})
        too_big = await api.post("/keys", {**base, "keyId": "K-4", "lockerIndex": 30})
        malformed = await api.post("/keys", {**base, "keyId": "K-5", "lockerIndex": "two"})
        negative = await api.post("/keys", {**base, "keyId": "K-6", "lockerIndex": -3})
        duplicate = await api.post("/keys", {**base, "keyId": "A0001"})
        full = await api.post("/keys", {"keyId": "K-7", "keyName": "x", "deviceId": "00004"})
    assert chosen.obj() == {"lockerIndex": free[-1]}
    assert (occupied.status, occupied.text) == (400, "no free lockers")
    assert (too_big.status, too_big.text) == (400, "lockerIndex is too big")
    assert (malformed.status, malformed.text) == (400, "malformed locker index")
    assert (negative.status, negative.text) == (400, "malformed locker index")
    assert (duplicate.status, duplicate.text) == (400, "key already exists with that keyId")
    assert (full.status, full.text) == (400, "no free lockers")  # the keyX has one locker


async def test_thirty_keys_fill_a_key30() -> None:
    async with Simulator(SimConfig(devices=1, keys=0)) as sim, connect(sim) as api:
        for n in range(30):
            reply = await api.post("/keys", {"keyId": f"K{n}", "keyName": "k", "deviceId": "00001"})
            assert reply.obj() == {"lockerIndex": n}
        reply = await api.post("/keys", {"keyId": "K30", "keyName": "k", "deviceId": "00001"})
    assert (reply.status, reply.text) == (400, "no free lockers")


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (None, "body is required"),
        ({}, "body is required"),
        ({"keyName": "a", "deviceId": "00001"}, "keyId is required"),
        ({"keyId": "a", "deviceId": "00001"}, "keyName is required"),
        ({"keyId": "a", "keyName": "a"}, "deviceId is required"),
        ({"keyId": "a", "keyName": "a", "deviceId": "00404"}, "no such device"),
        ({"keyId": "a", "keyName": "a", "deviceId": "00005"}, "no such device"),
        ({"keyId": "a", "keyName": "a", "deviceId": "00006"}, "no such device"),
        ({"keyId": "a", "keyName": "a", "deviceId": "00001", "shared": "yes"}, "malformed shared"),
    ],
)
async def test_create_key_errors(livionkey_sim: Simulator, body: object, message: str) -> None:
    async with connect(livionkey_sim) as api:
        reply = await api.post("/keys", body)
    assert (reply.status, reply.text) == (400, message)


async def test_get_key_is_wrapped_in_an_array(livionkey_sim: Simulator) -> None:
    async with connect(livionkey_sim) as api:
        [by_device] = (await api.get("/keys/A0002", deviceId="00002")).items()
        [first_match] = (await api.get("/keys/A0002")).items()
        missing = await api.get("/keys/NOPE")
        missing_on_device = await api.get("/keys/NOPE", deviceId="00001")
    assert set(by_device) == {
        "keyId",
        "deviceId",
        "keyName",
        "keyCode",
        "lockerIndex",
        "shared",
        "backupCodes",
        "contracts",
    }
    assert by_device["deviceId"] == "00002"
    assert first_match["deviceId"] == "00001"
    assert isinstance(by_device["keyCode"], str)
    assert len(by_device["keyCode"]) == 6
    assert (missing.status, missing.text) == (400, "no such key")
    assert (missing_on_device.status, missing_on_device.text) == (400, "no such key")


async def test_get_key_lists_contracts_with_key_status_when_asked(
    livionkey_sim: Simulator,
) -> None:
    async with connect(livionkey_sim) as api:
        await api.post("/contracts", contract_body("booking-1"))
        [plain] = (await api.get("/keys/A0001", deviceId="00001")).items()
        livionkey_sim.fetch_key("00001", "A0001")
        [with_status] = (await api.get("/keys/A0001", deviceId="00001", keyStatus="true")).items()
    contracts = plain["contracts"]
    assert isinstance(contracts, list)
    assert len(contracts) == 1
    assert contracts[0]["contractId"] == "booking-1"
    assert "id" not in contracts[0]  # as in Livion's example
    assert "keyStatus" not in contracts[0]
    status_contracts = with_status["contracts"]
    assert isinstance(status_contracts, list)
    assert status_contracts[0]["keyStatus"]["action"] == "key-fetched"


async def test_update_key(livionkey_sim: Simulator) -> None:
    free = _free_lockers(livionkey_sim, "00001")
    taken = livionkey_sim.state.devices["00001"].keys["A0002"].locker_index
    async with connect(livionkey_sim) as api:
        moved = await api.post(
            "/keys/A0001",
            {"deviceId": "00001", "keyName": "Renamed", "lockerIndex": free[0], "shared": True},
        )
        [after] = (await api.get("/keys/A0001", deviceId="00001")).items()
        occupied = await api.post("/keys/A0001", {"deviceId": "00001", "lockerIndex": taken})
        no_device = await api.post("/keys/A0001", {"keyName": "x"})
        no_body = await api.post("/keys/A0001")
        unknown = await api.post("/keys/NOPE", {"deviceId": "00001"})
    assert (moved.status, moved.text) == (200, "Key updated")
    assert (after["keyName"], after["lockerIndex"], after["shared"]) == ("Renamed", free[0], True)
    assert (occupied.status, occupied.text) == (400, "no free lockers")
    assert (no_device.status, no_device.text) == (400, "deviceId is required")
    assert (no_body.status, no_body.text) == (400, "body is required")
    assert (unknown.status, unknown.text) == (400, "no such key")


async def test_unsharing_a_key_with_overlapping_contracts_is_refused(
    livionkey_sim: Simulator,
) -> None:
    async with connect(livionkey_sim) as api:
        await api.post("/keys/A0003", {"deviceId": "00001", "shared": True})
        first = await api.post("/contracts", contract_body("s-1", key_id="A0003"))
        second = await api.post("/contracts", contract_body("s-2", key_id="A0003"))
        unshare = await api.post("/keys/A0003", {"deviceId": "00001", "shared": False})
    assert first.status == second.status == 200
    assert (unshare.status, unshare.text) == (400, "Overlapping contract existing")


async def test_delete_key(livionkey_sim: Simulator) -> None:
    async with connect(livionkey_sim) as api:
        no_device = await api.delete("/keys/A0001")
        deleted = await api.delete("/keys/A0001", deviceId="00001")
        again = await api.delete("/keys/A0001", deviceId="00001")
        keys = (await api.get("/devices/00001/keys")).items()
    assert (no_device.status, no_device.text) == (400, "Missing deviceId from query parameters")
    assert (deleted.status, deleted.text) == (200, "Key deleted")
    assert (again.status, again.text) == (400, "no such key")
    assert "A0001" not in {k["keyId"] for k in keys}


async def test_key_status_events_follow_fetch_and_return(livionkey_sim: Simulator) -> None:
    async with connect(livionkey_sim) as api:
        fetched = await api.post("/_sim/devices/00001/keys/A0001/fetch")
        status_out = (await api.get("/keys/A0001/status", deviceId="00001")).obj()
        locker = livionkey_sim.state.devices["00001"].keys["A0001"].locker_index
        one = (await api.get(f"/devices/00001/lockers/{locker}")).obj()
        await api.post("/_sim/devices/00001/keys/A0001/return")
        status_back = (await api.get("/keys/A0001/status", deviceId="00001")).obj()
        await api.post("/_sim/devices/00001/keys/A0001/not-returned")
        status_late = (await api.get("/keys/A0001/status", deviceId="00001")).obj()
        no_device = await api.get("/keys/A0001/status")
        unknown = await api.get("/keys/NOPE/status", deviceId="00001")
    assert fetched.obj()["action"] == "key-fetched"
    assert status_out["action"] == "key-fetched"
    data = status_out["data"]
    assert isinstance(data, dict)
    assert data["before"] == {"lockerIndex": locker, "keyId": "A0001"}
    assert data["after"] == {"lockerIndex": locker, "keyId": None}
    locker_state = one["locker"]
    assert isinstance(locker_state, dict)
    assert locker_state["isKeyInside"] is False
    assert locker_state["state"] == "lockerWithoutKey"
    assert status_back["action"] == "key-returned"
    assert status_late["action"] == "key-not-returned"
    assert (no_device.status, no_device.text) == (400, "Missing deviceId from query parameters")
    assert (unknown.status, unknown.text) == (400, "no such key")


@pytest.mark.parametrize("device_id", ["00404", "00005", "00006"])
async def test_key_routes_answer_their_documented_message_for_a_device_they_cannot_serve(
    livionkey_sim: Simulator, device_id: str
) -> None:
    async with connect(livionkey_sim) as api:
        replies = [
            await api.post("/keys/A0001", {"deviceId": device_id}),
            await api.delete("/keys/A0001", deviceId=device_id),
            await api.get("/keys/A0001", deviceId=device_id),
            await api.get("/keys/A0001/status", deviceId=device_id),
            await api.post("/keys/A0001/backupcodes", {"deviceId": device_id}),
        ]
    assert [(r.status, r.text) for r in replies] == [
        (400, "no such device"),
        (400, "no such key"),
        (400, "no such key"),
        (400, "no such key"),
        (400, "no such device"),
    ]


async def test_regenerate_backup_codes(livionkey_sim: Simulator) -> None:
    async with connect(livionkey_sim) as api:
        [key] = (await api.get("/keys/A0001", deviceId="00001")).items()
        fresh = await api.post("/keys/A0001/backupcodes", {"deviceId": "00001"})
        [again] = (await api.get("/keys/A0001", deviceId="00001")).items()
        missing = await api.post("/keys/A0001/backupcodes", {"x": 1})
    assert (fresh.status, fresh.text) == (200, "backup codes updated")  # not the codes
    before, after = key["backupCodes"], again["backupCodes"]
    assert isinstance(after, list)
    assert len(after) == 2
    assert all(len(code) == 10 and code.isdigit() for code in after)  # as Livion's examples
    assert after != before
    assert (missing.status, missing.text) == (400, "deviceId is required")
