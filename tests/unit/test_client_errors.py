"""Failures end to end through the client: error mapping, login and 401 handling, retries,
ambiguous writes, local validation and refused devices, all on aioresponses with a fake clock.
"""

from __future__ import annotations

import json
import re
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from datetime import UTC, datetime
from typing import Any, cast

import aiohttp
import pytest
from aioresponses import aioresponses
from wire_support import (
    BASE,
    EMAIL,
    PASSWORD,
    FakeTime,
    bearer,
    calls,
    login_answer,
    new_client,
    sent_json,
    url,
)

from livionkey_async import (
    AmbiguousOutcomeError,
    ApiError,
    AuthenticationError,
    ConflictError,
    Contact,
    ContractOverlapError,
    ContractUpdate,
    CreatedContract,
    DeviceBusyError,
    DuplicateContractError,
    DuplicateKeyError,
    KeyRef,
    LivionKeyClient,
    LivionKeyError,
    NewContract,
    NewKey,
    NoFreeLockerError,
    NotFoundError,
    PincodeConflictError,
    RateLimitedError,
    ServerError,
    TransportError,
    UnsupportedDeviceError,
    ValidationError,
)

START = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)
END = datetime(2026, 12, 3, 12, 0, tzinfo=UTC)
UNAUTHORIZED = "GraphQL - 2026-11-22T10:00:00.000Z - 8f2c1e - not authorized"


@pytest.fixture
def fake_time() -> FakeTime:
    return FakeTime()


@pytest.fixture
def mocked() -> Iterator[Any]:
    with aioresponses() as m:
        yield m


@pytest.fixture
async def client(fake_time: FakeTime) -> AsyncIterator[LivionKeyClient]:
    async with new_client(fake_time) as made:
        yield made


@pytest.fixture
def logged_in(mocked: Any, fake_time: FakeTime) -> Any:
    """``mocked`` with a login that always succeeds."""
    mocked.post(f"{BASE}/auth/login", payload=login_answer(fake_time, "tok-1"), repeat=True)
    return mocked


def contract(**changes: Any) -> NewContract:
    fields: dict[str, Any] = {
        "contract_id": "booking-1",
        "keys": [KeyRef("00053", "A4324")],
        "start": START,
        "end": END,
        "person": "John Doe",
        "contacts": [Contact(email="john@example.com", language="en-gb")],
    }
    fields.update(changes)
    return NewContract(**fields)


# -- the message table ---------------------------------------------------------------------------

GENERAL_ERRORS: list[tuple[int, str, type[LivionKeyError]]] = [
    (400, "Device not found", NotFoundError),
    (400, "no such device", NotFoundError),
    (400, "no such key", NotFoundError),
    (400, "KeyId not found", NotFoundError),
    (400, "Device keys not found", NotFoundError),
    (400, "Contract not found", NotFoundError),
    (400, "ContractId already in use", DuplicateContractError),
    (400, "key already exists with that keyId", DuplicateKeyError),
    (400, "Overlapping contract existing", ContractOverlapError),
    (400, "Pincode already used in existing contracts", PincodeConflictError),
    (400, "Start time should be before End time", ValidationError),
    (400, "Start time should be in the future", ValidationError),
    (400, "Missing keyName from parameters", ValidationError),
    (400, "body is required", ValidationError),
    (400, "deviceId is required", ValidationError),
    (400, "No devices", ValidationError),
    (400, "no free lockers", NoFreeLockerError),
    (400, "lockerIndex is too big", NoFreeLockerError),
    (400, "Locker index is too big", NoFreeLockerError),
    (400, "malformed locker index", ValidationError),
    (400, "Device busy", DeviceBusyError),
    (400, "Device error", DeviceBusyError),
    (409, "Device is reserved", DeviceBusyError),
    (404, "locker not found", NotFoundError),
    (500, "Internal Error", ServerError),
    (500, "Internal Server Error", ServerError),
    (403, "No token provided.", AuthenticationError),
]


