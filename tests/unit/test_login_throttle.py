"""The login's own throttle waits out only the login and leaves the client's pacing alone."""

from __future__ import annotations

import time
from email.utils import formatdate

import pytest
from aioresponses import aioresponses
from wire_support import BASE

from livionkey_async import LivionKeyClient, RateLimitedError


class Sleeps:
    def __init__(self) -> None:
        self.delays: list[float] = []

    async def __call__(self, delay: float) -> None:
        self.delays.append(delay)


async def test_a_throttled_login_waits_its_retry_after_without_slowing_the_client() -> None:
    sleeps = Sleeps()
    with aioresponses() as mocked:
        mocked.post(
            f"{BASE}/auth/login",
            status=429,
            body="Too many login attempts, try again later",
            headers={"Retry-After": "7"},
        )
        mocked.post(
            f"{BASE}/auth/login",
            payload={"token": "tok", "expirationTime": formatdate(time.time() + 3600, usegmt=True)},
        )
        mocked.get(f"{BASE}/devices", payload=[])
        async with LivionKeyClient(
            "a@example.com", "pw-secret", base_url=BASE, sleep=sleeps, rate_limit=None
        ) as client:
            assert await client.devices.list() == []
            stats = client.stats
    assert 7.0 in sleeps.delays
    assert stats.throttled == 1
    assert stats.logins == 1
    assert stats.congestion_events == 0
    assert stats.paused_seconds == 0.0


async def test_a_login_throttle_longer_than_max_wait_fails_at_once() -> None:
    sleeps = Sleeps()
    with aioresponses() as mocked:
        mocked.post(
            f"{BASE}/auth/login",
            status=429,
            body="Too many login attempts, try again later",
            headers={"Retry-After": "600"},
            repeat=True,
        )
        async with LivionKeyClient(
            "a@example.com", "pw-secret", base_url=BASE, sleep=sleeps, max_wait=60
        ) as client:
            with pytest.raises(RateLimitedError) as caught:
                await client.devices.list()
    error = caught.value
    assert error.retry_after == 600
    assert error.status == 429
    assert 600 not in sleeps.delays
    logins = [calls for (method, url), calls in mocked.requests.items() if method == "POST"]
    assert [len(calls) for calls in logins] == [1]
