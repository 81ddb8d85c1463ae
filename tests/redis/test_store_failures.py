"""The shared store when Redis fails or is misconfigured: journals that stay readable, typed
errors at every public edge, a webhook answered as it should be, and no secret anywhere."""

from __future__ import annotations

import logging
import math
from datetime import UTC, datetime, timedelta

import pytest
from redis_support import RedisServer, free_port

from livionkey_async import (
    KeyRef,
    LivionKeyClient,
    LivionKeyError,
    NewContract,
    StoreError,
    ValidationError,
)
from livionkey_async._journal import Journal
from livionkey_async._shared import StoreHealth, StoreUnavailable
from livionkey_async.redis import RedisStore
from livionkey_async.testing import SimConfig, Simulator
from livionkey_async.webhooks import KeyStatusEvent, WebhookReceiver, sign

SECRET = "whsec_bGl2aW9ua2V5LWFzeW5jLXRlc3Qta2V5LTAwMDE="
BODY = (
    b'{"specVersion":"1","type":"key-status","occurredAt":"2026-11-02T08:00:00.000Z",'
    b'"createdAt":"2026-11-02T08:00:00.100Z","organizationUnitId":"customer1",'
    b'"data":{"state":"key-fetched","storageType":"device","deviceId":"00001",'
    b'"lockerIndex":1,"keyId":"key1"}}'
)
NOW = 1_780_000_000
START = datetime(2031, 7, 1, 12, tzinfo=UTC)


def _dead_url() -> str:
    return f"redis://127.0.0.1:{free_port()}/0"  # nothing listens there


def _chain(error: BaseException) -> list[BaseException]:
    seen: list[BaseException] = []
    current: BaseException | None = error
    while current is not None and current not in seen:
        seen.append(current)
        current = current.__cause__ or current.__context__
    return seen


# -- 1: the journal's header after a restart of a Redis without persistence ---------------------


async def test_lines_appended_after_a_redis_restart_are_read_back(
    private_redis: RedisServer,
) -> None:
    store = RedisStore(private_redis.url, namespace="j")
    try:
        journal = await Journal.open(store.journal("job"), pepper=b"p")
        journal.record("before", "succeeded", journal.fingerprint({"n": 1}), object_id="1")
        await journal.flush()
        private_redis.stop()
        private_redis.start()  # empty again: no persistence
        journal.record("after", "succeeded", journal.fingerprint({"n": 2}), object_id="2")
        await journal.flush()  # may find the pooled connection closed by the restart ...
        await journal.aclose()  # ... and then the line goes at the end
        again = await Journal.open(store.journal("job"), pepper=b"p")
    finally:
        await store.aclose()
    # What was written before the restart is gone; what came after it is readable, and its
    # fingerprints still match (the header put back is the one the lines were digested with).
    assert again.succeeded("before") is None
    entry = again.succeeded("after")
    assert entry is not None
    assert again.changed(entry, again.fingerprint({"n": 2})) == ()
    assert again.object_ids() == {"2"}


async def test_a_journal_deleted_starts_again_from_a_new_header(
    redis_url: str, redis_namespace: str
) -> None:
    async with RedisStore(redis_url, namespace=redis_namespace) as store:
        backend = store.journal("done-for-good")
        journal = await Journal.open(backend)
        journal.record("a", "succeeded", journal.fingerprint({"n": 1}), object_id="1")
        await journal.aclose()
        assert len(await backend.load("unused")) == 2
        await backend.delete()
        assert await backend.load("fresh") == ["fresh"]


# -- 6: a journal whose Redis stops answering ---------------------------------------------------


async def test_a_journal_in_redis_waits_the_stores_retry_interval(
    redis_url: str, redis_namespace: str
) -> None:
    async with RedisStore(redis_url, namespace=redis_namespace, retry_interval=7.5) as store:
        assert store.journal("x").retry_interval == 7.5