def error_body(message: str, form: str) -> dict[str, Any]:
    """aioresponses keyword arguments for an error body in one of the wire's forms."""
    if form == "text":
        return {"body": message, "content_type": "text/plain"}
    if form == "json-object":
        return {"body": json.dumps({"success": False, "message": message})}
    return {"body": json.dumps(message)}  # a JSON string


@pytest.mark.parametrize("form", ["text", "json-object", "json-string"])
@pytest.mark.parametrize(
    ("status", "message", "expected"),
    GENERAL_ERRORS,
    ids=[f"{status}-{message}" for status, message, _ in GENERAL_ERRORS],
)
async def test_server_message_maps_to_its_error(
    client: LivionKeyClient,
    logged_in: Any,
    status: int,
    message: str,
    expected: type[LivionKeyError],
    form: str,
) -> None:
    logged_in.get(f"{BASE}/devices/00053", status=status, repeat=True, **error_body(message, form))

    with pytest.raises(LivionKeyError) as info:
        await client.devices.get("00053")

    assert type(info.value) is expected
    assert info.value.status == status
    assert info.value.message == message
    assert str(info.value) == f"{status}: {message}"
    sent = len(calls(logged_in, "GET", "/devices/00053"))
    assert sent > 1 if status >= 500 else sent == 1  # only a server fault is worth resending
    assert len(calls(logged_in, "POST", "/auth/login")) == 1  # no re-login on 403/4xx


CREATE_CONFLICTS: list[tuple[str, type[LivionKeyError]]] = [
    ("ContractId already in use", DuplicateContractError),
    ("Overlapping contract existing", ContractOverlapError),
    ("Pincode already used in existing contracts", PincodeConflictError),
    ("No devices", ValidationError),
]


@pytest.mark.parametrize("form", ["text", "json-object"])
@pytest.mark.parametrize(("message", "expected"), CREATE_CONFLICTS)
async def test_create_contract_conflicts(
    client: LivionKeyClient,
    logged_in: Any,
    message: str,
    expected: type[LivionKeyError],
    form: str,
) -> None:
    logged_in.post(f"{BASE}/contracts", status=400, **error_body(message, form))

    with pytest.raises(expected) as info:
        await client.contracts.create(contract())

    assert type(info.value) is expected
    assert (info.value.status, info.value.message) == (400, message)
    assert len(calls(logged_in, "POST", "/contracts")) == 1
    if expected is not ValidationError:
        assert isinstance(info.value, ConflictError)


async def test_duplicate_key_on_create(client: LivionKeyClient, logged_in: Any) -> None:
    logged_in.post(
        f"{BASE}/keys",
        status=400,
        body="key already exists with that keyId",
        content_type="text/plain",
    )

    with pytest.raises(DuplicateKeyError) as info:
        await client.keys.create(NewKey(key_id="A4324", name="Car 1", device_id="00053"))

    assert (info.value.status, info.value.message) == (400, "key already exists with that keyId")


@pytest.mark.parametrize(
    ("status", "body", "message", "expected"),
    [
        (418, "I'm a teapot", "I'm a teapot", ApiError),
        (400, "Something unexpected happened", "Something unexpected happened", ApiError),
        (422, '{"success":false,"message":"Unprocessable"}', "Unprocessable", ApiError),
        (404, "Cannot GET /devices/00053", "Cannot GET /devices/00053", NotFoundError),
        (409, "Conflict of some kind", "Conflict of some kind", ConflictError),
    ],
)
async def test_unknown_answers_keep_status_and_message(
    client: LivionKeyClient,
    logged_in: Any,
    status: int,
    body: str,
    message: str,
    expected: type[LivionKeyError],
) -> None:
    logged_in.get(f"{BASE}/devices/00053", status=status, body=body)

    with pytest.raises(LivionKeyError) as info:
        await client.devices.get("00053")

    assert type(info.value) is expected
    assert (info.value.status, info.value.message) == (status, message)


