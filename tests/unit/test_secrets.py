"""Secrets never leak: not into logs, not into a ``repr``, not into an exception's text.

One full scenario (login, list, a contract with a given pincode, a key with a key code, the key
read back with its backup codes, a 401 and a new login, error answers that echo credentials)
runs with every logger at DEBUG; then every log record, every returned model and every raised
exception is searched for each secret.
"""

from __future__ import annotations

import logging
import traceback
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
from aioresponses import aioresponses
from wire_support import BASE, EMAIL, FakeTime, login_answer, new_client

from livionkey_async import (
    AmbiguousOutcomeError,
    Contact,
    ContractUpdate,
    KeyRef,
    LivionKeyError,
    NewContract,
    NewKey,
    ResponseFormatError,
    ValidationError,
)

PASSWORD = "Pa55-word-7Qx"  # not wire_support.PASSWORD: every client here is given this one
TOKEN_1 = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ1c2VyLTEifQ.c2lnbmF0dXJlLW9uZQ"
TOKEN_2 = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ1c2VyLTIifQ.c2lnbmF0dXJlLXR3bw"
PINCODE = "482913"
NEW_PINCODE = "730021"
KEY_CODE = "90817263"
BACKUP_CODES = ["55501234", "55505678"]
NEW_BACKUP_CODES = ["66601234", "66605678"]
SECRETS = [PASSWORD, TOKEN_1, TOKEN_2, PINCODE, NEW_PINCODE, KEY_CODE, *BACKUP_CODES]
SECRETS += NEW_BACKUP_CODES


@pytest.fixture
def mocked() -> Iterator[Any]:
    with aioresponses() as m:
        yield m


CONTRACT_WIRE: dict[str, Any] = {
    "id": "obj-1",
    "contractId": "booking-1",
    "devices": [{"id": "00053", "keyId": "A4324"}],
    "pincode": PINCODE,
    "start": "2026-12-01T12:00:00.000Z",
    "end": "2026-12-03T12:00:00.000Z",
    "person": "John Doe",
    "contacts": [{"email": "john@example.com"}],
}

# A server that echoes the request it refused: its headers and its JSON body.
ECHO = (
    "Bad request. headers: {"
    f'"authorization":"Bearer {TOKEN_2}"'
    "} body: {"
    f'"email":"{EMAIL}","password":"{PASSWORD}","token":"{TOKEN_2}",'
    f'"pincode":"{PINCODE}","keyCode":"{KEY_CODE}","backupCodes":["{BACKUP_CODES[0]}"]'
    "}"
)


def assert_clean(text: str, where: str, secrets: list[str] = SECRETS) -> None:
    for secret in secrets:
        assert secret not in text, f"{where} shows the secret {secret!r}: {text!r}"


def assert_records_clean(records: list[logging.LogRecord], secrets: list[str] = SECRETS) -> None:
    assert records, "nothing was logged: the log check proves nothing"
    for record in records:
        where = f"log record {record.name}:{record.lineno}"
        assert_clean(record.getMessage(), where, secrets)
        assert_clean(str(record.msg), where, secrets)
        assert_clean(repr(record.args), where, secrets)
        if record.exc_info is not None:
            assert_clean("".join(traceback.format_exception(*record.exc_info)), where, secrets)


def assert_error_clean(error: BaseException, secrets: list[str] = SECRETS) -> None:
    where = f"{type(error).__name__}"
    assert_clean(str(error), f"str({where})", secrets)
    assert_clean(repr(error), f"repr({where})", secrets)
    assert_clean(repr(error.args), f"{where}.args", secrets)
    assert_clean("".join(traceback.format_exception(error)), f"traceback of {where}", secrets)
    if isinstance(error, LivionKeyError):
        assert_clean(error.message, f"{where}.message", secrets)