async def test_a_bulk_job_whose_journal_redis_is_gone_at_the_end_says_so_typed(
    private_redis: RedisServer, caplog: pytest.LogCaptureFixture
) -> None:
    config = SimConfig(devices=1, keys=2)
    specs = [
        NewContract(
            contract_id=f"gone-{n}",
            keys=(KeyRef(device_id="00001", key_id=f"A000{1 + n % 2}"),),
            start=START + timedelta(days=n),
            end=START + timedelta(days=n, hours=2),
            person=f"Guest {n}",
            pincode=f"{7100 + n}",
        )
        for n in range(3)
    ]
    caplog.set_level(logging.WARNING, logger="livionkey_async")
    store = RedisStore(private_redis.url, namespace="gone", timeout=0.5)
    async with Simulator(config) as sim:
        client = LivionKeyClient(config.email, config.password, base_url=sim.url)
        backend = store.journal("job")
        stopped = False

        def stop_redis(_: object) -> None:
            nonlocal stopped
            if not stopped:
                stopped = True
                private_redis.stop()

        try:
            with pytest.raises(StoreError) as raised:
                await client.bulk.create_contracts(
                    specs, journal=backend, concurrency=1, on_progress=stop_redis
                )
        finally:
            await client.close()
            await store.aclose()
        made = sim.contracts()
    assert len(made) == 3  # the job ran to its end
    # The first line was appended; the two after Redis went away were kept, and reported.
    assert "2 line(s) could not be written" in str(raised.value)
    assert not any(str(7100 + n) in caplog.text + str(raised.value) for n in range(3))
    # What the job made is not lost with the journal's lines: the error carries the report.
    report = raised.value.report
    assert report is not None
    assert sorted(item.spec.contract_id for item in report.succeeded) == [
        "gone-0",
        "gone-1",
        "gone-2",
    ]
    assert {getattr(item.result, "id", None) for item in report.succeeded} == {
        c.object_id for c in made
    }


# -- 7: typed errors at the edges ---------------------------------------------------------------


async def test_a_shared_journal_unreachable_at_the_start_is_a_store_error() -> None:
    config = SimConfig(devices=1, keys=1)
    store = RedisStore(_dead_url(), namespace="down", timeout=0.5)
    spec = NewContract(
        contract_id="never",
        keys=(KeyRef(device_id="00001", key_id="A0001"),),
        start=START,
        end=START + timedelta(hours=1),
        person="Nobody",
    )
    async with Simulator(config) as sim:
        client = LivionKeyClient(config.email, config.password, base_url=sim.url, store=store)
        try:
            with pytest.raises(StoreError, match="cannot read it") as raised:
                await client.bulk.create_contracts([spec], journal=store.journal("job"))
        finally:
            await client.close()
            await store.aclose()
        assert sim.contracts() == []
    assert isinstance(raised.value, LivionKeyError)
    assert type(raised.value) is StoreError  # the public class, not the private signal
    assert _chain(raised.value) == [raised.value]  # redis-py's exception is not chained


def test_a_url_redis_py_cannot_take_is_refused_at_construction() -> None:
    for url in ("http://127.0.0.1:6379", "redis://h:port", "", "localhost:6379"):
        with pytest.raises(ValidationError, match=r"^url must be"):
            RedisStore(url)
    with pytest.raises(ValidationError, match=r"^url must be a string"):
        RedisStore(b"redis://h")  # type: ignore[arg-type]
    for url in ("redis://h/0", "rediss://h:6380/1", "unix:///run/redis.sock"):
        RedisStore(url)


# -- 8, 10: no secret in a repr, a log line or an error -----------------------------------------


def test_a_password_in_the_query_string_is_not_shown() -> None:
    store = RedisStore("redis://127.0.0.1:1/0?password=s3cret&db=2")
    assert "s3cret" not in repr(store)
    assert "s3cret" not in store.health.name
    assert "db=2" in repr(store)
    other = RedisStore("redis://user:pa55@127.0.0.1:1/0?Password=s3cret")
    assert "pa55" not in repr(other)
    assert "s3cret" not in repr(other)
    assert "user@" in repr(other)


async def test_a_failed_pipeline_never_shows_the_token(
    redis_url: str, redis_namespace: str
) -> None:
    token = "tok-SECRET-4f1c9e"
    async with RedisStore(redis_url, namespace=redis_namespace) as store:
        cache = store.token_cache("acct")
        # The token's key of the wrong type: the pipeline's HSET fails, and redis-py writes the
        # whole command (token included) into its exception.
        await store._connection.run(lambda r: r.set(f"{redis_namespace}:{{acct}}:token", "x"))
        with pytest.raises(StoreUnavailable) as raised:
            await cache.put(token, 2e9)
    error = raised.value
    assert "WRONGTYPE" in str(error)  # the Redis error code is kept: it helps
    for seen in _chain(error):
        assert token not in str(seen)
        assert token not in repr(seen)
        assert token not in repr(seen.args)
    assert error.__cause__ is None
    assert error.__context__ is None


# -- 12: arguments checked by name --------------------------------------------------------------


