"""``client.keys.watch`` against the simulator over loopback: changes only, errors survived,
keys listed again, and a clean end on cancel, ``aclose()``, a refused login or a closed client.

The watch's sleep is a script: each call advances a fake clock by the delay asked for and then
plays the test's next step (a key fetched, a fault switched on), so every poll happens at once
and nothing waits for real time.
"""

from __future__ import annotations

import asyncio
import inspect
import logging
from collections.abc import AsyncIterator, Callable

import pytest

from livionkey_async import (
    KeyStatusEvent,
    KeyWatch,
    LivionKeyClient,
    LoginError,
    NewKey,
    NotFoundError,
    TransportError,
    UnsupportedDeviceError,
    ValidationError,
)
from livionkey_async.testing import Simulator
from livionkey_async.webhooks import KeyStatusEvent as PushedKeyStatusEvent

FAST = 100_000.0  # a pacing ceiling far above loopback: these tests are not about pacing
KEYS = [f"A{n:04d}" for n in range(1, 6)]  # the simulator's seeded keys of device 00001
Step = Callable[[], object]


class Script:
    """A fake sleep: records each delay, moves the clock by it, then plays the next step.

    When the steps run out it blocks until cancelled, as a real long sleep would.
    """

    def __init__(self, *steps: Step | None) -> None:
        self.now = 1000.0
        self.delays: list[float] = []
        self.steps = list(steps)
        self.waiting = asyncio.Event()

    def clock(self) -> float:
        return self.now

    async def __call__(self, delay: float) -> None:
        self.delays.append(delay)
        self.now += delay
        if not self.steps:
            self.waiting.set()
            await asyncio.Event().wait()
        step = self.steps.pop(0)
        if step is not None:
            done = step()
            if inspect.isawaitable(done):
                await done


@pytest.fixture
async def client(livionkey_sim: Simulator) -> AsyncIterator[LivionKeyClient]:
    config = livionkey_sim.config
    # One attempt per request: a 5xx reaches the watch at once instead of being retried.
    async with LivionKeyClient(
        config.email, config.password, base_url=livionkey_sim.url, rate_limit=FAST, max_attempts=1
    ) as c:
        yield c


def watch(client: LivionKeyClient, script: Script, *devices: str, **options: object) -> KeyWatch:
    return client.keys.watch(
        list(devices) or ["00001"],
        interval=10.0,
        sleep=script,
        clock=script.clock,
        **options,  # type: ignore[arg-type]
    )


async def take(events: KeyWatch, n: int) -> list[KeyStatusEvent]:
    return [await anext(events) for _ in range(n)]


def states(events: list[KeyStatusEvent]) -> list[tuple[str | None, str | None, str]]:
    return [(e.device_id, e.key_id, e.state) for e in events]


async def test_yields_only_changes_after_a_silent_first_poll(
    livionkey_sim: Simulator, client: LivionKeyClient
) -> None:
    def return_one_fetch_another() -> None:
        livionkey_sim.return_key("00001", "A0002")
        livionkey_sim.fetch_key("00001", "A0004")

    script = Script(
        lambda: livionkey_sim.fetch_key("00001", "A0002"),
        None,  # a poll with no change yields nothing
        return_one_fetch_another,
    )
    async with watch(client, script) as events:
        first = await anext(events)
        requests_after_two_polls = client.stats.requests
        rest = await take(events, 2)
        assert events.ticks == 4
        assert events.watched == [("00001", key) for key in KEYS]
    assert states([first]) == [("00001", "A0002", "key-fetched")]
    assert states(rest) == [("00001", "A0002", "key-returned"), ("00001", "A0004", "key-fetched")]
    assert script.delays == [10.0, 10.0, 10.0]  # the clock stands still while a poll runs
    # Two more polls, one status request per key each: nothing else is asked.
    assert client.stats.requests - requests_after_two_polls == 2 * len(KEYS)
    event = rest[1]
    assert isinstance(event, PushedKeyStatusEvent)  # one class, pushed or polled
    key = livionkey_sim.state.devices["00001"].keys["A0004"]
    assert event.locker_index == key.locker_index
    assert event.event_id == key.events[-1].event_id
    assert (event.shape, event.storage_type) == (None, "device")
    assert event.occurred_at is not None
    assert event.occurred_at.tzinfo is not None
    assert await anext(events, None) is None  # closed by the `async with`


async def test_initial_yields_the_current_state_of_every_key(
    livionkey_sim: Simulator, client: LivionKeyClient
) -> None:
    livionkey_sim.fetch_key("00002", "A0003")
    events = watch(client, Script(), "00002", initial=True)
    current = await take(events, len(KEYS))
    await events.aclose()
    expected = ["key-fetched" if key == "A0003" else "key-added" for key in KEYS]
    assert states(current) == [
        ("00002", key, state) for key, state in zip(KEYS, expected, strict=True)
    ]


async def test_transient_errors_are_logged_and_survived(
    livionkey_sim: Simulator, client: LivionKeyClient, caplog: pytest.LogCaptureFixture
) -> None:
    faults = livionkey_sim.faults

    def break_the_service() -> None:
        livionkey_sim.fetch_key("00001", "A0001")
        faults.update({"fail_rate": 1.0, "fail_statuses": [503]})

    def drop_connections() -> None:
        faults.update({"fail_rate": 0.0, "drop_rate": 1.0})

    def heal() -> None:
        faults.update({"drop_rate": 0.0})

    script = Script(break_the_service, drop_connections, heal)
    caplog.set_level(logging.WARNING, logger="livionkey_async.keys")
    events = watch(client, script)
    (event,) = await take(events, 1)
    await events.aclose()
    # The fetch happened while every request failed: it is reported once the service is back.
    assert states([event]) == [("00001", "A0001", "key-fetched")]
    assert events.ticks == 4
    assert events.errors == 2 * len(KEYS)
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warnings) == 2 * len(KEYS)
    assert "503" in warnings[0]
    assert "trying again at the next poll" in warnings[0]
    assert livionkey_sim.config.password not in caplog.text


