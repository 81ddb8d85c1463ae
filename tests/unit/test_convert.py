"""The converter reads every example payload of the spec, with all of its quirks."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from livionkey_async import (
    Contact,
    Contract,
    ContractUpdate,
    Device,
    DevicePage,
    Key,
    KeyEvent,
    KeyRef,
    Locker,
    NewContract,
    NewKey,
    Recurrence,
    ResponseFormatError,
)
from livionkey_async._convert import format_datetime, parse_datetime, structure, unstructure
from livionkey_async._models import LoginResult

T0 = datetime(2026, 10, 1, 12, 0, tzinfo=UTC)

CONTRACT = {
    "id": "5f1e0c",
    "contractId": "booking-543553",
    "keyId": "A4324",
    "devices": [{"id": "00053", "keyId": "A4324", "product": "key30"}],
    "pincode": "594395",
    "start": "2026-10-01T12:00:00.000Z",
    "end": "2026-10-02T12:00:00.000Z",
    "perm": False,
    "person": "John Doe",
    "contacts": [
        {
            "email": "john@example.com",
            "phoneNumber": "+358401234567",
            "sendSms": True,
            "sendEmail": True,
            "language": "en-gb",
        }
    ],
    "freeText": "welcome",
    "tag": "lobby",
    "recurrent": False,
    "type": "default",
}


def test_login_answer_with_http_date() -> None:
    result = structure(
        {"token": "jwt", "expirationTime": "Tue, 06 Aug 2019 11:31:29 GMT"}, LoginResult
    )
    assert result.expiration_time == datetime(2019, 8, 6, 11, 31, 29, tzinfo=UTC)
    assert "jwt" not in repr(result)


def test_device_list_shape_uses_device_id() -> None:
    devices = structure(
        [
            {
                "deviceId": "00053",
                "name": "Lobby",
                "tag": ["a", "b"],
                "connectionState": "connected",
                "synced": {"timestamp": "2026-10-01T12:00:00.000Z", "isSynced": True},
            }
        ],
        list[Device],
    )
    assert devices[0].device_id == "00053"
    assert devices[0].tag == ("a", "b")
    assert devices[0].synced is not None
    assert devices[0].synced.timestamp == T0


def test_device_page_shape_uses_id_and_string_locker_index() -> None:
    page = structure(
        {
            "devices": [
                {
                    "id": "00053",
                    "product": "key30",
                    "name": "Lobby",
                    "tag": "lobby",
                    "connectionState": "connected",
                    "synced": {"timestamp": "2026-10-01T12:00:00.000Z", "isSynced": False},
                    "lockers": [
                        {
                            "lockerIndex": "7",
                            "state": "lockerWithKey",
                            "isKeyInside": True,
                            "key": {"id": "A4324", "name": "Flat 12"},
                        }
                    ],
                }
            ],
            "pageInfo": {"start": 0, "end": 1, "hasNext": True},
        },
        DevicePage,
    )
    device = page.devices[0]
    assert (device.device_id, device.product, device.tag) == ("00053", "key30", ("lobby",))
    assert device.lockers is not None
    assert device.lockers[0].locker_index == 7
    assert device.lockers[0].key is not None
    assert device.lockers[0].key.name == "Flat 12"
    assert page.page_info.has_next is True


def test_key_with_contracts_and_secrets_out_of_repr() -> None:
    key = structure(
        {
            "keyId": "A4324",
            "keyName": "Flat 12",
            "shared": False,
            "keyCode": "998877",
            "backupCodes": ["111111", "222222"],
            "lockerIndex": 3,
            "contracts": [CONTRACT],
        },
        Key,
    )
    assert key.name == "Flat 12"
    assert key.backup_codes == ("111111", "222222")
    assert key.contracts[0].keys == (KeyRef("00053", "A4324"),)
    text = repr(key)
    for secret in ("998877", "111111", "594395"):
        assert secret not in text


def test_contract_reads_every_field() -> None:
    contract = structure(CONTRACT, Contract)
    assert contract.contract_id == "booking-543553"
    assert contract.start == T0
    assert contract.contacts[0] == Contact(
        email="john@example.com",
        phone_number="+358401234567",
        send_sms=True,
        send_email=True,
        language="en-gb",
    )
    assert contract.tag == ("lobby",)
    assert contract.pincode == "594395"


def test_permanent_contract_with_null_end() -> None:
    contract = structure({**CONTRACT, "perm": True, "end": None, "tag": None}, Contract)
    assert contract.perm is True
    assert contract.end is None
    assert contract.tag == ()


def test_key_event() -> None:
    event = structure(
        {
            "id": "ev1",
            "timestamp": "2026-10-01T12:00:00.000Z",
            "tag": "lobby",
            "source": "device",
            "sourceId": "00053",
            "action": "key-fetched",
            "data": {
                "before": None,
                "after": {"lockerIndex": "3", "keyId": "A4324"},
                "text": None,
                "value": None,
                "sourceTime": "2026-10-01T11:59:59.000Z",
                "attachment": None,
            },
        },
        KeyEvent,
    )
    assert event.action == "key-fetched"
    assert event.data is not None
    assert event.data.after is not None
    assert event.data.after.locker_index == 3


def test_lockers_answer() -> None:
    lockers = structure(
        [{"lockerIndex": "0", "state": "empty", "isKeyInside": False}], list[Locker]
    )
    assert lockers == [Locker(locker_index=0, state="empty", is_key_inside=False)]


@pytest.mark.parametrize(
    ("payload", "where"),
    [({"keyId": "A1", "lockerIndex": "x"}, "locker_index"), ({"keyName": "n"}, "key_id")],
)
def test_malformed_answer_is_a_typed_error_without_values(payload: object, where: str) -> None:
    with pytest.raises(ResponseFormatError) as caught:
        structure(payload, Key)
    assert where in caught.value.message


def test_new_contract_to_wire() -> None:
    spec = NewContract(
        contract_id="booking-1",
        keys=[KeyRef(device_id="00053", key_id="A4324")],
        start=T0,
        end=datetime(2026, 10, 2, 14, 0, tzinfo=UTC),
        person="John Doe",
        contacts=[Contact(email="john@example.com", language="fi-fi")],
    )
    assert unstructure(spec) == {
        "contractId": "booking-1",
        "devices": [{"id": "00053", "keyId": "A4324"}],
        "start": "2026-10-01T12:00:00.000Z",
        "end": "2026-10-02T14:00:00.000Z",
        "person": "John Doe",
        "contacts": [{"email": "john@example.com", "language": "fi-fi"}],
    }


def test_new_contract_without_contacts_still_sends_the_field() -> None:
    spec = NewContract(
        contract_id="c", keys=[KeyRef("1", "A")], start=T0, person="P", perm=True, pincode="1234"
    )
    wire = unstructure(spec)
    assert wire["contacts"] == []
    assert wire["perm"] is True
    assert wire["pincode"] == "1234"
    assert "end" not in wire


def test_update_and_new_key_to_wire() -> None:
    assert unstructure(ContractUpdate(keys=[KeyRef("1", "A")], person="Q")) == {
        "devices": [{"id": "1", "keyId": "A"}],
        "person": "Q",
    }
    assert unstructure(NewKey(key_id="A1", name="Flat", device_id="1", locker_index=0)) == {
        "keyId": "A1",
        "keyName": "Flat",
        "deviceId": "1",
        "lockerIndex": "0",  # the reference types it String in what we send
    }


def test_datetimes_in_both_forms_and_offsets() -> None:
    assert parse_datetime("2026-10-01T14:00:00.000+02:00") == T0
    assert parse_datetime("Thu, 01 Oct 2026 12:00:00 GMT") == T0
    assert (
        format_datetime(
            datetime(2026, 10, 1, 14, 0, tzinfo=parse_datetime("2026-10-01T14:00:00+02:00").tzinfo)
        )
        == "2026-10-01T14:00:00.000Z"
    )
    with pytest.raises(ValueError, match="not an ISO-8601"):
        parse_datetime("yesterday")


# -- properties ------------------------------------------------------------------------------

_text = st.text(min_size=1, max_size=12)
_instants = st.datetimes(
    min_value=datetime(2000, 1, 1), max_value=datetime(2100, 1, 1), timezones=st.just(UTC)
).map(lambda d: d.replace(microsecond=d.microsecond // 1000 * 1000))
_contacts = st.builds(
    Contact,
    email=st.none() | st.emails(),
    phone_number=st.none() | st.from_regex(r"\+\d{6,12}", fullmatch=True),
    send_sms=st.none() | st.booleans(),
    send_email=st.none() | st.booleans(),
    language=st.none() | st.sampled_from(["fi-fi", "en-gb", "swe-swe", "no-no", "da-da"]),
    name=st.none() | _text,
)
_clock_times = st.from_regex(r"([01][0-9]|2[0-3]):[0-5][0-9]", fullmatch=True)
_recurrences = st.builds(
    Recurrence,
    start_time=_clock_times,
    end_time=_clock_times,
    days=st.frozensets(st.integers(min_value=0, max_value=6)),
)
_contracts = st.builds(
    Contract,
    id=st.none() | _text,
    contract_id=st.none() | _text,
    keys=st.lists(st.builds(KeyRef, device_id=_text, key_id=_text), max_size=3).map(tuple),
    pincode=st.none() | st.from_regex(r"\d{6}", fullmatch=True),
    start=st.none() | _instants,
    end=st.none() | _instants,
    perm=st.booleans(),
    person=st.none() | _text,
    contacts=st.lists(_contacts, max_size=2).map(tuple),
    free_text=st.none() | st.text(max_size=20),
    tag=st.lists(_text, max_size=3).map(tuple),
    recurrent=st.lists(_recurrences, max_size=2).map(tuple),
)


@given(_contracts)
def test_contract_round_trips(contract: Contract) -> None:
    assert structure(unstructure(contract), Contract) == contract


@given(st.one_of(st.text(), st.lists(st.text(), max_size=4)))
def test_tag_is_always_a_tuple_of_strings(tag: str | list[str]) -> None:
    device = structure({"deviceId": "1", "tag": tag}, Device)
    assert isinstance(device.tag, tuple)
    assert all(isinstance(t, str) for t in device.tag)
    if isinstance(tag, list):
        assert device.tag == tuple(tag)


@given(st.integers(min_value=0, max_value=10_000), st.booleans())
def test_locker_index_as_string_or_int(index: int, as_string: bool) -> None:
    locker = structure({"lockerIndex": str(index) if as_string else index}, Locker)
    assert locker.locker_index == index


@given(_instants)
def test_datetime_format_round_trips(instant: datetime) -> None:
    assert parse_datetime(format_datetime(instant)) == instant