@pytest.mark.parametrize(
    ("options", "name"),
    [
        ({"timeout": math.nan}, "timeout"),
        ({"lock_ttl": math.inf}, "lock_ttl"),
        ({"lock_ttl": "30"}, "lock_ttl"),
        ({"retry_interval": 0}, "retry_interval"),
        ({"idle_ttl": True}, "idle_ttl"),
        ({"namespace": 5}, "namespace"),
        ({"namespace": "a b"}, "namespace"),
    ],
)
def test_store_options_are_checked_by_name(options: dict[str, object], name: str) -> None:
    with pytest.raises(ValidationError, match=f"^{name} must"):
        RedisStore("redis://127.0.0.1:1/0", **options)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("options", "name"),
    [
        ({"ttl": "1"}, "ttl"),
        ({"ttl": math.nan}, "ttl"),
        ({"pending_ttl": -1}, "pending_ttl"),
        ({"name": 3}, "name"),
    ],
)
def test_dedupe_options_are_checked_by_name(options: dict[str, object], name: str) -> None:
    store = RedisStore("redis://127.0.0.1:1/0")
    with pytest.raises(ValidationError, match=f"^{name} must"):
        store.dedupe(**options)  # type: ignore[arg-type]
    with pytest.raises(ValidationError, match=r"^name must"):
        store.journal(None)  # type: ignore[arg-type]


class _PartStore:
    """A custom store with every method but, unless given, none of the properties."""

    def __init__(self, **properties: object) -> None:
        for name, value in properties.items():
            setattr(self, name, value)

    def token_cache(self, account: str) -> None: ...

    def rate_budget(self, account: str, **options: object) -> None: ...

    def journal(self, name: str) -> None: ...

    async def aclose(self) -> None: ...


@pytest.mark.parametrize(
    ("properties", "message"),
    [
        ({}, "has no health, lock_ttl, retry_interval"),
        ({"health": StoreHealth("x"), "lock_ttl": 30.0}, "has no retry_interval$"),
        ({"health": "up", "lock_ttl": 30.0, "retry_interval": 5.0}, "store.health must"),
        ({"health": StoreHealth("x"), "lock_ttl": "30", "retry_interval": 5.0}, "store.lock_ttl"),
    ],
)
def test_a_custom_store_missing_a_property_is_refused_by_name(
    properties: dict[str, object], message: str
) -> None:
    with pytest.raises(ValidationError, match=message):
        LivionKeyClient("a@example.com", "pw", store=_PartStore(**properties))  # type: ignore[arg-type]


# -- 3: a webhook receiver whose shared dedupe store blips ---------------------------------------


async def test_a_webhook_whose_claim_fails_is_answered_503_with_retry_after(
    caplog: pytest.LogCaptureFixture,
) -> None:
    store = RedisStore(_dead_url(), namespace="down", timeout=0.5)
    receiver = WebhookReceiver(signing_secret=SECRET, dedupe=store.dedupe(), clock=lambda: NOW)
    headers = sign(BODY, SECRET, msg_id="msg_down", timestamp=NOW, event_type="key-status")
    try:
        reply = await receiver.handle(BODY, headers)
    finally:
        receiver.close()
        await store.aclose()
    assert reply.status == 503
    assert reply.headers["Retry-After"] == str(receiver.retry_after)
    assert receiver.stats.accepted == 0
    assert receiver.queued == 0  # nothing handed over: Livion's retry is the only copy
    assert "claim failed" in caplog.text


async def test_a_webhook_handled_before_redis_went_away_is_still_answered_200(
    private_redis: RedisServer, caplog: pytest.LogCaptureFixture
) -> None:
    store = RedisStore(private_redis.url, namespace="blip", timeout=0.5)
    receiver = WebhookReceiver(signing_secret=SECRET, dedupe=store.dedupe(), clock=lambda: NOW)
    handled: list[KeyStatusEvent] = []

    @receiver.on(KeyStatusEvent)
    async def take(event: KeyStatusEvent) -> None:
        handled.append(event)
        private_redis.stop()  # the claim's complete() will find Redis gone

    headers = sign(BODY, SECRET, msg_id="msg_blip", timestamp=NOW, event_type="key-status")
    try:
        reply = await receiver.handle(BODY, headers)
    finally:
        receiver.close()
        await store.aclose()
    assert reply.status == 200  # the handler has the event: not handled twice by a retry
    assert len(handled) == 1
    assert "complete failed" in caplog.text
    assert SECRET not in caplog.text
