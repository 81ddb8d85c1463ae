"""Hostile networks, strict success: a body that is not the documented success is never a value.

Every endpoint Livion documents as answering JSON refuses a success answered with text, HTML or
nothing (``ResponseFormatError``); the endpoints that answer in words accept a short line with
their phrase, never a page that happens to contain it; and a login that answers no usable token
is a ``LoginError``, with no request ever sent as ``Authorization: Bearer ``.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web
from hostile_support import new_client, web_server

from livionkey_async import (
    ContractUpdate,
    CreatedKey,
    KeyEvent,
    KeyRef,
    LivionKeyClient,
    LoginError,
    NewAccessRight,
    NewContract,
    NewKey,
    ResponseFormatError,
)

FIXTURES = Path(__file__).parent.parent / "fixtures" / "livion"
LATER = datetime(2031, 1, 1, tzinfo=UTC)
GUARD = 3.0

Call = Callable[[LivionKeyClient], Awaitable[object]]

# Every read and write whose success Livion documents as JSON (``tests/fixtures/livion``).
JSON_DOCUMENTED: dict[str, Call] = {
    "devices.list": lambda c: c.devices.list(),
    "devices.page": lambda c: c.devices.page(),
    "devices.get": lambda c: c.devices.get("00001"),
    "devices.keys": lambda c: c.devices.keys("00001"),
    "devices.contracts": lambda c: c.devices.contracts("00001"),
    "devices.lockers": lambda c: c.devices.lockers("00001"),
    "devices.locker": lambda c: c.devices.locker("00001", 0),
    "keys.create": lambda c: c.keys.create(NewKey(key_id="K1", name="n", device_id="00001")),
    "keys.get": lambda c: c.keys.get("K1", device_id="00001"),
    "keys.status": lambda c: c.keys.status("K1", device_id="00001"),
    "contracts.create": lambda c: c.contracts.create(
        NewContract(contract_id="b-1", keys=[KeyRef("00001", "K1")], start=LATER, person="p"),
        reconcile=False,
    ),
    "contracts.get": lambda c: c.contracts.get("c1"),
    "contracts.set_pincode": lambda c: c.contracts.set_pincode("c1", [KeyRef("00001", "K1")]),
    "keypad.create": lambda c: c.keypad.create(
        NewAccessRight(access_right_id="r-1", device_ids=["kp-1"], start=LATER, person="p")
    ),
    "keypad.get": lambda c: c.keypad.get("a1"),
    "keypad.regenerate_pincode": lambda c: c.keypad.regenerate_pincode("a1", ["kp-1"]),
    "keypad.device_access_rights": lambda c: c.keypad.device_access_rights("kp-1"),
}
# What a proxy, a half-configured gateway or a confused server answers with a 200.
NOT_JSON = [
    b"",
    b"   \n",
    b"OK",
    b"Success",
    b"<html><body>Key added</body></html>",
    b"<!DOCTYPE html><title>Login</title>",
    b"\xff\xfe\x00 not text",
]


async def with_answers(bodies: list[bytes], call: Call, **options: Any) -> list[object]:
    """What ``call`` returns (or raises) for each of ``bodies`` answered 200."""
    current = b""

    async def answer(request: web.Request) -> web.StreamResponse:
        return web.Response(body=current, content_type="text/html")

    outcomes: list[object] = []
    async with web_server(answer) as url, new_client(url, **options) as client:
        async with asyncio.timeout(GUARD):
            for current in bodies:  # noqa: B007 (read by the handler)
                try:
                    outcomes.append(await call(client))
                except Exception as exc:
                    outcomes.append(exc)
    return outcomes


@pytest.mark.parametrize("name", list(JSON_DOCUMENTED))
async def test_a_json_endpoint_answered_text_or_nothing_is_a_format_error(name: str) -> None:
    outcomes = await with_answers(NOT_JSON, JSON_DOCUMENTED[name])
    wrong = {body: outcome for body, outcome in zip(NOT_JSON, outcomes, strict=True)}
    assert all(isinstance(o, ResponseFormatError) for o in outcomes), wrong


async def test_the_documented_answers_still_read() -> None:
    examples = FIXTURES / "apidoc-livionkey30"
    (made,) = await with_answers(
        [(examples / "POST_keys.json").read_bytes()], JSON_DOCUMENTED["keys.create"]
    )
    (event,) = await with_answers(
        [(examples / "GET_keys_id_status.json").read_bytes()], JSON_DOCUMENTED["keys.status"]
    )
    assert made == CreatedKey(locker_index=3)
    assert isinstance(event, KeyEvent)
    assert event.action == "key-fetched"


@pytest.mark.parametrize(
    "body",
    [
        b"<p>backup codes updated</p>",
        b"<html><body><h1>Error</h1><p>backup codes updated failed</p></body></html>",
        b"Gateway says: backup codes updated? " + b"no. " * 100,
        b"Backup codes",
    ],
)
async def test_backup_codes_answered_with_a_page_are_never_codes(body: bytes) -> None:
    (outcome,) = await with_answers(
        [body], lambda c: c.keys.regenerate_backup_codes("K1", device_id="00001")
    )
    assert isinstance(outcome, ResponseFormatError)


@pytest.mark.parametrize("body", [b"Key updated", b'"updated"', b"updated\n", b""])
async def test_an_answer_in_words_reads_as_done(body: bytes) -> None:
    update = ContractUpdate(keys=[KeyRef("00001", "K1")], person="Jane")
    (outcome,) = await with_answers([body], lambda c: c.contracts.update("c1", update))
    assert outcome is None


# -- the login ------------------------------------------------------------------------------------

UNUSABLE_LOGINS: list[object] = [
    {"token": ""},
    {"token": "   "},
    {"token": None},
    {"token": 12345},
    {"token": ["tok"]},
    {"token": "tok\r\nX-Injected: yes"},
    {"token": "tök-ünicode"},
    {"expirationTime": "Tue, 06 Aug 2030 11:31:29 GMT"},
    [],
    "token",
]


@pytest.mark.parametrize("answer", UNUSABLE_LOGINS, ids=[repr(a)[:24] for a in UNUSABLE_LOGINS])
async def test_a_login_without_a_usable_token_is_a_login_error(answer: object) -> None:
    seen: list[str | None] = []

    async def login(request: web.Request) -> web.StreamResponse:
        return web.Response(text=json.dumps(answer), content_type="application/json")

    async def resource(request: web.Request) -> web.StreamResponse:
        seen.append(request.headers.get("Authorization"))
        return web.json_response({"id": "00001"})

    async with web_server(resource, login=login) as url, new_client(url) as client:
        async with asyncio.timeout(GUARD):
            with pytest.raises(LoginError, match="token"):
                await client.devices.get("00001")
            with pytest.raises(LoginError):  # remembered, as a refused login is
                await client.devices.get("00001")
    assert seen == []  # never `Bearer ` (nor anything else) on the wire


async def test_a_login_answered_with_a_page_is_a_login_error() -> None:
    async def login(request: web.Request) -> web.StreamResponse:
        return web.Response(text="<html><title>Sign in</title></html>", content_type="text/html")

    async def resource(request: web.Request) -> web.StreamResponse:
        raise AssertionError("no request may follow a login without a token")

    async with web_server(resource, login=login) as url, new_client(url) as client:
        async with asyncio.timeout(GUARD):
            with pytest.raises(LoginError, match="token"):
                await client.login()
