"""A robust reader: whatever a 200 carries, the client returns a typed value or raises
``ResponseFormatError``, never any other exception.

Every documented shape (Livion's own examples, in ``tests/fixtures/livion``) is mutated the ways a
real service drifts: optional fields dropped or ``null``, unknown fields added, locker indexes
flipped between string and number, tags between a string and a list. Then every endpoint is fed
truncated and non-JSON bodies. The answers go through the client's whole request path, with only
the HTTP exchange replaced (no sockets: hypothesis runs hundreds of examples).
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from livionkey_async import (
    ContractUpdate,
    KeyRef,
    LivionKeyClient,
    NewAccessRight,
    NewContract,
    NewKey,
    ResponseFormatError,
)
from livionkey_async._lenient_json import loads_lenient
from livionkey_async._ratelimit_headers import RateLimitHint
from livionkey_async._transport import Call, _Answer, _Progress, _Wire

FIXTURES = Path(__file__).parent.parent / "fixtures" / "livion"
LOGIN = b'{"token": "tok", "expirationTime": "Tue, 06 Aug 2030 11:31:29 GMT"}'
PRODUCTS = json.dumps(
    {
        "devices": [{"id": "00053", "product": "key30"}, {"id": "kp-1", "product": "keypad"}],
        "pageInfo": {"start": 0, "end": 2, "hasNext": False},
    }
).encode()
LATER = datetime(2030, 1, 1, tzinfo=UTC)

Read = Callable[[LivionKeyClient], Awaitable[object]]

# Every endpoint the client reads, with the example Livion publishes for it (None: an answer in
# words, or none documented).
ENDPOINTS: dict[str, tuple[str | None, Read]] = {
    "devices.list": ("apidoc-livionkey30/GET_devices.json", lambda c: c.devices.list()),
    "devices.page": (
        "apidoc-livionkey30/GET_devices.paginated_extend_lockers.json",
        lambda c: c.devices.page(lockers=True),
    ),
    "devices.get": (
        "apidoc-livionkey30/GET_devices_id.extend_lockers.json",
        lambda c: c.devices.get("00054", lockers=True),
    ),
    "devices.keys": (
        "apidoc-livionkey30/GET_devices_id_keys.json",
        lambda c: c.devices.keys("00053"),
    ),
    "devices.contracts": (
        "apidoc-livionkey30/GET_devices_id_contracts.json",
        lambda c: c.devices.contracts("00053"),
    ),
    "devices.lockers": (
        "apidoc-livionkey30/GET_devices_id_lockers.json",
        lambda c: c.devices.lockers("00053"),
    ),
    "devices.locker": (
        "apidoc-livionkey30/GET_devices_id_lockers_lockerIndex.json",
        lambda c: c.devices.locker("00053", 0),
    ),
    "devices.open_door": (None, lambda c: c.devices.open_door("00053", 0)),
    "keys.create": (
        "apidoc-livionkey30/POST_keys.json",
        lambda c: c.keys.create(NewKey(key_id="A53", name="n", device_id="00053")),
    ),
    "keys.get": (
        "apidoc-livionkey30/GET_keys_id.json",
        lambda c: c.keys.get("A53", device_id="00053", key_status=True),
    ),
    "keys.status": (
        "apidoc-livionkey30/GET_keys_id_status.json",
        lambda c: c.keys.status("A53", device_id="00053"),
    ),
    "keys.update": (None, lambda c: c.keys.update("A53", device_id="00053", name="n")),
    "keys.delete": (None, lambda c: c.keys.delete("A53", device_id="00053")),
    "contracts.create": (
        "apidoc-livionkey30/POST_contracts.json",
        lambda c: c.contracts.create(
            NewContract(contract_id="b", keys=[KeyRef("00053", "A53")], start=LATER, person="p")
        ),
    ),
    "contracts.get": ("apidoc-livionkey30/GET_contracts_id.json", lambda c: c.contracts.get("c1")),
    "contracts.set_pincode": (
        "apidoc-livionkey30/POST_contracts_id_pincode.json",
        lambda c: c.contracts.set_pincode("c1", [KeyRef("00053", "A53")]),
    ),
    "contracts.update": (
        None,
        lambda c: c.contracts.update("c1", ContractUpdate(keys=[KeyRef("00053", "A53")])),
    ),
    "contracts.delete": (None, lambda c: c.contracts.delete("c1")),
    "keypad.get": ("apidoc-livionkeypad/GET_accessrights_id.json", lambda c: c.keypad.get("a1")),
    "keypad.create": (
        "apidoc-livionkeypad/POST_accessrights.json",
        lambda c: c.keypad.create(
            NewAccessRight(access_right_id="r", device_ids=["kp-1"], start=LATER, person="p")
        ),
    ),
    "keypad.regenerate_pincode": (
        "apidoc-livionkeypad/POST_accessrights_id_pincode.json",
        lambda c: c.keypad.regenerate_pincode("a1", ["kp-1"]),
    ),
    "keypad.device_access_rights": (
        "apidoc-livionkeypad/GET_devices_id_accessrights.json",
        lambda c: c.keypad.device_access_rights("kp-1"),
    ),
    "keypad.unlock": (None, lambda c: c.keypad.unlock("kp-1")),
}


async def answered(body: bytes, read: Read) -> object:
    """``read`` on a client whose every exchange answers 200 with ``body`` (the login and the
    product listing excepted)."""
    client = LivionKeyClient("user@example.com", "pw", base_url="https://api.example.test")

    async def exchange(
        call: Call, wire: _Wire, credential: str | None, attempt: int, progress: _Progress
    ) -> _Answer:
        if call.path == "auth/login":
            return _Answer(200, LOGIN, RateLimitHint())
        if call.path == "devices" and ("products", "key20") in list(call.params or ()):
            return _Answer(200, PRODUCTS, RateLimitHint())  # the account's product listing
        return _Answer(200, body, RateLimitHint())

    client._transport._exchange = exchange  # type: ignore[method-assign]
    try:
        return await read(client)
    finally:
        await client.close()


def read_or_format_error(body: bytes, read: Read) -> None:
    """Read ``body``: a value, or a ``ResponseFormatError`` that says what was wrong; any other
    exception propagates and fails the test."""
    try:
        asyncio.run(answered(body, read))
    except ResponseFormatError as exc:
        error = exc
    else:
        return
    assert error.status is None
    assert error.message


# -- mutations of the documented shapes ----------------------------------------------------------

json_scalars = st.none() | st.booleans() | st.integers(-5, 5) | st.text(max_size=5)
json_values = st.recursive(
    json_scalars,
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner, max_size=3)
    ),
    max_leaves=6,
)


@st.composite
def mutated(draw: st.DrawFn, value: Any) -> Any:
    """``value`` with each member kept, dropped, nulled or retyped, and unknown ones added."""
    if isinstance(value, list):
        return [draw(mutated(item)) for item in value]
    if not isinstance(value, dict):
        return value
    out: dict[str, Any] = {}
    for name, member in value.items():
        choice = draw(st.sampled_from(["keep", "keep", "drop", "null", "retype"]))
        if choice == "drop":
            continue
        if choice == "null":
            out[name] = None
        elif choice == "retype":
            out[name] = retyped(name, member, draw)
        else:
            out[name] = draw(mutated(member))
    for extra in draw(st.lists(st.text(min_size=1, max_size=8), max_size=2)):
        out.setdefault(extra, draw(json_values))
    return out


def retyped(name: str, member: Any, draw: st.DrawFn) -> Any:
    """The other form Livion uses for the same field, or an arbitrary JSON value."""
    if name == "lockerIndex" and isinstance(member, int | str):
        return str(member) if isinstance(member, int) else int(member) if member.isdigit() else 0
    if name == "tag":
        return [member] if isinstance(member, str) else (member[0] if member else "")
    return draw(json_values)


def example(path: str) -> Any:
    text = (FIXTURES / path).read_text()
    try:
        return json.loads(text)
    except ValueError:
        return loads_lenient(text)


DOCUMENTED = {name: (path, read) for name, (path, read) in ENDPOINTS.items() if path is not None}


@pytest.mark.parametrize("name", list(DOCUMENTED))
@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(data=st.data())
def test_a_drifted_documented_shape_reads_or_is_a_format_error(
    name: str, data: st.DataObject
) -> None:
    path, read = DOCUMENTED[name]
    shape = data.draw(mutated(example(path)))
    read_or_format_error(json.dumps(shape).encode(), read)


@pytest.mark.parametrize("name", list(DOCUMENTED))
def test_the_documented_shape_itself_reads(name: str) -> None:
    path, read = DOCUMENTED[name]
    value = asyncio.run(answered((FIXTURES / path).read_bytes(), read))
    assert value is not None or name.startswith("keypad.unlock")


# -- bodies that are not the documented shape at all --------------------------------------------

GARBAGE = [
    b"",
    b"   ",
    b"null",
    b"[]",
    b"{}",
    b"42",
    b'"text"',
    b"true",
    b"<html><body>502 Bad Gateway</body></html>",
    b"\xff\xfe\x00garbage",
    b'{"devices": [',
    b"[" * 50,
]


@pytest.mark.parametrize("body", GARBAGE, ids=[repr(b[:12]) for b in GARBAGE])
@pytest.mark.parametrize("name", list(ENDPOINTS))
def test_a_non_json_or_empty_body_reads_or_is_a_format_error(name: str, body: bytes) -> None:
    read_or_format_error(body, ENDPOINTS[name][1])


@pytest.mark.parametrize("name", list(DOCUMENTED))
def test_every_truncation_of_a_documented_body_reads_or_is_a_format_error(name: str) -> None:
    path, read = DOCUMENTED[name]
    full = (FIXTURES / path).read_bytes()
    for cut in range(0, len(full), max(1, len(full) // 12)):
        read_or_format_error(full[:cut], read)
