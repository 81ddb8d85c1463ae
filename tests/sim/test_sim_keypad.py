"""The LivionKeyPad routes: access rights with their rules and words, a keypad's list, unlock."""

from __future__ import annotations

import pytest
from sim_support import Api, FakeClock, connect, future

from livionkey_async.testing import SimConfig, Simulator

KEYPAD = "00005"


def access_body(access_right_id: str, **extra: object) -> dict[str, object]:
    body: dict[str, object] = {
        "accessRightId": access_right_id,
        "devices": [{"id": KEYPAD}],
        "start": future(1),
        "end": future(3),
        "person": "John Doe",
        "contacts": [{"email": "john@example.com"}],
    }
    body.update(extra)
    return body


async def create(api: Api, access_right_id: str, **extra: object) -> str:
    made = await api.post("/accessrights", access_body(access_right_id, **extra))
    assert made.status == 200, made.text
    return str(made.obj()["id"])


async def test_create_get_list_update_pincode_delete(livionkey_sim: Simulator) -> None:
    async with connect(livionkey_sim) as api:
        made = await api.post("/accessrights", access_body("ar-1", pincode="4321"))
        object_id = str(made.obj()["id"])
        got = (await api.get(f"/accessrights/{object_id}")).obj()
        listed = (await api.get(f"/devices/{KEYPAD}/accessrights")).items()
        updated = await api.post(
            f"/accessrights/{object_id}",
            {"devices": [{"id": KEYPAD}], "start": future(2), "perm": True, "person": "Jane"},
        )
        after = (await api.get(f"/accessrights/{object_id}")).obj()
        pincode = await api.post(
            f"/accessrights/{object_id}/pincode",
            {"devices": [{"id": KEYPAD, "keyId": "keyPadKey"}]},
        )
        deleted = await api.delete(f"/accessrights/{object_id}", cancellation="true")
        again = await api.delete(f"/accessrights/{object_id}")
        gone = await api.get(f"/accessrights/{object_id}")
    assert made.obj() == {"id": object_id, "pincode": "4321"}
    assert got["contractId"] == "ar-1"  # as the GET /accessrights/:id example names it
    assert [item["accessRightId"] for item in listed] == ["ar-1"]  # as the listing names it
    assert got["devices"] == [{"id": KEYPAD}]
    assert (updated.status, updated.text) == (200, "AccessRight updated")
    assert (after["person"], after["perm"], after["end"]) == ("Jane", True, None)
    new_pincode = pincode.json()
    assert isinstance(new_pincode, str)  # the bare JSON string of the example
    assert new_pincode.isdigit()
    assert new_pincode != "4321"
    assert (deleted.status, deleted.text) == (200, "AccessRight deleted successfully")
    assert (again.status, again.text) == (400, "Delete accessRight failed")
    assert (gone.status, gone.text) == (400, "AccessRight not found")


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"devices": []}, "No devices"),
        ({"devices": [{"id": "00001"}]}, "Device is not a keypad"),
        ({"devices": [{"id": "00404"}]}, "Device not found"),
        ({"devices": [{"x": 1}]}, "Missing deviceId from parameters"),
        ({"accessRightId": None}, "Missing accessRightId from parameters"),
        ({"person": ""}, "Missing person from parameters"),
        ({"end": None}, "Missing end from parameters"),
        ({"start": future(3), "end": future(1)}, "Start time should be before End time"),
        ({"start": future(-1)}, "Start time should be in the future"),
        (
            {"recurrent": [{"startTime": "8", "endTime": "17:00", "days": {}}]},
            "malformed recurrent",
        ),
    ],
)
async def test_create_refusals(
    livionkey_sim: Simulator, change: dict[str, object], message: str
) -> None:
    async with connect(livionkey_sim) as api:
        reply = await api.post("/accessrights", {**access_body("ar-x"), **change})
    assert (reply.status, reply.text) == (400, message)


async def test_references_and_pincodes_are_unique(livionkey_sim: Simulator) -> None:
    async with connect(livionkey_sim) as api:
        await create(api, "ar-1", pincode="1111")
        taken = await api.post("/accessrights", access_body("ar-1"))
        clash = await api.post("/accessrights", access_body("ar-2", pincode="1111"))
        empty = await api.post("/accessrights", {})
        overlapping = await api.post("/accessrights", access_body("ar-3"))  # same window: fine
    assert (taken.status, taken.text) == (400, "AccessId already in use")
    assert (clash.status, clash.text) == (400, "Pincode already used in existing accessRights")
    assert (empty.status, empty.text) == (400, "Missing accessRight parameters")
    assert overlapping.status == 200


async def test_modify_time_widens_to_whole_days_unless_false() -> None:
    clock = FakeClock()
    async with Simulator(SimConfig(clock=clock)) as sim, connect(sim) as api:
        start, end = "2099-05-01T10:30:00.000Z", "2099-05-02T15:00:00.000Z"
        widened = await create(api, "w", start=start, end=end)
        exact = await create(api, "e", start=start, end=end, modifyTime=False)
        got_widened = (await api.get(f"/accessrights/{widened}")).obj()
        got_exact = (await api.get(f"/accessrights/{exact}")).obj()
    assert (got_widened["start"], got_widened["end"]) == (
        "2099-05-01T00:00:00.000Z",
        "2099-05-02T23:59:59.999Z",
    )
    assert (got_exact["start"], got_exact["end"]) == (start, end)


async def test_a_keypads_listing_and_unlock(livionkey_sim: Simulator) -> None:
    async with connect(livionkey_sim) as api:
        empty = await api.get(f"/devices/{KEYPAD}/accessrights")
        on_key30 = await api.get("/devices/00001/accessrights")
        unknown = await api.get("/devices/00404/accessrights")
        unlocked = await api.post(f"/devices/{KEYPAD}/unlock")
        not_keypad = await api.post("/devices/00001/unlock")
        await api.post(f"/_sim/devices/{KEYPAD}", {"reserved": True})
        reserved = await api.post(f"/devices/{KEYPAD}/unlock")
    assert (empty.status, empty.json()) == (200, [])
    assert (on_key30.status, on_key30.text) == (400, "No devices")
    assert (unknown.status, unknown.text) == (400, "No devices")
    assert (unlocked.status, unlocked.text) == (200, "Command sent successfuly")
    assert (not_keypad.status, not_keypad.text) == (400, "Command not found")
    assert (reserved.status, reserved.text) == (409, "Device is reserved")


async def test_another_accounts_access_right_is_not_authorized(livionkey_sim: Simulator) -> None:
    async with connect(livionkey_sim) as api:
        object_id = await create(api, "mine")
    livionkey_sim.state.store.access_rights[object_id].account = "someone@else.example"
    async with connect(livionkey_sim) as api:
        reply = await api.get(f"/accessrights/{object_id}")
    assert reply.status == 401
