"""The aioresponses shim in conftest.py works, and is flagged the day it is no longer needed."""

from __future__ import annotations

import aiohttp
from aioresponses import aioresponses
from conftest import UPSTREAM_PASSES_STREAM_WRITER


def test_shim_is_still_needed() -> None:
    assert not UPSTREAM_PASSES_STREAM_WRITER, (
        "aioresponses now passes stream_writer itself (issue #289 fixed upstream): "
        "remove the compatibility shim from tests/conftest.py and this test"
    )


async def test_mocked_responses_work_including_large_bodies() -> None:
    big = "x" * 200_000
    with aioresponses() as mocked:
        mocked.get("https://api.example.test/small", payload={"ok": True})
        mocked.get("https://api.example.test/big", body=big)
        async with aiohttp.ClientSession() as session:
            async with session.get("https://api.example.test/small") as small:
                assert await small.json() == {"ok": True}
            async with session.get("https://api.example.test/big") as large:
                assert await large.text() == big
