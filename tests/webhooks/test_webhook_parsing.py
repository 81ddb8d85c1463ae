"""Reading every body Livion publishes, in both shapes, and writing each back the same.

The fixtures are the documents' own examples (see ``tests/fixtures/webhooks/README.md``); the
tolerance cases are the ones the documents announce (absent ``deviceId`` for manual storage, absent
``contractId`` for return codes, absent ``keyId``/``lockerIndex`` for access codes) and the quirks
the rest of the API has shown (numbers as text, ids as numbers).
"""

from __future__ import annotations

import json
from datetime import UTC, datetime

import attrs
import pytest
from webhook_support import fixture_bytes, fixture_json, fixture_names

from livionkey_async import LivionKeyError, ValidationError
from livionkey_async._events import SECRET_FIELDS
from livionkey_async.webhooks import (
    CodeEnteredEvent,
    ContractUpdateEvent,
    DeviceAlarmEvent,
    KeyStatusEvent,
    UnknownEvent,
    WebhookEvent,
    WebhookPayloadError,
    encode_event,
    event_type,
    parse_event,
    sample_events,
)

OBJECT_ID = "9783297772ddh2i29d89238d39820"
T_EVENT = datetime(2021, 5, 11, 11, 46, 55, 8000, tzinfo=UTC)
T_START = datetime(2021, 6, 1, 9, 0, 0, 8000, tzinfo=UTC)
T_END = datetime(2021, 6, 30, 9, 0, 0, 8000, tzinfo=UTC)
T_ALARM = datetime(2026, 4, 2, 9, 30, tzinfo=UTC)


def test_the_fixtures_are_every_published_example() -> None:
    assert len(fixture_names("legacy-")) == 6  # 4 event types, 3 of them alarms
    assert len(fixture_names("v2-")) == 6  # 5 examples + the earlier draft's envelope


# -- legacy flat bodies ----------------------------------------------------------------------------


def test_legacy_key_status() -> None:
    event = parse_event(fixture_bytes("legacy-key-status.json"))
    assert event == KeyStatusEvent(
        state="key-fetched", device_id="000000", locker_index=1, key_id="key1",
        contract_id="Contract1", contract_object_id=OBJECT_ID, occurred_at=T_EVENT,
        tag=("livion/key/customer1",), shape="legacy",
    )  # fmt: skip


def test_legacy_contract_update_type_is_the_contract_type() -> None:
    event = parse_event(fixture_bytes("legacy-contract-update.json"))
    assert event == ContractUpdateEvent(
        contract_type="default", pincode="124578", contract_id="Contract1",
        contract_object_id=OBJECT_ID, occurred_at=T_EVENT, start=T_START, end=T_END,
        device_id="234521", key_id="key1", tag=("livion/key/customer1",), shape="legacy",
    )  # fmt: skip


def test_legacy_code_entered_type_is_the_kind_of_code() -> None:
    event = parse_event(fixture_bytes("legacy-code-entered.json"))
    assert event == CodeEnteredEvent(
        code_type="right-pincode", code="124578", device_id="234521", locker_index=1,
        key_id="key1", contract_id="Contract1", contract_object_id=OBJECT_ID,
        occurred_at=T_EVENT, tag=("livion/key/customer1",), shape="legacy",
    )  # fmt: skip


@pytest.mark.parametrize(
    ("name", "alarm_type", "state", "start", "end", "acknowledged"),
    [
        ("legacy-device-alarm-activated.json", "DEVICE_DISCONNECTED", "activated", T_ALARM,
         None, False),
        ("legacy-device-alarm-acknowledged.json", "DEVICE_DISCONNECTED", "activated", T_ALARM,
         None, True),
        ("legacy-device-alarm-deactivated.json", "DEVICE_MOVED", "deactivated",
         datetime(2026, 4, 2, 9, 0, tzinfo=UTC), datetime(2026, 4, 2, 9, 35, tzinfo=UTC), True),
    ],
)  # fmt: skip
def test_legacy_device_alarms(
    name: str,
    alarm_type: str,
    state: str,
    start: datetime,
    end: datetime | None,
    acknowledged: bool,
) -> None:
    event = parse_event(fixture_bytes(name))
    assert event == DeviceAlarmEvent(
        alarm_type=alarm_type, device_id="device123", state=state, start=start, end=end,
        acknowledged=acknowledged, shape="legacy",
    )  # fmt: skip
    assert event.occurred_at is None  # a legacy alarm has no `time`