# -- login ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "message",
    [
        "Firebase: Error (auth/invalid-login-credentials).",
        "Missing email from parameters",
        "Missing password from parameters",
    ],
)
@pytest.mark.parametrize("form", ["text", "json-object"])
async def test_refused_login_is_one_request_and_an_authentication_error(
    client: LivionKeyClient, mocked: Any, message: str, form: str
) -> None:
    mocked.post(f"{BASE}/auth/login", status=400, repeat=True, **error_body(message, form))
    mocked.get(f"{BASE}/devices", payload=[], repeat=True)

    with pytest.raises(AuthenticationError) as info:
        await client.devices.list()

    assert (info.value.status, info.value.message) == (400, message)
    assert len(calls(mocked, "POST", "/auth/login")) == 1
    assert calls(mocked, "GET", "/devices") == []
    assert client.stats.logins == 1


async def test_explicit_login_with_wrong_credentials(client: LivionKeyClient, mocked: Any) -> None:
    mocked.post(
        f"{BASE}/auth/login",
        status=400,
        body="Firebase: Error (auth/invalid-login-credentials).",
        repeat=True,
    )

    with pytest.raises(AuthenticationError):
        await client.login()
    with pytest.raises(AuthenticationError):
        await client.login()  # the next call tries again: nothing is cached

    assert len(calls(mocked, "POST", "/auth/login")) == 2


async def test_login_throttle_maps_to_rate_limited(fake_time: FakeTime, mocked: Any) -> None:
    mocked.post(
        f"{BASE}/auth/login",
        status=429,
        body="Too many login attempts, try again later",
        headers={"Retry-After": "30"},
        repeat=True,
    )

    async with new_client(fake_time, max_throttled_attempts=1) as client:
        with pytest.raises(RateLimitedError) as info:
            await client.login()

    assert info.value.status == 429
    assert info.value.message == "Too many login attempts, try again later"
    assert info.value.retry_after == 30
    assert len(calls(mocked, "POST", "/auth/login")) == 1


async def test_login_throttle_is_waited_out(
    client: LivionKeyClient, mocked: Any, fake_time: FakeTime
) -> None:
    mocked.post(
        f"{BASE}/auth/login",
        status=429,
        body="Too many login attempts, try again later",
        headers={"Retry-After": "2"},
    )
    mocked.post(f"{BASE}/auth/login", payload=login_answer(fake_time, "tok-1"))
    mocked.get(f"{BASE}/devices", payload=[])

    assert await client.devices.list() == []

    assert len(calls(mocked, "POST", "/auth/login")) == 2
    assert sum(fake_time.sleeps) >= 2.0
    assert bearer(calls(mocked, "GET", "/devices")[0]) == "Bearer tok-1"


async def test_a_401_logs_in_again_and_retries_once(
    client: LivionKeyClient, mocked: Any, fake_time: FakeTime
) -> None:
    mocked.post(f"{BASE}/auth/login", payload=login_answer(fake_time, "tok-1"))
    mocked.post(f"{BASE}/auth/login", payload=login_answer(fake_time, "tok-2"))
    mocked.get(f"{BASE}/devices", status=401, body=UNAUTHORIZED, content_type="text/plain")
    mocked.get(f"{BASE}/devices", payload=[{"deviceId": "00053"}])

    devices = await client.devices.list()

    assert [d.device_id for d in devices] == ["00053"]
    assert len(calls(mocked, "POST", "/auth/login")) == 2
    sent = calls(mocked, "GET", "/devices")
    assert [bearer(call) for call in sent] == ["Bearer tok-1", "Bearer tok-2"]
    assert client.stats.logins == 2


