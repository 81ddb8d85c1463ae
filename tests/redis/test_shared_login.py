"""One login for every process of an account, through a real Redis.

Each client has a ``RedisStore`` of its own, as separate processes would; the simulator counts
the logins it answered.
"""

from __future__ import annotations

import asyncio
import logging
import secrets

import pytest
import redis.asyncio as aioredis

from livionkey_async import LivionKeyClient
from livionkey_async._shared import account_key
from livionkey_async.redis import RedisStore
from livionkey_async.testing import SimConfig, Simulator

CONFIG = SimConfig(devices=1, keys=1)


def _clients(
    sim: Simulator, url: str, namespace: str, n: int, **options: object
) -> list[LivionKeyClient]:
    return [
        LivionKeyClient(
            CONFIG.email,
            CONFIG.password,
            base_url=sim.url,
            store=RedisStore(url, namespace=namespace, **options),  # type: ignore[arg-type]
        )
        for _ in range(n)
    ]


async def _close(clients: list[LivionKeyClient]) -> None:
    for client in clients:
        await client.close()
        assert client.store is not None
        await client.store.aclose()


async def test_many_clients_log_in_once_for_all(redis_url: str, redis_namespace: str) -> None:
    async with Simulator(CONFIG) as sim:
        clients = _clients(sim, redis_url, redis_namespace, 6)
        try:
            await asyncio.gather(*(c.devices.get("00001") for c in clients for _ in range(5)))
        finally:
            await _close(clients)
    assert sim.stats.logins == 1
    assert sum(c.stats.logins for c in clients) == 1


async def test_a_refused_token_is_dropped_once_and_replaced_by_one_login(
    redis_url: str, redis_namespace: str
) -> None:
    async with Simulator(CONFIG) as sim:
        clients = _clients(sim, redis_url, redis_namespace, 4)
        try:
            await asyncio.gather(*(c.devices.get("00001") for c in clients))
            assert sim.state.auth.revoke_tokens() == 1
            await asyncio.gather(*(c.devices.get("00001") for c in clients for _ in range(3)))
        finally:
            await _close(clients)
    assert sim.stats.logins == 2
    assert sim.stats.unauthorized >= 1


async def test_a_token_is_dropped_only_if_it_is_still_the_one_that_failed(
    redis_url: str, redis_namespace: str
) -> None:
    store = RedisStore(redis_url, namespace=redis_namespace)
    cache = store.token_cache("account")
    try:
        await cache.put("newer-token", 4_000_000_000.0)
        await cache.drop("older-token")  # refused, but replaced already
        kept = await cache.get()
        assert kept is not None
        assert kept.token == "newer-token"
        await cache.drop("newer-token")
        assert await cache.get() is None
    finally:
        await store.aclose()


async def test_the_login_lock_is_renewed_and_released_only_by_its_owner(
    redis_url: str, redis_namespace: str
) -> None:
    store = RedisStore(redis_url, namespace=redis_namespace)
    cache = store.token_cache("account")
    raw = aioredis.Redis.from_url(redis_url)
    key = f"{redis_namespace}:{{account}}:login-lock"
    try:
        owner = await cache.lock(10.0)
        assert owner is not None
        assert await cache.lock(10.0) is None  # taken
        assert not await cache.extend("someone-else", 100.0)
        assert await raw.pttl(key) <= 10_000
        assert await cache.extend(owner, 100.0)
        assert 10_000 < await raw.pttl(key) <= 100_000
        await cache.unlock("someone-else")
        assert await cache.lock(10.0) is None  # still ours
        await cache.unlock(owner)
        assert not await cache.extend(owner, 100.0)  # released: nothing to renew
        again = await cache.lock(10.0)
        assert again is not None
        assert again != owner
        await cache.unlock(again)
    finally:
        await raw.aclose()
        await store.aclose()


async def test_a_lock_left_by_a_killed_process_blocks_the_others_only_until_its_ttl(
    redis_url: str, redis_namespace: str
) -> None:
    lock_ttl = 0.4
    async with Simulator(CONFIG) as sim:
        # A process died holding the lock: its key lives on for the lock's TTL, nobody deletes it.
        url = sim.url
        key = f"{redis_namespace}:{{{account_key(url + '/', CONFIG.email)}}}:login-lock"
        raw = aioredis.Redis.from_url(redis_url)
        try:
            await raw.set(key, "dead-process", px=int(lock_ttl * 1000))
            clients = _clients(sim, redis_url, redis_namespace, 3, lock_ttl=lock_ttl)
            try:
                waiting = asyncio.gather(*(c.devices.get("00001") for c in clients))
                await asyncio.sleep(0.1)
                assert sim.stats.logins == 0  # everyone waits for the dead process's lock
                await waiting
            finally:
                await _close(clients)
            assert await raw.exists(key) == 0
        finally:
            await raw.aclose()
    assert sim.stats.logins == 1


async def test_a_throttled_login_keeps_its_lock_until_it_is_done(
    redis_url: str, redis_namespace: str
) -> None:
    """A login answered 429 waits out its Retry-After (1 s) holding a lock of 0.3 s: the lock is
    renewed while the login runs, so the other processes wait for its token, not log in too."""
    config = SimConfig(devices=1, keys=1, login_limit=1, login_window=1.0)
    async with Simulator(config) as sim:
        async with LivionKeyClient(config.email, config.password, base_url=sim.url) as alone:
            await alone.login()  # the throttle's one login of this second is spent
        clients = _clients(sim, redis_url, redis_namespace, 3, lock_ttl=0.3)
        try:
            async with asyncio.timeout(10.0):
                await asyncio.gather(*(c.devices.get("00001") for c in clients))
        finally:
            await _close(clients)
    assert sim.stats.logins == 2  # the one before, and one for the three processes
    assert sum(c.stats.logins for c in clients) == 1


async def test_unreachable_from_the_start_each_logs_in_alone_and_says_so_once(
    caplog: pytest.LogCaptureFixture,
) -> None:
    from redis_support import free_port

    caplog.set_level(logging.DEBUG, logger="livionkey_async")
    nowhere = f"redis://127.0.0.1:{free_port()}/0"
    async with Simulator(CONFIG) as sim:
        clients = _clients(sim, nowhere, "nowhere", 2)
        try:
            await asyncio.gather(*(c.devices.get("00001") for c in clients for _ in range(5)))
        finally:
            await _close(clients)
    assert sim.stats.logins == 2
    warnings = [r for r in caplog.records if r.name == "livionkey_async.shared"]
    assert len(warnings) == 2  # once per process (each client here stands for one)
    assert all("unreachable" in r.getMessage() for r in warnings)


async def test_the_token_never_shows_in_logs_or_reprs(
    redis_url: str, redis_namespace: str, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    password = f"pw-{secrets.token_hex(4)}"
    config = SimConfig(devices=1, keys=1, password=password)
    url = redis_url.replace("redis://", f"redis://:{password}@")
    store = RedisStore(url, namespace=redis_namespace)
    assert password not in repr(store)
    async with Simulator(config) as sim:
        local = RedisStore(redis_url, namespace=redis_namespace)
        client = LivionKeyClient(config.email, password, base_url=sim.url, store=local)
        try:
            await client.devices.get("00001")
            cached = await local.token_cache(account_key(str(client.base_url), config.email)).get()
        finally:
            await client.close()
            await local.aclose()
    assert cached is not None
    shown = " ".join(
        [caplog.text, repr(cached), repr(client), repr(local), str(client.stats), repr(store)]
    )
    assert cached.token not in shown
    assert password not in shown
