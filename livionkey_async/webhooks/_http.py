"""The receiver's two doors: an aiohttp handler and a plain ASGI application.

Both read the raw body (never more than ``max_body_size + 1`` bytes, so a huge body costs no
memory before it is answered 413), pass it with the headers to ``WebhookReceiver.handle``, and
write its answer. No web framework beyond aiohttp is needed: the ASGI side speaks the protocol
itself, so Starlette/FastAPI users mount it without this package depending on them.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping, MutableMapping
from typing import TYPE_CHECKING

from aiohttp import web
from multidict import CIMultiDict

if TYPE_CHECKING:
    from ._receiver import WebhookReceiver

__all__ = ["Receive", "Scope", "Send", "aiohttp_response", "asgi_app"]

Scope = Mapping[str, object]
Receive = Callable[[], Awaitable[Mapping[str, object]]]
Send = Callable[[MutableMapping[str, object]], Awaitable[None]]

_CHUNK = 64 * 1024


async def aiohttp_response(receiver: WebhookReceiver, request: web.Request) -> web.Response:
    body = bytearray()
    async for chunk in request.content.iter_chunked(_CHUNK):
        body += chunk
        if len(body) > receiver.max_body_size:
            break
    reply = await receiver.handle(bytes(body), request.headers)
    return web.Response(status=reply.status, text=reply.text, headers=dict(reply.headers))


async def asgi_app(receiver: WebhookReceiver, scope: Scope, receive: Receive, send: Send) -> None:
    kind = scope.get("type")
    if kind == "lifespan":
        await _lifespan(receiver, receive, send)
        return
    if kind != "http":
        raise ValueError(f"the webhook receiver serves http, not {kind!r}")
    if scope.get("method") != "POST":
        await _answer(send, 405, "POST only", {"Allow": "POST"})
        return
    body = bytearray()
    while len(body) <= receiver.max_body_size:
        message = await receive()
        if message.get("type") == "http.disconnect":
            return
        chunk = message.get("body", b"")
        if isinstance(chunk, bytes | bytearray):
            body += chunk
        if not message.get("more_body", False):
            break
    reply = await receiver.handle(bytes(body), _headers(scope))
    await _answer(send, reply.status, reply.text, reply.headers)


def _headers(scope: Scope) -> CIMultiDict[str]:
    headers: CIMultiDict[str] = CIMultiDict()
    raw = scope.get("headers")
    if isinstance(raw, list | tuple):
        for pair in raw:
            if isinstance(pair, list | tuple) and len(pair) == 2:
                name, value = pair
                if isinstance(name, bytes) and isinstance(value, bytes):
                    # As aiohttp reads them: UTF-8, anything else kept as surrogate escapes.
                    headers.add(
                        name.decode("utf-8", "surrogateescape"),
                        value.decode("utf-8", "surrogateescape"),
                    )
    return headers


async def _answer(send: Send, status: int, text: str, headers: Mapping[str, str]) -> None:
    body = text.encode()
    raw_headers = [
        (b"content-type", b"text/plain; charset=utf-8"),
        (b"content-length", str(len(body)).encode()),
        *(
            (name.lower().encode("latin-1"), value.encode("latin-1"))
            for name, value in headers.items()
        ),
    ]
    await send({"type": "http.response.start", "status": status, "headers": raw_headers})
    await send({"type": "http.response.body", "body": body})


async def _lifespan(receiver: WebhookReceiver, receive: Receive, send: Send) -> None:
    while True:
        message = await receive()
        if message.get("type") == "lifespan.startup":
            await send({"type": "lifespan.startup.complete"})
        elif message.get("type") == "lifespan.shutdown":
            receiver.close()
            await send({"type": "lifespan.shutdown.complete"})
            return
