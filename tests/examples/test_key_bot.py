"""``examples/key_bot.py`` against the simulator: pushed webhooks in both shapes, a failure
Livion delivers again, and the polling fallback.

The simulator pushes to the bot's own receiver over loopback (its retry schedule at
``time_scale=0``); the bot's notices are collected instead of sent.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import pytest
from aiohttp import web
from key_bot import KeyBot, Notice, poll, run, webhook_app

from livionkey_async import Contact, KeyRef, LivionKeyClient, NewContract
from livionkey_async.testing import SimConfig, Simulator
from livionkey_async.webhooks import WebhookReceiver

SECRET = "whsec_" + base64.b64encode(b"livionkey-async-key-bot-test").decode()
API_KEY = "key-bot-shared-secret"
FAST = 100_000.0


@pytest.fixture
def livionkey_sim_config() -> SimConfig:
    return SimConfig(start_grace=3600)  # contracts may start a little in the past


@pytest.fixture
async def sim(livionkey_sim: Simulator) -> Simulator:
    livionkey_sim.webhook_settings.time_scale = 0.0
    return livionkey_sim


@pytest.fixture
async def client(sim: Simulator) -> AsyncIterator[LivionKeyClient]:
    config = sim.config
    async with LivionKeyClient(
        config.email, config.password, base_url=sim.url, rate_limit=FAST
    ) as c:
        yield c


class Notebook:
    """Collects the bot's notices; can fail the first few, as a mail server might."""

    def __init__(self, failures: int = 0) -> None:
        self.notices: list[Notice] = []
        self.failures = failures
        self.told = asyncio.Event()

    async def __call__(self, notice: Notice) -> None:
        if self.failures:
            self.failures -= 1
            raise RuntimeError("the mail server is down")
        self.notices.append(notice)
        self.told.set()

    def of(self, *kinds: str) -> list[Notice]:
        return [n for n in self.notices if n.kind in kinds]


async def booking(client: LivionKeyClient) -> str:
    """A contract on 00001/A0001 that started a minute ago; answers its pincode."""
    now = datetime.now(UTC).replace(microsecond=0)
    made = await client.contracts.create(
        NewContract(
            contract_id="booking-7",
            keys=[KeyRef(device_id="00001", key_id="A0001")],
            start=now - timedelta(minutes=1),
            end=now + timedelta(hours=2),
            person="John Doe",
            contacts=[Contact(email="john@example.com", phone_number="+358401234567")],
        )
    )
    assert made.pincode is not None
    return made.pincode


async def serve(app: web.Application) -> tuple[str, web.AppRunner]:
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    return f"http://127.0.0.1:{runner.addresses[0][1]}/livion", runner


async def settled(sim: Simulator) -> None:
    async with asyncio.timeout(10):
        await sim.wait_for_webhooks()


REMINDER = Notice(
    "reminder",
    "John Doe: please return key A0001 of automat 00001 (booking booking-7)",
    "00001",
    "A0001",
    "booking-7",
    "John Doe",
    ("john@example.com", "+358401234567"),
)


@pytest.mark.parametrize("shape", ["v2", "legacy"])
async def test_the_bot_reacts_to_pushed_events_once_each(
    sim: Simulator, client: LivionKeyClient, shape: str
) -> None:
    pincode = await booking(client)
    notebook = Notebook()
    if shape == "v2":
        receiver = WebhookReceiver(signing_secret=SECRET)
    else:
        receiver = WebhookReceiver(api_key=API_KEY)
    url, runner = await serve(webhook_app(KeyBot(client, notebook), receiver))
    try:
        if shape == "v2":
            sim.add_webhook(url, secret=SECRET)
        else:
            sim.add_webhook(url, shape="legacy", api_key=API_KEY)
        sim.webhook_settings.duplicate_rate = 1.0  # Livion delivers every event twice
        sim.enter_code("00001", pincode)  # no reaction
        sim.fetch_key("00001", "A0001")  # no reaction
        sim.key_not_returned("00001", "A0001")
        raised = sim.raise_alarm("00002", "DEVICE_MOVED")
        sim.acknowledge_alarm("00002", "DEVICE_MOVED")
        sim.clear_alarm("00002", "DEVICE_MOVED")
        await settled(sim)
    finally:
        await runner.cleanup()
    assert notebook.of("reminder") == [REMINDER]
    assert [
        (n.kind, n.text) for n in notebook.of("alarm", "alarm-acknowledged", "alarm-cleared")
    ] == [
        ("alarm", f"DEVICE_MOVED on automat 00002 since {raised.start:%Y-%m-%d %H:%M} UTC"),
        ("alarm-acknowledged", "DEVICE_MOVED on automat 00002 was acknowledged"),
        ("alarm-cleared", "DEVICE_MOVED on automat 00002 is over"),
    ]
    assert len(notebook.notices) == 4
    # Six deliveries (the code, two key statuses, three alarms) came twice, were handled once.
    assert (receiver.stats.received, receiver.stats.duplicates) == (12, 6)
    assert all(pincode not in n.text for n in notebook.notices)


async def test_a_reaction_that_fails_is_delivered_again_by_livion(
    sim: Simulator, client: LivionKeyClient
) -> None:
    await booking(client)
    notebook = Notebook(failures=1)
    url, runner = await serve(
        webhook_app(KeyBot(client, notebook), WebhookReceiver(signing_secret=SECRET))
    )
    try:
        sim.add_webhook(url, secret=SECRET, event_types=["key-status"])
        sim.key_not_returned("00001", "A0001")
        await settled(sim)
    finally:
        await runner.cleanup()
    assert notebook.notices == [REMINDER]
    log = sim.webhook_deliveries()
    assert [(r.status, r.outcome) for r in log] == [(500, "retrying"), (200, "delivered")]
    assert len({r.delivery_id for r in log}) == 1


async def test_without_webhooks_the_bot_polls_the_key_statuses(
    sim: Simulator, client: LivionKeyClient
) -> None:
    await booking(client)
    notebook = Notebook()
    sleeps = 0

    async def sleep(_: float) -> None:
        nonlocal sleeps
        sleeps += 1
        if sleeps == 1:
            sim.fetch_key("00001", "A0001")
        elif sleeps == 2:
            sim.key_not_returned("00001", "A0001")
        else:
            await asyncio.Event().wait()  # a long interval: until cancelled

    watch = client.keys.watch(["00001"], interval=30, sleep=sleep)
    polling = asyncio.create_task(poll(KeyBot(client, notebook), watch))
    async with asyncio.timeout(10):
        await notebook.told.wait()
    polling.cancel()
    with pytest.raises(asyncio.CancelledError):
        await polling
    # The polled event names no contract: the bot found it on the key.
    assert notebook.notices == [REMINDER]
    assert await anext(watch, None) is None  # the watch ended with the bot


async def test_the_bot_says_what_it_needs_before_starting(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("LIVIONKEY_WEBHOOK_SECRET", "LIVIONKEY_WEBHOOK_API_KEY", "LIVIONKEY_PASSWORD"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("LIVIONKEY_EMAIL", "demo@example.com")
    args = argparse.Namespace(poll=None, interval=60.0, host="127.0.0.1", port=0)
    with pytest.raises(SystemExit, match="LIVIONKEY_PASSWORD"):
        await run(args)
    monkeypatch.setenv("LIVIONKEY_PASSWORD", "livionkey-demo")
    with pytest.raises(SystemExit, match="LIVIONKEY_WEBHOOK_SECRET"):
        await run(args)
