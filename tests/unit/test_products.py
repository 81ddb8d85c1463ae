"""Which product a device is, learnt once, whatever the caller listed first.

A V1 key or contract call on a LivionKey20 or a keypad (and a keypad call on a key automat) is
refused locally; the product comes from one account-wide listing (the only shape that shows
it), shared by every caller, repeated at most every ``CATALOGUE_TTL`` seconds for a device the
listing did not know, and never the reason a call fails (but for a refused login).
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator
from typing import Any

import pytest
from aioresponses import aioresponses
from wire_support import BASE, CATALOGUE, PASSWORD, FakeTime, login_answer, new_client, url

from livionkey_async import LivionKeyClient, LoginError, NewKey, UnsupportedDeviceError
from livionkey_async._assumptions import CATALOGUE_TTL

DOCUMENTED = url("/devices", products=["key30", "keyX", "keypad"], limit="50")


def page(products: dict[str, str], *, has_next: bool = False, start: int = 0) -> dict[str, Any]:
    return {
        "devices": [{"id": d, "product": p} for d, p in products.items()],
        "pageInfo": {"start": start, "end": start + len(products), "hasNext": has_next},
    }


@pytest.fixture
def fake_time() -> FakeTime:
    return FakeTime()


@pytest.fixture
def mocked() -> Iterator[Any]:
    with aioresponses() as m:
        yield m


@pytest.fixture
async def client(fake_time: FakeTime, mocked: Any) -> AsyncIterator[LivionKeyClient]:
    mocked.post(f"{BASE}/auth/login", payload=login_answer(fake_time, "tok"), repeat=True)
    async with new_client(fake_time) as made:
        yield made


async def test_many_callers_share_one_listing(client: LivionKeyClient, mocked: Any) -> None:
    mocked.get(CATALOGUE, payload=page({"00053": "key30", "kp": "keypad", "k20": "key20"}))
    mocked.get(url("/keys/A1", deviceId="00053"), payload={"keyId": "A1"}, repeat=True)

    keys = await asyncio.gather(*(client.keys.get("A1", device_id="00053") for _ in range(20)))

    assert [k.key_id for k in keys] == ["A1"] * 20
    assert len(mocked.requests[("GET", CATALOGUE)]) == 1
    assert await client.devices.product("k20") == "key20"
    for device in ("kp", "k20"):
        with pytest.raises(UnsupportedDeviceError):
            await client.keys.create(NewKey(key_id="K", name="n", device_id=device))
    assert ("POST", url("/keys")) not in mocked.requests
    assert len(mocked.requests[("GET", CATALOGUE)]) == 1


async def test_every_page_of_the_listing_is_read(client: LivionKeyClient, mocked: Any) -> None:
    mocked.get(CATALOGUE, payload=page({"a": "key30"}, has_next=True))
    mocked.get(
        url("/devices", products=["key30", "keyX", "keypad", "key20"], limit="50", after="1"),
        payload=page({"b": "keypad"}, start=1),
    )
    assert await client.devices.product("b") == "keypad"


async def test_an_unknown_device_is_looked_up_again_only_after_the_ttl(
    client: LivionKeyClient, mocked: Any, fake_time: FakeTime
) -> None:
    mocked.get(CATALOGUE, payload=page({"a": "key30"}), repeat=True)
    assert await client.devices.product("new-1") is None
    assert await client.devices.product("new-2") is None
    assert len(mocked.requests[("GET", CATALOGUE)]) == 1
    fake_time.now += CATALOGUE_TTL + 1
    assert await client.devices.product("new-3") is None
    assert len(mocked.requests[("GET", CATALOGUE)]) == 2
    assert await client.devices.product("a") == "key30"  # known: never asked again
    assert len(mocked.requests[("GET", CATALOGUE)]) == 2


async def test_a_service_that_refuses_the_assumed_product_is_asked_for_the_documented_ones(
    client: LivionKeyClient, mocked: Any
) -> None:
    mocked.get(CATALOGUE, status=400, body="malformed products")
    mocked.get(DOCUMENTED, payload=page({"kp": "keypad"}))
    assert await client.devices.product("kp") == "keypad"


async def test_a_failing_listing_does_not_fail_the_call(
    client: LivionKeyClient, mocked: Any
) -> None:
    mocked.get(CATALOGUE, status=503, body="Service Unavailable", repeat=True)
    mocked.get(url("/keys/A1", deviceId="00053"), payload={"keyId": "A1"})
    assert (await client.keys.get("A1", device_id="00053")).key_id == "A1"


async def test_a_refused_login_is_not_swallowed(fake_time: FakeTime, mocked: Any) -> None:
    mocked.post(
        f"{BASE}/auth/login",
        status=400,
        body="Firebase: Error (auth/invalid-login-credentials).",
        repeat=True,
    )
    async with new_client(fake_time, password=PASSWORD + "-wrong") as client:
        with pytest.raises(LoginError):
            await client.keys.get("A1", device_id="00053")
    assert len(mocked.requests[("POST", url("/auth/login"))]) == 1


async def test_what_a_listing_shows_is_remembered(client: LivionKeyClient, mocked: Any) -> None:
    # The plain listing shows no product, but what was asked for says it.
    mocked.get(url("/devices", products="keypad"), payload=[{"deviceId": "kp"}])
    mocked.get(url("/devices"), payload=[{"deviceId": "00053"}])
    await client.devices.list(products=["keypad"])
    await client.devices.list()
    assert await client.devices.product("kp") == "keypad"
    assert await client.devices.product("00053") is None  # one of the V1 pair
    with pytest.raises(UnsupportedDeviceError):
        await client.devices.keys("kp")
    with pytest.raises(UnsupportedDeviceError):
        await client.keypad.unlock("00053")  # V1's: not a keypad, even without its exact name
    assert ("GET", CATALOGUE) not in mocked.requests