# -- v2 envelopes ----------------------------------------------------------------------------------


def _envelope(created: str) -> dict[str, object]:
    return {
        "occurred_at": T_EVENT,
        "created_at": datetime.fromisoformat(created),
        "organization_unit_id": "customer1",
        "spec_version": "1",
        "shape": "v2",
    }


def test_v2_key_status_in_a_device() -> None:
    event = parse_event(fixture_bytes("v2-key-status-device.json"))
    assert event == KeyStatusEvent(
        state="key-fetched", storage_type="device", device_id="234521", locker_index=1,
        key_id="key1", contract_id="Contract1", contract_object_id=OBJECT_ID,
        **_envelope("2021-05-11T11:46:55.421+00:00"),  # type: ignore[arg-type]
    )  # fmt: skip


def test_v2_key_status_in_manual_storage_has_no_device() -> None:
    event = parse_event(fixture_bytes("v2-key-status-manual-storage.json"))
    assert isinstance(event, KeyStatusEvent)
    assert event.storage_type == "manualStorage"
    assert event.device_id is None
    assert event.locker_index is None
    assert (event.key_id, event.contract_id) == ("key1", "Contract1")


def test_v2_contract_update() -> None:
    event = parse_event(fixture_bytes("v2-contract-update.json"))
    assert event == ContractUpdateEvent(
        contract_type="default", contract_id="Contract1", contract_object_id=OBJECT_ID,
        pincode="124578", start=T_START, end=T_END, device_id="234521", key_id="key1",
        **_envelope("2021-05-11T11:46:55.377+00:00"),  # type: ignore[arg-type]
    )  # fmt: skip


def test_v2_code_entered() -> None:
    event = parse_event(fixture_bytes("v2-code-entered.json"))
    assert event == CodeEnteredEvent(
        code_type="right-pincode", code="124578", device_id="234521", locker_index=1,
        key_id="key1", contract_id="Contract1", contract_object_id=OBJECT_ID,
        **_envelope("2021-05-11T11:46:55.298+00:00"),  # type: ignore[arg-type]
    )  # fmt: skip


def test_v2_device_alarm() -> None:
    event = parse_event(fixture_bytes("v2-device-alarm.json"))
    assert isinstance(event, DeviceAlarmEvent)
    assert (event.alarm_type, event.state, event.device_id) == (
        "DEVICE_DISCONNECTED",
        "activated",
        "device123",
    )
    assert (event.start, event.end, event.acknowledged) == (T_ALARM, None, False)
    assert event.occurred_at == T_ALARM
    assert event.created_at == datetime(2026, 4, 2, 9, 30, 0, 244000, tzinfo=UTC)


def test_v2_envelope_of_the_earlier_draft_keeps_its_event_id() -> None:
    event = parse_event(fixture_bytes("v2-draft-key-status-with-event-id.json"))
    assert isinstance(event, KeyStatusEvent)
    assert event.event_id == "evt_018f2c9a1e4b7c319f2a2b1c8d4e5f60"
    assert event.organization_unit_id == "livion/key/customer1"
    assert event.state == "key-fetched"


# -- every example written back in its own shape -------------------------------------------------


@pytest.mark.parametrize("name", fixture_names())
def test_every_example_is_written_back_as_published(name: str) -> None:
    event = parse_event(fixture_bytes(name))
    assert not isinstance(event, UnknownEvent)
    assert event.shape is not None
    assert json.loads(encode_event(event, shape=event.shape)) == fixture_json(name)