async def test_keys_are_listed_again_and_a_removed_key_is_dropped(
    livionkey_sim: Simulator, client: LivionKeyClient, caplog: pytest.LogCaptureFixture
) -> None:
    async def hang_a_key_and_remove_another() -> None:
        await client.keys.create(NewKey(device_id="00001", key_id="B0001", name="new"))
        await client.keys.delete("A0005", device_id="00001")

    script = Script(
        hang_a_key_and_remove_another,
        None,  # the listing is not due yet: A0005 is asked for, and gone
        lambda: livionkey_sim.fetch_key("00001", "B0001"),  # now it is listed: a baseline first
        lambda: livionkey_sim.return_key("00001", "B0001"),
    )
    caplog.set_level(logging.INFO, logger="livionkey_async.keys")
    events = watch(client, script, relist_interval=25.0)
    (event,) = await take(events, 1)
    await events.aclose()
    # B0001 was first seen fetched (its baseline), then its return is a change.
    assert states([event]) == [("00001", "B0001", "key-returned")]
    assert ("00001", "A0005") not in events.watched
    assert ("00001", "B0001") in events.watched
    assert "key A0005 of device 00001 is gone" in caplog.text


async def test_a_refused_login_ends_the_watch(livionkey_sim: Simulator) -> None:
    async with LivionKeyClient(
        livionkey_sim.config.email, "wrong-password", base_url=livionkey_sim.url, rate_limit=FAST
    ) as client:
        events = watch(client, Script())
        with pytest.raises(LoginError) as caught:
            await anext(events)
        assert "wrong-password" not in repr(caught.value)
        assert await anext(events, None) is None  # ended, not broken


async def test_a_closed_client_ends_the_watch(
    livionkey_sim: Simulator, client: LivionKeyClient
) -> None:
    events = watch(client, Script(client.close))
    with pytest.raises(TransportError, match="closed"):
        await anext(events)
    assert events.ticks == 1
    assert await anext(events, None) is None


@pytest.mark.parametrize(
    ("device", "error"), [("00005", UnsupportedDeviceError), ("99999", NotFoundError)]
)
async def test_a_device_that_cannot_be_watched_ends_the_watch(
    client: LivionKeyClient, device: str, error: type[Exception]
) -> None:
    events = watch(client, Script(), device)
    with pytest.raises(error):
        await anext(events)


async def test_cancelling_the_consumer_ends_the_watch_and_leaves_nothing_running(
    livionkey_sim: Simulator, client: LivionKeyClient
) -> None:
    script = Script(lambda: livionkey_sim.fetch_key("00001", "A0001"))
    events = watch(client, script)
    seen: list[KeyStatusEvent] = []

    async def consume() -> None:
        async for event in events:
            seen.append(event)

    task = asyncio.create_task(consume())
    await script.waiting.wait()  # the second sleep: it would last until cancelled
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert states(seen) == [("00001", "A0001", "key-fetched")]
    # Neither the sleep nor the task waiting for aclose() outlives the watch.
    leftovers = [
        t
        for t in asyncio.all_tasks()
        if getattr(t.get_coro(), "__qualname__", "") in ("Script.__call__", "Event.wait")
    ]
    assert leftovers == []
    assert await anext(events, None) is None


async def test_aclose_from_another_task_ends_a_waiting_loop_at_once(
    client: LivionKeyClient,
) -> None:
    script = Script()
    events = watch(client, script)

    async def consume() -> list[KeyStatusEvent]:
        return [event async for event in events]

    task = asyncio.create_task(consume())
    await script.waiting.wait()
    await events.aclose()
    assert await asyncio.wait_for(task, timeout=5) == []  # the loop ended: no error


async def test_a_failing_sleep_fails_the_watch(client: LivionKeyClient) -> None:
    async def broken(delay: float) -> None:
        raise RuntimeError("no sleep tonight")

    events = client.keys.watch(["00001"], interval=1.0, sleep=broken, initial=True)
    await take(events, len(KEYS))
    with pytest.raises(RuntimeError, match="no sleep"):
        await anext(events)


@pytest.mark.parametrize(
    ("device_ids", "options", "message"),
    [
        ([], {}, "at least one device"),
        (["00001"], {"interval": 0}, "positive"),
        (["00001"], {"relist_interval": -1}, "positive"),
        (["00001"], {"concurrency": 0}, "concurrency"),
        (["bad/id"], {}, "device_id"),
    ],
)
def test_bad_arguments_are_refused_before_anything_is_sent(
    device_ids: list[str], options: dict[str, float], message: str
) -> None:
    client = LivionKeyClient("a@example.com", "secret", base_url="http://127.0.0.1:9")
    with pytest.raises(ValidationError, match=message):
        client.keys.watch(device_ids, **options)  # type: ignore[arg-type]


def test_one_device_may_be_named_alone() -> None:
    client = LivionKeyClient("a@example.com", "secret", base_url="http://127.0.0.1:9")
    assert client.keys.watch("00001").device_ids == ("00001",)
    assert client.keys.watch(["00001", "00002", "00001"]).device_ids == ("00001", "00002")
