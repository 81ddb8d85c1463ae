"""The wire mapping of every resource method, checked with aioresponses.

For each method: the exact HTTP method, path, query and JSON body that leave the client (camelCase,
ISO-8601 UTC dates with milliseconds, ``KeyRef`` as ``{"id", "keyId"}`` under ``devices``, unset
fields left out), the ``Authorization: Bearer`` header, and the typed model read back from the
payload shapes of the wire contract (``spec/livionkey-api-v1.md``).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import attrs
import pytest
from aioresponses import aioresponses
from wire_support import (
    BASE,
    EMAIL,
    PASSWORD,
    FakeTime,
    bearer,
    calls,
    learn_products,
    login_answer,
    new_client,
    sent_json,
    url,
)

from livionkey_async import (
    Contact,
    Contract,
    ContractUpdate,
    CreatedContract,
    CreatedKey,
    Device,
    DevicePage,
    Key,
    KeyEvent,
    KeyEventData,
    KeyPosition,
    KeyRef,
    KeyStatus,
    LivionKeyClient,
    Locker,
    LockerKey,
    NewContract,
    NewKey,
    PageInfo,
    Recurrence,
    SyncState,
)

TOKEN = "tok-1"

START = datetime(2026, 10, 1, 12, 0, tzinfo=UTC)
END = datetime(2026, 10, 3, 12, 0, tzinfo=UTC)
START_WIRE = "2026-10-01T12:00:00.000Z"
END_WIRE = "2026-10-03T12:00:00.000Z"


# -- fakes and helpers ---------------------------------------------------------------------------


def only_call(mocked: Any, method: str, path: str, **query: str | list[str]) -> Any:
    """The one request sent as ``method path?query``, and proof nothing else but a login was."""
    found = calls(mocked, method, path, **query)
    assert len(found) == 1, f"expected one {method} {url(path, **query)}, sent: {mocked.requests}"
    assert set(mocked.requests) == {("POST", url("/auth/login")), (method, url(path, **query))}
    return found[0]


def assert_bearer(call: Any, token: str = TOKEN) -> None:
    assert bearer(call) == f"Bearer {token}"


@pytest.fixture
def fake_time() -> FakeTime:
    return FakeTime()


@pytest.fixture
def mocked() -> Iterator[Any]:
    with aioresponses() as m:
        yield m


# The automats these tests use: the client learns their products once (before the first key
# or contract call), here in the fixture.
KNOWN_DEVICES = dict.fromkeys(("00053", "00054", "dev 1ä"), "key30")


@pytest.fixture
async def client(fake_time: FakeTime, mocked: Any) -> AsyncIterator[LivionKeyClient]:
    mocked.post(f"{BASE}/auth/login", payload=login_answer(fake_time, TOKEN), repeat=True)
    async with new_client(fake_time) as made:
        await learn_products(mocked, made, KNOWN_DEVICES)
        yield made


# -- payloads in the shapes the wire contract documents -----------------------------------------

SYNCED_WIRE = {"timestamp": "2026-09-30T08:00:00.000Z", "isSynced": True}
SYNCED = SyncState(timestamp=datetime(2026, 9, 30, 8, 0, tzinfo=UTC), is_synced=True)

LOCKER_WIRE = {
    "lockerIndex": "0",
    "state": "lockerWithKey",
    "isKeyInside": True,
    "key": {"id": "A4324", "name": "Car 1"},
}
LOCKER = Locker(
    locker_index=0,
    state="lockerWithKey",
    is_key_inside=True,
    key=LockerKey(id="A4324", name="Car 1"),
)
EMPTY_LOCKER_WIRE = {"lockerIndex": "1", "state": "empty", "isKeyInside": False, "key": None}
EMPTY_LOCKER = Locker(locker_index=1, state="empty", is_key_inside=False, key=None)

CONTRACT_WIRE: dict[str, Any] = {
    "id": "65f1d7a0c9e",
    "contractId": "booking-543553",
    "keyId": "A4324",
    "devices": [{"id": "00053", "keyId": "A4324", "product": "key30"}],
    "pincode": "594395",
    "start": START_WIRE,
    "end": END_WIRE,
    "perm": False,
    "person": "John Doe",
    "contacts": [
        {
            "email": "john@example.com",
            "phoneNumber": "+358401234567",
            "sendSms": True,
            "sendEmail": False,
            "language": "en-gb",
        }
    ],
    "freeText": "Gate code at the desk",
    "tag": "web",
    "recurrent": [],
    "type": "default",
}
CONTRACT = Contract(
    id="65f1d7a0c9e",
    contract_id="booking-543553",
    keys=(KeyRef(device_id="00053", key_id="A4324"),),
    key_id="A4324",
    pincode="594395",
    start=START,
    end=END,
    perm=False,
    person="John Doe",
    contacts=(
        Contact(
            email="john@example.com",
            phone_number="+358401234567",
            send_sms=True,
            send_email=False,
            language="en-gb",
        ),
    ),
    free_text="Gate code at the desk",
    tag=("web",),
    recurrent=(),
    type="default",
)

KEY_STATUS_WIRE = {"action": "key-fetched", "timestamp": "2026-10-01T12:05:00.000Z"}
KEY_STATUS = KeyStatus(action="key-fetched", timestamp=datetime(2026, 10, 1, 12, 5, tzinfo=UTC))

KEY_WIRE: dict[str, Any] = {
    "keyId": "A4324",
    "deviceId": "00053",
    "keyName": "Car 1",
    "keyCode": "7391",
    "lockerIndex": 3,
    "shared": False,
    "backupCodes": ["11112222", "33334444"],
    "contracts": [{**CONTRACT_WIRE, "keyStatus": KEY_STATUS_WIRE}],
}
KEY = Key(
    key_id="A4324",
    name="Car 1",
    device_id="00053",
    shared=False,
    locker_index=3,
    key_code="7391",
    backup_codes=("11112222", "33334444"),
    contracts=(attrs.evolve(CONTRACT, key_status=KEY_STATUS),),
)


def device_wire(device_id: str, **extra: Any) -> dict[str, Any]:
    """A device as ``GET /devices?limit=`` sends it (``id``, not ``deviceId``)."""
    return {
        "id": device_id,
        "product": "key30",
        "name": f"Automat {device_id}",
        "tag": ["hq", "garage"],
        "connectionState": "online",
        "synced": SYNCED_WIRE,
        **extra,
    }


def device(device_id: str, **extra: Any) -> Device:
    return Device(
        device_id=device_id,
        name=f"Automat {device_id}",
        product="key30",
        tag=("hq", "garage"),
        connection_state="online",
        synced=SYNCED,
        **extra,
    )


# -- devices -------------------------------------------------------------------------------------


async def test_login_sends_credentials_once_and_bearer_on_calls(
    client: LivionKeyClient, mocked: Any
) -> None:
    mocked.get(f"{BASE}/devices", payload=[], repeat=True)

    await client.devices.list()
    await client.devices.list()

    logins = calls(mocked, "POST", "/auth/login")
    assert len(logins) == 1
    assert sent_json(logins[0]) == {"email": EMAIL, "password": PASSWORD}
    assert "Authorization" not in logins[0].kwargs["headers"]
    listed = calls(mocked, "GET", "/devices")
    assert len(listed) == 2
    for call in listed:
        assert_bearer(call)


async def test_devices_list_reads_the_unpaged_shape(client: LivionKeyClient, mocked: Any) -> None:
    mocked.get(
        f"{BASE}/devices",
        payload=[
            {
                "deviceId": "00053",
                "name": "Office",
                "tag": "hq",
                "connectionState": "online",
                "synced": SYNCED_WIRE,
            },
            {
                "deviceId": "00054",
                "name": "Garage",
                "tag": ["a", "b"],
                "connectionState": "offline",
            },
        ],
    )

    devices = await client.devices.list()

    call = only_call(mocked, "GET", "/devices")
    assert_bearer(call)
    assert sent_json(call) is None
    assert devices == [
        Device(
            device_id="00053",
            name="Office",
            tag=("hq",),
            connection_state="online",
            synced=SYNCED,
        ),
        Device(device_id="00054", name="Garage", tag=("a", "b"), connection_state="offline"),
    ]


async def test_devices_list_with_products(client: LivionKeyClient, mocked: Any) -> None:
    products = ["key30", "keyX", "keypad"]
    mocked.get(url("/devices", products=products), payload=[{"deviceId": "00053"}])

    devices = await client.devices.list(products=products)

    # A repeated parameter: an Express service reads it as the documented String[].
    assert_bearer(only_call(mocked, "GET", "/devices", products=products))
    assert devices == [Device(device_id="00053")]


async def test_devices_page_sends_limit_after_extend_and_products(
    client: LivionKeyClient, mocked: Any
) -> None:
    query: dict[str, Any] = {
        "products": ["key30", "keyX"],
        "limit": "10",
        "after": "20",
        "extend": "lockers",
    }
    mocked.get(
        url("/devices", **query),
        payload={
            "devices": [device_wire("00053", lockers=[LOCKER_WIRE, EMPTY_LOCKER_WIRE])],
            "pageInfo": {"start": 20, "end": 21, "hasNext": True},
        },
    )

    page = await client.devices.page(limit=10, after=20, lockers=True, products=["key30", "keyX"])

    assert_bearer(only_call(mocked, "GET", "/devices", **query))
    assert page == DevicePage(
        devices=(device("00053", lockers=(LOCKER, EMPTY_LOCKER)),),
        page_info=PageInfo(start=20, end=21, has_next=True),
    )


async def test_devices_page_defaults_to_fifty_without_extend(
    client: LivionKeyClient, mocked: Any
) -> None:
    mocked.get(
        url("/devices", limit="50"),
        payload={"devices": [], "pageInfo": {"start": 0, "end": 0, "hasNext": False}},
    )

    page = await client.devices.page()

    only_call(mocked, "GET", "/devices", limit="50")
    assert page == DevicePage(devices=(), page_info=PageInfo(start=0, end=0, has_next=False))


async def test_devices_iterate_follows_page_info(client: LivionKeyClient, mocked: Any) -> None:
    mocked.get(
        url("/devices", limit="2"),
        payload={
            "devices": [device_wire("d1"), device_wire("d2")],
            "pageInfo": {"start": 0, "end": 2, "hasNext": True},
        },
    )
    mocked.get(
        url("/devices", limit="2", after="2"),
        payload={
            "devices": [device_wire("d3"), device_wire("d4")],
            "pageInfo": {"start": 2, "end": 4, "hasNext": True},
        },
    )
    mocked.get(
        url("/devices", limit="2", after="4"),
        payload={
            "devices": [device_wire("d5")],
            "pageInfo": {"start": 4, "end": 5, "hasNext": False},
        },
    )

    seen = [found async for found in client.devices.iterate(page_size=2)]

    assert seen == [device(f"d{n}") for n in range(1, 6)]
    assert set(mocked.requests) == {
        ("POST", url("/auth/login")),
        ("GET", url("/devices", limit="2")),
        ("GET", url("/devices", limit="2", after="2")),
        ("GET", url("/devices", limit="2", after="4")),
    }
    for key in mocked.requests:
        if key[0] == "GET":
            assert len(mocked.requests[key]) == 1
            assert_bearer(mocked.requests[key][0])


async def test_devices_iterate_stops_on_the_last_page(client: LivionKeyClient, mocked: Any) -> None:
    mocked.get(
        url("/devices", limit="50", extend="lockers", products="keyX"),
        payload={
            "devices": [device_wire("d1")],
            "pageInfo": {"start": 0, "end": 1, "hasNext": False},
        },
    )

    seen = [d async for d in client.devices.iterate(lockers=True, products=["keyX"])]

    assert [d.device_id for d in seen] == ["d1"]
    only_call(mocked, "GET", "/devices", limit="50", extend="lockers", products="keyX")


async def test_devices_get_with_lockers(client: LivionKeyClient, mocked: Any) -> None:
    mocked.get(
        url("/devices/00053", extend="lockers"),
        payload={
            "id": "00053",
            "name": "Office",
            "tag": "hq",
            "connectionState": "online",
            "synced": SYNCED_WIRE,
            "lockers": [LOCKER_WIRE],
        },
    )

    found = await client.devices.get("00053", lockers=True)

    assert_bearer(only_call(mocked, "GET", "/devices/00053", extend="lockers"))
    assert found == Device(
        device_id="00053",
        name="Office",
        tag=("hq",),
        connection_state="online",
        synced=SYNCED,
        lockers=(LOCKER,),
    )


async def test_devices_get_without_lockers(client: LivionKeyClient, mocked: Any) -> None:
    mocked.get(f"{BASE}/devices/00053", payload={"id": "00053", "name": "Office"})

    found = await client.devices.get("00053")

    only_call(mocked, "GET", "/devices/00053")
    assert found == Device(device_id="00053", name="Office")


async def test_devices_keys(client: LivionKeyClient, mocked: Any) -> None:
    wire = {key: value for key, value in KEY_WIRE.items() if key not in ("deviceId", "keyCode")}
    wire["contracts"] = [CONTRACT_WIRE]
    mocked.get(f"{BASE}/devices/00053/keys", payload=[wire])

    keys = await client.devices.keys("00053")

    call = only_call(mocked, "GET", "/devices/00053/keys")
    assert_bearer(call)
    assert sent_json(call) is None
    assert keys == [attrs.evolve(KEY, key_code=None, contracts=(CONTRACT,))]
    assert keys[0].device_id == "00053"  # filled in from the path


async def test_devices_contracts(client: LivionKeyClient, mocked: Any) -> None:
    mocked.get(f"{BASE}/devices/00053/contracts", payload=[CONTRACT_WIRE])

    contracts = await client.devices.contracts("00053")

    assert_bearer(only_call(mocked, "GET", "/devices/00053/contracts"))
    assert contracts == [CONTRACT]


async def test_devices_lockers(client: LivionKeyClient, mocked: Any) -> None:
    mocked.get(
        f"{BASE}/devices/00053/lockers",
        payload={"deviceId": "00053", "lockers": [LOCKER_WIRE, EMPTY_LOCKER_WIRE]},
    )

    lockers = await client.devices.lockers("00053")

    assert_bearer(only_call(mocked, "GET", "/devices/00053/lockers"))
    assert lockers == [LOCKER, EMPTY_LOCKER]


async def test_devices_locker(client: LivionKeyClient, mocked: Any) -> None:
    mocked.get(
        f"{BASE}/devices/00053/lockers/7",
        payload={"deviceId": "00053", "locker": {**LOCKER_WIRE, "lockerIndex": "7"}},
    )

    locker = await client.devices.locker("00053", 7)

    assert_bearer(only_call(mocked, "GET", "/devices/00053/lockers/7"))
    assert locker == attrs.evolve(LOCKER, locker_index=7)


async def test_devices_open_door(client: LivionKeyClient, mocked: Any) -> None:
    mocked.post(f"{BASE}/devices/00053/opendoor", body="Command sent successfuly")

    await client.devices.open_door("00053", 3)

    call = only_call(mocked, "POST", "/devices/00053/opendoor")
    assert_bearer(call)
    # The reference types lockerIndex String here.
    assert sent_json(call) == {"lockerIndex": "3"}


async def test_ids_are_escaped_as_one_path_segment(client: LivionKeyClient, mocked: Any) -> None:
    mocked.get(f"{BASE}/devices/dev%201%C3%A4/keys", payload=[])

    assert await client.devices.keys("dev 1ä") == []

    only_call(mocked, "GET", "/devices/dev%201%C3%A4/keys")


async def test_base_url_path_prefix_is_kept(fake_time: FakeTime, mocked: Any) -> None:
    mocked.post(f"{BASE}/v1/auth/login", payload=login_answer(fake_time, TOKEN))
    mocked.get(f"{BASE}/v1/devices", payload=[])
    async with LivionKeyClient(
        EMAIL,
        PASSWORD,
        base_url=f"{BASE}/v1",
        sleep=fake_time.sleep,
        clock=fake_time.monotonic,
        wall_clock=fake_time.wall,
    ) as client:
        assert await client.devices.list() == []

    assert set(mocked.requests) == {("POST", url("/v1/auth/login")), ("GET", url("/v1/devices"))}


# -- keys ----------------------------------------------------------------------------------------


async def test_keys_create_full(client: LivionKeyClient, mocked: Any) -> None:
    mocked.post(f"{BASE}/keys", payload={"lockerIndex": 3})

    created = await client.keys.create(
        NewKey(
            key_id="A4324",
            name="Car 1",
            device_id="00053",
            key_code="7391",
            locker_index=3,
            check_locker_status=True,
            shared=True,
        )
    )

    call = only_call(mocked, "POST", "/keys")
    assert_bearer(call)
    assert sent_json(call) == {
        "keyId": "A4324",
        "keyName": "Car 1",
        "deviceId": "00053",
        "keyCode": "7391",
        "lockerIndex": "3",
        "checkLockerStatus": True,
        "shared": True,
    }
    assert created == CreatedKey(locker_index=3)


async def test_keys_create_minimal_leaves_defaults_out(
    client: LivionKeyClient, mocked: Any
) -> None:
    mocked.post(f"{BASE}/keys", payload={"lockerIndex": "0"})

    created = await client.keys.create(NewKey(key_id="A4324", name="Car 1", device_id="00053"))

    assert sent_json(only_call(mocked, "POST", "/keys")) == {
        "keyId": "A4324",
        "keyName": "Car 1",
        "deviceId": "00053",
    }
    assert created == CreatedKey(locker_index=0)


async def test_keys_update_sends_only_given_fields(client: LivionKeyClient, mocked: Any) -> None:
    mocked.post(f"{BASE}/keys/A4324", body="Key updated", repeat=True)

    await client.keys.update(
        "A4324",
        device_id="00053",
        name="Car 2",
        key_code="1234",
        locker_index=2,
        check_locker_status=False,
        shared=False,
    )
    await client.keys.update("A4324", device_id="00053")

    sent = calls(mocked, "POST", "/keys/A4324")
    assert len(sent) == 2
    assert_bearer(sent[0])
    assert sent_json(sent[0]) == {
        "deviceId": "00053",
        "keyName": "Car 2",
        "keyCode": "1234",
        "lockerIndex": "2",
        "checkLockerStatus": False,
        "shared": False,
    }
    assert sent_json(sent[1]) == {"deviceId": "00053"}


async def test_keys_delete(client: LivionKeyClient, mocked: Any) -> None:
    mocked.delete(url("/keys/A4324", deviceId="00053"), payload={"success": True})

    await client.keys.delete("A4324", device_id="00053")

    call = only_call(mocked, "DELETE", "/keys/A4324", deviceId="00053")
    assert_bearer(call)
    assert sent_json(call) is None


@pytest.mark.parametrize("wrapped", [True, False], ids=["in-an-array", "bare"])
async def test_keys_get_with_key_status(
    client: LivionKeyClient, mocked: Any, wrapped: bool
) -> None:
    mocked.get(
        url("/keys/A4324", deviceId="00053", keyStatus="true"),
        payload=[KEY_WIRE] if wrapped else KEY_WIRE,
    )

    key = await client.keys.get("A4324", device_id="00053", key_status=True)

    assert_bearer(only_call(mocked, "GET", "/keys/A4324", deviceId="00053", keyStatus="true"))
    assert key == KEY
    assert key.contracts[0].key_status == KEY_STATUS


async def test_keys_get_without_options(client: LivionKeyClient, mocked: Any) -> None:
    wire = {**KEY_WIRE, "contracts": [CONTRACT_WIRE]}
    mocked.get(f"{BASE}/keys/A4324", payload=[wire])

    key = await client.keys.get("A4324")

    only_call(mocked, "GET", "/keys/A4324")
    assert key == attrs.evolve(KEY, contracts=(CONTRACT,))
    assert key.contracts[0].key_status is None


async def test_keys_status(client: LivionKeyClient, mocked: Any) -> None:
    mocked.get(
        url("/keys/A4324/status", deviceId="00053"),
        payload={
            "id": "evt-1",
            "timestamp": "2026-10-01T12:05:00.000Z",
            "tag": "web",
            "source": "device",
            "sourceId": "00053",
            "action": "key-fetched",
            "data": {
                "before": {"lockerIndex": "3", "keyId": "A4324"},
                "after": {"lockerIndex": None, "keyId": None},
                "text": "Key fetched",
                "value": "3",
                "sourceTime": "2026-10-01T12:04:59.500Z",
                "attachment": None,
            },
        },
    )

    event = await client.keys.status("A4324", device_id="00053")

    assert_bearer(only_call(mocked, "GET", "/keys/A4324/status", deviceId="00053"))
    assert event == KeyEvent(
        id="evt-1",
        timestamp=datetime(2026, 10, 1, 12, 5, tzinfo=UTC),
        tag=("web",),
        source="device",
        source_id="00053",
        action="key-fetched",
        data=KeyEventData(
            before=KeyPosition(locker_index=3, key_id="A4324"),
            after=KeyPosition(locker_index=None, key_id=None),
            text="Key fetched",
            value="3",
            source_time=datetime(2026, 10, 1, 12, 4, 59, 500_000, tzinfo=UTC),
            attachment=(),
        ),
    )


@pytest.mark.parametrize(
    ("answer", "expected"),
    [
        ({"backupCodes": ["11112222", "33334444"]}, ("11112222", "33334444")),
        (["55556666"], ("55556666",)),
    ],
    ids=["object", "array"],
)
async def test_keys_regenerate_backup_codes_answered_with_the_codes(
    client: LivionKeyClient, mocked: Any, answer: Any, expected: tuple[str, ...]
) -> None:
    mocked.post(f"{BASE}/keys/A4324/backupcodes", payload=answer)

    codes = await client.keys.regenerate_backup_codes("A4324", device_id="00053")

    call = only_call(mocked, "POST", "/keys/A4324/backupcodes")
    assert_bearer(call)
    assert sent_json(call) == {"deviceId": "00053"}
    assert codes == expected


@pytest.mark.parametrize(
    "answer",
    [{"body": "backup codes updated"}, {"body": "Key backup codes updated"}, {"payload": {}}],
    ids=["documented-text", "text-with-subject", "empty-object"],
)
async def test_keys_regenerate_backup_codes_reads_the_new_codes_back(
    client: LivionKeyClient, mocked: Any, answer: dict[str, Any]
) -> None:
    # Livion answers the regeneration with a status text, never the codes: they are read back.
    mocked.post(f"{BASE}/keys/A4324/backupcodes", **answer)
    mocked.get(url("/keys/A4324", deviceId="00053"), payload=[KEY_WIRE])

    codes = await client.keys.regenerate_backup_codes("A4324", device_id="00053")

    assert codes == KEY.backup_codes
    assert "backup" not in " ".join(codes)
    assert len(calls(mocked, "POST", "/keys/A4324/backupcodes")) == 1
    assert len(calls(mocked, "GET", "/keys/A4324", deviceId="00053")) == 1


# -- contracts -----------------------------------------------------------------------------------


async def test_contracts_create_full_body(client: LivionKeyClient, mocked: Any) -> None:
    mocked.post(f"{BASE}/contracts", payload={"id": "65f1d7a0c9e", "pincode": "594395"})
    helsinki_summer = timezone(timedelta(hours=3))

    created = await client.contracts.create(
        NewContract(
            contract_id="booking-543553",
            keys=[KeyRef(device_id="00053", key_id="A4324"), KeyRef("00054", "B1")],
            start=datetime(2026, 10, 1, 15, 0, tzinfo=helsinki_summer),  # 12:00 UTC
            end=datetime(2026, 10, 3, 12, 0, 0, 123_456, tzinfo=UTC),
            person="John Doe",
            contacts=[
                Contact(
                    email="john@example.com",
                    phone_number="+358401234567",
                    send_sms=True,
                    send_email=False,
                    language="en-gb",
                ),
                Contact(email="desk@example.com"),
            ],
            free_text="Gate code at the desk",
            pincode="594395",
            type="fetch",
        )
    )

    call = only_call(mocked, "POST", "/contracts")
    assert_bearer(call)
    assert sent_json(call) == {
        "contractId": "booking-543553",
        "devices": [{"id": "00053", "keyId": "A4324"}, {"id": "00054", "keyId": "B1"}],
        "start": START_WIRE,
        "end": "2026-10-03T12:00:00.123Z",
        "person": "John Doe",
        "contacts": [
            {
                "email": "john@example.com",
                "phoneNumber": "+358401234567",
                "sendSms": True,
                "sendEmail": False,
                "language": "en-gb",
            },
            {"email": "desk@example.com"},
        ],
        "freeText": "Gate code at the desk",
        "pincode": "594395",
        "type": "fetch",
    }
    assert created == CreatedContract(id="65f1d7a0c9e", pincode="594395")


async def test_contracts_create_minimal_sends_contacts_and_omits_defaults(
    client: LivionKeyClient, mocked: Any
) -> None:
    mocked.post(f"{BASE}/contracts", payload={"id": "obj-2", "pincode": "112233"})

    created = await client.contracts.create(
        NewContract(
            contract_id="booking-1",
            keys=[KeyRef("00053", "A4324")],
            start=START,
            person="Jane Roe",
        )
    )

    assert sent_json(only_call(mocked, "POST", "/contracts")) == {
        "contractId": "booking-1",
        "devices": [{"id": "00053", "keyId": "A4324"}],
        "start": START_WIRE,
        "person": "Jane Roe",
        "contacts": [],
    }
    assert created == CreatedContract(id="obj-2", pincode="112233")


async def test_contracts_create_permanent(client: LivionKeyClient, mocked: Any) -> None:
    mocked.post(f"{BASE}/contracts", payload={"id": "obj-3", "pincode": "445566"})

    await client.contracts.create(
        NewContract(
            contract_id="booking-perm",
            keys=[KeyRef("00053", "A4324")],
            start=START,
            person="Jane Roe",
            perm=True,
            contacts=[Contact(phone_number="+358401234567", send_sms=True, language="fi-fi")],
        )
    )

    assert sent_json(only_call(mocked, "POST", "/contracts")) == {
        "contractId": "booking-perm",
        "devices": [{"id": "00053", "keyId": "A4324"}],
        "start": START_WIRE,
        "person": "Jane Roe",
        "perm": True,
        "contacts": [{"phoneNumber": "+358401234567", "sendSms": True, "language": "fi-fi"}],
    }


async def test_contracts_get(client: LivionKeyClient, mocked: Any) -> None:
    mocked.get(f"{BASE}/contracts/65f1d7a0c9e", payload=CONTRACT_WIRE)

    contract = await client.contracts.get("65f1d7a0c9e")

    call = only_call(mocked, "GET", "/contracts/65f1d7a0c9e")
    assert_bearer(call)
    assert contract == CONTRACT


async def test_contracts_get_reads_tag_list_and_permanent(
    client: LivionKeyClient, mocked: Any
) -> None:
    schedule = {"startTime": "08:00", "endTime": "17:00", "days": {"0": False, "1": True}}
    wire = {
        **CONTRACT_WIRE,
        "tag": ["web", "vip"],
        "perm": True,
        "end": None,
        "recurrent": [schedule],
    }
    mocked.get(f"{BASE}/contracts/65f1d7a0c9e", payload=wire)

    contract = await client.contracts.get("65f1d7a0c9e")

    assert contract == attrs.evolve(
        CONTRACT,
        tag=("web", "vip"),
        perm=True,
        end=None,
        recurrent=(Recurrence(start_time="08:00", end_time="17:00", days={1}),),
    )


async def test_contracts_update_sends_devices_and_given_fields(
    client: LivionKeyClient, mocked: Any
) -> None:
    mocked.post(f"{BASE}/contracts/65f1d7a0c9e", payload=CONTRACT_WIRE)

    await client.contracts.update(
        "65f1d7a0c9e",
        ContractUpdate(
            keys=[KeyRef("00053", "A4324")],
            start=START,
            end=END,
            person="John Doe",
            contacts=[Contact(email="john@example.com", send_email=True)],
            free_text="New text",
            pincode="1234",
        ),
    )

    call = only_call(mocked, "POST", "/contracts/65f1d7a0c9e")
    assert_bearer(call)
    assert sent_json(call) == {
        "devices": [{"id": "00053", "keyId": "A4324"}],
        "start": START_WIRE,
        "end": END_WIRE,
        "person": "John Doe",
        "contacts": [{"email": "john@example.com", "sendEmail": True}],
        "freeText": "New text",
        "pincode": "1234",
    }


async def test_contracts_update_leaves_unset_fields_out(
    client: LivionKeyClient, mocked: Any
) -> None:
    mocked.post(f"{BASE}/contracts/65f1d7a0c9e", payload=CONTRACT_WIRE)

    await client.contracts.update(
        "65f1d7a0c9e", ContractUpdate(keys=[KeyRef("00053", "A4324")], end=END)
    )

    assert sent_json(only_call(mocked, "POST", "/contracts/65f1d7a0c9e")) == {
        "devices": [{"id": "00053", "keyId": "A4324"}],
        "end": END_WIRE,
    }


async def test_contracts_set_pincode_given_goes_through_update(
    client: LivionKeyClient, mocked: Any
) -> None:
    mocked.post(f"{BASE}/contracts/65f1d7a0c9e", payload=CONTRACT_WIRE)

    pincode = await client.contracts.set_pincode(
        "65f1d7a0c9e", [KeyRef("00053", "A4324")], pincode="8765"
    )

    assert pincode == "8765"
    call = only_call(mocked, "POST", "/contracts/65f1d7a0c9e")
    assert_bearer(call)
    assert sent_json(call) == {
        "devices": [{"id": "00053", "keyId": "A4324"}],
        "pincode": "8765",
    }


@pytest.mark.parametrize("answer", ["730021", 730021], ids=["string", "number"])
async def test_contracts_set_pincode_regenerated(
    client: LivionKeyClient, mocked: Any, answer: str | int
) -> None:
    mocked.post(f"{BASE}/contracts/65f1d7a0c9e/pincode", payload={"pincode": answer})

    pincode = await client.contracts.set_pincode(
        "65f1d7a0c9e", [KeyRef("00053", "A4324"), KeyRef("00054", "B1")]
    )

    assert pincode == "730021"
    call = only_call(mocked, "POST", "/contracts/65f1d7a0c9e/pincode")
    assert_bearer(call)
    assert sent_json(call) == {
        "devices": [{"id": "00053", "keyId": "A4324"}, {"id": "00054", "keyId": "B1"}]
    }


@pytest.mark.parametrize("cancellation", [True, False])
async def test_contracts_delete(client: LivionKeyClient, mocked: Any, cancellation: bool) -> None:
    query = {"cancellation": "true"} if cancellation else {}
    mocked.delete(url("/contracts/65f1d7a0c9e", **query), payload={"success": True})

    await client.contracts.delete("65f1d7a0c9e", cancellation=cancellation)

    call = only_call(mocked, "DELETE", "/contracts/65f1d7a0c9e", **query)
    assert_bearer(call)
    assert sent_json(call) is None


async def test_contracts_find_searches_every_device(client: LivionKeyClient, mocked: Any) -> None:
    other = {**CONTRACT_WIRE, "id": "obj-other", "contractId": "booking-other"}
    mocked.get(f"{BASE}/devices", payload=[{"deviceId": "00053"}, {"deviceId": "00054"}])
    mocked.get(f"{BASE}/devices/00053/contracts", payload=[other])
    mocked.get(f"{BASE}/devices/00054/contracts", payload=[other, CONTRACT_WIRE])

    found = await client.contracts.find("booking-543553")

    assert found == CONTRACT
    assert set(mocked.requests) == {
        ("POST", url("/auth/login")),
        ("GET", url("/devices")),
        ("GET", url("/devices/00053/contracts")),
        ("GET", url("/devices/00054/contracts")),
    }
    for key, sent in mocked.requests.items():
        if key[0] == "GET":
            assert len(sent) == 1
            assert_bearer(sent[0])


async def test_contracts_find_answers_none(client: LivionKeyClient, mocked: Any) -> None:
    mocked.get(f"{BASE}/devices", payload=[{"deviceId": "00053"}, {"deviceId": "00054"}])
    mocked.get(f"{BASE}/devices/00053/contracts", payload=[CONTRACT_WIRE])
    mocked.get(f"{BASE}/devices/00054/contracts", payload=[])

    assert await client.contracts.find("booking-nope") is None
    assert len(calls(mocked, "GET", "/devices/00053/contracts")) == 1
    assert len(calls(mocked, "GET", "/devices/00054/contracts")) == 1


async def test_contracts_find_on_given_devices_only(client: LivionKeyClient, mocked: Any) -> None:
    mocked.get(f"{BASE}/devices/00054/contracts", payload=[CONTRACT_WIRE])

    found = await client.contracts.find("booking-543553", device_ids=["00054", "00054"])

    assert found == CONTRACT
    only_call(mocked, "GET", "/devices/00054/contracts")
