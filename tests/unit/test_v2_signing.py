"""API v2 signatures, checked with the public key exactly as a server would check them.

A small aiohttp server on loopback records every request as it arrived (method, Host, the raw
request target, the raw body bytes) and verifies the signature from those alone, the way Livion
documents it: RSA-SHA256 PKCS#1 v1.5 over ``accountId + timestamp + sha256hex(METHOD + URL +
body)``. The client side is the shared transport with the v2 signer plugged in, so what is
verified is what the library really sends: query strings, escaped path segments, non-ASCII
bodies, a DELETE with a body, and retries (re-signed with a fresh timestamp).
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import json
from collections.abc import AsyncIterator, Callable
from typing import Any
from urllib.parse import quote

import attrs
import pytest
from aiohttp import web
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding
from cryptography.hazmat.primitives.asymmetric.rsa import RSAPrivateKey, RSAPublicKey
from yarl import URL

from livionkey_async import AmbiguousOutcomeError, AuthenticationError, ValidationError
from livionkey_async._pacing import Pacer
from livionkey_async._retry_budget import RetryBudget
from livionkey_async._stats import Counters
from livionkey_async._transport import Call, Transport, encode_json, sent_url
from livionkey_async.v2 import ServiceAccountSigner, load_private_key

ACCOUNT = "sa-5f1c0e"


@attrs.frozen
class Received:
    method: str
    url: str  # rebuilt from the request line and Host, as a server sees them
    body: bytes
    headers: dict[str, str]


def public_key_of(pem: str) -> RSAPublicKey:
    key = serialization.load_pem_private_key(pem.encode(), password=None)
    assert isinstance(key, RSAPrivateKey)
    return key.public_key()


def verifies(public_key: RSAPublicKey, request: Received) -> bool:
    """The server's check, written from Livion's documentation alone."""
    digest = hashlib.sha256(
        request.method.encode() + request.url.encode() + request.body
    ).hexdigest()
    signed = (
        request.headers["x-service-account-id"] + request.headers["x-timestamp"] + digest
    ).encode()
    try:
        public_key.verify(
            base64.b64decode(request.headers["x-signature"]),
            signed,
            padding.PKCS1v15(),
            hashes.SHA256(),
        )
    except (InvalidSignature, ValueError):
        return False
    return True


class Recorder:
    """Records every request; answers from a script of statuses (then 200 ``{}``)."""

    def __init__(self) -> None:
        self.received: list[Received] = []
        self.script: list[int] = []

    async def handle(self, request: web.Request) -> web.StreamResponse:
        body = await request.read()
        self.received.append(
            Received(
                method=request.method,
                url=f"{request.scheme}://{request.host}{request.raw_path}",
                body=body,
                headers={k.lower(): v for k, v in request.headers.items()},
            )
        )
        status = self.script.pop(0) if self.script else 200
        if status == 200:
            return web.json_response({"ok": True})
        return web.json_response(
            {"statusCode": status, "message": "nope", "error": "x"}, status=status
        )


@pytest.fixture
async def recorder() -> AsyncIterator[tuple[Recorder, str]]:
    rec = Recorder()
    app = web.Application()
    app.router.add_route("*", "/{tail:.*}", rec.handle)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    host, port = runner.addresses[0][:2]
    try:
        yield rec, f"http://{host}:{port}/v2/"
    finally:
        await runner.cleanup()


class Wall:
    """A wall clock that moves 1.5 s every time it is read (each attempt gets its own time)."""

    def __init__(self) -> None:
        self.now = 1_795_000_000.0

    def __call__(self) -> float:
        self.now += 1.5
        return self.now


async def no_sleep(_: float) -> None:
    await asyncio.sleep(0)


def make_transport(base: str, signer: ServiceAccountSigner, **options: Any) -> Transport:
    transport = Transport(
        base_url=URL(base),
        pacer=Pacer(initial_rate=None, sleep=no_sleep),
        budget=RetryBudget(),
        counters=Counters(),
        timeout=5.0,
        max_connections=4,
        max_attempts=options.pop("max_attempts", 3),
        max_throttled_attempts=3,
        sleep=no_sleep,
        **options,
    )
    transport.auth = signer
    return transport


@pytest.fixture
def signer_factory(rsa_key_pem: str) -> Callable[..., ServiceAccountSigner]:
    def make(
        pem: str = rsa_key_pem, wall: Callable[[], float] | None = None
    ) -> ServiceAccountSigner:
        return ServiceAccountSigner(ACCOUNT, pem, wall_clock=wall or Wall())

    return make


CASES = [
    Call("GET", "automats", params={"limit": "100"}),
    Call("GET", "iloq/accessRights", params={"search": "Sauna & Pool 2/3", "limit": "5"}),
    Call("GET", "groups", params={"search": "Äänekoski +ö ~x"}),
    Call("GET", f"iloq/keycontracts/{quote('id with space/ä', safe='')}"),
    Call("POST", "iloq/keycontracts", json={"input": {"contact": {"name": "Åsa Öberg 漢字 😀"}}}),
    Call("PATCH", "groups/g1", json={"name": 'quote " and \\ and \n'}),
    Call("DELETE", "mechanical/keys/k1", json={"deleteActiveContracts": True}),
    Call("POST", "automats/a1/uninstall", idempotent=True),
]


@pytest.mark.parametrize("call", CASES, ids=lambda c: f"{c.method} {c.path}")
async def test_every_request_verifies_with_the_public_key(
    recorder: tuple[Recorder, str],
    signer_factory: Callable[..., ServiceAccountSigner],
    rsa_key_pem: str,
    call: Call,
) -> None:
    rec, base = recorder
    transport = make_transport(base, signer_factory())
    try:
        await transport.request(call)
    finally:
        await transport.close()

    (got,) = rec.received
    assert verifies(public_key_of(rsa_key_pem), got)
    assert got.headers["x-service-account-id"] == ACCOUNT
    assert got.url.startswith(base.rstrip("/"))
    if call.json is None:
        assert got.body == b""
        assert got.headers.get("content-type") != "application/json"
    else:
        # The body hashed is the body sent, byte for byte: compact UTF-8 JSON, as JSON.stringify.
        assert got.body == encode_json(call.json)
        assert json.loads(got.body) == call.json
        assert got.headers["content-type"] == "application/json"
        assert b"\\u" not in got.body  # non-ASCII is sent as UTF-8, not escaped


async def test_the_url_hashed_is_the_url_the_server_received(
    recorder: tuple[Recorder, str], signer_factory: Callable[..., ServiceAccountSigner]
) -> None:
    rec, base = recorder
    transport = make_transport(base, signer_factory())
    call = Call("GET", "groups", params={"search": "a b+c/é&=", "customerId": "x"})
    try:
        await transport.request(call)
    finally:
        await transport.close()
    url = URL(base).join(URL("groups")).extend_query(call.params or {})
    assert sent_url(url) == str(url) == rec.received[0].url
    assert "search=a+b%2Bc/%C3%A9%26%3D" in rec.received[0].url


async def test_a_retry_is_signed_again_with_a_fresh_timestamp(
    recorder: tuple[Recorder, str],
    signer_factory: Callable[..., ServiceAccountSigner],
    rsa_key_pem: str,
) -> None:
    rec, base = recorder
    rec.script = [503, 502]
    transport = make_transport(base, signer_factory())
    try:
        await transport.request(Call("PATCH", "groups/g1", json={"name": "Sauna ä"}))
    finally:
        await transport.close()

    assert len(rec.received) == 3
    assert all(verifies(public_key_of(rsa_key_pem), got) for got in rec.received)
    stamps = [int(got.headers["x-timestamp"]) for got in rec.received]
    assert stamps == sorted(set(stamps))  # three different times, increasing
    assert stamps[1] - stamps[0] >= 1500  # milliseconds
    assert len({got.headers["x-signature"] for got in rec.received}) == 3
    assert len({got.body for got in rec.received}) == 1  # serialised once, sent as it was


async def test_the_timestamp_is_the_wall_clock_in_milliseconds(
    recorder: tuple[Recorder, str], signer_factory: Callable[..., ServiceAccountSigner]
) -> None:
    rec, base = recorder
    transport = make_transport(base, signer_factory(wall=lambda: 1_795_000_000.123456))
    try:
        await transport.request(Call("GET", "automats"))
    finally:
        await transport.close()
    assert rec.received[0].headers["x-timestamp"] == "1795000000123"


async def test_a_signature_made_with_another_key_or_over_another_body_fails(
    recorder: tuple[Recorder, str],
    signer_factory: Callable[..., ServiceAccountSigner],
    rsa_key_pem: str,
    other_rsa_key_pem: str,
) -> None:
    rec, base = recorder
    transport = make_transport(base, signer_factory(pem=other_rsa_key_pem))
    try:
        await transport.request(Call("POST", "groups", json={"name": "a"}, idempotent=False))
    finally:
        await transport.close()
    (got,) = rec.received
    public_key = public_key_of(rsa_key_pem)
    assert not verifies(public_key, got)  # the wrong key
    assert verifies(public_key_of(other_rsa_key_pem), got)
    assert not verifies(public_key_of(other_rsa_key_pem), attrs.evolve(got, body=b'{"name":"b"}'))
    assert not verifies(public_key_of(other_rsa_key_pem), attrs.evolve(got, url=got.url + "?x=1"))


async def test_a_refused_signature_is_not_retried(
    recorder: tuple[Recorder, str], signer_factory: Callable[..., ServiceAccountSigner]
) -> None:
    rec, base = recorder
    rec.script = [401]
    transport = make_transport(base, signer_factory())
    try:
        with pytest.raises(AuthenticationError) as caught:
            await transport.request(Call("GET", "automats"))
    finally:
        await transport.close()
    assert caught.value.status == 401
    assert len(rec.received) == 1
    assert transport.counters.unauthorized == 1


async def test_a_non_idempotent_write_is_not_resent(
    recorder: tuple[Recorder, str], signer_factory: Callable[..., ServiceAccountSigner]
) -> None:
    rec, base = recorder
    rec.script = [500]
    transport = make_transport(base, signer_factory())
    try:
        with pytest.raises(AmbiguousOutcomeError) as caught:
            await transport.request(Call("POST", "groups", json={"name": "a"}, idempotent=False))
    finally:
        await transport.close()
    assert caught.value.status == 500
    assert len(rec.received) == 1


def test_the_signer_accepts_pkcs1_pkcs8_escaped_newlines_and_a_loaded_key(
    rsa_key_pem: str,
) -> None:
    key = load_private_key(rsa_key_pem)
    pkcs8 = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    for form in (rsa_key_pem, rsa_key_pem.encode(), pkcs8, rsa_key_pem.replace("\n", "\\n"), key):
        assert load_private_key(form).private_numbers() == key.private_numbers()


@pytest.mark.parametrize(
    "bad",
    ["", "not a key", "-----BEGIN RSA PRIVATE KEY-----\nAAAA\n-----END RSA PRIVATE KEY-----", 42],
)
def test_an_unusable_key_is_a_validation_error_that_chains_nothing(bad: Any) -> None:
    with pytest.raises(ValidationError) as caught:
        ServiceAccountSigner(ACCOUNT, bad)
    assert caught.value.__cause__ is None
    assert caught.value.__context__ is None
    assert "AAAA" not in str(caught.value)


def test_an_ec_key_is_refused() -> None:
    from cryptography.hazmat.primitives.asymmetric import ec

    pem = (
        ec.generate_private_key(ec.SECP256R1())
        .private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
        .decode()
    )
    with pytest.raises(ValidationError, match="RSA"):
        ServiceAccountSigner(ACCOUNT, pem)


def test_the_key_never_shows(rsa_key_pem: str) -> None:
    signer = ServiceAccountSigner(ACCOUNT, rsa_key_pem)
    body = rsa_key_pem.splitlines()[1]
    assert ACCOUNT in repr(signer)
    assert body not in repr(signer)
    assert not hasattr(signer, "__dict__")  # nothing but the slots: no stray copy of the PEM


def test_an_empty_account_id_is_refused(rsa_key_pem: str) -> None:
    with pytest.raises(ValidationError, match="service_account_id"):
        ServiceAccountSigner(" ", rsa_key_pem)


def test_a_lone_surrogate_cannot_be_sent() -> None:
    with pytest.raises(ValidationError, match="Unicode"):
        encode_json({"name": "\ud800"})