async def test_a_second_401_is_an_authentication_error(
    client: LivionKeyClient, mocked: Any, fake_time: FakeTime
) -> None:
    for token in ("tok-1", "tok-2", "tok-3"):
        mocked.post(f"{BASE}/auth/login", payload=login_answer(fake_time, token))
    mocked.get(
        f"{BASE}/devices", status=401, body=UNAUTHORIZED, content_type="text/plain", repeat=True
    )

    with pytest.raises(AuthenticationError) as info:
        await client.devices.list()

    assert (info.value.status, info.value.message) == (401, UNAUTHORIZED)
    assert len(calls(mocked, "POST", "/auth/login")) == 2
    sent = calls(mocked, "GET", "/devices")
    assert [bearer(call) for call in sent] == ["Bearer tok-1", "Bearer tok-2"]


async def test_a_401_on_a_create_is_resent_once_with_the_new_token(
    client: LivionKeyClient, mocked: Any, fake_time: FakeTime
) -> None:
    mocked.post(f"{BASE}/auth/login", payload=login_answer(fake_time, "tok-1"))
    mocked.post(f"{BASE}/auth/login", payload=login_answer(fake_time, "tok-2"))
    mocked.post(f"{BASE}/contracts", status=401, body=UNAUTHORIZED)
    mocked.post(f"{BASE}/contracts", payload={"id": "obj-1", "pincode": "123456"})

    created = await client.contracts.create(contract())

    assert created == CreatedContract(id="obj-1", pincode="123456")
    sent = calls(mocked, "POST", "/contracts")
    assert [bearer(call) for call in sent] == ["Bearer tok-1", "Bearer tok-2"]
    assert sent_json(sent[0]) == sent_json(sent[1])


async def test_a_403_is_not_retried_with_a_new_login(
    client: LivionKeyClient, logged_in: Any
) -> None:
    logged_in.get(
        f"{BASE}/devices",
        status=403,
        body='{"success":false,"message":"No token provided."}',
        repeat=True,
    )

    with pytest.raises(AuthenticationError) as info:
        await client.devices.list()

    assert (info.value.status, info.value.message) == (403, "No token provided.")
    assert len(calls(logged_in, "POST", "/auth/login")) == 1
    assert len(calls(logged_in, "GET", "/devices")) == 1


# -- retries and ambiguous writes ----------------------------------------------------------------


@pytest.mark.parametrize("status", [500, 502, 503, 504])
async def test_a_5xx_on_a_get_is_retried(
    client: LivionKeyClient, logged_in: Any, fake_time: FakeTime, status: int
) -> None:
    logged_in.get(f"{BASE}/devices", status=status, body="Service Unavailable")
    logged_in.get(f"{BASE}/devices", payload=[{"deviceId": "00053"}])

    devices = await client.devices.list()

    assert [d.device_id for d in devices] == ["00053"]
    assert len(calls(logged_in, "GET", "/devices")) == 2
    assert client.stats.retries == 1
    assert fake_time.sleeps, "the backoff must go through the injected sleep"


async def test_a_503_that_persists_on_a_get_ends_as_server_error(
    client: LivionKeyClient, logged_in: Any
) -> None:
    logged_in.get(f"{BASE}/devices", status=503, body="Service Unavailable", repeat=True)

    with pytest.raises(ServerError) as info:
        await client.devices.list()

    assert info.value.status == 503
    assert len(calls(logged_in, "GET", "/devices")) == 4  # max_attempts


@pytest.mark.parametrize("status", [500, 502, 503, 504])
async def test_a_5xx_on_create_contract_is_ambiguous_and_never_resent(
    client: LivionKeyClient, logged_in: Any, status: int
) -> None:
    logged_in.post(f"{BASE}/contracts", status=status, body="Service Unavailable")
    logged_in.post(f"{BASE}/contracts", payload={"id": "obj-dup", "pincode": "999999"})

    with pytest.raises(AmbiguousOutcomeError) as info:
        await client.contracts.create(contract())

    assert info.value.status == status
    assert (info.value.method, info.value.path) == ("POST", "contracts")
    assert isinstance(info.value, TransportError)
    assert len(calls(logged_in, "POST", "/contracts")) == 1


