"""Hostile networks, secrets: nothing secret in any error we raise, however it is looked at.

Each scenario makes the client fail against a server that echoes what it was sent (the password
with quotes, backslashes and non-ASCII, in plain text, JSON-escaped or URL-encoded; the bearer
token; a pincode or a key code) or breaks the answer so that aiohttp's own exception (which
carries the request, ``Authorization`` header included) is what the client meets. Then the whole
error is walked: its ``str`` and ``repr``, its arguments and attributes, its notes, and every
exception chained to it as ``__cause__`` or ``__context__``, and the log records at DEBUG.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Iterator
from datetime import UTC, datetime
from urllib.parse import quote, quote_plus

import pytest
from aiohttp import web
from hostile_support import (
    PASSWORD,
    PINCODE,
    TOKEN,
    Behave,
    new_client,
    raw_server,
    web_server,
)

from livionkey_async import (
    KeyRef,
    LivionKeyError,
    LoginError,
    NewContract,
    NewKey,
    PincodeConflictError,
    ServerError,
    TransportError,
)
from livionkey_async._errors import redact, secret_forms, shown
from livionkey_async.iloq import IloqClient

KEY_CODE = "90817263"
API_KEY = "iloq-gateway-77Zq"  # sent as a header, so inside aiohttp's request info
SECRETS = (PASSWORD, TOKEN, PINCODE, KEY_CODE, API_KEY)
LATER = datetime(2031, 1, 1, tzinfo=UTC)
MALFORMED = b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nBad\x00Header: x\r\n\r\n{}"  # a NUL
GUARD = 3.0


def texts_of(error: BaseException) -> Iterator[str]:
    """Everything an error shows, and every error chained to it shows."""
    seen: set[int] = set()
    todo = [error]
    while todo:
        current = todo.pop()
        if id(current) in seen:
            continue
        seen.add(id(current))
        yield str(current)
        yield repr(current)
        yield from (repr(arg) for arg in current.args)
        yield from (repr(value) for value in vars(current).values())
        yield from getattr(current, "__notes__", [])
        linked = [current.__cause__, current.__context__, *current.args]
        todo.extend(e for e in linked if isinstance(e, BaseException))


def leaks(texts: Iterator[str] | list[str]) -> list[str]:
    """The secrets (or any six characters in a row of one, in any form) the texts show."""
    found = []
    for text in texts:
        for secret in SECRETS:
            for form in secret_forms(secret):
                pieces = {form[i : i + 6] for i in range(max(1, len(form) - 5))}
                found += [
                    f"{piece!r} of {secret!r} in {text!r}" for piece in pieces if piece in text
                ]
    return found


def assert_clean(error: BaseException, caplog: pytest.LogCaptureFixture) -> None:
    assert isinstance(error, LivionKeyError)
    assert leaks(texts_of(error)) == []
    assert leaks([record.getMessage() for record in caplog.records]) == []


def answer_raw(data: bytes) -> Behave:
    """A raw server's behaviour: write ``data`` as the answer, then close the connection."""

    async def behave(method: str, path: str, reader: object, writer: asyncio.StreamWriter) -> None:
        writer.write(data)
        await writer.drain()

    return behave


@pytest.fixture(autouse=True)
def debug_logs(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG, logger="livionkey_async")


async def test_a_malformed_answer_head_chains_nothing_of_aiohttps(
    caplog: pytest.LogCaptureFixture,
) -> None:
    async with raw_server(answer_raw(MALFORMED)) as url, new_client(url) as client:
        async with asyncio.timeout(GUARD):
            with pytest.raises(TransportError) as caught:
                await client.devices.get("00001")
    assert_clean(caught.value, caplog)


async def test_a_connection_dropped_mid_answer_chains_nothing(
    caplog: pytest.LogCaptureFixture,
) -> None:
    drop = answer_raw(b"HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n{")  # then closes

    async with raw_server(drop) as url, new_client(url) as client:
        async with asyncio.timeout(GUARD):
            with pytest.raises(TransportError) as caught:
                await client.devices.get("00001")
    assert_clean(caught.value, caplog)


