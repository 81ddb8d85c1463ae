"""Devices, lockers and opendoor: both list shapes, pagination, products and their errors."""

from __future__ import annotations

import pytest
from sim_support import connect

from livionkey_async.testing import SimConfig, Simulator


async def test_devices_without_limit_is_a_plain_array_of_v1_products(
    livionkey_sim: Simulator,
) -> None:
    async with connect(livionkey_sim) as api:
        reply = await api.get("/devices")
    assert reply.status == 200
    devices = reply.items()
    assert [d["deviceId"] for d in devices] == ["00001", "00002", "00003", "00004"]
    first = devices[0]
    assert set(first) == {"deviceId", "name", "tag", "connectionState", "synced"}
    synced = first["synced"]
    assert isinstance(synced, dict)
    assert set(synced) == {"timestamp", "isSynced"}
    assert isinstance(synced["timestamp"], str)
    assert synced["timestamp"].endswith("Z")
    assert first["connectionState"] == "connected"  # Livion's word for it


async def test_products_filter_lists_keypad_and_key20_only_when_asked(
    livionkey_sim: Simulator,
) -> None:
    async with connect(livionkey_sim) as api:
        both = await api.get("/devices", products="keypad,key20", limit="10")
        repeated = await api.call(
            "GET", "/devices", params=[("products", "keyX"), ("products", "key20")]
        )
        unknown = await api.get("/devices", products="key31")
    page = both.obj()
    devices = page["devices"]
    assert isinstance(devices, list)
    assert [(d["id"], d["product"]) for d in devices] == [("00005", "keypad"), ("00006", "key20")]
    assert [d["deviceId"] for d in repeated.items()] == ["00004", "00006"]
    assert (unknown.status, unknown.text) == (400, "malformed products")


async def test_paged_shape_and_walking_pages_with_after() -> None:
    async with Simulator(SimConfig(devices=7, keys=1)) as sim, connect(sim) as api:
        seen: list[object] = []
        after = "0"
        pages = 0
        while True:
            reply = await api.get("/devices", limit="3", after=after)
            assert reply.status == 200
            page = reply.obj()
            assert set(page) == {"devices", "pageInfo"}
            info = page["pageInfo"]
            devices = page["devices"]
            assert isinstance(info, dict)
            assert isinstance(devices, list)
            assert info["start"] == int(after)
            assert info["end"] == int(after) + len(devices)
            seen.extend(d["id"] for d in devices)
            pages += 1
            if not info["hasNext"]:
                break
            after = str(info["end"])
    assert pages == 3
    assert seen == [f"{n:05d}" for n in range(1, 9)]  # 7 key30 + 1 keyX


async def test_paged_devices_carry_id_product_and_optional_lockers(
    livionkey_sim: Simulator,
) -> None:
    async with connect(livionkey_sim) as api:
        plain = (await api.get("/devices", limit="1")).obj()
        extended = (await api.get("/devices", limit="50", extend="lockers")).obj()
    plain_devices = plain["devices"]
    assert isinstance(plain_devices, list)
    assert set(plain_devices[0]) == {"id", "product", "name", "tag", "connectionState", "synced"}
    devices = extended["devices"]
    assert isinstance(devices, list)
    key30, keyx = devices[0], devices[3]
    assert key30["product"] == "key30"
    assert len(key30["lockers"]) == 30
    assert keyx["product"] == "keyX"
    assert len(keyx["lockers"]) == 1
    lockers = key30["lockers"]
    assert [locker["lockerIndex"] for locker in lockers] == [str(i) for i in range(30)]
    full = [locker for locker in lockers if locker["isKeyInside"]]
    assert len(full) == 5
    assert all(locker["state"] == "lockerWithKey" for locker in full)
    assert {locker["key"]["id"] for locker in full} == {f"A000{n}" for n in range(1, 6)}
    empty = next(locker for locker in lockers if not locker["isKeyInside"])
    assert empty["key"] is None
    assert empty["state"] == "lockerEmpty"


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"extend": "lockers"}, "limit is required"),
        ({"after": "2"}, "limit is required"),
        ({"extend": "lockers", "limit": "51"}, "limit is too big"),
        ({"limit": "0"}, "malformed limit"),
        ({"limit": "ten"}, "malformed limit"),
        ({"limit": "5", "after": "-1"}, "malformed after"),
    ],
)
async def test_devices_query_errors(
    livionkey_sim: Simulator, params: dict[str, str], message: str
) -> None:
    async with connect(livionkey_sim) as api:
        reply = await api.get("/devices", **params)
    assert (reply.status, reply.text) == (400, message)


async def test_limit_over_fifty_is_fine_without_lockers(livionkey_sim: Simulator) -> None:
    async with connect(livionkey_sim) as api:
        reply = await api.get("/devices", limit="500")
    assert reply.status == 200


async def test_get_device_with_and_without_lockers(livionkey_sim: Simulator) -> None:
    async with connect(livionkey_sim) as api:
        plain = (await api.get("/devices/00001")).obj()
        extended = (await api.get("/devices/00004", extend="lockers")).obj()
        keypad = await api.get("/devices/00005")
        missing = await api.get("/devices/99999")
    assert set(plain) == {"id", "name", "tag", "connectionState", "synced"}
    assert plain["id"] == "00001"
    lockers = extended["lockers"]
    assert isinstance(lockers, list)
    assert len(lockers) == 1
    assert keypad.status == 200
    assert keypad.obj()["id"] == "00005"
    assert (missing.status, missing.text) == (400, "Device not found")