async def test_a_503_on_create_key_and_open_door_is_ambiguous(
    client: LivionKeyClient, logged_in: Any
) -> None:
    logged_in.post(f"{BASE}/keys", status=503, body="Service Unavailable", repeat=True)
    logged_in.post(f"{BASE}/devices/00053/opendoor", status=503, body="x", repeat=True)

    with pytest.raises(AmbiguousOutcomeError):
        await client.keys.create(NewKey(key_id="A4324", name="Car 1", device_id="00053"))
    with pytest.raises(AmbiguousOutcomeError):
        await client.devices.open_door("00053", 1)

    assert len(calls(logged_in, "POST", "/keys")) == 1
    assert len(calls(logged_in, "POST", "/devices/00053/opendoor")) == 1


async def test_a_dropped_connection_on_create_contract_is_ambiguous(
    client: LivionKeyClient, logged_in: Any
) -> None:
    logged_in.post(f"{BASE}/contracts", exception=aiohttp.ServerDisconnectedError())
    logged_in.post(f"{BASE}/contracts", payload={"id": "obj-dup", "pincode": "999999"})

    with pytest.raises(AmbiguousOutcomeError) as info:
        await client.contracts.create(contract())

    assert info.value.status is None
    assert (info.value.method, info.value.path) == ("POST", "contracts")
    assert len(calls(logged_in, "POST", "/contracts")) == 1


async def test_a_dropped_connection_on_a_get_is_retried(
    client: LivionKeyClient, logged_in: Any, fake_time: FakeTime
) -> None:
    logged_in.get(f"{BASE}/devices/00053", exception=aiohttp.ServerDisconnectedError())
    logged_in.get(f"{BASE}/devices/00053", payload={"id": "00053", "name": "Office"})

    found = await client.devices.get("00053")

    assert (found.device_id, found.name) == ("00053", "Office")
    assert len(calls(logged_in, "GET", "/devices/00053")) == 2
    assert fake_time.sleeps


async def test_a_dropped_connection_that_persists_is_a_transport_error(
    client: LivionKeyClient, logged_in: Any
) -> None:
    logged_in.get(f"{BASE}/devices/00053", exception=aiohttp.ServerDisconnectedError(), repeat=True)

    with pytest.raises(TransportError) as info:
        await client.devices.get("00053")

    assert not isinstance(info.value, AmbiguousOutcomeError)
    assert info.value.status is None
    assert len(calls(logged_in, "GET", "/devices/00053")) == 4


@pytest.mark.parametrize(
    ("method", "path", "answer", "call"),
    [
        ("GET", "/devices", [], lambda c: c.devices.list()),
        (
            "POST",
            "/contracts",
            {"id": "obj-1", "pincode": "123456"},
            lambda c: c.contracts.create(contract()),
        ),
        (
            "POST",
            "/devices/00053/opendoor",
            {"success": True},
            lambda c: c.devices.open_door("00053", 2),
        ),
        ("DELETE", "/contracts/obj-1", {"success": True}, lambda c: c.contracts.delete("obj-1")),
    ],
    ids=["get", "create-contract", "open-door", "delete"],
)
async def test_a_429_is_waited_out_and_retried_for_any_request(
    client: LivionKeyClient,
    logged_in: Any,
    fake_time: FakeTime,
    method: str,
    path: str,
    answer: Any,
    call: Callable[[LivionKeyClient], Awaitable[object]],
) -> None:
    logged_in.add(
        f"{BASE}{path}",
        method,
        status=429,
        body="Too Many Requests",
        headers={"Retry-After": "1"},
    )
    logged_in.add(f"{BASE}{path}", method, payload=answer)

    await call(client)

    sent = calls(logged_in, method, path)
    assert len(sent) == 2
    assert sent_json(sent[0]) == sent_json(sent[1])
    assert sum(fake_time.sleeps) >= 1.0, "the Retry-After must be waited out (on the fake clock)"
    assert client.stats.throttled == 1


# -- local validation: nothing is sent -----------------------------------------------------------

