"""Every failure Livion documents maps to its typed error, table-driven from Livion's own files.

``tests/fixtures/livion/errors.json`` holds the ``Error 4xx`` fields of both API references and the
authentication table of the legacy README, as published; every message in it must have an
expected class below, so a message Livion adds must be decided on, not silently mapped to
``ApiError``. Where one message means something else on one endpoint (``No devices`` for a
device's listing, a listing's "not found" for an empty one), the client is checked too.
"""

from __future__ import annotations

import json
import re
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import pytest
from aioresponses import aioresponses
from wire_support import BASE, FakeTime, calls, learn_products, login_answer, new_client, url

from livionkey_async import (
    AuthenticationError,
    ContractOverlapError,
    DeleteFailedError,
    DeviceBusyError,
    DuplicateAccessRightError,
    DuplicateContractError,
    DuplicateKeyError,
    LivionKeyClient,
    LivionKeyError,
    NoFreeLockerError,
    NotFoundError,
    PincodeConflictError,
    RateLimitedError,
    ServerError,
    UnsupportedDeviceError,
    ValidationError,
)
from livionkey_async._errors import error_from_response

TABLE = json.loads((Path(__file__).parent.parent / "fixtures/livion/errors.json").read_text())

# What each documented message means.
EXPECTED: dict[str, type[LivionKeyError]] = {
    "Contract not found": NotFoundError,
    "Internal Server Error": ServerError,
    "Internal Error": ServerError,
    "Missing query parameters": ValidationError,
    "Delete contract failed": DeleteFailedError,
    "Delete accessRight failed": DeleteFailedError,
    "No devices": ValidationError,
    "Missing contract parameters": ValidationError,
    "Missing accessRight parameters": ValidationError,
    "Missing deviceId from parameters": ValidationError,
    "Missing keyId from parameters": ValidationError,
    "Missing contractId from parameters": ValidationError,
    "Missing accessRightId from parameters": ValidationError,
    "Missing start from parameters": ValidationError,
    "Missing person from parameters": ValidationError,
    "Missing contacts from parameters": ValidationError,
    "Missing end from parameters": ValidationError,
    "Missing deviceId from query parameters": ValidationError,
    "Missing email from parameters": ValidationError,
    "Missing password from parameters": ValidationError,
    "Start time should be before End time": ValidationError,
    "Start time should be in the future": ValidationError,
    "ContractId already in use": DuplicateContractError,
    "AccessId already in use": DuplicateAccessRightError,
    "KeyId not found": NotFoundError,
    "Overlapping contract existing": ContractOverlapError,
    "Overlapping accessRight existing": ContractOverlapError,
    "Pincode already used in existing contracts": PincodeConflictError,
    "Pincode already used in existing accessRights": PincodeConflictError,
    "Accesrights not found": NotFoundError,
    "AccessRight not found": NotFoundError,
    "Device not found": NotFoundError,
    "Device keys not found": NotFoundError,
    "not supported": UnsupportedDeviceError,
    "malformed locker index": ValidationError,
    "locker not found": NotFoundError,
    "body is required": ValidationError,
    "lockerIndex is required": ValidationError,
    "deviceId is required": ValidationError,
    "keyId is required": ValidationError,
    "Locker index is too big": NoFreeLockerError,
    "lockerIndex is too big": NoFreeLockerError,
    "Device error": DeviceBusyError,
    "Device busy": DeviceBusyError,
    "Command not found": UnsupportedDeviceError,
    "Device is reserved": DeviceBusyError,
    "Device is not a keypad": UnsupportedDeviceError,
    "no such device": NotFoundError,
    "no such key": NotFoundError,
    "key already exists with that keyId": DuplicateKeyError,
    "no free lockers": NoFreeLockerError,
    "Firebase: Error (auth/invalid-login-credentials).": AuthenticationError,
    "GraphQL - <timestamp> - <id> - not authorized": AuthenticationError,
    '{"success":false,"message":"No token provided."}': AuthenticationError,
    "Too many login attempts, try again later": RateLimitedError,
}
# The README's placeholders, as a real answer fills them.
EXAMPLE_401 = "GraphQL - 2026-11-30T12:00:00.000Z - 000000000000001a - not authorized"


def messages(description: str) -> list[str]:
    """The messages of one documented field: ``<p>a <br />b</p>`` or ``a / b``."""
    text = re.sub(r"</?p>", "", description)
    if text.startswith("{"):
        return [text]
    return [m.strip() for m in re.split(r"<br\s*/?>| / ", text) if m.strip()]


ROWS = [
    (row["endpoint"], int(row["status"]), message)
    for row in TABLE
    for message in messages(row["description"])
]


def test_the_table_is_whole() -> None:
    documented = {message for _, _, message in ROWS}
    assert documented == set(EXPECTED), "decide what each documented message means"
    assert len(ROWS) > 100  # both references and the README


@pytest.mark.parametrize(("endpoint", "status", "message"), ROWS)
def test_a_documented_failure_maps_to_its_class(endpoint: str, status: int, message: str) -> None:
    body = EXAMPLE_401 if message.startswith("GraphQL") else message
    error = error_from_response(status, body)
    assert type(error) is EXPECTED[message], endpoint
    assert error.status == status
    shown = "No token provided." if message.startswith("{") else body
    assert error.message == shown


def test_login_throttle_keeps_its_retry_after() -> None:
    error = error_from_response(429, "Too many login attempts, try again later", retry_after=7.0)
    assert isinstance(error, RateLimitedError)
    assert error.retry_after == 7.0


# -- messages that mean something else on one endpoint ------------------------------------------


@pytest.fixture
def mocked() -> Iterator[Any]:
    with aioresponses() as m:
        yield m


@pytest.fixture
async def client(mocked: Any) -> AsyncIterator[LivionKeyClient]:
    fake_time = FakeTime()
    mocked.post(f"{BASE}/auth/login", payload=login_answer(fake_time, "tok"), repeat=True)
    async with new_client(fake_time) as made:
        await learn_products(mocked, made, {"00053": "key30", "kp-1": "keypad"})
        yield made


async def test_a_device_listing_answered_no_devices_is_an_unknown_device(
    client: LivionKeyClient, mocked: Any
) -> None:
    mocked.get(url("/devices/00053/contracts"), status=400, body="No devices")
    mocked.get(url("/devices/kp-1/accessrights"), status=400, body="No devices")
    with pytest.raises(NotFoundError):
        await client.devices.contracts("00053")
    with pytest.raises(NotFoundError):
        await client.keypad.device_access_rights("kp-1")


async def test_a_device_listing_answered_not_found_is_an_empty_listing(
    client: LivionKeyClient, mocked: Any
) -> None:
    mocked.get(url("/devices/00053/contracts"), status=400, body="Contract not found")
    mocked.get(url("/devices/kp-1/accessrights"), status=400, body="Accesrights not found")
    assert await client.devices.contracts("00053") == []
    assert await client.keypad.device_access_rights("kp-1") == []


async def test_a_device_busy_opendoor_is_not_resent(client: LivionKeyClient, mocked: Any) -> None:
    mocked.post(url("/devices/00053/opendoor"), status=400, body="Device busy", repeat=True)
    with pytest.raises(DeviceBusyError):
        await client.devices.open_door("00053", 1)
    assert len(calls(mocked, "POST", "/devices/00053/opendoor")) == 1
