"""The pure error mapping and the local validation, without any HTTP."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from livionkey_async import (
    ApiError,
    AuthenticationError,
    Contact,
    ContractOverlapError,
    ContractUpdate,
    DeviceBusyError,
    DuplicateContractError,
    DuplicateKeyError,
    KeyRef,
    LivionKeyError,
    NewContract,
    NewKey,
    NoFreeLockerError,
    NotFoundError,
    PincodeConflictError,
    RateLimitedError,
    ServerError,
    ValidationError,
)
from livionkey_async._errors import error_from_response, redact
from livionkey_async._validation import (
    validate_contract_update,
    validate_new_contract,
    validate_new_key,
)

T0 = datetime(2030, 1, 1, 12, tzinfo=UTC)


@pytest.mark.parametrize(
    ("status", "body", "cls"),
    [
        (400, "Missing email from parameters", ValidationError),
        (400, "Firebase: Error (auth/invalid-login-credentials).", AuthenticationError),
        (401, "GraphQL - 2026-10-01 - abc - not authorized", AuthenticationError),
        (403, '{"success":false,"message":"No token provided."}', AuthenticationError),
        (429, "Too many login attempts, try again later", RateLimitedError),
        (400, "Device not found", NotFoundError),
        (400, "no such device", NotFoundError),
        (400, "no such key", NotFoundError),
        (400, "KeyId not found", NotFoundError),
        (400, "Device keys not found", NotFoundError),
        (400, "Contract not found", NotFoundError),
        (404, "locker not found", NotFoundError),
        (400, "ContractId already in use", DuplicateContractError),
        (400, "key already exists with that keyId", DuplicateKeyError),
        (400, "Overlapping contract existing", ContractOverlapError),
        (400, "Pincode already used in existing contracts", PincodeConflictError),
        (400, "Start time should be before End time", ValidationError),
        (400, "Start time should be in the future", ValidationError),
        (400, "Missing person from parameters", ValidationError),
        (400, "body is required", ValidationError),
        (400, "person is required", ValidationError),
        (400, "No devices", ValidationError),
        (400, "no free lockers", NoFreeLockerError),
        (400, "lockerIndex is too big", NoFreeLockerError),
        (400, "Locker index is too big", NoFreeLockerError),
        (400, "malformed locker index", ValidationError),
        (400, "Device busy", DeviceBusyError),
        (400, "Device error", DeviceBusyError),
        (409, "Device is reserved", DeviceBusyError),
        (500, "Internal Error", ServerError),
        (503, "Service Unavailable", ServerError),
        (418, "I'm a teapot", ApiError),
        (400, '{"success": false, "message": "Contract not found"}', NotFoundError),
    ],
)
def test_every_documented_message_maps_to_its_class(
    status: int, body: str, cls: type[LivionKeyError]
) -> None:
    error = error_from_response(status, body)
    assert type(error) is cls
    assert error.status == status
    assert error.message
    assert str(status) in str(error)


def test_rate_limited_error_carries_the_wait() -> None:
    error = error_from_response(429, "slow down", retry_after=3.0)
    assert isinstance(error, RateLimitedError)
    assert error.retry_after == 3.0


def test_redact_hides_tokens_and_echoed_secrets() -> None:
    text = redact(
        'Bearer abc.def {"password": "hunter2", "pincode": "123456"} eyJhbGci.eyJzdWIi.sig'
    )
    for secret in ("abc.def", "hunter2", "123456", "eyJhbGci"):
        assert secret not in text


def _spec(**changes: object) -> NewContract:
    values: dict[str, object] = {
        "contract_id": "booking-1",
        "keys": [KeyRef("00001", "A0001")],
        "start": T0,
        "end": T0 + timedelta(days=1),
        "person": "John Doe",
        "contacts": [Contact(email="j@example.com", language="en-gb")],
    }
    values.update(changes)
    return NewContract(**values)  # type: ignore[arg-type]


def test_a_good_contract_passes() -> None:
    validate_new_contract(_spec())
    validate_new_contract(_spec(end=None, perm=True))


@pytest.mark.parametrize(
    ("changes", "fragment"),
    [
        ({"start": datetime(2030, 1, 1)}, "timezone-aware"),
        ({"end": datetime(2030, 1, 2)}, "timezone-aware"),
        ({"end": T0}, "end must be after start"),
        ({"perm": True}, "no end"),
        ({"contacts": [Contact(language="xx-xx")]}, "language"),  # type: ignore[arg-type]
        ({"contacts": [Contact(send_email=True)]}, "needs an email"),
        ({"keys": []}, "at least one"),
        ({"contract_id": ""}, "contract_id"),
        ({"contract_id": "a/b"}, "contract_id"),
        ({"person": " "}, "person"),
        ({"pincode": "12"}, "pincode"),
        ({"pincode": "12ab56"}, "pincode"),
        ({"type": "return", "end": None}, "needs an end"),
    ],
)
def test_bad_contracts_are_refused(changes: dict[str, object], fragment: str) -> None:
    with pytest.raises(ValidationError, match=fragment):
        validate_new_contract(_spec(**changes))


def test_updates_and_keys_are_checked() -> None:
    validate_contract_update(ContractUpdate(keys=[KeyRef("1", "A")], end=T0))
    with pytest.raises(ValidationError, match="timezone-aware"):
        validate_contract_update(ContractUpdate(keys=[KeyRef("1", "A")], end=datetime(2030, 1, 1)))
    with pytest.raises(ValidationError, match="at least one"):
        validate_contract_update(ContractUpdate(keys=[]))
    validate_new_key(NewKey(key_id="A1", name="Flat", device_id="1"))
    with pytest.raises(ValidationError, match="locker_index"):
        validate_new_key(NewKey(key_id="A1", name="Flat", device_id="1", locker_index=-1))
    with pytest.raises(ValidationError, match="name"):
        validate_new_key(NewKey(key_id="A1", name="", device_id="1"))