async def test_device_keys_shape(livionkey_sim: Simulator) -> None:
    async with connect(livionkey_sim) as api:
        keys = (await api.get("/devices/00002/keys")).items()
    assert [k["keyId"] for k in keys] == ["A0001", "A0002", "A0003", "A0004", "A0005"]
    assert set(keys[0]) == {"keyId", "keyName", "shared", "contracts", "backupCodes", "lockerIndex"}
    assert all(isinstance(k["lockerIndex"], int) for k in keys)
    assert keys[0]["contracts"] == []
    assert keys[0]["shared"] is False


# What each route documents for a device it cannot serve: unknown (00404), or not V1's.
NOT_SERVED = {
    "keys": {"00005": "Device keys not found", "00006": "Device keys not found"},
    "contracts": {"00005": "No devices", "00006": "No devices"},
    "lockers": {"00005": "not supported", "00006": "not supported"},
    "lockers/0": {"00005": "not supported", "00006": "not supported"},
}
UNKNOWN = {
    "keys": "Device keys not found",
    "contracts": "No devices",
    "lockers": "Device not found",
    "lockers/0": "Device not found",
}


@pytest.mark.parametrize("device_id", ["00005", "00006", "00404"])
@pytest.mark.parametrize("suffix", ["keys", "contracts", "lockers", "lockers/0"])
async def test_v1_device_routes_refuse_keypad_key20_and_unknown(
    livionkey_sim: Simulator, device_id: str, suffix: str
) -> None:
    async with connect(livionkey_sim) as api:
        reply = await api.get(f"/devices/{device_id}/{suffix}")
    expected = NOT_SERVED[suffix].get(device_id, UNKNOWN[suffix])
    assert (reply.status, reply.text, reply.content_type) == (400, expected, "text/plain")


async def test_lockers_and_one_locker(livionkey_sim: Simulator) -> None:
    async with connect(livionkey_sim) as api:
        all_lockers = (await api.get("/devices/00001/lockers")).obj()
        keys = (await api.get("/devices/00001/keys")).items()
        index = keys[0]["lockerIndex"]
        one = (await api.get(f"/devices/00001/lockers/{index}")).obj()
        too_far = await api.get("/devices/00001/lockers/30")
        malformed = await api.get("/devices/00001/lockers/x1")
    assert all_lockers["deviceId"] == "00001"
    lockers = all_lockers["lockers"]
    assert isinstance(lockers, list)
    assert len(lockers) == 30
    assert one == {
        "deviceId": "00001",
        "locker": {
            "lockerIndex": str(index),
            "state": "lockerWithKey",
            "isKeyInside": True,
            "key": {"id": keys[0]["keyId"], "name": keys[0]["keyName"]},
        },
    }
    assert (too_far.status, too_far.text) == (404, "locker not found")
    assert (malformed.status, malformed.text) == (400, "malformed locker index")


async def test_opendoor(livionkey_sim: Simulator) -> None:
    async with connect(livionkey_sim) as api:
        opened = await api.post("/devices/00001/opendoor", {"lockerIndex": 3})
        as_text = await api.post("/devices/00001/opendoor", {"lockerIndex": "29"})
        too_big = await api.post("/devices/00004/opendoor", {"lockerIndex": 1})
        missing = await api.post("/devices/00001/opendoor", {"other": 1})
        no_body = await api.post("/devices/00001/opendoor")
        malformed = await api.post("/devices/00001/opendoor", {"lockerIndex": -1})
        await api.post("/_sim/devices/00001", {"reserved": True})
        reserved = await api.post("/devices/00001/opendoor", {"lockerIndex": 3})
        await api.post("/_sim/devices/00001", {"reserved": False, "busy": True})
        busy = await api.post("/devices/00001/opendoor", {"lockerIndex": 3})
        await api.post("/_sim/devices/00001", {"busy": False, "connectionState": "disconnected"})
        offline = await api.post("/devices/00001/opendoor", {"lockerIndex": 3})
        keypad = await api.post("/devices/00005/opendoor", {"lockerIndex": 0})
    assert (opened.status, opened.text) == (200, "Command sent successfuly")  # sic
    assert as_text.status == 200
    assert (too_big.status, too_big.text) == (400, "Locker index is too big")
    assert (missing.status, missing.text) == (400, "lockerIndex is required")
    assert (busy.status, busy.text) == (400, "Device busy")
    assert (keypad.status, keypad.text) == (400, "Command not found")
    assert (no_body.status, no_body.text) == (400, "body is required")
    assert (malformed.status, malformed.text) == (400, "malformed locker index")
    assert (reserved.status, reserved.text) == (409, "Device is reserved")
    assert (offline.status, offline.text) == (400, "Device error")


async def test_unknown_route_is_404_and_wrong_method_is_405(livionkey_sim: Simulator) -> None:
    async with connect(livionkey_sim) as api:
        unknown = await api.get("/contracts")
        wrong = await api.call("PUT", "/devices")
    assert unknown.status == 405  # POST /contracts exists, GET does not
    assert wrong.status == 405
    async with connect(livionkey_sim) as api:
        nowhere = await api.get("/nowhere")
    assert (nowhere.status, nowhere.text) == (404, "Not Found")