async def test_a_full_scenario_leaks_no_secret(
    mocked: Any, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    fake_time = FakeTime()
    mocked.post(f"{BASE}/auth/login", payload=login_answer(fake_time, TOKEN_1))
    mocked.post(f"{BASE}/auth/login", payload=login_answer(fake_time, TOKEN_2))
    mocked.get(f"{BASE}/devices", payload=[{"deviceId": "00053", "name": "Office"}])
    mocked.post(f"{BASE}/contracts", payload={"id": "obj-1", "pincode": PINCODE})
    mocked.post(f"{BASE}/keys", payload={"lockerIndex": 4})
    key_wire = {
        "keyId": "A4324",
        "deviceId": "00053",
        "keyName": "Car 1",
        "keyCode": KEY_CODE,
        "lockerIndex": 4,
        "backupCodes": BACKUP_CODES,
        "contracts": [CONTRACT_WIRE],
    }
    mocked.get(f"{BASE}/keys/A4324?deviceId=00053", payload=[key_wire])
    # The server revokes the first token: a 401, a new login, the call resent once.
    mocked.get(f"{BASE}/devices/00053/contracts", status=401, body="GraphQL - 1 - 2 - no")
    mocked.get(f"{BASE}/devices/00053/contracts", payload=[CONTRACT_WIRE])
    mocked.post(f"{BASE}/contracts/obj-1/pincode", payload={"pincode": NEW_PINCODE})
    mocked.post(f"{BASE}/keys/A4324/backupcodes", payload={"backupCodes": NEW_BACKUP_CODES})
    mocked.get(f"{BASE}/contracts/obj-1", payload=CONTRACT_WIRE)
    # Error answers that echo the credentials back, in text and in JSON.
    mocked.post(f"{BASE}/contracts/obj-1", status=400, body=ECHO, content_type="text/plain")
    mocked.post(f"{BASE}/contracts", status=503, body=ECHO, content_type="text/plain")
    mocked.delete(
        f"{BASE}/contracts/obj-1",
        status=418,
        payload={"success": False, "message": ECHO},
    )
    # A success answer that does not fit the documented shape.
    mocked.get(
        f"{BASE}/keys/B1",
        payload={
            "keyId": "B1",
            "keyCode": KEY_CODE,
            "backupCodes": BACKUP_CODES,
            "lockerIndex": "x",
        },
    )

    results: list[object] = []
    errors: list[BaseException] = []
    keys = [KeyRef("00053", "A4324")]
    new_contract = NewContract(
        contract_id="booking-1",
        keys=keys,
        start=datetime(2026, 12, 1, 12, 0, tzinfo=UTC),
        end=datetime(2026, 12, 3, 12, 0, tzinfo=UTC),
        person="John Doe",
        contacts=[Contact(email="john@example.com")],
        pincode=PINCODE,
    )
    new_key = NewKey(key_id="A4324", name="Car 1", device_id="00053", key_code=KEY_CODE)
    async with new_client(fake_time, PASSWORD) as client:
        results.append(await client.devices.list())
        results.append(await client.contracts.create(new_contract))
        results.append(await client.keys.create(new_key))
        key = await client.keys.get("A4324", device_id="00053")
        results.append(key)
        results.extend(key.contracts)
        results.append(await client.devices.contracts("00053"))
        # These two answer a secret itself (what the caller asked for): checked, not searched.
        new_pincode = await client.contracts.set_pincode("obj-1", keys)
        new_codes = await client.keys.regenerate_backup_codes("A4324", device_id="00053")
        results.append(await client.contracts.get("obj-1"))

        with pytest.raises(LivionKeyError) as refused:
            await client.contracts.update("obj-1", ContractUpdate(keys=keys, pincode=PINCODE))
        errors.append(refused.value)
        with pytest.raises(AmbiguousOutcomeError) as ambiguous:
            await client.contracts.create(new_contract)
        errors.append(ambiguous.value)
        with pytest.raises(LivionKeyError) as unknown:
            await client.contracts.delete("obj-1")
        errors.append(unknown.value)
        with pytest.raises(ResponseFormatError) as malformed:
            await client.keys.get("B1")
        errors.append(malformed.value)
        with pytest.raises(ValidationError) as local:
            await client.contracts.create(
                NewContract(
                    contract_id="booking-2", keys=keys, start=datetime(2026, 12, 1), person="X"
                )
            )
        errors.append(local.value)

        assert client.stats.logins == 2, "the scenario was meant to include a re-login"
        assert_clean(repr(client), "repr(client)")
        for part in (client.devices, client.keys, client.contracts, client.stats):
            assert_clean(repr(part), f"repr({type(part).__name__})")

    # The scenario really carried the secrets (so their absence below means something).
    assert key.key_code == KEY_CODE
    assert list(key.backup_codes) == BACKUP_CODES
    assert key.contracts[0].pincode == PINCODE
    assert new_pincode == NEW_PINCODE
    assert list(new_codes) == NEW_BACKUP_CODES
    assert ECHO not in str(errors[0])

    for result in results:
        assert_clean(repr(result), f"repr({type(result).__name__})")
    for model in (new_contract, new_key, ContractUpdate(keys=keys, pincode=PINCODE)):
        assert_clean(repr(model), f"repr({type(model).__name__})")
    for error in errors:
        assert_error_clean(error)
    assert_records_clean(caplog.records)
    assert_clean(caplog.text, "the formatted log")


async def test_a_refused_login_does_not_show_the_password(
    mocked: Any, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    body = f'{{"success":false,"message":"Bad login","request":{{"password":"{PASSWORD}"}}}}'
    mocked.post(f"{BASE}/auth/login", status=400, body=body)

    async with new_client(FakeTime(), PASSWORD) as client:
        with pytest.raises(LivionKeyError) as info:
            await client.login()

    assert (info.value.status, info.value.message) == (400, "Bad login")
    assert_error_clean(info.value)
    assert_records_clean(caplog.records)


@pytest.mark.parametrize(
    "echo",
    [
        f"Token {TOKEN_2} expired",  # a JWT, recognisable by its shape
        f'{{"success":false,"message":"refused","token":"{TOKEN_2}"}}',
        f"Authorization: Bearer {TOKEN_2}",
    ],
    ids=["bare-jwt", "json-token-field", "bearer-header"],
)
async def test_an_echoed_token_is_redacted(mocked: Any, echo: str) -> None:
    fake_time = FakeTime()
    mocked.post(f"{BASE}/auth/login", payload=login_answer(fake_time, TOKEN_2))
    mocked.get(f"{BASE}/contracts/obj-1", status=400, body=echo, content_type="text/plain")

    async with new_client(fake_time, PASSWORD) as client:
        with pytest.raises(LivionKeyError) as info:
            await client.contracts.get("obj-1")

    assert_error_clean(info.value)


@pytest.mark.parametrize(
    ("password", "token", "echo"),
    [
        (
            PASSWORD,
            TOKEN_1,
            f"Firebase: Error (auth/invalid-login-credentials). email={EMAIL} password={PASSWORD}",
        ),
        (PASSWORD, "opaque-token-5f2a91", "token opaque-token-5f2a91 is not valid"),
    ],
    ids=["password-in-text", "opaque-token-in-text"],
)
async def test_a_verbatim_echo_of_a_credential_is_redacted(
    mocked: Any, password: str, token: str, echo: str
) -> None:
    fake_time = FakeTime()
    if echo.startswith("Firebase"):
        mocked.post(f"{BASE}/auth/login", status=400, body=echo, content_type="text/plain")
    else:
        mocked.post(f"{BASE}/auth/login", payload=login_answer(fake_time, token))
        mocked.get(f"{BASE}/devices", status=400, body=echo, content_type="text/plain")

    async with new_client(fake_time, password) as client:
        with pytest.raises(LivionKeyError) as info:
            await client.devices.list()

    assert_error_clean(info.value, [password, token])