NAIVE = datetime(2026, 12, 1, 12, 0)  # naive on purpose

BAD_CONTRACTS: dict[str, Callable[[], NewContract]] = {
    "naive-start": lambda: contract(start=NAIVE, end=None),
    "naive-end": lambda: contract(end=NAIVE),
    "end-equals-start": lambda: contract(end=START),
    "end-before-start": lambda: contract(start=END, end=START),
    "perm-with-end": lambda: contract(perm=True),
    "bad-language": lambda: contract(
        contacts=[Contact(email="a@b.c", language=cast(Any, "en-us"))]
    ),
    "pincode-too-short": lambda: contract(pincode="123"),
    "pincode-too-long": lambda: contract(pincode="123456789"),
    "pincode-not-digits": lambda: contract(pincode="12a456"),
    "empty-keys": lambda: contract(keys=[]),
    "empty-contract-id": lambda: contract(contract_id=""),
    "empty-person": lambda: contract(person="  "),
    "return-without-end": lambda: contract(type="return", end=None),
    "sms-without-phone": lambda: contract(contacts=[Contact(send_sms=True)]),
}


@pytest.mark.parametrize("make", list(BAD_CONTRACTS.values()), ids=list(BAD_CONTRACTS))
async def test_invalid_contract_is_refused_before_sending(
    client: LivionKeyClient, logged_in: Any, make: Callable[[], NewContract]
) -> None:
    logged_in.post(f"{BASE}/contracts", payload={"id": "obj-1", "pincode": "123456"})

    with pytest.raises(ValidationError) as info:
        await client.contracts.create(make())

    assert info.value.status is None
    assert logged_in.requests == {}


BAD_UPDATES: dict[str, Callable[[LivionKeyClient], Awaitable[object]]] = {
    "update-naive-start": lambda c: c.contracts.update(
        "obj-1", ContractUpdate(keys=[KeyRef("d", "k")], start=NAIVE)
    ),
    "update-end-before-start": lambda c: c.contracts.update(
        "obj-1", ContractUpdate(keys=[KeyRef("d", "k")], start=END, end=START)
    ),
    "update-perm-with-end": lambda c: c.contracts.update(
        "obj-1", ContractUpdate(keys=[KeyRef("d", "k")], perm=True, end=END)
    ),
    "update-bad-pincode": lambda c: c.contracts.update(
        "obj-1", ContractUpdate(keys=[KeyRef("d", "k")], pincode="12")
    ),
    "update-empty-keys": lambda c: c.contracts.update("obj-1", ContractUpdate(keys=[])),
    "update-bad-language": lambda c: c.contracts.update(
        "obj-1",
        ContractUpdate(keys=[KeyRef("d", "k")], contacts=[Contact(language=cast(Any, "de-de"))]),
    ),
    "set-pincode-bad": lambda c: c.contracts.set_pincode("obj-1", [KeyRef("d", "k")], "abcd"),
    "set-pincode-empty-keys": lambda c: c.contracts.set_pincode("obj-1", []),
    "key-empty-name": lambda c: c.keys.create(NewKey(key_id="k", name=" ", device_id="d")),
    "key-negative-locker": lambda c: c.keys.create(
        NewKey(key_id="k", name="n", device_id="d", locker_index=-1)
    ),
    "key-update-negative-locker": lambda c: c.keys.update("k", device_id="d", locker_index=-2),
    "id-with-slash": lambda c: c.contracts.get("a/b"),
    "empty-device-id": lambda c: c.devices.keys(""),
    "negative-locker-index": lambda c: c.devices.open_door("00053", -1),
    "page-limit-too-big": lambda c: c.devices.page(limit=51),
    "find-no-devices": lambda c: c.contracts.find("booking-1", device_ids=[]),
}


