"""Small hostile servers on loopback, written for the adversarial tests, and a client for them.

Two kinds: ``web_server(handler)``, an aiohttp.web server whose every route but the login (and
the product listing the client reads before key calls: a key30 ``00001`` and a keypad ``kp-1``)
is the test's own handler; and
``raw_server(behave)``, raw asyncio streams for what aiohttp.web would not do (trickling a
response head, never reading an upload). Both answer the login with ``TOKEN`` unless told
otherwise. ``tests/hostile`` is on ``sys.path`` while pytest runs (it has no ``__init__.py``), so
the tests import this module as plain ``hostile_support``.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import socket
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

from aiohttp import web

from livionkey_async import LivionKeyClient

EMAIL = "hostile@example.com"
# Every way a password escapes a naive redaction: quotes, backslashes, non-ASCII, a space.
PASSWORD = 'pa"ss\\wörd ünï-7Qx'
TOKEN = "tok-Hostile-4f9a1c2e7b"
PINCODE = "482913"
LOGIN_ANSWER = {"token": TOKEN}  # valid for Livion's documented hour
PRODUCTS = {
    "devices": [{"id": "00001", "product": "key30"}, {"id": "kp-1", "product": "keypad"}],
    "pageInfo": {"start": 0, "end": 2, "hasNext": False},
}

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


async def login_ok(request: web.Request) -> web.StreamResponse:
    return web.json_response(LOGIN_ANSWER)


@contextlib.asynccontextmanager
async def web_server(handler: Handler, *, login: Handler = login_ok) -> AsyncIterator[str]:
    """An aiohttp.web server on loopback; yields its base URL. ``POST /auth/login`` goes to
    ``login``, the product listing (``GET /devices?products=...``) answers one key30, and every
    other request goes to ``handler``."""

    async def route(request: web.Request) -> web.StreamResponse:
        if request.path == "/auth/login":
            return await login(request)
        if request.path == "/devices" and "products" in request.query:
            return web.json_response(PRODUCTS)
        return await handler(request)

    app = web.Application()
    app.router.add_route("*", "/{tail:.*}", route)
    runner = web.AppRunner(app, shutdown_timeout=0.1)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        await runner.cleanup()


Behave = Callable[[str, str, asyncio.StreamReader, asyncio.StreamWriter], Awaitable[None]]


async def read_head(reader: asyncio.StreamReader) -> tuple[str, str, dict[str, str]]:
    """One request's method, path and headers (names lower-cased)."""
    line = (await reader.readline()).decode("latin-1")
    method, path, _ = line.split(" ", 2)
    headers: dict[str, str] = {}
    while (header := (await reader.readline()).decode("latin-1").strip()) != "":
        name, _, value = header.partition(":")
        headers[name.strip().lower()] = value.strip()
    return method, path, headers


def response(status: int, body: bytes, **headers: str) -> bytes:
    head = [f"HTTP/1.1 {status} X", f"Content-Length: {len(body)}"]
    head += [f"{name.replace('_', '-')}: {value}" for name, value in headers.items()]
    return ("\r\n".join(head) + "\r\n\r\n").encode("latin-1") + body


@contextlib.asynccontextmanager
async def raw_server(behave: Behave, *, receive_buffer: int | None = None) -> AsyncIterator[str]:
    """A raw HTTP/1.1 server on loopback; yields its base URL. The login is answered with
    ``TOKEN``; for any other request ``behave(method, path, reader, writer)`` runs with the head
    read (the body, if any, left unread) and owns the connection from then on.
    ``receive_buffer``: the sockets' receive buffer in bytes (small: an upload stalls soon)."""
    tasks: set[asyncio.Task[None]] = set()

    async def serve(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        tasks.add(task)
        try:
            while True:
                method, path, headers = await read_head(reader)
                if path == "/auth/login":
                    await reader.readexactly(int(headers.get("content-length", "0")))
                    writer.write(response(200, json.dumps(LOGIN_ANSWER).encode()))
                    await writer.drain()
                    continue
                await behave(method, path, reader, writer)
                return
        except (ConnectionError, asyncio.IncompleteReadError, ValueError):
            pass
        finally:
            writer.close()
            tasks.discard(task)

    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    if receive_buffer is not None:
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, receive_buffer)
    listener.bind(("127.0.0.1", 0))
    server = await asyncio.start_server(serve, sock=listener)
    port = listener.getsockname()[1]
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.close()
        for task in list(tasks):
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        await server.wait_closed()


def new_client(url: str, **options: Any) -> LivionKeyClient:
    """A client for a hostile server: one attempt, a high rate ceiling, what the test adds."""
    settings: dict[str, Any] = {"rate_limit": 1000.0, "max_attempts": 1, "timeout": 5.0}
    settings.update(options)
    return LivionKeyClient(EMAIL, PASSWORD, base_url=url, **settings)


class FakeTime:
    """A monotonic clock, a wall clock and a ``sleep`` that moves them on instead of waiting."""

    def __init__(self) -> None:
        self.now = 1_000.0

    def monotonic(self) -> float:
        return self.now

    def wall(self) -> float:
        return 1_795_000_000.0 + self.now

    async def sleep(self, delay: float) -> None:
        self.now += max(0.0, delay)
        await asyncio.sleep(0)

    def options(self) -> dict[str, Any]:
        """The client options that put it on this fake time."""
        return {"clock": self.monotonic, "wall_clock": self.wall, "sleep": self.sleep}