ECHOED_PASSWORDS = [
    f"Invalid login for password {PASSWORD}",  # as it is
    '{"error": {"email": "x", "password": ' + json.dumps(PASSWORD) + "}}",  # JSON, escaped
    "Bad body: " + json.dumps({"email": "x", "password": PASSWORD}),  # ... inside text
    '{"message": "wrong password ' + PASSWORD.replace("\\", "\\\\").replace('"', '\\"') + '"}',
    f"bad request: email=x&password={quote_plus(PASSWORD)}",  # a form, URL-encoded
    f"bad request: /login?password={quote(PASSWORD, safe='')}",
    "x" * 70_000 + PASSWORD,  # beyond what a message is searched for, cut in two
]


@pytest.mark.parametrize("body", ECHOED_PASSWORDS, ids=range(len(ECHOED_PASSWORDS)))
async def test_an_echoed_password_never_shows_in_any_form(
    body: str, caplog: pytest.LogCaptureFixture
) -> None:
    async def login(request: web.Request) -> web.StreamResponse:
        return web.Response(status=401, text=body)

    async def unused(request: web.Request) -> web.StreamResponse:
        raise AssertionError("no request after a refused login")

    async with web_server(unused, login=login) as url, new_client(url) as client:
        async with asyncio.timeout(GUARD):
            with pytest.raises(LoginError) as caught:
                await client.devices.get("00001")
    assert_clean(caught.value, caplog)


async def test_an_echoed_token_never_shows(caplog: pytest.LogCaptureFixture) -> None:
    async def echo(request: web.Request) -> web.StreamResponse:
        sent = request.headers.get("Authorization", "")
        return web.Response(status=500, text=f"upstream failed for {sent} ({sent[7:]})")

    async with web_server(echo) as url, new_client(url) as client:
        async with asyncio.timeout(GUARD):
            with pytest.raises(ServerError) as caught:
                await client.devices.get("00001")
    assert_clean(caught.value, caplog)


async def test_a_pincode_named_in_a_conflict_is_redacted_and_still_understood(
    caplog: pytest.LogCaptureFixture,
) -> None:
    async def conflict(request: web.Request) -> web.StreamResponse:
        return web.Response(
            status=400, text=f"Pincode {PINCODE} already used in existing contracts"
        )

    spec = NewContract(
        contract_id="b-1", keys=[KeyRef("00001", "K1")], start=LATER, person="p", pincode=PINCODE
    )
    async with web_server(conflict) as url, new_client(url) as client:
        async with asyncio.timeout(GUARD):
            with pytest.raises(PincodeConflictError) as caught:
                await client.contracts.create(spec)
    assert_clean(caught.value, caplog)


def test_a_secret_field_cut_anywhere_is_hidden_whole() -> None:
    # An answer cut short (a dropped connection, a limit) can end inside a secret's JSON value,
    # even inside an escape: what is left of the value is still hidden, known secret or not.
    echo = json.dumps({"email": "x", "password": PASSWORD, "pincodes": [PINCODE, "730021"]})
    for cut in range(len(echo) + 1):
        assert leaks([shown(echo[:cut])]) == [], echo[:cut]


async def test_a_pincode_the_client_never_sent_is_redacted_too() -> None:
    # A generated pincode the server names: unknown to the client, hidden by its shape.
    assert redact("Pincode 730021 already used") == "Pincode [redacted] already used"
    assert "5550" not in redact("backup codes: 55501234, 55505678")


async def test_an_echoed_key_code_never_shows(caplog: pytest.LogCaptureFixture) -> None:
    async def echo(request: web.Request) -> web.StreamResponse:
        return web.Response(status=400, text=f"malformed key: {await request.text()}")

    key = NewKey(key_id="K1", name="n", device_id="00001", key_code=KEY_CODE)
    async with web_server(echo) as url, new_client(url) as client:
        async with asyncio.timeout(GUARD):
            with pytest.raises(LivionKeyError) as caught:
                await client.keys.create(key)
    assert_clean(caught.value, caplog)


async def test_the_iloq_client_chains_nothing_either(caplog: pytest.LogCaptureFixture) -> None:
    async with (
        raw_server(answer_raw(MALFORMED)) as url,
        IloqClient(url + "/iloqws", api_key=API_KEY, max_attempts=1) as iloq,
        asyncio.timeout(GUARD),
    ):
        with pytest.raises(TransportError) as caught:
            await iloq.create_session("CUSTOMER", "api.user", PASSWORD)
    assert_clean(caught.value, caplog)