@pytest.mark.parametrize("call", list(BAD_UPDATES.values()), ids=list(BAD_UPDATES))
async def test_other_invalid_requests_are_refused_before_sending(
    client: LivionKeyClient,
    logged_in: Any,
    call: Callable[[LivionKeyClient], Awaitable[object]],
) -> None:
    logged_in.post(re.compile(r".*"), payload={}, repeat=True)
    logged_in.get(re.compile(r".*"), payload={}, repeat=True)

    with pytest.raises(ValidationError):
        await call(client)

    assert logged_in.requests == {}


@pytest.mark.parametrize(
    "call",
    [
        lambda c: c.devices.keys(".."),
        lambda c: c.contracts.delete(".."),
        lambda c: c.keys.get(".", device_id="00053"),
    ],
    ids=["devices-keys", "contracts-delete", "keys-get-dot"],
)
async def test_dot_segment_ids_are_refused(
    client: LivionKeyClient,
    logged_in: Any,
    call: Callable[[LivionKeyClient], Awaitable[object]],
) -> None:
    logged_in.get(re.compile(r".*"), payload=[], repeat=True)
    logged_in.delete(re.compile(r".*"), payload={"success": True}, repeat=True)

    with pytest.raises(ValidationError):
        await call(client)

    assert logged_in.requests == {}


# -- devices V1 does not serve -------------------------------------------------------------------

V1_OPERATIONS: dict[str, Callable[[LivionKeyClient, str], Awaitable[object]]] = {
    "devices.keys": lambda c, d: c.devices.keys(d),
    "devices.contracts": lambda c, d: c.devices.contracts(d),
    "keys.create": lambda c, d: c.keys.create(NewKey(key_id="k1", name="Key", device_id=d)),
    "keys.get": lambda c, d: c.keys.get("k1", device_id=d),
    "contracts.create": lambda c, d: c.contracts.create(
        contract(keys=[KeyRef("00053", "A4324"), KeyRef(d, "k1")])
    ),
}


@pytest.mark.parametrize("operation", list(V1_OPERATIONS.values()), ids=list(V1_OPERATIONS))
@pytest.mark.parametrize("product", ["key20", "keypad"])
async def test_v1_operations_on_unsupported_devices_are_refused(
    client: LivionKeyClient,
    logged_in: Any,
    product: str,
    operation: Callable[[LivionKeyClient, str], Awaitable[object]],
) -> None:
    logged_in.get(
        url("/devices", products=[product, "key30"], limit="50"),
        payload={
            "devices": [
                {"id": "dev-x", "product": product, "name": "Other automat"},
                {"id": "00053", "product": "key30"},
            ],
            "pageInfo": {"start": 0, "end": 2, "hasNext": False},
        },
    )
    logged_in.post(re.compile(r".*/(keys|contracts)$"), payload={}, repeat=True)
    logged_in.get(re.compile(r".*/(keys|contracts)(\?.*)?$"), payload=[], repeat=True)

    page = await client.devices.page(products=[product, "key30"])
    assert page.devices[0].product == product

    with pytest.raises(UnsupportedDeviceError) as info:
        await operation(client, "dev-x")

    assert isinstance(info.value, ValidationError)
    assert "dev-x" in info.value.message
    assert set(logged_in.requests) == {
        ("POST", url("/auth/login")),
        ("GET", url("/devices", products=[product, "key30"], limit="50")),
    }


async def test_v1_devices_listed_alongside_stay_usable(
    client: LivionKeyClient, logged_in: Any
) -> None:
    logged_in.get(
        url("/devices", products=["key30", "key20"], limit="50"),
        payload={
            "devices": [{"id": "dev-x", "product": "key20"}, {"id": "00053", "product": "key30"}],
            "pageInfo": {"start": 0, "end": 2, "hasNext": False},
        },
    )
    logged_in.get(f"{BASE}/devices/00053/keys", payload=[])

    await client.devices.page(products=["key30", "key20"])

    assert await client.devices.keys("00053") == []
    with pytest.raises(UnsupportedDeviceError):
        await client.devices.keys("dev-x")


