"""The receiver as a plain ASGI application, driven through the ASGI protocol itself.

No ASGI server or framework is installed (nor needed): each test plays the server's part, feeding
``http.request`` messages (in chunks, as servers do) and reading what the app sends back.
"""

from __future__ import annotations

from collections.abc import MutableMapping, Sequence

import attrs
from webhook_support import API_KEY, SECRET, FakeClock, fixture_bytes

from livionkey_async.webhooks import KeyStatusEvent, WebhookReceiver, sign


@attrs.frozen
class Answer:
    status: int | None
    headers: dict[str, str]
    body: bytes


async def _call(
    receiver: WebhookReceiver,
    chunks: Sequence[bytes],
    headers: dict[str, str],
    *,
    method: str = "POST",
    disconnect: bool = False,
) -> tuple[Answer, int]:
    """One request through ``receiver.asgi_app``; also how many body chunks it read."""
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": method,
        "path": "/hooks/livion",
        "headers": [(k.lower().encode(), v.encode()) for k, v in headers.items()],
    }
    pending = list(chunks)
    read = 0
    sent: list[MutableMapping[str, object]] = []

    async def receive() -> dict[str, object]:
        nonlocal read
        if not pending:
            return {"type": "http.disconnect"}
        read += 1
        chunk = pending.pop(0)
        if disconnect and not pending:
            return {"type": "http.disconnect"}
        return {"type": "http.request", "body": chunk, "more_body": bool(pending)}

    async def send(message: MutableMapping[str, object]) -> None:
        sent.append(message)

    await receiver.asgi_app(scope, receive, send)
    if not sent:
        return Answer(None, {}, b""), read
    start, body = sent
    assert start["type"] == "http.response.start"
    assert body["type"] == "http.response.body"
    raw = start["headers"]
    assert isinstance(raw, list)
    status, payload = start["status"], body["body"]
    assert isinstance(status, int)
    assert isinstance(payload, bytes)
    answer_headers = {k.decode(): v.decode() for k, v in raw}
    assert answer_headers["content-length"] == str(len(payload))
    return Answer(status, answer_headers, payload), read


def _receiver(**options: object) -> WebhookReceiver:
    return WebhookReceiver(signing_secret=SECRET, clock=FakeClock(), **options)  # type: ignore[arg-type]


def _halves(body: bytes) -> list[bytes]:
    return [body[: len(body) // 2], body[len(body) // 2 :]]


async def test_a_signed_delivery_in_chunks_is_queued() -> None:
    receiver = _receiver()
    body = fixture_bytes("v2-key-status-device.json")
    headers = sign(body, SECRET, msg_id="msg_asgi", timestamp=int(FakeClock()()))
    answer, _ = await _call(receiver, _halves(body), {k.title(): v for k, v in headers.items()})
    assert (answer.status, answer.body) == (200, b"ok")
    assert answer.headers["content-type"].startswith("text/plain")
    again, _ = await _call(receiver, [body], headers)
    assert again.body == b"duplicate"
    receiver.close()
    (event,) = [event async for event in receiver]
    assert isinstance(event, KeyStatusEvent)
    assert (event.delivery_id, event.device_id) == ("msg_asgi", "234521")


async def test_refusals_over_asgi() -> None:
    receiver = _receiver(max_body_size=1000, retry_after=9, queue_size=1)
    body = fixture_bytes("v2-key-status-device.json")
    unsigned, _ = await _call(receiver, [body], {})
    assert unsigned.status == 401
    assert b"missing webhook-id header" in unsigned.body
    not_json = b"<xml/>"
    bad, _ = await _call(receiver, [not_json], sign(not_json, SECRET, timestamp=int(FakeClock()())))
    assert bad.status == 400
    # A huge chunked body: the app stops reading once past the limit.
    too_large, read = await _call(receiver, [b" " * 600] * 50, {})
    assert too_large.status == 413
    assert read == 2
    get, _ = await _call(receiver, [], {}, method="GET")
    assert (get.status, get.headers["allow"]) == (405, "POST")
    stamp = int(FakeClock()())
    assert (await _call(receiver, [body], sign(body, SECRET, timestamp=stamp)))[0].status == 200
    full, _ = await _call(receiver, [body], sign(body, SECRET, timestamp=stamp))
    assert (full.status, full.headers["retry-after"]) == (503, "9")


async def test_a_client_that_disconnects_mid_body_gets_nothing_and_nothing_is_queued() -> None:
    receiver = _receiver()
    body = fixture_bytes("v2-key-status-device.json")
    headers = sign(body, SECRET, timestamp=int(FakeClock()()))
    answer, _ = await _call(receiver, _halves(body), headers, disconnect=True)
    assert answer.status is None
    assert receiver.queued == 0
    assert receiver.stats.received == 0


async def test_legacy_deliveries_over_asgi() -> None:
    receiver = WebhookReceiver(api_key=API_KEY)
    body = fixture_bytes("legacy-key-status.json")
    assert (await _call(receiver, [body], {"X-API-KEY": API_KEY}))[0].status == 200
    assert (await _call(receiver, [body], {"x-api-key": "nope"}))[0].status == 401


async def test_lifespan_shutdown_ends_the_event_stream() -> None:
    receiver = _receiver()
    messages: list[dict[str, object]] = [
        {"type": "lifespan.startup"},
        {"type": "lifespan.shutdown"},
    ]
    sent: list[MutableMapping[str, object]] = []

    async def receive() -> dict[str, object]:
        return messages.pop(0)

    async def send(message: MutableMapping[str, object]) -> None:
        sent.append(message)

    await receiver.asgi_app({"type": "lifespan"}, receive, send)
    assert [m["type"] for m in sent] == ["lifespan.startup.complete", "lifespan.shutdown.complete"]
    assert [event async for event in receiver] == []  # closed: iteration ends at once
