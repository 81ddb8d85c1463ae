"""Every success example Livion publishes, as published, read by the client.

The bodies are in ``tests/fixtures/livion`` (copied from Livion's ``legacy/apidoc-*/api_data.json``,
three of them not even strict JSON); each is answered by aioresponses to the client method that
calls its endpoint, and the values that matter are checked: the client is tested against what
Livion documents, not against our own simulator.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from aioresponses import aioresponses
from wire_support import (
    BASE,
    FakeTime,
    calls,
    learn_products,
    login_answer,
    new_client,
    sent_json,
    url,
)

from livionkey_async import (
    AccessRightUpdate,
    Contact,
    Contract,
    ContractUpdate,
    CreatedAccessRight,
    CreatedContract,
    CreatedKey,
    KeyRef,
    LivionKeyClient,
    NewAccessRight,
    NewContract,
    NewKey,
    Recurrence,
)
from livionkey_async._convert import structure

FIXTURES = Path(__file__).parent.parent / "fixtures" / "livion"
V1 = FIXTURES / "apidoc-livionkey30"
KEYPAD = FIXTURES / "apidoc-livionkeypad"
START = datetime(2018, 2, 14, 8, 6, 30, tzinfo=UTC)
END = datetime(2018, 2, 17, 8, 6, 30, tzinfo=UTC)
SYNCED_AT = datetime(2020, 12, 3, 13, 21, 30, 574_000, tzinfo=UTC)
PRODUCTS = {"00053": "key30", "00054": "key30", "000001": "key30", "kp-1": "keypad"}


@pytest.fixture
def mocked() -> Iterator[Any]:
    with aioresponses() as m:
        yield m


@pytest.fixture
async def client(mocked: Any) -> AsyncIterator[LivionKeyClient]:
    fake_time = FakeTime()
    mocked.post(f"{BASE}/auth/login", payload=login_answer(fake_time, "tok"), repeat=True)
    async with new_client(fake_time) as made:
        await learn_products(mocked, made, PRODUCTS)
        yield made


def body(path: Path) -> str:
    return path.read_text(encoding="utf-8")


def test_every_published_example_has_a_test() -> None:
    published = {p.name for p in (*V1.iterdir(), *KEYPAD.iterdir())}
    tested = {name for name, *_ in READS} | {name for name, *_ in KEYPAD_READS} | PARSED_ONLY
    assert published == tested


# -- GET: each example answered to the method that reads it ------------------------------------

Read = Callable[[LivionKeyClient], Awaitable[Any]]
Check = Callable[[Any], None]


def check_devices(devices: Any) -> None:
    [device] = devices
    assert device.device_id == "00053"
    assert device.name == "Gustavsberginkatu 12 Aula"
    assert device.tag == ("livion/internal/oulu",)
    assert device.connection_state == "connected"
    assert device.synced.is_synced is True
    assert device.synced.timestamp == SYNCED_AT


def check_page(page: Any) -> None:
    [device] = page.devices
    assert (device.device_id, device.product) == ("00053", "key30")
    assert (page.page_info.start, page.page_info.end, page.page_info.has_next) == (0, 1, False)
    assert device.lockers is None


def check_page_with_lockers(page: Any) -> None:
    [device] = page.devices
    assert device.synced is None  # this example has none
    [locker] = device.lockers
    assert locker.locker_index == 0  # "0" on the wire
    assert (locker.state, locker.is_key_inside) == ("lockerWithKey", True)
    assert (locker.key.id, locker.key.name) == ("key1", "Main Door")


def check_device(device: Any) -> None:
    assert device.device_id == "00054"  # `id` in this shape
    assert device.tag == ("livion/internal/oulu",)
    assert device.lockers is None


def check_device_with_lockers(device: Any) -> None:
    assert device.device_id == "00054"
    assert [locker.locker_index for locker in device.lockers] == [0]


def check_keys(keys: Any) -> None:
    [key] = keys
    assert (key.key_id, key.name, key.shared, key.locker_index) == ("A1234", "Main Door", False, 0)
    assert key.device_id == "00053"  # from the path
    assert key.backup_codes == ("8438268923", "4055912581")
    [contract] = key.contracts
    assert contract.id == "60531613299ae000094cd787"
    assert contract.contract_id == "Contract1"
    assert contract.keys == (KeyRef("123456", "A1234"),)
    assert contract.recurrent == ()  # `[]`
    assert contract.perm is False
    assert contract.contacts[0].name == "John Doe"


def check_device_contracts(contracts: Any) -> None:
    [contract] = contracts
    assert contract.id == "60531613299ae000094cd278"
    assert contract.contract_id == "543553"
    assert contract.perm is False  # `null`
    assert contract.free_text is None  # `null`
    assert contract.tag == ("livion/key/customer",)
    assert (contract.start, contract.end) == (START, END)
    # The example repeats `pincode`; as JSON.parse does, the last one counts.
    assert contract.pincode == "123564"


def check_lockers(lockers: Any) -> None:
    [locker] = lockers
    assert (locker.locker_index, locker.key.id) == (0, "key1")


def check_locker(locker: Any) -> None:
    assert (locker.locker_index, locker.state, locker.is_key_inside) == (0, "lockerWithKey", True)


def check_key(key: Any) -> None:
    # The example wraps the key in an array, and its contract has no object id.
    assert (key.key_id, key.device_id, key.name) == ("A53", "00053", "Gustavsberginkatu 12c A 13")
    assert (key.key_code, key.locker_index, key.shared) == ("1234", 3, False)
    assert key.backup_codes == ("1234567890", "0987654321")
    [contract] = key.contracts
    assert contract.id is None
    assert (contract.contract_id, contract.key_id, contract.pincode) == (
        "543553",
        "A4324",
        "594395",
    )
    assert contract.keys == (KeyRef("00053", "A53"),)
    assert contract.key_status.action == "key-added"
    assert contract.key_status.timestamp == datetime(2021, 5, 6, 8, 0, 38, 480_000, tzinfo=UTC)


def check_status(event: Any) -> None:
    assert (event.id, event.action, event.source, event.source_id) == (
        "5dd7af0a2aaec40007b91c8b",
        "key-fetched",
        "device",
        "123456",
    )
    assert event.tag == ("livion/key/customer",)
    assert event.data.before is None
    assert (event.data.after.locker_index, event.data.after.key_id) == (0, "id123")
    assert event.data.text == 'key status: "emptyLocker" => event: "key-fetched"'
    assert event.data.value == "key-fetched"
    assert event.data.attachment == ()  # `[null]`


def check_contract(contract: Any) -> None:
    # No `id` in this example: the client takes it from the path it asked.
    assert contract.id == "60531613299ae000094cd278"
    assert (contract.contract_id, contract.key_id, contract.person) == (
        "543553",
        "A4324",
        "John Doe",
    )
    assert contract.keys == (KeyRef("123456", "A4324"),)
    assert (contract.start, contract.end) == (START, END)
    [contact] = contract.contacts
    assert (contact.name, contact.email, contact.language) == (
        "John Doe",
        "john.doe@livion.fi",
        "fi-fi",
    )
    assert (contact.send_email, contact.send_sms) == (True, False)


READS: list[tuple[str, str, Any, Read, Check]] = [
    ("GET_devices.json", "GET", url("/devices"), lambda c: c.devices.list(), check_devices),
    (
        "GET_devices.paginated.json",
        "GET",
        url("/devices", limit="10", after="0"),
        lambda c: c.devices.page(limit=10, after=0),
        check_page,
    ),
    (
        "GET_devices.paginated_extend_lockers.json",
        "GET",
        url("/devices", limit="50", extend="lockers"),
        lambda c: c.devices.page(lockers=True),
        check_page_with_lockers,
    ),
    (
        "GET_devices_id.json",
        "GET",
        url("/devices/00054"),
        lambda c: c.devices.get("00054"),
        check_device,
    ),
    (
        "GET_devices_id.extend_lockers.json",
        "GET",
        url("/devices/00054", extend="lockers"),
        lambda c: c.devices.get("00054", lockers=True),
        check_device_with_lockers,
    ),
    (
        "GET_devices_id_keys.json",
        "GET",
        url("/devices/00053/keys"),
        lambda c: c.devices.keys("00053"),
        check_keys,
    ),
    (
        "GET_devices_id_contracts.json",
        "GET",
        url("/devices/00053/contracts"),
        lambda c: c.devices.contracts("00053"),
        check_device_contracts,
    ),
    (
        "GET_devices_id_lockers.json",
        "GET",
        url("/devices/000001/lockers"),
        lambda c: c.devices.lockers("000001"),
        check_lockers,
    ),
    (
        "GET_devices_id_lockers_lockerIndex.json",
        "GET",
        url("/devices/000001/lockers/0"),
        lambda c: c.devices.locker("000001", 0),
        check_locker,
    ),
    (
        "GET_keys_id.json",
        "GET",
        url("/keys/A53", deviceId="00053", keyStatus="true"),
        lambda c: c.keys.get("A53", device_id="00053", key_status=True),
        check_key,
    ),
    (
        "GET_keys_id_status.json",
        "GET",
        url("/keys/id123/status", deviceId="00053"),
        lambda c: c.keys.status("id123", device_id="00053"),
        check_status,
    ),
    (
        "GET_contracts_id.json",
        "GET",
        url("/contracts/60531613299ae000094cd278"),
        lambda c: c.contracts.get("60531613299ae000094cd278"),
        check_contract,
    ),
    (
        "POST_contracts.json",  # not strict JSON: a comma is missing
        "POST",
        url("/contracts"),
        lambda c: c.contracts.create(
            NewContract(
                contract_id="543553",
                keys=[KeyRef("00053", "A4324")],
                start=datetime(2030, 2, 14, 8, 6, 30, tzinfo=UTC),
                end=datetime(2030, 2, 17, 8, 6, 30, tzinfo=UTC),
                person="John Doe",
            )
        ),
        lambda made: _equal(
            made, CreatedContract(id="a668e8f7f686a79879b976c65", pincode="594395")
        ),
    ),
    (
        "POST_contracts_id_pincode.json",
        "POST",
        url("/contracts/a668e8f7f686a79879b976c65/pincode"),
        lambda c: c.contracts.set_pincode("a668e8f7f686a79879b976c65", [KeyRef("00053", "A4324")]),
        lambda pincode: _equal(pincode, "594395"),
    ),
    (
        "POST_keys.json",
        "POST",
        url("/keys"),
        lambda c: c.keys.create(
            NewKey(key_id="A53", name="Gustavsberginkatu 12c A 13", device_id="00053")
        ),
        lambda made: _equal(made, CreatedKey(locker_index=3)),
    ),
]


def _equal(actual: object, expected: object) -> None:
    assert actual == expected


@pytest.mark.parametrize(
    ("name", "method", "where", "read", "check"), READS, ids=[r[0] for r in READS]
)
async def test_a_published_example_reads_as_documented(
    client: LivionKeyClient,
    mocked: Any,
    name: str,
    method: str,
    where: Any,
    read: Read,
    check: Check,
) -> None:
    mocked.add(where, method, body=body(V1 / name))
    check(await read(client))
    assert len(mocked.requests[(method, where)]) == 1


# -- the keypad's own reference -----------------------------------------------------------------

KEYPAD_READS: list[tuple[str, str, Any, Read, Check]] = [
    (
        "GET_accessrights_id.json",
        "GET",
        url("/accessrights/507f1f77bcf86cd799439011"),
        lambda c: c.keypad.get("507f1f77bcf86cd799439011"),
        lambda right: _equal(
            (right.id, right.access_right_id, right.device_ids, right.contacts[0].name),
            ("507f1f77bcf86cd799439011", "543553", ("123456",), "John Doe"),
        ),
    ),
    (
        "GET_devices_id_accessrights.json",  # not strict JSON: `[{"id": "123456"]`
        "GET",
        url("/devices/kp-1/accessrights"),
        lambda c: c.keypad.device_access_rights("kp-1"),
        lambda rights: _equal(
            [
                (r.id, r.access_right_id, r.device_ids, r.pincode, r.perm, r.free_text)
                for r in rights
            ],
            [("60531613299ae000094cd278", "543553", ("123456",), "123564", False, None)],
        ),
    ),
    (
        "POST_accessrights.json",  # not strict JSON: a comma is missing
        "POST",
        url("/accessrights"),
        lambda c: c.keypad.create(
            NewAccessRight(
                access_right_id="543553",
                device_ids=["kp-1"],
                start=datetime(2030, 2, 14, 8, 6, 30, tzinfo=UTC),
                end=datetime(2030, 2, 17, 8, 6, 30, tzinfo=UTC),
                person="John Doe",
                recurrent=[Recurrence("08:00", "17:00", days={0, 1, 2, 3, 4})],
            )
        ),
        lambda made: _equal(
            made, CreatedAccessRight(id="a668e8f7f686a79879b976c65", pincode="594395")
        ),
    ),
    (
        "POST_accessrights_id_pincode.json",  # a bare JSON string
        "POST",
        url("/accessrights/507f1f77bcf86cd799439011/pincode"),
        lambda c: c.keypad.regenerate_pincode("507f1f77bcf86cd799439011", ["kp-1"]),
        lambda pincode: _equal(pincode, "594395"),
    ),
]


@pytest.mark.parametrize(
    ("name", "method", "where", "read", "check"), KEYPAD_READS, ids=[r[0] for r in KEYPAD_READS]
)
async def test_a_published_keypad_example_reads_as_documented(
    client: LivionKeyClient,
    mocked: Any,
    name: str,
    method: str,
    where: Any,
    read: Read,
    check: Check,
) -> None:
    mocked.add(where, method, body=body(KEYPAD / name))
    check(await read(client))
    assert len(mocked.requests[(method, where)]) == 1


# The public links Livion mails to a contract's person: the client calls none of them, but their
# contract example reads into the same model.
PARSED_ONLY = {
    "GET_contracts_public_id_hash.json",
    "GET_contracts_public_id_hash_key_keyId_opendoor.txt",
    "GET_contracts_public_id_hash_key_keyId_opendoor-cancel.txt",
}


def test_the_public_contract_example_reads_as_a_contract() -> None:
    contract = structure(json.loads(body(V1 / "GET_contracts_public_id_hash.json")), Contract)
    assert (contract.id, contract.contract_id, contract.pincode) == (None, "543553", "594395")
    assert contract.keys == (KeyRef("123456", "A4324"),)
    assert body(V1 / "GET_contracts_public_id_hash_key_keyId_opendoor.txt") == "ok"


# -- what we send matches the reference's request examples --------------------------------------


async def test_the_access_right_we_send_matches_the_reference(
    client: LivionKeyClient, mocked: Any
) -> None:
    mocked.post(url("/accessrights"), payload={"id": "x", "pincode": "594395"})
    await client.keypad.create(
        NewAccessRight(
            access_right_id="543553",
            device_ids=["kp-1"],
            start=START.replace(year=2030),
            end=END.replace(year=2030),
            person="John Doe",
            modify_time=False,
            recurrent=[Recurrence("08:00", "17:00", days={0, 1, 2, 3, 4})],
        )
    )
    [sent] = calls(mocked, "POST", "/accessrights")
    assert sent_json(sent) == {
        "accessRightId": "543553",
        "devices": [{"id": "kp-1"}],
        "start": "2030-02-14T08:06:30.000Z",
        "person": "John Doe",
        "contacts": [],
        "end": "2030-02-17T08:06:30.000Z",
        "modifyTime": False,
        "recurrent": [
            {
                "startTime": "08:00",
                "endTime": "17:00",
                "days": {
                    "0": True,
                    "1": True,
                    "2": True,
                    "3": True,
                    "4": True,
                    "5": False,
                    "6": False,
                },
            }
        ],
    }


async def test_an_access_right_update_and_a_keypad_pincode_send_the_documented_bodies(
    client: LivionKeyClient, mocked: Any
) -> None:
    mocked.post(url("/accessrights/ar-1"), body="AccessRight updated")
    mocked.post(url("/accessrights/ar-1/pincode"), body='"123456"')
    await client.keypad.update(
        "ar-1", AccessRightUpdate(device_ids=["kp-1"], start=START.replace(year=2030), perm=True)
    )
    await client.keypad.regenerate_pincode("ar-1", ["kp-1"])
    [update] = calls(mocked, "POST", "/accessrights/ar-1")
    assert sent_json(update) == {
        "devices": [{"id": "kp-1"}],
        "start": "2030-02-14T08:06:30.000Z",
        "perm": True,
    }
    [pincode] = calls(mocked, "POST", "/accessrights/ar-1/pincode")
    # "keyId (must be "keyPadKey" for keypad devices)".
    assert sent_json(pincode) == {"devices": [{"id": "kp-1", "keyId": "keyPadKey"}]}


async def test_a_contract_update_can_set_every_documented_field(
    client: LivionKeyClient, mocked: Any
) -> None:
    mocked.post(url("/contracts/c1"), body="Contract updated")
    await client.contracts.update(
        "c1",
        ContractUpdate(
            keys=[KeyRef("00053", "A4324")],
            start=START.replace(year=2030),
            end=END.replace(year=2030),
            perm=False,
            person="John Doe 2",
            contacts=[Contact(name="John Doe 2", email="john.doe2@livion.fi", language="fi-fi")],
            free_text="Gate code at the desk",
            pincode="594395",
            recurrent=[Recurrence("08:00", "17:00", days={6})],
        ),
    )
    [sent] = calls(mocked, "POST", "/contracts/c1")
    assert set(sent_json(sent)) == {
        "devices",
        "start",
        "end",
        "perm",
        "person",
        "contacts",
        "freeText",
        "pincode",
        "recurrent",
    }
    assert sent_json(sent)["contacts"] == [
        {"name": "John Doe 2", "email": "john.doe2@livion.fi", "language": "fi-fi"}
    ]
