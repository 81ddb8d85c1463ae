"""Shared bookkeeping in a real Redis: webhook dedupe across workers, bulk journals resumed
elsewhere, and a job split into shards."""

from __future__ import annotations

import asyncio
import logging
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from livionkey_async import KeyRef, LivionKeyClient, NewContract
from livionkey_async._journal import Journal
from livionkey_async._shard import Shard
from livionkey_async.redis import RedisStore
from livionkey_async.testing import SimConfig, Simulator
from livionkey_async.webhooks import WebhookReceiver, sign

SECRET = "whsec_bGl2aW9ua2V5LWFzeW5jLXRlc3Qta2V5LTAwMDE="
BODY = (
    b'{"specVersion":"1","type":"key-status","occurredAt":"2026-11-02T08:00:00.000Z",'
    b'"createdAt":"2026-11-02T08:00:00.100Z","organizationUnitId":"customer1",'
    b'"data":{"state":"key-fetched","storageType":"device","deviceId":"00001",'
    b'"lockerIndex":1,"keyId":"key1"}}'
)
NOW = 1_780_000_000
START = datetime(2031, 6, 1, 12, tzinfo=UTC)


def _specs(count: int) -> list[NewContract]:
    return [
        NewContract(
            contract_id=f"job-{n}",
            keys=(KeyRef(device_id="00001", key_id=f"A000{1 + n % 3}"),),
            start=START + timedelta(days=n),
            end=START + timedelta(days=n, hours=3),
            person=f"Guest {n}",
            pincode=f"{4000 + n}",
        )
        for n in range(count)
    ]


async def test_a_delivery_retried_to_another_worker_is_dropped(
    redis_url: str, redis_namespace: str
) -> None:
    stores = [RedisStore(redis_url, namespace=redis_namespace) for _ in range(2)]
    workers = [
        WebhookReceiver(signing_secret=SECRET, dedupe=store.dedupe(), clock=lambda: NOW)
        for store in stores
    ]
    headers = sign(BODY, SECRET, msg_id="msg_0001", timestamp=NOW, event_type="key-status")
    try:
        first = await workers[0].handle(BODY, headers)
        again = await workers[1].handle(BODY, headers)
    finally:
        for worker in workers:
            worker.close()
        for store in stores:
            await store.aclose()
    assert first.status == 200
    assert again.status == 200
    assert workers[0].stats.accepted == 1
    assert workers[1].stats.duplicates == 1
    assert workers[1].stats.accepted == 0


async def test_a_claim_pending_elsewhere_is_busy_and_a_released_one_is_new(
    redis_url: str, redis_namespace: str
) -> None:
    async with RedisStore(redis_url, namespace=redis_namespace) as store:
        one, other = store.dedupe(), store.dedupe()
        assert await one.claim("msg_1") == "new"
        assert await other.claim("msg_1") == "pending"
        await one.release("msg_1")  # handling failed: Livion's retry is handled again
        assert await other.claim("msg_1") == "new"
        await other.complete("msg_1")
        assert await one.claim("msg_1") == "done"


async def test_a_job_resumed_on_another_machine_skips_what_succeeded(
    redis_url: str, redis_namespace: str
) -> None:
    config = SimConfig(devices=1, keys=3)
    specs = _specs(8)
    async with Simulator(config) as sim:
        reports = []
        for part in (specs[:5], specs):  # the first machine stopped after five items
            store = RedisStore(redis_url, namespace=redis_namespace)
            client = LivionKeyClient(config.email, config.password, base_url=sim.url, store=store)
            try:
                reports.append(
                    await client.bulk.create_contracts(part, journal=store.journal("import-1"))
                )
            finally:
                await client.close()
                await store.aclose()
        made = sim.contracts()
    first, resumed = reports
    assert first.ok
    assert resumed.ok
    assert sum(1 for item in resumed.succeeded if item.skipped) == 5
    assert sorted(c.contract_id for c in made) == sorted(s.contract_id for s in specs)
    assert sim.stats.duplicate_contract_ids_refused == 0


async def test_workers_opening_one_journal_at_once_agree_on_its_salt(
    redis_url: str, redis_namespace: str
) -> None:
    async with RedisStore(redis_url, namespace=redis_namespace) as store:
        journals = await asyncio.gather(
            *(Journal.open(store.journal("same"), pepper=b"pepper") for _ in range(5))
        )
        fields = {"contract_id": "x", "pincode": "1234"}
        prints = [journal.fingerprint(fields) for journal in journals]
        assert all(p == prints[0] for p in prints)
        assert set(prints[0]) == {"contract_id", "secrets"}
        lines = await store.journal("same").load("ignored")
        assert len(lines) == 1  # one header, whoever came first
        assert "1234" not in lines[0]


async def test_journal_lines_wait_for_redis_and_are_never_secret(
    private_redis: object, caplog: pytest.LogCaptureFixture
) -> None:
    from redis_support import RedisServer

    assert isinstance(private_redis, RedisServer)
    caplog.set_level(logging.WARNING, logger="livionkey_async")
    store = RedisStore(private_redis.url, namespace="j", timeout=0.5)
    try:
        journal = await Journal.open(store.journal("job"), pepper=b"p")
        private_redis.stop()
        journal.record("a", "succeeded", journal.fingerprint({"pincode": "9876"}), object_id="1")
        await journal.flush()  # Redis is gone: the line waits
        private_redis.start()  # back, empty (no persistence): the next flush appends it
        journal.record("b", "succeeded", journal.fingerprint({"pincode": "5555"}), object_id="2")
        await journal.aclose()
        lines = await store.journal("job").load("new-header")
    finally:
        await store.aclose()
    assert [line for line in lines if '"key": "a"' in line]
    assert [line for line in lines if '"key": "b"' in line]
    assert not any("9876" in line or "5555" in line for line in lines)
    assert "cannot append" in caplog.text


@given(st.lists(st.text(min_size=1, max_size=30), max_size=50), st.integers(1, 12))
def test_every_key_is_in_exactly_one_shard(keys: list[str], count: int) -> None:
    shards = [Shard(index, count) for index in range(1, count + 1)]
    for key in keys:
        assert sum(shard.owns(key) for shard in shards) == 1


@pytest.mark.parametrize("text", ["0/3", "4/3", "1", "a/b", "1/0", ""])
def test_a_shard_outside_one_to_n_is_refused(text: str) -> None:
    with pytest.raises(ValueError, match="I/N"):
        Shard.parse(text)


def test_a_shard_reads_as_written() -> None:
    assert Shard.parse(" 2 / 4 ") == Shard(2, 4)
    assert str(Shard(2, 4)) == "2/4"