def test_samples_round_trip_in_both_shapes() -> None:
    for sample in sample_events(datetime(2026, 11, 2, 8, 0, 0, 123456, tzinfo=UTC)):
        v2 = encode_event(sample, shape="v2")
        assert parse_event(v2) == attrs.evolve(sample, shape="v2", spec_version="1", tag=())
        legacy = encode_event(sample, shape="legacy")
        back = parse_event(legacy)
        assert type(back) is type(sample)
        assert back.shape == "legacy"
        assert encode_event(back, shape="legacy") == legacy
        if not isinstance(sample, DeviceAlarmEvent):  # a legacy alarm has no `time` and no tag
            assert (back.occurred_at, back.tag) == (sample.occurred_at, sample.tag)


def test_encoding_is_strict_about_what_the_shape_needs() -> None:
    alarm = DeviceAlarmEvent(state="activated", device_id="d1")
    with pytest.raises(ValidationError, match="occurred_at"):
        encode_event(alarm, shape="v2")
    with pytest.raises(ValidationError, match="contract_type"):
        encode_event(ContractUpdateEvent(contract_id="c1"), shape="legacy")
    with pytest.raises(ValidationError, match="code_type"):
        encode_event(CodeEnteredEvent(code="123456"), shape="legacy")
    # An alarm's start/end/acknowledged are always sent, null while unknown, as documented.
    assert json.loads(encode_event(alarm, shape="legacy")) == {
        "type": "device-alarm",
        "deviceId": "d1",
        "state": "activated",
        "start": None,
        "end": None,
        "acknowledged": None,
    }


def test_event_type_names_the_catalog_entry() -> None:
    names = [event_type(event) for event in sample_events()]
    assert names == ["key-status", "contract-update", "code-entered", "device-alarm"]
    assert event_type(UnknownEvent(type="key-lost", reason="x", body=b"{}")) == "key-lost"
    assert event_type(UnknownEvent(reason="x", body=b"[]")) == "unknown"


# -- tolerance -------------------------------------------------------------------------------------


def test_documented_absences_are_read() -> None:
    return_code = parse_event(
        b'{"type":"right-return-code","code":"555111","deviceId":"234521","lockerIndex":2,'
        b'"keyId":"key1","contractObjectId":"x","time":"2021-05-11T11:46:55.008Z"}'
    )
    assert isinstance(return_code, CodeEnteredEvent)
    assert (return_code.code_type, return_code.contract_id) == ("right-return-code", None)
    access_code = parse_event(
        b'{"specVersion":"1","type":"code-entered","occurredAt":"2021-05-11T11:46:55.008Z",'
        b'"createdAt":"2021-05-11T11:46:55.100Z","organizationUnitId":"c1",'
        b'"data":{"codeType":"right-access-code","code":"999000","deviceId":"234521"}}'
    )
    assert isinstance(access_code, CodeEnteredEvent)
    assert (access_code.key_id, access_code.locker_index) == (None, None)
    assert access_code.code_type == "right-access-code"


def test_numbers_as_text_and_ids_as_numbers_are_read() -> None:
    event = parse_event(
        '{"type":"key-status","deviceId":234521,"lockerIndex":"7","keyId":"k",'
        '"state":"key-not-returned","time":"2021-05-11T11:46:55.008Z","tag":["a","b"]}'
    )
    assert isinstance(event, KeyStatusEvent)
    assert (event.device_id, event.locker_index, event.tag) == ("234521", 7, ("a", "b"))
    assert event.state == "key-not-returned"


def test_an_unknown_state_is_still_a_key_status() -> None:
    event = parse_event(b'{"type":"key-status","keyId":"k1","state":"key-lost"}')
    assert isinstance(event, KeyStatusEvent)
    assert event.state == "key-lost"


