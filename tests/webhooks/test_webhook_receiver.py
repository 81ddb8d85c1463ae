"""The receiver over real loopback HTTP: bursts, duplicates, failures, refusals, and no leaks.

Every test serves a ``WebhookReceiver`` with aiohttp's test server and posts to it with a real
client, signed as Livion signs; the receiver's clock is fake, so signatures are checked against
a chosen "now" and nothing waits for real time.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import logging
from collections.abc import AsyncIterator, Awaitable, Callable, Coroutine
from typing import Any

import aiohttp
import attrs
import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer
from webhook_support import API_KEY, NOW, OTHER_SECRET, SECRET, FakeClock, fixture_bytes

from livionkey_async import ValidationError
from livionkey_async.webhooks import (
    Claim,
    DeviceAlarmEvent,
    InMemoryDedupeStore,
    KeyStatusEvent,
    UnknownEvent,
    WebhookEvent,
    WebhookReceiver,
    encode_event,
    sample_events,
    sign,
)


@attrs.frozen
class Reply:
    status: int
    text: str
    retry_after: str | None


Post = Callable[..., Coroutine[Any, Any, Reply]]


def _key_status(n: int) -> bytes:
    return (
        b'{"specVersion":"1","type":"key-status","occurredAt":"2026-11-02T08:00:00.000Z",'
        b'"createdAt":"2026-11-02T08:00:00.100Z","organizationUnitId":"customer1",'
        b'"data":{"state":"key-fetched","storageType":"device","deviceId":"00001",'
        + f'"lockerIndex":{n % 30 + 1},"keyId":"key{n}"'.encode()
        + b"}}"
    )


def _signed(body: bytes, msg_id: str, *, at: float = NOW, secret: str = SECRET) -> dict[str, str]:
    return sign(body, secret, msg_id=msg_id, timestamp=int(at), event_type="key-status")


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
async def serve() -> AsyncIterator[Callable[[WebhookReceiver], Awaitable[Post]]]:
    """Serve a receiver on loopback; return a ``post(body, headers)`` that talks to it."""
    servers: list[TestServer] = []
    session = aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=64))

    async def start(receiver: WebhookReceiver) -> Post:
        app = web.Application()
        app.router.add_post("/livion", receiver.aiohttp_handler)
        server = TestServer(app, host="127.0.0.1")
        await server.start_server()
        servers.append(server)
        url = server.make_url("/livion")

        async def post(body: bytes | Any, headers: dict[str, str] | None = None) -> Reply:
            async with session.post(url, data=body, headers=headers or {}) as response:
                text = await response.text()
                return Reply(response.status, text, response.headers.get("Retry-After"))

        return post

    yield start
    await session.close()
    for server in servers:
        await server.close()


async def _drained(receiver: WebhookReceiver) -> list[WebhookEvent]:
    receiver.close()
    return [event async for event in receiver]


class YieldingStore:
    """An in-memory store that suspends at every call, as a networked store (Redis) would."""

    def __init__(self) -> None:
        self.inner = InMemoryDedupeStore()

    async def claim(self, key: str) -> Claim:
        await asyncio.sleep(0)
        return await self.inner.claim(key)

    async def complete(self, key: str) -> None:
        await asyncio.sleep(0)
        await self.inner.complete(key)

    async def release(self, key: str) -> None:
        await asyncio.sleep(0)
        await self.inner.release(key)


# -- bursts and duplicates -----------------------------------------------------------------------


@pytest.mark.parametrize("store", ["memory", "yielding"])
async def test_a_burst_with_duplicates_is_handed_over_once_each(
    serve: Callable[[WebhookReceiver], Awaitable[Post]], clock: FakeClock, store: str
) -> None:
    dedupe = InMemoryDedupeStore() if store == "memory" else YieldingStore()
    receiver = WebhookReceiver(signing_secret=SECRET, dedupe=dedupe, clock=clock)
    post = await serve(receiver)
    count = 200
    deliveries = [(f"msg_{n:04d}", _key_status(n)) for n in range(count)]

    async def deliver_until_taken(msg_id: str, body: bytes) -> Reply:
        while True:  # a 503 (the same delivery in flight) is retried, as Livion would
            reply = await post(body, _signed(body, msg_id))
            if reply.status != 503:
                return reply
            assert reply.retry_after == "5"
            await asyncio.sleep(0)

    # Every delivery twice at once, in a shuffled-looking order.
    attempts = [d for pair in zip(deliveries, reversed(deliveries), strict=True) for d in pair]
    replies = await asyncio.gather(*(deliver_until_taken(m, b) for m, b in attempts))

    assert {r.status for r in replies} == {200}
    assert sorted(r.text for r in replies).count("ok") == count
    assert sorted(r.text for r in replies).count("duplicate") == count
    events = await _drained(receiver)
    assert len(events) == count
    assert {e.delivery_id for e in events} == {m for m, _ in deliveries}
    for event in events:
        assert isinstance(event, KeyStatusEvent)
        assert event.delivery_id == f"msg_{int(event.key_id[3:]):04d}"  # type: ignore[index]
    assert receiver.stats.accepted == count
    assert receiver.stats.duplicates == count


async def test_a_retry_re_signed_later_with_the_same_id_is_a_duplicate(
    serve: Callable[[WebhookReceiver], Awaitable[Post]], clock: FakeClock
) -> None:
    receiver = WebhookReceiver(signing_secret=SECRET, clock=clock)
    post = await serve(receiver)
    body = _key_status(1)
    assert (await post(body, _signed(body, "msg_a"))).text == "ok"
    clock.now = NOW + 15 * 60  # Livion's retry, 15 minutes on, with a fresh timestamp
    again = await post(body, _signed(body, "msg_a", at=clock.now))
    assert (again.status, again.text) == (200, "duplicate")
    other = await post(body, _signed(body, "msg_b", at=clock.now))
    assert other.text == "ok"  # the same body under another id is another delivery
    assert len(await _drained(receiver)) == 2


async def test_legacy_duplicates_are_found_by_the_body(
    serve: Callable[[WebhookReceiver], Awaitable[Post]],
) -> None:
    receiver = WebhookReceiver(api_key=API_KEY)
    post = await serve(receiver)
    body = fixture_bytes("legacy-key-status.json")
    same_content = json.dumps(dict(reversed(json.loads(body).items()))).encode()
    other = body.replace(b"key-fetched", b"key-returned")
    replies = [await post(b, {"x-api-key": API_KEY}) for b in (body, body, same_content, other)]
    assert [r.text for r in replies] == ["ok", "duplicate", "duplicate", "ok"]
    events = await _drained(receiver)
    assert [e.state for e in events] == ["key-fetched", "key-returned"]  # type: ignore[attr-defined]
    assert all(e.delivery_id and e.delivery_id.startswith("hmac-sha256:") for e in events)
    assert events[0].delivery_id != events[1].delivery_id


async def test_a_legacy_delivery_id_does_not_give_its_code_away(
    serve: Callable[[WebhookReceiver], Awaitable[Post]],
) -> None:
    # The id shows in reprs, logs and `webhooks listen`; a code has a few million values, so a
    # plain digest of the body could be reversed by trying them all. It is keyed instead.
    receiver = WebhookReceiver(api_key=API_KEY)
    post = await serve(receiver)
    body = fixture_bytes("legacy-code-entered.json")
    await post(body, {"x-api-key": API_KEY})
    [event] = await _drained(receiver)
    canonical = json.dumps(json.loads(body), sort_keys=True, separators=(",", ":"))
    plain = hashlib.sha256(canonical.encode()).hexdigest()
    assert event.delivery_id is not None
    assert plain not in event.delivery_id
    # Receivers of one integration (the same api key) agree on it, so a shared store works.
    twin = WebhookReceiver(api_key=API_KEY)
    twin_post = await serve(twin)
    await twin_post(body, {"x-api-key": API_KEY})
    assert [e.delivery_id for e in await _drained(twin)] == [event.delivery_id]


class GatedStore(YieldingStore):
    """A store whose ``claim`` waits until the test lets it answer."""

    def __init__(self) -> None:
        super().__init__()
        self.claiming = asyncio.Event()
        self.answer = asyncio.Event()

    async def claim(self, key: str) -> Claim:
        self.claiming.set()
        await self.answer.wait()
        return await self.inner.claim(key)


async def test_closing_while_the_store_is_asked_loses_nothing(
    serve: Callable[[WebhookReceiver], Awaitable[Post]], clock: FakeClock
) -> None:
    store = GatedStore()
    receiver = WebhookReceiver(signing_secret=SECRET, dedupe=store, clock=clock)
    post = await serve(receiver)
    body = _key_status(1)
    reply = asyncio.ensure_future(post(body, _signed(body, "msg_close", at=clock.now)))
    await store.claiming.wait()
    receiver.close()
    store.answer.set()
    answer = await reply
    # Not answered 200 for an event nobody will read: Livion delivers it again.
    assert answer.status == 503
    assert await _drained(receiver) == []
    assert await store.inner.claim("msg_close") == "new"  # released, not remembered


@pytest.mark.parametrize("name", [b"x-api-key", b"webhook-id"])
async def test_a_header_that_is_not_utf8_is_refused_not_a_crash(
    clock: FakeClock, name: bytes
) -> None:
    receiver = WebhookReceiver(signing_secret=SECRET, api_key=API_KEY, clock=clock)
    app = web.Application()
    app.router.add_post("/livion", receiver.aiohttp_handler)
    server = TestServer(app, host="127.0.0.1")
    await server.start_server()
    try:
        body = fixture_bytes("legacy-key-status.json")
        extra = (
            b"" if name == b"x-api-key" else b"webhook-timestamp: 1\r\nwebhook-signature: v1,AA\r\n"
        )
        reader, writer = await asyncio.open_connection("127.0.0.1", server.port)
        writer.write(
            b"POST /livion HTTP/1.1\r\nHost: x\r\nConnection: close\r\n"
            + b"Content-Length: %d\r\n" % len(body)
            + name
            + b": \xff\xfe bad\r\n"
            + extra
            + b"\r\n"
            + body
        )
        status_line = await reader.readline()
        writer.close()
    finally:
        await server.close()
    assert status_line.split()[1] == b"401"


async def test_deeply_nested_json_is_a_bad_request(
    serve: Callable[[WebhookReceiver], Awaitable[Post]],
) -> None:
    receiver = WebhookReceiver(api_key=API_KEY)
    post = await serve(receiver)
    reply = await post(b"[" * 100_000 + b"]" * 100_000, {"x-api-key": API_KEY})
    assert reply.status in (400, 413)
    reply = await post(b"[" * 50_000 + b"]" * 50_000, {"x-api-key": API_KEY})
    assert (reply.status, reply.text) == (400, "the webhook body is nested too deeply")


@pytest.mark.parametrize(
    "options",
    [{"tolerance": -1}, {"retry_after": -1}, {"handler_timeout": 0}],
)
def test_nonsense_receiver_settings_are_refused(options: dict[str, Any]) -> None:
    with pytest.raises(ValidationError):
        WebhookReceiver(signing_secret=SECRET, **options)


async def test_without_dedupe_every_copy_is_handed_over(
    serve: Callable[[WebhookReceiver], Awaitable[Post]], clock: FakeClock
) -> None:
    receiver = WebhookReceiver(signing_secret=SECRET, dedupe=False, clock=clock)
    post = await serve(receiver)
    body = _key_status(3)
    for _ in range(3):
        assert (await post(body, _signed(body, "msg_x"))).text == "ok"
    assert receiver.dedupe is None
    assert len(await _drained(receiver)) == 3


# -- failures: nothing lost, nothing taken for handled -------------------------------------------


async def test_a_failing_callback_gets_a_500_and_the_retry_is_handled(
    serve: Callable[[WebhookReceiver], Awaitable[Post]],
    clock: FakeClock,
    caplog: pytest.LogCaptureFixture,
) -> None:
    receiver = WebhookReceiver(signing_secret=SECRET, clock=clock)
    calls: list[str | None] = []
    handled: list[str | None] = []

    @receiver.on(KeyStatusEvent)
    async def book(event: KeyStatusEvent) -> None:
        calls.append(event.delivery_id)
        if len(calls) == 1:
            raise RuntimeError("the booking system is down")
        handled.append(event.delivery_id)

    post = await serve(receiver)
    body = _key_status(7)
    with caplog.at_level(logging.ERROR, logger="livionkey_async.webhooks"):
        first = await post(body, _signed(body, "msg_7"))
    assert (first.status, first.text) == (500, "handler failed")
    assert "answered 500 so Livion retries" in caplog.text
    clock.now = NOW + 5  # Livion's first retry: 5 s later, re-signed
    second = await post(body, _signed(body, "msg_7", at=clock.now))
    assert (second.status, second.text) == (200, "ok")
    third = await post(body, _signed(body, "msg_7", at=clock.now))
    assert (third.status, third.text) == (200, "duplicate")
    assert calls == ["msg_7", "msg_7"]
    assert handled == ["msg_7"]
    assert (receiver.stats.failed, receiver.stats.accepted, receiver.stats.duplicates) == (1, 1, 1)


async def test_a_callback_that_hangs_times_out_into_a_500(
    serve: Callable[[WebhookReceiver], Awaitable[Post]], clock: FakeClock
) -> None:
    receiver = WebhookReceiver(signing_secret=SECRET, clock=clock, handler_timeout=0.01)
    never = asyncio.Event()
    attempts: list[str | None] = []

    @receiver.on(WebhookEvent)
    async def stuck_once(event: WebhookEvent) -> None:
        attempts.append(event.delivery_id)
        if len(attempts) == 1:
            await never.wait()

    post = await serve(receiver)
    body = _key_status(8)
    assert (await post(body, _signed(body, "msg_8"))).status == 500
    assert (await post(body, _signed(body, "msg_8"))).text == "ok"
    assert attempts == ["msg_8", "msg_8"]


async def test_a_duplicate_while_the_first_is_handled_is_told_to_retry(
    serve: Callable[[WebhookReceiver], Awaitable[Post]], clock: FakeClock
) -> None:
    receiver = WebhookReceiver(signing_secret=SECRET, clock=clock, retry_after=7)
    started, go_on = asyncio.Event(), asyncio.Event()
    seen: list[str | None] = []

    @receiver.on(WebhookEvent)
    async def slow(event: WebhookEvent) -> None:
        seen.append(event.delivery_id)
        started.set()
        await go_on.wait()

    post = await serve(receiver)
    body = _key_status(9)
    first = asyncio.create_task(post(body, _signed(body, "msg_9")))
    await started.wait()
    during = await post(body, _signed(body, "msg_9"))
    assert (during.status, during.retry_after) == (503, "7")
    go_on.set()
    assert (await first).text == "ok"
    assert (await post(body, _signed(body, "msg_9"))).text == "duplicate"
    assert seen == ["msg_9"]


async def test_a_full_queue_answers_503_and_loses_nothing(
    serve: Callable[[WebhookReceiver], Awaitable[Post]],
    clock: FakeClock,
    caplog: pytest.LogCaptureFixture,
) -> None:
    receiver = WebhookReceiver(signing_secret=SECRET, clock=clock, queue_size=2)
    post = await serve(receiver)
    bodies = {f"msg_{n}": _key_status(n) for n in range(3)}
    with caplog.at_level(logging.WARNING, logger="livionkey_async.webhooks"):
        replies = [await post(body, _signed(body, msg_id)) for msg_id, body in bodies.items()]
    assert [r.status for r in replies] == [200, 200, 503]
    assert replies[2].retry_after == "5"
    assert "queue full" in caplog.text
    assert receiver.queued == 2
    events = aiter(receiver)
    first = await anext(events)
    assert first.delivery_id == "msg_0"
    retried = await post(bodies["msg_2"], _signed(bodies["msg_2"], "msg_2"))
    assert retried.text == "ok"  # the refused delivery was not remembered as handled
    receiver.close()
    rest = [event async for event in events]
    assert [e.delivery_id for e in rest] == ["msg_1", "msg_2"]
    assert receiver.stats.busy == 1


async def test_after_close_deliveries_are_refused_and_iteration_ends(
    serve: Callable[[WebhookReceiver], Awaitable[Post]], clock: FakeClock
) -> None:
    receiver = WebhookReceiver(signing_secret=SECRET, clock=clock)
    post = await serve(receiver)
    body = _key_status(1)
    assert (await post(body, _signed(body, "msg_1"))).status == 200
    consumers = [asyncio.create_task(_collect(receiver)) for _ in range(3)]
    await asyncio.sleep(0)
    receiver.close()
    closed = await post(body, _signed(body, "msg_2"))
    assert (closed.status, closed.text) == (503, "the receiver is closed")
    results = await asyncio.gather(*consumers)
    assert sorted(len(r) for r in results) == [0, 0, 1]
    assert receiver.queued == 0


async def test_after_close_callbacks_get_nothing_more(
    serve: Callable[[WebhookReceiver], Awaitable[Post]], clock: FakeClock
) -> None:
    receiver = WebhookReceiver(signing_secret=SECRET, clock=clock)
    seen: list[WebhookEvent] = []
    receiver.on(WebhookEvent)(_append_to(seen))
    post = await serve(receiver)
    body = _key_status(1)
    receiver.close()
    reply = await post(body, _signed(body, "msg_1"))
    assert (reply.status, reply.retry_after) == (503, "5")
    assert seen == []
    assert (await _claim_of(receiver, "msg_1")) == "new"  # not remembered: a retry is handled


async def _claim_of(receiver: WebhookReceiver, key: str) -> Claim:
    assert receiver.dedupe is not None
    return await receiver.dedupe.claim(key)


async def _collect(receiver: WebhookReceiver) -> list[WebhookEvent]:
    return [event async for event in receiver]


# -- callbacks -------------------------------------------------------------------------------------


async def test_callbacks_get_the_events_of_their_type(
    serve: Callable[[WebhookReceiver], Awaitable[Post]],
) -> None:
    receiver = WebhookReceiver(signing_secret=SECRET)
    keys: list[KeyStatusEvent] = []
    alarms: list[DeviceAlarmEvent] = []
    everything: list[WebhookEvent] = []
    receiver.on(KeyStatusEvent)(_append_to(keys))
    receiver.on(DeviceAlarmEvent)(_append_to(alarms))
    receiver.add_handler(WebhookEvent, _append_to(everything))
    post = await serve(receiver)
    for n, event in enumerate(sample_events()):
        body = encode_event(event)
        assert (await post(body, sign(body, SECRET, msg_id=f"msg_{n}"))).status == 200
    assert [type(e) for e in keys] == [KeyStatusEvent]
    assert [type(e) for e in alarms] == [DeviceAlarmEvent]
    assert len(everything) == 4
    assert receiver.queued == 0  # callbacks, not the queue


async def test_an_event_without_a_callback_is_acknowledged_and_counted(
    serve: Callable[[WebhookReceiver], Awaitable[Post]],
) -> None:
    receiver = WebhookReceiver(signing_secret=SECRET)
    receiver.on(KeyStatusEvent)(_append_to([]))
    post = await serve(receiver)
    body = encode_event(sample_events()[1])
    reply = await post(body, sign(body, SECRET))
    assert (reply.status, reply.text) == (200, "ok (no handler)")
    assert receiver.stats.unhandled == 1


def _append_to(sink: list[Any]) -> Callable[[Any], Awaitable[None]]:
    async def append(event: Any) -> None:
        sink.append(event)

    return append


def test_callbacks_and_iteration_do_not_mix() -> None:
    with_callback = WebhookReceiver(signing_secret=SECRET)
    with_callback.on(WebhookEvent)(_append_to([]))
    with pytest.raises(RuntimeError, match="callbacks"):
        aiter(with_callback)
    iterated = WebhookReceiver(signing_secret=SECRET)
    aiter(iterated)
    with pytest.raises(RuntimeError, match="iterated"):
        iterated.on(KeyStatusEvent)


# -- refusals: 401, 400, 413 ---------------------------------------------------------------------


async def test_unauthentic_deliveries_get_401(
    serve: Callable[[WebhookReceiver], Awaitable[Post]], clock: FakeClock
) -> None:
    receiver = WebhookReceiver(signing_secret=SECRET, clock=clock)
    post = await serve(receiver)
    body = _key_status(1)
    cases = {
        "wrong secret": (_signed(body, "m1", secret=OTHER_SECRET), "no webhook-signature matches"),
        "unsigned": ({}, "missing webhook-id header"),
        "stale": (_signed(body, "m2", at=NOW - 600), "s old"),
        "future": (_signed(body, "m3", at=NOW + 600), "in the future"),
        "api key instead": ({"x-api-key": API_KEY}, "missing webhook-id header"),
    }
    for headers, reason in cases.values():
        reply = await post(body, headers)
        assert reply.status == 401
        assert reason in reply.text
        assert SECRET.removeprefix("whsec_") not in reply.text
    tampered = await post(body.replace(b"key-fetched", b"key-returned"), _signed(body, "m4"))
    assert tampered.status == 401
    assert receiver.stats.unauthorized == 6
    assert receiver.queued == 0


async def test_legacy_deliveries_need_the_shared_secret(
    serve: Callable[[WebhookReceiver], Awaitable[Post]],
) -> None:
    receiver = WebhookReceiver(api_key=["old-key", API_KEY], api_key_header="x-livion-key")
    post = await serve(receiver)
    body = fixture_bytes("legacy-device-alarm-activated.json")
    assert (await post(body, {"X-Livion-Key": API_KEY})).status == 200
    assert (await post(body, {"x-livion-key": "old-key"})).text == "duplicate"
    for headers in ({}, {"x-livion-key": "guess"}, {"x-api-key": API_KEY}):
        assert (await post(body, headers)).status == 401
    (event,) = await _drained(receiver)
    assert isinstance(event, DeviceAlarmEvent)


async def test_with_both_secrets_a_signed_delivery_must_carry_a_good_signature(
    serve: Callable[[WebhookReceiver], Awaitable[Post]], clock: FakeClock
) -> None:
    receiver = WebhookReceiver(signing_secret=SECRET, api_key=API_KEY, clock=clock)
    post = await serve(receiver)
    body = _key_status(2)
    forged = {**_signed(body, "m1", secret=OTHER_SECRET), "x-api-key": API_KEY}
    assert (await post(body, forged)).status == 401  # the key does not excuse a bad signature
    assert (await post(body, _signed(body, "m2"))).status == 200
    legacy = fixture_bytes("legacy-key-status.json")
    assert (await post(legacy, {"x-api-key": API_KEY})).status == 200
    events = await _drained(receiver)
    assert [e.shape for e in events] == ["v2", "legacy"]


async def test_a_signed_body_that_is_not_json_gets_400(
    serve: Callable[[WebhookReceiver], Awaitable[Post]], clock: FakeClock
) -> None:
    receiver = WebhookReceiver(signing_secret=SECRET, clock=clock)
    post = await serve(receiver)
    for body in (b"key-status: fetched", b"", b'{"type":'):
        reply = await post(body, _signed(body, "m1"))
        assert reply.status == 400
        assert "not JSON" in reply.text
    assert receiver.stats.malformed == 3


async def test_an_unknown_event_is_acknowledged_and_kept_whole(
    serve: Callable[[WebhookReceiver], Awaitable[Post]], clock: FakeClock
) -> None:
    receiver = WebhookReceiver(signing_secret=SECRET, clock=clock)
    post = await serve(receiver)
    body = b'{"specVersion":"1","type":"key-lost","data":{"keyId":"k1"}}'
    assert (await post(body, _signed(body, "m1"))).status == 200
    (event,) = await _drained(receiver)
    assert isinstance(event, UnknownEvent)
    assert (event.type, event.body, event.delivery_id) == ("key-lost", body, "m1")


async def test_bodies_above_the_limit_get_413(
    serve: Callable[[WebhookReceiver], Awaitable[Post]], clock: FakeClock
) -> None:
    receiver = WebhookReceiver(signing_secret=SECRET, clock=clock, max_body_size=1024)
    post = await serve(receiver)
    small = _key_status(1)
    exactly = small + b" " * (1024 - len(small))
    assert (await post(exactly, _signed(exactly, "m1"))).status == 200
    large = exactly + b" "
    assert (await post(large, _signed(large, "m2"))).status == 413

    async def stream() -> AsyncIterator[bytes]:  # chunked, no Content-Length: read, then cut off
        for _ in range(200):
            yield b" " * 1000

    reply = await post(stream(), _signed(b"", "m3"))
    assert (reply.status, reply.text) == (413, "body larger than 1024 bytes")
    assert receiver.stats.too_large == 2


# -- construction and leaks ----------------------------------------------------------------------


def test_a_receiver_needs_a_usable_secret() -> None:
    with pytest.raises(ValidationError, match="signing_secret or an api_key"):
        WebhookReceiver()
    with pytest.raises(ValidationError, match="api_key must be a non-empty"):
        WebhookReceiver(api_key="")
    with pytest.raises(ValidationError) as bad:
        WebhookReceiver(signing_secret="whsec_Zq9*not-base64")
    assert "Zq9" not in str(bad.value)
    receiver = WebhookReceiver(signing_secret=SECRET, api_key=API_KEY)
    shown = repr(receiver) + str(vars(receiver).get("stats"))
    assert SECRET.removeprefix("whsec_") not in shown
    assert API_KEY not in shown
    assert "signed=True" in repr(receiver)


async def test_no_secret_pincode_or_code_reaches_a_log_line(
    serve: Callable[[WebhookReceiver], Awaitable[Post]],
    clock: FakeClock,
    caplog: pytest.LogCaptureFixture,
) -> None:
    receiver = WebhookReceiver(signing_secret=SECRET, api_key=API_KEY, clock=clock)
    calls = 0

    @receiver.on(WebhookEvent)
    async def flaky(event: WebhookEvent) -> None:
        nonlocal calls
        calls += 1
        if calls % 2:
            raise RuntimeError(f"could not store {event!r}")

    post = await serve(receiver)
    with caplog.at_level(logging.DEBUG, logger="livionkey_async"):
        for name in ("v2-contract-update.json", "v2-code-entered.json"):
            body = fixture_bytes(name)
            for msg_id in ("m1", "m1", "m1"):
                await post(body, _signed(body, f"{name[:-5]}-{msg_id}"))
            await post(body, _signed(body, "m9", secret=OTHER_SECRET))
        for name in ("legacy-contract-update.json", "legacy-code-entered.json"):
            await post(fixture_bytes(name), {"x-api-key": API_KEY})
            await post(fixture_bytes(name), {"x-api-key": API_KEY + "-wrong"})
        await post(b"124578", _signed(b"124578", "m10"))
    assert "a callback failed" in caplog.text
    assert "queue" not in caplog.text
    everything = caplog.text + "".join(repr(r.args) for r in caplog.records)
    for secret in ("124578", SECRET.removeprefix("whsec_"), API_KEY):
        assert secret not in everything
