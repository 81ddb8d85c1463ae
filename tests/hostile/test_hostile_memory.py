"""Hostile networks, memory and CPU: what a server sends is read within bounds.

An answer is read up to ``max_answer_bytes`` (whatever its framing: a length, chunks, or a
compressed body that would inflate a thousandfold), messages are cut to a short readable length,
and nothing a server sends (a megabyte of text, an HTML page, JSON nested a hundred thousand
deep, a million bad items) costs more than a moment or escapes as anything but a typed error.
"""

from __future__ import annotations

import asyncio
import gzip
import json
from collections.abc import Awaitable, Callable
from typing import Any

import pytest
from aiohttp import web
from hostile_support import new_client, web_server

from livionkey_async import (
    ApiError,
    LivionKeyError,
    ResponseFormatError,
    ServerError,
    ValidationError,
)
from livionkey_async.iloq import IloqClient

GUARD = 3.0  # seconds: a test that takes longer counts as stuck (the bug was 25 s and more)
SHORT = 300  # the longest message an error shows

Answer = web.StreamResponse | Callable[[web.Request], Awaitable[web.StreamResponse]]


async def failure_of(answer: Answer, *, get: bool = False, **options: Any) -> LivionKeyError:
    """The error ``client.devices.list()`` (``get``: ``devices.get``) raises when the server
    answers ``answer`` (a response, or a handler making one)."""

    async def serve(request: web.Request) -> web.StreamResponse:
        return answer if isinstance(answer, web.StreamResponse) else await answer(request)

    async with web_server(serve) as url, new_client(url, **options) as client:
        read = (lambda: client.devices.get("00001")) if get else client.devices.list
        async with asyncio.timeout(GUARD):
            with pytest.raises(LivionKeyError) as caught:
                await read()
    return caught.value


async def test_a_megabyte_of_text_answered_as_success_is_a_short_format_error() -> None:
    error = await failure_of(web.Response(text="[" + "x" * 1_000_000))
    assert isinstance(error, ResponseFormatError)
    assert len(str(error)) < 2 * SHORT


async def test_a_five_megabyte_html_error_page_is_a_short_message() -> None:
    page = "<html><head><title>502 Bad Gateway</title></head><body>" + "x" * 5_000_000
    error = await failure_of(web.Response(status=502, text=page, content_type="text/html"))
    assert isinstance(error, ServerError)
    assert error.status == 502
    assert error.message == "(an HTML page: 502 Bad Gateway)"


async def test_a_huge_message_in_a_json_error_is_cut_short() -> None:
    body = json.dumps({"message": "Missing " + "x " * 500_000})
    error = await failure_of(web.Response(status=400, text=body))
    assert isinstance(error, ValidationError)
    assert len(error.message) <= SHORT
    assert error.message.endswith("…")


@pytest.mark.parametrize("framing", ["length", "chunked", "gzip"])
async def test_an_answer_larger_than_max_answer_bytes_is_refused(framing: str) -> None:
    body = json.dumps([{"id": f"{n:05}"} for n in range(200_000)]).encode()  # about 3 MB

    async def serve(request: web.Request) -> web.StreamResponse:
        if framing == "length":
            return web.Response(body=body, content_type="application/json")
        if framing == "gzip":  # 3 MB of spaces is 3 KB on the wire: a decompression bomb
            inflating = gzip.compress(b" " * 3_000_000)
            headers = {"Content-Encoding": "gzip", "Content-Type": "application/json"}
            return web.Response(body=inflating, headers=headers)
        answer = web.StreamResponse()
        answer.enable_chunked_encoding()
        await answer.prepare(request)
        for start in range(0, len(body), 65536):
            await answer.write(body[start : start + 65536])
        await answer.write_eof()
        return answer

    error = await failure_of(serve, max_answer_bytes=64 * 1024)
    assert isinstance(error, ResponseFormatError)
    assert "max_answer_bytes" in error.message


async def test_an_error_answer_larger_than_max_answer_bytes_keeps_its_status() -> None:
    error = await failure_of(
        web.Response(status=503, text="x" * 1_000_000), max_answer_bytes=64 * 1024
    )
    assert isinstance(error, ServerError)
    assert error.status == 503


@pytest.mark.parametrize("status", [200, 400])
async def test_json_nested_too_deeply_is_a_typed_error(status: int) -> None:
    deep = "[" * 200_000 + "]" * 200_000
    error = await failure_of(web.Response(status=status, text=deep))
    assert isinstance(error, ResponseFormatError if status == 200 else ApiError)
    assert len(str(error)) < 2 * SHORT


async def test_a_million_bad_items_are_refused_at_the_first() -> None:
    items = "[" + ",".join(["1"] * 1_000_000) + "]"
    error = await failure_of(web.Response(text=items, content_type="application/json"))
    assert isinstance(error, ResponseFormatError)
    assert "$[0]" in error.message
    assert "$[1]" not in error.message
    assert len(error.message) <= SHORT


async def test_a_large_almost_json_body_is_not_read_the_forgiving_way() -> None:
    # The lenient reader (for Livion's own slips: missing commas) only reads small bodies.
    almost = '{"devices": [' + '{"id": "00001"} ' * 200_000 + "]}"
    error = await failure_of(web.Response(text=almost), get=True)
    assert isinstance(error, ResponseFormatError)
    assert "not JSON" in error.message


async def test_the_iloq_client_reads_within_the_same_bounds() -> None:
    async def huge(request: web.Request) -> web.StreamResponse:
        return web.Response(text=json.dumps("https://" + "x" * 2_000_000 + ".example/"))

    async with web_server(huge) as url:
        address = url + "/iloqws"
        async with IloqClient(address, max_answer_bytes=64 * 1024) as iloq:
            async with asyncio.timeout(GUARD):
                with pytest.raises(ResponseFormatError, match="max_answer_bytes"):
                    await iloq.resolve_url("CUSTOMER")