# -- base URL ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "base_url", ["http://example.com", "http://api.livionkey.com:8080", "ftp://example.com", "nope"]
)
async def test_insecure_or_bad_base_url_is_refused(base_url: str) -> None:
    with pytest.raises(ValidationError):
        LivionKeyClient(EMAIL, PASSWORD, base_url=base_url)


@pytest.mark.parametrize(
    "base_url", ["http://127.0.0.1:8080", "http://localhost:8080", "http://[::1]:8080"]
)
async def test_plain_http_to_loopback_is_accepted(base_url: str) -> None:
    client = LivionKeyClient(EMAIL, PASSWORD, base_url=base_url)
    assert client.base_url.scheme == "http"
    assert client.base_url.port == 8080
    await client.close()


async def test_allow_insecure_accepts_plain_http() -> None:
    client = LivionKeyClient(EMAIL, PASSWORD, base_url="http://example.com", allow_insecure=True)
    assert str(client.base_url) == "http://example.com/"
    await client.close()


@pytest.mark.parametrize(("email", "password"), [("", "pw"), ("user@example.com", "")])
async def test_missing_credentials_are_refused(email: str, password: str) -> None:
    with pytest.raises(ValidationError):
        LivionKeyClient(email, password, base_url=BASE)


# -- throttling limits and resent deletes --------------------------------------------------------


async def test_a_pause_longer_than_max_wait_is_rate_limited_at_once(
    client: LivionKeyClient, logged_in: Any, fake_time: FakeTime
) -> None:
    logged_in.get(
        f"{BASE}/devices",
        status=429,
        body="Too Many Requests",
        headers={"Retry-After": "120"},
        repeat=True,
    )

    with pytest.raises(RateLimitedError) as info:
        await client.devices.list()

    assert info.value.status is None  # the client's own refusal to wait, not a server answer
    assert info.value.retry_after is not None
    assert info.value.retry_after > 60
    assert len(calls(logged_in, "GET", "/devices")) == 1
    assert sum(fake_time.sleeps) < 60


async def test_a_throttled_login_is_tried_at_most_max_throttled_attempts_times(
    fake_time: FakeTime, mocked: Any
) -> None:
    mocked.post(
        f"{BASE}/auth/login",
        status=429,
        body="Too many login attempts, try again later",
        headers={"Retry-After": "1"},
        repeat=True,
    )
    mocked.get(f"{BASE}/devices", payload=[], repeat=True)

    async with new_client(fake_time, max_throttled_attempts=3) as client:
        with pytest.raises(RateLimitedError):
            await client.devices.list()

    assert len(calls(mocked, "POST", "/auth/login")) <= 3  # 9 are sent


async def test_a_delete_resent_after_a_5xx_that_finds_nothing_is_done(
    client: LivionKeyClient, logged_in: Any
) -> None:
    logged_in.delete(f"{BASE}/contracts/obj-1", status=503, body="Service Unavailable")
    logged_in.delete(f"{BASE}/contracts/obj-1", status=400, body="Contract not found")

    await client.contracts.delete("obj-1")  # the first attempt did delete it

    assert len(calls(logged_in, "DELETE", "/contracts/obj-1")) == 2


async def test_a_delete_of_an_unknown_contract_is_not_found(
    client: LivionKeyClient, logged_in: Any
) -> None:
    logged_in.delete(f"{BASE}/contracts/nope", status=400, body="Contract not found")

    with pytest.raises(NotFoundError):
        await client.contracts.delete("nope")


async def test_a_delete_throttled_once_of_an_unknown_contract_is_still_not_found(
    client: LivionKeyClient, logged_in: Any
) -> None:
    logged_in.delete(
        f"{BASE}/contracts/nope",
        status=429,
        body="Too Many Requests",
        headers={"Retry-After": "1"},
    )
    logged_in.delete(f"{BASE}/contracts/nope", status=400, body="Contract not found")

    with pytest.raises(NotFoundError):
        await client.contracts.delete("nope")