def test_legacy_bodies_naming_the_event_itself_are_read() -> None:
    contract = parse_event(b'{"type":"contract-update","contractId":"c1"}')
    assert isinstance(contract, ContractUpdateEvent)
    assert contract.contract_type is None
    code = parse_event(b'{"type":"code-entered","code":"1234"}')
    assert isinstance(code, CodeEnteredEvent)
    assert code.code_type is None


@pytest.mark.parametrize(
    ("body", "reason", "kind"),
    [
        (b'{"type":"key-moved","deviceId":"1"}', "unknown event type", "key-moved"),
        (b'{"deviceId":"1"}', "unknown event type", None),
        (b'{"specVersion":"1","type":"key-moved","occurredAt":"2021-05-11T11:46:55Z","data":{}}',
         "unknown event type", "key-moved"),
        (b'{"specVersion":"2","type":"key-status","data":{"state":"key-fetched"}}',
         "unsupported specVersion", "key-status"),
        (b"[1, 2]", "the body is not a JSON object", None),
        (b'"key-status"', "the body is not a JSON object", None),
        (b'{"type":"key-status","keyId":"k1"}', "required field missing @ $.state", "key-status"),
        (b'{"type":"key-status","state":"key-fetched","lockerIndex":"left"}',
         "expected int | None @ $.locker_index", "key-status"),
        (b'{"type":"device-alarm","state":"activated","start":"yesterday"}',
         "expected datetime.datetime | None @ $.start", "device-alarm"),
    ],
)  # fmt: skip
def test_anything_else_is_an_unknown_event_keeping_the_body(
    body: bytes, reason: str, kind: str | None
) -> None:
    event = parse_event(body)
    assert isinstance(event, UnknownEvent)
    assert reason in event.reason
    assert event.type == kind
    assert event.body == body
    assert event.json() == json.loads(body)


def test_an_unknown_event_hides_its_body_and_names_no_value() -> None:
    body = b'{"type":"new-code","code":"314159","lockerIndex":"x-271828"}'
    event = parse_event(body)
    assert isinstance(event, UnknownEvent)
    assert "314159" not in repr(event)
    broken = parse_event(b'{"type":"right-pincode","code":"314159","lockerIndex":"x-271828"}')
    assert isinstance(broken, UnknownEvent)
    assert "locker_index" in broken.reason
    assert "271828" not in broken.reason
    assert "314159" not in repr(broken)


@pytest.mark.parametrize("body", [b"", b"not json", b"{'type': 'key-status'}", b"\xff\xfe\xfa"])
def test_a_body_that_is_not_json_is_a_typed_error(body: bytes) -> None:
    with pytest.raises(WebhookPayloadError, match=r"not (UTF-8 )?JSON") as caught:
        parse_event(body)
    assert isinstance(caught.value, LivionKeyError)
    assert caught.value.__cause__ is None


def test_a_text_body_is_read_like_bytes() -> None:
    text = fixture_bytes("legacy-key-status.json").decode()
    assert parse_event(text) == parse_event(text.encode())


# -- secrets ---------------------------------------------------------------------------------------


def test_pincodes_and_codes_are_never_in_a_repr() -> None:
    contract = parse_event(fixture_bytes("v2-contract-update.json"))
    code = parse_event(fixture_bytes("legacy-code-entered.json"))
    assert isinstance(contract, ContractUpdateEvent)
    assert isinstance(code, CodeEnteredEvent)
    assert contract.pincode == code.code == "124578"
    for event in (contract, code):
        assert "124578" not in repr(event)
        assert "124578" not in str(event)


def test_every_field_kept_out_of_reprs_is_a_listed_secret() -> None:
    classes: list[type[WebhookEvent]] = [WebhookEvent, *WebhookEvent.__subclasses__()]
    hidden = {field.name for cls in classes for field in attrs.fields(cls) if not field.repr}
    assert hidden == SECRET_FIELDS == {"pincode", "code", "body"}
