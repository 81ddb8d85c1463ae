"""API v2 on the wire, one endpoint at a time, over aioresponses: the method, path, query and body
each resource method sends, how the documented answers are read, how the documented failures map
to typed errors, pagination, and the local checks that refuse a request before it is sent.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from aioresponses import CallbackResult, aioresponses
from wire_support import sent_json
from yarl import URL

from livionkey_async import (
    AmbiguousOutcomeError,
    AuthenticationError,
    ContractOverlapError,
    DuplicateContractError,
    DuplicateKeyError,
    LivionKeyError,
    NotFoundError,
    RateLimitedError,
    ResponseFormatError,
    ServerError,
    ValidationError,
)
from livionkey_async.v2 import (
    Automat,
    AutomatLocation,
    AutomatLocker,
    AutomatLockerKey,
    AutomatUpdate,
    Contact,
    ContractInUseError,
    ContractType,
    GroupType,
    GroupUpdate,
    IloqApiUser,
    IloqContractUpdate,
    KeyStorage,
    LivionKeyV2Client,
    MechanicalContractUpdate,
    MechanicalKeyUpdate,
    NewAutomat,
    NewContractKey,
    NewGroup,
    NewIloqKeyContract,
    NewMechanicalKey,
    NewMechanicalKeyContract,
    NewOrganizationUnit,
    NewServiceAccount,
    NoKeysAvailableError,
    NotificationChannel,
    Notifications,
    OrganizationUnitType,
    StorageKind,
    UserVerification,
)
from livionkey_async.v2._errors import error_from_v2

BASE = "https://api.example.test/v2"
ACCOUNT = "sa-1"
START = datetime(2026, 12, 1, 15, 0, tzinfo=UTC)
END = START + timedelta(days=2)
START_WIRE = "2026-12-01T15:00:00.000Z"
END_WIRE = "2026-12-03T15:00:00.000Z"

AUTOMAT_WIRE: dict[str, Any] = {
    "id": "00331",
    "name": "Mainstreet 1",
    "location": {"address": "Mainstreet 1", "postalCode": "00100", "postalOffice": "Helsinki"},
    "label": "A",
    "groups": [{"id": "g1", "name": "Downtown"}],
    "hwId": "hw-1",
    "timezone": "Europe/Helsinki",
    "installationPincode": None,
    "lockers": [
        {"lockerIndex": "0", "isKeyInside": True, "key": {"id": "k1", "name": "740FE4C"}},
        {"lockerIndex": "1", "isKeyInside": False, "key": None},
    ],
    "lifecycleState": "active",
}

ILOQ_WIRE: dict[str, Any] = {
    "id": "c-1",
    "accessRightIds": ["ar-1"],
    "start": START_WIRE,
    "end": END_WIRE,
    "contact": {
        "name": "Alice Example",
        "email": "alice@example.com",
        "phoneNumber": None,
        "sendSms": False,
        "sendEmail": False,
        "language": "en",
        "iloqPersonId": None,
        "notifications": {"contractKeysNotReturned": {"sms": False, "email": True}},
    },
    "keys": [
        {"id": "s5-1", "status": None, "storageInfo": {"deviceId": "00331", "pincode": "233123"}},
        {
            "id": "s5-2",
            "status": "key-fetched",
            "storageInfo": {"deviceId": "00331", "pincode": None},
            "inHistory": True,
        },
    ],
    "numberOfKeys": 2,
    "keyIds": None,
    "keyAutomatId": "00331",
    "groupId": None,
    "contractType": 1,
}

MECH_WIRE: dict[str, Any] = {
    "id": "booking-1",
    "start": START_WIRE,
    "end": END_WIRE,
    "contact": {
        "name": "John Doe",
        "email": None,
        "phoneNumber": None,
        "sendSms": False,
        "sendEmail": False,
        "language": None,
        "notifications": {},
    },
    "keys": [
        {"id": "k1", "storageInfo": {"pincode": "594395", "automatId": "00053"}},
        {"id": "k2", "storageInfo": {"manualStorageInfo": "Shelf 1"}, "status": "key-fetched"},
    ],
    "freeLockerAfterFetch": False,
    "userVerification": "1",
}

KEY_WIRE: dict[str, Any] = {
    "id": "k1",
    "name": "Car 1",
    "organizationUnitId": "ou-1",
    "rfidHex": None,
    "selectedStorage": {"automatId": "00053"},
    "storage": None,
    "targetStorage": {"automatId": "00053"},
    "status": {"available": False},
    "shared": False,
}


def url(path: str, **query: str) -> URL:
    full = URL(f"{BASE}/{path}")
    return full.with_query(sorted(query.items())) if query else full


def sent(mocked: Any, method: str, path: str, **query: str) -> list[Any]:
    found: list[Any] = mocked.requests.get((method, url(path, **query)), [])
    return found


def only(mocked: Any, method: str, path: str, **query: str) -> Any:
    found = sent(mocked, method, path, **query)
    assert len(found) == 1, mocked.requests
    assert len(mocked.requests) == 1, mocked.requests
    headers = found[0].kwargs["headers"]
    assert headers["x-service-account-id"] == ACCOUNT
    assert headers["x-signature"]
    assert headers["x-timestamp"].isdigit()
    return found[0]


async def no_sleep(_: float) -> None:
    return None


@pytest.fixture
def mocked() -> Iterator[Any]:
    with aioresponses() as m:
        yield m


@pytest.fixture
async def client(rsa_key_pem: str) -> AsyncIterator[LivionKeyV2Client]:
    async with LivionKeyV2Client(ACCOUNT, rsa_key_pem, base_url=BASE, sleep=no_sleep) as made:
        yield made


# -- automats --------------------------------------------------------------------------------------


async def test_automats_list_reads_a_page(client: LivionKeyV2Client, mocked: Any) -> None:
    mocked.get(
        url("automats", after="20", limit="5"),
        payload={"after": "25", "limit": 5, "hasNext": True, "data": [AUTOMAT_WIRE]},
    )
    page = await client.automats.list(after="20", limit=5)
    only(mocked, "GET", "automats", after="20", limit="5")
    assert page.after == "25"
    assert page.has_next is True
    assert page.limit == 5
    (automat,) = page.data
    assert automat == Automat(
        id="00331",
        name="Mainstreet 1",
        location=AutomatLocation("Mainstreet 1", "00100", "Helsinki"),
        label="A",
        groups=automat.groups,
        hw_id="hw-1",
        timezone="Europe/Helsinki",
        lockers=(
            AutomatLocker(0, True, AutomatLockerKey("k1", "740FE4C")),
            AutomatLocker(1, False, None),
        ),
        lifecycle_state="active",
    )
    assert automat.groups[0].name == "Downtown"


async def test_automats_iterate_follows_the_cursor(client: LivionKeyV2Client, mocked: Any) -> None:
    first = {"after": "2", "limit": 2, "hasNext": True, "data": [AUTOMAT_WIRE, AUTOMAT_WIRE]}
    last = {"after": "3", "limit": 2, "hasNext": False, "data": [{**AUTOMAT_WIRE, "id": "x"}]}
    mocked.get(url("automats", limit="2"), payload=first)
    mocked.get(url("automats", after="2", limit="2"), payload=last)
    ids = [a.id async for a in client.automats.iterate(page_size=2)]
    assert ids == ["00331", "00331", "x"]
    assert len(mocked.requests) == 2


async def test_automats_get_update_install_uninstall_replace(
    client: LivionKeyV2Client, mocked: Any
) -> None:
    mocked.get(url("automats/a%20%C3%A4"), payload=AUTOMAT_WIRE)
    assert (await client.automats.get("a ä")).id == "00331"  # the id is one escaped segment

    mocked.patch(url("automats/00331"), payload=AUTOMAT_WIRE)
    await client.automats.update(
        "00331", AutomatUpdate(name="New", groups=["g1", "g2"], location=AutomatLocation("Road"))
    )
    call = sent(mocked, "PATCH", "automats/00331")[0]
    assert sent_json(call) == {
        "name": "New",
        "groups": ["g1", "g2"],
        "location": {"address": "Road"},
    }

    waiting = {**AUTOMAT_WIRE, "lifecycleState": "waitingForInstall", "installationPincode": "1234"}
    mocked.post(url("automats/install"), payload=waiting, status=201)
    made = await client.automats.install(
        NewAutomat(
            name="Beach house",
            address="Rantatie 1",
            postal_code="00100",
            postal_office="Helsinki",
            timezone="Europe/Helsinki",
            product="key20",
            organization_unit_id="ou-1",
        )
    )
    assert made.installation_pincode == "1234"
    assert "1234" not in repr(made)
    assert sent_json(sent(mocked, "POST", "automats/install")[0]) == {
        "name": "Beach house",
        "address": "Rantatie 1",
        "postalCode": "00100",
        "postalOffice": "Helsinki",
        "timezone": "Europe/Helsinki",
        "product": "key20",
        "organizationUnitId": "ou-1",
    }

    mocked.post(url("automats/00331/uninstall"), status=204)
    await client.automats.uninstall("00331")
    assert len(sent(mocked, "POST", "automats/00331/uninstall")) == 1
    mocked.post(url("automats/00331/replace"), payload=AUTOMAT_WIRE)
    assert (await client.automats.replace("00331")).id == "00331"
    assert sent_json(sent(mocked, "POST", "automats/00331/replace")[0]) is None


async def test_send_and_cancel_a_pincode(client: LivionKeyV2Client, mocked: Any) -> None:
    mocked.post(
        url("automats/00331/sendPincode"), payload={"success": False, "reason": "AUTOMAT_BUSY"}
    )
    result = await client.automats.send_pincode("00331", "233123", proximity_check=True)
    assert (result.success, result.reason) == (False, "AUTOMAT_BUSY")
    call = sent(mocked, "POST", "automats/00331/sendPincode")[0]
    assert sent_json(call) == {"pincode": "233123", "proximityCheck": True}
    mocked.post(url("automats/00331/cancelSendPincode"), status=200)
    await client.automats.cancel_send_pincode("00331", "233123")
    call = sent(mocked, "POST", "automats/00331/cancelSendPincode")[0]
    assert sent_json(call) == {"pincode": "233123"}


async def test_send_pincode_is_never_resent(client: LivionKeyV2Client, mocked: Any) -> None:
    mocked.post(url("automats/00331/sendPincode"), status=503, repeat=True)
    with pytest.raises(AmbiguousOutcomeError):
        await client.automats.send_pincode("00331", "233123")
    assert len(sent(mocked, "POST", "automats/00331/sendPincode")) == 1


# -- iLOQ ------------------------------------------------------------------------------------------


async def test_access_rights_without_has_next_stop_at_a_short_page(
    client: LivionKeyV2Client, mocked: Any
) -> None:
    rights = [{"id": f"ar-{i}", "name": f"Door {i}", "realEstatePath": None} for i in range(3)]
    mocked.get(
        url("iloq/accessRights", limit="2", search="Door", returnDefaultAccessesOnly="true"),
        payload={"after": "2", "limit": 2, "data": rights[:2]},
    )
    mocked.get(
        url(
            "iloq/accessRights",
            after="2",
            limit="2",
            search="Door",
            returnDefaultAccessesOnly="true",
        ),
        payload={"after": "3", "limit": 2, "data": rights[2:]},
    )
    found = [
        r.id
        async for r in client.iloq.access_rights.iterate(
            search="Door", default_only=True, page_size=2
        )
    ]
    assert found == ["ar-0", "ar-1", "ar-2"]
    assert len(mocked.requests) == 2


async def test_iloq_list_filters_and_reads_a_contract(
    client: LivionKeyV2Client, mocked: Any
) -> None:
    mocked.get(
        url("iloq/keycontracts", ongoing="true"),  # one flag per request, never "false"
        payload={"after": "1", "limit": 20, "hasNext": False, "data": [ILOQ_WIRE]},
    )
    page = await client.iloq.contracts.list(ongoing=True, future=False)
    (contract,) = page.data
    assert contract.contract_type is ContractType.DEFAULT
    assert contract.start == START
    assert contract.end == END
    assert contract.pincodes == ("233123",)  # the key in history has none
    assert contract.contact is not None
    assert contract.contact.notifications == Notifications(
        contract_keys_not_returned=NotificationChannel(sms=False, email=True)
    )
    assert "233123" not in repr(contract)


async def test_several_groups_of_contracts_are_listed_one_by_one_and_merged(
    client: LivionKeyV2Client, mocked: Any
) -> None:
    other = {**ILOQ_WIRE, "id": "c-2"}
    # A contract that starts while it is listed shows up in both listings: yielded once.
    mocked.get(
        url("iloq/keycontracts", future="true", limit="100"),
        payload={"hasNext": False, "data": [ILOQ_WIRE, other]},
    )
    mocked.get(
        url("iloq/keycontracts", ongoing="true", limit="100"),
        payload={"hasNext": False, "data": [ILOQ_WIRE]},
    )
    listed = [c.id async for c in client.iloq.contracts.iterate(ongoing=True, future=True)]
    assert sorted(listed) == sorted([ILOQ_WIRE["id"], "c-2"])
    for group in ("future", "ended"):
        mocked.get(
            url("iloq/keycontracts", limit="100", **{group: "true"}),
            payload={"hasNext": False, "data": [other]},
        )
    not_ongoing = [c.id async for c in client.iloq.contracts.iterate(ongoing=False)]
    assert not_ongoing == ["c-2"]  # ongoing=False alone: the future and the ended ones
    assert len(sent(mocked, "GET", "iloq/keycontracts", limit="100", future="true")) == 2
    assert len(sent(mocked, "GET", "iloq/keycontracts", limit="100", ended="true")) == 1
    with pytest.raises(ValidationError, match="one group"):
        await client.iloq.contracts.list(ongoing=True, future=True)
    with pytest.raises(ValidationError, match="nothing to list"):
        await client.iloq.contracts.list(ongoing=False, ended=False, future=False)


async def test_iloq_create_wraps_the_body_in_input(client: LivionKeyV2Client, mocked: Any) -> None:
    mocked.post(url("iloq/keycontracts"), payload=ILOQ_WIRE, status=201)
    made = await client.iloq.contracts.create(
        NewIloqKeyContract(
            access_right_ids=["ar-1"],
            key_automat_id="00331",
            number_of_keys=1,
            start=START,
            end=END,
            contact=Contact("Åsa Öberg", email="asa@example.com", send_sms=False, send_email=False),
        )
    )
    assert made.id == "c-1"
    call = sent(mocked, "POST", "iloq/keycontracts")[0]
    assert sent_json(call) == {
        "input": {
            "contractType": 1,
            "accessRightIds": ["ar-1"],
            "start": START_WIRE,
            "end": END_WIRE,
            "contact": {
                "name": "Åsa Öberg",
                "email": "asa@example.com",
                "sendSms": False,
                "sendEmail": False,
            },
            "numberOfKeys": 1,
            "keyAutomatId": "00331",
        }
    }
    assert "Åsa".encode() in call.kwargs["data"]  # sent as UTF-8, not \u-escaped


async def test_iloq_documented_failures(client: LivionKeyV2Client, mocked: Any) -> None:
    body = {"statusCode": 409, "message": "No device(s) available", "error": "Conflict"}
    mocked.post(url("iloq/keycontracts"), payload=body, status=409)
    with pytest.raises(NoKeysAvailableError, match="No device"):
        await client.iloq.contracts.create(
            NewIloqKeyContract(
                contract_type=ContractType.RETURN, key_ids=["s5-1"], end=END, pincodes=["1234"]
            )
        )
    mocked.patch(url("iloq/keycontracts/c-1"), payload={"message": "Overlapping"}, status=409)
    with pytest.raises(ContractOverlapError):
        await client.iloq.contracts.update("c-1", IloqContractUpdate(end=END))
    assert sent_json(sent(mocked, "PATCH", "iloq/keycontracts/c-1")[0]) == {"end": END_WIRE}
    in_use = "Contract cannot be deleted: a key has been fetched but not yet returned"
    mocked.delete(url("iloq/keycontracts/c-1"), payload={"message": in_use}, status=400)
    with pytest.raises(ContractInUseError) as caught:
        await client.iloq.contracts.delete("c-1")
    assert caught.value.status == 400
    # Any other 400 is what it says, not "in use": a malformed id, say.
    mocked.delete(url("iloq/keycontracts/c-1"), payload={"message": "id is invalid"}, status=400)
    with pytest.raises(ValidationError) as malformed:
        await client.iloq.contracts.delete("c-1")
    assert type(malformed.value) is ValidationError
    mocked.delete(url("iloq/keycontracts/c-9"), payload={"message": "Not Found"}, status=404)
    with pytest.raises(NotFoundError):  # gone on a first attempt: the caller is told
        await client.iloq.contracts.delete("c-9")
    mocked.get(url("iloq/keycontracts/c-2"), payload={"message": "Not Found"}, status=404)
    with pytest.raises(NotFoundError):
        await client.iloq.contracts.get("c-2")


async def test_iloq_create_is_never_resent(client: LivionKeyV2Client, mocked: Any) -> None:
    mocked.post(url("iloq/keycontracts"), status=502, repeat=True)
    spec = NewIloqKeyContract(
        contract_type=ContractType.FETCH, access_right_ids=["ar"], key_ids=["s5"], start=START
    )
    with pytest.raises(AmbiguousOutcomeError):
        await client.iloq.contracts.create(spec)
    assert len(sent(mocked, "POST", "iloq/keycontracts")) == 1


@pytest.mark.parametrize(
    ("spec", "field"),
    [
        (NewIloqKeyContract(start=START, end=END, key_automat_id="a", number_of_keys=1), "access"),
        (NewIloqKeyContract(access_right_ids=["a"], end=END, key_ids=["k"]), "start"),
        (NewIloqKeyContract(access_right_ids=["a"], start=START, key_ids=["k"]), "end"),
        (NewIloqKeyContract(access_right_ids=["a"], start=START, end=END), "where the keys"),
        (
            NewIloqKeyContract(access_right_ids=["a"], start=START, end=END, key_automat_id="a"),
            "number_of_keys",
        ),
        (
            NewIloqKeyContract(
                access_right_ids=["a"],
                start=START,
                end=END,
                key_automat_id="a",
                number_of_keys=2,
                pincodes=["123456"],
            ),
            "one pincode per key",
        ),
        (NewIloqKeyContract(contract_type=ContractType.RETURN, end=END), "key_ids"),
        (
            NewIloqKeyContract(
                contract_type=ContractType.RETURN, key_ids=["k"], end=END, access_right_ids=["a"]
            ),
            "RETURN",
        ),
        (
            NewIloqKeyContract(
                access_right_ids=["a"], start=START.replace(tzinfo=None), end=END, key_ids=["k"]
            ),
            "timezone",
        ),
        (NewIloqKeyContract(access_right_ids=["a"], start=END, end=START, key_ids=["k"]), "after"),
        (
            NewIloqKeyContract(
                access_right_ids=["a"], start=START, end=END, key_ids=["k"], pincodes=["12ab"]
            ),
            "digits",
        ),
        (
            NewIloqKeyContract(
                access_right_ids=["a"],
                start=START,
                end=END,
                key_ids=["k"],
                contact=Contact("x", language="fi-fi"),
            ),
            "language",
        ),
    ],
)
async def test_iloq_contracts_are_checked_before_sending(
    client: LivionKeyV2Client, mocked: Any, spec: NewIloqKeyContract, field: str
) -> None:
    with pytest.raises(ValidationError, match=field):
        await client.iloq.contracts.create(spec)
    assert not mocked.requests


# -- mechanical ------------------------------------------------------------------------------------


async def test_mechanical_contract_create_and_read(client: LivionKeyV2Client, mocked: Any) -> None:
    mocked.post(url("mechanical/keycontracts"), payload=MECH_WIRE, status=201)
    made = await client.mechanical.contracts.create(
        NewMechanicalKeyContract(
            id="booking-1",
            start=START,
            end=END,
            contact=Contact("John Doe", send_sms=False, send_email=False, language="en"),
            keys=[NewContractKey("k1", pincode="594395")],
            user_verification=UserVerification.SIGNATURE,
            free_locker_after_fetch=False,
        )
    )
    assert sent_json(sent(mocked, "POST", "mechanical/keycontracts")[0]) == {
        "start": START_WIRE,
        "end": END_WIRE,
        "contact": {"name": "John Doe", "sendSms": False, "sendEmail": False, "language": "en"},
        "keys": [{"id": "k1", "storageInfo": {"pincode": "594395"}}],
        "id": "booking-1",
        "userVerification": "1",
        "freeLockerAfterFetch": False,
    }
    assert made.user_verification is UserVerification.SIGNATURE
    assert made.pincodes == ("594395",)
    assert made.keys[1].storage_info is not None
    assert made.keys[1].storage_info.manual_storage_info == "Shelf 1"


async def test_mechanical_contract_failures_and_find(
    client: LivionKeyV2Client, mocked: Any
) -> None:
    mocked.post(url("mechanical/keycontracts"), payload={"message": "exists"}, status=409)
    with pytest.raises(DuplicateContractError):
        await client.mechanical.contracts.create(
            NewMechanicalKeyContract(
                id="booking-1", start=START, contact=Contact("x"), keys=[NewContractKey("k1")]
            )
        )
    mocked.get(url("mechanical/keycontracts/nope"), status=404)
    assert await client.mechanical.contracts.find("nope") is None
    mocked.get(url("mechanical/keycontracts/booking-1"), payload=MECH_WIRE)
    assert (await client.mechanical.contracts.find("booking-1")) is not None
    mocked.patch(url("mechanical/keycontracts/booking-1"), payload=MECH_WIRE)
    await client.mechanical.contracts.update(
        "booking-1", MechanicalContractUpdate(end=END, user_verification=UserVerification.NONE)
    )
    call = sent(mocked, "PATCH", "mechanical/keycontracts/booking-1")[0]
    assert sent_json(call) == {"end": END_WIRE, "userVerification": "0"}
    mocked.delete(
        url("mechanical/keycontracts/booking-1"),
        payload={"message": ["Contract can not be deleted, a key is out"]},
        status=400,
    )
    with pytest.raises(ContractInUseError):
        await client.mechanical.contracts.delete("booking-1")
    mocked.delete(url("mechanical/keycontracts/booking-1"), status=400)
    with pytest.raises(ValidationError) as unsaid:
        await client.mechanical.contracts.delete("booking-1")
    assert not isinstance(unsaid.value, ContractInUseError)  # a 400 that says nothing


async def test_mechanical_keys(client: LivionKeyV2Client, mocked: Any) -> None:
    mocked.get(
        url("mechanical/keys", limit="100", selectedStorage="1", automatId="00053"),
        payload={"after": "1", "limit": 100, "hasNext": False, "data": [KEY_WIRE]},
    )
    page = await client.mechanical.keys.list(
        limit=100, selected_storage=StorageKind.DEVICE, automat_id="00053"
    )
    (key,) = page.data
    assert key.selected_storage == KeyStorage(automat_id="00053")
    assert key.storage is None
    assert key.available is False
    mocked.post(url("mechanical/keys"), payload=KEY_WIRE, status=201)
    await client.mechanical.keys.create(
        NewMechanicalKey(id="k1", selected_storage=KeyStorage(automat_id="00053"))
    )
    assert sent_json(sent(mocked, "POST", "mechanical/keys")[0]) == {
        "id": "k1",
        "selectedStorage": {"automatId": "00053"},
        "away": False,  # required on the wire: sent at its default
    }
    mocked.post(url("mechanical/keys"), payload={"message": "Key already exists"}, status=409)
    with pytest.raises(DuplicateKeyError):
        await client.mechanical.keys.create(
            NewMechanicalKey(id="k1", selected_storage=KeyStorage(manual_storage_info="Shelf"))
        )
    mocked.patch(url("mechanical/keys/k1"), payload=KEY_WIRE)
    await client.mechanical.keys.update("k1", MechanicalKeyUpdate(shared=True))
    assert sent_json(sent(mocked, "PATCH", "mechanical/keys/k1")[0]) == {"shared": True}
    mocked.delete(url("mechanical/keys/k1"), status=204)
    await client.mechanical.keys.delete("k1", delete_active_contracts=True)
    call = sent(mocked, "DELETE", "mechanical/keys/k1")[0]
    assert sent_json(call) == {"deleteActiveContracts": True}  # a DELETE with a body


async def test_mechanical_checks_before_sending(client: LivionKeyV2Client, mocked: Any) -> None:
    with pytest.raises(ValidationError, match="cannot mix"):
        await client.mechanical.contracts.create(
            NewMechanicalKeyContract(
                start=START,
                contact=Contact("x"),
                keys=[NewContractKey("a"), NewContractKey("b", manual_storage_info="Shelf")],
            )
        )
    with pytest.raises(ValidationError, match="iloq_person_id"):
        await client.mechanical.contracts.create(
            NewMechanicalKeyContract(
                start=START, contact=Contact("x", iloq_person_id="p"), keys=[NewContractKey("a")]
            )
        )
    with pytest.raises(ValidationError, match="exactly one"):
        await client.mechanical.keys.create(NewMechanicalKey(id="k", selected_storage=KeyStorage()))
    with pytest.raises(ValidationError, match="shared"):
        await client.mechanical.keys.create(
            NewMechanicalKey(
                id="k", selected_storage=KeyStorage(manual_storage_info="S"), shared=True
            )
        )
    assert not mocked.requests


# -- groups, organization units, service accounts --------------------------------------------------


async def test_groups(client: LivionKeyV2Client, mocked: Any) -> None:
    group = {"id": "g1", "name": "Downtown", "customerId": "c1", "type": 1, "members": []}
    mocked.get(
        url("groups", customerId="c1", search="Down"),
        payload={"after": "1", "limit": 20, "hasNext": False, "data": [group]},
    )
    (found,) = (await client.groups.list(customer_id="c1", search="Down")).data
    assert found.type is GroupType.DEVICE
    mocked.post(url("groups"), payload=group, status=201)
    await client.groups.create(NewGroup(name="Downtown", customer_id="c1"))
    assert sent_json(sent(mocked, "POST", "groups")[0]) == {
        "name": "Downtown",
        "customerId": "c1",
        "type": 1,
    }
    mocked.patch(url("groups/g1"), payload=group)
    await client.groups.update("g1", GroupUpdate(name="Uptown"))
    mocked.get(url("groups/g1"), payload=group)
    assert (await client.groups.get("g1")).members == ()
    mocked.delete(url("groups/g1"), status=204)
    await client.groups.delete("g1")


async def test_organization_unit_with_its_iloq_api_user(
    client: LivionKeyV2Client, mocked: Any
) -> None:
    user = {
        "username": "lk-api",
        "password": "iloq-s3cret",
        "customerCode": "CUST1",
        "serviceAddress": "https://s5.iloq.example",
    }
    answer = {
        "id": "ou-2",
        "name": "Beach",
        "customerId": "c1",
        "iloqApiUser": user,
        "parentId": "ou-1",
        "type": 5,
    }
    mocked.post(url("organizationUnits"), payload=answer, status=201)
    unit = await client.organization_units.create(
        NewOrganizationUnit(
            name="Beach",
            customer_id="c1",
            type=OrganizationUnitType.COMPANY,
            parent_id="ou-1",
            iloq_api_user=IloqApiUser(
                service_address="https://s5.iloq.example",
                customer_code="CUST1",
                username="lk-api",
                password="iloq-s3cret",
            ),
        )
    )
    assert sent_json(sent(mocked, "POST", "organizationUnits")[0]) == {
        "name": "Beach",
        "customerId": "c1",
        "type": 5,
        "parentId": "ou-1",
        "iloqApiUser": {
            "serviceAddress": "https://s5.iloq.example",
            "customerCode": "CUST1",
            "username": "lk-api",
            "password": "iloq-s3cret",
        },
    }
    assert unit.type is OrganizationUnitType.COMPANY
    assert unit.iloq_api_user is not None
    assert unit.iloq_api_user.customer_code == "CUST1"
    assert "iloq-s3cret" not in repr(unit)


async def test_service_accounts(client: LivionKeyV2Client, mocked: Any) -> None:
    answer = {
        "id": "sa-2",
        "name": "PMS",
        "role": "admin",
        "privateKey": "-----BEGIN RSA PRIVATE KEY-----\nMIIE\n-----END RSA PRIVATE KEY-----",
        "organizationUnitId": "ou-1",
    }
    mocked.post(url("serviceAccounts"), payload=answer, status=201)
    account = await client.service_accounts.create(
        NewServiceAccount(organization_unit_id="ou-1", name="PMS")
    )
    assert account.private_key is not None
    assert "MIIE" in account.private_key
    assert "MIIE" not in repr(account)
    mocked.delete(url("serviceAccounts/sa-2"), status=204)
    await client.service_accounts.delete("sa-2")


# -- a success whose answer cannot be read ---------------------------------------------------------

PRIVATE_KEY_TEXT = "-----BEGIN RSA PRIVATE KEY-----\nMIIEsecret\n-----END RSA PRIVATE KEY-----"
ILOQ_USER = IloqApiUser(
    service_address="https://s5.iloq.example",
    customer_code="CUST1",
    username="lk-api",
    password="iloq-s3cret",
)
NEW_AUTOMAT = NewAutomat(
    name="A",
    address="Rantatie 1",
    postal_code="00100",
    postal_office="Helsinki",
    timezone="Europe/Helsinki",
    product="key20",
)
CREATES: list[tuple[str, Any]] = [
    (
        "iloq/keycontracts",
        lambda c: c.iloq.contracts.create(
            NewIloqKeyContract(
                access_right_ids=["ar-1"],
                key_automat_id="00331",
                number_of_keys=1,
                start=START,
                end=END,
            )
        ),
    ),
    (
        "mechanical/keycontracts",
        lambda c: c.mechanical.contracts.create(
            NewMechanicalKeyContract(start=START, contact=Contact("x"), keys=[NewContractKey("k")])
        ),
    ),
    (
        "mechanical/keys",
        lambda c: c.mechanical.keys.create(
            NewMechanicalKey(id="k", selected_storage=KeyStorage(automat_id="00053"))
        ),
    ),
    ("groups", lambda c: c.groups.create(NewGroup(name="G", customer_id="c1"))),
    (
        "organizationUnits",
        lambda c: c.organization_units.create(
            NewOrganizationUnit(name="U", customer_id="c1", iloq_api_user=ILOQ_USER)
        ),
    ),
    (
        "serviceAccounts",
        lambda c: c.service_accounts.create(NewServiceAccount(organization_unit_id="o", name="n")),
    ),
    ("automats/install", lambda c: c.automats.install(NEW_AUTOMAT)),
    ("automats/00331/replace", lambda c: c.automats.replace("00331")),
    ("automats/00331/sendPincode", lambda c: c.automats.send_pincode("00331", "233123")),
]


@pytest.mark.parametrize(("path", "create"), CREATES, ids=[path for path, _ in CREATES])
async def test_an_applied_call_whose_answer_cannot_be_read_is_ambiguous(
    client: LivionKeyV2Client, mocked: Any, path: str, create: Any
) -> None:
    # The server did it (201), but its answer is not what this version reads: never "failed".
    answer = {"id": ["not", "an", "id"], "privateKey": PRIVATE_KEY_TEXT, "success": "maybe"}
    mocked.post(url(path), payload=answer, status=201)
    with pytest.raises(AmbiguousOutcomeError, match="created, answer unreadable") as raised:
        await create(client)
    assert raised.value.__cause__ is None
    assert "MIIEsecret" not in str(raised.value)
    assert len(sent(mocked, "POST", path)) == 1  # and never sent again


async def test_an_unreadable_read_stays_a_response_format_error(
    client: LivionKeyV2Client, mocked: Any
) -> None:
    mocked.get(url("groups/g1"), payload={"id": ["g1"]})
    with pytest.raises(ResponseFormatError):
        await client.groups.get("g1")


# -- secrets a request carries, echoed back in an error -------------------------------------------


ECHOES = [
    pytest.param(lambda secret: f"pincode {secret} is not valid", id="plain text"),
    pytest.param(lambda secret: {"message": f"bad value {secret}"}, id="json message"),
    pytest.param(lambda secret: {"message": [f"pincodes.0 {secret} is taken"]}, id="json list"),
]


@pytest.mark.parametrize("echo", ECHOES)
async def test_a_requests_own_secrets_never_come_back_in_its_errors(
    client: LivionKeyV2Client, mocked: Any, echo: Any
) -> None:
    def answer(path: str, secret: str, status: int = 400) -> None:
        body = echo(secret)
        if isinstance(body, str):
            mocked.post(url(path), body=body, status=status)
        else:
            mocked.post(url(path), payload=body, status=status)

    answer("automats/00331/sendPincode", "233123")
    answer("automats/00331/cancelSendPincode", "233124")
    answer("organizationUnits", "iloq-s3cret")
    answer("iloq/keycontracts", "481516")
    answer("mechanical/keycontracts", "594395", status=503)  # an ambiguous 5xx, too
    calls = [
        client.automats.send_pincode("00331", "233123"),
        client.automats.cancel_send_pincode("00331", "233124"),
        client.organization_units.create(
            NewOrganizationUnit(name="U", customer_id="c1", iloq_api_user=ILOQ_USER)
        ),
        client.iloq.contracts.create(
            NewIloqKeyContract(
                access_right_ids=["ar-1"],
                key_automat_id="00331",
                number_of_keys=1,
                start=START,
                end=END,
                pincodes=["481516"],
            )
        ),
        client.mechanical.contracts.create(
            NewMechanicalKeyContract(
                start=START, contact=Contact("x"), keys=[NewContractKey("k", pincode="594395")]
            )
        ),
    ]
    for call, secret in zip(
        calls, ["233123", "233124", "iloq-s3cret", "481516", "594395"], strict=True
    ):
        with pytest.raises(LivionKeyError) as raised:
            await call
        shown = f"{raised.value} {raised.value!r}"
        assert secret not in shown
        assert "[redacted]" in shown


async def test_an_echoed_signature_is_scrubbed(client: LivionKeyV2Client, mocked: Any) -> None:
    signatures: list[str] = []

    def echo(_: URL, **request: Any) -> CallbackResult:
        signatures.append(request["headers"]["x-signature"])
        return CallbackResult(status=401, body=f"Invalid signature {signatures[-1]}")

    mocked.get(url("groups/g1"), callback=echo)
    with pytest.raises(AuthenticationError) as raised:
        await client.groups.get("g1")
    assert signatures
    assert signatures[0] not in f"{raised.value} {raised.value!r}"
    assert "[redacted]" in str(raised.value)


def test_secret_fields_are_hidden_in_any_echoed_json() -> None:
    echoed = {
        "pincodes": ["123456", "654321"],
        "privateKey": "-----BEGIN PRIVATE KEY-----\nMIIEsecret\n-----END PRIVATE KEY-----",
        "installationPincode": "8842",
        "password": "hunter22",
    }
    for field, value in echoed.items():
        inner = json.dumps({field: value})
        for body in (json.dumps({"message": f"bad: {inner}"}), f"bad: {inner}"):
            shown = error_from_v2(400, body).message
            assert f'"{field}": [redacted]' in shown, shown
            for secret in ("123456", "654321", "MIIEsecret", "8842", "hunter22"):
                assert secret not in shown
    pem = "-----BEGIN RSA PRIVATE KEY-----\nMIIEsecret\n-----END RSA PRIVATE KEY-----"
    assert "MIIEsecret" not in error_from_v2(400, f"your key {pem} is wrong").message


# -- errors, retries, pagination guards ------------------------------------------------------------


def test_v2_errors_map_by_status_and_read_nest_bodies() -> None:
    body = '{"statusCode":400,"message":["end must be a date","start is required"],"error":"Bad"}'
    error = error_from_v2(400, body)
    assert isinstance(error, ValidationError)
    assert error.message == "end must be a date; start is required"
    assert isinstance(error_from_v2(401, "{}"), AuthenticationError)
    assert isinstance(error_from_v2(403, "Forbidden"), AuthenticationError)
    assert isinstance(error_from_v2(404, '{"message":"Automat not found"}'), NotFoundError)
    limited = error_from_v2(429, "slow down", retry_after=2.0)
    assert isinstance(limited, RateLimitedError)
    assert limited.retry_after == 2.0
    assert isinstance(error_from_v2(503, "<html>"), ServerError)
    echoed = error_from_v2(400, '{"message":"bad","password":"hunter22"}', known=["hunter22"])
    assert "hunter22" not in str(echoed)
    assert error_from_v2(400, '{"password": "hunter22"}').message == '{"password": [redacted]}'


async def test_reads_are_retried_and_a_refused_signature_is_not(
    client: LivionKeyV2Client, mocked: Any
) -> None:
    mocked.get(url("groups/g1"), status=503)
    mocked.get(url("groups/g1"), status=429, headers={"Retry-After": "0"})
    mocked.get(url("groups/g1"), payload={"id": "g1"})
    assert (await client.groups.get("g1")).id == "g1"
    assert client.stats.retries == 2
    assert client.stats.throttled == 1
    mocked.get(url("groups/g2"), payload={"message": "Invalid signature"}, status=401)
    with pytest.raises(AuthenticationError, match="Invalid signature"):
        await client.groups.get("g2")
    assert len(sent(mocked, "GET", "groups/g2")) == 1


async def test_pagination_guards(client: LivionKeyV2Client, mocked: Any) -> None:
    # A cursor that is not a number and comes back: the same page would come again.
    mocked.get(url("automats", limit="1"), payload={"after": "x", "hasNext": True, "data": []})
    mocked.get(
        url("automats", after="x", limit="1"), payload={"after": "x", "hasNext": True, "data": []}
    )
    with pytest.raises(ResponseFormatError, match="came back"):
        _ = [a async for a in client.automats.iterate(page_size=1)]
    # An opaque cursor followed by a page promising more with no cursor at all: no way on.
    mocked.get(url("groups", limit="1"), payload={"after": "x", "hasNext": True, "data": []})
    mocked.get(url("groups", after="x", limit="1"), payload={"hasNext": True, "data": []})
    with pytest.raises(ResponseFormatError, match="next page"):
        _ = [g async for g in client.groups.iterate(page_size=1)]
    with pytest.raises(ValidationError, match="limit"):
        await client.automats.list(limit=101)


def _skip_pages(
    mocked: Any, path: str, items: int, answer: Any, *, has_next: bool | None = True
) -> None:
    """A server whose ``after`` skips that many items (documented), answering ``answer(skip)``
    as its ``after`` (``None``: none)."""
    for skip in range(0, items + 1, 2):
        page: dict[str, Any] = {"data": [{"id": str(i)} for i in range(skip, min(skip + 2, items))]}
        if answer(skip) is not None:
            page["after"] = answer(skip)
        if has_next is not None:
            page["hasNext"] = skip + 2 < items
        query = {"limit": "2"} if skip == 0 else {"after": str(skip), "limit": "2"}
        mocked.get(url(path, **query), payload=page)


@pytest.mark.parametrize(
    ("answer", "has_next"),
    [
        (lambda skip: str(skip + 2), True),  # the next page's after
        (lambda skip: str(skip), True),  # the after it was sent, echoed (page 1: "0")
        (lambda skip: None, True),  # no after at all
        (lambda skip: None, None),  # neither after nor hasNext: full pages go on
    ],
    ids=["next", "echoed", "missing", "bare"],
)
async def test_every_item_once_whatever_the_after_answered(
    client: LivionKeyV2Client, mocked: Any, answer: Any, has_next: bool | None
) -> None:
    _skip_pages(mocked, "automats", 5, answer, has_next=has_next)
    ids = [a.id async for a in client.automats.iterate(page_size=2)]
    assert ids == ["0", "1", "2", "3", "4"]


async def test_a_code_this_version_does_not_know_is_kept_as_a_number(
    client: LivionKeyV2Client, mocked: Any
) -> None:
    # One new code must not make a page unreadable: the known ones are enums, the rest ints.
    mocked.get(
        url("iloq/keycontracts", limit="100"),
        payload={
            "hasNext": False,
            "data": [{**ILOQ_WIRE, "id": "c-9", "contractType": 9}, ILOQ_WIRE],
        },
    )
    unknown, known = [c async for c in client.iloq.contracts.iterate()]
    assert unknown.contract_type == 9
    assert not isinstance(unknown.contract_type, ContractType)
    assert known.contract_type is ContractType.DEFAULT
    mocked.get(url("groups/g1"), payload={"id": "g1", "type": "7"})
    assert (await client.groups.get("g1")).type == 7
    for verification, read in (("", None), ("2", UserVerification.STRONG_AUTHENTICATION), (5, 5)):
        mocked.get(
            url("mechanical/keycontracts/m1"),
            payload={**MECH_WIRE, "id": "m1", "userVerification": verification},
        )
        assert (await client.mechanical.contracts.get("m1")).user_verification == read
    mocked.get(url("groups/g2"), payload={"id": "g2", "type": "device"})
    with pytest.raises(ResponseFormatError, match="Group"):  # not a code at all
        await client.groups.get("g2")


async def test_an_organization_unit_whose_iloq_password_is_masked_or_left_out(
    client: LivionKeyV2Client, mocked: Any
) -> None:
    for user in ({"username": "lk-api", "customerCode": "CUST1"}, {"password": "****"}, {}):
        answer = {"id": "ou-3", "type": 42, "iloqApiUser": user}
        mocked.post(url("organizationUnits"), payload=answer, status=201)
        unit = await client.organization_units.create(
            NewOrganizationUnit(name="Beach", customer_id="c1", iloq_api_user=ILOQ_USER)
        )
        assert unit.type == 42
        assert unit.iloq_api_user is not None
        assert unit.iloq_api_user.service_address is None
        assert "iloq-s3cret" not in repr(unit)


async def test_bad_ids_and_paths_are_refused_locally(
    client: LivionKeyV2Client, mocked: Any
) -> None:
    for bad in ("", "..", "a?b"):
        with pytest.raises(ValidationError):
            await client.automats.get(bad)
    assert not mocked.requests


def test_the_client_checks_its_options_and_hides_its_key(rsa_key_pem: str) -> None:
    client = LivionKeyV2Client(ACCOUNT, rsa_key_pem, base_url=BASE)
    assert ACCOUNT in repr(client)
    assert rsa_key_pem.splitlines()[1] not in repr(client)
    with pytest.raises(ValidationError, match="https"):
        LivionKeyV2Client(ACCOUNT, rsa_key_pem, base_url="http://api.example.test/v2")
    with pytest.raises(ValidationError, match="max_connections"):
        LivionKeyV2Client(ACCOUNT, rsa_key_pem, base_url=BASE, max_connections=0)
    assert str(client.base_url) == f"{BASE}/"
